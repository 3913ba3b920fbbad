"""The HTML (or Mermaid fence) of one block reference: a reference alone on its line.

Where this sits: Markdown reference (``references``) → **block** → HTML lines put in the page.
``render_block`` draws the pipeline diagram (``pipeline``), the params and metrics tables
(``params_table``, ``param_group``, ``metrics_table``), the metrics of every registered version
(``metrics_history``) and an artifact's provenance box (``provenance``). It finds what a block
names as values do (``values``) and answers from the facts of the build; what is read only
when a block asks goes through the site's named readers (``facts.site``): ``metrics_history``
asks ``site.past_metrics`` for past commits, ``provenance`` asks ``site.artifact_history``
(``trained``, ``model_version``). A block that cannot be drawn raises FindingError with a
finding; a warning (a diagram collapsed to fit Mermaid's limits) is appended to the NOTES list
the caller gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks.pipeline import STALE, UNVERIFIABLE
from mkdocs_mlplugin.facts.dvc import Artifact, Hashed, Project, Stage
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts, Trained
from mkdocs_mlplugin.facts.structured import flatten, lookup
from mkdocs_mlplugin.facts.timeline import MetricsAt
from mkdocs_mlplugin.findings import Finding, FindingError, did_you_mean
from mkdocs_mlplugin.pages.plots import plots_block
from mkdocs_mlplugin.pages.references import DIFF_KINDS, Reference
from mkdocs_mlplugin.pages.values import (
    absent_params,
    check_metrics_readable,
    check_path,
    find_artifact,
    find_stage,
    format_date,
    param_lookup,
    project_of,
    recorder,
    registered,
    unanswered,
    untracked,
)


def render_block(
    ref: Reference,
    site: SiteFacts,
    page: PageFacts,
    links: Mapping[str, str],
    notes: list[Finding],
    out: render.Writer = render.HTML,
) -> list[str]:
    """The lines (HTML or a Mermaid fence) that a block reference stands for, written by OUT
    (HTML, or plain Markdown for a Hub README); LINKS: stage or output -> the page about it; a
    warning drawing it gives is appended to NOTES."""
    if page.foreign_project is not None:
        raise unanswered("missing_reference", ref, page, page.foreign_project)
    if ref.kind == "provenance":
        return provenance(site, _block_artifact(site, ref, page), ref, page, out)
    project = project_of(ref, site, page)
    if ref.kind == "pipeline":
        return pipeline(project, site, ref, page, links, notes, out)
    if ref.kind == "params-table":
        return params_table(project, _block_stage(project, ref, page), ref, page, out)
    if ref.kind == "metrics-table":
        return metrics_table(project, ref, page, out)
    # the modules of comparisons and experiments are imported by the blocks that show them
    if ref.kind in DIFF_KINDS:
        from mkdocs_mlplugin.pages import compare

        return compare.diff_block(site, ref, page, notes, out)
    if ref.kind == "experiments":
        from mkdocs_mlplugin.pages import experiments

        return experiments.experiments_block(site, ref, page, notes, out)
    if ref.kind == "plots":
        return plots_block(project, site, ref, page, notes, out)
    artifact = _block_artifact(site, ref, page)
    return metrics_history(project, site, artifact, ref, page, out)


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


def _block_artifact(site: SiteFacts, ref: Reference, page: PageFacts) -> Artifact:
    if ref.name:
        return find_artifact(site, ref.name, ref, page)
    if page.artifact is not None:
        return page.artifact
    if page.binding_failed:
        raise _unbound(ref, page)
    raise unanswered(
        "malformed_reference",
        ref,
        page,
        "name the artifact ({ml provenance NAME}) or bind the page with 'ml: {artifact: NAME}'.",
    )


def _unbound(ref: Reference, page: PageFacts) -> FindingError:
    """A block that needs the page's binding, which failed: reported with the binding."""
    message = "the page's 'ml:' binding names what does not exist (see its error)."
    return unanswered("missing_reference", ref, page, message, f"binding:{page.src}")


