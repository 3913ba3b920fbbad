"""Facts of two revisions to compare: what ``{ml metrics-diff A B}``, ``{ml params-diff A B}``
and ``mkdocs-ml report --base REF`` name, and the metrics, params and recorded outputs there.

A revision is ``workspace`` (the work tree, as the build read it), a registered version of an
artifact (``v1.0.0`` of the page's artifact, or ``NAME@v1.0.0``), the version a GTO stage holds
(``#prod``, ``NAME#prod``) or a git ref (``main``, ``HEAD~1``, a tag, a commit). At a commit,
metrics are read as ``dvc metrics show`` reads them (the metrics files the dvc.yaml files of
that commit declared, from git: ``timeline.metrics_at``) and params as ``dvc params show``
reads them: params.yaml whole, and of every other params file the keys its stages list (the
whole file when a stage lists none). Nothing opens DVC's Repo, nothing is written.

``Revisions`` is the build's one reader of them: each (commit, file) is read once per build,
with one ``git cat-file --batch`` per batch of misses, and each ref resolved once, so a hundred
pages comparing the same two versions cost one read.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import threading
from collections.abc import Callable
from typing import Any

from mkdocs_mlplugin.checks.drift import Unreadable, parse
from mkdocs_mlplugin.facts.dvc import (
    DEFAULT_PARAMS,
    LOCK_FILE,
    PIPELINE_FILE,
    PlotDefinition,
    Project,
    Stage,
    cached_outs,
    in_outs,
    needs_resolving,
    reads_vars_files,
    resolve_written,
    resolve_written_plainly,
    written_plots,
    written_stages,
)
from mkdocs_mlplugin.facts.registry import ArtifactEntry, Registry
from mkdocs_mlplugin.facts.structured import (
    flatten,
    lookup,
    parse_blob,
    parse_yaml,
    read_text,
)
from mkdocs_mlplugin.facts.timeline import (
    PastMetrics,
    Resolutions,
    is_record,
    metrics_at,
    nested_projects,
    outs_of,
    parse_at,
    stage_wdirs,
    written_at,
)
from mkdocs_mlplugin.findings import Finding, FindingError, did_you_mean
from mkdocs_mlplugin.guards import Missing

WORKSPACE = "workspace"
# what a dvc.yaml declares of params: file -> keys (None: the whole file), and the values its
# stages take from vars files: file -> key -> value
Declared = tuple[dict[str, list[str] | None], dict[str, dict[str, Any]]]
# what a git ref given in a page or on the command line may hold: no option, no blank, no
# control, no ':' (a REV:PATH spec would read a file); git's own rules are checked by git
_REF = re.compile(r"^[A-Za-z0-9_./@^~{}+-]{1,200}$")


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of a comparison: what was written, and the commit it is (None: the work tree)."""

    written: str
    commit: str | None
    what: str  # how it was read: "workspace", "classifier@v1.0.0", "classifier#prod: v1.0.0", "git ref main"

    @property
    def label(self) -> str:
        """How a table heads its column: ``v1.0.0 (8a1a23d)``, ``workspace``; a commit written
        as its hash is named once (``8a1a23d``)."""
        hashed = (
            len(self.written) >= 4
            and self.commit is not None
            and self.commit.startswith(self.written.lower())
        )
        if self.commit is None or hashed:
            return self.written
        return f"{self.written} ({self.commit[:7]})"


