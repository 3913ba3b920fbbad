"""The experiments DVC keeps in git: ``refs/exps/<baseline[:2]>/<baseline[2:]>/<name>``.

``dvc exp run`` commits each experiment on top of its baseline commit and points a ref of
that shape at it (``dvc.repo.experiments.refs.ExpRefInfo``). They are read here from git
alone, as ``dvc exp show`` lists them but without DVC's Repo: one ``git for-each-ref`` gives
every experiment with its commit and date; whether one was promoted (its commit is on a
branch, as after ``dvc exp branch`` and a merge) is one ``git rev-list``; the params and
metrics of an experiment are those of its commit (``facts.compare.Revisions.snapshot``: the
metrics files and params the dvc.yaml files there declare, read from git). DVC's own
namespaces below ``refs/exps`` (the stash, ``apply``, ``exec``, ``celery``, ``temp``) are
queues and scratch refs, not experiments, and are skipped as DVC skips them.

``Experiments`` is the build's one reader: nothing is read until a page asks, and then each
fact once per build.
"""

from __future__ import annotations

import dataclasses
import re
import threading

from mkdocs_mlplugin.facts.compare import Revisions, Side, Snapshot
from mkdocs_mlplugin.facts.git import iso_date
from mkdocs_mlplugin.findings import FindingError

