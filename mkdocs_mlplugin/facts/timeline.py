"""Facts of past commits: the data and model timeline, and the metrics of past versions.

The timeline is every commit that changed a tracked dataset's or model's hash, built from the
history the plugin already has (the one ``git log``) and the old contents of dvc.lock and .dvc
files (one ``git cat-file --batch``). The metrics of a version are read as ``dvc metrics show
--all-tags`` reads them: from the metrics files that the dvc.yaml files *at that commit*
declared. Pure apart from the blob reader given (``PastMetrics`` holds the repository's).
"""

from __future__ import annotations

import dataclasses
import posixpath
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from mkdocs_mlplugin.checks.drift import Unreadable, parse
from mkdocs_mlplugin.facts.dvc import (
    LOCK_FILE,
    PIPELINE_FILE,
    Project,
    Stage,
    declared_metrics,
    metrics_need_resolving,
    resolve_written,
    resolve_written_plainly,
)
from mkdocs_mlplugin.facts.git import Commit, FileHistory, GitRepo
from mkdocs_mlplugin.facts.structured import flatten, parse_blob, parse_structured, parse_yaml
from mkdocs_mlplugin.findings import Finding, FindingError

#: what ``resolve_written`` gives: the stages, the values taken from ``vars`` files, the
#: top-level ``metrics:``
Written = tuple[list[tuple[str, Stage]], dict[str, dict[str, Any]], list[Any]]
# what the fast path reads of a past dvc.yaml: stages, top-level metrics, the files it read
Plain = tuple[list[tuple[str, Stage]], list[Any], list[str]] | None
_Result = TypeVar("_Result")


@dataclasses.dataclass(frozen=True)
class Change:
    commit: Commit
    path: str  # the output, relative to the DVC project root
    file: str  # the dvc.lock or .dvc file that records it
    old_md5: str | None
    new_md5: str | None
    old_size: int | None
    new_size: int | None


def record_pathspecs(prefix: str) -> list[str]:
    """git pathspecs of every dvc.lock and .dvc file below PREFIX, also of those long gone
    (a pathspec's '*' matches '/' too)."""
    return [f"{prefix}*.dvc", f"{prefix}*{LOCK_FILE}"]


def is_record(path: str) -> bool:
    """Whether PATH is a dvc.lock or .dvc file."""
    name = posixpath.basename(path)
    return name == LOCK_FILE or (name.endswith(".dvc") and name != ".dvc")


def nested_projects(history: dict[str, FileHistory] | None, prefix: str) -> list[str]:
    """Directories below PREFIX (relative to it) that held a DVC project of their own."""
    tail = "/.dvc/config"
    return [
        k[len(prefix) : -len(tail)]
        for k in history or {}
        if k.startswith(prefix) and k.endswith(tail)
    ]


def _outside(path: str, nested: Sequence[str]) -> bool:
    return not any(path.startswith(n + "/") for n in nested)


def outs_of(
    data: Any, file: str, wdirs: dict[str, str] | None = None
) -> dict[str, tuple[str | None, int | None]]:
    """path -> (md5, size) of every output a parsed dvc.lock or .dvc file records. A lock
    entry's paths are relative to its stage's wdir: WDIRS, stage name -> project-relative
    wdir, from the dvc.yaml of the same commit (default: the lock file's directory)."""
    base = posixpath.dirname(file)
    if not isinstance(data, dict):
        return {}
    if file.endswith(".dvc"):
        entries = [(base, o) for o in data.get("outs") or [] if isinstance(o, dict)]
    else:
        stages = data.get("stages") if "schema" in data else data
        entries = [
            ((wdirs or {}).get(str(name).split("@")[0], base), o)
            for name, stage in (stages if isinstance(stages, dict) else {}).items()
            if isinstance(stage, dict)
            for o in stage.get("outs") or []
            if isinstance(o, dict)
        ]
    return {
        posixpath.normpath(posixpath.join(wdir, str(o.get("path")))): (o.get("md5"), o.get("size"))
        for wdir, o in entries
    }


