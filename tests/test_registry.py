"""The model registry read from GTO tags, checked against GTO itself.

Every registry here is made with the real ``gto`` CLI (``gto register``, ``gto assign``,
``gto deprecate`` for deprecation, deregistration and unassignment: GTO 1.x has no separate
``deregister``/``unassign`` commands). ``registry.read_registry`` must then say exactly what
``gto show --json``, ``gto show NAME --json`` and ``gto history --json`` say.

Tag times: GTO orders events by tag time in seconds, so every tag gets a fixed, distinct time.
GTO writes tags with dulwich, which takes the tagger's name, e-mail and time zone from
``GIT_COMMITTER_NAME``/``EMAIL``/``DATE`` but the time itself from ``time.time()``: setting
``GIT_COMMITTER_DATE`` alone does not fix it. So GTO's CLI (the Typer app ``bin/gto`` runs) is
driven with dulwich's clock pinned to the time of ``GIT_COMMITTER_DATE``, and each tag's tagger
line is checked afterwards. To keep the module fast, the commands of one scenario run one
after another in a single Python process (GTO's import alone takes half a second).

Then the built site: a model card with the version, stages and metrics of every version, the
generated registry page, the Material model card header, version pins, and what a checkout
without tags says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Build, Repo, init_repo
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_timeline import rows as timeline_rows

from mkdocs_mlplugin.facts import registry
from mkdocs_mlplugin.facts.git import open_repo
from mkdocs_mlplugin.findings import FindingError

GTO = Path(sys.executable).with_name("gto")
BOB = ("Bob Tagger", "bob@example.com")
CAROL = ("Carol Ops", "carol@example.com")
NO_CARD_CHECKS: dict[str, Any] = {"card_sections": []}  # model card sections are not tested here

# Runs GTO's CLI (the Typer app bin/gto runs) once per command given as JSON in argv[1], in one
# process, with dulwich's clock pinned to each command's time; prints each command's exit code,
# output and the tags it created, as JSON.
_GTO_SESSION = """
import contextlib
import io
import json
import os
import subprocess
import sys
import time

import dulwich.porcelain.tag as tag_module
from gto.cli import app


class PinnedClock:
    stamp = 0.0

    def __getattr__(self, name):
        return getattr(time, name)

    def time(self):
        return self.stamp


def tags():
    listed = subprocess.run(["git", "tag", "--list"], capture_output=True, text=True, check=True)
    return set(listed.stdout.split())


clock = PinnedClock()
tag_module.time = clock
results = []
for command in json.loads(sys.argv[1]):
    clock.stamp = float(command["stamp"])
    os.environ.update(command["env"])
    before = tags()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = app(command["args"], prog_name="gto", standalone_mode=False) or 0
        except SystemExit as exc:
            code = exc.code
    created = sorted(tags() - before)
    results.append(
        {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue(), "created": created}
    )
print(json.dumps(results))
"""


def gto_session(repo: Repo, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run gto COMMANDS ({args, stamp, env}) in one process; fail on any that fails."""
    result = repo.run(sys.executable, "-c", _GTO_SESSION, json.dumps(commands))
    outcomes: list[dict[str, Any]] = json.loads(result.stdout)
    for command, outcome in zip(commands, outcomes, strict=True):
        assert outcome["code"] == 0, f"gto {' '.join(command['args'])}:\n{outcome['stderr']}"
    return outcomes


# --------------------------------------------------------------------------- making registries


class Gto:
    """gto CLI commands for a repository, each as a tagger at a fixed time (one minute after
    the previous command unless told otherwise). Commands are queued and run together by
    ``run()``, which checks that each made one tag with the tagger line asked for."""

    def __init__(self, repo: Repo, start: str = "2024-02-01T09:00:00+00:00") -> None:
        self.repo = repo
        self.clock = dt.datetime.fromisoformat(start)
        self.queued: list[tuple[list[str], dt.datetime, tuple[str, str]]] = []

    def __call__(self, *args: str, at: str | None = None, who: tuple[str, str] = BOB) -> None:
        when = dt.datetime.fromisoformat(at) if at else self.clock + dt.timedelta(minutes=1)
        self.clock = when
        self.queued.append((list(args), when, who))

    def run(self) -> list[str]:
        """Run the queued commands; return the tags they created, in order."""
        queued, self.queued = self.queued, []
        if not queued:
            return []
        commands = [
            {
                "args": args,
                "stamp": int(when.timestamp()),
                "env": {
                    "GIT_COMMITTER_NAME": who[0],
                    "GIT_COMMITTER_EMAIL": who[1],
                    "GIT_COMMITTER_DATE": when.isoformat(),
                },
            }
            for args, when, who in queued
        ]
        outcomes = gto_session(self.repo, commands)
        taggers = dict(
            line.split("\0", 1)
            for line in self.repo.git(
                "for-each-ref", "--format=%(refname:strip=2)%00%(tagger)", "refs/tags"
            ).splitlines()
        )
        created = []
        for (args, when, who), outcome in zip(queued, outcomes, strict=True):
            assert len(outcome["created"]) == 1, (args, outcome)
            (tag,) = outcome["created"]
            stamp = f"{int(when.timestamp())} {when.strftime('%z')}"
            assert taggers[tag] == f"{who[0]} <{who[1]}> {stamp}", (tag, taggers[tag])
            created.append(tag)
        return created


def gto_json(repo: Repo, *args: str) -> Any:
    """What ``gto ARGS --json`` prints (bin/gto itself)."""
    return json.loads(repo.run(str(GTO), *args, "--json").stdout)


def gto_read(repo: Repo, *commands: tuple[str, ...]) -> list[Any]:
    """What ``gto COMMAND --json`` prints for each command, from one process."""
    outcomes = gto_session(
        repo, [{"args": [*c, "--json"], "stamp": 0, "env": {}} for c in commands]
    )
    return [json.loads(o["stdout"]) for o in outcomes]


def commits(repo: Repo, count: int, start: str = "2024-01-01T10:00:00+00:00") -> list[str]:
    """COUNT commits, one day apart; their hashes, oldest first."""
    first = dt.datetime.fromisoformat(start)
    shas = []
    for i in range(count):
        repo.write("log.txt", f"change {i}\n")
        shas.append(repo.commit(f"Change {i}", date=(first + dt.timedelta(days=i)).isoformat()))
    return shas


def git_tag(repo: Repo, *args: str, at: str = "2024-01-31T08:00:00+00:00") -> None:
    """``git tag ARGS`` with a fixed tagger and time."""
    env = {
        "GIT_COMMITTER_NAME": CAROL[0],
        "GIT_COMMITTER_EMAIL": CAROL[1],
        "GIT_COMMITTER_DATE": at,
    }
    repo.run("git", "tag", *args, env=env)


# --------------------------------------------------------------------------- the differential

_EVENT_KEYS = (
    "timestamp",
    "artifact",
    "event",
    "version",
    "stage",
    "commit",
    "ref",
    "author",
    "author_email",
    "message",
    "priority",
)


def assert_same_as_gto(repo: Repo) -> registry.Registry:
    """read_registry against ``gto show --deprecated`` (every artifact), ``gto show NAME``
    (the versions), ``gto history`` and plain ``gto show`` (which leaves deprecated
    artifacts out)."""
    reg = registry.read_registry(repo.path)
    head = repo.git("rev-parse", "HEAD")
    names = sorted(reg.artifacts)
    shown, history, active, *listed = gto_read(
        repo,
        ("show", "--deprecated"),
        ("history",),
        ("show",),
        *(("show", name, "--deprecated") for name in names),
    )
    assert names == sorted(shown)
    for name, versions in zip(names, listed, strict=True):
        entry = reg.artifacts[name]
        ours = {
            "version": entry.latest,
            "stage": {stage: ", ".join(v) or None for stage, v in entry.stages.items()},
            "registered": entry.registered,
            "active": entry.active,
        }
        assert ours == shown[name], f"gto show: artifact {name}"
        # The versions in effect: what `gto show NAME` lists (for a deprecated artifact it
        # lists none, so they are taken from `--deprecated`, which adds deregistered ones).
        # GTO lists a version that only has stage assignments twice (its commit enrichment
        # adds a copy), so each is taken once. For an artifact of artifacts.yaml it also lists
        # HEAD's commit as a version named by its hash, with no tag behind it: that is
        # artifacts.yaml's content at HEAD, not a version, and is left out.
        theirs = [
            (
                v["version"],
                v["commit_hexsha"],
                bool(v["registrations"]),
                tuple(sorted(s["stage"] for s in v["stages"])),
            )
            for v in versions
            if v["is_active"]
            and not (
                name in reg.declared
                and v["version"] == head
                and not v["registrations"]
                and not v["stages"]
            )
        ]
        assert [
            (v.version, v.commit, v.registered, tuple(sorted(v.stages))) for v in entry.versions
        ] == list(dict.fromkeys(theirs)), f"gto show {name}: versions"
    assert [{k: getattr(e, k) for k in _EVENT_KEYS} for e in reg.history] == [
        {k: e[k] for k in _EVENT_KEYS} for e in history
    ], "gto history"
    assert sorted(active) == sorted(n for n, e in reg.artifacts.items() if e.active)
    return reg