NAMESPACE = "refs/exps/"
_FIELDS = 4  # refname, objectname, objecttype, committer date: see _FORMAT
_FORMAT = "%(refname)%00%(objectname)%00%(objecttype)%00%(committerdate:raw)%00"
_SHA = re.compile("[0-9a-f]{40}(?:[0-9a-f]{24})?")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment: its name, the commit ``dvc exp run`` made, the baseline it ran on,
    when it was committed and the branches that hold its commit (promoted when any)."""

    name: str
    ref: str
    commit: str
    baseline: str
    date: str  # ISO 8601 committer date, as dvc exp show's Created (""; unknown)
    promoted: bool = False  # a branch holds its commit
    branches: tuple[str, ...] = ()  # which ones (empty when git could not say)

    @property
    def side(self) -> Side:
        return Side(self.name, self.commit, f"experiment {self.name}")


def parse_refs(raw: bytes) -> tuple[list[Experiment], list[str]]:
    """The experiments in ``git for-each-ref --format=_FORMAT refs/exps/`` output, newest
    first (DVC's order: by date, then commit, descending), and what was skipped as unreadable.
    Fields end with NUL (git cannot write one inside a field), records with a line feed."""
    tokens = raw.split(b"\x00")
    found: list[Experiment] = []
    skipped: list[str] = []
    for i in range(0, len(tokens) - _FIELDS, _FIELDS):
        fields = [t.decode("utf-8", "surrogateescape") for t in tokens[i : i + _FIELDS]]
        ref, sha, kind, date = fields[0].lstrip("\n"), fields[1], fields[2], fields[3]
        parts = ref.split("/")
        if len(parts) != 5 or parts[2] in ("exec", "celery", "apply", "temp"):
            continue  # the stash, DVC's work refs, and refs of no experiment
        baseline, name = parts[2] + parts[3], parts[4]
        if not (_SHA.fullmatch(baseline) and _SHA.fullmatch(sha) and kind == "commit"):
            skipped.append(ref)
            continue
        found.append(Experiment(_clean(name), ref, sha, baseline, iso_date(date)))
    found.sort(key=lambda e: (e.date, e.commit), reverse=True)
    return found, skipped


def _clean(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class Experiments:
    """The build's reader of experiments (see the module's docstring)."""

    def __init__(self, revisions: Revisions) -> None:
        self.revisions = revisions
        self.repo = revisions.repo
        self._lock = threading.Lock()
        self._listed: list[Experiment] | None = None
        self.skipped: list[str] = []  # refs below refs/exps that name no experiment
        self.problem: str | None = None  # why none could be listed, when git failed
        self.used = False  # whether a page asked: the manifest lists them then
        self._dates: dict[str, str] = {}  # commit -> its committer date

    def listed(self) -> list[Experiment]:
        """Every experiment of every baseline, newest first: one ``git for-each-ref`` and one
        ``git rev-list``, the first time a page asks."""
        with self._lock:
            self.used = True
            if self._listed is None:
                self._listed = self._read()
            return self._listed

    def _read(self) -> list[Experiment]:
        try:
            raw = self.repo.run("for-each-ref", f"--format={_FORMAT}", NAMESPACE)
        except FindingError as exc:
            self.problem = exc.finding.message
            return []
        found, self.skipped = parse_refs(raw)
        if not found:
            return found
        on_branches = self._on_branches([e.commit for e in found])
        return [
            dataclasses.replace(e, promoted=True, branches=on_branches[e.commit])
            if e.commit in on_branches
            else e
            for e in found
        ]

    def _on_branches(self, commits: list[str]) -> dict[str, tuple[str, ...]]:
        """The branches holding each of COMMITS that a branch holds: ``git rev-list`` lists
        what only experiments reach; the others, few, are asked which branches have them."""
        try:
            alone = self.repo.run("rev-list", *dict.fromkeys(commits), "--not", "--branches")
        except FindingError as exc:
            self.problem = exc.finding.message
            return {}
        unmerged = set(alone.decode("ascii", "replace").split())
        held: dict[str, tuple[str, ...]] = {}
        for commit in dict.fromkeys(c for c in commits if c not in unmerged):
            out = self.repo.try_run(
                "for-each-ref", "--format=%(refname:short)", f"--contains={commit}", "refs/heads/"
            )
            held[commit] = tuple(sorted(b for b in (out or "").splitlines() if b))
        return held

    def of(self, baseline: str | None) -> list[Experiment]:
        """The experiments run on BASELINE (a commit; None: every baseline)."""
        return [e for e in self.listed() if baseline is None or e.baseline == baseline]

    def named(self, name: str) -> list[Experiment]:
        """The experiments called NAME (one per baseline it was run on)."""
        return [e for e in self.listed() if e.name == name]

    def dates(self, commits: list[str]) -> dict[str, str]:
        """The committer date (ISO 8601, "" when unknown) of each of COMMITS (baselines), as
        dvc exp show dates them: one ``git show`` for those not asked before."""
        with self._lock:
            todo = [c for c in dict.fromkeys(commits) if c not in self._dates and _SHA.fullmatch(c)]
            if todo:
                try:
                    raw = self.repo.run(
                        "show",
                        "-s",
                        "--no-color",
                        "--no-show-signature",
                        "--format=%H%x00%cd%x00",
                        "--date=raw",
                        *todo,
                    )
                except FindingError:
                    raw = b""
                tokens = raw.decode("utf-8", "replace").split("\x00")
                for sha, date in zip(tokens[0::2], tokens[1::2], strict=False):
                    self._dates[sha.strip()] = iso_date(date)
            return {c: self._dates.get(c, "") for c in commits}

    def names(self, commits: list[str]) -> dict[str, str]:
        """A name for each of COMMITS (baselines) that a tag or branch points to, as dvc exp
        show names baselines (``dvc.repo.experiments.utils.describe``): a tag first, then a
        branch; one ``git for-each-ref``. The current branch's name for HEAD is the caller's."""
        wanted = set(commits)
        try:
            raw = self.repo.run(
                "for-each-ref",
                "--format=%(objectname)%00%(*objectname)%00%(refname)%00",
                "refs/tags/",
                "refs/heads/",
            )
        except FindingError:
            return {}
        tags: dict[str, str] = {}
        branches: dict[str, str] = {}
        tokens = raw.decode("utf-8", "surrogateescape").split("\x00")
        for i in range(0, len(tokens) - 3, 3):
            sha, peeled, ref = tokens[i].lstrip("\n"), tokens[i + 1], tokens[i + 2]
            commit = peeled or sha
            if commit not in wanted:
                continue
            if ref.startswith("refs/tags/"):
                tags.setdefault(commit, _clean(ref[len("refs/tags/") :]))
            elif ref.startswith("refs/heads/"):
                branches.setdefault(commit, _clean(ref[len("refs/heads/") :]))
        return {c: tags.get(c) or branches[c] for c in commits if c in tags or c in branches}

    def snapshots(self, commits: list[str]) -> dict[str, Snapshot]:
        """The params and metrics at each of COMMITS (experiments' and baselines'), each
        read once per build, together."""
        return self.revisions.snapshots(commits)
