"""Findings: what the plugin has to say about a page or a project file, as plain data.

A finding is collected wherever a problem is noticed; the plugin decides once, at the end of
the build, which findings are errors (the build fails), warnings (``--strict`` fails), or
information. Every finding names the file and, where there is one, the line.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
from collections.abc import Iterable

SEVERITIES = ("error", "warn", "info", "ignore")

#: The kinds of finding and the severity each has unless ``checks:`` says otherwise.
DEFAULT_SEVERITY: dict[str, str] = {
    # A reference names a stage, artifact, out, param or metric that does not exist.
    "missing_reference": "error",
    # A reference cannot be parsed, or a front matter binding has the wrong shape.
    "malformed_reference": "error",
    # dvc.yaml, dvc.lock, a .dvc file, a params or metrics file cannot be read.
    "invalid_project_file": "error",
    # The thing exists but its value is not available here (never run, file not in workspace).
    "missing_value": "warn",
    # git history is incomplete or unavailable, so per-page dates are unknown.
    "git_history": "warn",
    # A page is not committed yet, so it has no git dates.
    "uncommitted_page": "info",
    # A stage whose command, params or deps changed since dvc.lock was written.
    "stale_pipeline": "error",
    # dvc.lock has an entry for a stage dvc.yaml no longer defines (DVC ignores it too).
    "orphan_lock_entry": "info",
    # A stage whose state only absent data could tell.
    "unverifiable_stage": "info",
    # A page documents an artifact or stage that changed after the page was last edited.
    "stale_doc": "error",
    # A page pins a version, hash or commit of what it documents, and the current one differs.
    "pinned_behind": "error",
    # A model card's front matter does not follow the Hugging Face model-card metadata.
    "card_schema": "error",
    # A model card's model-index value differs from the DVC metric it names.
    "card_metric_mismatch": "error",
    # A model card lacks a required section, has an empty one, or repeats one.
    "card_section": "info",
    # Registry tags are missing from a shallow checkout, or cannot be read.
    "registry": "warn",
    # A pipeline diagram is over Mermaid's size limits and had to be collapsed or left out.
    "diagram_too_large": "warn",
    # A value refused inside raw HTML: a URL with an unsafe scheme, an event handler, srcdoc.
    "unsafe_value": "error",
}


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
        """The finding as it appears in the manifest."""
        return {
            "severity": severity,
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }


class MLPluginError(Exception):
    """Raised inside the plugin for a problem that is a finding about one file."""

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