@dataclasses.dataclass
class Expected:
    """What a scenario knows independently of GTO (a check on the differential itself)."""

    latest: dict[str, str | None] = dataclasses.field(default_factory=dict)
    stages: dict[str, dict[str, list[str]]] = dataclasses.field(default_factory=dict)
    ignored: list[str] = dataclasses.field(default_factory=list)
    lightweight: list[str] = dataclasses.field(default_factory=list)
    inactive: list[str] = dataclasses.field(default_factory=list)


def single_version(repo: Repo, gto: Gto) -> Expected:
    commits(repo, 1)
    gto("register", "clf", "--version", "v1.0.0")
    return Expected(latest={"clf": "v1.0.0"})


def semver_order(repo: Repo, gto: Gto) -> Expected:
    """Registered out of order: the latest is the highest SemVer, not the newest tag, a
    release outranks its release candidates, and 0.10 outranks 0.9."""
    c = commits(repo, 6)
    gto("register", "clf", c[0], "--version", "v0.9.0")
    gto("register", "clf", c[1], "--version", "v0.10.0")
    gto("register", "clf", c[3], "--version", "v1.0.0")
    gto("register", "clf", c[2], "--version", "v1.0.0-rc.1")
    gto("register", "clf", c[4], "--version", "v1.0.0-rc.2")
    gto("register", "clf", c[5], "--version", "v0.11.0")
    return Expected(latest={"clf": "v1.0.0"})


def deregistered_version(repo: Repo, gto: Gto) -> Expected:
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0")
    gto("register", "clf", c[1], "--version", "v1.1.0")
    gto("deprecate", "clf", "v1.1.0", "-m", "Bad calibration")
    return Expected(latest={"clf": "v1.0.0"})


def stages_promoted(repo: Repo, gto: Gto) -> Expected:
    """prod and staging move forward from version to version."""
    c = commits(repo, 3)
    for sha, version in zip(c, ("v1.0.0", "v1.1.0", "v1.2.0"), strict=True):
        gto("register", "clf", sha, "--version", version)
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "staging")
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod")
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "staging")
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "prod")
    gto("assign", "clf", "--version", "v1.2.0", "--stage", "staging")
    return Expected(
        latest={"clf": "v1.2.0"}, stages={"clf": {"prod": ["v1.1.0"], "staging": ["v1.2.0"]}}
    )


def stage_rolled_back(repo: Repo, gto: Gto) -> Expected:
    """prod goes to v1.1.0, then back to v1.0.0: the last assignment is in effect."""
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0")
    gto("register", "clf", c[1], "--version", "v1.1.0")
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod")
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "prod")
    # GTO asks for --force: v1.0.0's earlier prod assignment is still on record
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod", "--force", "-m", "Roll back")
    return Expected(latest={"clf": "v1.1.0"}, stages={"clf": {"prod": ["v1.0.0"]}})


def unassigned_stage(repo: Repo, gto: Gto) -> Expected:
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0")
    gto("register", "clf", c[1], "--version", "v1.1.0")
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod")
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "staging")
    gto("deprecate", "clf", "v1.1.0", "staging", "-m", "Staging torn down")
    return Expected(latest={"clf": "v1.1.0"}, stages={"clf": {"prod": ["v1.0.0"]}})


def deprecated_artifact(repo: Repo, gto: Gto) -> Expected:
    c = commits(repo, 2)
    gto("register", "clf", c[1], "--version", "v2.0.0")
    gto("register", "old", c[0], "--version", "v0.3.0")
    gto("assign", "old", "--version", "v0.3.0", "--stage", "prod")
    gto("deprecate", "old", "-m", "Replaced by clf")
    return Expected(latest={"clf": "v2.0.0", "old": "v0.3.0"}, inactive=["old"])


def subdirectory_artifact(repo: Repo, gto: Gto) -> Expected:
    """An artifact of sub/dvc.yaml is named sub/dvc.yaml:det; its tags say sub/dvc.yaml=det."""
    c = commits(repo, 2)
    gto("register", "sub/dvc.yaml:det", c[0], "--version", "v0.1.0")
    assert gto.run() == ["sub/dvc.yaml=det@v0.1.0"]
    gto("register", "sub/dvc.yaml:det", c[1], "--version", "v0.2.0")
    gto("assign", "sub/dvc.yaml:det", "--version", "v0.1.0", "--stage", "prod")
    gto("register", "clf", c[1], "--version", "v1.0.0")
    return Expected(latest={"sub/dvc.yaml:det": "v0.2.0", "clf": "v1.0.0"})


def lightweight_lookalike(repo: Repo, gto: Gto) -> Expected:
    """``git tag clf@v9.9.9`` looks like a GTO tag, but GTO ignores lightweight tags."""
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0")
    repo.git("tag", "clf@v9.9.9", c[1])
    repo.git("tag", "clf#prod#7", c[1])
    return Expected(latest={"clf": "v1.0.0"}, lightweight=["clf#prod#7", "clf@v9.9.9"])


def other_tags(repo: Repo, gto: Gto) -> Expected:
    """Release tags that are not GTO's, lightweight and annotated, are left alone."""
    c = commits(repo, 2)
    repo.git("tag", "v1.0", c[0])
    git_tag(repo, "-a", "release-2024", "-m", "Release 2024", c[1])
    gto("register", "clf", c[1], "--version", "v1.0.0")
    return Expected(latest={"clf": "v1.0.0"}, ignored=["release-2024", "v1.0"])


def stage_without_version(repo: Repo, gto: Gto) -> Expected:
    """A stage assigned to a commit no version is registered at (``--sr``): GTO names that
    version by the commit hash and does not count it as registered."""
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0")
    gto("assign", "clf", c[1], "--stage", "dev", "--sr")
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod")
    return Expected(latest={"clf": "v1.0.0"}, stages={"clf": {"dev": [c[1]], "prod": ["v1.0.0"]}})


def same_second(repo: Repo, gto: Gto) -> Expected:
    """A script that registers and assigns at once: several tags in the same second."""
    c = commits(repo, 2)
    now = "2024-02-02T12:00:00+00:00"
    gto("register", "clf", c[0], "--version", "v1.0.0", at=now)
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod", at=now)
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "staging", at=now)
    later = "2024-02-03T12:00:00+00:00"
    gto("register", "clf", c[1], "--version", "v1.1.0", at=later)
    gto("deprecate", "clf", "v1.0.0", "staging", at=later)
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "staging", at=later)
    return Expected(latest={"clf": "v1.1.0"})


def time_zones(repo: Repo, gto: Gto) -> Expected:
    """Taggers in different zones: times keep their zone, order is by the instant."""
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0", at="2024-02-01T20:00:00+05:30")
    gto("register", "clf", c[1], "--version", "v1.1.0", at="2024-02-01T09:00:00-07:00")
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "prod", at="2024-02-02T01:15:00+09:45")
    return Expected(latest={"clf": "v1.1.0"})


def several_artifacts(repo: Repo, gto: Gto) -> Expected:
    """Everything at once, in several artifacts, with several taggers."""
    c = commits(repo, 4)
    gto("register", "clf", c[0], "--version", "v1.0.0", "-m", "First model")
    gto("register", "enc", c[0], "--version", "v0.1.0", who=CAROL)
    gto("register", "clf", c[2], "--version", "v1.1.0-rc.1")
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod", who=CAROL)
    gto("register", "enc", c[1], "--version", "v0.2.0")
    gto("assign", "enc", "--version", "v0.2.0", "--stage", "prod")
    gto("deprecate", "enc", "v0.2.0", "-m", "Leaky features", who=CAROL)
    gto("register", "clf", c[3], "--version", "v1.1.0")
    gto("assign", "clf", "--version", "v1.1.0", "--stage", "staging")
    return Expected(latest={"clf": "v1.1.0", "enc": "v0.1.0"})


