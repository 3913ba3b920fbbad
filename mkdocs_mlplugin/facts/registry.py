"""The model registry from GTO tags, read with one ``git for-each-ref``.

Mirrors GTO 1.x (the version dvc installs; tested with 1.10): ``gto.tag.parse_name`` (the tag
names, ``parse_name`` here), ``gto.base`` (versions, stages, latest and history: the part
below "GTO's semantics", ``build``) and ``gto.index.Index`` (artifacts.yaml, ``read_index``).
GTO registers versions and stages as annotated git tags (``clf@v1.2.0``, ``clf#prod#3``,
``clf@v1.2.0!``, ``clf#prod!#4``, ``clf@deprecated``). This module reads every tag in one git
call and gives the tags the meaning GTO gives them, so versions, the latest version and stage
assignments are exactly what ``gto show`` and ``gto history`` say. It does not import GTO:
GTO's tag reading and its pydantic models cost more than the rest of a registry.

GTO also knows artifacts from its ``artifacts.yaml`` (at the git root, or where the ``.gto``
config's ``index`` says), with their type, path, description and labels: they are read here as
GTO's ``Index`` reads them, and an artifact declared there is in the registry even before it has
a version, as ``gto show`` lists it.

Held equal by tests/test_registry.py: to GTO's own code on generated input
(``test_tag_names_are_read_as_gto_reads_them``,
``test_the_registry_means_what_gtos_own_code_says``,
``test_artifacts_yaml_is_read_as_gtos_index_reads_it``), and to the gto CLI (``gto show
--json``, ``gto show NAME --json``, ``gto history --json``) on real repositories
(``test_the_registry_is_what_gto_says``, ``test_the_registry_with_artifacts_yaml_is_what_gto_says``,
``test_the_manifest_holds_the_registry_as_gto_gives_it``); tests/test_fuzz.py
``test_the_registry_takes_any_sequence_of_gto_tags`` (any tags: a registry or a finding).
"""

from __future__ import annotations

import dataclasses
import functools
import posixpath
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mkdocs_mlplugin.facts.git import GitRepo, open_repo
from mkdocs_mlplugin.findings import Finding, FindingError

INDEX = "artifacts.yaml"  # GTO's default; the .gto config's ``index`` moves it
_FIELDS = (
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(tagger)",
    "%(contents)",
)


@dataclasses.dataclass(frozen=True)
class VersionEntry:
    """A version in effect, as ``gto show NAME`` lists it."""

    version: str
    commit: str
    registered: bool  # False for a version known from stage tags only
    created_at: str  # ISO 8601, of the tag that dates it (GTO's authoring event)
    author: str
    author_email: str
    message: str
    stages: tuple[str, ...]  # the stages it is in, as ``gto show`` orders them

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "commit": self.commit,
            "registered": self.registered,
            "created_at": self.created_at,
            "author": self.author,
            "author_email": self.author_email,
            "message": self.message,
            "stages": list(self.stages),
        }


@dataclasses.dataclass(frozen=True)
class ArtifactEntry:
    """An artifact of the registry, as ``gto show`` gives it."""

    name: str
    latest: str | None  # the latest registered version
    latest_commit: str | None
    stages: dict[str, tuple[str, ...]]  # every stage of the registry -> the version in it, if any
    registered: bool
    active: bool  # False once deprecated
    versions: tuple[VersionEntry, ...]  # in effect, highest SemVer first

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latest": self.latest,
            "latest_commit": self.latest_commit,
            "stages": {stage: list(v) for stage, v in self.stages.items()},
            "registered": self.registered,
            "active": self.active,
            "versions": [v.as_dict() for v in self.versions],
        }


@dataclasses.dataclass(frozen=True)
class Event:
    """One event of ``gto history``: what a GTO tag did, when, by whom, with its message."""

    timestamp: str  # ISO 8601, with the tagger's UTC offset
    artifact: str
    event: str  # deprecation, registration, deregistration, assignment, unassignment
    priority: int  # GTO's order of events at the same time
    version: str | None
    stage: str | None
    commit: str
    author: str
    author_email: str
    message: str
    ref: str  # the tag

    def as_dict(self) -> dict[str, Any]:
        # every field is a string, an int or None: nothing for dataclasses.asdict to copy
        return {name: getattr(self, name) for name in _EVENT_FIELDS}


