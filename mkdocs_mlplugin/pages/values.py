"""The value of one inline reference: ``{ml param train.lr}`` → ``0.05``.

Where this sits: Markdown reference (``references``) → **value** → HTML (``render.inline``,
through the ``stash``). ``value_of`` answers an inline reference from the facts read once per
build (``facts.site``); it reads nothing itself, and raises FindingError with a finding when
the reference cannot be answered.

Also here, as blocks (``blocks``) and the plugin look things up the same way: what a name
stands for (``find_stage``, ``find_artifact``, ``registered``, ``check_path``,
``param_lookup``), the findings a reference gets (``unanswered``, ``blocked``, ``untracked``),
and a page's dates and authors (``dated``, ``author_names``, ``format_date``).
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.facts.dvc import DEFAULT_PARAMS, Artifact, Hashed, Project, Stage
from mkdocs_mlplugin.facts.git import FileHistory
from mkdocs_mlplugin.facts.registry import ArtifactEntry
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.facts.structured import flatten, lookup
from mkdocs_mlplugin.findings import Finding, FindingError, did_you_mean
from mkdocs_mlplugin.pages.references import Reference

_STRUCTURED = (".yaml", ".yml", ".json", ".toml", ".py")


def value_of(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    """The value an inline reference stands for; a fact that exists but holds nothing (an
    unset desc, no tags, the file count of a file) as render.Empty, saying why. Params and
    metrics are values of their files, shown as the files hold them."""
    value = _value(ref, site, page)
    if ref.kind not in ("param", "metric") and (value is None or value in ("", [], {})):
        return render.Empty(_why_empty(ref, site, page))
    return value


def _value(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    if ref.kind == "git":
        return _git(ref, site, page)
    if ref.kind == "page":
        return _page(ref, site, page)
    name = ref.name or ""  # parse() requires a name for the kinds below
    if ref.kind == "artifact":
        return _artifact(ref, site, page, find_artifact(site, name, ref, page))
    project = project_of(ref, site, page)
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
    project = project_of(ref, site, page)
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
    return f"{recorder(project, owner)} records no {field} for '{path}'."


def recorder(project: Project, owner: str) -> str:
    """What records the hashes of OWNER's outputs: a stage's dvc.lock entry, or a .dvc file."""
    return f"the dvc.lock entry of stage '{owner}'" if owner in project.stages else owner


def _git(ref: Reference, site: SiteFacts, page: PageFacts) -> Any:
    repo = site.repo
    if repo is None or repo.commit is None:
        problem = site.git_problem or "the repository has no commit yet."
        raise unanswered("missing_value", ref, page, problem)
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
        raise unanswered("missing_value", ref, page, problem)
    history = page.history
    if page.no_history:
        raise unanswered("missing_value", ref, page, page.no_history)
    if page.repo_path is None:
        raise unanswered(
            "missing_value",
            ref,
            page,
            "which file this page is, and so its git history, is not known here (page facts need "
            "the MkDocs plugin, and a page inside the git repository).",
        )
    if history is None or not history.commits:
        raise unanswered("missing_value", ref, page, "the page is not committed yet: commit it.")
    if ref.field == "authors":
        return author_names(history, site)
    if ref.field == "commit":
        return history.updated.short if history.updated else None
    commit = history.created if ref.field == "created" else history.updated
    if commit is not None and not commit.date:
        raise unanswered(
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


@functools.lru_cache(maxsize=4096)  # pages share commits, and each shows its dates twice
def format_date(iso: str, fmt: str) -> str | None:
    """ISO, a commit's date, in FMT; None for a commit whose date is no calendar date."""
    return dt.datetime.fromisoformat(iso).strftime(fmt) if iso else None


