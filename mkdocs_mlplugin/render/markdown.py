"""Facts written as plain Markdown, for a Hugging Face Hub README (``hf_export``). Pure.

The site's pages get HTML (``render.HTML``); a Hub README gets what the Hub's Markdown shows
as it is: values as text with Markdown's punctuation backslash-escaped (never HTML character
references), tables as GitHub-flavoured Markdown tables, code-like values as code spans, and no
HTML or admonition syntax at all. Every value is one line: line breaks in it become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mkdocs_mlplugin.render import (
    EMPTY,
    Changed,
    Code,
    Date,
    Empty,
    Writer,
    display,
    printable,
)

# What may act in running text: emphasis, code, links and images, raw HTML and entities,
# tables, strikethrough, math, and the backslash itself.
_ACTIVE = re.compile(r"([\\`*_\[\]<>|~$&])")
# What acts at the start of a line: a heading, a list item, a setext underline, a quote.
_LINE_START = re.compile(r"^([#+=>-]|\d+(?=[.)](?:\s|$)))")
_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def escape(value: object) -> str:
    """VALUE as Markdown text that shows it literally, on one line."""
    line = printable(_BREAKS.sub(" ", display(value)))
    line = _ACTIVE.sub(r"\\\1", line)
    found = _LINE_START.match(line)
    if found is None:
        return line
    if found.group(1).isdigit():  # '1.' or '1)' would start an ordered list
        end = found.end()
        return f"{line[:end]}\\{line[end:]}"
    return "\\" + line


def code(value: object) -> str:
    """VALUE as a code span in a table cell: fenced by more backticks than it holds, its '|'
    escaped (in a table, GitHub-flavoured Markdown reads '\\|' in code as '|')."""
    body = printable(_BREAKS.sub(" ", display(value))).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def cell(value: object) -> str:
    if isinstance(value, Code):
        return code(value.value)
    if isinstance(value, Empty):
        return EMPTY
    if isinstance(value, Changed):
        return f"{cell(value.value)} ({escape(value.change)})"
    if isinstance(value, Date):
        return escape(value.value)
    return escape(value)


class Markdown(Writer):
    """The plain Markdown writer: what the Hub README of a model card is written with."""

    def inline(self, value: object, label: str) -> str:
        return EMPTY if isinstance(value, Empty) else escape(value)

    def missing(self, label: str, reason: str) -> str:
        return f"\u26a0 {escape(label)} ({escape(reason)})"

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[object]], css: str
    ) -> list[str]:
        lines = [_row(escape(h) for h in headers), _row("---" for _ in headers)]
        body = [_row(cell(c) for c in row) for row in rows]
        return lines + (body or [_row(["none", *([""] * (len(headers) - 1))])])

    def grouped_table(
        self,
        headers: Sequence[str],
        groups: Iterable[tuple[Sequence[object], Iterable[Sequence[object]]]],
        css: str,
        group: str,
    ) -> list[str]:
        # a Markdown table cannot group rows: each row repeats its group's heading, in a
        # first column named GROUP
        def first(heading: Sequence[object]) -> object:
            if len(heading) == 1:
                return heading[0]
            return " \u00b7 ".join(display(c.value if isinstance(c, Code) else c) for c in heading)

        return self.table(
            (group, *headers), [(first(h), *row) for h, rows in groups for row in rows], css
        )

    def box(self, title: str, rows: Iterable[tuple[str, object]], css: str) -> list[str]:
        return [f"**{escape(title)}**", "", *self.table(("Fact", "Value"), rows, css)]

    def note(self, message: str) -> str:
        # a paragraph of its own: a line right after a table would be read as one more row
        return "\n" + escape(message)

    def diagram_key(
        self,
        classes: Sequence[str],
        links: Sequence[tuple[str, str]],
        reasons: Sequence[tuple[str, str, Sequence[str]]] = (),
    ) -> list[str]:
        from mkdocs_mlplugin.render.mermaid import STATE_CLASSES  # as the HTML writer's

        # the links lead to pages of the docs site, which a Hub README does not sit beside
        if not classes:
            return []
        legend = "Legend: " + ", ".join(STATE_CLASSES[c][0] for c in classes) + "."
        why = [f"{name} is {state}: {'; '.join(said)}." for name, state, said in reasons]
        return [escape(" ".join([legend, *why]))]


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


MARKDOWN = Markdown()
