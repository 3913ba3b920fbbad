"""Resolving references against the facts read for this build, and rendering them.

``resolve`` answers one inline reference with a value; ``render_block`` turns a block
reference into HTML or a Mermaid fence. Both are pure: they read the facts gathered once per
build and raise MLPluginError with a finding when a reference cannot be answered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks.pipeline import Verdict
from mkdocs_mlplugin.facts.dvc import DEFAULT_PARAMS, Artifact, Hashed, Project, Stage
from mkdocs_mlplugin.facts.git import Commit, FileHistory, RepoFacts
from mkdocs_mlplugin.facts.registry import Registry
from mkdocs_mlplugin.facts.structured import flatten, lookup
from mkdocs_mlplugin.facts.timeline import MetricsAt
from mkdocs_mlplugin.findings import Finding, MLPluginError, did_you_mean
from mkdocs_mlplugin.pages.references import Reference
from mkdocs_mlplugin.render import graph

_STRUCTURED = (".yaml", ".yml", ".json", ".toml")


@dataclasses.dataclass(frozen=True)
class Trained:
    """When the artifact the work tree records was trained: the commit that gave dvc.lock (or
    its .dvc file) the hash it records now, or, when that hash is not the one HEAD records, the
    work tree itself (a retrain not committed yet)."""

    commit: Commit | None
    uncommitted: bool

    def text(self, fmt: str) -> str | None:
        if self.uncommitted:
            return "the work tree, not committed"
        if self.commit is None:
            return None
        when = f" on {format_date(self.commit.date, fmt)}" if self.commit.date else ""
        return f"commit {self.commit.short}{when}"


@dataclasses.dataclass
class SiteFacts:
    """What the build knows: git state and history, and the DVC project."""

    repo: RepoFacts | None = None
    git_problem: str | None = None  # why git facts are missing, when they are
    history: dict[str, FileHistory] | None = None  # None: history unknown (no git, shallow)
    history_problem: str | None = None
    project: Project | None = None
    project_problem: str | None = None
    verdicts: dict[str, Verdict] = dataclasses.field(default_factory=dict)
    registry: Registry | None = None
    registry_problem: str | None = None
    registry_names: dict[str, str] = dataclasses.field(default_factory=dict)  # ours -> GTO's
    # every artifact a page may name: dvc.yaml's, then those only GTO knows (artifacts.yaml, tags)
    artifacts: dict[str, Artifact] = dataclasses.field(default_factory=dict)
    # commits -> the metrics files each commit's dvc.yaml files declared, with their values
    metrics_at: Callable[[list[str]], dict[str, MetricsAt]] | None = None
    # artifact -> when the artifact the work tree records was trained (None: unknown)
    trained: Callable[[Artifact], Trained | None] | None = None
    # artifact -> which registered version the model in the work tree is (registry.model_version)
    model_version: Callable[[Artifact], dict[str, Any] | None] | None = None
    notes: list[Finding] = dataclasses.field(default_factory=list)  # warnings from rendering
    roots: dict[str, Finding] = dataclasses.field(default_factory=dict)  # cause -> its finding
    date_format: str = "%Y-%m-%d"
    show_emails: bool = False
    co_authors: bool = True  # Co-authored-by: trailers count as authors


@dataclasses.dataclass
class PageFacts:
    """One page: its source file, its git history and what its front matter binds it to."""

    src: str  # shown in findings, relative to mkdocs.yml's directory
    repo_path: str | None  # relative to the git root, to look up history
    history: FileHistory | None = None
    artifact: Artifact | None = None
    stage: Stage | None = None
    meta: dict[str, Any] | None = None  # what page.meta['ml'] holds, once published
    no_history: str | None = None  # why the page's git history is not read, when it is not
    # why no DVC fact can be given on this page: it lies in a DVC project the site does not read
    foreign_project: str | None = None
    project_root: Path | None = None  # the DVC project holding the page, if any
    binding_failed: bool = False  # the page's 'ml:' binding names what does not exist


def _fail(
    kind: str, ref: Reference, page: PageFacts, message: str, cause: str | None = None
) -> MLPluginError:
    return MLPluginError(Finding(kind, f"'{ref.text}': {message}", page.src, ref.line, cause))


def _blocked(
    ref: Reference, page: PageFacts, file: str, message: str, kind: str = "missing_reference"
) -> MLPluginError:
    """A reference that FILE, which cannot be read, keeps from being answered: a consequence,
    reported with FILE's own finding."""
    return _fail(
        kind, ref, page, f"{message}: {file} cannot be read (see its error).", f"file:{file}"
    )


def _broken_pipeline(project: Project, name: str = "") -> str | None:
    """A dvc.yaml that cannot be read, where a stage, artifact, output, params or metrics file
    that is not found may be declared: the one NAME (``sub/dvc.yaml:train``) names, else any."""
    broken = sorted(f for f in project.unreadable if posixpath.basename(f) == "dvc.yaml")
    named = name.rpartition(":")[0]
    return named if named in broken else next(iter(broken), None)


def _project(ref: Reference, site: SiteFacts, page: PageFacts) -> Project:
    if page.foreign_project is not None:
        raise _fail("missing_reference", ref, page, page.foreign_project)
    if site.project is None:
        problem = site.project_problem or "no DVC project."
        raise _fail("missing_reference", ref, page, problem)
    return site.project