def tagger_with_angle_brackets(repo: Repo, gto: Gto) -> Expected:
    """GTO writes the tagger name as given; a name with '<...>' in it must be read as GTO
    reads it (the e-mail is the last '<...>' of the line), not cut at the first '<'."""
    c = commits(repo, 2)
    gto("register", "clf", c[0], "--version", "v1.0.0")
    gto(
        "register",
        "clf",
        c[1],
        "--version",
        "v1.1.0",
        who=("Eve <script>alert(1)</script>", "eve@example.com"),
    )
    gto("assign", "clf", "--version", "v1.0.0", "--stage", "prod")
    return Expected(latest={"clf": "v1.1.0"})


SCENARIOS: list[Callable[[Repo, Gto], Expected]] = [
    single_version,
    semver_order,
    deregistered_version,
    stages_promoted,
    stage_rolled_back,
    unassigned_stage,
    deprecated_artifact,
    subdirectory_artifact,
    lightweight_lookalike,
    other_tags,
    stage_without_version,
    same_second,
    time_zones,
    several_artifacts,
    tagger_with_angle_brackets,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_the_registry_is_what_gto_says(
    tmp_path: Path, scenario: Callable[[Repo, Gto], Expected]
) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    gto = Gto(repo)
    expected = scenario(repo, gto)
    gto.run()
    reg = assert_same_as_gto(repo)
    for name, latest in expected.latest.items():
        assert reg.artifacts[name].latest == latest, name
    for name, stages in expected.stages.items():
        assert {s: list(v) for s, v in reg.artifacts[name].stages.items() if v} == stages, name
    assert reg.ignored == expected.ignored
    assert reg.lightweight == expected.lightweight
    assert reg.tags == len(repo.git("tag", "--list").split())
    assert sorted(n for n, e in reg.artifacts.items() if not e.active) == expected.inactive


# --------------------------------------------------------------------------- GTO's own code
#
# The registry gives tags GTO's meaning without importing GTO. Here GTO's own functions
# (gto.tag.parse_name, gto.tag.index_tag, gto.base) are the oracle, on generated tag sets with
# what real registries rarely show but GTO defines: tags in the same second, time zones,
# versions known from stage tags only, two versions on one commit, deregistered and
# re-registered versions, SemVer build metadata, deprecations.


def gto_build(tags: list[registry.Tag]) -> dict[str, Any]:
    """The registry by GTO's own code, in the shape registry.build returns."""
    from gto.base import BaseRegistryState
    from gto.constants import Action, VersionSort
    from gto.tag import index_tag, parse_name
    from scmrepo.git.objects import GitTag

    objects = [
        GitTag(t.name, "0" * 40, t.target, t.tagger, t.email, t.seconds, t.offset, t.message)
        for t in tags
        if parse_name(t.name, raise_on_fail=False)
    ]
    state = BaseRegistryState()
    for actions in (
        {Action.CREATE, Action.DEPRECATE},
        {Action.REGISTER, Action.DEREGISTER},
        {Action.ASSIGN, Action.UNASSIGN},
    ):
        chosen = [t for t in objects if parse_name(t.name).get("action") in actions]
        for tag in sorted(chosen, key=lambda t: t.tag_time):
            name = parse_name(tag.name)["name"]
            state.update_artifact(index_tag(state.find_artifact(name, create_new=True), tag))
    stages = sorted(state.unique_stages)
    artifacts = {}
    for artifact in state.get_artifacts().values():
        latest = artifact.get_latest_version(registered_only=True)
        vstages = artifact.get_vstages(sort=VersionSort.Timestamp)
        artifacts[artifact.artifact] = {
            "name": artifact.artifact,
            "latest": latest.version if latest else None,
            "latest_commit": latest.commit_hexsha if latest else None,
            "stages": {s: [v.version for v in vstages.get(s, [])] for s in stages},
            "registered": artifact.is_registered,
            "active": artifact.is_active,
            "versions": [
                {
                    "version": v.version,
                    "commit": v.commit_hexsha,
                    "registered": v.is_registered,
                    "created_at": v.created_at.isoformat(),
                    "author": v.author,
                    "author_email": v.author_email,
                    "message": v.message,
                    "stages": [
                        s.stage for ss in vstages.values() for s in ss if s.version == v.version
                    ],
                }
                for v in artifact.get_versions(include_non_explicit=True, include_discovered=True)
            ],
        }
    events = [
        ((e.created_at, e.priority), e)
        for a in state.get_artifacts().values()
        for e in a.get_events()
        if type(e).__name__ != "Commit"
    ]
    events.sort(key=lambda item: item[0])
    history = [
        {
            "timestamp": e.created_at.isoformat(),
            "artifact": e.artifact,
            "event": type(e).__name__.lower(),
            "priority": e.priority,
            "version": getattr(e, "version", None),
            "stage": getattr(e, "stage", None),
            "commit": e.commit_hexsha,
            "author": e.author,
            "author_email": e.author_email,
            "message": e.message,
            "ref": e.ref,
        }
        for _, e in reversed(events)
    ]
    return {"artifacts": artifacts, "stages": stages, "history": history}


GTO_TAG_NAME = st.builds(
    lambda artifact, action, version, stage, cancel, counter: (
        f"{artifact}@{version}{cancel}{counter}"
        if action == "version"
        else f"{artifact}#{stage}{cancel}{counter}"
        if action == "stage"
        else f"{artifact}@{action}{counter}"
    ),
    st.sampled_from(["clf", "det", "sub/dvc.yaml=seg"]),
    st.sampled_from(["version", "version", "stage", "stage", "deprecated", "created"]),
    st.sampled_from(["v1.0.0", "v1.1.0", "v1.0.0+build.2", "v2.0.0-rc.1", "v0.10.0", "v0.9.0"]),
    st.sampled_from(["prod", "staging", "dev"]),
    st.sampled_from(["", "", "!"]),
    st.sampled_from(["", "#1", "#2", "#17"]),
)
GTO_TAG = st.builds(
    registry.Tag,
    name=GTO_TAG_NAME,
    target=st.sampled_from(["a" * 40, "b" * 40, "c" * 40]),  # few commits: collisions
    tagger=st.sampled_from(["Bob", "Carol Ops", ""]),
    email=st.sampled_from(["bob@example.com", "c@x"]),
    seconds=st.sampled_from([1_700_000_000, 1_700_000_060, 1_700_003_600]),  # ties
    offset=st.sampled_from([0, 3600, -25200, 20700]),
    message=st.sampled_from(["", "Registered\n", "  Roll back  \n"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(GTO_TAG, max_size=14, unique_by=lambda t: t.name))
def test_the_registry_means_what_gtos_own_code_says(tags: list[registry.Tag]) -> None:
    try:
        expected: dict[str, Any] | None = gto_build(tags)
    except Exception as exc:  # GTO refuses two versions on one commit
        from gto.exceptions import ManyVersions

        assert isinstance(exc, ManyVersions), repr(exc)
        expected = None
    if expected is None:
        with pytest.raises(FindingError, match="on the same commit"):
            registry.build(tags)
        return
    ours = registry.build(tags)
    assert {name: a.as_dict() for name, a in ours.artifacts.items()} == expected["artifacts"]
    assert ours.stages == expected["stages"]
    assert [e.as_dict() for e in ours.history] == expected["history"]


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        GTO_TAG_NAME,
        st.text(alphabet="ab1-_./=:@#!v0.+", max_size=20),
        st.from_regex(r"[a-z0-9/._=-]{1,8}[@#][a-z0-9.+!#-]{0,14}", fullmatch=True),
    )
)
def test_tag_names_are_read_as_gto_reads_them(name: str) -> None:
    from gto.constants import Action
    from gto.tag import parse_name

    theirs = parse_name(name, raise_on_fail=False)
    ours = registry.parse_name(name)
    if not theirs:
        assert ours is None
        return
    action = theirs.get("action", Action.CREATE).value
    assert ours == (theirs["name"], action, theirs.get("version"), theirs.get("stage"))


# --------------------------------------------------------------------------- artifacts.yaml
#
# GTO's artifacts.yaml declares artifacts (type, path, description, labels) that need no
# dvc.yaml. registry.read_index reads it as GTO's ``Index.read_state`` does (YAML, then its
# pydantic models in lax mode, then the name rule): the oracle here is that function itself.

_GTO_NAMES = st.sampled_from(["clf", "seg-model", "a/b_c", "x"])
_GTO_BAD_NAMES = st.sampled_from(["-bad", "bad-", "a:b", "a b", "ok\n", "", 0, 3])
_GTO_VALUES = st.one_of(  # any value a field may be given
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 2.5]),
    st.sampled_from(["", "model", "yes", "No", "off", "T", "1", "models/m.pkl", "Bad Label"]),
    st.lists(st.sampled_from(["nlp", "x", "Two words"]), max_size=3),
    st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["nlp"])), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(["k", "owner"]), st.sampled_from([1, "a"]), max_size=2),
)