def stage_wdirs(data: Any, dvcfile: str) -> dict[str, str]:
    """Stage name (of a foreach/matrix group: its name) -> project-relative wdir, for the
    stages of a parsed dvc.yaml that set a literal one."""
    stages = data.get("stages") if isinstance(data, dict) else None
    found: dict[str, str] = {}
    for name, stage in (stages if isinstance(stages, dict) else {}).items():
        body = stage.get("do", stage) if isinstance(stage, dict) else None
        wdir = body.get("wdir") if isinstance(body, dict) else None
        if isinstance(wdir, str) and "${" not in wdir:
            found[str(name)] = posixpath.normpath(posixpath.join(posixpath.dirname(dvcfile), wdir))
    return found


def changes(
    records: dict[str, FileHistory],
    prefix: str,
    blobs: Callable[[list[str]], dict[str, bytes | None]],
    nested: Sequence[str] = (),
    unreadable: dict[str, Unreadable] | None = None,
) -> list[Change]:
    """Every change of a recorded output hash, newest first.

    RECORDS is the history of the dvc.lock and .dvc files (``record_pathspecs``) with renames
    not followed, so that each key is the path a file had: files deleted since, moved (``dvc
    move``) or of a pipeline removed since count too. An output's hash is what any of them
    records for it at a commit: an output that moves from a .dvc file to a stage, or whose
    .dvc file moves, keeps its hash. A version that cannot be read is skipped (its changes show
    at the next one that can) and put in UNREADABLE, by 'commit:path'."""
    files = {
        k[len(prefix) :]: h
        for k, h in records.items()
        if k.startswith(prefix) and is_record(k) and _outside(k[len(prefix) :], nested)
    }
    # commit -> {file: whether it exists after the commit}, for every commit touching one
    events: dict[str, tuple[Commit, dict[str, bool]]] = {}
    for file, history in files.items():
        for commit in history.commits:
            events.setdefault(commit.sha, (commit, {}))[1][file] = True
        for commit in history.deleted:
            events.setdefault(commit.sha, (commit, {}))[1][file] = False
    kept = [(sha, f) for sha, (_, fs) in events.items() for f, k in fs.items() if k]
    pipelines = [
        (sha, posixpath.join(posixpath.dirname(f), PIPELINE_FILE))
        for sha, f in kept
        if posixpath.basename(f) == LOCK_FILE
    ]
    specs = [f"{sha}:{prefix}{f}" for sha, f in kept + pipelines]
    contents = blobs(specs) if specs else {}
    state: dict[str, dict[str, tuple[str | None, int | None]]] = {}  # file -> its outputs

    def recorded(
        path: str, files: dict[str, dict[str, tuple[str | None, int | None]]]
    ) -> tuple[str | None, int | None, str | None]:
        for file in sorted(files):
            if path in files[file]:
                return (*files[file][path], file)
        return None, None, None

    found: list[Change] = []
    for commit, touched in sorted(events.values(), key=lambda e: -e[0].index):  # oldest first
        before = dict(state)
        for file, exists in touched.items():
            blob = contents.get(f"{commit.sha}:{prefix}{file}") if exists else None
            wdirs = None
            if posixpath.basename(file) == LOCK_FILE:
                dvcfile = posixpath.join(posixpath.dirname(file), PIPELINE_FILE)
                wdirs = stage_wdirs(parse(contents.get(f"{commit.sha}:{prefix}{dvcfile}")), dvcfile)
            data = parse(blob, prefix + file)
            if isinstance(data, Unreadable):  # skipped: its changes show at the next version
                if unreadable is not None:
                    unreadable[f"{commit.sha}:{prefix}{file}"] = data
                state.setdefault(file, {})
                continue
            state[file] = outs_of(data, file, wdirs)
        paths = {p for f in touched for p in (*before.get(f, {}), *state[f])}
        for path in sorted(paths):
            old, new = recorded(path, before), recorded(path, state)
            if old[0] != new[0]:
                file = new[2] or old[2] or ""
                found.append(Change(commit, path, file, old[0], new[0], old[1], new[1]))
    found.sort(key=lambda c: (c.commit.index, c.path))
    return found


# --------------------------------------------------------------------------- metrics of the past


