"""Read-only git facts: the repository's state and, from one pass over history, per-file dates.

git itself is run, with a fixed argument list, never a shell, with ``GIT_OPTIONAL_LOCKS=0``
so that not even ``git status`` refreshes the index: a build never changes git state. Which
repository a directory belongs to is what ``git rev-parse`` says (worktrees, ``.git`` files
of submodules, ``GIT_DIR`` and ``safe.directory`` included), not a reading of our own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from .findings import Finding, MLPluginError

_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # no index refresh, no lock files
    "GIT_TERMINAL_PROMPT": "0",  # never ask for credentials
    "LC_ALL": "C",  # messages we may show are in one language
}
_RECORD = "\x1e"
_TRAILER = "\x1f"  # between Co-authored-by: values
_CO_AUTHORS = "%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x1f)"
# git log keeps up to 96 MB of unpacked delta bases by default; at 20,000 commits that cache is
# most of its memory and, capped at 8 MB, gives the same output in about the same time.
_LOG_MEMORY = ("-c", "core.deltaBaseCacheLimit=8m")


@dataclasses.dataclass(frozen=True, slots=True)  # one per commit: 20,000 on large sites
class Commit:
    """A commit as pages show it."""

    sha: str
    date: str  # ISO 8601 author date, with the author's offset
    author: str
    email: str
    subject: str = ""
    index: int = 0  # position in history: 0 is HEAD, larger is older
    co_authors: tuple[tuple[str, str], ...] = ()  # (name, email) of Co-authored-by: trailers

    @property
    def short(self) -> str:
        return self.sha[:7]

    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.date)


@dataclasses.dataclass
class FileHistory:
    """The commits that touched one file, newest first, renames followed."""

    commits: list[Commit] = dataclasses.field(default_factory=list)
    deleted: list[Commit] = dataclasses.field(default_factory=list)  # commits that deleted it

    @property
    def updated(self) -> Commit | None:
        return self.commits[0] if self.commits else None

    @property
    def created(self) -> Commit | None:
        return self.commits[-1] if self.commits else None

    def authors(self, co_authors: bool = True) -> list[tuple[str, str]]:
        """(name, email) of everyone who changed the file, most recent first, once each, as
        .mailmap names them; with CO_AUTHORS, those of Co-authored-by: trailers too."""
        seen: dict[str, tuple[str, str]] = {}
        for commit in self.commits:
            seen.setdefault(commit.email.lower() or commit.author, (commit.author, commit.email))
            for name, email in commit.co_authors if co_authors else ():
                seen.setdefault(email.lower() or name, (name, email))
        return list(seen.values())


@dataclasses.dataclass(frozen=True)
class RepoFacts:
    """The repository's state at build time."""

    root: str
    commit: str | None
    branch: str | None
    detached: bool
    describe: str | None
    tags: tuple[str, ...]
    dirty: (
        bool  # a tracked file differs from HEAD (untracked files do not count, as in git describe)
    )
    shallow: bool
    changed: tuple[str, ...] = ()  # paths that differ from HEAD, untracked ones included

    @property
    def short(self) -> str | None:
        return self.commit[:7] if self.commit else None

    def as_dict(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "short": self.short,
            "branch": self.branch,
            "detached": self.detached,
            "describe": self.describe,
            "tags": list(self.tags),
            "dirty": self.dirty,
            "shallow": self.shallow,
        }