def _artifact(ref: Reference, site: SiteFacts, page: PageFacts, artifact: Artifact) -> Any:
    if ref.field in ("version", "stages"):
        entry = registered(site, artifact, ref, page)
        if ref.field == "version":
            return entry.latest
        return [f"{stage}: {', '.join(v)}" for stage, v in entry.stages.items() if v]
    if ref.field in ("type", "desc", "labels"):
        return getattr(artifact, str(ref.field))
    path = artifact_path(artifact, ref, page)
    if ref.field == "path":
        return path
    return _hashed_field(project_of(ref, site, page), path, str(ref.field), ref, page)


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
    raise unanswered("missing_value", ref, page, f"artifact '{artifact.name}': {why}")


def registered(
    site: SiteFacts, artifact: Artifact, ref: Reference, page: PageFacts
) -> ArtifactEntry:
    """The artifact's registry entry; a missing_value finding when GTO has no version of it."""
    gto_name = site.registry_names.get(artifact.name, artifact.name)
    if site.registry is None:
        raise unanswered(
            "missing_value", ref, page, site.registry_problem or "the model registry is unknown."
        )
    entry = site.registry.artifact(gto_name)
    if entry is None or entry.latest is None:
        hint = site.registry_problem or (
            f"register one with 'gto register {gto_name}' (or 'gto register {gto_name} --version "
            "v1.0.0') and push the tag."
        )
        raise unanswered(
            "missing_value", ref, page, f"GTO has no registered version of '{gto_name}': {hint}"
        )
    return entry


def find_artifact(site: SiteFacts, name: str, ref: Reference, page: PageFacts) -> Artifact:
    """An artifact of dvc.yaml's ``artifacts:``, or one only GTO knows (artifacts.yaml, tags)."""
    if page.foreign_project is not None:
        raise unanswered("missing_reference", ref, page, page.foreign_project)
    known = site.artifacts
    if name in known:
        return known[name]
    if site.project is not None:
        broken = broken_pipeline(site.project, name)
        if broken is not None:
            raise blocked(ref, page, broken, f"no artifact '{name}' is known")
    if not known and site.project is None and site.registry is None:
        why = site.project_problem or site.registry_problem or "no DVC project and no registry."
        raise unanswered("missing_reference", ref, page, f"no artifact '{name}': {why}")
    listed = ", ".join(known) or (
        "none are declared in dvc.yaml or GTO's artifacts.yaml, and no GTO tag registers one"
    )
    raise unanswered(
        "missing_reference",
        ref,
        page,
        f"no artifact '{name}'.{did_you_mean(name, known)} Artifacts: {listed}.",
    )


def project_of(ref: Reference, site: SiteFacts, page: PageFacts) -> Project:
    """The DVC project that answers REF on PAGE; a missing_reference finding when there is
    none, or when the page lies in a DVC project the site does not read."""
    if page.foreign_project is not None:
        raise unanswered("missing_reference", ref, page, page.foreign_project)
    if site.project is None:
        problem = site.project_problem or "no DVC project."
        raise unanswered("missing_reference", ref, page, problem)
    return site.project


def find_stage(project: Project, name: str, ref: Reference, page: PageFacts) -> Stage:
    if name in project.stages:
        return project.stages[name]
    broken = broken_pipeline(project, name)
    if broken is not None:
        raise blocked(ref, page, broken, f"no stage '{name}' is known")
    if not project.stages:
        why = "the DVC project has no dvc.yaml (only data added with 'dvc add')"
        raise unanswered("missing_reference", ref, page, f"no stage '{name}': {why}.")
    members = [s for s in project.stages if s.split("@")[0] == name]
    if members:
        raise unanswered(
            "missing_reference",
            ref,
            page,
            f"'{name}' is a foreach/matrix stage: name one of {', '.join(members)}.",
        )
    raise unanswered(
        "missing_reference", ref, page, f"no stage '{name}'.{did_you_mean(name, project.stages)}"
    )


