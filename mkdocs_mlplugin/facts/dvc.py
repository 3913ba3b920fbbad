"""Read-only DVC facts: stages, lock entries, tracked data, params, metrics and artifacts.

Nothing here pulls data, opens a network connection or writes a file: dvc.yaml is resolved
with DVC's own resolver (so ``vars``, ``foreach``, ``matrix`` and ``${...}`` mean exactly
what they mean to DVC), and everything else is read from the files DVC keeps in git.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import os
import posixpath
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mkdocs_mlplugin import guards
from mkdocs_mlplugin.facts import DVC_EXTRA, dvc_fast
from mkdocs_mlplugin.facts.structured import (
    flatten,
    load_structured,
    parse_blob,
    parse_yaml,
    read_text,
)
from mkdocs_mlplugin.findings import Finding, FindingError
from mkdocs_mlplugin.guards import Missing

#: the plot properties a plots output's flags may set (DVC's ``schema.PLOT_PROPS``)
PLOT_PROPS = ("template", "x", "y", "x_label", "y_label", "title", "header")

PIPELINE_FILE = "dvc.yaml"
LOCK_FILE = "dvc.lock"
DEFAULT_PARAMS = "params.yaml"
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
#: files modified this recently are read again, whatever their size and time say
RACY_NS = 2_000_000_000
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


@dataclasses.dataclass
class Hashed:
    """A dep or out as dvc.lock or a .dvc file records it."""

    path: str  # relative to the DVC project root, POSIX separators
    md5: str | None = None
    size: int | None = None
    nfiles: int | None = None
    hash_name: str | None = None  # "md5"; None for entries written by DVC 2 (md5-dos2unix)
    cache: bool = True

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "md5": self.md5,
            "size": self.size,
            "nfiles": self.nfiles,
            "hash": self.hash_name or ("md5-dos2unix" if self.md5 else None),
            "cache": self.cache,
        }


@dataclasses.dataclass
class Stage:
    """One resolved stage of a dvc.yaml, with what dvc.lock says of its last run."""

    name: str  # "train", "train@a" or "sub/dvc.yaml:train", as DVC addresses it from the root
    dvcfile: str  # the dvc.yaml it comes from, relative to the project root
    cmd: str
    wdir: str
    deps: list[str]
    outs: list[Hashed]  # from dvc.yaml; hashes filled from the lock
    params: dict[str, list[str] | None]  # params file (project-relative) -> keys, None = all
    metrics: list[str]
    line: int | None = None  # of the stage's definition in its dvc.yaml
    frozen: bool = False
    always_changed: bool = False
    desc: str | None = None
    locked: bool = False
    lock_unreadable: bool = False  # dvc.lock exists but cannot be read
    lock_cmd: str | None = None
    lock_deps: dict[str, Hashed] = dataclasses.field(default_factory=dict)
    lock_params: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def out(self, path: str) -> Hashed | None:
        return next((o for o in self.outs if o.path == path), None)

    @property
    def is_callback(self) -> bool:
        """A command with no deps, params or outs, which DVC runs on every ``dvc repro`` and
        ``dvc status`` calls always changed."""
        return bool(self.cmd) and not (self.deps or self.params or self.outs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dvcfile": self.dvcfile,
            "cmd": self.cmd,
            "wdir": self.wdir,
            "desc": self.desc,
            "frozen": self.frozen,
            "always_changed": self.always_changed,
            "locked": self.locked,
            "deps": [(self.lock_deps.get(d) or Hashed(d)).as_dict() for d in self.deps],
            "outs": [o.as_dict() for o in self.outs],
            "params": self.lock_params,
            "metrics": self.metrics,
        }


@dataclasses.dataclass(frozen=True)
class PlotDefinition:
    """One plot as a DVC file declares it: an entry of a dvc.yaml's top-level ``plots:``
    (DVCFILE is that file; ID as written there, relative to its directory) or a stage's plots
    output (DVCFILE is ""; ID the output's project-relative path), with its properties
    (template, x, y, titles, header) as written."""

    dvcfile: str
    id: str
    props: dict[str, Any]
    line: int | None = None
    source: str = ""  # the dvc.yaml that declares it, for findings (a stage's too)


@dataclasses.dataclass
class Tracked:
    """A .dvc file: data added with ``dvc add`` or imported with ``dvc import``."""

    dvcfile: str
    outs: list[Hashed]
    source: str | None = None  # for imports: the repository or URL, credentials removed
    frozen: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "dvcfile": self.dvcfile,
            "outs": [o.as_dict() for o in self.outs],
            "source": self.source,
            "frozen": self.frozen,
        }


@dataclasses.dataclass
class Artifact:
    """An entry of a dvc.yaml ``artifacts:`` section, or an artifact only GTO knows (from its
    artifacts.yaml or its tags)."""

    name: str  # "text-classifier" or "sub/dvc.yaml:text-classifier"
    dvcfile: str  # the dvc.yaml, or GTO's artifacts.yaml (from the git root), or ""
    # relative to the project root; None when GTO gives no path or one outside the project
    path: str | None
    type: str | None = None
    desc: str | None = None
    labels: list[str] = dataclasses.field(default_factory=list)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    source: str = "dvc.yaml"  # or "artifacts.yaml", or "gto tags"
    gto_path: str | None = None  # the path as GTO's artifacts.yaml gives it (from the git root)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dvcfile": self.dvcfile,
            "path": self.path,
            "type": self.type,
            "desc": self.desc,
            "labels": self.labels,
            "meta": self.meta,
        }


@dataclasses.dataclass
class Project:
    """Everything known about one DVC project, read once per build."""

    root: Path
    stages: dict[str, Stage] = dataclasses.field(default_factory=dict)
    tracked: dict[str, Tracked] = dataclasses.field(default_factory=dict)
    artifacts: dict[str, Artifact] = dataclasses.field(default_factory=dict)
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # file -> data
    # the params files the dvc.yaml files list at their top level ('params:'), read whole, as
    # dvc params show reads them (DVCLive's params.yaml, for one)
    top_params: list[str] = dataclasses.field(default_factory=list)
    metrics: dict[str, dict[str, Any] | None] = dataclasses.field(default_factory=dict)
    # plot definitions as DVC collects them: each dvc.yaml's top-level 'plots:' and the stages'
    # plots outputs (``facts.plots`` turns them into the plots ``dvc plots show`` draws)
    plots: list[PlotDefinition] = dataclasses.field(default_factory=list)
    edges: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    files_read: list[str] = dataclasses.field(default_factory=list)
    unreadable: dict[str, str] = dataclasses.field(default_factory=dict)  # file -> why
    outside: set[str] = dataclasses.field(default_factory=set)  # declared files outside root
    consulted: list[str] = dataclasses.field(default_factory=list)  # every file read, or looked for
    fingerprint: tuple[Any, ...] = dataclasses.field(default=(), repr=False, compare=False)
    # .dvcignore's patterns (pathspec), read once per build; None: none, or unreadable (a finding)
    ignore: Any = dataclasses.field(default=None, repr=False, compare=False)

    # caches: the resolved root and answers of contains(); the out-path index; dvc.yaml lines
    _resolved_root: Path | None = dataclasses.field(default=None, repr=False, compare=False)
    _contained: dict[str, bool] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    _lines: dict[str, list[str]] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )
    _outs: tuple[tuple[int, int], dict[str, tuple[str, Hashed]], set[str]] | None = (
        dataclasses.field(default=None, repr=False, compare=False)
    )

    def contains(self, path: str) -> bool:
        """Whether PATH (project-relative) stays inside the project, symlinks followed."""
        known = self._contained.get(path)
        if known is None:
            if self._resolved_root is None:
                self._resolved_root = self.root.resolve()
            root = self._resolved_root
            target = (root / path).resolve()
            known = self._contained[path] = target == root or root in target.parents
        return known

    def external(self, path: str) -> bool:
        """Whether the dep or out PATH is outside the project: a URL, an absolute path (DVC
        allows ``/mnt/shared/raw.csv``), '..' out of it, or a symlink pointing out. Such a path
        is never hashed or read."""
        return bool(_URL.match(path)) or guards.leaves(path) is not None or not self.contains(path)

    def producer(self, path: str) -> tuple[str, Hashed] | None:
        """The stage or .dvc file that outputs PATH exactly, with its recorded hash."""
        return self._out_index()[0].get(path)

    def why_absent(self, path: str) -> str:
        """Why PATH, which the project names, is not in the work tree, as a sentence naming
        it: nothing makes it (it does not exist), or what ``absent_because`` says."""
        if self.owner_of(path) is None:
            return f"{path} does not exist, and no stage or .dvc file produces it."
        return f"{path} is not in the workspace: {self.absent_because(path)}."

    def absent_because(self, path: str) -> str:
        """Why PATH, which the project names and the work tree lacks, is not there, as its
        DVC files record it: an output (or a file inside a directory output) DVC caches,
        whose hash dvc.lock or the .dvc file records; a stage output not made yet; an output
        with 'cache: false', which only git can keep; or nothing makes it
        (said after a colon)."""
        found = self.owner_of(path)
        if found is None:
            return "no stage or .dvc file produces it"
        owner, hashed = found
        stage = self.stages.get(owner)
        if stage is not None and not hashed.md5:
            return f"stage '{owner}' has not run ('dvc repro')"
        if not hashed.cache:  # only git can keep it: is it in git? dvc.yaml does not tell
            where, fix = (f"stage '{owner}'", f"run 'dvc repro {owner}', or keep it in git")
            if stage is None:
                where, fix = owner, "keep it in git"
            return (
                f"DVC does not cache it ('cache: false' in {where}), so 'dvc pull' cannot "
                f"restore it: {fix}"
            )
        lock = posixpath.join(posixpath.dirname(stage.dvcfile), LOCK_FILE) if stage else owner
        inside = hashed.path != path  # a file of a directory output
        if stage is not None:
            by = f"{'a directory output' if inside else 'an output'} of stage '{owner}'"
        else:
            by = f"{'a directory ' if inside else ''}tracked by {owner}"
        by, kept = (f"in {hashed.path}, {by}", hashed.path) if inside else (by, "it")
        return (
            f"it is DVC-tracked ({by}, its hash recorded in {lock}) and not pulled: run "
            f"'dvc pull' before the build, or track {kept} in git with 'cache: false'"
        )

    def owner_of(self, path: str) -> tuple[str, Hashed] | None:
        """The stage or .dvc file that outputs PATH or the directory it lies in, with the
        hash it records of that output."""
        outer = self.containing_out(path)
        return self.producer(path) or (self.producer(outer) if outer else None)

    def containing_out(self, path: str) -> str | None:
        """The tracked output directory PATH lies inside, if any (the outermost one)."""
        index = self._out_index()[0]
        parts = path.split("/")
        for n in range(1, len(parts)):
            out_path = "/".join(parts[:n])
            if out_path in index:
                return out_path
        return None

    def listing(self, out: Hashed) -> list[str] | None:
        """The files of the directory output OUT as its ``.dir`` object in the work tree's
        cache (``.dvc/cache``) lists them, relative to OUT; None when that object is not
        there or cannot be read (DVC records only the directory's hash in git)."""
        if not out.is_dir or not out.md5 or not re.fullmatch(r"[0-9a-f]{32}\.dir", out.md5):
            return None
        name = f"{out.md5[:2]}/{out.md5[2:]}"
        # DVC 3 keeps md5 objects under files/md5/; DVC 2 (md5-dos2unix) at the cache's top
        path = f".dvc/cache/{'files/md5/' if out.hash_name else ''}{name}"
        try:
            entries = json.loads(guards.read_file(self.root, path))
        except (FindingError, OSError, ValueError):
            return None
        if not isinstance(entries, list):
            return None
        files = [e.get("relpath") for e in entries if isinstance(e, dict)]
        return [f for f in files if isinstance(f, str)] if len(files) == len(entries) else None

    def holds_outs(self, path: str) -> bool:
        """Whether a tracked output lies inside the directory PATH."""
        return path in self._out_index()[1]

    def _out_index(self) -> tuple[dict[str, tuple[str, Hashed]], set[str]]:
        """(out path -> (stage or .dvc file, hash), directories holding outs); rebuilt when
        stages or .dvc files were added since it was built."""
        size = (len(self.stages), len(self.tracked))
        if self._outs is None or self._outs[0] != size:
            index: dict[str, tuple[str, Hashed]] = {}
            for stage in self.stages.values():
                for out in stage.outs:
                    index.setdefault(out.path, (stage.name, out))
            for tracked in self.tracked.values():
                for out in tracked.outs:
                    index.setdefault(out.path, (tracked.dvcfile, out))
            parents = {parent for path in index for parent in ancestors(path)}
            self._outs = (size, index, parents)
        return self._outs[1], self._outs[2]

    def out_paths(self) -> Iterator[str]:
        for stage in self.stages.values():
            for out in stage.outs:
                yield out.path
        for tracked in self.tracked.values():
            for out in tracked.outs:
                yield out.path

    def nodes(self) -> list[str]:
        """The nodes of ``dvc dag``: stages and .dvc files."""
        return [*self.stages, *self.tracked]

    def as_dict(self, base: Path) -> dict[str, Any]:
        return {
            "root": _rel(self.root, base),
            "stages": [s.as_dict() for s in self.stages.values()],
            "tracked": [t.as_dict() for t in self.tracked.values()],
            "edges": [list(e) for e in self.edges],
            "artifacts": [a.as_dict() for a in self.artifacts.values()],
            "params": self.params,
            "metrics": self.metrics,
            "plots": self._plots_record(),
        }

    def _plots_record(self) -> list[dict[str, Any]]:
        from mkdocs_mlplugin.facts.plots import record

        return record(self)


def ancestors(path: str) -> Iterator[str]:
    """The directories above the POSIX PATH, nearest first, neither '' nor '/' (an absolute
    path's dirname ends at '/', whose dirname is '/' again)."""
    parent = posixpath.dirname(path)
    while parent.strip("/"):
        yield parent
        parent = posixpath.dirname(parent)


def _rel(path: Path, base: Path) -> str:
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
    return rel or "."


# --------------------------------------------------------------------------- discovery


def find_project(start: Path, stop: Path | None, configured: Path | None) -> Path | None:
    """The DVC project root for a site whose mkdocs.yml lives in START.

    CONFIGURED wins when given. Otherwise the nearest directory holding ``.dvc/`` at or above
    START (not above STOP, the git root), else the only one below START; several below is
    ambiguous and an error.
    """
    if configured is not None:
        if not (configured / ".dvc").is_dir():
            raise FindingError(
                Finding(
                    "invalid_project_file",
                    f"dvc_root '{configured}' has no .dvc directory: point it at the directory "
                    "where 'dvc init' was run.",
                )
            )
        return configured
    above = _nearest_project(start, stop)
    if above is not None:
        return above
    found = [Path(d) for d, _ in _walk(start) if (Path(d) / ".dvc").is_dir()]
    if len(found) > 1:
        names = ", ".join(sorted(_rel(p, start) for p in found))
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"several DVC projects were found below {start} ({names}): set the plugin's "
                "'dvc_root' option to the one this site documents.",
            )
        )
    return found[0] if found else None