@dataclasses.dataclass
class Snapshot:
    """The metrics and params of one revision, as ``dvc metrics show`` and ``dvc params
    show`` give them there: file -> flattened values (None: declared, but not readable)."""

    metrics: dict[str, dict[str, Any] | None] = dataclasses.field(default_factory=dict)
    params: dict[str, dict[str, Any] | None] = dataclasses.field(default_factory=dict)
    # metrics and params files DVC caches at that commit (outputs, or inside one): not in git
    cached: set[str] = dataclasses.field(default_factory=set)
    # what could not be read, of the metrics and of the params (a dvc.yaml: in both)
    problems: list[str] = dataclasses.field(default_factory=list)
    param_problems: list[str] = dataclasses.field(default_factory=list)
    unreadable: set[str] = dataclasses.field(default_factory=set)  # there, but cannot be read
    # in the work tree: each metrics or params file that is not there -> why, as the DVC
    # files tell (DVC-tracked and not pulled, a stage that has not run, nothing makes it)
    absent: dict[str, str] = dataclasses.field(default_factory=dict)
    # "metrics" / "params" -> the dvc.yaml files whose metrics or params only DVC's resolver
    # tells, and why it could not: those are not known, so no such table of it is whole
    unresolved: dict[str, dict[str, str]] = dataclasses.field(
        default_factory=lambda: {"metrics": {}, "params": {}}
    )


class Unresolved(Exception):
    """A revision that names nothing: the message says what was tried and what exists."""