@dataclasses.dataclass
class MetricsAt:
    """The metrics files the dvc.yaml files of one commit declared, and what git holds of them."""

    values: dict[str, dict[str, Any] | None] = dataclasses.field(default_factory=dict)
    cached: set[str] = dataclasses.field(default_factory=set)  # DVC-cached: not in git
    unreadable: set[str] = dataclasses.field(default_factory=set)  # in git, cannot be read
    problems: list[str] = dataclasses.field(default_factory=list)  # what could not be read
    # of the problems, the dvc.yaml files that could not be read: they concern params too
    pipelines: list[str] = dataclasses.field(default_factory=list)
    # dvc.yaml files whose metrics only DVC's resolver tells, and why it could not: their
    # metrics are not known, so no table of this commit's metrics is whole
    unresolved: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class PastMetrics:
    """The one place pages read past commits: the metrics files PROJECT's dvc.yaml files
    declared at a commit, with their values in git at that commit (``at``). Read lazily, when a
    metrics-history block asks, because it costs two ``git cat-file --batch`` runs and most
    pages never need it."""

    project: Project
    history: dict[str, FileHistory] | None  # the build's history: which dvc.yaml files existed
    prefix: str  # how project-relative paths start from the git root: "" or "sub/dir/"
    repo: GitRepo

    def at(self, commits: list[str]) -> dict[str, MetricsAt]:
        """What each of COMMITS declared as metrics, and those files' values (``metrics_at``)."""
        pipelines = self.pipelines(commits)
        return metrics_at(commits, pipelines, self.prefix, self.repo.blobs, self.project.root)

    def pipelines(self, commits: list[str]) -> list[str]:
        """The dvc.yaml files to read at COMMITS: ``pipeline_files``, and those that commits
        outside HEAD's history (an experiment's, a branch not merged) added or changed, which
        HISTORY does not know. DVC reads each revision's own dvc.yaml files (DVCLive writes
        one in its directory: iterative/lstm_seq2seq's experiments hold
        dvclive/first_stage/dvc.yaml). One ``git log`` for all of COMMITS."""
        known = pipeline_files(self.project, self.history, self.prefix)
        # a commit the build's log listed is HEAD's or an ancestor's: nothing beyond HEAD
        listed_already: set[str] = getattr(self.history, "shas", set())
        if not commits or listed_already.issuperset(commits):
            return known
        try:
            listed = self.repo.run(
                "log", "--format=", "--name-only", "--no-renames", "-z",
                *commits, "--not", "HEAD", "--", self.prefix or ".",
            )  # fmt: skip
        except FindingError:
            return known  # no HEAD yet: every commit's files are beyond it, none to add
        nested = nested_projects(self.history, self.prefix)
        names = (n.strip("\n") for n in listed.decode("utf-8", "surrogateescape").split("\x00"))
        beyond = {
            name[len(self.prefix) :]
            for name in names
            if name.startswith(self.prefix) and posixpath.basename(name) == PIPELINE_FILE
        }
        return sorted({*known, *(p for p in beyond if _outside(p, nested))})


def pipeline_files(
    project: Project, history: dict[str, FileHistory] | None, prefix: str
) -> list[str]:
    """Project-relative dvc.yaml files of the project now or at any commit in HISTORY (not
    those of a DVC project nested inside it)."""
    found = {s.dvcfile for s in project.stages.values()} | {
        f for f in project.unreadable if posixpath.basename(f) == PIPELINE_FILE
    }
    nested = nested_projects(history, prefix)
    known = [k[len(prefix) :] for k in history or {} if k.startswith(prefix)]
    found |= {
        path
        for path in known
        if posixpath.basename(path) == PIPELINE_FILE and _outside(path, nested)
    }
    return sorted(found)


