"""The model registry from GTO tags, read with one ``git for-each-ref``.

GTO registers versions and stages as annotated git tags (``clf@v1.2.0``, ``clf#prod#3``,
``clf@v1.2.0!``, ``clf#prod!#4``, ``clf@deprecated``). This module reads every tag in one git
call and hands them to GTO's own code (``gto.tag.parse_name``, ``gto.tag.index_tag``,
``gto.base``), in the order GTO applies them, so versions, the latest version and stage
assignments mean exactly what ``gto show`` and ``gto history`` say. Only GTO's slow tag
reading is replaced.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from .findings import Finding, MLPluginError
from .git import GitRepo, open_repo

_FIELDS = (
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(tagger)",
    "%(contents)",
)
_RECORD = "\x1e"


@dataclasses.dataclass
class Registry:
    """Every artifact GTO knows of, with versions, stages and history, plus what was skipped."""

    artifacts: dict[str, dict[str, Any]]
    stages: list[str]
    history: list[dict[str, Any]]
    tags: int  # tags read
    ignored: list[str]  # tag names that are not GTO tags
    lightweight: list[str]  # GTO tag names that are lightweight tags, which GTO ignores
    # what it was built from (the tag listing, the .gto stages): a serve rebuild reuses it
    source: Any = dataclasses.field(default=None, repr=False, compare=False)

    def artifact(self, name: str) -> dict[str, Any] | None:
        return self.artifacts.get(name)


def list_tags(repo: GitRepo) -> bytes:
    """Every tag with what GTO reads of it: one ``git for-each-ref``."""
    return repo.run("for-each-ref", f"--format={_RECORD}" + "%00".join(_FIELDS), "refs/tags")


def read_tags(raw: bytes) -> tuple[list[Any], list[str], list[str], int]:
    """(annotated GTO tags as scmrepo GitTag objects, non-GTO names, lightweight GTO names,
    count) from the output of list_tags."""
    tags: list[Any] = []
    ignored: list[str] = []
    lightweight: list[str] = []
    records = raw.decode("utf-8", "surrogateescape").split(_RECORD)[1:]
    names = [record.split("\x00", 1)[0] for record in records]
    if not any("@" in name or "#" in name for name in names):
        # every GTO tag name has '@' (a version) or '#' (a stage): GTO is not even imported
        return tags, names, lightweight, len(records)
    from gto.tag import parse_name
    from scmrepo.git.objects import GitTag

    for record in records:
        name, kind, sha, target, ident, message = (record.split("\x00", 5) + [""] * 6)[:6]
        if not parse_name(name, raise_on_fail=False):
            ignored.append(name)
            continue
        if kind != "tag":
            lightweight.append(name)
            continue
        tagger, email, seconds, offset = _identity(ident)
        tags.append(
            GitTag(
                name=name,
                hexsha=sha,
                target=target,
                tagger_name=tagger,
                tagger_email=email,
                tag_time=int(seconds or 0),
                tag_time_offset=_offset_seconds(offset),
                message=message.rstrip("\n") + "\n" if message else "",
            )
        )
    return tags, ignored, lightweight, len(records)


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


def build(tags: list[Any], configured_stages: list[str] | None = None) -> Registry:
    """The registry state from annotated GTO tags, computed by GTO's own event logic."""
    if not tags:
        return Registry({}, configured_stages or [], [], 0, [], [])
    from gto.base import BaseRegistryState
    from gto.constants import Action, VersionSort
    from gto.tag import index_tag, parse_name

    state = BaseRegistryState()
    # GTO's managers apply artifact, then version, then stage events, each sorted by time.
    for actions in (
        {Action.CREATE, Action.DEPRECATE},
        {Action.REGISTER, Action.DEREGISTER},
        {Action.ASSIGN, Action.UNASSIGN},
    ):
        for tag in sorted(
            (t for t in tags if parse_name(t.name).get("action") in actions),
            key=lambda t: t.tag_time,
        ):
            name = parse_name(tag.name)["name"]
            state.update_artifact(index_tag(state.find_artifact(name, create_new=True), tag))
    stages = configured_stages if configured_stages is not None else sorted(state.unique_stages)
    artifacts = {}
    for artifact in state.get_artifacts().values():
        latest = artifact.get_latest_version(registered_only=True)
        vstages = artifact.get_vstages(sort=VersionSort.Timestamp)  # as `gto show` sorts
        versions = []
        for version in artifact.get_versions(include_non_explicit=True, include_discovered=True):
            versions.append(
                {
                    "version": version.version,
                    "commit": version.commit_hexsha,
                    "registered": version.is_registered,
                    "created_at": version.created_at.isoformat(),
                    "author": version.author,
                    "author_email": version.author_email,
                    "message": version.message,
                    "stages": [
                        s.stage
                        for ss in vstages.values()
                        for s in ss
                        if s.version == version.version
                    ],
                }
            )
        artifacts[artifact.artifact] = {
            "name": artifact.artifact,
            "latest": latest.version if latest else None,
            "latest_commit": latest.commit_hexsha if latest else None,
            "stages": {stage: [s.version for s in vstages.get(stage, [])] for stage in stages},
            "registered": artifact.is_registered,
            "active": artifact.is_active,
            "versions": versions,
        }
    events: list[tuple[Any, dict[str, Any]]] = []
    for artifact in state.get_artifacts().values():
        for event in artifact.get_events():
            kind = type(event).__name__.lower()
            if kind == "commit":
                continue
            entry = {
                "timestamp": event.created_at.isoformat(),
                "artifact": event.artifact,
                "event": kind,
                "priority": event.priority,
                "version": getattr(event, "version", None),
                "stage": getattr(event, "stage", None),
                "commit": event.commit_hexsha,
                "author": event.author,
                "author_email": event.author_email,
                "message": event.message,
                "ref": event.ref,
            }
            events.append(((event.created_at, event.priority), entry))
    # as `gto history`: ascending by (time, priority), then reversed, so ties keep GTO's order
    events.sort(key=lambda e: e[0])
    history = [entry for _, entry in reversed(events)]
    return Registry(artifacts, stages, history, len(tags), [], [])


def configured_stages(root: Path) -> list[str] | None:
    """The ``stages:`` a ``.gto`` config file allows, when it lists them (as GTO reads it)."""
    path = root / ".gto"
    if not path.is_file():
        return None
    from .files import parse_yaml, read_text

    data = parse_yaml(read_text(path, ".gto"), ".gto")
    stages = data.get("stages") if isinstance(data, dict) else None
    return [str(s) for s in stages] if isinstance(stages, list) else None


def read(repo: GitRepo, previous: Registry | None = None) -> Registry:
    """The registry of the repository: one git process, GTO's semantics. PREVIOUS, read by an
    earlier build of the same process (``mkdocs serve``), is returned while the tags and the
    .gto stages are the same."""
    raw, stages = list_tags(repo), configured_stages(repo.root)
    if previous is not None and previous.source == (raw, stages):
        return previous
    tags, ignored, lightweight, count = read_tags(raw)
    try:
        registry = build(tags, stages)
    except Exception as exc:
        from gto.exceptions import GTOException  # imported only when GTO has read tags

        if not isinstance(exc, GTOException):
            raise
        raise MLPluginError(
            Finding("registry", f"the GTO tags cannot be read as a registry: {exc}")
        ) from None
    registry.tags, registry.ignored, registry.lightweight = count, ignored, lightweight
    registry.source = (raw, stages)
    return registry


def read_registry(root: str | Path) -> Registry:
    """The registry of the git repository at ROOT (for scripts and benchmarks)."""
    return read(open_repo(Path(root)))
