"""The registers of record pages: the decision log, the tech-debt register and the runbook
index, generated pages like the model registry.

Where this sits: every record page's front matter, read before the pages are built
(``Build.records``) → **a register** (Markdown with HTML tables) → MkDocs renders it as any
other page. Pure: each function turns the records into the page's text.
"""

from __future__ import annotations

import dataclasses
import datetime
import posixpath
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks import records


@dataclasses.dataclass(frozen=True)
class Record:
    """A record page as the registers and the manifest see it: its page (``src_uri``), the
    path findings name it by (SRC), its kind, title and front matter."""

    src_uri: str
    src: str
    kind: str
    title: str
    meta: dict[str, Any]

    def field(self, name: str) -> Any:
        return self.meta.get(name)

    def date(self, name: str = "date") -> datetime.date | None:
        return records.as_date(self.meta.get(name))

    def binding(self) -> dict[str, Any]:
        ml = self.meta.get("ml")
        return ml if isinstance(ml, dict) else {}

    def concerns(self) -> list[str]:
        """What the record is bound to: ``artifact NAME``, ``stage NAME``, ``data PATH``."""
        ml = self.binding()
        return [f"{k} {ml[k]}" for k in ("artifact", "stage", "data") if ml.get(k) is not None]

    def pages(self, key: str) -> list[str]:
        """The pages (``src_uri``) the field KEY names, each a path from this page."""
        here = posixpath.dirname(self.src_uri)
        return [
            posixpath.normpath(posixpath.join(here, p)).lstrip("/")
            for p in records.strings(self.meta.get(key))
        ]

    def as_dict(self) -> dict[str, Any]:
        """The record as the manifest lists it: page, kind, title, its fields, its binding."""
        kind = records.RECORDS[self.kind]
        fields = {f.name: _json(self.meta[f.name]) for f in kind.fields if f.name in self.meta}
        return {
            "page": self.src,
            "kind": self.kind,
            "title": self.title,
            "ml": _json(self.binding()),
            "fields": fields,
        }


