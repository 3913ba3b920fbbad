"""The one way the plugin reads a file of the repository, and the one way it writes a file.

A repository is untrusted input: a pull request from a stranger is built in CI. So:

- ``open_file`` (and ``read_file`` on top of it) opens a file named by a path relative to a
  root (the DVC project, or the directory of mkdocs.yml) only when the path stays inside the
  root after ``..`` and symbolic links are resolved, and only when it is a regular file: a
  named pipe (FIFO), a device, a socket or a directory is refused instead of blocking the
  build or feeding it endless bytes. ``read_file`` reads at most its limit, whatever ``stat``
  says (``/dev/zero`` has size 0). A ``Root`` in place of a root resolves the root and its
  directories once for the many files of one build, not once per file.
- ``write_file`` writes a file named by a path relative to the site directory only inside it:
  an absolute path, a ``..`` part or a symbolic link on the way (a stale site directory can
  hold one) is refused, and the file is replaced, never written through.
- ``create_file`` creates a file the same way inside a root (``mkdocs-ml init``), only where
  nothing is: it never writes over or through anything that exists.

Every refusal is a FindingError whose finding names the file and says why.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TextIO

from mkdocs_mlplugin.findings import Finding, FindingError

MAX_BYTES = 10 * 1024 * 1024  # a params or lock file larger than this is not a params file

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)

_FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_KIND = "invalid_project_file"
# where opening with O_NOFOLLOW refuses a symbolic link as the last part (ELOOP; EMLINK on BSD)
_LINK_ERRORS = {errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP)}
# a real directory joined with a name is the file the OS opens, a link there refused: POSIX
_DIRECT = bool(getattr(os, "O_NOFOLLOW", 0)) and os.sep == "/" and not os.altsep


class Missing(FindingError):
    """Nothing is at the path (or a symbolic link there points to nothing)."""


def _refuse(kind: str, shown: str, why: str) -> FindingError:
    return FindingError(Finding(kind, f"{shown} {why}", shown))


def leaves(path: str) -> str | None:
    """Why the relative path PATH (POSIX separators) cannot name a file inside a root without
    following symbolic links: absolute, or going up with '..'; None when it stays inside."""
    if "\x00" in path:
        return "has a NUL character in its name"
    if posixpath.isabs(path) or os.path.isabs(path):
        return "is an absolute path, outside the project"
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return "leaves the project ('..')"
    return None


class Root:
    """ROOT as the guards see it while many of its files are read in one go (the pages of one
    build): its real path, and the real path of each directory under it, found once, instead of
    resolving ROOT and every directory again for each file.

    A file's own name is looked at each time it is read (a symbolic link there is resolved, and
    refused when it points out), but a directory is looked at once: one replaced by a link
    afterwards is seen by the next Root. So a Root lives as long as one build, never longer (a
    rebuild of ``mkdocs serve`` makes its own). The functions below take a Root wherever they
    take a root."""

    def __init__(self, root: Path | str) -> None:
        self.root = root
        self.real = os.path.realpath(root)
        self._prefix = self.real.rstrip(os.sep) + os.sep
        # a directory (its parts joined with '/') -> its real path when no symbolic link is on
        # the way from the root (then it is itself), None when one is
        self._dirs: dict[str, str | None] = {"": self.real}

    def _place(self, path: str) -> tuple[str, str] | None:
        """(the real directory holding ROOT/PATH's last part, that part) when PATH, inside ROOT
        by its name, reaches that directory through no symbolic link and no '..'; None when
        realpath must resolve the whole path."""
        if not _DIRECT:
            return None
        parts = [p for p in path.split("/") if p and p != "."]
        if not parts or ".." in parts:
            return None
        directory = "/".join(parts[:-1])
        if directory not in self._dirs:
            real: str | None = self.real
            for depth in range(1, len(parts)):
                key = "/".join(parts[:depth])
                if key not in self._dirs:
                    name = parts[depth - 1]
                    linked = real is None or _is_link(real, name)
                    self._dirs[key] = None if linked else os.path.join(str(real), name)
                real = self._dirs[key]
        real = self._dirs[directory]
        return None if real is None else (real, parts[-1])

    def inside(self, path: str) -> str | None:
        """The real path of ROOT/PATH when it is inside ROOT with every symbolic link resolved;
        None when it is not (absolute, '..', or a link pointing out)."""
        if leaves(path) is not None:
            return None
        place = self._place(path)
        if place is not None and not _is_link(*place):
            return os.path.join(*place)
        # the OS follows a link before it goes up from it ("out/.." where out is a link): so
        # does realpath, and so the guard reads the file the OS would read, or refuses it
        real = os.path.realpath(os.path.join(self.real, path))
        return real if real == self.real or real.startswith(self._prefix) else None

    def real_path(self, path: str, shown: str | None = None, kind: str = _KIND) -> str:
        """The real path of ROOT/PATH, refused with a finding naming SHOWN (default PATH) when
        PATH is absolute, goes up with '..' or passes a symbolic link whose target is outside
        ROOT."""
        shown = shown or path
        why = leaves(path)
        if why is not None:
            raise _refuse(kind, shown, f"{why}: it is not read.")
        real = self.inside(path)
        if real is None:
            raise _refuse(kind, shown, "is a symbolic link out of the project: it is not read.")
        return real

    def open_file(self, path: str, shown: str | None = None, kind: str = _KIND) -> BinaryIO:
        """The regular file ROOT/PATH opened for reading in binary mode (see ``open_file``)."""
        shown = shown or path
        place = self._place(path) if leaves(path) is None else None
        fd = None
        if place is not None:
            # its directory is real and inside: opened without following a link, the file
            # is the one named; a link there is resolved below, as any path is
            try:
                fd = os.open(os.path.join(*place), _FLAGS)
            except OSError as exc:
                if exc.errno not in _LINK_ERRORS:
                    raise _unopened(exc, kind, shown) from None
        if fd is None:
            try:
                fd = os.open(self.real_path(path, shown, kind), _FLAGS)
            except OSError as exc:
                raise _unopened(exc, kind, shown) from None
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                what = next(
                    (name for test, name in _FILE_TYPES if test(mode)), "not a regular file"
                )
                raise _refuse(kind, shown, f"is {what}, not a regular file: it is not read.")
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise


Place = Path | str | Root  # a root, or a Root found once for many of its files


def _root(root: Place) -> Root:
    return root if isinstance(root, Root) else Root(root)


def _is_link(directory: str, name: str) -> bool:
    """Whether DIRECTORY/NAME is a symbolic link (not when nothing is there, as for realpath)."""
    try:
        return stat.S_ISLNK(os.lstat(os.path.join(directory, name)).st_mode)
    except OSError:
        return False


def _unopened(exc: OSError, kind: str, shown: str) -> FindingError:
    """The finding for a file the OS would not open."""
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return Missing(Finding(kind, f"{shown} does not exist.", shown))
    return _refuse(kind, shown, f"cannot be read: {exc.strerror}.")


def inside(root: Place, path: str) -> str | None:
    """The real path of ROOT/PATH when it is inside ROOT with every symbolic link resolved;
    None when it is not (absolute, '..', or a link pointing out)."""
    return _root(root).inside(path)


def real_path(root: Place, path: str, shown: str | None = None, kind: str = _KIND) -> str:
    """The real path of ROOT/PATH, refused with a finding naming SHOWN (default PATH) when PATH
    is absolute, goes up with '..' or passes a symbolic link whose target is outside ROOT."""
    return _root(root).real_path(path, shown, kind)


def open_file(root: Place, path: str, shown: str | None = None, kind: str = _KIND) -> BinaryIO:
    """The regular file ROOT/PATH opened for reading in binary mode.

    Refused with a finding naming SHOWN (default PATH): a path outside ROOT (see real_path),
    anything but a regular file (opened without blocking or following a final symbolic link,
    then checked on the open descriptor), and a file that cannot be opened. Missing (an
    FindingError) when nothing is there."""
    return _root(root).open_file(path, shown, kind)


def read_file(
    root: Place,
    path: str,
    shown: str | None = None,
    limit: int = MAX_BYTES,
    kind: str = _KIND,
) -> bytes:
    """The bytes of the regular file ROOT/PATH inside ROOT (see open_file), at most LIMIT of
    them: a longer file is refused, whatever its recorded size says."""
    shown = shown or path
    with open_file(root, path, shown, kind) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise _refuse(kind, shown, f"is {size} bytes, over the {limit} byte limit.")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _refuse(kind, shown, f"is over the {limit} byte limit.")
    return data


def exists(root: Place, path: str) -> bool:
    """Whether anything (a file, a directory, a pipe, a link to nothing) is at ROOT/PATH, for a
    PATH inside ROOT; False for a path that leaves ROOT, which is never looked at."""
    guarded = _root(root)
    return guarded.inside(path) is not None and os.path.lexists(os.path.join(guarded.root, path))


def relative(path: str, start: Path | str) -> str:
    """``os.path.relpath(PATH, START)``, its parts joined by "/": for an absolute PATH below
    START, both written plainly (as MkDocs writes a file's abs_src_path), the rest of PATH
    after START, without relpath's work for every other case."""
    base = str(start)
    rest = path[len(base) + 1 :]
    if (
        path.startswith(base)
        and path[len(base) : len(base) + 1] == os.sep
        and rest[:1] not in ("", os.sep)
        and os.path.isabs(base)
        and os.path.normpath(path) == path
        and os.path.normpath(base) == base
    ):
        return rest.replace(os.sep, "/")
    return os.path.relpath(path, start).replace(os.sep, "/")


def site_path(path: str) -> list[str]:
    """The parts of PATH, a path relative to the site directory, or a ValueError saying why
    it cannot be one (absolute, a '..' part, empty, a NUL character)."""
    if "\x00" in path:
        raise ValueError("has a NUL character")
    if path.startswith(("/", "\\")) or os.path.isabs(path) or posixpath.isabs(path):
        raise ValueError("is an absolute path")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError("has a '..' part")
    if not parts:
        raise ValueError("names no file")
    return parts


def write_file(
    site_dir: Path | str, path: str, content: str | bytes | Callable[[TextIO], None]
) -> Path:
    """Write CONTENT (a text, or a function writing to a text stream, as UTF-8; or bytes, as
    they are) to SITE_DIR/PATH and return where it went.

    PATH must stay inside SITE_DIR: no absolute path, no '..' part, and no symbolic link (or
    non-directory) on the way, checked as each directory is made; the file is written next to
    its target and renamed over it, so a link or a second name of another file at the target is
    replaced, never written through. Anything else is a FindingError naming PATH."""
    current, name = _directory(site_dir, path, "of the site")
    target = os.path.join(current, name)
    if os.path.isdir(target) and not os.path.islink(target):
        raise _refuse("invalid_project_file", path, "is a directory in the site: not written.")
    fd, temporary = tempfile.mkstemp(dir=current, prefix=".mlplugin-")
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as raw:
                raw.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                if isinstance(content, str):
                    out.write(content)
                else:
                    content(out)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return Path(target)


def _directory(root: Path | str, path: str, of: str) -> tuple[str, str]:
    """The real directory ROOT/PATH's file goes in, made as needed, and the file's name.
    Refused: an absolute PATH, a '..' part, a symbolic link (or non-directory) on the way."""
    try:
        parts = site_path(path)
    except ValueError as exc:
        raise _refuse("invalid_project_file", path, f"{exc}: it is not written.") from None
    current = os.path.realpath(root)
    os.makedirs(current, exist_ok=True)
    for part in parts[:-1]:
        current = os.path.join(current, part)
        try:
            os.mkdir(current)
        except FileExistsError:
            pass
        except OSError as exc:
            raise _refuse(
                "invalid_project_file", path, f"cannot be written: {exc.strerror}."
            ) from None
        if not stat.S_ISDIR(os.lstat(current).st_mode):
            raise _refuse(
                "invalid_project_file",
                path,
                f"would go through '{part}', which is not a directory {of} (a symbolic "
                "link?): it is not written.",
            )
    return current, parts[-1]


def create_file(root: Path | str, path: str, content: str) -> bool:
    """Create ROOT/PATH with CONTENT (UTF-8) unless something is there already (a file, a
    directory, a symbolic link, even one pointing nowhere): then nothing is written and the
    answer is False. PATH must stay inside ROOT as for write_file; the file is created
    exclusively, so one that appears meanwhile is not overwritten either."""
    current, name = _directory(root, path, "of the project")
    target = os.path.join(current, name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
    except FileExistsError:
        return False
    except OSError as exc:
        raise _refuse("invalid_project_file", path, f"cannot be written: {exc.strerror}.") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(content)
    return True