def check_path(path: str, ref: Reference, page: PageFacts, project: Project | None = None) -> str:
    """A path as written in a reference, checked to stay inside the DVC project (symlinks
    followed, when the project is given)."""
    if "\\" in path:
        raise unanswered(
            "malformed_reference",
            ref,
            page,
            "write paths with '/', relative to the DVC project root.",
        )
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise unanswered(
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
        raise unanswered("malformed_reference", ref, page, "the path leaves the DVC project.")
    return normal


def _hashed_field(project: Project, path: str, field: str, ref: Reference, page: PageFacts) -> Any:
    found = project.producer(path)
    if found is None:
        raise untracked(project, path, ref, page)
    owner, hashed = found
    if field == "stage":
        return owner
    stage = project.stages.get(owner)
    if hashed.md5 is None and stage is not None and stage.lock_unreadable:
        lockfile = stage.dvcfile[: -len("dvc.yaml")] + "dvc.lock"
        raise blocked(ref, page, lockfile, f"'{path}' has no known hash", "missing_value")
    if hashed.md5 is None:
        raise unanswered(
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


def untracked(
    project: Project, path: str, ref: Reference, page: PageFacts, what: str = ""
) -> FindingError:
    """Why no stage or .dvc file records PATH (WHAT before the message)."""
    broken = [f for f in project.unreadable if f.endswith(".dvc") and f[: -len(".dvc")] == path]
    if broken:
        return blocked(ref, page, broken[0], f"{what}'{path}' is tracked by {broken[0]}")
    inside = project.containing_out(path)
    if inside:
        message = (
            f"'{path}' lies inside the tracked directory '{inside}'; DVC records one hash for "
            f"the whole directory: reference '{inside}'."
        )
    elif (pipeline := broken_pipeline(project)) is not None:
        message = f"{what}no stage or .dvc file that can be read outputs '{path}'"
        return blocked(ref, page, pipeline, message)
    elif (project.root / path).exists():
        message = f"'{path}' exists but DVC does not track it (no stage outputs it, no .dvc file adds it)."
    else:
        message = (
            f"no stage or .dvc file outputs '{path}'.{did_you_mean(path, project.out_paths())}"
        )
    return unanswered("missing_reference", ref, page, what + message)


def _split_file(name: str, default: str | None) -> tuple[str | None, str]:
    head, sep, tail = name.partition(":")
    if sep and head.lower().endswith(_STRUCTURED):
        return head, tail
    return default, name


def _param(project: Project, name: str, ref: Reference, page: PageFacts) -> Any:
    file, key, value = param_lookup(project, name, ref, page)
    if isinstance(value, dict):
        keys = list(flatten(value, key))
        if not keys:
            raise unanswered(
                "missing_reference", ref, page, f"'{key}' in {file} is empty: it holds no params."
            )
        example = keys[0] if file == DEFAULT_PARAMS and ":" not in name else f"{file}:{keys[0]}"
        shown = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
        raise unanswered(
            "malformed_reference",
            ref,
            page,
            f"'{key}' in {file} is a group of {len(keys)} params ({shown}): name one, e.g. "
            f"{{ml param {example}}}, or put the reference alone on its line for a table of them.",
        )
    return value


def param_lookup(
    project: Project, name: str, ref: Reference, page: PageFacts
) -> tuple[str, str, Any]:
    """(params file, key, value) of a param reference."""
    file, key = _split_file(name, DEFAULT_PARAMS)
    file = check_path(file or DEFAULT_PARAMS, ref, page, project)
    if file in project.unreadable:
        raise blocked(ref, page, file, f"'{key}' is unknown", "missing_value")
    broken = broken_pipeline(project)
    if file not in project.params and broken is not None:
        raise blocked(ref, page, broken, f"no params file '{file}' is known")
    if file not in project.params and declares_params(project, file):
        raise absent_params(project, file, ref, page)
    if file not in project.params:
        known = ", ".join(project.params) or "none"
        raise unanswered(
            "missing_reference", ref, page, f"no params file '{file}' (params files: {known})."
        )
    found, value = lookup(project.params[file], key)
    if not found:
        keys = flatten(project.params[file])
        raise unanswered(
            "missing_reference", ref, page, f"no param '{key}' in {file}.{did_you_mean(key, keys)}"
        )
    return file, key, value


def _metric(project: Project, name: str, ref: Reference, page: PageFacts) -> Any:
    file, key = _split_file(name, None)
    files = [check_path(file, ref, page, project)] if file else sorted(project.metrics)
    broken = broken_pipeline(project)
    if broken is not None and (not files or (file and file not in project.metrics)):
        raise blocked(ref, page, broken, "the metrics files it declares are not known")
    if file and file not in project.metrics:
        known = ", ".join(project.metrics) or "none are declared in dvc.yaml"
        raise unanswered(
            "missing_reference",
            ref,
            page,
            f"'{file}' is not a metrics file (metrics files: {known}).",
        )
    if not files:
        raise unanswered(
            "missing_reference", ref, page, "the DVC project declares no metrics files."
        )
    hits = [(f, v) for f in files if (v := project.metrics[f]) is not None and key in v]
    if len(hits) > 1:
        raise unanswered(
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
        raise blocked(ref, page, unreadable[0], f"metric '{key}' is not known")
    absent = [f for f in files if project.metrics[f] is None]
    if absent:
        check_metrics_readable(project, absent, key, ref, page)
        why = " ".join(f"metrics file {project.why_absent(f)}" for f in absent)
        raise unanswered("missing_value", ref, page, why)
    keys = [k for f in files for k in (project.metrics[f] or {})]
    raise unanswered("missing_reference", ref, page, f"no metric '{key}'.{did_you_mean(key, keys)}")


def declares_params(project: Project, file: str) -> bool:
    """Whether a stage or the top-level ``params:`` of a dvc.yaml names the params FILE."""
    stages = project.stages.values()
    return file in project.top_params or any(file in s.params for s in stages)


def absent_params(
    project: Project, file: str, ref: Reference, page: PageFacts, reader: str = ""
) -> FindingError:
    """The finding of REF, whose params FILE (READER: the stage that reads it, if any) is
    declared and not in the work tree: why, as the DVC files record it; a missing value
    where a stage or .dvc file makes it, a missing reference where nothing does."""
    kind = "missing_value" if project.owner_of(file) else "missing_reference"
    said = f"stage '{reader}' reads {file}: " if reader else "params file "
    if file in project.outside:  # never read: its own finding says so
        return unanswered(kind, ref, page, f"{said}{file} lies outside the DVC project.")
    return unanswered(kind, ref, page, said + project.why_absent(file))


def check_metrics_readable(
    project: Project, files: list[str], key: str | None, ref: Reference, page: PageFacts
) -> None:
    """The finding for metrics FILES that are there but cannot be read, if any is."""
    broken = [f for f in files if f in project.unreadable]
    if broken:
        what = f", so '{key}' is unknown" if key else ""
        message = f"metrics file {', '.join(broken)} cannot be read (see its error){what}."
        raise unanswered("missing_value", ref, page, message, f"file:{broken[0]}")


def unanswered(
    kind: str, ref: Reference, page: PageFacts, message: str, cause: str | None = None
) -> FindingError:
    """The error of a reference that cannot be answered: a finding of KIND on REF's line of
    PAGE (CAUSE: the root finding it is a consequence of, see Finding.cause)."""
    return FindingError(Finding(kind, f"'{ref.text}': {message}", page.src, ref.line, cause))


def blocked(
    ref: Reference, page: PageFacts, file: str, message: str, kind: str = "missing_reference"
) -> FindingError:
    """A reference that FILE, which cannot be read, keeps from being answered: a consequence,
    reported with FILE's own finding."""
    return unanswered(
        kind, ref, page, f"{message}: {file} cannot be read (see its error).", f"file:{file}"
    )


def broken_pipeline(project: Project, name: str = "") -> str | None:
    """A dvc.yaml that cannot be read, where a stage, artifact, output, params or metrics file
    that is not found may be declared: the one NAME (``sub/dvc.yaml:train``) names, else any."""
    broken = sorted(f for f in project.unreadable if posixpath.basename(f) == "dvc.yaml")
    named = name.rpartition(":")[0]
    return named if named in broken else next(iter(broken), None)
