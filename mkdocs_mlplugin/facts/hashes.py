"""Hashes of workspace files and directories, computed the way DVC computes them.

Mirrors DVC's hashing (dvc_data): DVC 3's "md5" of a file is the md5 of its bytes, done here
with hashlib (importing DVC's hashing modules costs a build 0.08 s); DVC 2's "md5-dos2unix" is
left to dvc_data's own ``fobj_md5``; a directory's ``.dir`` hash is built as
``dvc_data.hashfile.build`` builds its tree. Held equal by tests/test_status.py
``test_file_hashes_are_dvcs`` and ``test_directory_hashes_are_dvcs``.

I/O: files are opened through guards.open_file. ``Hasher`` keeps what it hashed by (path, size,
mtime), so a caller that keeps one across builds (``mkdocs serve``) hashes only what changed;
checks.pipeline is handed one and never hashes by itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from mkdocs_mlplugin.facts import DVC_EXTRA
from mkdocs_mlplugin.findings import Finding, FindingError
from mkdocs_mlplugin.guards import open_file


def file_md5(fobj: BinaryIO, algorithm: str, shown: str = "this file") -> str:
    """The hash DVC records for a file's bytes (the file SHOWN). DVC 3's "md5" is the md5 of
    the bytes, done here with hashlib (importing DVC's hashing modules costs a build 0.08 s);
    DVC 2's "md5-dos2unix" first rewrites line ends in text files, by DVC's own rules (from
    the [dvc] extra: without it, a FindingError)."""
    if algorithm != "md5":
        try:
            from dvc_data.hashfile.hash import fobj_md5
        except ImportError as exc:
            raise FindingError(
                Finding(
                    "invalid_project_file",
                    f"{shown}: its lock entry has DVC 2's {algorithm} hash, which the plugin "
                    f"computes with DVC's own code, and DVC cannot be imported here ({exc}): "
                    f"install {DVC_EXTRA}",
                    shown,
                )
            ) from None
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
        """The hash of the file PATH (relative to ROOT), opened through guards.open_file: a
        FindingError when it is outside ROOT or not a regular file."""
        with open_file(root, path) as fobj:
            st = os.fstat(fobj.fileno())
            key = (str(root / path), st.st_size, st.st_mtime_ns, algorithm)
            if key not in self._cache:
                self._cache[key] = file_md5(fobj, algorithm, path)
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