def enclosing_project(directory: Path, stop: Path | None) -> Path | None:
    """The nearest directory at or above DIRECTORY (not above STOP) that holds ``.dvc/``,
    resolved; None when there is none."""
    return _nearest_project(directory.resolve(), stop)


def _nearest_project(start: Path, stop: Path | None) -> Path | None:
    """The nearest directory at or above START (not above STOP) that holds ``.dvc/``."""
    for candidate in (start, *start.parents):
        if (candidate / ".dvc").is_dir():
            return candidate
        if candidate == stop:
            break
    return None


def _walk(top: Path) -> Iterator[tuple[str, list[str]]]:
    """os.walk below TOP, skipping .git, .dvc and nested DVC projects' insides."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(
            d for d in dirnames if d not in (".git", ".dvc", "node_modules", "__pycache__")
        )
        if Path(dirpath) != top and ".dvc" in os.listdir(dirpath):
            dirnames[:] = []  # a DVC project of its own
        # a directory added with 'dvc add' holds data, not DVC files
        dirnames[:] = [d for d in dirnames if f"{d}.dvc" not in filenames]
        yield dirpath, filenames


def _project_files(root: Path, ignore: Any) -> tuple[list[str], list[str]]:
    """(dvc.yaml files, .dvc files) of the project, relative to ROOT, sorted; IGNORE: its
    .dvcignore."""
    pipelines: list[str] = []
    tracked: list[str] = []
    for dirpath, filenames in _walk(root):
        if Path(dirpath) != root and (Path(dirpath) / ".dvc").is_dir():
            continue
        rel_dir = _rel(Path(dirpath), root)
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if ignore is not None and ignore.match_file(rel):
                continue
            if name == PIPELINE_FILE:
                pipelines.append(rel)
            elif name.endswith(".dvc") and name != ".dvc":
                tracked.append(rel)
    return pipelines, tracked


def dvcignore(root: Path) -> Any:
    """The patterns of ROOT/.dvcignore, None when there is none; a FindingError when it
    cannot be read."""
    try:
        lines = read_text(root, ".dvcignore").splitlines()
    except Missing:
        return None
    import pathspec

    return pathspec.PathSpec.from_lines("gitignore", lines)


# --------------------------------------------------------------------------- loading


class _ResolverRepo:
    """What DVC's resolver needs of a repository: a filesystem and the ``parsing`` config.

    The filesystem is the local one with every look and read DVC's resolver makes (params.yaml,
    ``vars`` files of the file and of each stage) put through the plugin's guards: a path
    outside ROOT or anything but a regular file raises the guard's FindingError before DVC
    reads a byte, and a YAML file is checked by the plugin's reader (size, aliases) first.
    With WRITTEN, the files are another revision's (see _Written)."""

    def __init__(
        self,
        root: Path,
        parsing: dict[str, Any],
        written: Callable[[str], bytes | None] | None = None,
    ) -> None:
        if written is None:
            self.fs = _guarded_filesystem()()
        else:
            self.fs = _written_filesystem()()
            self.fs.written = written
        self.fs.guarded_root = root
        self.config = {"parsing": parsing}


