"""Pipeline staleness decided offline, from metadata alone, with ``dvc status`` semantics.

For each stage the verdict compares, as DVC does:

- the command in dvc.yaml with the one dvc.lock recorded ("changed command");
- params values in the params files with the values the lock recorded (modified/new/deleted);
- deps and ``cache: false`` outs kept in git: their content hashed the way DVC hashes it
  (md5, or md5-dos2unix for lock entries written by DVC 2) against the lock;
- deps produced by another stage or a .dvc file: the hash the producer records now against
  the hash this stage's lock recorded when it ran, so no data needs to be present; but where
  git keeps such a dep (a ``cache: false`` out, or a file added to git), its content in git;
- a directory kept in git whose hash differs from the lock: files git ignores (caches, logs)
  may have been in it when the lock was written, so the difference is a change only where
  git's files cannot be the lock's minus some others: as many files as the lock counts or
  more, more bytes than it counts, or a file git shows changed since the lock was committed;
- ``frozen`` (deps not checked) and ``always_changed`` (always stale), as is a stage with a
  command and no deps, params or outs (DVC's "callback" stage).

What only absent data could tell is reported as not verifiable, never as stale.

Files are hashed by the ``facts.hashes.Hasher`` the caller hands in (``check_pipeline``,
``pipeline_status``), which keeps its cache across the builds the caller keeps it for; which files
git keeps comes from the GitRepo handed in.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs_mlplugin.facts.dvc import Hashed, Project, Stage, ancestors
from mkdocs_mlplugin.facts.git import FileHistory, GitRepo, RepoFacts
from mkdocs_mlplugin.facts.hashes import Hasher
from mkdocs_mlplugin.facts.structured import load_structured, lookup
from mkdocs_mlplugin.findings import FindingError

CURRENT, STALE, UNVERIFIABLE = "current", "stale", "not verifiable"


@dataclasses.dataclass
class Verdict:
    """The state of one stage, with DVC's own wording of what changed."""

    stage: str
    state: str
    status: list[Any]  # shaped like one stage's entry in `dvc status --json`
    unverifiable: list[str]
    frozen: bool

    def reasons(self) -> list[str]:
        """The status as sentences: 'changed deps: modified src/train.py', ..."""
        out: list[str] = []
        for item in self.status:
            if isinstance(item, str):
                out.append(item)
                continue
            for group, entries in item.items():
                for path, state in entries.items():
                    if isinstance(state, dict):
                        out.extend(f"{group}: {path}: {s} {k}" for k, s in state.items())
                    else:
                        out.append(f"{group}: {state} {path}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reasons": self.reasons(),
            "dvc_status": self.status,
            "unverifiable": self.unverifiable,
            "frozen": self.frozen,
        }


def check_pipeline(
    project: Project,
    repo: GitRepo | None,
    facts: RepoFacts | None,
    history: dict[str, FileHistory] | None,
    hasher: Hasher | None = None,
) -> dict[str, Verdict]:
    """Pipeline verdicts with what git says: which files it keeps (only those are hashed) and,
    for directory deps, whether a file in them changed after dvc.lock was committed. REPO is
    asked which files it keeps (one ``git ls-files``); HASHER hashes them (a new one when None:
    a caller that keeps one across builds, as ``mkdocs serve`` rebuilds, hashes only what
    changed)."""
    hasher = Hasher() if hasher is None else hasher
    if repo is None:  # files present count as kept, except the data DVC caches

        def present(path: str) -> bool:
            found = project.producer(path)
            return (project.root / path).exists() and (found is None or not found[1].cache)

        return pipeline_status(project, present, hasher)
    kept = repo.kept_files(project.root)
    dirs = {parent for path in kept for parent in ancestors(path)}
    prefix = repo.prefix(project.root)
    changed = facts.changed if facts else ()
    files = history or {}

    def changed_since(directory: str, lockfile: str) -> bool:
        under = f"{prefix}{directory}/"
        if any(path.startswith(under) for path in changed):
            return True  # not committed yet
        lock = files.get(prefix + lockfile)
        if lock is None or lock.updated is None:
            return False
        newest = min(
            (h.updated.index for p, h in files.items() if p.startswith(under) and h.updated),
            default=None,
        )
        return newest is not None and newest < lock.updated.index

    return pipeline_status(
        project, lambda path: path in kept or path in dirs, hasher, changed_since=changed_since
    )