def metrics_at(
    commits: list[str],
    pipelines: list[str],
    prefix: str,
    blobs: Callable[[list[str]], dict[str, bytes | None]],
    root: Path,
    resolutions: Resolutions | None = None,
) -> dict[str, MetricsAt]:
    """What each commit's dvc.yaml files (PIPELINES, project-relative, where they exist at
    that commit) declare as metrics, and those files' values in git at that commit: two
    ``git cat-file --batch`` runs, one for the dvc.yaml files, one for the metrics files. A
    dvc.yaml whose metrics only DVC's resolver tells (foreach, matrix, ``${...}``) is
    resolved with that commit's files (``resolve_written``, the project being at ROOT); when
    it cannot be, the file is in the commit's ``unresolved``. RESOLUTIONS keeps what was
    resolved (default: for this call)."""
    resolutions = resolutions or Resolutions(blobs, prefix, root)
    found = {commit: MetricsAt() for commit in commits}
    pairs = [(c, f) for c in found for f in pipelines]
    for commit, dvcfile, blob in _read(pairs, prefix, blobs):
        at = found[commit]
        # a text whose metrics are read as written declares the same at every commit
        declared = resolutions.as_written.get((dvcfile, blob))
        if declared is None:
            shown = f"{dvcfile} at commit {commit[:7]}"
            try:
                data = parse_blob(blob, shown, parse_yaml)
            except FindingError as exc:
                at.problems.append(exc.finding.message)
                at.pipelines.append(exc.finding.message)
                continue
            resolved = None
            if isinstance(data, dict) and metrics_need_resolving(data):
                plain = resolutions.plainly(commit, dvcfile, data, blob)
                if plain is not None:
                    resolved = plain[:2]
                else:
                    try:
                        stages, _, metrics = resolutions.resolve(commit, dvcfile, data, blob, shown)
                    except FindingError as exc:
                        at.unresolved[dvcfile] = exc.finding.message
                        continue
                    resolved = (stages, metrics)
            try:
                declared = declared_metrics(data, dvcfile, shown, resolved)
            except FindingError as exc:
                at.problems.append(exc.finding.message)
                at.pipelines.append(exc.finding.message)
                continue
            if resolved is None:
                resolutions.as_written[(dvcfile, blob)] = declared
        for path, cached in declared.items():
            at.values.setdefault(path, None)
            if cached:
                at.cached.add(path)
    pairs = [(c, f) for c, at in found.items() for f in at.values]
    for commit, file, blob in _read(pairs, prefix, blobs):
        at = found[commit]
        try:
            data = parse_at(blob, file, commit)
        except FindingError as exc:
            at.problems.append(exc.finding.message)
            at.unreadable.add(file)
            continue
        at.values[file] = flatten(data) if isinstance(data, dict) else {}
    return found