_EVENT_FIELDS = tuple(field.name for field in dataclasses.fields(Event))


@dataclasses.dataclass
class Registry:
    """Every artifact GTO knows of, with versions, stages and history, plus what was skipped."""

    artifacts: dict[str, ArtifactEntry]
    stages: list[str]
    history: list[Event]  # newest first
    tags: int  # tags read
    ignored: list[str]  # tag names that are not GTO tags
    lightweight: list[str]  # GTO tag names that are lightweight tags, which GTO ignores
    # GTO tags left out because their date is no calendar date: (name, the date as written)
    undated: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # artifacts.yaml: name -> {type, path, description, labels, virtual, custom}, as GTO reads it
    declared: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    index: str = INDEX  # where artifacts.yaml is, relative to the git root
    problems: list[Finding] = dataclasses.field(default_factory=list)  # .gto, artifacts.yaml
    # what it was built from (the tag listing, the .gto stages): a serve rebuild reuses it
    source: Any = dataclasses.field(default=None, repr=False, compare=False)

    def artifact(self, name: str) -> ArtifactEntry | None:
        return self.artifacts.get(name)


def list_tags(repo: GitRepo) -> bytes:
    """Every tag with what GTO reads of it: one ``git for-each-ref``, each field ended by NUL
    (git ends each record with a line feed). No field git formats holds a NUL byte, so what a
    tag says cannot move the fields of another."""
    return repo.run("for-each-ref", "--format=" + "%00".join(_FIELDS) + "%00", "refs/tags")


@dataclasses.dataclass(frozen=True)
class Tag:
    """An annotated GTO tag, as ``git for-each-ref`` lists it."""

    name: str
    target: str  # the commit it points to
    tagger: str
    email: str
    seconds: int
    offset: int  # the tagger's UTC offset, in seconds

    message: str

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.seconds, timezone(timedelta(seconds=self.offset)))


# GTO's tag grammar: NAME@vSEMVER[!], NAME#STAGE[!][#N], NAME@deprecated[#N], NAME@created[#N].
# NAME may be prefixed by a dvc.yaml path and '=' (':' in the artifact's name).
_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
_NUMBER = r"(?:0|[1-9]\d*)"
_IDENTIFIER = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = (
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-{_IDENTIFIER}(?:\.{_IDENTIFIER})*)?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)
_TAG = re.compile(
    rf"(?P<artifact>(?:[a-zA-Z0-9-_./]+=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))(?P<cancel>!?)"
    r"|@(?:(?P<deprecated>deprecated)|created))"
    r"(?:#[0-9]+)?"
)


def parse_name(name: str) -> tuple[str, str, str | None, str | None] | None:
    """(artifact, action, version, stage) of a GTO tag name, None for another tag. Action is
    one of register, deregister, assign, unassign, deprecate, create."""
    m = _TAG.fullmatch(name)
    if m is None:
        return None
    artifact = m["artifact"].replace("=", ":")
    if m["version"]:
        return artifact, "deregister" if m["cancel"] else "register", m["version"], None
    if m["stage"]:
        return artifact, "unassign" if m["cancel"] else "assign", None, m["stage"]
    return artifact, "deprecate" if m["deprecated"] else "create", None, None


def read_tags(
    raw: bytes,
) -> tuple[list[Tag], list[str], list[str], int, list[tuple[str, str]]]:
    """(annotated GTO tags, non-GTO names, lightweight GTO names, count, GTO tags whose date is
    no calendar date with that date) from the output of list_tags."""
    tags: list[Tag] = []
    ignored: list[str] = []
    lightweight: list[str] = []
    undated: list[tuple[str, str]] = []
    tokens = raw.decode("utf-8", "surrogateescape").split("\x00")
    count = len(tokens) // len(_FIELDS)
    if len(tokens) % len(_FIELDS) != 1 or tokens[-1] not in ("", "\n"):
        raise FindingError(
            Finding("registry", "'git for-each-ref' gave output of an unknown shape.")
        )
    for at in range(0, count * len(_FIELDS), len(_FIELDS)):
        name, kind, _sha, target, ident, message = tokens[at : at + len(_FIELDS)]
        name = name[1:] if at else name  # the line feed that ended the record before
        if parse_name(name) is None:
            ignored.append(name)
            continue
        if kind != "tag":
            lightweight.append(name)
            continue
        tagger, email, seconds, offset = _identity(ident)
        text = message.rstrip("\n") + "\n" if message else ""
        tag = Tag(name, target, tagger, email, int(seconds or 0), _offset_seconds(offset), text)
        try:
            tag.time  # noqa: B018  # a zone beyond 24 hours, a year after 9999
        except (ValueError, OverflowError, OSError):
            undated.append((name, f"{seconds} {offset}"))
            continue
        tags.append(tag)
    return tags, ignored, lightweight, count, undated