class _Guarded:
    """The looks and reads of DVC's local filesystem, put through the guards for the files
    below ``guarded_root``: mixed into DVC's LocalFileSystem by _guarded_filesystem."""

    guarded_root: Path

    def _file(self, path: str) -> str:
        """PATH (as DVC names it: from the working directory, or absolute) relative to the
        root; the guard's FindingError when it is outside."""
        root = self.guarded_root
        rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        if os.path.isabs(str(path)) and guards.leaves(rel) is not None:
            guards.real_path(root, str(path))  # refused: an absolute path
        shown = rel if guards.leaves(rel) is None else str(path)
        guards.real_path(root, rel, shown)
        return rel

    def exists(self, path: Any, *args: Any, **kwargs: Any) -> bool:
        return guards.exists(self.guarded_root, self._file(path))

    def isdir(self, path: Any) -> bool:
        return os.path.isdir(os.path.join(self.guarded_root, self._file(path)))

    def isfile(self, path: Any) -> bool:
        return os.path.isfile(os.path.join(self.guarded_root, self._file(path)))

    def open(self, path: Any, mode: str = "r", **kwargs: Any) -> Any:
        import io

        rel = self._file(path)
        if "r" not in mode or "+" in mode:
            raise FindingError(Finding("invalid_project_file", f"{rel} is not written."))
        text = self._text(rel)
        if rel.endswith((".yaml", ".yml")):
            parse_yaml(text, rel)
        return io.BytesIO(text.encode("utf-8")) if "b" in mode else io.StringIO(text)

    def _text(self, rel: str) -> str:
        return read_text(self.guarded_root, rel)


@functools.cache
def _guarded_filesystem() -> type:
    """DVC's LocalFileSystem with _Guarded's looks and reads (DVC imported on first use)."""
    from dvc.fs import LocalFileSystem

    return type("GuardedFileSystem", (_Guarded, LocalFileSystem), {})


class _Written(_Guarded):
    """The looks and reads of DVC's resolver answered from a revision's files (``written``:
    project-relative path -> its bytes, None when the revision has none), another commit's
    as git keeps them: nothing outside ``guarded_root`` is named, each file is held to the
    bounds of read_text and a YAML file is checked by the plugin's reader first (_Guarded's
    ``open``)."""

    written: Callable[[str], bytes | None]

    def _file(self, path: str) -> str:
        rel = os.path.relpath(os.path.abspath(path), self.guarded_root).replace(os.sep, "/")
        why = guards.leaves(rel)
        if why is not None:
            raise FindingError(Finding("invalid_project_file", f"{path} {why}"))
        return rel

    def exists(self, path: Any, *args: Any, **kwargs: Any) -> bool:
        return self.written(self._file(path)) is not None

    def isdir(self, path: Any) -> bool:
        return False  # a blob or nothing: DVC then says the file does not exist or is no mapping

    def isfile(self, path: Any) -> bool:
        return self.exists(path)

    def _text(self, rel: str) -> str:
        blob = self.written(rel)
        if blob is None:
            raise FileNotFoundError(rel)
        text: str = parse_blob(blob, rel, lambda text, _: text)
        return text


@functools.cache
def _written_filesystem() -> type:
    """DVC's LocalFileSystem (for its path arithmetic) with _Written's looks and reads."""
    from dvc.fs import LocalFileSystem

    return type("WrittenFileSystem", (_Written, LocalFileSystem), {})


def needs_resolving(data: dict[str, Any], dvcfile: str) -> bool:
    """Whether the params the stages of DVCFILE (DATA, as written) read are known only once
    DVC's resolver has read it: a foreach or matrix stage, ``vars`` files or the params.yaml
    beside a dvc.yaml in a folder (DVC counts the values stages take from them as params,
    see ``reads_vars_files``), a stage's own ``vars``, or ``${...}`` in a ``params:`` list."""
    bodies = _bodies(data)
    return (
        any("foreach" in d or "matrix" in d or "vars" in d for d in bodies)
        or reads_vars_files(data, dvcfile)
        or any(dvc_fast.templated(d.get("params")) for d in bodies)
        or dvc_fast.templated(data.get("params"))
    )