def pipeline_status(
    project: Project,
    in_git: Callable[[str], bool],
    hasher: Hasher,
    changed_since: Callable[[str, str], bool] | None = None,
) -> dict[str, Verdict]:
    """A verdict for every stage. IN_GIT says whether a project-relative path is kept in git
    (tracked, or untracked and not ignored): only such files are hashed, by HASHER.
    CHANGED_SINCE(dir, lockfile) says whether git shows a change to a file under dir after
    lockfile was last committed (or uncommitted); it settles directory deps whose hash git alone
    cannot recompute."""
    checker = _Checker(project, in_git, hasher, changed_since or (lambda _dir, _lock: False))
    return {name: checker.verdict(stage) for name, stage in project.stages.items()}


class _Checker:
    def __init__(
        self,
        project: Project,
        in_git: Callable[[str], bool],
        hasher: Hasher,
        changed_since: Callable[[str, str], bool],
    ) -> None:
        self.project = project
        self.in_git = in_git
        self.hasher = hasher
        self.changed_since = changed_since
        self.ignore = project.ignore  # .dvcignore, as the project was read with it

    def verdict(self, stage: Stage) -> Verdict:
        status: list[Any] = []
        unverifiable: list[str] = []
        if stage.lock_unreadable:
            why = f"{_lockfile(stage)} cannot be read, so what the stage's last run recorded is unknown"
            return Verdict(stage.name, UNVERIFIABLE, [], [why], stage.frozen)
        if not stage.frozen:
            deps: dict[str, Any] = {}
            for dep in stage.deps:
                state = self._dep(stage, dep, unverifiable)
                if state:
                    deps[dep] = state
            for file, keys in stage.params.items():
                state = self._params(stage, file, keys, unverifiable)
                if state:
                    deps[file] = state
            if deps:
                status.append({"changed deps": deps})
        outs: dict[str, str] = {}
        for out in stage.outs:
            state = self._out(stage, out, unverifiable)
            if state:
                outs[out.path] = state
        if outs:
            status.append({"changed outs": outs})
        if stage.always_changed or stage.is_callback:
            status.append("always changed")
        if stage.locked and stage.lock_cmd != stage.cmd:
            status.append("changed command")
        state = STALE if status else (UNVERIFIABLE if unverifiable else CURRENT)
        return Verdict(stage.name, state, status, unverifiable, stage.frozen)

    # ------------------------------------------------------------------ deps

    def _dep(self, stage: Stage, path: str, unverifiable: list[str]) -> str | None:
        locked = stage.lock_deps.get(path)
        found = self.project.producer(path)
        if found is not None and not self._git_keeps(found[1]):
            owner, recorded = found
            if locked is None or locked.md5 is None:
                return "modified"
            if recorded.md5 is None:
                unverifiable.append(
                    f"{path}: '{owner}' has not run, so its output's hash is unknown"
                )
                return None
            return "modified" if recorded.md5 != locked.md5 else None
        if found is None:
            inside = self.project.containing_out(path)
            if inside is not None:
                unverifiable.append(f"{path}: lies inside the DVC-tracked directory {inside}")
                return None
            if self.project.holds_outs(path):
                unverifiable.append(f"{path}: a directory holding DVC-tracked data")
                return None
        # kept in git (the producer's out too, when there is one): DVC compares the content
        return self._workspace(path, locked, unverifiable, _lockfile(stage))

    def _git_keeps(self, out: Hashed) -> bool:
        """Whether git keeps the output OUT, so that its content in git is what DVC hashes:
        a ``cache: false`` output, or a file DVC caches that was added to git too (not a
        directory DVC caches, of which git may keep a few files only)."""
        return self.in_git(out.path) and not (out.cache and out.is_dir)

    def _workspace(
        self, path: str, locked: Hashed | None, unverifiable: list[str], lockfile: str
    ) -> str | None:
        """Compare a path kept in git with the hash the lock recorded for it (LOCKED)."""
        if self.project.external(path):
            unverifiable.append(f"{path}: outside the project (external), so it is not hashed")
            return None
        full = self.project.root / path
        if not self.in_git(path):
            if full.exists():
                unverifiable.append(f"{path}: not kept in git, so it is not hashed")
            else:
                unverifiable.append(f"{path}: not in the workspace and not kept in git")
            return None
        if not full.exists():
            return "deleted"
        if locked is None or locked.md5 is None:
            return "modified"
        algorithm = locked.hash_name or "md5-dos2unix"
        try:
            if not full.is_dir():
                digest = self.hasher.file(self.project.root, path, algorithm)
                return "modified" if digest != locked.md5 else None
            if self.hasher.tree(self.project.root, path, algorithm, self._ignored) == locked.md5:
                return None
        except FindingError as exc:
            unverifiable.append(f"{exc.finding.message.rstrip('.')}, so it is not hashed")
            return None
        return self._directory(path, locked, unverifiable, lockfile)

    def _directory(
        self, path: str, locked: Hashed, unverifiable: list[str], lockfile: str
    ) -> str | None:
        """A directory kept in git whose hash differs from the lock's. The lock's hash covers
        every file that was in it, also files git ignores (caches, logs) that a fresh checkout
        lacks; so git's files prove a change unless they could be the lock's files minus some
        others: fewer files, and no more bytes, than the lock counts."""
        count, size, unkept = self._kept_contents(self.project.root / path)
        if unkept or self.changed_since(path, lockfile):
            return "modified"  # files git does not keep are here too, or git shows a change
        if locked.nfiles is not None and locked.nfiles <= count:
            return "modified"
        # the lock's size, where it compares: not in DVC 2's md5-dos2unix entries (checkouts
        # may change line ends, and with them sizes)
        locked_size = locked.size if locked.hash_name is not None else None
        sized = locked_size is not None
        if locked_size is not None and locked_size < size:
            return "modified"
        if locked.nfiles is None:
            unverifiable.append(
                f"{path}: its hash differs from {lockfile}, which does not record how many "
                f"files it had; no file git keeps in it changed since {lockfile} was "
                "committed, and files git ignores may have been there when it was written"
            )
            return None
        extra = locked.nfiles - count
        held = f"{count} {_files(count)}" + (f" ({size} bytes)" if sized else "")
        more = f"{extra} other {_files(extra)}" + (
            f" ({locked_size - size} bytes)" if locked_size is not None else ""
        )
        unverifiable.append(
            f"{path}: {lockfile} records {locked.nfiles} {_files(locked.nfiles)}"
            + (f" ({locked.size} bytes)" if sized else "")
            + f" under another hash; git keeps {held} there, none changed since {lockfile} was "
            f"committed. The {more} may be files git ignores that were there when {lockfile} "
            "was written (caches, logs), or files removed since"
        )
        return None

    def _kept_contents(self, directory: Path) -> tuple[int, int, bool]:
        """How many files, of how many bytes, DVC would hash in DIRECTORY that git keeps;
        and whether any file it would hash is one git does not keep."""
        count = size = 0
        unkept = False
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = [d for d in dirnames if not self._ignored(Path(dirpath) / d)]
            for name in filenames:
                item = Path(dirpath) / name
                if self._ignored(item):
                    continue
                if self.in_git(item.relative_to(self.project.root).as_posix()):
                    count += 1
                    size += item.stat().st_size
                else:
                    unkept = True
        return count, size, unkept

    def _ignored(self, path: Path) -> bool:
        if self.ignore is None:
            return False
        rel = path.relative_to(self.project.root).as_posix()
        return bool(self.ignore.match_file(rel + "/" if path.is_dir() else rel))

    # ------------------------------------------------------------------ params

    def _params(
        self, stage: Stage, file: str, keys: list[str] | None, unverifiable: list[str]
    ) -> Any:
        if file in self.project.outside:
            unverifiable.append(f"{file}: outside the DVC project, not read")
            return None
        if file in self.project.unreadable:
            unverifiable.append(f"{file}: cannot be read (see its error)")
            return None
        if file not in self.project.params and not (self.project.root / file).is_file():
            return "deleted"
        if not stage.locked or file not in stage.lock_params:
            return "new"
        try:
            data = self.project.params.get(file)
            if data is None:
                data = load_structured(self.project.root, file)
        except FindingError:
            return "modified"  # unreadable: the file reports its own finding
        info = stage.lock_params[file]
        if keys is None:
            actual = dict(data) if isinstance(data, dict) else {}
            wanted = list(dict.fromkeys([*actual, *info]))
        else:
            actual = {}
            for key in keys:
                found, value = lookup(data, key)
                if found:
                    actual[key] = value
            wanted = keys
        changes: dict[str, str] = {}
        for key in wanted:
            if key not in actual:
                changes[key] = "deleted"
            elif key not in info:
                changes[key] = "new"
            elif actual[key] != info[key]:
                changes[key] = "modified"
        return changes or None

    # ------------------------------------------------------------------ outs

    def _out(self, stage: Stage, out: Hashed, unverifiable: list[str]) -> str | None:
        path = out.path
        if out.md5 is None:  # never recorded: the stage has not run since the out was declared
            if self.project.external(path):
                unverifiable.append(f"{path}: outside the project (external), not looked at")
                return None
            return "modified" if (self.project.root / path).exists() else "deleted"
        if out.cache and not self._git_keeps(out):
            return None  # data: its hash in the lock is the truth, the workspace copy is not needed
        return self._workspace(path, out, unverifiable, _lockfile(stage))


def _lockfile(stage: Stage) -> str:
    return stage.dvcfile[: -len("dvc.yaml")] + "dvc.lock"


def _files(n: int) -> str:
    return "file" if n == 1 else "files"