class GitRepo:
    """A git work tree, opened read-only."""

    def __init__(self, root: Path, git_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir  # refs live here, also for worktrees
        self.calls = 0  # how many git processes this object has run (tests bound it)
        self._counting = threading.Lock()  # git runs in the plugin's threads too

    def run(self, *args: str, options: tuple[str, ...] = ()) -> bytes:
        """Run ``git OPTIONS ARGS`` and return its standard output; raise MLPluginError on
        failure."""
        with self._counting:
            self.calls += 1
        code, out, err = _git(self.root, (*options, *args))
        if code:
            raise MLPluginError(
                Finding("git_history", f"'git {args[0]}' failed in {self.root}: {err}")
            )
        return out

    def try_run(self, *args: str) -> str | None:
        """Like run, decoded, or None where git says no (no tag, unborn HEAD, ...)."""
        try:
            return self.run(*args).decode("utf-8", "replace").strip()
        except MLPluginError:
            return None

    def facts(self) -> RepoFacts:
        """Commit, branch, nearest tag, dirty and shallow flags: a handful of git calls.

        That git can read the repository at all (git installed, an owner it trusts) was
        checked by open_repo: a failure here is no commit yet, not an unreadable repository."""
        commit = self.try_run("rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None
        branch = self.try_run("symbolic-ref", "--quiet", "--short", "HEAD") or None
        describe = tags = None
        if commit:
            describe = self.try_run("describe", "--tags", "--always", "--abbrev=7") or None
            tags = self.try_run("tag", "--points-at", "HEAD", "--sort=-creatordate")
        try:  # not try_run: the leading space of a status code matters
            status = self.run(
                "status", "--porcelain", "-z", "--untracked-files=all", "--ignore-submodules"
            ).decode("utf-8", "surrogateescape")
        except MLPluginError:
            status = ""
        changed = _porcelain_paths(status)
        shallow = self.try_run("rev-parse", "--is-shallow-repository") == "true"
        return RepoFacts(
            root=str(self.root),
            commit=commit,
            branch=branch,
            detached=branch is None and commit is not None,
            describe=describe,
            tags=tuple(t for t in (tags or "").splitlines() if t),
            dirty=any(code != "??" for code, _ in changed),
            shallow=shallow,
            changed=tuple(path for _, path in changed),
        )

    def kept_files(self, below: Path) -> set[str]:
        """Files below BELOW that git keeps: tracked, or untracked and not ignored.
        Paths are relative to BELOW. One git process."""
        raw = self.run(
            "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", str(below)
        )
        base = below.resolve().relative_to(self.root).as_posix()
        prefix = "" if base == "." else base + "/"
        names = raw.decode("utf-8", "surrogateescape").split("\x00")
        return {n[len(prefix) :] for n in names if n and n.startswith(prefix)}

    def blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """The contents of ``REV:PATH`` specs, all from one ``git cat-file --batch``;
        None for a spec git cannot resolve."""
        if not specs:
            return {}
        with self.blob_reader() as reader:
            return {spec: reader.get(spec) for spec in specs}

    def blob_reader(self) -> BlobReader:
        """A ``git cat-file --batch`` that answers specs one at a time, as they are needed."""
        with self._counting:
            self.calls += 1
        return BlobReader(self.root)

    def history(self, paths: Iterable[str], renames: bool = True) -> dict[str, FileHistory]:
        """Per-file commit history for every file under PATHS, from one ``git log`` run.

        Keys are paths relative to the repository root, as they are now: a renamed file keeps
        the history of its old names. With RENAMES false, a rename is a deletion of the old
        path and an addition of the new one, so each key is the path the file had then.
        """
        pathspecs = sorted({p for p in paths if p is not None})
        if not pathspecs:
            return {}
        raw = self.run(
            "log",
            "--no-color",
            "-M" if renames else "--no-renames",
            "--name-status",
            "-z",
            f"--format={_RECORD}%H%x00%aI%x00%aN%x00%aE%x00%s%x00{_CO_AUTHORS}",
            "HEAD",
            "--",
            *pathspecs,
            options=_LOG_MEMORY,
        )
        histories = parse_log(raw)
        self._map_co_authors(histories)
        return histories

    def _map_co_authors(self, histories: dict[str, FileHistory]) -> None:
        """Co-authors named as .mailmap names them (git log maps authors, not trailers), as
        ``git shortlog --group=trailer:co-authored-by`` does: one ``git check-mailmap``,
        only when some commit has co-authors with an e-mail address."""
        idents = {a for h in histories.values() for c in h.commits for a in c.co_authors}
        contacts = sorted(
            f"{n} <{e}>" for n, e in idents if e and not any(ch in n + e for ch in "<>\n")
        )
        if not contacts:
            return
        try:
            out = self.run("check-mailmap", "--", *contacts).decode("utf-8", "surrogateescape")
        except MLPluginError:
            return  # co-authors keep their names as written
        lines = out.split("\n")[: len(contacts)]
        if len(lines) != len(contacts):
            return
        mapped = {_ident(a): _ident(b) for a, b in zip(contacts, lines, strict=True)}
        changed: dict[str, Commit] = {}
        for history in histories.values():
            for i, commit in enumerate(history.commits):
                if commit.co_authors and commit.sha not in changed:
                    names = tuple(mapped.get(a, a) for a in commit.co_authors)
                    changed[commit.sha] = dataclasses.replace(commit, co_authors=names)
                if commit.sha in changed:
                    history.commits[i] = changed[commit.sha]


def parse_log(raw: bytes) -> dict[str, FileHistory]:
    """Parse ``git log --name-status -z`` output (newest first) into per-file histories."""
    text = raw.decode("utf-8", "surrogateescape")
    histories: dict[str, FileHistory] = {}
    renamed_to: dict[str, str] = {}  # old path -> the path it has now

    def current(path: str) -> str:
        seen = {path}
        while path in renamed_to and renamed_to[path] not in seen:
            path = renamed_to[path]
            seen.add(path)
        return path

    for index, record in enumerate(text.split(_RECORD)[1:]):
        header, _, changes = record.partition("\x00\n")
        fields = header.split("\x00")
        if len(fields) < 4:
            continue
        commit = Commit(
            sha=fields[0],
            date=fields[1],
            author=sys.intern(_clean(fields[2])),  # the same few people author most commits
            email=sys.intern(_clean(fields[3])),
            subject=_clean(fields[4]) if len(fields) > 4 else "",
            index=index,
            co_authors=_co_authors(fields[5]) if len(fields) > 5 else (),
        )
        parts = changes.split("\x00")
        i = 0
        while i < len(parts):
            status = parts[i]
            if not status:
                i += 1
                continue
            if status[0] in "RC":
                old, new = parts[i + 1], parts[i + 2]
                i += 3
                now = current(new)
                histories.setdefault(now, FileHistory()).commits.append(commit)
                if status[0] == "R" and old != now:  # renamed back and forth: same file
                    renamed_to[old] = now
            else:
                path = parts[i + 1]
                i += 2
                if status[0] == "D":  # not part of the history of what exists now
                    histories.setdefault(current(path), FileHistory()).deleted.append(commit)
                    continue
                histories.setdefault(current(path), FileHistory()).commits.append(commit)
    return histories


def _co_authors(trailers: str) -> tuple[tuple[str, str], ...]:
    """(name, email) of each Co-authored-by: trailer value (``Name <email>``)."""
    found = [_ident(_clean(v)) for v in trailers.split(_TRAILER) if v.strip()]
    return tuple(dict.fromkeys(a for a in found if a[0] or a[1]))


def _ident(value: str) -> tuple[str, str]:
    """(name, email) of ``Name <email>``; a value without ``<email>`` is a name."""
    name, sep, rest = value.partition("<")
    email, closed, _ = rest.partition(">")
    return (name.strip(), email.strip()) if sep and closed else (value.strip(), "")


def _porcelain_paths(status: str) -> list[tuple[str, str]]:
    """(XY code, path) from ``git status --porcelain -z``; a rename gives its new path."""
    entries: list[tuple[str, str]] = []
    parts = status.split("\x00")
    i = 0
    while i < len(parts):
        entry = parts[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            i += 1  # the old path follows
        entries.append((code, path))
    return entries


def _clean(value: str) -> str:
    """Text from git that is not valid UTF-8 keeps its readable parts."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _no_git(exc: BaseException) -> str:
    return f"git is not installed or not on PATH ({exc}); install git to get commit facts."


def open_repo(path: Path) -> GitRepo:
    """The git work tree containing PATH, as ``git rev-parse`` finds it; MLPluginError when
    there is none."""
    outside = MLPluginError(
        Finding(
            "git_history",
            f"{path} is not inside a git repository: commit, branch and page dates are "
            "unknown. Run the build from a git checkout.",
        )
    )
    if not path.is_dir():
        raise outside
    asked = ("rev-parse", "--is-bare-repository", "--git-common-dir", "--show-toplevel")
    code, out, err = _git(path, asked)
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    if lines[0] == "true":
        raise MLPluginError(Finding("git_history", f"{path} is in a bare git repository."))
    if code and "not a git repository" in err:
        raise outside
    if code or len(lines) != 4:  # a line break in a path would make the answer ambiguous
        problem = err or f"unexpected answer {out!r}"
        raise MLPluginError(Finding("git_history", f"'git rev-parse' failed in {path}: {problem}"))
    return GitRepo(Path(lines[2]).resolve(), (path / lines[1]).resolve())


def _git(cwd: Path, args: Iterable[str]) -> tuple[int, bytes, str]:
    """(exit code, standard output, standard error on one line) of ``git ARGS`` in CWD;
    MLPluginError when git cannot be started."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **_ENV},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise MLPluginError(Finding("git_history", _no_git(exc))) from None
    err = " ".join(done.stderr.decode("utf-8", "replace").split())  # git's advice included
    return done.returncode, done.stdout, err


class BlobReader:
    """One ``git cat-file --batch`` process, asked for ``REV:PATH`` specs on demand: a walk
    back through history reads only the versions it looks at. Close it when done."""

    def __init__(self, root: Path) -> None:
        import subprocess

        self.root = root
        try:
            process = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=root,
                env={**os.environ, **_ENV},
            )
        except OSError as exc:
            raise MLPluginError(
                Finding("git_history", f"'git cat-file' failed in {root}: {exc}")
            ) from None
        self._process: subprocess.Popen[bytes] | None = process
        self._in: IO[bytes] = process.stdin  # type: ignore[assignment]  # both are pipes
        self._out: IO[bytes] = process.stdout  # type: ignore[assignment]

    def get(self, spec: str) -> bytes | None:
        """The blob SPEC names; None when git cannot resolve it or it is not a blob."""
        if self._process is None or "\n" in spec:
            return None
        try:
            self._in.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            self._in.flush()
            header = self._out.readline().split()
            if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag"):
                data = self._out.read(int(header[2]) + 1)[:-1]
                return data if header[1] == b"blob" else None
            if header and header[-1] in (b"missing", b"ambiguous"):
                return None
        except (OSError, ValueError):
            pass
        self.close()
        raise MLPluginError(
            Finding("git_history", f"'git cat-file' stopped answering in {self.root}.")
        )

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            for pipe in (self._in, self._out):
                with contextlib.suppress(OSError):  # git already gone
                    pipe.close()
            process.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