def metrics_need_resolving(data: dict[str, Any]) -> bool:
    """Whether the metrics a dvc.yaml (DATA, as written) declares are known only once DVC's
    resolver has read it: a foreach or matrix stage with metrics, ``${...}`` in a stage's
    ``metrics:`` or the ``wdir`` they are relative to, or in the top-level ``metrics:``."""
    stages = data.get("stages")
    looped = [
        d.get("do", d)
        for d in (stages.values() if isinstance(stages, dict) else ())
        if isinstance(d, dict) and ("foreach" in d or "matrix" in d)
    ]
    return (
        any(isinstance(body, dict) and "metrics" in body for body in looped)
        or any(
            "metrics" in d and dvc_fast.templated([d["metrics"], d.get("wdir")])
            for d in _bodies(data)
        )
        or dvc_fast.templated(data.get("metrics"))
    )


def reads_vars_files(data: dict[str, Any], dvcfile: str) -> bool:
    """Whether the stages of DVCFILE (DATA, as written) may take values from files that are
    not the project's params.yaml: files named in ``vars`` (its own or a stage's), or, for a
    dvc.yaml in a folder whose stages use ``${...}``, the params.yaml beside it, which DVC's
    resolver reads as it reads vars files. ``dvc params show`` counts the values they take."""
    lists = [data.get("vars"), *(d.get("vars") for d in _bodies(data))]
    if any(isinstance(v, list) and any(isinstance(i, str) for i in v) for v in lists):
        return True
    return bool(posixpath.dirname(dvcfile)) and dvc_fast.templated(data.get("stages"))


def _bodies(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The stage definitions of a dvc.yaml as written (a foreach stage's and its 'do')."""
    stages = data.get("stages")
    found = [
        d for d in (stages.values() if isinstance(stages, dict) else ()) if isinstance(d, dict)
    ]
    return found + [d["do"] for d in found if isinstance(d.get("do"), dict)]


def resolve_written(
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    text: str,
    written: Callable[[str], bytes | None],
    shown: str,
) -> tuple[list[tuple[str, Stage]], dict[str, dict[str, Any]], list[Any]]:
    """The stages of DVCFILE as written at another revision (DATA, its TEXT; WRITTEN reads that
    revision's files, project-relative) as DVC's resolver expands them there, the values
    they take from ``vars`` files as ``dvc params show`` counts them (file, project-relative
    -> dotted key -> value), and its top-level ``metrics:`` list. The resolver reads
    params.yaml and the ``vars`` files of that revision; the ``parsing`` config is the work
    tree's. A FindingError naming SHOWN when DVC refuses the file, or naming the dvc extra
    when DVC cannot be imported."""

    keys = ["stages"] if isinstance(data.get("stages"), dict) else ["metrics"]
    where = (root, dvcfile, data, text, written, shown)
    stages, _, metrics, _, tracked = _resolved_written(*where, keys)
    found = [(name, stage) for name, _, stage in _stages_of(stages, dvcfile, text)]
    values: dict[str, dict[str, Any]] = {}
    for files in tracked.values():
        for file, taken in files.items():
            rel = os.path.relpath(os.path.abspath(file), root).replace(os.sep, "/")
            values.setdefault(rel, {}).update(taken)
    return found, values, metrics


def resolve_written_plainly(
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    text: str,
    written: Callable[[str], bytes | None],
) -> tuple[list[tuple[str, Stage]], list[Any], list[str]] | None:
    """The stages and top-level ``metrics:`` of DVCFILE at another revision as
    ``resolve_written`` gives them, read without DVC where the fast path (``dvc_fast``) reads
    the file (as written, DVC's schema sure to accept it), and the files it read for
    ``${...}`` (params.yaml, ``vars`` files), each a file of that revision read by WRITTEN, held
    to the bounds of read_text; None where DVC's resolver must read it. The values stages
    take from those files are not told."""
    if not dvc_fast.certainly_valid(data, "pipeline"):
        return None

    def read(path: str) -> str | None:
        blob = written(path)
        if blob is None:
            return None
        text: str = parse_blob(blob, path, lambda text, _: text)
        return text

    loaded: list[str] = []
    plain = dvc_fast.resolve(root, dvcfile, data, read, loaded)
    if plain is None:
        return None
    stages, _, metrics = plain
    return [(name, stage) for name, _, stage in _stages_of(stages, dvcfile, text)], metrics, loaded


def _resolved_written(
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    text: str,
    written: Callable[[str], bytes | None],
    shown: str,
    keys: list[str],
) -> tuple[dict[str, Any], dict[str, Any], list[Any], list[Any], dict[str, Any]]:
    """_by_dvc of DVCFILE as another revision writes it, reading that revision's files."""
    repo = functools.partial(_ResolverRepo, root, _parsing_config(root), written)
    return _by_dvc(repo, root, dvcfile, data, text, keys, shown)


def _stages_of(
    stages: dict[str, Any], dvcfile: str, text: str
) -> Iterator[tuple[str, dict[str, Any], Stage]]:
    """(name, definition, stage) of resolved STAGES of DVCFILE (its TEXT gives the lines); a
    definition that is no stage DVC could run is left out, as written_stages leaves it."""
    directory = posixpath.dirname(dvcfile)
    for name, definition in stages.items():
        try:
            stage = _stage(str(name), dvcfile, directory, definition)
        except (TypeError, ValueError, AttributeError):
            continue
        stage.line = key_line(text, ["stages", str(name).split("@")[0]])
        yield str(name), definition, stage


def written_plots(
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    text: str,
    written: Callable[[str], bytes | None],
    shown: str,
) -> list[PlotDefinition]:
    """The plots DVCFILE declares at another revision (DATA, its TEXT; WRITTEN reads that
    revision's files), as ``dvc plots diff`` collects them there: each stage's plots outputs,
    then the top-level ``plots:``. Where the plots are known only once DVC's resolver has
    read the file (a foreach or matrix stage with plots, ``${...}`` in plots), it resolves
    them with that revision's files; a FindingError naming SHOWN when it cannot."""
    stages: Any = data.get("stages")
    stages = (
        {n: d for n, d in stages.items() if isinstance(d, dict)} if isinstance(stages, dict) else {}
    )
    plots = data.get("plots") or []
    looped = [d.get("do", d) for d in stages.values() if "foreach" in d or "matrix" in d]
    if (
        dvc_fast.templated(plots)
        or any(isinstance(body, dict) and "plots" in body for body in looped)
        or any(dvc_fast.templated(d.get("plots")) for d in stages.values())
    ):
        stages, _, _, plots, _ = _resolved_written(
            root, dvcfile, data, text, written, shown, ["plots"]
        )
    found = []
    for _, definition, stage in _stages_of(stages, dvcfile, text):
        found += _stage_plots(definition, stage, dvcfile)
    line = key_line(text, ["plots"])
    found += [PlotDefinition(dvcfile, i, props, line, dvcfile) for i, props in _entries(plots)]
    return found


def load_project(root: Path, previous: Project | None = None) -> Project:
    """Read every DVC file of the project rooted at ROOT. Problems become findings.

    PREVIOUS, the project an earlier build of the same process read (``mkdocs serve``), is
    returned as it is when no file it was read from changed and no DVC file came or went."""
    problems: list[Finding] = []
    try:
        ignore = dvcignore(root)
    except FindingError as exc:
        problems.append(exc.finding)
        ignore = None
    pipelines, tracked = _project_files(root, ignore)
    if (
        previous is not None
        and previous.root == root
        and previous.fingerprint == _fingerprint(root, pipelines, tracked, previous.consulted)
    ):
        return previous
    project = Project(root=root, findings=problems, ignore=ignore)
    for dvcfile in pipelines:
        _collect(project, _load_pipeline, dvcfile)
    for dvcfile in tracked:
        _collect(project, _load_tracked, dvcfile)
    _load_params(project)
    _load_metrics(project)
    project.edges = build_edges(project)
    project.consulted = sorted(
        {*project.files_read, *project.params, *project.metrics, *project.consulted}
        | {".dvc/config", ".dvc/config.local", ".dvcignore"}
    )
    project.fingerprint = _fingerprint(root, pipelines, tracked, project.consulted)
    return project


def _fingerprint(
    root: Path, pipelines: list[str], tracked: list[str], files: list[str]
) -> tuple[Any, ...]:
    """What the project was read from: its DVC files, and each file's identity, size and
    modification time (None when absent). A file modified in the last two seconds makes the
    fingerprint match nothing: a second write within the file system's clock tick would not
    change its time (git's "racily clean" rule)."""
    recent = time.time_ns() - RACY_NS
    stats: list[Any] = []
    for name in files:
        if guards.leaves(name) is not None:
            stats.append(None)  # outside the project: refused, never looked at
            continue
        try:
            st = (root / name).stat()
        except OSError:
            stats.append(None)
            continue
        stats.append(
            (st.st_ino, st.st_size, st.st_mtime_ns) if st.st_mtime_ns < recent else object()
        )
    return (tuple(pipelines), tuple(tracked), tuple(files), tuple(stats))


def _collect(project: Project, loader: Any, dvcfile: str) -> None:
    try:
        loader(project, dvcfile)
    except FindingError as exc:
        project.findings.append(exc.finding)
        project.unreadable[dvcfile] = exc.finding.message


def _load_pipeline(project: Project, dvcfile: str) -> None:
    root = project.root
    text = read_text(root, dvcfile)
    project.files_read.append(dvcfile)
    data = parse_yaml(text, dvcfile) or {}
    if not isinstance(data, dict):
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{dvcfile} must be a mapping with a 'stages:' key.",
                dvcfile,
                1,
            )
        )
    _validate(data, dvcfile, text, "pipeline")
    resolved, artifacts, metrics, plots = _resolve(root, dvcfile, data, text, project.consulted)
    directory = posixpath.dirname(dvcfile)
    prefix = "" if dvcfile == PIPELINE_FILE else f"{dvcfile}:"
    lockfile = posixpath.join(directory, LOCK_FILE) if directory else LOCK_FILE
    try:
        lock = _load_lock(root, lockfile)
    except FindingError as exc:  # the pipeline is still known; what it recorded is not
        project.findings.append(exc.finding)
        project.unreadable[lockfile] = exc.finding.message
        lock = {}
    project.files_read.append(lockfile)
    for name, definition in resolved.items():
        stage = _stage(f"{prefix}{name}", dvcfile, directory, definition)
        stage.line = key_line(text, ["stages", name.split("@")[0]])
        entry = lock.get(name)
        if entry is not None:
            _apply_lock(stage, entry, directory)
        stage.lock_unreadable = lockfile in project.unreadable
        project.stages[stage.name] = stage
        project.plots.extend(_stage_plots(definition, stage, dvcfile))
    orphans = [name for name in lock if name not in resolved]
    lock_text = read_text(root, lockfile) if orphans else ""
    for name in orphans:
        if name not in resolved:
            project.findings.append(
                Finding(
                    "orphan_lock_entry",
                    f"{lockfile} has an entry for stage '{name}', which {dvcfile} no longer "
                    "defines; it is ignored, as DVC ignores it. Remove it (edit the lock, or "
                    "'dvc commit') so the lock says only what the pipeline is.",
                    lockfile,
                    key_line(lock_text, ["stages", name]) or key_line(lock_text, [name]),
                )
            )
    for name, definition in artifacts.items():
        _check_artifact_name(str(name), dvcfile, text, project.findings)
        definition = definition or {}
        project.artifacts[f"{prefix}{name}"] = Artifact(
            name=f"{prefix}{name}",
            dvcfile=dvcfile,
            path=_join(directory, str(definition.get("path", ""))),
            type=definition.get("type"),
            desc=definition.get("desc"),
            labels=list(definition.get("labels") or []),
            meta=dict(definition.get("meta") or {}),
        )
    for metric in metrics:
        if isinstance(metric, str):
            project.metrics.setdefault(_join(directory, metric), None)
    project.top_params += [
        _join(directory, item)
        for item in data.get("params") or []
        if isinstance(item, str) and "${" not in item
    ]
    line = key_line(text, ["plots"])
    for plot_id, props in _entries(plots):
        project.plots.append(PlotDefinition(dvcfile, plot_id, props, line, dvcfile))