class Revisions:
    """The build's reader of revisions to compare (see the module's docstring)."""

    def __init__(self, past: PastMetrics) -> None:
        self.project, self.prefix, self.repo = past.project, past.prefix, past.repo
        self.past = past
        self.history = past.history
        self._lock = threading.Lock()
        self._blobs: dict[str, bytes | None] = {}  # 'commit:path' -> contents (None: absent)
        self._refs: dict[str, str | None] = {}  # git ref -> commit
        self._snapshots: dict[str, Snapshot] = {}  # commit -> its metrics and params
        self._workspace: Snapshot | None = None
        self._plots: dict[str, list[PlotDefinition]] = {}  # commit -> the plots declared there
        self._trees: dict[tuple[str, ...], dict[str, list[str]]] = {}  # plot ids listed at a commit
        # parsed once per text: (dvc.yaml, its text) -> the params it declares (and, for one
        # only DVC's resolver reads, per commit: the values its stages take from vars files);
        # (params file, its text) -> its data
        self._declared: dict[tuple[Any, ...], Declared] = {}
        self._params: dict[tuple[str, bytes], Any] = {}
        # (dvc.yaml, its text) -> its data, parsed once, of a text only resolving reads
        self._templates: dict[tuple[str, bytes], dict[str, Any]] = {}
        self._outs: dict[tuple[str, bytes], set[str]] = {}  # (dvc.yaml, its text) -> cached outs
        # DVC's resolver of past dvc.yaml files, shared by the metrics and the params
        self.resolutions = Resolutions(self.blobs, self.prefix, self.project.root)
        # the lines of a diff block and its diff by file, by what it compares and how: pages that
        # show the same comparison share them
        self.drawn: dict[tuple[Any, ...], tuple[list[str], dict[str, dict[str, Any]]]] = {}
        self.reads = 0  # git cat-file runs (a benchmark and tests bound them)
        # what the pages' metrics-diff and params-diff blocks showed, by (page, line), for
        # the manifest's 'comparisons'
        self.shown: dict[tuple[str, int], dict[str, Any]] = {}

    # ------------------------------------------------------------------ naming a revision

    def resolve(
        self,
        written: str,
        registry: Registry | None,
        names: dict[str, str],
        artifact: str | None,
    ) -> Side:
        """The revision WRITTEN names. ARTIFACT is the page's artifact (as the site names it,
        None when the page has none); NAMES maps the site's artifact names to GTO's."""
        if written == WORKSPACE:
            return Side(written, None, WORKSPACE)
        entry_name = None
        rest = written
        for mark in ("@", "#"):
            name, sep, tail = written.partition(mark)
            if sep and name and tail and (name in names or _entry(registry, name)):
                entry_name, rest = names.get(name, name), mark + tail
                break
        if entry_name is None and artifact is not None:
            entry_name = names.get(artifact, artifact)
        entry = _entry(registry, entry_name) if entry_name else None
        if rest.startswith("#"):
            return self._stage(written, rest[1:], entry, entry_name)
        version = rest[1:] if rest.startswith("@") else rest
        if entry is not None:
            for v in entry.versions:
                if v.version == version and v.registered:
                    return Side(written, v.commit, f"{entry.name}@{version}")
        if rest.startswith("@"):
            raise Unresolved(self._unknown(written, entry, entry_name))
        commit = self.commit_of(written)
        if commit is None:
            raise Unresolved(self._unknown(written, entry, entry_name))
        return Side(written, commit, f"git ref {written}")

    def _stage(
        self, written: str, stage: str, entry: ArtifactEntry | None, name: str | None
    ) -> Side:
        if entry is None:
            whose = f"'{name}'" if name else "no artifact: bind the page or write NAME#STAGE"
            raise Unresolved(f"'{written}': GTO knows no stages of {whose}.")
        held = entry.stages.get(stage)
        if not held:
            stages = [s for s, v in entry.stages.items() if v]
            hint = did_you_mean(stage, stages)
            raise Unresolved(
                f"no version of '{entry.name}' is in stage '{stage}'.{hint} "
                f"Stages in use: {', '.join('#' + s for s in stages) or 'none'}."
            )
        version = held[0]
        commit = next(v.commit for v in entry.versions if v.version == version)
        return Side(written, commit, f"{entry.name}#{stage}: {version}")

    def _unknown(self, written: str, entry: ArtifactEntry | None, name: str | None) -> str:
        versions = [v.version for v in entry.versions if v.registered] if entry else []
        stages = [f"#{s}" for s, v in (entry.stages.items() if entry else ()) if v]
        known = [*versions, *stages, WORKSPACE, "HEAD"]
        of = f" of '{name}'" if name else ""
        listed = f" (versions{of}: {', '.join(versions)})" if versions else ""
        return (
            f"'{written}' is neither a registered version{of}{listed}, a GTO stage (#STAGE), a "
            f"git ref, nor '{WORKSPACE}'.{did_you_mean(written, known)}"
        )

    def commit_of(self, ref: str) -> str | None:
        """The commit git ref REF names (one ``git rev-parse`` per ref and build), or None."""
        if not _REF.match(ref) or ref.startswith("-") or ".." in ref:
            return None
        with self._lock:
            if ref not in self._refs:
                found = self.repo.try_run(
                    "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
                )
                self._refs[ref] = (
                    found if found and re.fullmatch("[0-9a-f]{40,64}", found) else None
                )
            return self._refs[ref]

    # ------------------------------------------------------------------ reading a revision

    def blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """``GitRepo.blobs``, each spec read once per build."""
        with self._lock:
            missing = [s for s in dict.fromkeys(specs) if s not in self._blobs]
            if missing:
                self.reads += 1
                self._blobs.update(self.repo.blobs(missing))
            return {s: self._blobs[s] for s in specs}

    def snapshot(self, side: Side) -> Snapshot:
        """The metrics and params of SIDE."""
        if side.commit is None:  # read once per build, as the project is
            with self._lock:
                if self._workspace is None:
                    self._workspace = workspace(self.project)
                return self._workspace
        return self.snapshots([side.commit])[side.commit]

    def snapshots(self, commits: list[str]) -> dict[str, Snapshot]:
        """The metrics and params at each of COMMITS, those not read yet read together (the
        same few ``git cat-file --batch`` runs for one commit or a hundred)."""
        with self._lock:
            todo = [c for c in dict.fromkeys(commits) if c not in self._snapshots]
        if todo:
            pipelines = self.past.pipelines(todo)
            # one git cat-file for the dvc.yaml files and the params.yaml beside each (what
            # ${...} and DVC's resolver read there first), one for the metrics and params
            # files they declare
            p = self.prefix
            beside = [posixpath.join(posixpath.dirname(f), DEFAULT_PARAMS) for f in pipelines]
            files = dict.fromkeys((*pipelines, DEFAULT_PARAMS, *beside))
            self.blobs([f"{c}:{p}{f}" for c in todo for f in files])
            root = self.project.root
            found = metrics_at(todo, pipelines, self.prefix, self.blobs, root, self.resolutions)
            read = {
                c: Snapshot(
                    dict(at.values),
                    cached=set(at.cached),
                    problems=list(at.problems),
                    param_problems=list(at.pipelines),
                    unreadable=set(at.unreadable),
                    unresolved={"metrics": dict(at.unresolved), "params": {}},
                )
                for c, at in found.items()
            }
            self._read_params(pipelines, read)
            with self._lock:
                for commit, snap in read.items():
                    self._snapshots.setdefault(commit, snap)
        with self._lock:
            return {c: self._snapshots[c] for c in commits}

    def _read_params(self, pipelines: list[str], snaps: dict[str, Snapshot]) -> None:
        p = self.prefix
        contents = self.blobs([f"{c}:{p}{f}" for c in snaps for f in (*pipelines, DEFAULT_PARAMS)])
        wanted: dict[str, dict[str, list[str] | None]] = {}
        vars_taken: dict[str, dict[str, dict[str, Any]]] = {}
        outs: dict[str, set[str]] = {}  # commit -> the outputs DVC caches there
        for commit in snaps:
            declared: dict[str, list[str] | None] = {}
            wanted[commit] = declared
            for dvcfile in pipelines:
                blob = contents[f"{commit}:{p}{dvcfile}"]
                if blob is None:
                    continue
                try:
                    params, values = self._declared_at(commit, dvcfile, blob)
                except FindingError as exc:
                    snaps[commit].unresolved["params"][dvcfile] = exc.finding.message
                    continue
                outs.setdefault(commit, set()).update(self._cached_outs(dvcfile, blob))
                _merge(declared, params)
                for file, taken in values.items():
                    vars_taken.setdefault(commit, {}).setdefault(file, {}).update(taken)
            if contents[f"{commit}:{p}{DEFAULT_PARAMS}"] is not None:
                declared[DEFAULT_PARAMS] = None  # DVC shows params.yaml whole
        found = self.blobs([f"{c}:{p}{f}" for c, files in wanted.items() for f in sorted(files)])
        for commit, snap in snaps.items():
            # what stages took from vars files that are no params file, as dvc params show
            # counts them (the key as written, its value as the stage took it)
            for file, taken in sorted(vars_taken.get(commit, {}).items()):
                if file not in wanted[commit]:
                    snap.params[file] = flatten(taken)
            for file in sorted(wanted[commit]):
                blob = found[f"{commit}:{p}{file}"]
                if blob is None:
                    snap.params[file] = None
                    if in_outs(file, outs.get(commit, set())):
                        snap.cached.add(file)  # the notes say so, as of a metrics file
                    else:
                        snap.param_problems.append(
                            f"params file {file} is not in git at commit {commit[:7]}, and no "
                            "stage there caches it."
                        )
                    continue
                if (file, blob) not in self._params:
                    try:
                        self._params[(file, blob)] = parse_at(blob, file, commit)
                    except FindingError as exc:
                        snap.params[file] = None
                        snap.unreadable.add(file)
                        snap.param_problems.append(exc.finding.message)
                        continue
                snap.params[file] = select(self._params[(file, blob)], wanted[commit][file])

    def _declared_at(self, commit: str, dvcfile: str, blob: bytes) -> Declared:
        """The params DVCFILE (its BLOB at COMMIT) declares, and the values its stages take
        from ``vars`` files: read as written (a dvc.yaml rarely changes: each text once,
        whatever the commit), or, where only DVC's resolver tells them (foreach, matrix,
        ``vars``), resolved with the files of COMMIT. A FindingError says why it cannot be."""
        found = self._declared.get((dvcfile, blob))
        if found is not None:
            return found
        key = (dvcfile, blob, commit)
        if key in self._declared:
            return self._declared[key]
        shown = f"{dvcfile} at commit {commit[:7]}"
        data = self._templates.get((dvcfile, blob))
        if data is None:
            try:
                data = parse_blob(blob, shown, parse_yaml)
            except FindingError:
                return {}, {}  # metrics_at said so already
            if not isinstance(data, dict) or not needs_resolving(data, dvcfile):
                found = self._declared[(dvcfile, blob)] = (declared_params(data, dvcfile), {})
                return found
            self._templates[(dvcfile, blob)] = data
        # read without DVC where that can be, when what the stages took from the files read
        # for ${...} is not needed: each of them is a params file they declare, shown as such
        # (see _read_params)
        plain = self.resolutions.plainly(commit, dvcfile, data, blob)
        if plain is not None:
            params = _stage_params(data, dvcfile, plain[0])
            if set(plain[2]) <= set(params):
                self._declared[key] = (params, {})
                return self._declared[key]
        # DVC's resolver given a copy of its own: the parsed text is kept for other commits
        data = parse_blob(blob, shown, parse_yaml)
        stages, values, _ = self.resolutions.resolve(commit, dvcfile, data, blob, shown)
        self._declared[key] = (_stage_params(data, dvcfile, stages), values)
        return self._declared[key]

    def _cached_outs(self, dvcfile: str, blob: bytes) -> set[str]:
        """The outputs DVC caches that DVCFILE (its BLOB) declares as written, each text read
        once; foreach and matrix stages left out, as ``declared_metrics`` leaves them."""
        key = (dvcfile, blob)
        if key not in self._outs:
            try:
                data = parse_blob(blob, dvcfile, parse_yaml)
            except FindingError:
                data = None  # metrics_at said so already
            self._outs[key] = cached_outs(data, dvcfile)
        return self._outs[key]

    def _written(self, commit: str) -> Callable[[str], bytes | None]:
        """A reader of COMMIT's files, each read once per build (``written_at``)."""
        return written_at(self.blobs, self.prefix, commit)

    def plot_definitions(self, commit: str) -> list[PlotDefinition]:
        """The plots the dvc.yaml files of COMMIT declare, as ``dvc plots diff`` reads them
        there (read once per build); a FindingError naming the file and the commit when one
        cannot be read."""
        with self._lock:
            known = self._plots.get(commit)
        if known is not None:
            return known
        pipelines = self.past.pipelines([commit])
        contents = self.blobs([f"{commit}:{self.prefix}{f}" for f in pipelines])
        found: list[PlotDefinition] = []
        for dvcfile in pipelines:
            blob = contents[f"{commit}:{self.prefix}{dvcfile}"]
            if blob is None:
                continue
            shown = f"{dvcfile} at commit {commit[:7]}"
            data = parse_blob(blob, shown, parse_yaml)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise FindingError(
                    Finding("invalid_project_file", f"{shown} must be a mapping with 'stages:'.")
                )
            text = blob.decode("utf-8", "replace")
            root, written = self.project.root, self._written(commit)
            found += written_plots(root, dvcfile, data, text, written, shown)
        with self._lock:
            return self._plots.setdefault(commit, found)

    def unpack_at(self, commit: str) -> Callable[[list[str]], dict[str, list[str]]]:
        """A lister of what plot ids (project-relative paths) are at COMMIT, as DVC's
        ``unpack_if_dir`` reads them with that revision's file system: path -> the files git
        keeps below it (a directory), or [path] (a file, or a path git has not). One ``git
        ls-tree`` per commit and set of paths, kept for the build."""

        def unpack(paths: list[str]) -> dict[str, list[str]]:
            key = (commit, *sorted(set(paths)))
            with self._lock:
                known = self._trees.get(key)
            if known is None:
                wanted = key[1:]
                listed = self.repo.tree_files(commit, [self.prefix + p for p in wanted])
                names = [n[len(self.prefix) :] for n in listed]
                known = {}
                for path in wanted:
                    # sorted as the work tree's listing is (``plots._unpack``): by components
                    inside = [n for n in names if n.startswith(path + "/")]
                    known[path] = sorted(inside, key=lambda n: n.split("/")) or [path]
                with self._lock:
                    self._trees[key] = known
            return known

        return unpack

    def outputs(self, side: Side) -> dict[str, tuple[str | None, int | None]]:
        """Every output DVC caches that the dvc.lock and .dvc files of SIDE record, as ``dvc
        diff`` lists them: path -> (md5, size). Outputs with ``cache: false`` (in the work
        tree's dvc.yaml) are git's to tell, as metrics are, and left out."""
        kept = {o.path for s in self.project.stages.values() for o in s.outs if not o.cache}
        if side.commit is None:
            found: dict[str, tuple[str | None, int | None]] = {}
            for stage in self.project.stages.values():
                found.update((o.path, (o.md5, o.size)) for o in stage.outs if o.cache)
            for tracked in self.project.tracked.values():
                found.update((o.path, (o.md5, o.size)) for o in tracked.outs if o.cache)
            return found
        commit = side.commit
        listed = self.repo.run(
            "ls-tree", "-r", "-z", "--name-only", commit, "--", self.prefix or "."
        )
        nested = nested_projects(self.history, self.prefix)
        files = [
            name[len(self.prefix) :]
            for name in listed.decode("utf-8", "surrogateescape").split("\x00")
            if name.startswith(self.prefix) and is_record(name)
        ]
        files = [f for f in files if not any(f.startswith(n + "/") for n in nested)]
        pipelines = [
            posixpath.join(posixpath.dirname(f), PIPELINE_FILE)
            for f in files
            if posixpath.basename(f) == LOCK_FILE
        ]
        contents = self.blobs([f"{commit}:{self.prefix}{f}" for f in (*files, *pipelines)])
        found = {}
        for file in sorted(files):
            wdirs = None
            if posixpath.basename(file) == LOCK_FILE:
                dvcfile = posixpath.join(posixpath.dirname(file), PIPELINE_FILE)
                wdirs = stage_wdirs(parse(contents[f"{commit}:{self.prefix}{dvcfile}"]), dvcfile)
            data = parse(contents[f"{commit}:{self.prefix}{file}"], self.prefix + file)
            if not isinstance(data, Unreadable):
                found.update(outs_of(data, file, wdirs))
        return {path: hashed for path, hashed in found.items() if path not in kept}