def _mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """VALID nine times in ten, else OTHER: whole files are then often ones GTO takes."""
    return st.integers(0, 9).flatmap(lambda n: valid if n else other)


def _field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _mostly(valid, _GTO_VALUES)


_GTO_ENTRIES = st.fixed_dictionaries(
    {},
    optional={
        "type": _field(st.sampled_from(["model", "dataset", "Not A Name", None])),
        "path": _field(st.sampled_from(["models/m.pkl", "../outside", None])),
        "virtual": _field(
            st.sampled_from([True, False, 0, 1, 0.0, 1.0, "yes", "Off", "t", "N", "1"])
        ),
        "labels": _field(st.lists(st.sampled_from(["nlp", "x", "Two words"]), max_size=2)),
        "description": _field(st.sampled_from(["A model", ""])),
        "custom": _GTO_VALUES,
        "other": _GTO_VALUES,
    },
)
_GTO_INDEX = _mostly(
    st.dictionaries(_mostly(_GTO_NAMES, _GTO_BAD_NAMES), _field(_GTO_ENTRIES), max_size=3),
    _GTO_VALUES,
)


@settings(max_examples=1500, deadline=None)
@given(_GTO_INDEX)
@example({"clf": {"virtual": 1.0, "labels": ["nlp"]}, "seg": {"virtual": "Off"}})
@example({"ok\n": {}, "clf": {"type": "Not A Name", "path": "../outside"}})
@example({"clf": None})
@example(None)
def test_artifacts_yaml_is_read_as_gtos_index_reads_it(data: Any) -> None:
    import io

    from gto.exceptions import GTOException
    from gto.index import Index

    text = yaml.safe_dump(data, sort_keys=False)
    try:
        theirs: dict[str, Any] | None = {
            name: artifact.model_dump()
            for name, artifact in Index.read_state(io.StringIO(text)).items()
        }
    except GTOException:
        theirs = None
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "artifacts.yaml").write_text(text, "utf-8")
        try:
            ours: dict[str, Any] | None = registry.read_index(Path(tmp))
        except FindingError as exc:
            assert exc.finding.file == "artifacts.yaml"
            assert exc.finding.kind == "invalid_project_file"
            ours = None
    assert ours == theirs, text


# --------------------------------------------------------------------------- work count


def fast_import_registry(repo: Repo) -> int:
    """1,000 annotated tags written with one ``git fast-import``: 930 GTO tags in 10 artifacts
    (800 registrations, 50 deregistrations, 80 stage assignments) and 70 release tags.
    Returns the number of tags."""
    base = 1_706_000_000
    stream: list[str] = []

    def data(text: str) -> None:
        stream.append(f"data {len(text.encode())}\n{text}\n")

    for i in range(80):
        stream.append(
            f"commit refs/heads/main\nmark :{i + 1}\n"
            f"committer Ada <ada@example.com> {base + i * 3600} +0000\n"
        )
        data(f"Change {i}")
        stream.append("M 644 inline log.txt\n")
        data(f"change {i}")
    tags: list[tuple[str, int, str]] = []  # name, commit mark, message
    for a in range(10):
        tags += [(f"m{a}@v0.{n}.0", n + 1, f"Registering m{a} v0.{n}.0") for n in range(80)]
    for a in range(10):
        tags += [(f"m{a}@v0.{n}.0!", n + 1, f"Deregistering m{a}") for n in (10, 20, 30, 40, 50)]
    for a in range(10):
        for k in range(8):
            stage = "prod" if k % 2 else "staging"
            tags.append((f"m{a}#{stage}#{k + 1}", 60 + k + 1, f"Assigning {stage}"))
    tags += [(f"build-{i}", i + 1, f"Build {i}") for i in range(70)]
    for i, (name, mark, message) in enumerate(tags):
        stream.append(
            f"tag {name}\nfrom :{mark}\n"
            f"tagger Bob Tagger <bob@example.com> {base + 400_000 + i * 60} +0100\n"
        )
        data(message)
    stream_path = repo.home / "fast-import.txt"
    stream_path.write_text("".join(stream), "utf-8")
    with stream_path.open("rb") as fh:
        subprocess.run(
            ["git", "fast-import", "--quiet"], cwd=repo.path, stdin=fh, env=repo.env, check=True
        )
    repo.git("reset", "-q", "--hard", "main")
    return len(tags)


def test_a_thousand_tags_are_read_with_one_git_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    assert fast_import_registry(repo) == 1000
    assert len(repo.git("tag", "--list").split()) == 1000
    trace = tmp_path / "git-trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    reg = registry.read_registry(repo.path)
    monkeypatch.delenv("GIT_TRACE")
    started = [
        line
        for line in trace.read_text("utf-8").splitlines()
        if re.search(r"trace: (built-in|exec): ", line)
    ]
    # one git process finds the repository, one reads every tag
    assert len(started) == 2, started
    assert "git rev-parse" in started[0] and "git for-each-ref" in started[1]

    opened = open_repo(repo.path)
    again = registry.read(opened)
    assert opened.calls == 1  # the plugin's own count agrees
    assert reg.tags == again.tags == 1000
    assert len(reg.ignored) == 70 and reg.lightweight == []
    assert again.artifacts == reg.artifacts

    sample = ("m0", "m7")
    shown, *listed = gto_read(repo, ("show",), *(("show", name) for name in sample))
    assert sorted(shown) == sorted(reg.artifacts) == [f"m{a}" for a in range(10)]
    for name, versions in zip(sample, listed, strict=True):
        entry = reg.artifacts[name]
        assert entry.latest == shown[name]["version"] == "v0.79.0"
        assert {s: ", ".join(v) or None for s, v in entry.stages.items()} == shown[name]["stage"]
        assert [(v.version, v.commit) for v in entry.versions] == [
            (v["version"], v["commit_hexsha"]) for v in versions
        ]
        assert len(versions) == 75  # 80 registered, 5 deregistered


# --------------------------------------------------------------------------- reading pages


def article(page: str) -> str:
    """The page's content (Material's article), without the header, nav and footer."""
    found = re.search(r'<article class="md-content__inner[^"]*">(.*?)</article>', page, re.S)
    assert found, "no article in the page"
    return found.group(1)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def blocks(page: str, css: str) -> list[str]:
    """The inner HTML of each plugin block with class CSS (they hold no nested div)."""
    return re.findall(rf'<div class="[^"]*\b{re.escape(css)}\b[^"]*">(.*?)</div>', page, re.S)