def _stage_plots(definition: dict[str, Any], stage: Stage, dvcfile: str) -> list[PlotDefinition]:
    """The plots outputs of a resolved stage DEFINITION, with the plot properties of their
    flags (DVC's ``PLOT_PROPS``), as ``dvc plots show`` collects them."""
    return [
        PlotDefinition(
            "",
            _join(stage.wdir, path),
            {k: v for k, v in flags.items() if k in PLOT_PROPS},
            stage.line,
            dvcfile,
        )
        for path, flags in _entries(definition.get("plots"))
    ]


def _check_artifact_name(name: str, dvcfile: str, text: str, findings: list[Finding]) -> None:
    """A finding when the artifact NAME cannot be a path in the site (``hf_export`` writes
    ``NAME/README.md``): absolute, '..' or '.' parts, empty. GTO allows letters, digits, '-',
    '_' and '/' only, so no registrable name is refused."""
    try:
        parts = guards.site_path(name)
    except ValueError as exc:
        why = str(exc)
    else:
        if "/".join(parts) == name.strip("/") or "." not in name:
            return
        why = "has a '.' part"
    findings.append(
        Finding(
            "invalid_project_file",
            f"artifact name '{name}' {why}, so it cannot name a folder of the site: name "
            "artifacts with letters, digits, '-', '_' and '/' (what GTO accepts).",
            dvcfile,
            key_line(text, ["artifacts", name]),
        )
    )


def _validate(data: dict[str, Any], shown: str, text: str, what: str) -> None:
    """Check the file against DVC's own schema; the finding names the key and its line."""
    if dvc_fast.certainly_valid(data, what):
        return
    try:
        from dvc import schema
        from voluptuous import Invalid, MultipleInvalid
    except ImportError as exc:
        raise FindingError(
            without_dvc(exc, shown, text, dvc_fast.unsure_at(data, what), "checks")
        ) from None

    checker = {
        "pipeline": _pipeline_schema(),
        "lock": schema.COMPILED_LOCKFILE_SCHEMA,
        "tracked": schema.COMPILED_SINGLE_STAGE_SCHEMA,
    }[what]
    try:
        checker(data)
    except MultipleInvalid as exc:
        error = exc.errors[0]
        raise FindingError(_schema_finding(error, shown, text)) from None
    except Invalid as exc:
        raise FindingError(_schema_finding(exc, shown, text)) from None


@functools.cache
def _pipeline_schema() -> Any:
    """DVC's dvc.yaml schema, with its per-stage choice between a stage and a foreach/do
    definition made from two schemas compiled once (DVC compiles one for every stage)."""
    from collections.abc import Mapping

    from dvc import schema
    from voluptuous import Schema

    stage, foreach = Schema(schema.STAGE_DEFINITION), Schema(schema.FOREACH_IN)
    keys = {schema.FOREACH_KWD, schema.DO_KWD}

    def either(data: Any) -> Any:
        return foreach(data) if isinstance(data, Mapping) and keys & data.keys() else stage(data)

    return Schema({**schema.MULTI_STAGE_SCHEMA, schema.STAGES: {str: either}})


