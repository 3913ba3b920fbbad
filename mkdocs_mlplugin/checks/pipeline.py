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
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from mkdocs_mlplugin.facts.dvc import Hashed, Project, Stage, dvcignore
from mkdocs_mlplugin.facts.structured import load_structured, lookup
from mkdocs_mlplugin.findings import FindingError
from mkdocs_mlplugin.guards import open_file

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


def file_md5(fobj: BinaryIO, algorithm: str) -> str:
    """The hash DVC records for a file's bytes. DVC 3's "md5" is the md5 of the bytes, done
    here with hashlib (importing DVC's hashing modules costs a build 0.08 s); DVC 2's
    "md5-dos2unix" first rewrites line ends in text files, by DVC's own rules."""
    if algorithm != "md5":
        from dvc_data.hashfile.hash import fobj_md5

        return fobj_md5(fobj, name=algorithm)
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := fobj.read(2**20):
        digest.update(chunk)
    return digest.hexdigest()


class Hasher:
    """md5 of workspace files and directories the way DVC computes them, cached by
    (path, size, mtime) so a ``serve`` rebuild hashes only what changed."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, int, str], str] = {}
        self.hashed = 0  # files actually read, for tests and the benchmark

    def file(self, root: Path, path: str, algorithm: str) -> str:
        """The hash of the file PATH (relative to ROOT), opened through guards.open_file: an
        FindingError when it is outside ROOT or not a regular file."""
        with open_file(root, path) as fobj:
            st = os.fstat(fobj.fileno())
            key = (str(root / path), st.st_size, st.st_mtime_ns, algorithm)
            if key not in self._cache:
                self._cache[key] = file_md5(fobj, algorithm)
                self.hashed += 1
        return self._cache[key]

    def tree(self, root: Path, path: str, algorithm: str, ignored: Callable[[Path], bool]) -> str:
        """A directory's ``.dir`` hash: md5 of the sorted JSON list of its files' hashes."""
        entries = []
        top = root / path
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not ignored(Path(dirpath) / d)]
            for name in filenames:
                item = Path(dirpath) / name
                if ignored(item):
                    continue
                entries.append(
                    {
                        "md5": self.file(root, item.relative_to(root).as_posix(), algorithm),
                        "relpath": item.relative_to(top).as_posix(),
                    }
                )
        entries.sort(key=lambda e: e["relpath"])
        body = json.dumps(entries, sort_keys=True).encode("utf-8")
        return hashlib.md5(body, usedforsecurity=False).hexdigest() + ".dir"


#: shared across builds of one process (``mkdocs serve``)
HASHER = Hasher()


def pipeline_status(
    project: Project,
    in_git: Callable[[str], bool],
    hasher: Hasher = HASHER,
    changed_since: Callable[[str, str], bool] | None = None,
) -> dict[str, Verdict]:
    """A verdict for every stage. IN_GIT says whether a project-relative path is kept in git
    (tracked, or untracked and not ignored): only such files are hashed. CHANGED_SINCE(dir,
    lockfile) says whether git shows a change to a file under dir after lockfile was last
    committed (or uncommitted); it settles directory deps whose hash git alone cannot recompute."""
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
        try:
            self.ignore = dvcignore(project.root)
        except FindingError:  # the project reports it
            self.ignore = None

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