_IDENT = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s+(?P<time>\d+)\s+(?P<tz>[+-]\d{4})$")


def _identity(ident: str) -> tuple[str, str, str, str]:
    """(name, email, seconds, offset) of a tagger line, read from the right as GTO's git
    reader does, so a name containing '<' stays whole."""
    m = _IDENT.match(ident.strip())
    if not m:
        return ident.strip(), "", "0", "+0000"
    return m["name"], m["email"], m["time"], m["tz"]


def _offset_seconds(offset: str) -> int:
    if len(offset) != 5 or offset[0] not in "+-" or not offset[1:].isdigit():
        return 0
    seconds = int(offset[1:3]) * 3600 + int(offset[3:5]) * 60
    return -seconds if offset[0] == "-" else seconds


# --------------------------------------------------------------------------- GTO's semantics
#
# What follows gives GTO tags the meaning GTO 1.x gives them (gto/base.py, gto/tag.py), without
# importing GTO and pydantic (a third of a second) or building pydantic models per event. The
# orders matter where times tie, so every list is built in the order GTO builds it and sorted
# the way GTO sorts it: a stable sort by time, then reversed ("newest first"). The tests check
# this against GTO's own code on generated tag sets, and against the gto CLI on real tags.

_EVENT_OF = {
    "register": "registration",
    "deregister": "deregistration",
    "assign": "assignment",
    "unassign": "unassignment",
}
_PRIORITY = {
    "deprecation": 2,
    "registration": 3,
    "deregistration": 4,
    "assignment": 5,
    "unassignment": 6,
}


@dataclasses.dataclass(eq=False)
class _TagEvent:
    kind: str  # a key of _PRIORITY
    tag: Tag
    artifact: str
    version: str | None = None
    stage: str | None = None

    @property
    def addition(self) -> bool:
        return self.kind in ("registration", "assignment")


def _newest_first(events: list[_TagEvent]) -> list[_TagEvent]:
    return sorted(events, key=lambda e: e.tag.seconds)[::-1]


def _add(events: list[_TagEvent], event: _TagEvent) -> None:
    events.append(event)
    events.sort(key=lambda e: e.tag.seconds)


def _authoring(direct: list[_TagEvent], indirect: list[_TagEvent]) -> _TagEvent:
    """The event a version or stage is dated and credited by: the newest addition among its
    own events, else the newest of the events of its stages."""
    additions = [e for e in direct if e.addition]
    return additions[0] if additions else indirect[0]


class _Stage:
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version
        self.assignments: list[_TagEvent] = []
        self.unassignments: list[_TagEvent] = []

    def events(self) -> list[_TagEvent]:
        return _newest_first(self.assignments + self.unassignments)

    @property
    def active(self) -> bool:
        return self.events()[0].kind == "assignment"

    @property
    def activated(self) -> int:
        """When the stage's assignment in effect was made (its newest event)."""
        return self.events()[0].tag.seconds