def _json(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


#: a record's page -> its URL from the register
Url = Callable[[str], str | None]


def _link(record: Record, url: Url) -> render.Links:
    return render.Links([(record.title, url(record.src_uri))])


def _none_yet(title: str, kind: str) -> list[str]:
    return [
        f"# {title}",
        "",
        f"No page is a {records.RECORDS[kind].title.lower()} yet: give one the front matter "
        f"'ml: {{record: {kind}}}'.",
    ]


def _text(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def decision_log(found: Sequence[Record], url: Url) -> str:
    """The decision log: the decisions by status, newest first, and the chains of decisions
    that superseded one another."""
    decisions = [r for r in found if r.kind == records.DECISION]
    if not decisions:
        return "\n".join(_none_yet("Decision log", records.DECISION)) + "\n"
    lines = ["# Decision log", ""]
    by_page = {r.src_uri: r for r in decisions}
    order = ("accepted", "proposed", "superseded", "deprecated", "rejected")
    for status in order:
        these = sorted(
            (r for r in decisions if r.field("status") == status),
            key=lambda r: (r.date() or datetime.date.min, r.title),
            reverse=True,
        )
        if not these:
            continue
        lines += [f"## {status.capitalize()} ({len(these)})", ""]
        rows: list[tuple[object, ...]] = []
        for r in these:
            replaced = [by_page[p] for p in r.pages("supersedes") if p in by_page]
            by = [by_page[p] for p in r.pages("superseded_by") if p in by_page]
            rows.append(
                (
                    render.Date(_text(r.date())),
                    _link(r, url),
                    _text(r.field("deciders")),
                    render.Links([(x.title, url(x.src_uri)) for x in replaced]),
                    render.Links([(x.title, url(x.src_uri)) for x in by]),
                )
            )
        lines += render.table(
            ("Date", "Decision", "Deciders", "Supersedes", "Superseded by"),
            rows,
            f"ml-decision-log ml-decisions-{status}",
        )
        lines.append("")
    chains = superseded_chains(decisions)
    if chains:
        lines += ["## Superseded chains", ""]
        lines.append("Each chain runs from the first decision to the one in force now.")
        lines.append("")
        rows = [
            (
                render.Links([(by_page[p].title, url(p)) for p in chain], " → "),
                _text(by_page[chain[-1]].field("status")),
            )
            for chain in chains
        ]
        lines += render.table(("Chain", "Status of the last"), rows, "ml-decision-chains")
    return "\n".join(lines) + "\n"


def superseded_chains(decisions: Iterable[Record]) -> list[list[str]]:
    """Each chain of decisions that superseded one another, oldest first (pages), from both
    ``supersedes:`` and ``superseded_by:``; a cycle is cut where it closes."""
    by_page = {r.src_uri: r for r in decisions}
    after: dict[str, str] = {}
    for r in by_page.values():
        for newer in r.pages("superseded_by"):
            if newer in by_page:
                after.setdefault(r.src_uri, newer)
        for older in r.pages("supersedes"):
            if older in by_page:
                after.setdefault(older, r.src_uri)
    starts = sorted(set(after) - set(after.values())) or sorted(after)[:1]
    chains = []
    for start in starts:
        chain, seen = [start], {start}
        while chain[-1] in after and after[chain[-1]] not in seen:
            chain.append(after[chain[-1]])
            seen.add(chain[-1])
        chains.append(chain)
    return chains


def debt_register(found: Sequence[Record], url: Url) -> str:
    """The tech-debt register: the open debts by priority, with impact and effort; totals per
    status and per artifact or stage; then the debts paid back or kept."""
    debts = [r for r in found if r.kind == records.DEBT]
    if not debts:
        return "\n".join(_none_yet("Tech-debt register", records.DEBT)) + "\n"
    lines = ["# Tech-debt register", ""]
    rank = {p: n for n, p in enumerate(records.PRIORITIES)}

    def row(r: Record) -> tuple[object, ...]:
        return (
            _text(r.field("priority")),
            _link(r, url),
            _text(r.field("impact")),
            _text(r.field("effort")),
            _text(r.field("owner")),
            _text(r.field("status")),
            ", ".join(r.concerns()),
        )

    headers = ("Priority", "Debt", "Impact", "Effort", "Owner", "Status", "Concerns")
    open_ = [r for r in debts if r.field("status") in ("open", "in-progress")]
    open_.sort(
        key=lambda r: (
            rank.get(str(r.field("priority")), len(rank)),
            r.date() or datetime.date.max,
            r.title,
        )
    )
    lines += [f"## Open ({len(open_)})", ""]
    lines += render.table(headers, [row(r) for r in open_], "ml-debt-open")
    lines += ["", "## Totals", ""]
    statuses = records.DEBT_STATUS
    counts = [(s, sum(1 for r in debts if r.field("status") == s)) for s in statuses]
    lines += render.table(("Status", "Debts"), [(s, n) for s, n in counts], "ml-debt-status")
    concerns = sorted({c for r in debts for c in r.concerns()})
    if concerns:
        lines.append("")
        rows = [
            (
                render.Code(c),
                *(
                    sum(1 for r in debts if c in r.concerns() and r.field("status") == s)
                    for s in statuses
                ),
            )
            for c in concerns
        ]
        lines += render.table(("Concerns", *statuses), rows, "ml-debt-concerns")
    closed = [r for r in debts if r not in open_]
    if closed:
        closed.sort(key=lambda r: r.title)
        lines += ["", f"## Closed ({len(closed)})", ""]
        lines += render.table(headers, [row(r) for r in closed], "ml-debt-closed")
    return "\n".join(lines) + "\n"


def runbook_index(found: Sequence[Record], url: Url) -> str:
    """The runbook index: each alert or symptom, with the runbooks that answer it."""
    runbooks = [r for r in found if r.kind == records.RUNBOOK]
    if not runbooks:
        return "\n".join(_none_yet("Runbooks", records.RUNBOOK)) + "\n"
    alerts = sorted(
        {a for r in runbooks for a in records.strings(r.field("alerts"))}, key=str.lower
    )
    rows = []
    for alert in alerts:
        answering = [r for r in runbooks if alert in records.strings(r.field("alerts"))]
        covers = sorted({c for r in answering for c in (*r.concerns(), *_service(r))})
        rows.append(
            (
                alert,
                render.Links([(r.title, url(r.src_uri)) for r in answering]),
                ", ".join(covers),
                ", ".join(sorted({_text(r.field("owner")) for r in answering})),
            )
        )
    lines = ["# Runbooks", "", "Find the alert that fired, then follow its runbook.", ""]
    lines += render.table(("Alert", "Runbook", "Covers", "Owner"), rows, "ml-runbook-index")
    return "\n".join(lines) + "\n"


def _service(record: Record) -> list[str]:
    service = record.field("service")
    return [f"service {service}"] if isinstance(service, str) else []


#: option -> (the register it generates, its function)
REGISTERS: dict[str, Callable[[Sequence[Record], Url], str]] = {
    "decisions_page": decision_log,
    "debt_page": debt_register,
    "runbooks_page": runbook_index,
}
