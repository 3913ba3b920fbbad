"""Record pages: decision records, tech-debt records, runbooks and datasheets.

A page is a record when its front matter says which kind, ``ml: {record: KIND}``; ``RECORDS``
is the table of kinds: each kind's front matter fields (name, expected shape, whether
required), the sections its Markdown must have (each present and not empty), and what its
``ml:`` binding must name. The fields are top-level front matter keys, as a model card's
Hugging Face metadata are (and as MADR writes a decision's ``status``, ``date`` and
``deciders``); long text lives in the page's sections.

``check_fields`` checks a record's front matter (a ``record_schema`` finding with the key and
its line), ``check_sections`` its sections (``record_section``), ``review_due`` its review
date and a model card's. Pure: front matter and text in, findings out.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Mapping, Sequence
from typing import Any

from mkdocs_mlplugin.checks import cards
from mkdocs_mlplugin.findings import Finding, Where, did_you_mean, visible

DECISION, DEBT, RUNBOOK, DATASHEET = "decision", "debt", "runbook", "datasheet"

#: The sections of "Datasheets for Datasets" (Gebru et al., 2021), one per group of questions.
GEBRU = (
    "Motivation",
    "Composition",
    "Collection",
    "Preprocessing",
    "Uses",
    "Distribution",
    "Maintenance",
)
#: presets a kind's sections may be set to (the ``record_sections`` option)
SECTION_PRESETS: dict[str, tuple[str, ...]] = {"gebru": GEBRU}

#: the targets a link names (``links:`` and Markdown links): ``scheme:what``
LINK_SCHEMES = ("commit", "artifact", "stage", "data", "experiment")

# --------------------------------------------------------------------------- shapes

DATE = "a date (YYYY-MM-DD)"
STRING = "a string"
STRINGS = "a string or a list of strings"
SCALAR = "a string or a number"
PAGES = "a page (its path from this page, as a Markdown link names it) or a list of them"
LINKS = (
    "a list of links, each a target (commit:SHA, artifact:NAME@VERSION, stage:NAME, "
    "data:PATH, experiment:NAME, or a URL) or a mapping of a title to one"
)


@dataclasses.dataclass(frozen=True)
class Field:
    """A front matter field of a record: its NAME (the top-level key), its SHAPE (how the
    README and findings say it), whether it is REQUIRED, the CHOICES it takes (a list of
    them when MANY), and what it means."""

    name: str
    shape: str
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    many: bool = False

    def says(self) -> str:
        """The expected shape, as a finding says it."""
        if not self.choices:
            return self.shape
        listed = ", ".join(self.choices)
        return f"one or a list of {listed}" if self.many else f"one of {listed}"


@dataclasses.dataclass(frozen=True)
class RecordKind:
    """A kind of record: its NAME (``ml: {record: NAME}``), its TITLE, its FIELDS, the
    SECTIONS it must have by default, what its ``ml:`` must bind (BINDS: None, or the keys
    of which one is required), and whether it DOCUMENTS what it is bound to (then it is
    checked for doc drift as a model card is: a datasheet goes stale when its data changes;
    a decision about a model does not)."""

    name: str
    title: str
    fields: tuple[Field, ...]
    sections: tuple[str, ...]
    binds: tuple[str, ...] | None = None
    documents: bool = False

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


#: Fields any record (and a model card) may have.
REVIEW_FIELDS = (
    Field("review_by", DATE, False, "the date by which the page must be reviewed again"),
    Field(
        "reviewed",
        DATE,
        False,
        "when the page was last reviewed; due again after the 'review_interval' option",
    ),
)
COMMON_FIELDS = (
    Field("links", LINKS, False, "what the record is about, each link checked and rendered"),
    *REVIEW_FIELDS,
)

DECISION_STATUS = ("proposed", "accepted", "rejected", "superseded", "deprecated")
DEBT_STATUS = ("open", "in-progress", "resolved", "wont-fix")
PRIORITIES = ("critical", "high", "medium", "low")
IMPACTS = ("performance", "cost", "scalability", "velocity", "reliability", "correctness")

#: Every kind of record: name -> fields, required sections, binding.
RECORDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        RecordKind(
            DECISION,
            "Decision record",
            (
                Field("status", STRING, True, "where the decision stands", DECISION_STATUS),
                Field("date", DATE, True, "when it was last decided or changed"),
                Field("deciders", STRINGS, True, "who decided"),
                Field("supersedes", PAGES, False, "the decision records this one replaces"),
                Field("superseded_by", PAGES, False, "the decision record that replaces this"),
                *COMMON_FIELDS,
            ),
            ("Context", "Options Considered", "Decision", "Consequences"),
        ),
        RecordKind(
            DEBT,
            "Tech-debt record",
            (
                Field("status", STRING, True, "where the debt stands", DEBT_STATUS),
                Field("priority", STRING, True, "how urgent paying it back is", PRIORITIES),
                Field("impact", STRINGS, True, "what the debt costs", IMPACTS, many=True),
                Field("effort", SCALAR, True, "what the remediation costs (e.g. '3 days')"),
                Field("owner", STRING, True, "who answers for it"),
                Field("date", DATE, False, "when the debt was taken on"),
                *COMMON_FIELDS,
            ),
            ("Debt", "Impact", "Rationale", "Remediation"),
        ),
        RecordKind(
            RUNBOOK,
            "Runbook",
            (
                Field("alerts", STRINGS, True, "the alerts or symptoms it answers"),
                Field("owner", STRING, True, "who answers for it"),
                Field("service", STRING, False, "the service it covers (a stage or model: ml:)"),
                *COMMON_FIELDS,
            ),
            ("Symptoms", "Steps"),
        ),
        RecordKind(
            DATASHEET,
            "Datasheet",
            (
                Field("owner", STRING, False, "who maintains the dataset"),
                *COMMON_FIELDS,
            ),
            GEBRU,
            binds=("artifact", "data"),
            documents=True,
        ),
    )
}


def record_kind(meta: Mapping[str, Any]) -> str | None:
    """The kind of record a page's front matter META declares (``ml: {record: KIND}``), as
    written (a kind ``RECORDS`` does not know is the binding's finding); None for no record."""
    binding = meta.get("ml")
    kind = binding.get("record") if isinstance(binding, dict) else None
    return None if kind is None else str(kind)


# --------------------------------------------------------------------------- fields


def as_date(value: Any) -> datetime.date | None:
    """VALUE as a date: a date YAML read (``2024-03-01``), or a string in ISO 8601
    (``'2024-03-01'``); None for anything else."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _is_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def strings(value: Any) -> list[str]:
    """A field of shape STRINGS as a list (a string is a list of one)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def link_targets(value: Any) -> list[tuple[str | None, Any]]:
    """(title, target) of each link of ``links:`` (a target alone has no title)."""
    found: list[tuple[str | None, Any]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and len(item) == 1:
            title, target = next(iter(item.items()))
            found.append((str(title), target))
        else:
            found.append((None, item))
    return found


def _problem(field: Field, value: Any) -> str | None:
    """What is wrong with VALUE for FIELD, or None."""
    shape = field.shape
    if shape == DATE:
        ok = as_date(value) is not None
    elif shape == STRING:
        ok = _is_string(value)
    elif shape == STRINGS:
        ok = _is_string(value) or (
            isinstance(value, list) and bool(value) and all(_is_string(v) for v in value)
        )
    elif shape == SCALAR:
        ok = _is_string(value) or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        )
    elif shape == PAGES:
        ok = _is_string(value) or (isinstance(value, list) and all(_is_string(v) for v in value))
    else:  # LINKS
        ok = isinstance(value, list) and all(
            _is_string(target) for _title, target in link_targets(value)
        )
    if not ok:
        return f"must be {field.says()}, not {_shown(value)}."
    for chosen in strings(value) if field.choices else ():
        if chosen not in field.choices:
            hint = did_you_mean(chosen, field.choices)
            return f"must be {field.says()}, not '{visible(chosen)}'.{hint}"
    return None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return "an empty string" if not value.strip() else f"'{visible(value)}'"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an empty list" if not value else "a list with other values"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def check_fields(
    kind: RecordKind,
    meta: Mapping[str, Any],
    at: Where,
    page: tuple[str, int | None],
) -> list[Finding]:
    """The front matter META of a record of KIND: each field of the expected shape (a
    ``record_schema`` finding where AT says the field is written), each required one there
    (at PAGE: the page and the line of its ``ml:``), a key that looks like a misspelt field,
    and the binding the kind needs."""
    findings: list[Finding] = []
    what = f"a {kind.title.lower()}"

    def add(message: str, where: tuple[str, int | None]) -> None:
        findings.append(Finding("record_schema", message, *where))

    for field in kind.fields:
        if field.name not in meta:
            if field.required:
                add(
                    f"{what} needs front matter '{field.name}:' ({field.description}): "
                    f"{field.says()}.",
                    page,
                )
            continue
        problem = _problem(field, meta[field.name])
        if problem:
            add(f"front matter '{field.name}' {problem}", at(field.name))
    names = [f.name for f in kind.fields]
    for key in meta:
        key = str(key)
        if key in names or key == "ml":
            continue
        close = did_you_mean(key, names)
        if close:
            add(f"front matter '{visible(key)}' is no field of {what}.{close}", at(key))
    binding = meta.get("ml")
    if kind.binds and isinstance(binding, dict) and not any(k in binding for k in kind.binds):
        keys = " or ".join(f"'{k}:'" for k in kind.binds)
        add(f"{what} is bound to what it documents: add {keys} under 'ml:'.", at("ml"))
    if (
        kind.name == DECISION
        and meta.get("status") == "superseded"
        and not meta.get("superseded_by")
    ):
        add(
            f"{what} with status superseded names the record that replaces it: add "
            "'superseded_by:'.",
            at("status"),
        )
    if (
        kind.name == DECISION
        and meta.get("superseded_by")
        and meta.get("status") in ("proposed", "accepted")
    ):
        add(
            f"{what} with 'superseded_by:' no longer holds: its status is superseded (or "
            f"deprecated), not {meta['status']}.",
            at("status"),
        )
    return findings