def without_dvc(exc: ImportError, shown: str, text: str, keys: list[str], how: str) -> Finding:
    """The finding for a DVC file (SHOWN, its TEXT) that only DVC's own code reads, at KEYS,
    when DVC cannot be imported (EXC): the plugin HOW ("checks", "resolves") it with DVC."""
    part = f"'{'.'.join(keys)}' in {shown}" if keys else shown
    return Finding(
        "invalid_project_file",
        f"{part} is in a form the plugin {how} with DVC's own code (its plain forms are read "
        f"without DVC), and DVC cannot be imported here ({exc}): install {DVC_EXTRA}.",
        shown,
        key_line(text, keys) if keys else None,
    )


def _schema_finding(error: Any, shown: str, text: str) -> Finding:
    keys = [str(p) for p in error.path]
    where = ".".join(keys) or "top level"
    return Finding(
        "invalid_project_file",
        f"{shown}: {error.error_message or error.msg} at '{where}' (DVC's schema for this file).",
        shown,
        key_line(text, keys),
    )


def key_line(text: str, keys: list[str]) -> int | None:
    """Best-effort line of the YAML key path KEYS in TEXT (block style only): each key is
    looked for from the line of the one before it."""
    index = _key_index(text)
    line_no = 0
    found = None
    for key in keys:
        at = index.find(key, line_no)
        if at is None:
            if key.isdigit():
                continue  # a list index, not a key written in the file
            return found
        line_no, found = at, at + 1
    return found


#: what a line holding a plain key starts with: indentation, a list item's dash, a quote
_KEY_START = re.compile(r"^\s*-?\s*['\"]?([^\s'\":-][^'\":]*?)['\"]?\s*:")
_PLAIN_KEY = re.compile(r"[^\s'\":-][^'\":]*")