def pipeline(
    project: Project,
    site: SiteFacts,
    ref: Reference,
    page: PageFacts,
    links: Mapping[str, str],
    notes: list[Finding],
    out: render.Writer = render.HTML,
) -> list[str]:
    """The pipeline as a Mermaid fence: stages coloured by state (or data, with view=outs),
    optionally collapsed, reduced or focused on one node; a legend and links below. A diagram
    over Mermaid's limits is collapsed, with a warning appended to NOTES."""
    from mkdocs_mlplugin.render import graph, mermaid  # only a page with a diagram needs them

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
            raise unanswered(
                "missing_reference",
                ref,
                page,
                f"focus: no node '{target}' in this view.{did_you_mean(target, known)}",
            )
        diagram = graph.focus(diagram, target)
    if ref.option("reduce") is not None:
        diagram = graph.reduce(diagram)
    lines = mermaid.flowchart(diagram, ref.option("direction", "TD") or "TD")
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
            notes.append(
                Finding(
                    "diagram_too_large",
                    f"'{ref.text}': the diagram ({len(diagram.edges)} edges, {size} characters) is over "
                    f"Mermaid's limits ({graph.MAX_EDGES} edges, {graph.MAX_TEXT} characters); "
                    "foreach/matrix groups were collapsed. Use focus=STAGE for a part of it.",
                    page.src,
                    ref.line,
                )
            )
            return pipeline(project, site, collapsed, page, links, notes, out)
        raise unanswered(
            "diagram_too_large",
            ref,
            page,
            f"the diagram ({len(diagram.edges)} edges, {size} characters) is over Mermaid's limits "
            f"({graph.MAX_EDGES} edges, {graph.MAX_TEXT} characters): draw part of it with focus=STAGE.",
        )
    used = [css for css in mermaid.STATE_CLASSES if any(n.css == css for n in diagram.nodes)]
    linked = [(n.name, links[n.name]) for n in diagram.nodes if n.name in links]
    verdicts = [site.verdicts.get(n.name) for n in diagram.nodes] if view == "stages" else []
    reasons = [
        (v.stage, v.state, v.reasons() if v.state == STALE else v.unverifiable)
        for v in verdicts
        if v is not None and v.state in (STALE, UNVERIFIABLE)
    ]
    return [*render.fence(lines, "mermaid"), "", *out.diagram_key(used, linked, reasons)]


def param_group(
    ref: Reference, site: SiteFacts, page: PageFacts, out: render.Writer = render.HTML
) -> list[str] | None:
    """A table of the params under a group key (``{ml param train}`` alone on its line),
    flattened to dotted keys as ``dvc params diff`` lists them; None for a single value."""
    file, key, value = param_lookup(project_of(ref, site, page), ref.name or "", ref, page)
    if not isinstance(value, dict):
        return None
    rows = [(file, k, v) for k, v in flatten(value, key).items()]
    return _values_table("Param", rows, "ml-params", out)


def params_table(
    project: Project,
    stage: Stage | None,
    ref: Reference,
    page: PageFacts,
    out: render.Writer = render.HTML,
) -> list[str]:
    rows: list[tuple[str, str, object]] = []
    if stage is None:
        for file, data in project.params.items():
            rows.extend((file, k, v) for k, v in flatten(data).items())
        return _values_table("Param", rows, "ml-params", out)
    for file, keys in stage.params.items():
        data = project.params.get(file)
        if data is None and file in project.unreadable:
            message = f"stage '{stage.name}' reads {file}, which cannot be read (see its error)."
            raise unanswered("missing_value", ref, page, message)
        if data is None:
            raise absent_params(project, file, ref, page, stage.name)
        wanted = keys if keys is not None else list(flatten(data))
        for key in wanted:
            found, value = lookup(data, key)
            if not found:
                raise unanswered(
                    "missing_reference",
                    ref,
                    page,
                    f"stage '{stage.name}' reads param '{key}', which is not in {file}.",
                )
            # a section (params: [train]) is listed key by key, as dvc params diff lists it
            flat = flatten(value, key) if isinstance(value, dict) else {key: value}
            rows.extend((file, k, v) for k, v in flat.items())
    return _values_table("Param", rows, "ml-params", out)