class _Version:
    def __init__(self, name: str, commit: str) -> None:
        self.name = name
        self.commit = commit
        self.registrations: list[_TagEvent] = []
        self.deregistrations: list[_TagEvent] = []
        self.stages: dict[str, _Stage] = {}

    def direct(self) -> list[_TagEvent]:
        return _newest_first(self.registrations + self.deregistrations)

    def _staged(self) -> list[_TagEvent]:
        return [e for s in self.stages.values() for e in s.events()]

    def indirect(self) -> list[_TagEvent]:
        return _newest_first(self._staged())

    def events(self) -> list[_TagEvent]:
        return _newest_first(self.registrations + self.deregistrations + self._staged())

    @property
    def discovered(self) -> bool:  # known from stage tags only
        return not self.registrations and not self.deregistrations

    @property
    def active(self) -> bool:
        direct = self.direct()
        if direct:
            return direct[0].kind == "registration"
        return bool(self.indirect())

    def authoring(self) -> _TagEvent:
        return _authoring(self.direct(), self.indirect())

    def active_stages(self) -> list[_Stage]:
        """Stages in effect for this version, the earliest assigned first."""
        return sorted([s for s in self.stages.values() if s.active], key=lambda s: s.activated)

    def add(self, event: _TagEvent) -> None:
        if event.kind == "registration":
            _add(self.registrations, event)
        elif event.kind == "deregistration":
            _add(self.deregistrations, event)
        else:
            name = str(event.stage)
            stage = self.stages.setdefault(name, _Stage(name, self.name))
            _add(stage.assignments if event.kind == "assignment" else stage.unassignments, event)


def _by_semver(versions: list[_Version]) -> list[_Version]:
    """Highest SemVer first, then names that are not SemVer (commit hashes), Z to A."""
    parsed: list[tuple[Any, _Version]] = []
    other: list[_Version] = []
    for version in versions:
        semver = _semver(version.name)
        if semver is None:
            other.append(version)
        else:
            parsed.append((semver, version))
    ordered = [v for _, v in sorted(parsed, key=lambda p: p[0])[::-1]]
    return ordered + sorted(other, key=lambda v: v.name)[::-1]


@functools.lru_cache(maxsize=4096)  # each artifact's versions are ordered again per stage
def _semver(name: str) -> Any:
    """The ``semver`` package's reading of a version name 'vX.Y.Z...', or None."""
    import semver

    if not name.startswith("v"):
        return None
    try:
        return semver.Version.parse(name[1:])
    except (ValueError, TypeError, IndexError):
        return None


class _Artifact:
    def __init__(self, name: str) -> None:
        self.name = name
        self.versions: list[_Version] = []
        self.deprecations: list[_TagEvent] = []

    def find(self, name: str | None, commit: str) -> _Version:
        """The version of that name (any, when None) at COMMIT that has registration events;
        a new one when there is none (as GTO does, also when one known from stage tags only
        exists)."""
        found = [
            v
            for v in self.versions
            if (not name or v.name == name) and v.commit == commit and not v.discovered
        ]
        if len(found) > 1:
            raise FindingError(
                Finding(
                    "registry",
                    f"the GTO tags cannot be read as a registry: artifact '{self.name}' has "
                    f"versions {', '.join(v.name for v in found)} on the same commit "
                    f"{commit[:7]}; GTO allows one version per commit.",
                )
            )
        if found:
            return found[0]
        version = _Version(name or commit, commit)
        self.versions.append(version)
        return version

    def events(self) -> list[_TagEvent]:
        return _newest_first(self.deprecations + [e for v in self.versions for e in v.events()])

    def versions_in_effect(
        self, registered_only: bool, discovered: bool, by_time: bool = False
    ) -> list[_Version]:
        chosen = [
            v
            for v in self.versions
            if v.active
            and (
                (v.registrations and not v.discovered)
                or (discovered and v.discovered)
                or (not registered_only and not v.registrations)
            )
        ]
        if by_time:
            return sorted(chosen, key=lambda v: v.authoring().tag.seconds)[::-1]
        return _by_semver(chosen)

    def stages(self, by_time: bool) -> dict[str, _Stage]:
        """The version in effect in each stage: of the versions' active stages (most recent
        first when BY_TIME, else by the highest version), the first one per stage."""
        staged = [
            s for v in self.versions_in_effect(False, False, by_time) for s in v.active_stages()
        ]
        if by_time:  # GTO sorts by the newest assignment: for a stage in effect, its newest event
            staged = sorted(staged, key=lambda s: s.activated)[::-1]
        chosen: dict[str, _Stage] = {}
        for stage in staged:
            chosen.setdefault(stage.name, stage)
        return chosen


