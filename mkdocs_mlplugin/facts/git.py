"""Read-only git facts: the repository's state and, from one pass over history, per-file dates.

git itself is run, with a fixed argument list, never a shell, with ``GIT_OPTIONAL_LOCKS=0``
so that not even ``git status`` refreshes the index: a build never changes git state; and with
lazy fetching and every transport off, so that a partial clone's missing objects are reported,
never fetched. Output is read by NUL-delimited fields and lengths, never by separators a commit
could contain. Which repository a directory belongs to is what ``git rev-parse`` says
(worktrees, ``.git`` files of submodules, ``GIT_DIR`` and ``safe.directory`` included), not a
reading of our own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, NoReturn

from mkdocs_mlplugin.findings import Finding, FindingError

# Every git process runs with this environment and these options (_command): a build reads
# what is on disk and never reaches another machine. In a partial clone git would fetch a
# missing object from the promisor remote; GIT_NO_LAZY_FETCH (git 2.39.4, 2.45) makes that an
# error, and for older git no transport is allowed at all (GIT_ALLOW_PROTOCOL naming none
# overrides any protocol.*.allow of the repository; protocol.allow=never says it again).
_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # no index refresh, no lock files
    "GIT_TERMINAL_PROMPT": "0",  # never ask for credentials
    "GIT_NO_LAZY_FETCH": "1",  # a missing object is reported, not fetched
    "GIT_ALLOW_PROTOCOL": "",  # no transport: file, ssh, http(s), git, ext, remote helpers
    "LC_ALL": "C",  # messages we may show are in one language
}
# A commit's Co-authored-by: values, one a line: unfolded, a trailer value holds no line break
_CO_AUTHORS = "%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x0a)"
_OPTIONS = ("-c", "protocol.allow=never")
#: the most files ``tree_files`` lists: a plot directory holds a handful
TREE_FILES = 10_000
# git log keeps up to 96 MB of unpacked delta bases by default; at 20,000 commits that cache is
# most of its memory and, capped at 8 MB, gives the same output in about the same time.
_LOG_MEMORY = ("-c", "core.deltaBaseCacheLimit=8m")


@dataclasses.dataclass(frozen=True, slots=True)  # one per commit: 20,000 on large sites
class Commit:
    """A commit as pages show it."""

    sha: str
    date: str  # ISO 8601 author date, with the author's offset; "" when it is no calendar date
    author: str
    email: str
    subject: str = ""
    index: int = 0  # position in history: 0 is HEAD, larger is older
    co_authors: tuple[tuple[str, str], ...] = ()  # (name, email) of Co-authored-by: trailers

    @property
    def short(self) -> str:
        return self.sha[:7]


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
    # a tracked file differs from HEAD, as git describe --dirty says; the plugin also sets it
    # when docs_dir holds an untracked file or a page git has not committed
    dirty: bool
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


@dataclasses.dataclass(frozen=True)
class Range:
    """What changed since a base revision (``GitRepo.changed_since``)."""

    base: str  # as the user named it: "origin/main"
    merge_base: str  # the commit the comparison starts from
    paths: frozenset[str]  # from the git root: changed, added, deleted or untracked

    def label(self) -> str:
        """``'main' (merge base 1a2b3c4)``."""
        return f"'{self.base}' (merge base {self.merge_base[:7]})"


class GitRepo:
    """A git work tree, opened read-only."""

    def __init__(
        self, root: Path, git_dir: Path, head_dir: Path | None = None, shallow: bool = False
    ) -> None:
        self.root = root
        self.shallow = shallow  # a shallow clone, as git rev-parse --is-shallow-repository says
        self.git_dir = git_dir  # refs live here, also for worktrees
        self.head_dir = head_dir or git_dir  # HEAD lives here: a linked worktree has its own
        self.calls = 0  # how many git processes this object has run (tests bound it)
        self._counting = threading.Lock()  # git runs in the plugin's threads too
        self._partial: str | None = None
        self._asking = threading.Lock()

    @property
    def partial(self) -> str:
        """The setting that makes the repository a partial clone, as git reads it
        (``extensions.partialclone``, or a ``remote.NAME.promisor`` that is true), else "".
        One git process, the first time it is asked."""
        with self._asking:
            if self._partial is None:
                with self._counting:
                    self.calls += 1
                self._partial = _promisor(self.root)
            return self._partial

    def run(self, *args: str, options: tuple[str, ...] = ()) -> bytes:
        """Run ``git OPTIONS ARGS`` and return its standard output; raise FindingError on
        failure."""
        with self._counting:
            self.calls += 1
        code, out, err = _git(self.root, (*options, *args))
        if code:
            raise FindingError(
                Finding("git_history", f"'git {args[0]}' failed in {self.root}: {err}")
            )
        return out

    def try_run(self, *args: str) -> str | None:
        """Like run, decoded, or None where git says no (no tag, unborn HEAD, ...)."""
        try:
            return self.run(*args).decode("utf-8", "replace").strip()
        except FindingError:
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
        except FindingError:
            status = ""
        changed = _porcelain_paths(status)
        shallow = self.shallow
        _ = self.partial  # a repository fact, asked once
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
        prefix = self.prefix(below)
        names = raw.decode("utf-8", "surrogateescape").split("\x00")
        return {n[len(prefix) :] for n in names if n and n.startswith(prefix)}

    def changed_since(self, base: str) -> Range:
        """What changed since BASE (a revision: a branch, tag or commit), as a pull request
        against it changes things: the paths (from the git root) that differ between the merge
        base of BASE and HEAD (``git diff BASE...HEAD``) and the work tree, untracked files
        that are not ignored included; in a clean checkout exactly ``BASE...HEAD``. Four git
        processes. FindingError, with what to do, when BASE names no commit here or shares no
        history with HEAD (a shallow clone, mostly)."""
        shown = repr(base)
        if not base or base.startswith("-") or any(c in base for c in "\x00\n\r"):
            raise FindingError(Finding("git_history", f"--since {shown} is not a git revision."))
        commit = self.try_run("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
        shallow = self.shallow
        fetch = (
            "the clone is shallow, so its history may stop before the base: fetch the full "
            "history (actions/checkout: 'fetch-depth: 0', or 'git fetch --unshallow')"
            if shallow
            else "in CI, check out with the full history and the base branch "
            "(actions/checkout: 'fetch-depth: 0')"
        )
        if not commit:
            raise FindingError(
                Finding(
                    "git_history",
                    f"--since {shown} names no commit of this repository; {fetch}.",
                )
            )
        merge_base = self.try_run("merge-base", commit, "HEAD")
        if not merge_base:
            raise FindingError(
                Finding(
                    "git_history",
                    f"--since {shown}: {commit[:7]} and HEAD have no common ancestor, so "
                    f"nothing tells what this branch changed; {fetch}.",
                )
            )
        diff = self.run("diff", "--no-ext-diff", "--no-renames", "--name-only", "-z", merge_base)
        others = self.run("ls-files", "-z", "--others", "--exclude-standard")
        names = b"\x00".join((diff, others)).decode("utf-8", "surrogateescape").split("\x00")
        return Range(base, merge_base, frozenset(n for n in names if n))

    def prefix(self, below: Path) -> str:
        """How the paths of files below BELOW (a directory inside the repository) start from
        the git root: "" or "sub/dir/"."""
        base = below.resolve().relative_to(self.root).as_posix()
        return "" if base == "." else base + "/"

    def tree_files(self, commit: str, paths: list[str]) -> list[str]:
        """The regular files git keeps at COMMIT that are PATHS or lie below them (paths from
        the git root, taken literally), from one ``git ls-tree -r -z``; symbolic links and
        submodules left out, as a work tree's listing leaves them; at most TREE_FILES."""
        if not paths:
            return []
        listed = self.run(
            "ls-tree", "-r", "-z", "--end-of-options", commit, "--", *paths,
            options=("--literal-pathspecs",),
        )  # fmt: skip
        found = []
        for entry in listed.split(b"\x00"):
            meta, tab, name = entry.partition(b"\t")
            if tab and meta.split(b" ")[:2] in ([b"100644", b"blob"], [b"100755", b"blob"]):
                found.append(name.decode("utf-8", "surrogateescape"))
                if len(found) >= TREE_FILES:
                    break
        return found

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
        return BlobReader(self.root, self.partial)

    def history(self, paths: Iterable[str], renames: bool = True) -> Histories:
        """Per-file commit history for every file under PATHS, from one ``git log`` run.

        Keys are paths relative to the repository root, as they are now: a renamed file keeps
        the history of its old names. With RENAMES false, a rename is a deletion of the old
        path and an addition of the new one, so each key is the path the file had then.
        """
        pathspecs = sorted({p for p in paths if p is not None})
        if not pathspecs:
            return Histories()
        raw = self.run(
            "log",
            "--no-color",
            # rename detection compares file contents; a partial clone lacks past ones and the
            # build never fetches them, so there only renames that kept the file are followed
            ("-M100%" if self.partial else "-M") if renames else "--no-renames",
            "--name-status",
            "-z",
            f"--format={_LOG_FORMAT}",
            "--date=raw",
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
        except FindingError:
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


# One record per commit: these fields, each ended by NUL (git ends the last one), then, when
# the commit changed a file, a line feed and the -z name-status entries. No field git formats
# can hold a NUL byte (git's own formatting stops at one), so splitting at NUL cannot be
# steered by what a commit says; paths are NUL-ended by -z and taken by position.
# The author date is taken raw (seconds and zone, as the commit has them): git's own ISO format
# stops git log with "Timestamp before Unix epoch" on some dates a commit can hold.
# Authors as .mailmap names them (%aN, %aE), as git shortlog counts them.
_LOG_FORMAT = f"%H%x00%ad%x00%aN%x00%aE%x00%s%x00{_CO_AUTHORS}"
_LOG_FIELDS = 6
_STATUS = re.compile(r"[A-Z][0-9]*")
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


class Histories(dict[str, FileHistory]):
    """Per-file histories, with the commits whose dates could not be read."""

    undated: list[tuple[Commit, str]]  # (commit, the date git gave) for each unreadable date
    shas: set[str]  # every commit the log listed: each is HEAD or one of its ancestors

    def __init__(self) -> None:
        super().__init__()
        self.undated = []
        self.shas = set()

    def problems(self) -> list[Finding]:
        return [
            Finding(
                "git_history",
                f"commit {commit.short} ({commit.subject!r}) has the author date {raw!r}, which "
                "is no calendar date (a zone beyond +/-23:59, or a year after 9999): the pages "
                "it dates show no date.",
            )
            for commit, raw in self.undated
        ]


def parse_log(raw: bytes) -> Histories:
    """Parse ``git log --name-status -z --format=_LOG_FORMAT`` output (newest first) into
    per-file histories. Output that does not have this shape is a FindingError."""
    # decoded once: no UTF-8 sequence holds a NUL byte, so the tokens are those of the bytes
    tokens = raw.decode("utf-8", "surrogateescape").split("\x00")
    histories = Histories()
    renamed_to: dict[str, str] = {}  # old path -> the path it has now

    def current(path: str) -> str:
        if path not in renamed_to:
            return path
        seen = {path}
        while path in renamed_to and renamed_to[path] not in seen:
            path = renamed_to[path]
            seen.add(path)
        return path

    def of(path: str) -> FileHistory:
        found = histories.get(path)
        if found is None:
            found = histories[path] = FileHistory()
        return found

    i, index, end = 0, 0, len(tokens) - 1  # the output ends with NUL: the last token is empty
    unknown = FindingError(Finding("git_history", "'git log' gave output of an unknown shape."))
    sha_match, status_match, intern = _SHA.fullmatch, _STATUS.fullmatch, sys.intern
    while i < end:
        fields = tokens[i : i + _LOG_FIELDS]
        if len(fields) < _LOG_FIELDS or not sha_match(fields[0]):
            raise unknown
        sha, raw_date, author, email, subject, co_authors = fields
        i += _LOG_FIELDS
        date = iso_date(raw_date)
        commit = Commit(
            sha=sha,
            date=date,
            author=intern(_clean(author)),  # the same few people author most commits
            email=intern(_clean(email)),
            subject=_clean(subject),
            index=index,
            co_authors=_co_authors(co_authors) if co_authors else (),
        )
        index += 1
        histories.shas.add(sha)
        if not date:
            histories.undated.append((commit, _clean(raw_date)))
        if i < end and tokens[i].startswith("\n"):
            tokens[i] = tokens[i][1:]
            while i < end and status_match(tokens[i]):
                kind = tokens[i][0]
                if i + (3 if kind in "RC" else 2) > end:
                    raise unknown
                if kind in "RC":
                    old, new = tokens[i + 1], tokens[i + 2]
                    i += 3
                    now = current(new)
                    of(now).commits.append(commit)
                    if kind == "R" and old != now:  # renamed back and forth: same file
                        renamed_to[old] = now
                    continue
                path = current(tokens[i + 1])
                i += 2
                if kind == "D":  # not part of the history of what exists now
                    of(path).deleted.append(commit)
                    continue
                of(path).commits.append(commit)
    return histories


def _co_authors(trailers: str) -> tuple[tuple[str, str], ...]:
    """(name, email) of each Co-authored-by: trailer value (``Name <email>``)."""
    found = [_ident(_clean(v)) for v in trailers.split("\n") if v.strip()]
    return tuple(dict.fromkeys(a for a in found if a[0] or a[1]))


def _ident(value: str) -> tuple[str, str]:
    """(name, email) of ``Name <email>``; a value without ``<email>`` is a name."""
    name, sep, rest = value.partition("<")
    email, closed, _ = rest.partition(">")
    return (name.strip(), email.strip()) if sep and closed else (value.strip(), "")


def iso_date(raw: str) -> str:
    """ISO 8601 of a raw git date (``1700000000 +0130``), in its own zone, as ``git log
    --date=iso-strict`` writes it; "" when it is no calendar date (a zone beyond 24 hours, a
    year after 9999, no number)."""
    seconds, _, zone = raw.partition(" ")
    try:
        if len(zone) != 5 or zone[0] not in "+-" or not zone[1:].isdigit():
            return ""
        return dt.datetime.fromtimestamp(int(seconds), _zone(zone)).isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


@functools.lru_cache(maxsize=512)  # a history has a handful of zones
def _zone(zone: str) -> dt.timezone:
    """The UTC offset ``+HHMM`` or ``-HHMM``; ValueError beyond 24 hours."""
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    return dt.timezone(dt.timedelta(minutes=-minutes if zone[0] == "-" else minutes))


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
    if value.isascii():  # no escaped byte: already what decoding with replacement gives
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _no_git(exc: BaseException) -> str:
    return f"git is not installed or not on PATH ({exc}); install git to get commit facts."


def open_repo(path: Path) -> GitRepo:
    """The git work tree containing PATH, as ``git rev-parse`` finds it; FindingError when
    there is none."""
    outside = FindingError(
        Finding(
            "git_history",
            f"{path} is not inside a git repository: commit, branch and page dates are "
            "unknown. Run the build from a git checkout.",
        )
    )
    if not path.is_dir():
        raise outside
    asked = (
        "rev-parse",
        "--is-bare-repository",
        "--absolute-git-dir",
        "--git-common-dir",
        "--show-toplevel",
        "--is-shallow-repository",
    )
    # GIT_DIR set without a work tree: git takes the current directory as the top of the work
    # tree, so git is asked from there, as `git log` in the same shell would be
    alone = os.environ.get("GIT_DIR") and not os.environ.get("GIT_WORK_TREE")
    where = Path.cwd() if alone else path
    code, out, err = _git(where, asked)
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    if lines[0] == "true":
        raise FindingError(Finding("git_history", f"{path} is in a bare git repository."))
    if code and "not a git repository" in err:
        raise outside
    if code or len(lines) != 6:  # a line break in a path would make the answer ambiguous
        problem = err or f"unexpected answer {out!r}"
        raise FindingError(Finding("git_history", f"'git rev-parse' failed in {path}: {problem}"))
    return GitRepo(
        Path(lines[3]).resolve(),
        (where / lines[2]).resolve(),
        Path(lines[1]).resolve(),
        shallow=lines[4] == "true",
    )


def _promisor(root: Path) -> str:
    """GitRepo.partial."""
    asked = ("config", "-z", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$")
    _code, out, _err = _git(root, asked)
    for entry in out.decode("utf-8", "surrogateescape").split("\x00"):
        key, newline, value = entry.partition("\n")
        if key == "extensions.partialclone" and value:
            return f"{key}={value}"
        if key.endswith(".promisor") and _true(value, bool(newline)):
            return f"{key}={value or 'true'}"
    return ""


def _true(value: str, given: bool) -> bool:
    """A git boolean: a key with no '=' is true; true/yes/on or a non-zero number."""
    if not given:
        return True
    value = value.strip().lower()
    if value in ("true", "yes", "on"):
        return True
    try:
        return int(value, 0) != 0
    except ValueError:
        return False


def partial_clone_problem(setting: str) -> str:
    """What a partial clone (SETTING, from GitRepo.partial) leaves out, and the fix."""
    return (
        f"the repository is a partial clone ({setting}): it lacks past versions of files, and "
        "the build never fetches them, so a page renamed with changes has its history only "
        "from the rename on, and doc drift, pins and the timeline cannot read the versions that "
        "are missing. Clone without --filter (actions/checkout: no 'filter' input, "
        "'fetch-depth: 0') for full page dates and checks."
    )


def _command(args: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """The argument list and environment of every git process the plugin runs."""
    return ["git", *_OPTIONS, *args], {**os.environ, **_ENV}


def _git(cwd: Path, args: Iterable[str]) -> tuple[int, bytes, str]:
    """(exit code, standard output, standard error on one line) of ``git ARGS`` in CWD;
    FindingError when git cannot be started."""
    import subprocess

    command, env = _command(args)
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
    except OSError as exc:
        raise FindingError(Finding("git_history", _no_git(exc))) from None
    err = " ".join(done.stderr.decode("utf-8", "replace").split())  # git's advice included
    return done.returncode, done.stdout, err


#: bytes written to a git that may not have read them yet: less than any pipe holds (4 KiB)
_PIPE_ROOM = 4000


class BlobReader:
    """One ``git cat-file --batch`` process, asked for ``REV:PATH`` specs on demand: a walk
    back through history reads only the versions it looks at. Close it when done."""

    def __init__(self, root: Path, partial: str = "") -> None:
        import subprocess
        import tempfile

        self.root, self.partial = root, partial
        # a file, not a pipe: git never blocks on it; closed by close()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        command, env = _command(["cat-file", "--batch"])
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._errors,
                cwd=root,
                env=env,
            )
        except OSError as exc:
            self._errors.close()
            raise FindingError(
                Finding("git_history", f"'git cat-file' failed in {root}: {exc}")
            ) from None
        self._process: subprocess.Popen[bytes] | None = process
        self._in: IO[bytes] = process.stdin  # type: ignore[assignment]  # both are pipes
        self._out: IO[bytes] = process.stdout  # type: ignore[assignment]  # as above

    def get(self, spec: str) -> bytes | None:
        """The blob SPEC names; None when git cannot resolve it or it is not a blob."""
        found = self._ask(spec)
        return found[2] if found is not None and found[1] == b"blob" else None

    def commit(self, rev: str) -> str | None:
        """The full id of the commit REV names (``rev-parse --verify REV^{commit}``); None
        when git cannot resolve it to one (unknown, ambiguous, not a commit)."""
        return self.commits([rev])[rev]

    def commits(self, revs: Iterable[str]) -> dict[str, str | None]:
        """``commit`` of each of REVS, written in a few batches rather than one round trip
        each: git wakes once for many commit links, not once per link."""
        found: dict[str, str | None] = {}
        batch: list[tuple[str, bytes]] = []
        size = 0
        for rev in dict.fromkeys(revs):
            spec = f"{rev}^{{commit}}".encode("utf-8", "surrogateescape") + b"\n"
            if spec.count(b"\n") > 1:
                found[rev] = None  # as commit() says
                continue
            # what is written waits in the pipe until git reads it: keep it under its room
            if batch and size + len(spec) > _PIPE_ROOM:
                found.update(self._ask_all(batch))
                batch, size = [], 0
            batch.append((rev, spec))
            size += len(spec)
        if batch:
            found.update(self._ask_all(batch))
        return found

    def _ask_all(self, batch: list[tuple[str, bytes]]) -> dict[str, str | None]:
        """Each rev of BATCH (rev, its spec's line) -> its commit's id, written at once."""
        if self._process is None:
            return dict.fromkeys((rev for rev, _ in batch), None)
        try:
            self._in.write(b"".join(spec for _, spec in batch))
            self._in.flush()
        except OSError:
            self._stopped(batch[0][0])
        found = {}
        for rev, spec in batch:
            answer = self._answer(spec[:-1].decode("utf-8", "surrogateescape"))
            commit = answer is not None and answer[1] == b"commit"
            found[rev] = answer[0].decode("ascii") if answer is not None and commit else None
        return found

    def _ask(self, spec: str) -> tuple[bytes, bytes, bytes] | None:
        """(id, type, content) of the object SPEC names; None when git cannot resolve it."""
        if self._process is None or "\n" in spec:
            return None
        try:
            self._in.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            self._in.flush()
        except OSError:
            return self._stopped(spec)
        return self._answer(spec)

    def _answer(self, spec: str) -> tuple[bytes, bytes, bytes] | None:
        """git's answer to SPEC, asked already: (id, type, content), or None."""
        try:
            header = self._out.readline().split()
            if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag"):
                data = self._out.read(int(header[2]) + 1)[:-1]
                return header[0], header[1], data
            if header and header[-1] in (b"missing", b"ambiguous"):
                return None
        except (OSError, ValueError):
            pass
        return self._stopped(spec)

    def _stopped(self, spec: str) -> NoReturn:
        """git stopped answering while asked SPEC: a finding saying why."""
        said = self.close()
        if self.partial and "promisor remote" in said:  # git would have fetched it
            message = (
                f"'{spec}' is not in this partial clone, and the build never fetches: what "
                "needs it is left out (see the partial clone warning)."
            )
        else:
            message = f"'git cat-file' stopped answering in {self.root}: {said}"
        raise FindingError(Finding("git_history", message))

    def close(self) -> str:
        """End git; what it said on standard error, on one line."""
        process, self._process = self._process, None
        if process is None:
            return ""
        for pipe in (self._in, self._out):
            with contextlib.suppress(OSError):  # git already gone
                pipe.close()
        process.wait()
        self._errors.seek(0)
        said = self._errors.read(4096).decode("utf-8", "replace")
        self._errors.close()
        return " ".join(said.split())

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