def _entry(registry: Registry | None, name: str | None) -> ArtifactEntry | None:
    return registry.artifact(name) if registry is not None and name else None


def _merge(into: dict[str, list[str] | None], more: dict[str, list[str] | None]) -> None:
    """Params files and keys, merged as DVC merges them: a file any stage reads whole is whole."""
    for file, keys in more.items():
        if file in into and into[file] is None:
            continue
        into[file] = None if keys is None else [*(into.get(file) or []), *keys]


def declared_params(data: Any, dvcfile: str) -> dict[str, list[str] | None]:
    """Params file (project-relative) -> the keys DVCFILE's stages read (None: the whole file),
    from its parsed contents as written (another commit's: not resolved, so foreach/matrix
    stages are left out), and the top-level ``params:`` list (whole files)."""
    if not isinstance(data, dict):
        return {}
    found: dict[str, list[str] | None] = {}
    for _, stage in written_stages(data, dvcfile):
        if stage is not None:
            _merge(found, stage.params)
    _merge(found, _top_level_params(data, dvcfile))
    return {f: k for f, k in found.items() if "${" not in f}


def _stage_params(
    data: dict[str, Any], dvcfile: str, stages: list[tuple[str, Stage]]
) -> dict[str, list[str] | None]:
    """The params files and keys resolved STAGES of DVCFILE (DATA) read, and its top-level
    ``params:`` list (whole files)."""
    params: dict[str, list[str] | None] = {}
    for _, stage in stages:
        _merge(params, stage.params)
    _merge(params, _top_level_params(data, dvcfile))
    return {f: k for f, k in params.items() if "${" not in f}