class Resolutions:
    """``resolve_written`` of the dvc.yaml files of past commits, kept for the build: each
    (file, text, commit) resolved once (the metrics and the params of a commit both ask), and
    a text resolved at one commit taken as it is at another where every file DVC's resolver
    read (params.yaml, ``vars`` files: each through BLOBS, the build's reader of git) holds
    the same bytes. The resolver reads nothing else of a revision (``dvc._Written``), so the
    result is the same; a text DVC refuses is resolved at each commit (its finding names it)."""

    def __init__(
        self,
        blobs: Callable[[list[str]], dict[str, bytes | None]],
        prefix: str,
        root: Path,
    ) -> None:
        self.blobs, self.prefix, self.root = blobs, prefix, root
        self._lock = threading.Lock()
        self._done: dict[tuple[str, bytes, str], Written | Finding] = {}
        # (file, text) -> what the resolver read (path -> bytes, None: absent) and the result
        self._shared: dict[tuple[str, bytes], list[tuple[dict[str, bytes | None], Written]]] = {}
        # the same of the fast path (``plainly``): its result, None where it cannot read the text
        self._plain: dict[
            tuple[str, bytes], list[tuple[dict[str, bytes | None], tuple[Plain]]]
        ] = {}
        self.runs = 0  # DVC's resolver runs (tests bound them)
        self.plain_runs = 0  # the fast path's
        # (file, text) -> the metrics files it declares (True: DVC caches it), of a text
        # whose metrics are read as written (``metrics_at``)
        self.as_written: dict[tuple[str, bytes], dict[str, bool]] = {}

    def resolve(
        self, commit: str, dvcfile: str, data: dict[str, Any], blob: bytes, shown: str
    ) -> Written:
        """DVCFILE (DATA, parsed from BLOB) as DVC's resolver expands it at COMMIT; a
        FindingError naming SHOWN when it cannot."""
        key = (dvcfile, blob, commit)
        with self._lock:
            done = self._done.get(key)
            shared = list(self._shared.get((dvcfile, blob), ()))
        if done is None:
            done = self._same_reads(commit, shared)
        if done is None:
            done = self._run(commit, dvcfile, data, blob, shown)
        with self._lock:
            self._done.setdefault(key, done)
        if isinstance(done, Finding):
            raise FindingError(done)
        return done

    def plainly(
        self, commit: str, dvcfile: str, data: dict[str, Any], blob: bytes
    ) -> tuple[list[tuple[str, Stage]], list[Any], list[str]] | None:
        """``resolve_written_plainly`` of DVCFILE (DATA, parsed from BLOB) at COMMIT: its
        stages, its top-level metrics and the files read for them, read without DVC; None
        where only DVC's resolver reads it (then ``resolve``)."""
        with self._lock:
            shared = list(self._plain.get((dvcfile, blob), ()))
        done = self._same_reads(commit, shared)
        if done is not None:
            return done[0]
        reads, written = self._recorded(commit)
        text = blob.decode("utf-8", "replace")
        self.plain_runs += 1
        plain = resolve_written_plainly(self.root, dvcfile, data, text, written)
        with self._lock:
            self._plain.setdefault((dvcfile, blob), []).append((reads, (plain,)))
        return plain

    def _recorded(
        self, commit: str
    ) -> tuple[dict[str, bytes | None], Callable[[str], bytes | None]]:
        """A reader of COMMIT's files, and what it read (path -> bytes, None for no file)."""
        reads: dict[str, bytes | None] = {}
        read = written_at(self.blobs, self.prefix, commit)

        def written(path: str) -> bytes | None:
            reads[path] = read(path)
            return reads[path]

        return reads, written

    def _same_reads(
        self, commit: str, shared: list[tuple[dict[str, bytes | None], _Result]]
    ) -> _Result | None:
        """A result of SHARED whose reads COMMIT's files match byte for byte, or None."""
        for reads, result in shared:
            specs = {f"{commit}:{self.prefix}{path}": held for path, held in reads.items()}
            now = self.blobs(list(specs)) if specs else {}
            if all(now[spec] == held for spec, held in specs.items()):
                return result
        return None

    def _run(
        self, commit: str, dvcfile: str, data: dict[str, Any], blob: bytes, shown: str
    ) -> Written | Finding:
        reads, written = self._recorded(commit)
        text = blob.decode("utf-8", "replace")
        self.runs += 1
        try:
            result = resolve_written(self.root, dvcfile, data, text, written, shown)
        except FindingError as exc:
            return exc.finding
        with self._lock:
            self._shared.setdefault((dvcfile, blob), []).append((reads, result))
        return result


def written_at(
    blobs: Callable[[list[str]], dict[str, bytes | None]], prefix: str, commit: str
) -> Callable[[str], bytes | None]:
    """A reader of COMMIT's files through BLOBS (project-relative path -> its bytes, None:
    git has none), as DVC's resolver reads another revision's (``resolve_written``)."""

    def written(path: str) -> bytes | None:
        spec = f"{commit}:{prefix}{path}"
        return blobs([spec])[spec]

    return written


def parse_at(blob: bytes, file: str, commit: str) -> Any:
    """BLOB, a params or metrics FILE at COMMIT, parsed by its suffix (``parse_structured``);
    FindingError naming the file and commit when it cannot be."""
    suffix = posixpath.splitext(file)[1].lower()
    return parse_blob(
        blob,
        f"{file} at commit {commit[:7]}",
        lambda text, shown: parse_structured(text, suffix, shown),
    )


def _read(
    pairs: list[tuple[str, str]],
    prefix: str,
    blobs: Callable[[list[str]], dict[str, bytes | None]],
) -> Iterator[tuple[str, str, bytes]]:
    """(commit, file, contents) of each (commit, project-relative file) pair that git has."""
    specs = {pair: f"{pair[0]}:{prefix}{pair[1]}" for pair in pairs}
    contents = blobs(list(specs.values())) if specs else {}
    for (commit, file), spec in specs.items():
        blob = contents.get(spec)
        if blob is not None:
            yield commit, file, blob
