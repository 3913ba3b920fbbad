"""Findings: what the plugin has to say about a page or a project file, as plain data.

A finding is collected (``Findings``) wherever a problem is noticed; the build decides once,
at its end (``Findings.graded``), which findings are errors (the build fails), warnings
(``--strict`` fails), or information, and ``log_findings`` reports them. Every finding names
the file and, where there is one, the line.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from mkdocs.plugins import get_plugin_logger

SEVERITIES = ("error", "warn", "info", "ignore")
#: where a front matter key is written, as (file, line): the page's, or a meta file's that
#: gave the page the key (``facts.metafiles.Front.at``)
Where = Callable[[str], tuple[str, int | None]]


def where_in(src: str, lines: Mapping[str, int]) -> Where:
    """Where each front matter key of the page SRC is written, from LINES (key -> line)."""
    return lambda key: (src, lines.get(key.partition(".")[0]))


class Kind(NamedTuple):
    """A kind of finding: its name (the option under ``checks:`` and the ``[kind]`` of every
    message), the severity it has unless ``checks:`` says otherwise, and what it means."""

    name: str
    severity: str
    description: str


#: Every kind of finding, in the order the README's ``checks:`` list and the config have them.
#: Adding a kind is adding a line here (and the README line the test of kinds prints).
KINDS: tuple[Kind, ...] = (
    Kind("missing_reference", "error", "unknown stage, artifact, out, param, metric or path"),
    Kind("malformed_reference", "error", "a reference or an 'ml:' binding that cannot be read"),
    Kind(
        "invalid_project_file",
        "error",
        "dvc.yaml, dvc.lock, a .dvc, params, metrics or GTO's artifacts.yaml file is broken",
    ),
    Kind(
        "missing_value",
        "warn",
        "known, but no value here: stage never run, metrics not pulled, no commit",
    ),
    Kind(
        "git_history",
        "warn",
        "no git repository, shallow or partial clone, git missing, an old DVC file unreadable",
    ),
    Kind("uncommitted_page", "info", "a page with no commit yet, so no dates"),
    Kind("stale_pipeline", "error", "a stage changed since dvc.lock was written: run dvc repro"),
    Kind("orphan_lock_entry", "info", "dvc.lock has an entry for a stage dvc.yaml no longer has"),
    Kind("unverifiable_stage", "info", "a stage only absent data could check"),
    Kind("stale_doc", "error", "a bound page is older than the change to what it documents"),
    Kind("pinned_behind", "error", "a version, hash or commit a page pins is no longer current"),
    Kind(
        "diagram_too_large",
        "warn",
        "a pipeline diagram over Mermaid's size limits: collapsed or left out",
    ),
    Kind("registry", "warn", "no registry tags in a shallow checkout, or unreadable tags"),
    Kind("card_schema", "error", "a model card's Hugging Face metadata of the wrong shape"),
    Kind(
        "card_section",
        "info",
        "a required model card section missing, empty, repeated or a placeholder (warn to enforce)",
    ),
    Kind(
        "card_metric_mismatch", "error", "a model-index value differs from the DVC metric it names"
    ),
    Kind(
        "record_schema",
        "error",
        "a record's front matter (decision, debt, runbook, datasheet) of the wrong shape",
    ),
    Kind(
        "record_section",
        "warn",
        "a required record section missing, empty or repeated (record_sections)",
    ),
    Kind("review_due", "warn", "a record or model card past its review date (review_by)"),
    Kind(
        "broken_link",
        "error",
        "a commit:, artifact:, stage:, data: or experiment: link that does not resolve",
    ),
    Kind(
        "superseded_link",
        "warn",
        "a record links a model version since superseded or deprecated: review it",
    ),
    Kind(
        "unsafe_value",
        "error",
        "a value left out of raw HTML: a javascript: (or other unsafe) URL, an event handler",
    ),
    Kind(
        "missing_document",
        "error",
        "require: a model card, datasheet, stage page or record the standard asks for is missing",
    ),
    Kind(
        "undocumented_change",
        "error",
        "check --since: code a page documents changed since the base, the page did not",
    ),
)

KIND_NAMES = frozenset(kind.name for kind in KINDS)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem, in a file, at a line."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    # what this follows from, when something else is the root cause: "file:PATH" (a project
    # file that cannot be read) or "binding:PAGE" (a page's 'ml:' binding); reported with the
    # root's finding instead of on its own
    cause: str | None = dataclasses.field(default=None, compare=False)
    # the other places the finding is about, (file, line) as FILE and LINE: the changed files
    # a page should have followed; ``--format github`` annotates each of them too
    also: tuple[tuple[str, int | None], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KIND_NAMES:
            raise ValueError(f"unknown kind of finding: {self.kind!r}")

    def where(self) -> str:
        """``file:line``, ``file`` or an empty string."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def line_text(self) -> str:
        """``FILE:LINE: message [kind]``, as logged and printed (before ``visible``)."""
        where = self.where()
        return f"{where + ': ' if where else ''}{self.message} [{self.kind}]"

    def as_dict(self, severity: str) -> dict[str, object]:
        """The finding as it appears in the manifest (and, with the places it is also about,
        in ``mkdocs-ml check --format json``)."""
        shown: dict[str, object] = {
            "severity": severity,
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }
        if self.also:
            shown["also"] = [{"file": file, "line": line} for file, line in self.also]
        return shown