# --------------------------------------------------------------------------- sections


def sections_of(kind: RecordKind, configured: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The sections a record of KIND must have: the ``record_sections`` option's (CONFIGURED:
    kind -> a preset's name or a list of titles) or the kind's own."""
    chosen = (configured or {}).get(kind.name)
    if chosen is None:
        return kind.sections
    if isinstance(chosen, str):
        return SECTION_PRESETS[chosen]
    return tuple(str(title) for title in chosen)


def check_sections(
    kind: RecordKind, markdown: str, first_line: int, required: Sequence[str], src: str
) -> list[Finding]:
    """Missing, empty and repeated required sections of a record (``record_section``)."""
    return cards.check_sections(
        markdown,
        first_line,
        tuple(required),
        src,
        kind="record_section",
        what=kind.title.lower(),
        option="record_sections",
    )


def validate_sections(value: object) -> str | None:
    """What is wrong with the ``record_sections`` option's VALUE (kind -> a preset's name or
    a list of section titles), or None."""
    if not isinstance(value, dict):
        return "record_sections must be a mapping of a kind of record to its sections."
    for kind, titles in value.items():
        if kind not in RECORDS:
            hint = did_you_mean(str(kind), RECORDS)
            return f"record_sections: no kind of record '{visible(kind)}'.{hint} Kinds: " + (
                ", ".join(RECORDS) + "."
            )
        if isinstance(titles, str) and titles in SECTION_PRESETS:
            continue
        if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
            presets = " or ".join(SECTION_PRESETS)
            return (
                f"record_sections: {kind} must be a list of section titles (or {presets}), "
                f"not {_shown(titles)}."
            )
    return None


# --------------------------------------------------------------------------- review dates


def today(environ: Mapping[str, str] = os.environ) -> datetime.date:
    """The date reviews are due against: the UTC date of SOURCE_DATE_EPOCH when it is set
    (the reproducible-builds convention: a rebuild of the same sources says the same), else
    of now."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        try:
            return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
        except (OverflowError, OSError, ValueError):
            pass  # past the dates a computer can hold: the clock's
    return datetime.datetime.now(datetime.UTC).date()