class _KeyIndex:
    """The lines of a text, and for each plain key (no quotes, colons, leading dash or
    space) the lines that start with it, found in one pass: looking up every stage of a
    large dvc.yaml then costs no rescan of the file."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts: dict[str, list[int]] = {}
        for i, line in enumerate(self.lines):
            match = _KEY_START.match(line)
            if match:
                self.starts.setdefault(match.group(1), []).append(i)

    def find(self, key: str, start: int) -> int | None:
        """The first line at or after START that holds KEY as a key."""
        if _PLAIN_KEY.fullmatch(key) and not key[-1].isspace():
            lines = self.starts.get(key, ())
            at = bisect.bisect_left(lines, start)
            return lines[at] if at < len(lines) else None
        pattern = re.compile(rf"^\s*-?\s*['\"]?{re.escape(key)}['\"]?\s*:")
        return next(
            (i for i in range(start, len(self.lines)) if pattern.match(self.lines[i])), None
        )


@functools.lru_cache(maxsize=4)
def _key_index(text: str) -> _KeyIndex:
    return _KeyIndex(text)


def _resolve(
    root: Path, dvcfile: str, data: dict[str, Any], text: str, consulted: list[str]
) -> tuple[dict[str, Any], dict[str, Any], list[Any], list[Any]]:
    """Stages, artifacts, metrics and top-level plots of a dvc.yaml with vars/foreach/matrix/${}
    resolved by DVC.

    DVC's resolver reads params.yaml and the ``vars:`` files itself, with no limit on size or
    YAML aliases; they are checked with the plugin's own reader first, and every file it reads
    goes through the plugin's guards (_ResolverRepo). A ``vars`` file outside the project or
    not a regular file is a finding at its line. When params.yaml is refused and the file needs
    no interpolation, it is taken as written, as DVC would read it."""
    refused = _refused_vars(root, dvcfile, data, text, consulted)
    if refused:
        if "${" in text or any(
            isinstance(d, dict) and ("foreach" in d or "matrix" in d)
            for d in (data.get("stages") or {}).values()
        ):
            raise FindingError(
                Finding(
                    "invalid_project_file",
                    f"{dvcfile} needs {refused} to resolve its ${{...}}, foreach or matrix, and "
                    f"{refused} cannot be read (see its error).",
                    dvcfile,
                    key_line(text, ["vars"]) or key_line(text, ["stages"]),
                )
            )
        return (
            dict(data.get("stages") or {}),
            dict(data.get("artifacts") or {}),
            list(data.get("metrics") or []),
            list(data.get("plots") or []),
        )
    plain = dvc_fast.resolve(root, dvcfile, data)
    if plain is not None:  # the fast path takes only files whose plots need no resolving
        return (*plain, list(data.get("plots") or []))
    keys = dvc_fast.unresolved_at(root, dvcfile, data)
    resolved = _by_dvc(
        lambda: _ResolverRepo(root, _parsing_config(root)), root, dvcfile, data, text, keys
    )
    return resolved[:4]


def _by_dvc(
    repo: Callable[[], Any],
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    text: str,
    keys: list[str],
    shown: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[Any], list[Any], dict[str, Any]]:
    """Stages, artifacts, metrics and top-level plots of DVCFILE (DATA, its TEXT) as DVC's
    resolver gives them in REPO (made once DVC is imported), and the values each stage took
    from ``vars`` files (DVC's ``tracked_vars``: stage -> file -> key -> value). DVC's errors
    are findings naming SHOWN (default: DVCFILE); when DVC cannot be imported, the finding
    naming the extra, at KEYS."""
    shown = shown or dvcfile
    directory = (root / dvcfile).parent
    try:
        from dvc.exceptions import DvcException
        from dvc.parsing import DataResolver
    except ImportError as exc:
        raise FindingError(without_dvc(exc, shown, text, keys, "resolves")) from None

    made = repo()  # reads .dvc/config: its own finding, if refused
    try:
        resolver = DataResolver(made, str(directory), data)
        stages = resolver.resolve().get("stages") or {}  # None in a file with no stages
        artifacts = resolver.resolve_artifacts() or {}
        metrics = resolver.resolve_metrics() or []
        plots = resolver.resolve_plots() or []
    except FindingError as exc:  # a file DVC's resolver would read, refused by the guards
        raise FindingError(_vars_finding(dvcfile, text, exc.finding)) from None
    except DvcException as exc:
        message = _short_path(str(exc).replace(str(directory) + os.sep, ""), root)
        message = message.replace(f" in '{dvcfile}'", "")
        where = re.search(
            r"'((?:stages|vars|artifacts|metrics|params|plots)(?:\.[^']*)?)'", message
        )
        keys = where.group(1).split(".") if where else []
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown}: {message}",
                dvcfile,
                key_line(text, keys) if keys else None,
            )
        ) from None
    except (AssertionError, TypeError) as exc:  # DVC itself: "unexpected error"
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"DVC's resolver fails on this file ({type(exc).__name__}: {exc}), "
                "and so do 'dvc repro' and 'dvc stage list'. Look for a foreach member whose "
                "name is empty, or a value DVC cannot interpolate in params.yaml or 'vars' "
                "(a date: quote it).",
                dvcfile,
                key_line(text, ["stages"]),
            )
        ) from None
    return stages, artifacts, metrics, plots, dict(resolver.tracked_vars)


def _refused_vars(
    root: Path, dvcfile: str, data: dict[str, Any], text: str, consulted: list[str]
) -> str | None:
    """The params.yaml next to DVCFILE when DVC's resolver would read it and the plugin refuses
    it; a finding when a file of its ``vars`` (top-level, or a stage's own) is refused (outside
    the project, not a regular file, too large, ...). Every file looked at is added to
    CONSULTED."""
    directory = posixpath.dirname(dvcfile)
    stages = data.get("stages")
    stages = stages if isinstance(stages, dict) else {}
    bodies = [d.get("do", d) for d in stages.values() if isinstance(d, dict)]
    lists = [data.get("vars"), *(b.get("vars") for b in bodies if isinstance(b, dict))]
    names = [DEFAULT_PARAMS] + [
        v for items in lists if isinstance(items, list) for v in items if isinstance(v, str)
    ]
    for index, name in enumerate(names):
        written = name.split(":")[0]
        file = posixpath.normpath(posixpath.join(directory, written.replace("\\", "/")))
        consulted.append(file)
        try:
            content = read_text(root, file)
            if file.endswith((".yaml", ".yml")):
                parse_yaml(content, file)
        except Missing:
            continue  # params.yaml is optional; DVC says that a vars file is missing
        except FindingError as exc:
            if index == 0:
                return file
            raise FindingError(_vars_finding(dvcfile, text, exc.finding, written)) from None
    return None


def _vars_finding(dvcfile: str, text: str, refused: Finding, written: str | None = None) -> Finding:
    """REFUSED (a file DVCFILE's ``vars`` names) as a finding at the line that names it."""
    name = written or posixpath.basename(refused.file or "")
    start = (key_line(text, ["vars"]) or 1) - 1
    lines = text.splitlines()
    line = next(
        (i for i in range(start, len(lines)) if name and name in lines[i]),
        None,
    )
    return Finding(
        "invalid_project_file",
        f"'vars' names a file DVC would read: {refused.message}",
        dvcfile,
        line + 1 if line is not None else key_line(text, ["vars"]),
    )


def _short_path(message: str, root: Path) -> str:
    return message.replace(os.path.relpath(root) + os.sep, "").replace(str(root) + os.sep, "")


def _parsing_config(root: Path) -> dict[str, Any]:
    """The ``[parsing]`` section of .dvc/config, which changes how booleans and lists render."""
    try:
        text = read_text(root, ".dvc/config")
    except Missing:
        return {}
    section: dict[str, Any] = {}
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line == "[parsing]"
        elif inside and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            section[key] = value
    return section


def _join(directory: str, path: str) -> str:
    if _URL.match(path):  # an external dependency (https://, s3://, ...): not a local path
        return redact(path)
    return posixpath.normpath(posixpath.join(directory, path.replace("\\", "/")))


def _entries(items: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, flags) from a deps/outs/metrics/plots list: strings or one-key mappings."""
    for item in items or []:
        if isinstance(item, str):
            yield item, {}
        elif isinstance(item, dict):
            for path, flags in item.items():
                yield str(path), dict(flags or {})


def _stage(name: str, dvcfile: str, directory: str, d: dict[str, Any]) -> Stage:
    wdir = _join(directory, str(d.get("wdir", ".")))
    cmd = d.get("cmd", "")
    cmd = command_text(cmd)
    outs: list[Hashed] = []
    metrics: list[str] = []
    for key in ("outs", "metrics", "plots"):
        for path, flags in _entries(d.get(key)):
            out = Hashed(_join(wdir, path), cache=bool(flags.get("cache", True)))
            outs.append(out)
            if key == "metrics":
                metrics.append(out.path)
    params: dict[str, list[str] | None] = {}
    for item in d.get("params") or []:
        if isinstance(item, str):
            listed = params.setdefault(_join(wdir, DEFAULT_PARAMS), [])
            if listed is not None:  # None: the whole file is a dependency already
                listed.append(item)
        elif isinstance(item, dict):
            for file, keys in item.items():
                params[_join(wdir, str(file))] = list(keys) if keys else None
    return Stage(
        name=name,
        dvcfile=dvcfile,
        cmd=cmd,
        wdir=wdir,
        deps=[_join(wdir, p) for p, _ in _entries(d.get("deps"))],
        outs=outs,
        params=params,
        metrics=metrics,
        frozen=bool(d.get("frozen", False)),
        always_changed=bool(d.get("always_changed", False)),
        desc=d.get("desc"),
    )


def _load_lock(root: Path, lockfile: str) -> dict[str, Any]:
    try:
        text = read_text(root, lockfile)
    except Missing:
        return {}
    data = parse_yaml(text, lockfile) or {}
    if not isinstance(data, dict):
        raise FindingError(
            Finding("invalid_project_file", f"{lockfile} is not a mapping.", lockfile, 1)
        )
    version = data.get("schema")
    if version is None:  # DVC 1 wrote stages at the top level, in the same shape
        _validate({"schema": "2.0", "stages": data}, lockfile, text, "lock")
        return data
    if str(version) != "2.0":
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{lockfile} has schema '{version}', which this plugin does not know (it reads "
                "'2.0', written by DVC 2 and 3). Upgrade mkdocs-mlplugin or regenerate the lock "
                "with the DVC version your project uses.",
                lockfile,
                key_line(text, ["schema"]),
            )
        )
    _validate(data, lockfile, text, "lock")
    return dict(data.get("stages") or {})


def _hashed(entry: dict[str, Any], wdir: str) -> Hashed:
    return Hashed(
        path=_join(wdir, str(entry.get("path", ""))),
        md5=_checksum(entry.get("md5")),
        size=entry.get("size"),
        nfiles=entry.get("nfiles"),
        hash_name=entry.get("hash"),
        cache=bool(entry.get("cache", True)),
    )


def _checksum(value: Any) -> str | None:
    """An md5 as text: DVC's schema takes a number (``md5: 1234``) as its digits."""
    return str(value) if isinstance(value, int) else value


def _apply_lock(stage: Stage, entry: dict[str, Any], directory: str) -> None:
    wdir = stage.wdir
    stage.locked = True
    cmd = entry.get("cmd", "")
    stage.lock_cmd = command_text(cmd)
    for dep in entry.get("deps") or []:
        hashed = _hashed(dep, wdir)
        stage.lock_deps[hashed.path] = hashed
    for out in entry.get("outs") or []:
        hashed = _hashed(out, wdir)
        declared = stage.out(hashed.path)
        if declared is not None:
            declared.md5, declared.size, declared.nfiles = hashed.md5, hashed.size, hashed.nfiles
            declared.hash_name = hashed.hash_name
    for file, values in (entry.get("params") or {}).items():
        stage.lock_params[_join(wdir, str(file))] = dict(values or {})


def _load_tracked(project: Project, dvcfile: str) -> None:
    text = read_text(project.root, dvcfile)
    project.files_read.append(dvcfile)
    data = parse_yaml(text, dvcfile) or {}
    if not isinstance(data, dict) or not data.get("outs"):
        raise FindingError(
            Finding("invalid_project_file", f"{dvcfile} has no 'outs:' entry.", dvcfile, 1)
        )
    _validate(data, dvcfile, text, "tracked")
    directory = posixpath.dirname(dvcfile)
    wdir = _join(directory, str(data.get("wdir", ".")))
    source = None
    for dep in data.get("deps") or []:
        repo = dep.get("repo") if isinstance(dep, dict) else None
        if isinstance(repo, dict) and repo.get("url"):
            source = f"{redact(str(repo['url']))}:{dep.get('path', '')}"
            rev = repo.get("rev_lock") or repo.get("rev")
            source += f"@{rev}" if rev else ""
        elif isinstance(dep, dict) and dep.get("path"):
            source = redact(str(dep["path"]))
    project.tracked[dvcfile] = Tracked(
        dvcfile=dvcfile,
        outs=[_hashed(out, wdir) for out in data["outs"] if isinstance(out, dict)],
        source=source,
        frozen=bool(data.get("frozen", False)),
    )


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://[^\s'\"]+")


def command_text(cmd: Any) -> str:
    """A stage's ``cmd`` (a command, or a list of them) as the plugin shows it: one command a
    line, secrets redacted."""
    return redact_text("\n".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd))


def redact_text(text: str) -> str:
    """TEXT (a command) with credentials taken out of every URL in it."""
    return _URL_IN_TEXT.sub(lambda m: redact(m.group(0)), text) if "://" in text else text


def redact(url: str) -> str:
    """A URL without its user:password part and without the values of its query (signed
    URLs carry their signature there)."""
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    if not _URL.match(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _CREDENTIALS.sub("***@", url.split("?", 1)[0])
    host = parts.netloc.rpartition("@")[2]
    netloc = f"***@{host}" if "@" in parts.netloc else host
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _load_params(project: Project) -> None:
    files = {DEFAULT_PARAMS} if guards.exists(project.root, DEFAULT_PARAMS) else set()
    for stage in project.stages.values():
        files.update(stage.params)
    files.update(project.top_params)
    for file in sorted(files):
        if not _inside(project, file, "params"):
            continue
        try:
            project.params[file] = load_structured(project.root, file)
            project.files_read.append(file)
        except Missing:
            continue
        except FindingError as exc:
            project.findings.append(exc.finding)
            project.unreadable[file] = exc.finding.message


def _load_metrics(project: Project) -> None:
    for stage in project.stages.values():
        for metric in stage.metrics:
            project.metrics.setdefault(metric, None)
    for file in sorted(project.metrics):
        if not _inside(project, file, "metrics"):
            del project.metrics[file]
            continue
        try:
            project.metrics[file] = flatten(load_structured(project.root, file))
            project.files_read.append(file)
        except Missing:
            continue  # DVC-tracked and not pulled: the value is unknown, not wrong
        except FindingError as exc:
            project.findings.append(exc.finding)
            project.unreadable[file] = exc.finding.message


def _inside(project: Project, file: str, what: str) -> bool:
    """Whether a declared params or metrics FILE is inside the project; a finding where not."""
    if project.contains(file):
        return True
    project.outside.add(file)
    for stage in project.stages.values():
        if file in stage.params or file in stage.metrics:
            lines = project._lines.get(stage.dvcfile)
            if lines is None:  # each dvc.yaml read once, however many files it declares
                try:
                    text = read_text(project.root, stage.dvcfile)
                except FindingError:
                    text = ""
                lines = project._lines[stage.dvcfile] = text.splitlines()
            written = posixpath.relpath(file, stage.wdir) if stage.wdir != "." else file
            line = next(
                (
                    i + 1
                    for i in range((stage.line or 1) - 1, len(lines))
                    if written in lines[i] or file in lines[i]
                ),
                stage.line,
            )
            project.findings.append(
                Finding(
                    "invalid_project_file",
                    f"stage '{stage.name}' declares the {what} file '{written}', which is outside "
                    "the DVC project ('..' or a symlink out of it): it is not read. Keep params "
                    "and metrics files inside the project.",
                    stage.dvcfile,
                    line,
                )
            )
            break
    return False


# --------------------------------------------------------------------------- graph


def build_edges(project: Project) -> list[tuple[str, str]]:
    """The edges of ``dvc dag`` as (upstream, downstream) node names.

    A stage depends on whichever stage or .dvc file outputs one of its deps, where the dep is
    the output, lies inside an output directory, or contains an output.
    """
    owners: dict[str, list[str]] = {}
    below: dict[str, list[str]] = {}  # a directory -> owners of outputs inside it
    for stage in project.stages.values():
        for out in stage.outs:
            _index(out.path, stage.name, owners, below)
    for tracked in project.tracked.values():
        for out in tracked.outs:
            _index(out.path, tracked.dvcfile, owners, below)
    edges: set[tuple[str, str]] = set()
    for stage in project.stages.values():
        for dep in [*stage.deps, *stage.params]:  # a params file is a dep too, for dvc dag
            upstream = set(owners.get(dep, ())) | set(below.get(dep, ()))
            for parent in ancestors(dep):
                upstream.update(owners.get(parent, ()))
            edges.update((u, stage.name) for u in upstream if u != stage.name)
    order = {name: i for i, name in enumerate(project.nodes())}
    return sorted(edges, key=lambda e: (order.get(e[0], 0), order.get(e[1], 0)))


def _index(
    path: str, owner: str, owners: dict[str, list[str]], below: dict[str, list[str]]
) -> None:
    owners.setdefault(path, []).append(owner)
    for parent in ancestors(path):
        below.setdefault(parent, []).append(owner)


def written_stages(data: dict[str, Any], dvcfile: str) -> Iterator[tuple[str, Stage | None]]:
    """(name, stage) for each stage of DVCFILE's parsed contents as written, unresolved (another
    commit's dvc.yaml): foreach/matrix stages are left out; a stage that cannot be read is None."""
    directory = posixpath.dirname(dvcfile)
    stages = data.get("stages")
    for name, definition in (stages if isinstance(stages, dict) else {}).items():
        if not isinstance(definition, dict) or "foreach" in definition or "matrix" in definition:
            continue
        try:
            yield str(name), _stage(str(name), dvcfile, directory, definition)
        except (TypeError, ValueError, AttributeError):
            yield str(name), None


def declared_metrics(
    data: Any,
    dvcfile: str,
    shown: str,
    resolved: tuple[list[tuple[str, Stage]], list[Any]] | None = None,
) -> dict[str, bool]:
    """Metrics file (project-relative) -> whether DVC caches it (so git does not hold it), from
    the parsed contents of DVCFILE (another commit's): the stages' ``metrics:`` and the
    top-level ``metrics:`` list, as DVC collects them. Read as written unless RESOLVED gives
    the stages and the top-level list as DVC's resolver expands them (``resolve_written``;
    where ``metrics_need_resolving``). SHOWN names the file in findings."""
    if data is None:  # an empty file
        return {}
    if not isinstance(data, dict):
        raise FindingError(
            Finding("invalid_project_file", f"{shown} must be a mapping with a 'stages:' key.")
        )
    directory = posixpath.dirname(dvcfile)
    declared: dict[str, bool] = {}
    cached: set[str] = set()
    stages, metrics = resolved or (written_stages(data, dvcfile), data.get("metrics") or [])
    for name, stage in stages:
        if stage is None:
            raise FindingError(
                Finding("invalid_project_file", f"{shown}: stage '{name}' is not a valid stage.")
            )
        cached |= {out.path for out in stage.outs if out.cache}
        declared |= dict.fromkeys(stage.metrics, False)
    for metric in metrics:
        if isinstance(metric, str):
            declared.setdefault(_join(directory, metric), False)
    return {path: in_outs(path, cached) for path in declared if "${" not in path}


def cached_outs(data: Any, dvcfile: str) -> set[str]:
    """The outputs (project-relative) DVC caches that the stages of DVCFILE (its parsed
    contents DATA, as written) declare; the stages that are not valid left out."""
    if not isinstance(data, dict):
        return set()
    return {
        out.path
        for _, stage in written_stages(data, dvcfile)
        if stage is not None
        for out in stage.outs
        if out.cache
    }


def in_outs(path: str, outs: set[str]) -> bool:
    """Whether PATH is one of OUTS or lies in one (a directory out such as 'eval')."""
    return path in outs or any(parent in outs for parent in ancestors(path))
