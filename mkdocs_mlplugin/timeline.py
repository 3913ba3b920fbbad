"""The data and model timeline: every commit that changed a tracked dataset's or model's hash.

Built from the history the plugin already has (the one ``git log``) and the old contents of
dvc.lock and .dvc files (one ``git cat-file --batch``). Pure apart from the blob reader given.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable
from typing import Any

from .drift import parse
from .dvc import LOCK_FILE, Project
from .git import Commit, FileHistory


@dataclasses.dataclass(frozen=True)
class Change:
    commit: Commit
    path: str  # the output, relative to the DVC project root
    file: str  # the dvc.lock or .dvc file that records it
    old_md5: str | None
    new_md5: str | None
    old_size: int | None
    new_size: int | None


def record_files(project: Project) -> list[str]:
    """Project-relative dvc.lock and .dvc files that record output hashes."""
    locks = {
        posixpath.join(posixpath.dirname(s.dvcfile), LOCK_FILE) for s in project.stages.values()
    }
    return sorted(locks | set(project.tracked))


def outs_of(data: Any, file: str) -> dict[str, tuple[str | None, int | None]]:
    """path -> (md5, size) of every output a parsed dvc.lock or .dvc file records."""
    base = posixpath.dirname(file)
    if not isinstance(data, dict):
        return {}
    if file.endswith(".dvc"):
        entries = [o for o in data.get("outs") or [] if isinstance(o, dict)]
    else:
        stages = data.get("stages") if "schema" in data else data
        entries = [
            o
            for stage in (stages or {}).values()
            if isinstance(stage, dict)
            for o in stage.get("outs") or []
            if isinstance(o, dict)
        ]
    return {
        posixpath.normpath(posixpath.join(base, str(o.get("path")))): (o.get("md5"), o.get("size"))
        for o in entries
    }


def changes(
    project: Project,
    history: dict[str, FileHistory],
    prefix: str,
    blobs: Callable[[list[str]], dict[str, bytes | None]],
) -> list[Change]:
    """Every change of a recorded output hash, newest first."""
    files = {f: history.get(prefix + f) for f in record_files(project)}
    specs = [f"{c.sha}:{prefix}{f}" for f, h in files.items() if h for c in h.commits]
    contents = blobs(specs) if specs else {}
    found: list[Change] = []
    for file, file_history in files.items():
        if file_history is None:
            continue
        previous: dict[str, tuple[str | None, int | None]] = {}
        for commit in reversed(file_history.commits):  # oldest first
            now = outs_of(parse(contents.get(f"{commit.sha}:{prefix}{file}")), file)
            for path in sorted(set(previous) | set(now)):
                old, new = previous.get(path, (None, None)), now.get(path, (None, None))
                if old[0] != new[0]:
                    found.append(Change(commit, path, file, old[0], new[0], old[1], new[1]))
            previous = now
    found.sort(key=lambda c: (c.commit.index, c.path))
    return found