def _top_level_params(data: dict[str, Any], dvcfile: str) -> dict[str, list[str] | None]:
    """The files the top-level ``params:`` list of DVCFILE names (whole files)."""
    directory = posixpath.dirname(dvcfile)
    return {
        posixpath.normpath(posixpath.join(directory, item)): None
        for item in data.get("params") or []
        if isinstance(item, str) and "${" not in item
    }


def select(data: Any, keys: list[str] | None) -> dict[str, Any]:
    """The params of DATA that KEYS name (None: all), flattened as ``dvc params show`` lists
    them: a section key by key; a key that is not there is left out, as DVC leaves it."""
    if keys is None:
        return flatten(data) if isinstance(data, dict) else {}
    found: dict[str, Any] = {}
    for key in dict.fromkeys(keys):
        present, value = lookup(data, key)
        if present:
            found.update(flatten(value, key) if isinstance(value, dict) else {key: value})
    return found


def workspace(project: Project) -> Snapshot:
    """The metrics and params of the work tree, as the build read them."""
    wanted: dict[str, list[str] | None] = {}
    for stage in project.stages.values():
        _merge(wanted, stage.params)
    _merge(wanted, dict.fromkeys(project.top_params))
    if DEFAULT_PARAMS in project.params:
        wanted[DEFAULT_PARAMS] = None
    params: dict[str, dict[str, Any] | None] = {}
    for file in sorted(wanted):
        data = project.params.get(file)
        params[file] = None if data is None else select(data, wanted[file])
    # what could not be read, each under what it concerns: a params file under params, a
    # metrics file under metrics, a DVC file under both
    metrics_files = set(project.metrics)
    problems, param_problems = [], []
    for file, why in sorted(project.unreadable.items()):
        if file not in params:
            problems.append(f"{file}: {why}")
        if file not in metrics_files:
            param_problems.append(f"{file}: {why}")
    snap = Snapshot(
        dict(project.metrics),
        params,
        problems=problems,
        param_problems=param_problems,
        unreadable=set(project.unreadable),
    )
    snap.absent = {
        file: project.absent_because(file)
        for files in (snap.metrics, params)
        for file, values in files.items()
        if values is None and file not in project.unreadable
    }
    _vars_taken(project, snap)
    return snap