# --------------------------------------------------------------------------- inline values


def resolve(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    """The value an inline reference stands for; a fact that exists but holds nothing (an
    unset desc, no tags, the file count of a file) as render.Empty, saying why. Params and
    metrics are values of their files, shown as the files hold them."""
    value = _value(ref, site, page)
    if ref.kind not in ("param", "metric") and (value is None or value in ("", [], {})):
        return render.Empty(_why_empty(ref, site, page))
    return value


def _why_empty(ref: Reference, site: SiteFacts, page: PageFacts) -> str:
    """Why the fact REF names, which resolved, holds nothing."""
    field, name = str(ref.field), ref.name or ""
    if ref.kind == "git":
        commit = site.repo.short if site.repo else None
        if field == "tags":
            return f"no tag points at the commit built from ({commit})."
        return f"git gives no {field} for the commit built from ({commit})."
    if ref.kind == "page":
        return f"git records no {field} for this page."
    artifact = find_artifact(site, name, ref, page) if ref.kind == "artifact" else None
    if artifact is not None and field in ("path", "type", "desc", "labels", "stages"):
        if field == "stages":
            return f"no version of '{artifact.name}' is assigned to a stage in the registry."
        return f"artifact '{artifact.name}' has no '{field}' in {artifact.dvcfile or 'GTO tags'}."
    project = _project(ref, site, page)
    if ref.kind == "stage":
        stage = find_stage(project, name, ref, page)
        what = {"deps": "declares no deps", "outs": "declares no outs"}.get(
            field, f"has no '{field}'"
        )
        return f"stage '{stage.name}' {what} in {stage.dvcfile}."
    path = (artifact.path if artifact else None) or name
    found = project.producer(posixpath.normpath(path))
    if found is None:
        return f"DVC records no {field} for '{path}'."
    owner, hashed = found
    if field == "nfiles" and not hashed.is_dir:
        return f"'{path}' is a file: DVC counts files (nfiles) only for directories."
    return f"{_recorder(project, owner)} records no {field} for '{path}'."


def _recorder(project: Project, owner: str) -> str:
    """What records the hashes of OWNER's outputs: a stage's dvc.lock entry, or a .dvc file."""
    return f"the dvc.lock entry of stage '{owner}'" if owner in project.stages else owner


def _value(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    if ref.kind == "git":
        return _git(ref, site, page)
    if ref.kind == "page":
        return _page(ref, site, page)
    name = ref.name or ""  # parse() requires a name for the kinds below
    if ref.kind == "artifact":
        return _artifact(ref, site, page, find_artifact(site, name, ref, page))
    project = _project(ref, site, page)
    if ref.kind == "stage":
        stage = find_stage(project, name, ref, page)
        if ref.field == "status":
            verdict = site.verdicts.get(stage.name)
            return verdict.state if verdict else "unknown"
        return {
            "cmd": stage.cmd,
            "desc": stage.desc,
            "deps": stage.deps,
            "outs": [o.path for o in stage.outs],
            "wdir": stage.wdir,
            "dvcfile": stage.dvcfile,
        }[str(ref.field)]
    if ref.kind == "out":
        path = check_path(name, ref, page, project)
        return _hashed_field(project, path, str(ref.field), ref, page)
    if ref.kind == "param":
        return _param(project, name, ref, page)
    return _metric(project, name, ref, page)


def _artifact(ref: Reference, site: SiteFacts, page: PageFacts, artifact: Artifact) -> Any:
    if ref.field in ("version", "stages"):
        entry = registered(site, artifact, ref, page)
        if ref.field == "version":
            return entry["latest"]
        return [f"{stage}: {', '.join(v)}" for stage, v in entry["stages"].items() if v]
    if ref.field in ("type", "desc", "labels"):
        return getattr(artifact, str(ref.field))
    path = artifact_path(artifact, ref, page)
    if ref.field == "path":
        return path
    return _hashed_field(_project(ref, site, page), path, str(ref.field), ref, page)


def artifact_path(artifact: Artifact, ref: Reference, page: PageFacts) -> str:
    """The artifact's project-relative path; a missing_value finding when GTO gives none, or
    one outside the DVC project."""
    if artifact.path is not None:
        return artifact.path
    if artifact.gto_path:
        why = (
            f"GTO's {artifact.dvcfile} gives its path as '{artifact.gto_path}' (from the git "
            "root), which is outside the DVC project, so DVC records nothing of it."
        )
    elif artifact.source == "artifacts.yaml":
        why = f"GTO's {artifact.dvcfile} gives no path for it: add 'path:' there."
    else:
        why = (
            "it is known only from GTO tags, which give no path: declare it in dvc.yaml's "
            "'artifacts:' or in GTO's artifacts.yaml with its 'path:'."
        )
    raise _fail("missing_value", ref, page, f"artifact '{artifact.name}': {why}")


def _git(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    repo = site.repo
    if repo is None or repo.commit is None:
        problem = site.git_problem or "the repository has no commit yet."
        raise _fail("missing_value", ref, page, problem)
    if ref.field == "branch":
        return repo.branch or "(detached HEAD)"
    return {
        "commit": repo.commit,
        "short": repo.short,
        "describe": repo.describe,
        "tags": list(repo.tags),
        "dirty": repo.dirty,
    }[str(ref.field)]


def _page(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    if site.history is None:
        problem = site.history_problem or "git history is unknown."
        raise _fail("missing_value", ref, page, problem)
    history = page.history
    if page.no_history:
        raise _fail("missing_value", ref, page, page.no_history)
    if page.repo_path is None:
        raise _fail(
            "missing_value",
            ref,
            page,
            "which file this page is, and so its git history, is not known here (page facts need "
            "the MkDocs plugin, and a page inside the git repository).",
        )
    if history is None or not history.commits:
        raise _fail("missing_value", ref, page, "the page is not committed yet: commit it.")
    if ref.field == "authors":
        return author_names(history, site)
    if ref.field == "commit":
        return history.updated.short if history.updated else None
    commit = history.created if ref.field == "created" else history.updated
    if commit is not None and not commit.date:
        raise _fail(
            "missing_value",
            ref,
            page,
            f"commit {commit.short}, which dates it, has no calendar date.",
        )
    return format_date(commit.date, site.date_format) if commit else None


def author_names(history: FileHistory, site: SiteFacts) -> list[str]:
    """Everyone who changed the file, as .mailmap names them, co-authors too unless the
    ``co_authors`` option is off; with their e-mail addresses when ``show_emails`` is on."""
    authors = history.authors(site.co_authors)
    return [f"{n} <{e}>" if site.show_emails and e else n for n, e in authors]


@functools.lru_cache(maxsize=4096)  # pages share commits, and each shows its dates twice
def format_date(iso: str, fmt: str) -> str | None:
    """ISO, a commit's date, in FMT; None for a commit whose date is no calendar date."""
    return dt.datetime.fromisoformat(iso).strftime(fmt) if iso else None


def check_path(path: str, ref: Reference, page: PageFacts, project: Project | None = None) -> str:
    """A path as written in a reference, checked to stay inside the DVC project (symlinks
    followed, when the project is given)."""
    if "\\" in path:
        raise _fail(
            "malformed_reference",
            ref,
            page,
            "write paths with '/', relative to the DVC project root.",
        )
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise _fail(
            "malformed_reference",
            ref,
            page,
            "paths are relative to the DVC project root, not absolute.",
        )
    normal = posixpath.normpath(path)
    if (
        normal == ".."
        or normal.startswith("../")
        or (project is not None and not project.contains(normal))
    ):
        raise _fail("malformed_reference", ref, page, "the path leaves the DVC project.")
    return normal


def _hashed_field(project: Project, path: str, field: str, ref: Reference, page: PageFacts) -> Any:
    found = project.producer(path)
    if found is None:
        raise _untracked(project, path, ref, page)
    owner, hashed = found
    if field == "stage":
        return owner
    stage = project.stages.get(owner)
    if hashed.md5 is None and stage is not None and stage.lock_unreadable:
        lockfile = stage.dvcfile[: -len("dvc.yaml")] + "dvc.lock"
        raise _blocked(ref, page, lockfile, f"'{path}' has no known hash", "missing_value")
    if hashed.md5 is None:
        raise _fail(
            "missing_value",
            ref,
            page,
            f"'{path}' has no hash yet: stage '{owner}' has not run. Run 'dvc repro' and commit dvc.lock.",
        )
    return hashed_value(hashed, field)


def hashed_value(hashed: Hashed, field: str) -> Any:
    md5 = hashed.md5 or ""
    return {
        "md5": md5,
        "short": md5[:8],
        "size": render.human_size(hashed.size),
        "bytes": hashed.size,
        "nfiles": hashed.nfiles,
    }[field]


def registered(
    site: SiteFacts, artifact: Artifact, ref: Reference, page: PageFacts
) -> dict[str, Any]:
    """The artifact's registry entry; a missing_value finding when GTO has no version of it."""
    gto_name = site.registry_names.get(artifact.name, artifact.name)
    if site.registry is None:
        raise _fail(
            "missing_value", ref, page, site.registry_problem or "the model registry is unknown."
        )
    entry = site.registry.artifact(gto_name)
    if entry is None or entry["latest"] is None:
        hint = site.registry_problem or (
            f"register one with 'gto register {gto_name}' (or 'gto register {gto_name} --version "
            "v1.0.0') and push the tag."
        )
        raise _fail(
            "missing_value", ref, page, f"GTO has no registered version of '{gto_name}': {hint}"
        )
    return entry


def _untracked(
    project: Project, path: str, ref: Reference, page: PageFacts, what: str = ""
) -> MLPluginError:
    """Why no stage or .dvc file records PATH (WHAT before the message)."""
    broken = [f for f in project.unreadable if f.endswith(".dvc") and f[: -len(".dvc")] == path]
    if broken:
        return _blocked(ref, page, broken[0], f"{what}'{path}' is tracked by {broken[0]}")
    inside = project.containing_out(path)
    if inside:
        message = (
            f"'{path}' lies inside the tracked directory '{inside}'; DVC records one hash for "
            f"the whole directory: reference '{inside}'."
        )
    elif (pipeline := _broken_pipeline(project)) is not None:
        message = f"{what}no stage or .dvc file that can be read outputs '{path}'"
        return _blocked(ref, page, pipeline, message)
    elif (project.root / path).exists():
        message = f"'{path}' exists but DVC does not track it (no stage outputs it, no .dvc file adds it)."
    else:
        message = (
            f"no stage or .dvc file outputs '{path}'.{did_you_mean(path, project.out_paths())}"
        )
    return _fail("missing_reference", ref, page, what + message)


def find_stage(project: Project, name: str, ref: Reference, page: PageFacts) -> Stage:
    if name in project.stages:
        return project.stages[name]
    broken = _broken_pipeline(project, name)
    if broken is not None:
        raise _blocked(ref, page, broken, f"no stage '{name}' is known")
    if not project.stages:
        why = "the DVC project has no dvc.yaml (only data added with 'dvc add')"
        raise _fail("missing_reference", ref, page, f"no stage '{name}': {why}.")
    members = [s for s in project.stages if s.split("@")[0] == name]
    if members:
        raise _fail(
            "missing_reference",
            ref,
            page,
            f"'{name}' is a foreach/matrix stage: name one of {', '.join(members)}.",
        )
    raise _fail(
        "missing_reference", ref, page, f"no stage '{name}'.{did_you_mean(name, project.stages)}"
    )


def find_artifact(site: SiteFacts, name: str, ref: Reference, page: PageFacts) -> Artifact:
    """An artifact of dvc.yaml's ``artifacts:``, or one only GTO knows (artifacts.yaml, tags)."""
    if page.foreign_project is not None:
        raise _fail("missing_reference", ref, page, page.foreign_project)
    known = site.artifacts
    if name in known:
        return known[name]
    if site.project is not None:
        broken = _broken_pipeline(site.project, name)
        if broken is not None:
            raise _blocked(ref, page, broken, f"no artifact '{name}' is known")
    if not known and site.project is None and site.registry is None:
        why = site.project_problem or site.registry_problem or "no DVC project and no registry."
        raise _fail("missing_reference", ref, page, f"no artifact '{name}': {why}")
    listed = ", ".join(known) or (
        "none are declared in dvc.yaml or GTO's artifacts.yaml, and no GTO tag registers one"
    )
    raise _fail(
        "missing_reference",
        ref,
        page,
        f"no artifact '{name}'.{did_you_mean(name, known)} Artifacts: {listed}.",
    )


def _split_file(name: str, default: str | None) -> tuple[str | None, str]:
    head, sep, tail = name.partition(":")
    if sep and head.lower().endswith(_STRUCTURED):
        return head, tail
    return default, name


def _param(project: Project, name: str, ref: Reference, page: PageFacts) -> Any:
    file, key, value = _param_lookup(project, name, ref, page)
    if isinstance(value, dict):
        keys = list(flatten(value, key))
        if not keys:
            raise _fail(
                "missing_reference", ref, page, f"'{key}' in {file} is empty: it holds no params."
            )
        example = keys[0] if file == DEFAULT_PARAMS and ":" not in name else f"{file}:{keys[0]}"
        shown = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
        raise _fail(
            "malformed_reference",
            ref,
            page,
            f"'{key}' in {file} is a group of {len(keys)} params ({shown}): name one, e.g. "
            f"{{ml param {example}}}, or put the reference alone on its line for a table of them.",
        )
    return value


def param_group(ref: Reference, site: SiteFacts, page: PageFacts) -> list[str] | None:
    """A table of the params under a group key (``{ml param train}`` alone on its line),
    flattened to dotted keys as ``dvc params diff`` lists them; None for a single value."""
    file, key, value = _param_lookup(_project(ref, site, page), ref.name or "", ref, page)
    if not isinstance(value, dict):
        return None
    rows = [(render.Code(file), render.Code(k), v) for k, v in flatten(value, key).items()]
    return _values_table(("File", "Param", "Value"), rows, "ml-params")


def _values_table(headers: tuple[str, ...], rows: list[tuple[Any, ...]], css: str) -> list[str]:
    """A table whose last column holds values of params or metrics files, shown as DVC
    shows them (``false``, ``null``, ``[5]``)."""
    return render.table(headers, [(*r[:-1], render.Value(r[-1])) for r in rows], css)


def _param_lookup(
    project: Project, name: str, ref: Reference, page: PageFacts
) -> tuple[str, str, Any]:
    """(params file, key, value) of a param reference."""
    file, key = _split_file(name, DEFAULT_PARAMS)
    file = check_path(file or DEFAULT_PARAMS, ref, page, project)
    if file in project.unreadable:
        raise _blocked(ref, page, file, f"'{key}' is unknown", "missing_value")
    broken = _broken_pipeline(project)
    if file not in project.params and broken is not None:
        raise _blocked(ref, page, broken, f"no params file '{file}' is known")
    if file not in project.params:
        known = ", ".join(project.params) or "none"
        raise _fail(
            "missing_reference", ref, page, f"no params file '{file}' (params files: {known})."
        )
    found, value = lookup(project.params[file], key)
    if not found:
        keys = flatten(project.params[file])
        raise _fail(
            "missing_reference", ref, page, f"no param '{key}' in {file}.{did_you_mean(key, keys)}"
        )
    return file, key, value


def _metric(project: Project, name: str, ref: Reference, page: PageFacts) -> Any:
    file, key = _split_file(name, None)
    files = [check_path(file, ref, page, project)] if file else sorted(project.metrics)
    broken = _broken_pipeline(project)
    if broken is not None and (not files or (file and file not in project.metrics)):
        raise _blocked(ref, page, broken, "the metrics files it declares are not known")
    if file and file not in project.metrics:
        known = ", ".join(project.metrics) or "none are declared in dvc.yaml"
        raise _fail(
            "missing_reference",
            ref,
            page,
            f"'{file}' is not a metrics file (metrics files: {known}).",
        )
    if not files:
        raise _fail("missing_reference", ref, page, "the DVC project declares no metrics files.")
    hits = [(f, v) for f in files if (v := project.metrics[f]) is not None and key in v]
    if len(hits) > 1:
        raise _fail(
            "missing_reference",
            ref,
            page,
            f"'{key}' is in several metrics files ({', '.join(f for f, _ in hits)}): write FILE:{key}.",
        )
    if hits:
        return hits[0][1][key]
    unreadable = [f for f in files if f in project.unreadable]
    unreadable += [broken] if broken and not file else []
    if unreadable:
        raise _blocked(ref, page, unreadable[0], f"metric '{key}' is not known")
    absent = [f for f in files if project.metrics[f] is None]
    if absent:
        _unreadable_metrics(project, absent, key, ref, page)
        raise _fail(
            "missing_value",
            ref,
            page,
            f"metrics file {', '.join(absent)} is not in the workspace (DVC-tracked and not "
            "pulled?): run 'dvc pull' before the build, or track the metrics file in git "
            "with 'cache: false'.",
        )
    known = [k for f in files for k in (project.metrics[f] or {})]
    raise _fail("missing_reference", ref, page, f"no metric '{key}'.{did_you_mean(key, known)}")


def _unreadable_metrics(
    project: Project, files: list[str], key: str | None, ref: Reference, page: PageFacts
) -> None:
    """The finding for metrics FILES that are there but cannot be read, if any is."""
    broken = [f for f in files if f in project.unreadable]
    if broken:
        what = f", so '{key}' is unknown" if key else ""
        message = f"metrics file {', '.join(broken)} cannot be read (see its error){what}."
        raise _fail("missing_value", ref, page, message, f"file:{broken[0]}")


# --------------------------------------------------------------------------- blocks


def render_block(
    ref: Reference, site: SiteFacts, page: PageFacts, links: Mapping[str, str]
) -> list[str]:
    """The lines (HTML or a Mermaid fence) that a block reference stands for."""
    if page.foreign_project is not None:
        raise _fail("missing_reference", ref, page, page.foreign_project)
    if ref.kind == "provenance":
        return provenance(site, _block_artifact(site, ref, page), ref, page)
    project = _project(ref, site, page)
    if ref.kind == "pipeline":
        return pipeline(project, site, ref, page, links)
    if ref.kind == "params-table":
        return params_table(project, _block_stage(project, ref, page), ref, page)
    if ref.kind == "metrics-table":
        return metrics_table(project, ref, page)
    return metrics_history(project, site, _block_artifact(site, ref, page), ref, page)


def _block_stage(project: Project, ref: Reference, page: PageFacts) -> Stage | None:
    if ref.name:
        return find_stage(project, ref.name, ref, page)
    if page.stage is not None:
        return page.stage
    if page.artifact is not None and page.artifact.path is not None:
        found = project.producer(page.artifact.path)
        if found and found[0] in project.stages:
            return project.stages[found[0]]
    if page.binding_failed:
        raise _unbound(ref, page)
    return None


def _unbound(ref: Reference, page: PageFacts) -> MLPluginError:
    """A block that needs the page's binding, which failed: reported with the binding."""
    message = "the page's 'ml:' binding names what does not exist (see its error)."
    return _fail("missing_reference", ref, page, message, f"binding:{page.src}")


def _block_artifact(site: SiteFacts, ref: Reference, page: PageFacts) -> Artifact:
    if ref.name:
        return find_artifact(site, ref.name, ref, page)
    if page.artifact is not None:
        return page.artifact
    if page.binding_failed:
        raise _unbound(ref, page)
    raise _fail(
        "malformed_reference",
        ref,
        page,
        "name the artifact ({ml provenance NAME}) or bind the page with 'ml: {artifact: NAME}'.",
    )


def pipeline(
    project: Project, site: SiteFacts, ref: Reference, page: PageFacts, links: Mapping[str, str]
) -> list[str]:
    """The pipeline as a Mermaid fence: stages coloured by state (or data, with view=outs),
    optionally collapsed, reduced or focused on one node; a legend and links below."""
    view = ref.option("view", "stages")
    diagram = (
        graph.outs_view(project) if view == "outs" else graph.stage_view(project, site.verdicts)
    )
    if ref.option("collapse") is not None:
        diagram = graph.collapse(diagram)
    target = ref.option("focus")
    if target is not None:
        if target not in {n.name for n in diagram.nodes}:
            known = [n.name for n in diagram.nodes]
            raise _fail(
                "missing_reference",
                ref,
                page,
                f"focus: no node '{target}' in this view.{did_you_mean(target, known)}",
            )
        diagram = graph.focus(diagram, target)
    if ref.option("reduce") is not None:
        diagram = graph.reduce(diagram)
    lines = render.flowchart(diagram, ref.option("direction", "TD") or "TD")
    size = sum(len(line) + 1 for line in lines)
    if size > graph.MAX_TEXT or len(diagram.edges) > graph.MAX_EDGES:
        if ref.option("collapse") is None and view == "stages":
            collapsed = Reference(
                ref.kind,
                ref.name,
                ref.field,
                ref.line,
                ref.text,
                True,
                (*ref.options, ("collapse", "")),
            )
            site.notes.append(
                Finding(
                    "diagram_too_large",
                    f"'{ref.text}': the diagram ({len(diagram.edges)} edges, {size} characters) is over "
                    f"Mermaid's limits ({graph.MAX_EDGES} edges, {graph.MAX_TEXT} characters); "
                    "foreach/matrix groups were collapsed. Use focus=STAGE for a part of it.",
                    page.src,
                    ref.line,
                )
            )
            return pipeline(project, site, collapsed, page, links)
        raise _fail(
            "diagram_too_large",
            ref,
            page,
            f"the diagram ({len(diagram.edges)} edges, {size} characters) is over Mermaid's limits "
            f"({graph.MAX_EDGES} edges, {graph.MAX_TEXT} characters): draw part of it with focus=STAGE.",
        )
    used = [css for css in render.STATE_CLASSES if any(n.css == css for n in diagram.nodes)]
    linked = [(n.name, links[n.name]) for n in diagram.nodes if n.name in links]
    return [*render.fence(lines, "mermaid"), "", *render.legend(used), *render.node_links(linked)]


def params_table(
    project: Project, stage: Stage | None, ref: Reference, page: PageFacts
) -> list[str]:
    rows: list[tuple[object, ...]] = []
    if stage is None:
        for file, data in project.params.items():
            rows.extend((render.Code(file), render.Code(k), v) for k, v in flatten(data).items())
        return _values_table(("File", "Param", "Value"), rows, "ml-params")
    for file, keys in stage.params.items():
        data = project.params.get(file)
        if data is None and file in project.unreadable:
            message = f"stage '{stage.name}' reads {file}, which cannot be read (see its error)."
            raise _fail("missing_value", ref, page, message)
        if data is None:
            raise _fail(
                "missing_reference",
                ref,
                page,
                f"stage '{stage.name}' reads {file}, which does not exist.",
            )
        wanted = keys if keys is not None else list(flatten(data))
        for key in wanted:
            found, value = lookup(data, key)
            if not found:
                raise _fail(
                    "missing_reference",
                    ref,
                    page,
                    f"stage '{stage.name}' reads param '{key}', which is not in {file}.",
                )
            # a section (params: [train]) is listed key by key, as dvc params diff lists it
            flat = flatten(value, key) if isinstance(value, dict) else {key: value}
            rows.extend((render.Code(file), render.Code(k), v) for k, v in flat.items())
    return _values_table(("File", "Param", "Value"), rows, "ml-params")


def metrics_table(project: Project, ref: Reference, page: PageFacts) -> list[str]:
    files = sorted(project.metrics)
    if ref.name:
        name = check_path(ref.name, ref, page, project)
        if name not in project.metrics:
            known = ", ".join(files) or "none"
            raise _fail(
                "missing_reference",
                ref,
                page,
                f"'{name}' is not a metrics file (metrics files: {known}).",
            )
        files = [name]
    rows: list[tuple[object, ...]] = []
    for file in files:
        values = project.metrics[file]
        if values is None:
            _unreadable_metrics(project, [file], None, ref, page)
            raise _fail(
                "missing_value",
                ref,
                page,
                f"metrics file {file} is not in the workspace: run 'dvc pull' before the build, "
                "or track it in git with 'cache: false'.",
            )
        rows.extend((render.Code(file), render.Code(k), v) for k, v in values.items())
    return _values_table(("File", "Metric", "Value"), rows, "ml-metrics")


def metrics_history(
    project: Project, site: SiteFacts, artifact: Artifact, ref: Reference, page: PageFacts
) -> list[str]:
    """Metrics of every registered version, read as ``dvc metrics show --all-tags`` reads
    them: from git at each version's commit, in the metrics files that commit's dvc.yaml
    files declared."""
    entry = registered(site, artifact, ref, page)
    versions = [v for v in entry["versions"] if v["registered"]]
    found = site.metrics_at([v["commit"] for v in versions]) if site.metrics_at else {}
    at = [(v, found.get(v["commit"]) or MetricsAt()) for v in versions]
    if not project.metrics and not any(m.values for _, m in at):
        raise _fail("missing_reference", ref, page, "the DVC project declares no metrics files.")
    # a key is its own column, whichever file held it (metrics files move between versions),
    # unless one version has it in two files: then each file's is a column
    ambiguous = {
        key
        for _, m in at
        for key, count in Counter(k for values in m.values.values() for k in values or {}).items()
        if count > 1
    }
    cells = [
        {
            (f"{file}:{key}" if key in ambiguous else key): value
            for file, values in sorted(m.values.items())
            for key, value in (values or {}).items()
        }
        for _, m in at
    ]
    columns = list(dict.fromkeys(label for row in cells for label in row))
    rows = [
        [v["version"], ", ".join(v["stages"]), render.Code(v["commit"][:7])]
        + [render.Value(row[label]) if label in row else "" for label in columns]
        for (v, _), row in zip(at, cells, strict=True)
    ]
    lines = render.table(["Version", "Stages", "Commit", *columns], rows, "ml-metrics-history")
    notes = []
    read = {
        v["version"]: ", ".join(sorted(m.values)) or ("unknown" if m.problems else "none declared")
        for v, m in at
    }
    if len(set(read.values())) > 1:
        notes.append(
            "Metrics files declared at each version's commit: "
            + "; ".join(f"{version}: {files}" for version, files in read.items())
            + "."
        )
    for v, m in at:
        cached = sorted(f for f in m.cached if m.values.get(f) is None)
        missing = sorted(f for f, values in m.values.items() if values is None and f not in cached)
        if cached:
            notes.append(
                f"{v['version']}: {names(cached)} {_is(cached)} DVC-tracked at commit "
                f"{v['commit'][:7]} (cached by DVC, not kept in git), so not shown here; "
                "declare metrics with 'cache: false' to keep them in git."
            )
        if missing:
            notes.append(
                f"{v['version']}: {names(missing)} {_is(missing)} declared at commit "
                f"{v['commit'][:7]} but not in git there."
            )
        notes.extend(f"{v['version']}: {problem}" for problem in m.problems)
    lines += [f'<p class="ml-note">{render.text(note)}</p>' for note in notes]
    return lines


def _is(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def provenance(site: SiteFacts, artifact: Artifact, ref: Reference, page: PageFacts) -> list[str]:
    rows: list[tuple[str, object]] = [("Artifact", artifact.name)]
    rows += [(k, v) for k, v in (("Type", artifact.type), ("Description", artifact.desc)) if v]
    if artifact.labels:
        rows.append(("Labels", artifact.labels))
    if artifact.source == "artifacts.yaml":
        rows.append(("Declared in", f"GTO's {artifact.dvcfile}"))
    elif artifact.source != "dvc.yaml":
        rows.append(("Declared in", "GTO tags only"))
    project = site.project
    if artifact.source == "dvc.yaml":
        project = _project(ref, site, page)
    found = None
    if artifact.path is not None and project is not None:
        found = project.producer(artifact.path)
    if artifact.path is not None:
        rows.append(("Path", render.Code(artifact.path)))
    elif artifact.gto_path:
        rows.append(("Path", render.Code(artifact.gto_path)))
    if found is not None and project is not None:
        rows += _produced(site, project, *found)
    elif artifact.source == "dvc.yaml" and project is not None and artifact.path is not None:
        raise _untracked(project, artifact.path, ref, page, f"artifact '{artifact.name}': ")
    else:
        rows.append(("MD5", "not recorded: DVC does not track this artifact's path"))
    trained = site.trained(artifact) if site.trained else None
    when = trained.text(site.date_format) if trained else None
    if when:
        rows.append(("Trained in", when))
    matched = site.model_version(artifact) if site.model_version else None
    if matched is not None:
        rows.append(("Registered version", matched["text"]))
    if site.repo and site.repo.commit:
        state = f"{site.repo.short} on {site.repo.branch or 'detached HEAD'}"
        rows.append(("Built from", state + (" (uncommitted changes)" if site.repo.dirty else "")))
    return render.box(f"Provenance: {artifact.name}", rows, "ml-provenance")


def _produced(
    site: SiteFacts, project: Project, owner: str, hashed: Hashed
) -> list[tuple[str, object]]:
    """Provenance rows of a DVC output: its hash and size, the stage that produces it and
    what changed since it ran."""
    rows: list[tuple[str, object]] = []
    if hashed.md5:
        rows.append(("MD5", render.Code(hashed.md5)))
        rows.append(
            (
                "Size",
                render.human_size(hashed.size)
                if hashed.size is not None
                else render.Empty(f"{_recorder(project, owner)} records no size for it."),
            )
        )
    else:
        rows.append(("MD5", f"not recorded: stage '{owner}' has not run"))
    stage = project.stages.get(owner)
    rows.append(("Produced by", render.Code(owner)))
    if stage is not None:
        # what trained the artifact: the lock's command and params (dvc.yaml's may differ since)
        command = stage.lock_cmd if stage.locked and stage.lock_cmd is not None else stage.cmd
        rows.append(("Command", render.Code(command)))
        inputs = [
            f"{d} ({(stage.lock_deps[d].md5 or '')[:8]})" if d in stage.lock_deps else d
            for d in stage.deps
        ]
        rows.append(("Inputs", render.Code("; ".join(inputs))))
        params = [
            f"{k}={render.literal(v)}"
            for values in stage.lock_params.values()
            for k, v in flatten(values).items()  # a section (params: [train]) key by key
        ]
        if params:
            rows.append(("Params", render.Code(", ".join(params))))
        verdict = site.verdicts.get(owner)
        if verdict is not None and verdict.state == "stale":
            changed = "; ".join(verdict.reasons())
            rows.append(("Changed since", f"{changed} (run 'dvc repro {owner}')"))
    return rows


def dated(history: FileHistory | None, fmt: str) -> dict[str, Any]:
    """Dates, commits and authors of a file for page.meta and the manifest."""
    created, updated = (history.created, history.updated) if history else (None, None)
    if created is None or updated is None:
        return {"created": None, "updated": None, "created_commit": None, "updated_commit": None}
    return {
        "created": created.date or None,
        "updated": updated.date or None,
        "created_commit": created.sha,
        "updated_commit": updated.sha,
        "created_display": format_date(created.date, fmt),
        "updated_display": format_date(updated.date, fmt),
    }


def relative(path: Path, base: Path | None, resolved: bool = False) -> str | None:
    """PATH relative to BASE (a resolved directory), or None when it is not inside it."""
    if base is None:
        return None
    try:
        return (path if resolved else path.resolve()).relative_to(base).as_posix()
    except ValueError:
        return None


def names(items: Iterable[str]) -> str:
    return ", ".join(items)


def registry_page(site: SiteFacts, cards: dict[str, str]) -> str:
    """The generated registry page: every artifact with its type, description, labels, latest
    version, stage assignments, history, and a link to its model card (CARDS: GTO name -> url)."""
    reg = site.registry
    declared = {site.registry_names.get(n, n): a for n, a in site.artifacts.items()}
    names = sorted(set(declared) | set(reg.artifacts if reg else {}))
    lines = ["# Model registry", ""]
    if site.registry_problem or not reg or not reg.history:
        note = site.registry_problem or (
            "No versions are registered yet. Register one with 'gto register NAME', assign a stage "
            "with 'gto assign NAME --version v1.0.0 --stage prod', and push the tags."
        )
        lines += [f'<p class="ml-note">{render.text(note)}</p>', ""]
    if not names:
        lines.append(
            "No artifacts are declared in dvc.yaml or GTO's artifacts.yaml, and no versions are "
            "registered."
        )
        return "\n".join(lines) + "\n"
    for name in names:
        artifact = declared.get(name)
        entry = reg.artifact(name) if reg else None
        lines += [f"## {render.text(name)}", ""]
        rows: list[tuple[str, object]] = []
        if artifact is not None and artifact.source != "gto tags":
            rows += [
                (k, v) for k, v in (("Type", artifact.type), ("Description", artifact.desc)) if v
            ]
            if artifact.labels:
                rows.append(("Labels", artifact.labels))
            if artifact.source == "artifacts.yaml":
                rows.append(("Declared", f"in GTO's {artifact.dvcfile}, not in any dvc.yaml"))
            shown = artifact.path if artifact.path is not None else artifact.gto_path
            if shown is not None:
                rows.append(("Path", render.Code(shown)))
        else:
            rows.append(("Declared", "only in GTO tags, not in any dvc.yaml"))
        if entry is not None and not entry["active"]:
            rows.append(("Status", "deprecated"))
        rows.append(("Latest version", (entry or {}).get("latest") or "none registered"))
        stages = {s: v for s, v in (entry or {}).get("stages", {}).items() if v}
        rows.append(
            ("Stages", [f"{s}: {', '.join(v)}" for s, v in stages.items()] or "none assigned")
        )
        lines += render.box(name, rows, "ml-registry-entry")
        if name in cards:
            lines.append(
                f'<p class="ml-card-link"><a href="{render.href(cards[name])}">Model card</a></p>'
            )
        events = [e for e in (reg.history if reg else []) if e["artifact"] == name]
        if events:
            lines += ["", "### History", ""]
            lines += render.table(
                ("Date", "Event", "Version", "Stage", "Commit", "By", "Message"),
                [
                    (
                        e["timestamp"][:10],
                        e["event"],
                        e["version"] or "",
                        e["stage"] or "",
                        render.Code(e["commit"][:7]),
                        e["author"]
                        if not site.show_emails
                        else f"{e['author']} <{e['author_email']}>",
                        e["message"],
                    )
                    for e in events
                ],
                "ml-registry-history",
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def model_paths(site: SiteFacts) -> set[str]:
    """The project-relative paths of the artifacts of type model: the timeline's models."""
    return {a.path for a in site.artifacts.values() if a.type == "model" and a.path}


def timeline_page(site: SiteFacts, changes: list[Any], problem: str | None = None) -> str:
    """The generated timeline: data refreshes and retrains, newest first (PROBLEM: why the
    changes could not be read)."""
    models = model_paths(site)
    lines = ["# Data and model timeline", ""]
    if site.history is None or problem:
        unknown = problem or site.history_problem or "git history is unknown."
        lines.append(f'<p class="ml-note">{render.text(unknown)}</p>')
        return "\n".join(lines) + "\n"
    if not changes:
        lines.append("No commit has changed a tracked dataset's or model's hash yet.")
        return "\n".join(lines) + "\n"

    def size_change(old: int | None, new: int | None) -> str:
        if new is None:
            return "removed"
        if old is None:
            return render.human_size(new)
        delta = new - old
        sign = "+" if delta >= 0 else "-"
        return f"{render.human_size(new)} ({sign}{render.human_size(abs(delta))})"

    rows = [
        (
            c.commit.date[:10],
            render.Code(c.commit.short),
            c.commit.author,
            c.commit.subject,
            render.Code(c.path),
            "model" if c.path in models else "data",
            render.Code(f"{(c.old_md5 or 'new')[:8]} -> {(c.new_md5 or 'removed')[:8]}"),
            size_change(c.old_size, c.new_size),
        )
        for c in changes
    ]
    lines += render.table(
        ("Date", "Commit", "Author", "Message", "Output", "Kind", "MD5", "Size"),
        rows,
        "ml-timeline",
    )
    return "\n".join(lines) + "\n"
