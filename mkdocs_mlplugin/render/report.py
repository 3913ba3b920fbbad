"""The pull-request report (``mkdocs_mlplugin.report``) as one GitHub-flavoured Markdown
comment. Pure: every value from the repository is written by ``render.markdown`` (escaped
text, code spans), so nothing in a branch can add markup or links to the comment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mkdocs_mlplugin.checks.compare import percent
from mkdocs_mlplugin.facts.compare import Side
from mkdocs_mlplugin.render import Code, Empty, Value, human_size
from mkdocs_mlplugin.render.markdown import MARKDOWN, code, escape

#: the comment's first line: a reader (or a script) knows the comment by it
MARKER = "<!-- mkdocs-ml report -->"


def markdown(report: dict[str, Any]) -> str:
    """REPORT as a Markdown comment: pipeline, metrics, params, outputs, docs."""
    base, head = report["base"], report["head"]
    base_label = _side(base["ref"], base["commit"])
    lines = [MARKER, "## ML report", ""]
    at = f" at {code(head['commit'][:7])}" if head["commit"] else ""
    dirty = " (with uncommitted changes)" if head["dirty"] else ""
    lines.append(
        f"Base {code(base['ref'])}: {escape(base['is'])}, commit {code((base['commit'] or '')[:7])}. "
        f"Head: the work tree{at}{dirty}."
    )
    lines += ["", "### Pipeline", "", *_pipeline(report["pipeline"])]
    lines += ["", "### Metrics", ""]
    notes = report["notes"]
    unread = "No metrics could be read:"
    lines += _diff(report["metrics"], "Metric", base_label, "No metrics.", unread, notes["metrics"])
    lines += ["", "### Params", ""]
    unread = "No params changed among those read; not read:"
    lines += _diff(
        report["params"], "Param", base_label, "No params changed.", unread, notes["params"]
    )
    lines += ["", "### Outputs", ""]
    lines += _outputs(report["outputs"])
    lines += ["", "### Docs", "", *_findings(report)]
    return "\n".join(lines) + "\n"


def _side(ref: str, commit: str | None) -> str:
    """As the comparison blocks head a column (``facts.compare.Side.label``)."""
    return Side(ref, commit, "").label


def _pipeline(stages: list[dict[str, Any]]) -> list[str]:
    if not stages:
        return ["The DVC project has no stages."]
    states = [s["state"] for s in stages]
    counts = ", ".join(f"{states.count(k)} {k}" for k in dict.fromkeys(states))
    rows = [
        (
            Code(s["stage"]),
            s["state"] + (" (frozen)" if s["frozen"] else ""),
            "; ".join(s["reasons"]),
        )
        for s in stages
        if s["state"] != "current"
    ]
    summary = f"{len(stages)} stage{'s' if len(stages) != 1 else ''}: {counts}."
    if not rows:
        return [escape(summary)]
    return [escape(summary), "", *MARKDOWN.table(("Stage", "State", "Why"), rows, "")]


def _diff(
    rows: list[dict[str, Any]], key: str, base: str, empty: str, unread: str, notes: list[str]
) -> list[str]:
    """The table of ROWS (or EMPTY, or UNREAD when NOTES say what could not be read at either
    side), then the NOTES."""
    said = [f"- {escape(note)}" for note in notes]
    if not rows:
        return [escape(unread), "", *said] if said else [escape(empty)]
    body = [
        (
            Code(r["file"]),
            Code(r["key"]),
            _value(r["old"], r["file"], base),
            _value(r["new"], r["file"], "the work tree"),
            r.get("change", ""),
            "" if r.get("relative") is None else _percent(r["relative"]),
        )
        for r in rows
    ]
    headers = ("File", key, base, "workspace", "Change", "Change (%)")
    return [*MARKDOWN.table(headers, body, ""), *([""] if said else []), *said]


def _value(value: Any, file: str, where: str) -> Any:
    return Empty(f"not in {file} at {where}") if value is None else Value(value)


def _percent(relative: float) -> str:
    """As a page's comparison shows it (``compare.percent``)."""
    return percent(Decimal(repr(relative)))


def _outputs(outputs: list[dict[str, Any]]) -> list[str]:
    if not outputs:
        return ["No output's recorded hash changed."]
    rows = [
        (
            Code(o["path"]),
            o["artifact"] or "",
            Code((o["old_md5"] or "")[:8]) if o["old_md5"] else "new",
            Code((o["new_md5"] or "")[:8]) if o["new_md5"] else "removed",
            _size(o["old_size"], o["new_size"]),
        )
        for o in outputs
    ]
    return MARKDOWN.table(("Output", "Artifact", "Base md5", "New md5", "Size"), rows, "")


def _size(old: int | None, new: int | None) -> str:
    if new is None:
        return human_size(old) if old is not None else ""
    if old is None or old == new:
        return human_size(new)
    change = new - old
    sign = "+" if change > 0 else "-"
    return f"{human_size(old)} -> {human_size(new)} ({sign}{human_size(abs(change))})"


def _findings(report: dict[str, Any]) -> list[str]:
    errors, warnings = report["errors"], report["warnings"]
    if not report["findings"]:
        return ["No errors or warnings."]
    head = f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}:"
    lines = [escape(head), ""]
    for f in report["findings"]:
        where = f["file"] + (f":{f['line']}" if f.get("line") else "") if f.get("file") else ""
        place = f" {code(where)}" if where else ""
        lines.append(
            f"- **{escape(f['severity'])}**{place} {escape(f['message'])} {code(f['kind'])}"
        )
    return lines