class Findings(list[Finding]):
    """The findings of one build, in the order they were noticed, and which finding is the
    root cause of what (``Finding.cause``): a list, so that what a page or a check hands
    back is added with ``extend``."""

    def __init__(self) -> None:
        super().__init__()
        self.roots: dict[str, Finding] = {}  # cause -> its finding

    def add(self, finding: Finding, root: str | None = None) -> None:
        """Collect FINDING; ROOT names what it is the root cause of (see Finding.cause)."""
        self.append(finding)
        if root is not None:
            self.roots.setdefault(root, finding)

    def graded(self, severities: Mapping[str, Any]) -> list[tuple[Finding, str]]:
        """Every finding once, with its severity (SEVERITIES: kind -> severity, the
        ``checks:`` option; "error" for a kind not there); ignored ones left out. A finding
        that follows from another one that is reported (a reference to a stage of a dvc.yaml
        that cannot be read) is not listed: its root says how many references it blocked."""
        findings = list(dict.fromkeys(self))
        graded = {f: str(severities.get(f.kind, "error")) for f in findings}
        blocked: dict[Finding, list[Finding]] = {}
        for finding in findings:
            root = self._root(finding)
            if root is not None and graded.get(root, "ignore") != "ignore":
                blocked.setdefault(root, []).append(finding)
        consequences = {f for fs in blocked.values() for f in fs}
        return [
            (_blocking(f, blocked[f]) if f in blocked else f, s)
            for f, s in graded.items()
            if s != "ignore" and f not in consequences
        ]

    def _root(self, finding: Finding) -> Finding | None:
        """The reported finding FINDING follows from, through causes of causes."""
        root, seen = None, set()
        while finding.cause is not None and finding.cause not in seen:
            seen.add(finding.cause)
            cause = self.roots.get(finding.cause)
            if cause is None or cause is finding:
                break
            root = finding = cause
        return root


def _blocking(root: Finding, consequences: list[Finding]) -> Finding:
    """ROOT, its message saying how many references on which pages it blocked."""
    pages = sorted({f.file for f in consequences if f.file})
    n = len(consequences)
    where = (
        "on this page"
        if pages == [root.file]
        else f"on {len(pages)} page{'s' if len(pages) != 1 else ''} ({', '.join(pages[:5])}"
        + (", ..." if len(pages) > 5 else "")
        + ")"
    )
    blocks = f"It blocks {n} reference{'s' if n != 1 else ''} {where}, not listed on their own."
    return dataclasses.replace(root, message=f"{root.message} {blocks}")


def log_findings(
    graded: list[tuple[Finding, str]], pages: list[dict[str, Any]], started: float
) -> int:
    """Log every finding of GRADED once, at its severity, and a summary of the build (PAGES:
    the manifest's page rows; STARTED: when the build started, ``time.monotonic``); return
    how many are errors."""
    errors = 0
    for finding, severity in graded:
        message = finding.line_text()
        if severity == "error":
            errors += 1
            log.error(message)
        elif severity == "warn":
            log.warning(message)
        elif severity == "info":
            log.info(message)
    resolved = sum(
        1 for p in pages for r in p["references"] if r["value"] is not None or r.get("block")
    )
    log.info(
        "%d references resolved on %d pages, %d findings (%d errors) in %.2f s",
        resolved,
        len(pages),
        len(graded),
        errors,
        time.monotonic() - started,
    )
    return errors


class FindingError(Exception):
    """An exception that carries a Finding: raised where a problem about one file is noticed,
    caught where the finding is collected (``.finding``)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A " Did you mean 'x'?" suffix when a candidate is close, else an empty string."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


# What a log line or a terminal must not get raw: the backslash (it starts what stands for the
# others), C0 and C1 controls and DEL (line breaks, ESC sequences, BEL), the line and paragraph
# separators, the bidirectional controls (text that reads in another order than it runs) and
# lone surrogates (no encoding can write them).
_INVISIBLE = re.compile(
    "[\\\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def visible(value: object) -> str:
    """VALUE as one line of a log or a terminal, every character readable: a line break is
    written ``\\n``, ESC ``\\x1b``, U+2028 ``\\u2028``, a backslash ``\\\\``, the way Python
    writes them in a string, so the original can be read back exactly. Every log record of the
    plugin and every line ``mkdocs-ml check`` prints goes through it: repository data (a file
    name, a params key, a commit message) cannot start a line of its own, move the cursor or
    turn text around."""
    return _INVISIBLE.sub(_shown, str(value))


class VisibleFilter(logging.Filter):
    """Makes every record of the logger it is added to one line of visible characters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = visible(record.getMessage()), None
        return True


log = get_plugin_logger("mlplugin")  # logs as mkdocs.plugins.mlplugin
log.logger.addFilter(VisibleFilter())  # every record on one line, controls made visible