def _vars_taken(project: Project, snap: Snapshot) -> None:
    """Add to SNAP (the work tree's) the values the stages take from ``vars`` files that are
    no params file, as ``dvc params show`` counts them; DVC's resolver tells them (the
    project's reading does not keep them)."""
    root = project.root

    def written(path: str) -> bytes | None:
        try:
            return read_text(root, path).encode("utf-8")
        except Missing:
            return None

    # DVC counts what the stages take only from files that are no params file (its own
    # params show skips those): where every file read for ${...} is one, DVC is not needed
    declared = {f for s in project.stages.values() for f in s.params}
    declared |= {DEFAULT_PARAMS, *project.top_params}
    taken: dict[str, dict[str, Any]] = {}
    for dvcfile in sorted({s.dvcfile for s in project.stages.values()}):
        try:
            text = read_text(root, dvcfile)
            data = parse_yaml(text, dvcfile)
            if not isinstance(data, dict) or not reads_vars_files(data, dvcfile):
                continue
            plain = resolve_written_plainly(root, dvcfile, data, text, written)
            if plain is not None and set(plain[2]) <= declared:
                continue
            _, values, _ = resolve_written(root, dvcfile, data, text, written, dvcfile)
        except FindingError as exc:
            snap.unresolved["params"][dvcfile] = exc.finding.message
            continue
        for file, found in values.items():
            taken.setdefault(file, {}).update(found)
    for file, found in sorted(taken.items()):
        if file not in snap.params:
            snap.params[file] = flatten(found)