def build(
    tags: list[Tag],
    configured_stages: list[str] | None = None,
    declared: dict[str, dict[str, Any]] | None = None,
) -> Registry:
    """The registry state from annotated GTO tags, with GTO's meaning (see above), and the
    artifacts DECLARED in artifacts.yaml that no tag names yet (as ``gto show`` lists them:
    active, not registered, no version)."""
    declared = declared or {}
    if not tags:
        registry = Registry({}, configured_stages or [], [], 0, [], [], declared=declared)
        _add_declared(registry.artifacts, declared, registry.stages)
        return registry
    parsed = [(tag, parse_name(tag.name)) for tag in tags]
    state: dict[str, _Artifact] = {}
    # GTO applies artifact, then version, then stage events, each group sorted by tag time.
    for actions in (("deprecate",), ("register", "deregister"), ("assign", "unassign")):
        group = sorted(
            ((tag, p) for tag, p in parsed if p is not None and p[1] in actions),
            key=lambda item: item[0].seconds,
        )
        for tag, (name, action, version, stage) in group:
            artifact = state.setdefault(name, _Artifact(name))
            if action == "deprecate":
                _add(artifact.deprecations, _TagEvent("deprecation", tag, name))
                continue
            if action in ("assign", "unassign"):
                version = artifact.find(None, tag.target).name
            event = _TagEvent(_EVENT_OF[action], tag, name, version, stage)
            artifact.find(version, tag.target).add(event)
    if configured_stages is not None:
        stages = configured_stages
    else:
        stages = sorted({s for a in state.values() for s in a.stages(by_time=False)})
    artifacts: dict[str, ArtifactEntry] = {}
    for artifact in state.values():
        latest = next(iter(artifact.versions_in_effect(True, False)), None)
        in_stage = artifact.stages(by_time=True)  # as `gto show` sorts
        versions = []
        for in_effect in artifact.versions_in_effect(False, True):
            author = in_effect.authoring()
            versions.append(
                VersionEntry(
                    version=in_effect.name,
                    commit=in_effect.commit,
                    registered=bool(in_effect.registrations),
                    created_at=author.tag.time.isoformat(),
                    author=author.tag.tagger,
                    author_email=author.tag.email,
                    message=author.tag.message.strip(),
                    stages=tuple(s for s, v in in_stage.items() if v.version == in_effect.name),
                )
            )
        events = artifact.events()
        artifacts[artifact.name] = ArtifactEntry(
            name=artifact.name,
            latest=latest.name if latest else None,
            latest_commit=latest.commit if latest else None,
            stages={
                stage: (in_stage[stage].version,) if stage in in_stage else () for stage in stages
            },
            registered=bool(events),
            active=bool(events) and events[0].kind != "deprecation",
            versions=tuple(versions),
        )
    history: list[tuple[tuple[int, int], Event]] = []
    for artifact in state.values():
        for event in artifact.events():
            tag = event.tag
            entry = Event(
                timestamp=tag.time.isoformat(),
                artifact=event.artifact,
                event=event.kind,
                priority=_PRIORITY[event.kind],
                version=event.version,
                stage=event.stage,
                commit=tag.target,
                author=tag.tagger,
                author_email=tag.email,
                message=tag.message.strip(),
                ref=tag.name,
            )
            history.append(((tag.seconds, entry.priority), entry))
    # as `gto history`: ascending by (time, priority), then reversed, so ties keep GTO's order
    history.sort(key=lambda e: e[0])
    _add_declared(artifacts, declared, stages)
    return Registry(
        artifacts, stages, [e for _, e in reversed(history)], len(tags), [], [], declared=declared
    )


def _add_declared(
    artifacts: dict[str, ArtifactEntry], declared: dict[str, dict[str, Any]], stages: list[str]
) -> None:
    """Artifacts of artifacts.yaml without tags: GTO lists them as active and unregistered."""
    for name in declared:
        artifacts.setdefault(
            name,
            ArtifactEntry(
                name=name,
                latest=None,
                latest_commit=None,
                stages={stage: () for stage in stages},
                registered=False,
                active=True,
                versions=(),
            ),
        )


def gto_config(root: Path) -> dict[str, Any]:
    """The ``.gto`` config at ROOT (the git root) with its keys lower-cased, as GTO's settings
    read them (``stages``, ``STAGES`` and ``Stages`` are one key); {} without one."""
    from mkdocs_mlplugin.facts.structured import parse_yaml, read_text
    from mkdocs_mlplugin.guards import Missing

    try:
        data = parse_yaml(read_text(root, CONFIG_FILE), CONFIG_FILE)
    except Missing:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k).lower(): v for k, v in reversed(list(data.items()))}