def due_date(meta: Mapping[str, Any], interval: int | None) -> tuple[datetime.date, str] | None:
    """When the page whose front matter is META must be reviewed, and which key says so:
    ``review_by:``, else ``reviewed:`` plus INTERVAL days (the ``review_interval`` option);
    None when neither says."""
    review_by = as_date(meta.get("review_by"))
    if review_by is not None:
        return review_by, "review_by"
    reviewed = as_date(meta.get("reviewed"))
    if reviewed is not None and interval:
        return reviewed + datetime.timedelta(days=interval), "reviewed"
    return None


def check_review_fields(meta: Mapping[str, Any], at: Where) -> list[Finding]:
    """The review dates of a page that is no record (a model card): a ``record_schema``
    finding for one of the wrong shape (a record's are checked with its other fields)."""
    findings = []
    for field in REVIEW_FIELDS:
        problem = _problem(field, meta[field.name]) if field.name in meta else None
        if problem:
            message = f"front matter '{field.name}' {problem}"
            findings.append(Finding("record_schema", message, *at(field.name)))
    return findings


def review_due(
    meta: Mapping[str, Any],
    at: Where,
    interval: int | None,
    on: datetime.date,
) -> list[Finding]:
    """A ``review_due`` finding when the page's review date (``due_date``) is before ON."""
    findings: list[Finding] = []
    due = due_date(meta, interval)
    if due is None or due[0] >= on:
        return findings
    date, key = due
    said = (
        f"'review_by: {date.isoformat()}'"
        if key == "review_by"
        else f"'reviewed: {as_date(meta['reviewed'])}' and review_interval {interval} days"
    )
    findings.append(
        Finding(
            "review_due",
            f"the page was due for review on {date.isoformat()} ({said}): review it, then set "
            f"a new date.",
            *at(key),
        )
    )
    return findings


def reviewable(meta: Mapping[str, Any], is_card: bool) -> bool:
    """Whether a page's review dates are checked: a record's or a model card's."""
    return is_card or record_kind(meta) is not None
