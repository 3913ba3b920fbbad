"""Facts of past commits: the data and model timeline, and the metrics of past versions.

The timeline is every commit that changed a tracked dataset's or model's hash, built from the
history the plugin already has (the one ``git log``) and the old contents of dvc.lock and .dvc
files (one ``git cat-file --batch``). The metrics of a version are read as ``dvc metrics show
--all-tags`` reads them: from the metrics files that the dvc.yaml files *at that commit*
declared. Pure apart from the blob reader given.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Iterator
from typing import Any

from .drift import parse
from .dvc import LOCK_FILE, PIPELINE_FILE, Project, declared_metrics
from .files import MAX_BYTES, flatten, parse_structured, parse_yaml
from .findings import Finding, MLPluginError
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


# --------------------------------------------------------------------------- metrics of the past


@dataclasses.dataclass
class MetricsAt:
    """The metrics files the dvc.yaml files of one commit declared, and what git holds of them."""

    values: dict[str, dict[str, Any] | None] = dataclasses.field(default_factory=dict)
    cached: set[str] = dataclasses.field(default_factory=set)  # DVC-cached: not in git
    problems: list[str] = dataclasses.field(default_factory=list)  # what could not be read


def pipeline_files(
    project: Project, history: dict[str, FileHistory] | None, prefix: str
) -> list[str]:
    """Project-relative dvc.yaml files of the project now or at any commit in HISTORY (not
    those of a DVC project nested inside it)."""
    found = {s.dvcfile for s in project.stages.values()} | {
        f for f in project.unreadable if posixpath.basename(f) == PIPELINE_FILE
    }
    known = [k[len(prefix) :] for k in history or {} if k.startswith(prefix)]
    nested = [k[: -len("/.dvc/config")] for k in known if k.endswith("/.dvc/config")]
    found |= {
        path
        for path in known
        if posixpath.basename(path) == PIPELINE_FILE
        and not any(path.startswith(n + "/") for n in nested)
    }
    return sorted(found)


def metrics_at(
    commits: list[str],
    pipelines: list[str],
    prefix: str,
    blobs: Callable[[list[str]], dict[str, bytes | None]],
) -> dict[str, MetricsAt]:
    """What each commit's dvc.yaml files (PIPELINES, project-relative, where they exist at
    that commit) declare as metrics, and those files' values in git at that commit: two
    ``git cat-file --batch`` runs, one for the dvc.yaml files, one for the metrics files."""
    found = {commit: MetricsAt() for commit in commits}
    pairs = [(c, f) for c in found for f in pipelines]
    for commit, dvcfile, blob in _read(pairs, prefix, blobs):
        at = found[commit]
        shown = f"{dvcfile} at commit {commit[:7]}"
        try:
            declared = declared_metrics(_parse(blob, shown, parse_yaml), dvcfile, shown)
        except MLPluginError as exc:
            at.problems.append(exc.finding.message)
            continue
        for path, cached in declared.items():
            at.values.setdefault(path, None)
            if cached:
                at.cached.add(path)
    pairs = [(c, f) for c, at in found.items() for f in at.values]
    for commit, file, blob in _read(pairs, prefix, blobs):
        at = found[commit]
        suffix = posixpath.splitext(file)[1].lower()
        try:
            data = _parse(
                blob,
                f"{file} at commit {commit[:7]}",
                lambda text, shown: parse_structured(text, suffix, shown),  # noqa: B023
            )
        except MLPluginError as exc:
            at.problems.append(exc.finding.message)
            continue
        at.values[file] = flatten(data) if isinstance(data, dict) else {}
    return found


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


def _parse(blob: bytes, shown: str, parser: Callable[[str, str], Any]) -> Any:
    """A file's contents from git, parsed with PARSER within the bounds of files.read_text."""
    problem = None
    if len(blob) > MAX_BYTES:
        problem = f"{shown} is {len(blob)} bytes, over the {MAX_BYTES} byte limit."
    elif b"\x00" in blob:
        problem = f"{shown} is a binary file, not text."
    else:
        try:
            return parser(blob.decode("utf-8-sig"), shown)
        except UnicodeDecodeError as exc:
            problem = f"{shown} is not valid UTF-8 (byte {exc.start})."
    raise MLPluginError(Finding("invalid_project_file", problem))