def configured_stages(config: dict[str, Any]) -> list[str] | None:
    """The ``stages:`` a ``.gto`` config allows, when it lists them (as GTO reads it)."""
    stages = config.get("stages")
    return [str(s) for s in stages] if isinstance(stages, list) else None


CONFIG_FILE = ".gto"
# GTO's name rule (gto.constants.name_re, searched as GTO does), for artifacts.yaml's names
_VALID_NAME = re.compile(f"^{_NAME}$")
_ARTIFACT_KEYS = {"type", "path", "virtual", "labels", "description", "custom"}
_TRUE = {"1", "on", "t", "true", "y", "yes"}  # pydantic's lax booleans, lower-cased
_FALSE = {"0", "off", "f", "false", "n", "no"}


def index_path(config: dict[str, Any]) -> str:
    """Where GTO's artifacts.yaml is, relative to the git root: ``index`` in .gto, else
    artifacts.yaml. A path that leaves the repository is refused."""
    index = config.get("index", INDEX)
    if not isinstance(index, str) or not index.strip():
        raise FindingError(
            Finding("registry", f"{CONFIG_FILE}: 'index' must be a file name.", CONFIG_FILE)
        )
    normal = posixpath.normpath(index.replace("\\", "/"))
    if normal.startswith(("/", "../")) or normal == ".." or normal[1:2] == ":":
        raise FindingError(
            Finding(
                "registry",
                f"{CONFIG_FILE}: 'index' ({index!r}) leaves the repository; GTO's artifacts.yaml "
                "must be inside it.",
                CONFIG_FILE,
            )
        )
    return normal


def read_index(root: Path, index: str = INDEX) -> dict[str, dict[str, Any]]:
    """GTO's artifacts.yaml at ROOT (the git root), checked as GTO's ``Index.read_state``
    checks it (each artifact a mapping; type and path text or null; labels a list of text;
    description text; names by GTO's name rule, while types and labels are checked by GTO only
    when it writes the file): name -> {type, path, description, labels, virtual, custom}. {}
    when there is none; a finding naming the file (and line) when GTO could not read it either."""
    from mkdocs_mlplugin.facts.structured import parse_yaml, read_text
    from mkdocs_mlplugin.guards import Missing

    try:
        text = read_text(root, index)  # inside the repository, a regular file, bounded
    except Missing:
        return {}
    data = parse_yaml(text, index)

    def bad(message: str, name: Any = None) -> FindingError:
        line = None
        if name is not None:
            found = re.search(rf"^['\"]?{re.escape(str(name))}['\"]?\s*:", text, re.M)
            line = text[: found.start()].count("\n") + 1 if found else None
        return FindingError(
            Finding(
                "invalid_project_file",
                f"{index}: {message} GTO cannot read this file.",
                index,
                line,
            )
        )

    if not isinstance(data, dict):
        raise bad("it must map artifact names to their descriptions.")
    declared: dict[str, dict[str, Any]] = {}
    for name, entry in data.items():
        if not isinstance(name, str) or not _VALID_NAME.search(name):
            raise bad(
                f"{name!r} is not a valid artifact name (letters, digits, '-', '_', '/').", name
            )
        if entry is None or not isinstance(entry, dict):
            raise bad(
                f"artifact '{name}' must be a mapping (type, path, labels, description).", name
            )
        fields = {k: v for k, v in entry.items() if k in _ARTIFACT_KEYS}
        for key in ("type", "path"):
            if fields.get(key) is not None and not isinstance(fields[key], str):
                raise bad(f"artifact '{name}': '{key}' must be text.", name)
        description = fields.get("description", "")
        if not isinstance(description, str):
            raise bad(f"artifact '{name}': 'description' must be text.", name)
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise bad(f"artifact '{name}': 'labels' must be a list of text.", name)
        virtual = fields.get("virtual", True)
        if isinstance(virtual, str) and virtual.strip().lower() in _TRUE | _FALSE:
            virtual = virtual.strip().lower() in _TRUE
        elif isinstance(virtual, (int, float)) and not isinstance(virtual, bool):
            virtual = bool(virtual) if virtual in (0, 1) else virtual
        if not isinstance(virtual, bool):
            raise bad(f"artifact '{name}': 'virtual' must be true or false.", name)
        declared[name] = {
            "type": fields.get("type"),
            "path": fields.get("path"),
            "description": description,
            "labels": labels,
            "virtual": virtual,
            "custom": fields.get("custom"),
        }
    return declared