def metrics_table(
    project: Project, ref: Reference, page: PageFacts, out: render.Writer = render.HTML
) -> list[str]:
    files = sorted(project.metrics)
    if ref.name:
        name = check_path(ref.name, ref, page, project)
        if name not in project.metrics:
            known = ", ".join(files) or "none"
            raise unanswered(
                "missing_reference",
                ref,
                page,
                f"'{name}' is not a metrics file (metrics files: {known}).",
            )
        files = [name]
    rows: list[tuple[str, str, object]] = []
    for file in files:
        values = project.metrics[file]
        if values is None:
            check_metrics_readable(project, [file], None, ref, page)
            raise unanswered("missing_value", ref, page, f"metrics file {project.why_absent(file)}")
        rows.extend((file, k, v) for k, v in values.items())
    return _values_table("Metric", rows, "ml-metrics", out)


def _values_table(
    what: str, rows: list[tuple[str, str, object]], css: str, out: render.Writer
) -> list[str]:
    """A table of the values of params or metrics files, from ROWS (file, key, value): one
    group of rows per file, headed by the file, each row a key (WHAT: Param or Metric) and
    its value as DVC shows it (``false``, ``null``, ``[5]``)."""
    files: dict[str, list[tuple[object, object]]] = {}
    for file, key, value in rows:
        files.setdefault(file, []).append((render.Key(key), render.Value(value)))
    groups = [((render.Path(file),), keys) for file, keys in files.items()]
    return out.grouped_table((what, "Value"), groups, css, group="File")


def metrics_history(
    project: Project,
    site: SiteFacts,
    artifact: Artifact,
    ref: Reference,
    page: PageFacts,
    out: render.Writer = render.HTML,
) -> list[str]:
    """Metrics of every registered version, read as ``dvc metrics show --all-tags`` reads
    them: from git at each version's commit, in the metrics files that commit's dvc.yaml
    files declared."""
    entry = registered(site, artifact, ref, page)
    versions = [v for v in entry.versions if v.registered]
    # the one read of past commits a page makes (see PastMetrics)
    found = site.past_metrics.at([v.commit for v in versions]) if site.past_metrics else {}
    at = [(v, found.get(v.commit) or MetricsAt()) for v in versions]
    for v, m in at:  # a history lacking those metrics would be wrong
        for dvcfile, why in sorted(m.unresolved.items()):
            message = (
                f"the metrics {dvcfile} declares at {v.version} ({v.commit[:7]}) are not "
                f"known, so no history is shown: {why}"
            )
            raise unanswered("missing_value", ref, page, message)
    if not project.metrics and not any(m.values for _, m in at):
        raise unanswered(
            "missing_reference", ref, page, "the DVC project declares no metrics files."
        )
    from mkdocs_mlplugin.pages import compare  # as in render_block

    cells = compare.metric_cells([m.values for _, m in at])
    metrics = list(dict.fromkeys(label for row in cells for label in row))
    # a column per version, a row per metric: many metrics make the table longer, not wider
    columns = [
        (
            v.version,
            [", ".join(v.stages), render.Hash(v.commit[:7], v.commit)]
            + [
                _history_cell(row, label, m, f"{v.version} (commit {v.commit[:7]})", before)
                for label in metrics
            ],
        )
        for i, ((v, m), row) in enumerate(zip(at, cells, strict=True))
        for before in [(cells[i + 1], at[i + 1][0].version) if i + 1 < len(at) else None]
    ]
    labels = ["Stages", "Commit", *(render.Key(label) for label in metrics)]
    lines = out.table(*render.across("Version", labels, columns), "ml-metrics-history")
    notes = []
    read = {
        v.version: ", ".join(sorted(m.values)) or ("unknown" if m.problems else "none declared")
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
                f"{v.version}: {', '.join(cached)} {_is(cached)} DVC-tracked at commit "
                f"{v.commit[:7]} (cached by DVC, not kept in git), so not shown here; "
                "declare metrics with 'cache: false' to keep them in git."
            )
        if missing:
            notes.append(
                f"{v.version}: {', '.join(missing)} {_is(missing)} declared at commit "
                f"{v.commit[:7]} but not in git there."
            )
        notes.extend(f"{v.version}: {problem}" for problem in m.problems)
    lines += [out.note(note) for note in notes]
    return lines