def rows(fragment: str) -> list[list[str]]:
    """Each table row of FRAGMENT as the texts of its cells (a value's change from the
    version before, in metrics-history, left out: tests/test_compare.py reads it)."""
    fragment = re.sub(r'<span class="ml-change"[^>]*>.*?</span>', "", fragment, flags=re.S)
    return [
        [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", fragment, re.S)
    ]


def columns(fragment: str) -> list[list[str]]:
    """The table of FRAGMENT that has a column per item (metrics-history, experiments: see
    render.across) turned back to a row per item: each column's texts, the labels first."""
    return [list(column) for column in zip(*rows(fragment), strict=True)]


def values(page: str) -> list[str]:
    """The inline values on a page, in order."""
    return [text_of(v) for v in re.findall(r'<span class="ml-value"[^>]*>(.*?)</span>', page)]


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def metrics_at(repo: Repo, commit: str) -> dict[str, Any]:
    return flat(json.loads(repo.git("show", f"{commit}:metrics.json")))


def model_md5_at(repo: Repo, commit: str) -> str:
    lock = yaml.safe_load(repo.git("show", f"{commit}:dvc.lock"))
    (out,) = [o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.txt"]
    return out["md5"]


def evaluate_with(repo: Repo, accuracy: float, loss: float) -> None:
    repo.write(
        "src/evaluate.py",
        "import json\n"
        f"json.dump({{'accuracy': {accuracy}, 'loss': {loss}, 'test': {{'n': 3}}}}, "
        "open('metrics.json', 'w'))\n",
    )


def retrain(repo: Repo, tag: str) -> None:
    repo.write(
        "src/train.py",
        "import pathlib\npathlib.Path('models').mkdir(exist_ok=True)\n"
        f"pathlib.Path('models/model.txt').write_text(open('data/prepared.csv').read() + '{tag}')\n",
    )


CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

Latest version: {ml artifact classifier version}

Stages: {ml artifact classifier stages}

{ml metrics-history}
"""
SCRIPT_MESSAGE = '<script>alert("tag")</script> & <b>bold</b>'


@dataclasses.dataclass
class RegisteredSite:
    """The pipeline project with two registered versions, prod on the older one, a legacy
    artifact known only from GTO tags, a model card page and the registry page, built."""

    repo: Repo
    build: Build
    v1: str  # commit of v1.0.0
    v2: str  # commit of v1.1.0
    retrained: str  # the commit that last changed the model's hash


@pytest.fixture(scope="module")
def registered_site(
    tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path
) -> RegisteredSite:
    home = tmp_path_factory.mktemp("registered-site")
    shutil.copytree(pipeline_template, home / "repo", symlinks=True)
    (home / "gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.com\n"
    )
    repo = Repo(home / "repo", home)
    gto = Gto(repo)
    v1 = repo.git("rev-parse", "HEAD")
    gto("register", "classifier", "--version", "v1.0.0", "-m", "First release")
    gto("register", "legacy", "--version", "v2.3.0", who=CAROL)
    gto.run()
    retrain(repo, "retrained")
    evaluate_with(repo, 0.95, 0.2)
    repo.dvc("repro", "-q")
    retrained = repo.commit("Retrain", date="2024-01-20T09:00:00+00:00")
    evaluate_with(repo, 0.97, 0.15)
    repo.dvc("repro", "-q")
    v2 = repo.commit("Better evaluation, same model", date="2024-01-25T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0", "-m", SCRIPT_MESSAGE)
    gto("assign", "classifier", "--version", "v1.0.0", "--stage", "prod", who=CAROL)
    gto("deprecate", "legacy", "-m", "Superseded by classifier")
    gto.run()
    repo.site({"card.md": CARD}, plugin={"registry_page": "registry.md", **NO_CARD_CHECKS})
    repo.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = repo.build("--strict")
    assert build.ok, build.output
    return RegisteredSite(repo, build, v1, v2, retrained)


def test_a_card_shows_the_latest_version_and_stages(registered_site: RegisteredSite) -> None:
    page = article(registered_site.build.page("card"))
    assert values(page) == ["v1.1.0", "prod: v1.0.0"]


def test_metrics_history_has_each_versions_metrics_from_git(
    registered_site: RegisteredSite,
) -> None:
    site = registered_site
    (table,) = blocks(site.build.page("card"), "ml-metrics-history")
    header, *body = columns(table)
    assert header[:3] == ["Version", "Stages", "Commit"]
    at = {"v1.1.0": metrics_at(site.repo, site.v2), "v1.0.0": metrics_at(site.repo, site.v1)}
    assert at["v1.1.0"] != at["v1.0.0"]
    assert sorted(header[3:]) == sorted(at["v1.0.0"])
    commits_of = {"v1.1.0": site.v2, "v1.0.0": site.v1}
    stages_of = {"v1.1.0": "", "v1.0.0": "prod"}
    assert [row[0] for row in body] == ["v1.1.0", "v1.0.0"]
    for row in body:
        version = row[0]
        assert row[1] == stages_of[version]
        assert row[2] == commits_of[version][:7]
        assert dict(zip(header[3:], row[3:], strict=True)) == {
            k: str(v) for k, v in at[version].items()
        }, version
    assert "not in git" not in table


def test_metrics_history_says_when_metrics_are_not_in_git(pipeline: Repo) -> None:
    """With metrics.json DVC-tracked (cached, not in git) there is nothing to read at a
    version's commit: the table says so instead of showing blanks as values."""
    dvc_yaml = pipeline.read("dvc.yaml")
    pipeline.write(
        "dvc.yaml", re.sub(r"- metrics\.json:\n\s+cache: false", "- metrics.json", dvc_yaml)
    )
    assert pipeline.read("dvc.yaml") != dvc_yaml
    pipeline.git("rm", "-q", "--cached", "metrics.json")
    pipeline.dvc("repro", "-q", "-f", "evaluate")  # caches it and lists it in .gitignore
    pipeline.commit("Metrics in the DVC cache", date="2024-01-15T09:00:00+00:00")
    assert "metrics.json" not in pipeline.git("ls-files").split()
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    pipeline.site({"card.md": CARD}, plugin=NO_CARD_CHECKS)
    pipeline.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page("card"), "ml-metrics-history")
    page = build.page("card")
    assert [r[0] for r in columns(table)[1:]] == ["v1.0.0"]
    note = re.search(r'<p class="ml-note">(.*?)</p>', page, re.S)
    assert note, "no note under the table"
    commit = pipeline.git("rev-parse", "--short=7", "HEAD~1")
    assert f"v1.0.0: metrics.json is DVC-tracked at commit {commit}" in text_of(note.group(1))
    assert "not kept in git" in text_of(note.group(1))


# --------------------------------------------------------------------------- the registry page


def registry_sections(page: str) -> dict[str, str]:
    """The registry page's sections by artifact name (its h2 headings)."""
    parts = re.split(r"<h2[^>]*>(.*?)</h2>", article(page), flags=re.S)
    return {text_of(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def entry_box(section: str) -> dict[str, str]:
    (box,) = blocks(section, "ml-registry-entry")
    return {row[0]: row[1] for row in rows(box)}


def history_rows(repo: Repo, artifact: str) -> list[list[str]]:
    """The registry page's history rows as GTO's history says they should read."""
    return [
        [
            e["timestamp"][:10],
            e["event"],
            e["version"] or "",
            e["stage"] or "",
            e["commit"][:7],
            e["author"],
            e["message"],
        ]
        for e in gto_json(repo, "history")
        if e["artifact"] == artifact
    ]


def test_the_registry_page_lists_every_artifact_with_facts_and_history(
    registered_site: RegisteredSite,
) -> None:
    site = registered_site
    page = site.build.page("registry")
    sections = registry_sections(page)
    assert sorted(sections) == ["classifier", "legacy"]

    classifier = entry_box(sections["classifier"])
    assert classifier["Type"] == "model"
    assert classifier["Description"] == "Upper-cases reviews."
    assert classifier["Labels"] == "nlp"
    assert classifier["Latest version"] == "v1.1.0"
    assert classifier["Stages"] == "prod: v1.0.0"
    (history,) = blocks(sections["classifier"], "ml-registry-history")
    assert rows(history)[1:] == history_rows(site.repo, "classifier")
    assert len(rows(history)[1:]) == 3

    legacy = entry_box(sections["legacy"])
    assert legacy["Declared"] == "only in GTO tags, not in any dvc.yaml"
    assert legacy["Latest version"] == "v2.3.0"
    (history,) = blocks(sections["legacy"], "ml-registry-history")
    assert rows(history)[1:] == history_rows(site.repo, "legacy")
    assert "ml-card-link" not in sections["legacy"]


def test_the_registry_page_links_each_artifact_to_its_card(
    registered_site: RegisteredSite,
) -> None:
    site = registered_site
    section = registry_sections(site.build.page("registry"))["classifier"]
    links = re.findall(r'<p class="ml-card-link"><a href="([^"]+)">', section)
    assert len(links) == 1
    target = posixpath.normpath(posixpath.join("registry/", html.unescape(links[0])))
    assert (site.build.site / target / "index.html").is_file(), (links[0], target)
    assert target == "card"


def test_the_registry_page_says_which_artifacts_are_deprecated(
    registered_site: RegisteredSite,
) -> None:
    """`gto show` hides a deprecated artifact; a registry page that lists it must say it is
    deprecated rather than present its latest version and stages as current."""
    legacy = entry_box(registry_sections(registered_site.build.page("registry"))["legacy"])
    assert "deprecated" in " ".join(legacy.values()).lower(), legacy


def test_a_tag_message_with_html_shows_as_text(registered_site: RegisteredSite) -> None:
    page = registered_site.build.page("registry")
    assert "<script>alert" not in page and "<b>bold" not in page
    (history,) = blocks(registry_sections(page)["classifier"], "ml-registry-history")
    assert [r[6] for r in rows(history)[1:] if r[2] == "v1.1.0"] == [SCRIPT_MESSAGE]


def test_a_tagger_name_with_html_shows_as_text(tmp_path: Path) -> None:
    """The By column shows the tagger's name as GTO records it, as text, with its date."""
    repo = init_repo(tmp_path / "repo", tmp_path)
    commits(repo, 1)
    repo.site({"index.md": "# Home\n"}, plugin={"registry_page": "registry.md"})
    repo.commit("Docs", date="2024-01-05T10:00:00+00:00")
    gto = Gto(repo)
    gto("register", "clf", "--version", "v1.0.0", who=("Eve <script>alert(1)</script>", "e@x.org"))
    gto.run()
    build = repo.build()
    assert build.ok, build.output
    page = build.page("registry")
    assert "<script>alert(1)" not in page
    (history,) = blocks(registry_sections(page)["clf"], "ml-registry-history")
    assert rows(history)[1:] == history_rows(repo, "clf")


# --------------------------------------------------------------------------- model card header


def test_the_model_card_header_shows_name_version_stages_hash_and_training_commit(
    registered_site: RegisteredSite,
) -> None:
    site = registered_site
    repo = site.repo
    headers = re.findall(
        r'<div class="ml-card-header"[^>]*>(.*?)</div>', site.build.page("card"), re.S
    )
    assert len(headers) == 1
    header = headers[0]
    assert re.search(r"<strong>classifier</strong>", header)
    assert [text_of(b) for b in re.findall(r'class="ml-badge ml-version"[^>]*>(.*?)<', header)] == [
        "v1.1.0"
    ]
    assert [text_of(b) for b in re.findall(r'class="ml-badge ml-stage"[^>]*>(.*?)<', header)] == [
        "prod: v1.0.0"
    ]
    md5 = model_md5_at(repo, "HEAD")
    assert f'md5 <code title="{md5}">{md5[:8]}</code>' in header

    # the commit that last changed the model's hash in dvc.lock, walking back from HEAD
    changes = repo.git("log", "--format=%H", "--", "dvc.lock").split()
    trained = changes[0]
    for sha in changes[1:]:
        if model_md5_at(repo, sha) != md5:
            break
        trained = sha
    assert trained == site.retrained != changes[0]  # a later commit changed only the metrics
    found = re.search(r'trained in <code title="([0-9a-f]{40})">([0-9a-f]{7})</code>', header)
    assert found, header
    assert found.groups() == (trained, trained[:7])
    assert "on 2024-01-20" in text_of(header)


# --------------------------------------------------------------------------- version pins

PINNED = """\
---
ml:
  artifact: classifier
  pin:
    version: {version}
---
# Classifier {{ml artifact classifier version}}
"""


def test_a_version_pin_holds_until_a_newer_version_is_registered(pipeline: Repo) -> None:
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    pipeline.site({"card.md": PINNED.format(version="v1.0.0")}, plugin=NO_CARD_CHECKS)
    pipeline.commit("Card pinned to v1.0.0", date="2024-01-20T09:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output

    evaluate_with(pipeline, 0.95, 0.2)
    pipeline.dvc("repro", "-q")
    pipeline.commit("Better evaluation", date="2024-01-21T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")
    gto.run()
    build = pipeline.build()
    assert not build.ok
    behind = [line for line in build.output.splitlines() if "[pinned_behind]" in line]
    assert len(behind) == 1, build.output
    assert "docs/card.md:2:" in behind[0]
    assert "v1.0.0" in behind[0] and "v1.1.0" in behind[0]

    pipeline.write("docs/card.md", PINNED.format(version="v3.0.0"))
    pipeline.commit("Pin a version that does not exist", date="2024-01-22T09:00:00+00:00")
    build = pipeline.build()
    assert not build.ok
    behind = [line for line in build.output.splitlines() if "[pinned_behind]" in line]
    assert len(behind) == 1, build.output
    assert "v3.0.0" in behind[0]
    assert "registered versions: v1.1.0, v1.0.0" in behind[0]


# --------------------------------------------------------------------------- no tags

VERSION_PAGE = "# Classifier\n\nVersion {ml artifact classifier version}\n"
QUIET_HISTORY: dict[str, Any] = {"checks": {"git_history": "ignore"}}  # shallow: pages dates


def shallow_clone(repo: Repo) -> Repo:
    clone = repo.home / "clone"
    repo.run("git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    cloned = Repo(clone, repo.home)
    assert cloned.git("rev-parse", "--is-shallow-repository") == "true"
    return cloned


def test_a_shallow_clone_without_tags_warns_how_to_fetch_them(pipeline: Repo) -> None:
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")  # at the pipeline commit
    gto.run()
    pipeline.site({"index.md": VERSION_PAGE}, plugin=QUIET_HISTORY)
    pipeline.commit("Docs", date="2024-01-20T09:00:00+00:00")
    clone = shallow_clone(pipeline)
    assert clone.git("tag", "--list") == ""

    build = clone.build()
    assert build.ok, build.output
    registry_lines = [line for line in build.output.splitlines() if "[registry]" in line]
    assert len(registry_lines) == 1, build.output
    assert registry_lines[0].startswith("WARNING")
    assert "fetch-depth: 0" in registry_lines[0] and "git fetch --tags" in registry_lines[0]
    assert not clone.build("--strict").ok


def test_a_shallow_clone_with_only_some_tags_still_warns(pipeline: Repo) -> None:
    """``git clone --depth 1`` brings the tags that point at the commit it fetched, and no
    others: here the version at HEAD, but not prod's assignment on an older commit. The
    registry is then incomplete (prod is missing) and the build must say so as it does when
    there are no tags at all."""
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")
    gto("assign", "classifier", "--version", "v1.0.0", "--stage", "prod")
    gto.run()
    pipeline.site(
        {"index.md": VERSION_PAGE + "\nStages {ml artifact classifier stages}\n"},
        plugin=QUIET_HISTORY,
    )
    pipeline.commit("Docs", date="2024-01-20T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")  # at HEAD: the clone gets it
    gto.run()
    clone = shallow_clone(pipeline)
    assert clone.git("tag", "--list").split() == ["classifier@v1.1.0"]

    build = clone.build()
    assert build.ok, build.output
    registry_lines = [line for line in build.output.splitlines() if "[registry]" in line]
    assert len(registry_lines) == 1, build.output
    assert "fetch-depth: 0" in registry_lines[0]


def test_a_full_clone_without_tags_says_how_to_register(pipeline: Repo) -> None:
    pipeline.site({"index.md": VERSION_PAGE})
    pipeline.commit("Docs", date="2024-01-20T09:00:00+00:00")
    assert pipeline.git("tag", "--list") == ""
    build = pipeline.build()
    assert build.ok, build.output
    assert "[registry]" not in build.output
    missing = [line for line in build.output.splitlines() if "[missing_value]" in line]
    assert len(missing) == 1, build.output
    assert "docs/index.md:3:" in missing[0]
    assert "gto register classifier" in missing[0]
    assert "ml-missing" in build.page("")


SUB_DVC_YAML = "artifacts:\n  model:\n    path: m.txt\n    type: model\n"
SUB_PAGE = (
    "---\nml: {artifact: sub/dvc.yaml:model}\n---\n# Sub model\n\n"
    "Version {ml artifact sub/dvc.yaml:model version}.\n"
)
DVC_GET_REV = (
    "import sys\nfrom dvc.repo import Repo\nprint(Repo('.').artifacts.get_rev(sys.argv[1]))\n"
)


@pytest.mark.parametrize("tagged", ["sub:model", "sub/dvc.yaml:model"])
def test_an_artifact_of_a_dvc_yaml_in_a_folder_has_the_versions_its_tags_give(
    tmp_path: Path, tagged: str
) -> None:
    """DVC and Studio name the artifact 'model' of sub/dvc.yaml 'sub:model' (tags
    'sub=model@v1.0.0'; DVC's own lookup, Artifacts.get_rev, reads those); GTO also takes
    'sub/dvc.yaml:model' (tags DVC does not find): a page bound to it shows the version either
    way, as gto show lists it."""
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.dvc("init", "-q")
    repo.write("sub/dvc.yaml", SUB_DVC_YAML)
    repo.write("sub/m.txt", "weights\n")
    repo.site({"index.md": SUB_PAGE}, plugin=NO_CARD_CHECKS)
    commit = repo.commit("Model in a folder", date="2024-01-20T09:00:00+00:00")
    gto = Gto(repo)
    gto("register", tagged, commit, "--version", "v1.0.0")
    assert gto.run() == [f"{tagged.replace(':', '=')}@v1.0.0"]
    said = repo.run(sys.executable, "-c", DVC_GET_REV, "sub/dvc.yaml:model", check=False)
    if tagged == "sub:model":  # DVC finds Studio's form, by either name of the artifact
        assert said.stdout.strip() == commit, said.stderr
    else:
        assert said.returncode != 0 and "Unable to find artifact" in said.stderr
    build = repo.build("--strict")
    assert build.ok, build.output
    assert "Version v1.0.0." in html.unescape(re.sub(r"<[^>]+>", "", build.page("")))


# --------------------------------------------------------------------------- artifacts GTO knows
#
# Many projects register models with GTO alone: the model is declared in GTO's artifacts.yaml
# (or only tagged), not in dvc.yaml's `artifacts:`. Such an artifact is bound, referenced and
# listed like a dvc.yaml one; its type, path, description and labels are what GTO reads, and
# its hash and size are DVC's when its path is a DVC output.

GTO_ARTIFACTS = """\
classifier:
  type: model
  path: models/model.txt
  description: Upper-cases reviews.
  labels: [nlp, baseline]
raw-data:
  type: dataset
  path: data/raw.csv
  description: Reviews as collected.
"""
GTO_CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

Type {ml artifact classifier type}, path {ml artifact classifier path},
description {ml artifact classifier desc}, labels {ml artifact classifier labels},
md5 {ml artifact classifier md5}, bytes {ml artifact classifier bytes},
version {ml artifact classifier version}, stages {ml artifact classifier stages}.

{ml provenance}

{ml metrics-history}
"""
GTO_DATA = """\
---
ml:
  artifact: raw-data
---
# Raw data

Type {ml artifact raw-data type}, path {ml artifact raw-data path},
md5 {ml artifact raw-data md5}, produced by {ml artifact raw-data stage}.

{ml provenance}
"""
GTO_LEGACY = """\
---
ml:
  artifact: legacy
---
# Legacy

Version {ml artifact legacy version}.
"""


@dataclasses.dataclass
class GtoSite:
    """The pipeline project with its artifacts declared in GTO's artifacts.yaml only (none in
    dvc.yaml), v1.0.0 (prod) and v2.0.0 of the classifier registered, a third model trained
    and not registered, the raw data's version deregistered, and a deprecated artifact known
    only from tags; built with the registry and timeline pages."""

    repo: Repo
    build: Build
    v1: str
    v2: str


@pytest.fixture(scope="module")
def gto_site(tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path) -> GtoSite:
    home = tmp_path_factory.mktemp("gto-site")
    shutil.copytree(pipeline_template, home / "repo", symlinks=True)
    (home / "gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.com\n"
    )
    repo = Repo(home / "repo", home)
    dvc_yaml = repo.read("dvc.yaml")
    repo.write("dvc.yaml", dvc_yaml[: dvc_yaml.index("artifacts:")])
    repo.write("artifacts.yaml", GTO_ARTIFACTS)
    v1 = repo.commit("Declare the artifacts for GTO", date="2024-01-11T09:00:00+00:00")
    gto = Gto(repo)
    gto("register", "classifier", "--version", "v1.0.0", "-m", "First release")
    gto("register", "legacy", "--version", "v0.1.0", who=CAROL)
    gto("assign", "classifier", "--version", "v1.0.0", "--stage", "prod", who=CAROL)
    gto.run()
    retrain(repo, "second")
    repo.dvc("repro", "-q")
    v2 = repo.commit("Retrain", date="2024-01-20T09:00:00+00:00")
    gto("register", "classifier", "--version", "v2.0.0")
    gto("register", "raw-data", "--version", "v0.1.0")
    gto("deprecate", "raw-data", "v0.1.0", "-m", "Collected wrongly")  # deregisters it
    gto("deprecate", "legacy", "-m", "Replaced by classifier", who=CAROL)
    gto.run()
    retrain(repo, "third")
    repo.dvc("repro", "-q")
    repo.commit("Retrain again, not registered yet", date="2024-01-25T09:00:00+00:00")
    repo.site(
        {"card.md": GTO_CARD, "data.md": GTO_DATA, "legacy.md": GTO_LEGACY},
        plugin={"registry_page": "registry.md", "timeline_page": "timeline.md", **NO_CARD_CHECKS},
    )
    repo.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = repo.build("--strict")
    assert build.ok, build.output
    return GtoSite(repo, build, v1, v2)


def gto_describe(repo: Repo, name: str) -> dict[str, Any]:
    """What GTO's API says of an artifact at HEAD (``gto.api.describe``; GTO 1.x's CLI has no
    ``describe`` command)."""
    script = (
        "import json, sys, gto.api\n"
        "found = gto.api.describe('.', sys.argv[1])\n"
        "print(json.dumps(found.model_dump() if found else None))\n"
    )
    described: dict[str, Any] = json.loads(repo.run(sys.executable, "-c", script, name).stdout)
    return described


def test_an_artifact_gto_declares_is_read_as_gto_reads_it(gto_site: GtoSite) -> None:
    site = gto_site
    assert "artifacts:" not in site.repo.read("dvc.yaml")
    described = gto_describe(site.repo, "classifier")
    shown = gto_json(site.repo, "show")
    lock = yaml.safe_load(site.repo.read("dvc.lock"))
    (out,) = [o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.txt"]
    page = article(site.build.page("card"))
    assert values(page) == [
        described["type"],
        described["path"],
        described["description"],
        ", ".join(described["labels"]),
        out["md5"],
        str(out["size"]),
        shown["classifier"]["version"],
        f"prod: {shown['classifier']['stage']['prod']}",
    ]
    assert values(page)[-2:] == ["v2.0.0", "prod: v1.0.0"]  # independently of GTO
    (box,) = blocks(page, "ml-provenance")
    facts = {row[0]: row[1] for row in rows(box)}
    assert facts["Type"] == "model" and facts["Path"] == "models/model.txt"
    assert facts["Declared in"] == "GTO's artifacts.yaml"
    assert facts["MD5"] == out["md5"] and facts["Produced by"] == "train"
    (table,) = blocks(page, "ml-metrics-history")
    assert [r[:3] for r in columns(table)[1:]] == [
        ["v2.0.0", "", site.v2[:7]],
        ["v1.0.0", "prod", site.v1[:7]],
    ]


def test_an_artifact_gto_declares_on_a_dvc_add_ed_path_has_its_dvc_hash(gto_site: GtoSite) -> None:
    site = gto_site
    described = gto_describe(site.repo, "raw-data")
    tracked = yaml.safe_load(site.repo.read("data/raw.csv.dvc"))["outs"][0]
    page = article(site.build.page("data"))
    assert values(page) == [
        described["type"],
        described["path"],
        tracked["md5"],
        "data/raw.csv.dvc",
    ]
    headers = re.findall(
        r'<div class="ml-card-header"[^>]*>(.*?)</div>', site.build.page("data"), re.S
    )
    assert len(headers) == 1
    assert "unregistered" in text_of(headers[0]) and "raw-data" in text_of(headers[0])


def test_an_artifact_only_tags_name_can_be_bound(gto_site: GtoSite) -> None:
    page = article(gto_site.build.page("legacy"))
    shown = gto_json(gto_site.repo, "show", "--deprecated")  # legacy is deprecated
    assert values(page) == [shown["legacy"]["version"]] == ["v0.1.0"]


def test_the_registry_page_lists_artifacts_gto_declares(gto_site: GtoSite) -> None:
    site = gto_site
    sections = registry_sections(site.build.page("registry"))
    assert (
        sorted(sections)
        == sorted(gto_json(site.repo, "show", "--deprecated"))
        == [
            "classifier",
            "legacy",
            "raw-data",
        ]
    )
    classifier = entry_box(sections["classifier"])
    described = gto_describe(site.repo, "classifier")
    assert classifier["Type"] == described["type"]
    assert classifier["Description"] == described["description"]
    assert classifier["Labels"] == ", ".join(described["labels"])
    assert classifier["Path"] == described["path"]
    assert classifier["Declared"] == "in GTO's artifacts.yaml, not in any dvc.yaml"
    assert classifier["Latest version"] == "v2.0.0"
    raw = entry_box(sections["raw-data"])
    assert raw["Latest version"] == "none registered"
    assert raw["Path"] == "data/raw.csv"
    assert entry_box(sections["legacy"])["Declared"] == "only in GTO tags, not in any dvc.yaml"
    links = re.findall(r'<p class="ml-card-link"><a href="([^"]+)">', sections["classifier"])
    assert len(links) == 1


def test_the_registry_with_artifacts_yaml_is_what_gto_says(gto_site: GtoSite) -> None:
    reg = assert_same_as_gto(gto_site.repo)
    assert reg.artifacts["raw-data"].latest is None  # its only version is deregistered
    assert reg.declared["classifier"]["labels"] == ["nlp", "baseline"]


def test_a_broken_artifacts_yaml_fails_the_build_naming_the_file(pipeline: Repo) -> None:
    pipeline.write("artifacts.yaml", "classifier:\n  type: model\nbad name:\n  path: x\n")
    pipeline.site({"index.md": "# Home\n"})
    pipeline.commit("A broken artifacts.yaml", date="2024-01-20T09:00:00+00:00")
    build = pipeline.build()
    assert not build.ok
    errors = [line for line in build.output.splitlines() if "[invalid_project_file]" in line]
    assert len(errors) == 1, build.output
    assert "artifacts.yaml:3:" in errors[0] and "'bad name'" in errors[0]


# --------------------------------------------------------------------------- which version HEAD is


def card_header(page: str) -> str:
    headers = re.findall(r'<div class="ml-card-header"[^>]*>(.*?)</div>', page, re.S)
    assert len(headers) == 1, page
    return headers[0]


def test_an_unregistered_model_is_not_shown_as_the_latest_version(gto_site: GtoSite) -> None:
    """HEAD's model was trained after v2.0.0 was registered: the header must not pair v2.0.0
    with HEAD's hash, but say that HEAD's model is unregistered and what v2.0.0 is."""
    site = gto_site
    head_md5, v2_md5 = model_md5_at(site.repo, "HEAD"), model_md5_at(site.repo, site.v2)
    assert head_md5 != v2_md5
    expected = f"unregistered; latest registered v2.0.0 (md5 {v2_md5[:8]}) at {site.v2[:7]}"
    page = site.build.page("card")
    header = card_header(page)
    assert re.findall(r'class="ml-badge ml-version"', header) == []
    assert [
        text_of(b) for b in re.findall(r'class="ml-badge ml-unregistered"[^>]*>(.*?)<', header)
    ] == ["unregistered"]
    assert expected in text_of(header)
    assert f'md5 <code title="{head_md5}">' in header
    (box,) = blocks(article(page), "ml-provenance")
    assert {row[0]: row[1] for row in rows(box)}["Registered version"] == expected


def test_the_header_names_the_registered_version_the_model_is(pipeline: Repo) -> None:
    """The model at HEAD is v1.0.0's (registered at HEAD); later v1.1.0 is registered with
    another model, and then HEAD goes back to v1.0.0's model: the header says HEAD's model is
    v1.0.0, and which version is the latest."""
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    v1 = pipeline.git("rev-parse", "HEAD")
    # the card is not edited as the model changes below: that drift is not what is tested here
    plugin = {**NO_CARD_CHECKS, "checks": {"stale_doc": "ignore"}}
    pipeline.site({"card.md": CARD}, plugin=plugin)
    pipeline.commit("Docs", date="2024-01-12T09:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    header = card_header(build.page("card"))
    badge = re.search(r'class="ml-badge ml-version" title="([^"]*)">([^<]*)<', header)
    assert badge, header
    assert (
        html.unescape(badge.group(1))
        == f"the model in the work tree is v1.0.0 (registered at {v1[:7]})"
    )
    assert badge.group(2) == "v1.0.0"
    assert f"the model in the work tree is v1.0.0 (registered at {v1[:7]})" in text_of(header)
    assert "latest registered" not in text_of(header)

    original = pipeline.read("src/train.py")
    retrain(pipeline, "other")
    pipeline.dvc("repro", "-q")
    v11 = pipeline.commit("Retrain", date="2024-01-20T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")
    gto.run()
    pipeline.write("src/train.py", original)
    pipeline.dvc("repro", "-q")
    pipeline.commit("Back to the first model", date="2024-01-21T09:00:00+00:00")
    assert (
        model_md5_at(pipeline, "HEAD") == model_md5_at(pipeline, v1) != model_md5_at(pipeline, v11)
    )
    build = pipeline.build("--strict")
    assert build.ok, build.output
    header = card_header(build.page("card"))
    assert [text_of(b) for b in re.findall(r'class="ml-badge ml-version"[^>]*>(.*?)<', header)] == [
        "v1.0.0"
    ]
    v11_md5 = model_md5_at(pipeline, v11)
    assert f"latest registered v1.1.0 (md5 {v11_md5[:8]}) at {v11[:7]}" in text_of(header)
    assert values(article(build.page("card")))[0] == "v1.1.0"  # {ml artifact ... version}


# --------------------------------------------------------------------------- the manifest


def test_the_manifest_holds_the_registry_as_gto_gives_it(gto_site: GtoSite) -> None:
    """ml-manifest.json's registry, per artifact, against ``gto show --json``, ``gto show
    NAME --json``, ``gto history --json`` and GTO's ``describe``, on tags made by gto itself
    with fixed dates. E-mail addresses are left out (show_emails is off)."""
    site = gto_site
    manifest = site.build.manifest()["registry"]
    head = site.repo.git("rev-parse", "HEAD")
    names = sorted(manifest["artifacts"])
    shown, history, *listed = gto_read(
        site.repo,
        ("show", "--deprecated"),
        ("history",),
        *(("show", name, "--deprecated") for name in names),
    )
    assert names == sorted(shown) == ["classifier", "legacy", "raw-data"]
    assert "author_email" not in json.dumps(manifest)
    events = {e["event"] for e in history}
    assert {"registration", "assignment", "deregistration", "deprecation"} <= events
    for name, versions in zip(names, listed, strict=True):
        entry = manifest["artifacts"][name]
        assert {
            "version": entry["latest"],
            "stage": {stage: ", ".join(v) or None for stage, v in entry["stages"].items()},
            "registered": entry["registered"],
            "active": entry["active"],
        } == shown[name], name
        theirs = [
            (v["version"], v["commit_hexsha"], v["created_at"], v["author"], v["message"])
            for v in versions
            if v["is_active"] and not (v["version"] == head and not v["registrations"])
        ]
        assert [
            (v["version"], v["commit"], v["created_at"], v["author"], v["message"])
            for v in entry["versions"]
        ] == list(dict.fromkeys(theirs)), name
        own = [
            {k: v for k, v in e.items() if k != "author_email"}
            for e in history
            if e["artifact"] == name
        ]
        assert entry["history"] == own, name
        assert entry["deprecations"] == [e for e in own if e["event"] == "deprecation"], name
        described = gto_describe(site.repo, name)
        assert entry["declared"] == described, name
    assert manifest["artifacts"]["classifier"]["stages"] == {"prod": ["v1.0.0"]}
    assert [v["version"] for v in manifest["artifacts"]["classifier"]["versions"]] == [
        "v2.0.0",
        "v1.0.0",
    ]
    assert manifest["artifacts"]["legacy"]["active"] is False
    assert manifest["index"] == "artifacts.yaml"


def test_the_manifest_holds_the_timeline_when_one_is_computed(gto_site: GtoSite) -> None:
    site = gto_site
    changes = site.build.manifest()["timeline"]
    models = [c for c in changes if c["path"] == "models/model.txt"]
    commits = site.repo.git("log", "--format=%H", "--", "dvc.lock").split()
    retrains = [c for c in commits if model_md5_at(site.repo, c) != _md5_before(site.repo, c)]
    assert [c["commit"] for c in models] == retrains
    for change in models:
        assert change["kind"] == "model"
        assert change["new_md5"] == model_md5_at(site.repo, change["commit"])
        assert change["old_md5"] == _md5_before(site.repo, change["commit"])
    shown = timeline_rows(article(site.build.page("timeline")))
    assert [r[1] for r in shown] == [c["commit"][:7] for c in changes]


def _md5_before(repo: Repo, commit: str) -> str | None:
    parent = repo.run(
        "git", "rev-parse", "-q", "--verify", f"{commit}^", check=False
    ).stdout.strip()
    if not parent or "dvc.lock" not in repo.git("ls-tree", "--name-only", parent).split():
        return None
    return model_md5_at(repo, parent)


def test_the_manifest_has_no_timeline_when_none_is_computed(
    registered_site: RegisteredSite,
) -> None:
    manifest = registered_site.build.manifest()
    assert manifest["timeline"] is None
    assert sorted(manifest["registry"]["artifacts"]) == ["classifier", "legacy"]