def read(repo: GitRepo, previous: Registry | None = None, raw: bytes | None = None) -> Registry:
    """The registry of the repository: one git process (RAW, its output, when it already
    ran), GTO's semantics, and GTO's artifacts.yaml. PREVIOUS, read by an earlier build of
    the same process (``mkdocs serve``), is returned while the tags, the .gto config and
    artifacts.yaml are the same. A broken artifacts.yaml is a finding in ``problems``; the
    tags are still read."""
    raw = raw if raw is not None else list_tags(repo)
    config = gto_config(repo.root)
    stages = configured_stages(config)
    problems: list[Finding] = []
    index, declared = INDEX, {}
    try:
        index = index_path(config)
        declared = read_index(repo.root, index)
    except FindingError as exc:
        problems.append(exc.finding)
    source = (raw, stages, index, declared, problems)
    if previous is not None and previous.source == source:
        return previous
    tags, ignored, lightweight, count, undated = read_tags(raw)
    registry = build(tags, stages, declared)
    registry.tags, registry.ignored, registry.lightweight = count, ignored, lightweight
    registry.undated = undated
    registry.index, registry.problems = index, problems
    registry.source = source
    return registry


def read_registry(root: str | Path) -> Registry:
    """The registry of the git repository at ROOT (for scripts and benchmarks)."""
    return read(open_repo(Path(root)))


#: in model_version's MD5_AT: the file at that commit does not record the work tree's md5
OTHER_MD5 = "(another md5)"


def model_version(
    entry: ArtifactEntry, head_md5: str | None, md5_at: dict[str, str | None]
) -> dict[str, Any] | None:
    """Which registered version of ENTRY (a registry artifact) the model in the work tree is,
    by its hash: HEAD_MD5, the work tree's, against MD5_AT (commit -> the model's md5 in
    dvc.lock or its .dvc file at that commit, None where git has none, OTHER_MD5 where it is
    known not to be HEAD_MD5 without being read: it need not be). The highest matching
    version wins, as GTO orders them. None when nothing is registered.

    state: "registered" (the work tree's model is VERSION), "unregistered" (no registered
    version has its hash) or "unknown" (a hash is missing on either side); text: what the
    card header and the provenance box say."""
    registered = [v for v in entry.versions if v.registered]
    latest, latest_commit = entry.latest, entry.latest_commit
    if not registered or latest is None or latest_commit is None:
        return None
    latest_md5 = md5_at.get(latest_commit)
    shown = latest_md5[:8] if latest_md5 else "unknown"
    at = f"latest registered {latest} (md5 {shown}) at {latest_commit[:7]}"
    found = {
        "head_md5": head_md5,
        "latest": latest,
        "latest_commit": latest_commit,
        "latest_md5": latest_md5,
        "version": None,
        "version_commit": None,
    }
    match = next((v for v in registered if head_md5 and md5_at.get(v.commit) == head_md5), None)
    if match is not None:
        version, commit = match.version, match.commit
        text = f"the model in the work tree is {version} (registered at {commit[:7]})"
        if version != latest:
            text += f"; {at}"
        return found | {
            "state": "registered",
            "version": version,
            "version_commit": commit,
            "text": text,
            "note": text,
        }
    if head_md5 is not None and latest_md5 is not None:
        unknown = [v.version for v in registered if md5_at.get(v.commit) is None]
        text = f"unregistered; {at}"
        if unknown:
            text += f" (the hash of {', '.join(unknown)} at its commit is unknown)"
        return found | {"state": "unregistered", "text": text, "note": text}
    why = (
        "the work tree records no md5 for it"
        if head_md5 is None
        else f"git has no md5 of it at {latest_commit[:7]}"
    )
    text = f"{at}; whether the model in the work tree is that version is unknown: {why}"
    return found | {"state": "unknown", "text": text, "note": text}
