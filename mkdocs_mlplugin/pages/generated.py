"""The pages the plugin writes itself: the model registry, the data and model timeline, and
the documentation coverage.

Where this sits: facts of the build (``facts.site``: the registry, the artifacts, the changes
``facts.timeline`` read) → **generated page** (Markdown with HTML blocks) → MkDocs renders it
as any other page. Pure: each function turns facts already read into the page's text.
"""

from __future__ import annotations

from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks.coverage import KINDS, Coverage
from mkdocs_mlplugin.facts.site import SiteFacts
from mkdocs_mlplugin.pages.links import anchor

#: what each kind of the coverage page documents, as its table's first column says it
_SUBJECTS = {
    "model_cards": "Model",
    "datasheets": "Dataset",
    "stage_pages": "Stage",
    "records": "Kind of record",
}


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
        # the anchor links to the artifact (artifact:NAME@VERSION) lead to
        lines += [f'<a id="{anchor(name)}"></a>', "", f"## {render.text(name)}", ""]
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
                rows.append(("Path", render.Path(shown)))
        else:
            rows.append(("Declared", "only in GTO tags, not in any dvc.yaml"))
        if entry is not None and not entry.active:
            rows.append(("Status", "deprecated"))
        rows.append(("Latest version", (entry.latest if entry else None) or "none registered"))
        stages = {s: v for s, v in (entry.stages if entry else {}).items() if v}
        rows.append(
            ("Stages", [f"{s}: {', '.join(v)}" for s, v in stages.items()] or "none assigned")
        )
        lines += render.box(name, rows, "ml-registry-entry")
        if name in cards:
            lines.append(
                f'<p class="ml-card-link"><a href="{render.href(cards[name])}">Model card</a></p>'
            )
        events = [e for e in (reg.history if reg else []) if e.artifact == name]
        if events:
            lines += ["", "### History", ""]
            lines += render.table(
                ("Date", "Event", "Version", "Stage", "Commit", "By", "Message"),
                [
                    (
                        render.Date(e.timestamp[:10]),
                        e.event,
                        e.version or "",
                        e.stage or "",
                        render.Hash(e.commit[:7], e.commit),
                        f"{e.author} <{e.author_email}>" if site.show_emails else e.author,
                        e.message,
                    )
                    for e in events
                ],
                "ml-registry-history",
            )
        lines.append("")
    return "\n".join(lines) + "\n"


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

    def change(c: Any) -> tuple[object, ...]:
        return (
            render.Path(c.path),
            "model" if c.path in models else "data",
            render.Code(f"{(c.old_md5 or 'new')[:8]} -> {(c.new_md5 or 'removed')[:8]}"),
            size_change(c.old_size, c.new_size),
        )

    # one group per commit (newest first, as the changes come): its date, hash, author and
    # message once, then every output it changed
    commits: dict[str, list[Any]] = {}
    for c in changes:
        commits.setdefault(c.commit.sha, []).append(c)
    groups = [
        (
            (
                render.Date(group[0].commit.date[:10]),
                render.Hash(group[0].commit.short, group[0].commit.sha),
                group[0].commit.author,
                group[0].commit.subject,
            ),
            [change(c) for c in group],
        )
        for group in commits.values()
    ]
    lines += render.grouped_table(("Output", "Kind", "MD5", "Size"), groups, "ml-timeline")
    return "\n".join(lines) + "\n"


def model_paths(site: SiteFacts) -> set[str]:
    """The project-relative paths of the artifacts of type model: the timeline's models."""
    return {a.path for a in site.artifacts.values() if a.type == "model" and a.path}


def coverage_page(coverage: Coverage, links: dict[str, str]) -> str:
    """The generated documentation coverage page: per kind of document (``KINDS``), how many
    of the project's models, datasets, stages and required kinds of record have one, whether
    the standard (``require:``) asks for it, then each of them with its pages (LINKS: page
    path -> url) or "missing"."""
    lines = ["# Documentation coverage", ""]
    rows = []
    for kind, title in KINDS.items():
        documented, total = coverage.counts(kind)
        share = f"{documented * 100 // total}%" if total else "-"
        rows.append((title.capitalize(), documented, total, share, kind in coverage.required))
    lines += render.table(
        ("Documents", "Documented", "Total", "Coverage", "Required"), rows, "ml-coverage"
    )
    for kind, title in KINDS.items():
        items = coverage.items.get(kind, [])
        if not items:
            continue
        lines += ["", f"## {title.capitalize()}", ""]
        lines += render.table(
            (_SUBJECTS[kind], "Pages"),
            [
                (
                    render.Code(item.name),
                    render.Links([(page, links.get(page, page)) for page in item.pages])
                    if item.pages
                    else ("missing" if kind in coverage.required else "none"),
                )
                for item in items
            ],
            f"ml-coverage-{kind.replace('_', '-')}",
        )
    return "\n".join(lines) + "\n"