def _history_cell(
    row: dict[str, Any],
    label: str,
    m: MetricsAt,
    at: str,
    before: tuple[dict[str, Any], str] | None,
) -> Any:
    """The cell of metric LABEL in the metrics-history ROW of the version AT (M: what was
    read there): its value, with the change from the version BEFORE it, if any; a dash saying
    why when the version has no such metric."""
    from mkdocs_mlplugin.pages import compare  # as in render_block

    if label not in row:
        return compare.missing_metric(m.values, m.cached, m.unreadable, m.problems, at)
    return compare.changed(row, label, before) if before else render.Value(row[label])


def _is(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def provenance(
    site: SiteFacts,
    artifact: Artifact,
    ref: Reference,
    page: PageFacts,
    out: render.Writer = render.HTML,
) -> list[str]:
    """The provenance box of ARTIFACT: where it is declared, its hash and the stage that made
    it, when it was trained, which registered version it is, and the commit built from."""
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
        project = project_of(ref, site, page)
    found = None
    if artifact.path is not None and project is not None:
        found = project.producer(artifact.path)
    if artifact.path is not None:
        rows.append(("Path", render.Path(artifact.path)))
    elif artifact.gto_path:
        rows.append(("Path", render.Path(artifact.gto_path)))
    if found is not None and project is not None:
        rows += _produced(site, project, *found)
    elif artifact.source == "dvc.yaml" and project is not None and artifact.path is not None:
        raise untracked(project, artifact.path, ref, page, f"artifact '{artifact.name}': ")
    else:
        rows.append(("MD5", "not recorded: DVC does not track this artifact's path"))
    history = site.artifact_history  # reads git, once per artifact and build
    trained = history.trained(artifact) if history else None
    when = trained_in(trained, site.date_format) if trained else None
    if when:
        rows.append(("Trained in", when))
    matched = history.model_version(site, artifact) if history else None
    if matched is not None:
        rows.append(("Registered version", matched["text"]))
    if site.repo and site.repo.commit:
        state = f"{site.repo.short} on {site.repo.branch or 'detached HEAD'}"
        rows.append(("Built from", state + (" (uncommitted changes)" if site.repo.dirty else "")))
    return out.box(f"Provenance: {artifact.name}", rows, "ml-provenance")


def trained_in(trained: Trained, fmt: str) -> str | None:
    """Where the artifact TRAINED tells of was trained, as the provenance box says it: the
    commit (dated in FMT) or the work tree; None when that is unknown."""
    if trained.uncommitted:
        return "the work tree, not committed"
    if trained.commit is None:
        return None
    when = f" on {format_date(trained.commit.date, fmt)}" if trained.commit.date else ""
    return f"commit {trained.commit.short}{when}"


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
                else render.Empty(f"{recorder(project, owner)} records no size for it."),
            )
        )
    else:
        rows.append(("MD5", f"not recorded: stage '{owner}' has not run"))
    stage = project.stages.get(owner)
    rows.append(("Produced by", render.Path(owner)))
    if stage is not None:
        # what trained the artifact: the lock's command and params (dvc.yaml's may differ since)
        command = stage.lock_cmd if stage.locked and stage.lock_cmd is not None else stage.cmd
        rows.append(("Command", render.Code(command)))
        inputs = [
            f"{d} ({(stage.lock_deps[d].md5 or '')[:8]})" if d in stage.lock_deps else d
            for d in stage.deps
        ]
        rows.append(("Inputs", render.Path("; ".join(inputs))))
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
