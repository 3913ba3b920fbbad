"""Rendering resolved facts as Markdown-safe HTML. Pure functions only.

Every value that comes from the repository (names, paths, commands, params, commit messages)
goes through ``text`` (for Markdown and HTML) or ``mermaid.mermaid_label`` (for Mermaid) before
it lands in a page, so that it is always shown as text and never read as markup. The pipeline
diagram is drawn by ``render.mermaid`` from the graph ``render.graph`` builds.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

# What text() writes as a character reference: everything but ASCII letters, digits, space and
# , ; ? % (letters and digits of other scripts are kept by _reference), plus the '.' that is not
# between two digits and the '-' next to another '-' (ellipses, dashes, www. links otherwise).
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 ,;?%.-]|(?<![0-9])\.|\.(?![0-9])|-(?=-)|(?<=-)-")
# What attribute() writes as a character reference: HTML's specials, and what Markdown reads
# before it sets a raw tag aside (code, math, escapes, keys, links, autolinks, table cells,
# CriticMarkup), and line breaks.
_NOT_ATTRIBUTE = re.compile("[`$\\\\+\\[\\]<>&\"'|{}\x00-\x1f\x7f]")
# Controls other than tab and line feed, C1 controls, lone surrogates, noncharacters.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(17))
    + "]"
)


def text(value: object) -> str:
    """VALUE as text that Markdown and HTML both show literally.

    Letters, digits, spaces, ``, ; ? %``, a lone ``-`` and a ``.`` between digits stay as they
    are; every other character becomes a numeric character reference, which Python-Markdown
    passes through untouched and browsers show as the character itself. So ``*``, ``_``,
    ``|``, backticks, ``<``, ``{``, ``--`` and ``...`` never act, whatever extensions run.
    """
    return _NOT_PLAIN.sub(_reference, printable(value))


def attribute(value: object) -> str:
    """VALUE for an attribute of a raw HTML tag in Markdown: Python-Markdown sets the whole tag
    aside before emphasis, typography and autolinks run, so fewer characters need escaping."""
    return _NOT_ATTRIBUTE.sub(lambda m: f"&#{ord(m.group(0))};", printable(value))


def _reference(match: re.Match[str]) -> str:
    ch = match.group(0)
    return ch if ch.isalnum() else f"&#{ord(ch)};"


def printable(value: object) -> str:
    """VALUE as displayed, with characters HTML cannot carry as text (controls other than tab
    and line break, noncharacters, lone surrogates) shown as U+FFFD."""
    return _UNPRINTABLE.sub("\ufffd", display(value))


def display(value: object) -> str:
    """How a fact reads on a page: numbers as Python writes them, lists comma-separated,
    mappings as compact JSON, booleans as yes/no; a Value as its file wrote it (literal)."""
    if isinstance(value, Value):
        return literal(value.value)
    if value is None:
        return ""
    if isinstance(value, Empty):
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(json_keys(value), sort_keys=True, default=str, allow_nan=True)
    return str(value)


def json_keys(value: Any) -> Any:
    """VALUE with every mapping key as the text JSON writes for it (``1``, ``true``, ``null``;
    a date as ISO text), so that mappings whose keys mix types, or hold dates as YAML reads
    ``2024-01-01:``, can be written and sorted."""
    if isinstance(value, dict):
        return {_json_key(k): json_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_keys(v) for v in value]
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key, allow_nan=True)
    return key.isoformat() if hasattr(key, "isoformat") else str(key)


def literal(value: object) -> str:
    """A value of a params or metrics file as ``dvc params diff --json`` writes it: ``true``,
    ``false``, ``null``, numbers as Python writes them (``1e-3`` reads ``0.001``, as in DVC),
    strings as they are, lists (one item too) and mappings as JSON: ``[5]``, not ``5``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(json_keys(value), ensure_ascii=False, default=str)
    return str(value)


class Value:
    """A value read from a params or metrics file, shown as ``literal`` writes it."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def human_size(size: int | None) -> str:
    """Bytes as a short human size, the way ``du -h`` and DVC's UI show it."""
    if size is None:
        return ""
    try:
        value = float(size)
    except OverflowError:  # more bytes than a float holds: whole TiB, every digit
        return f"{int(size) // 1024**4} TiB"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


EMPTY = "\u2014"  # what an empty fact shows: an em dash


class Empty:
    """A fact that exists but holds nothing (an unset desc, no tags, the file count of a
    file): shown as a dash whose tooltip says why, never as empty text."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Empty) and other.why == self.why

    def __hash__(self) -> int:
        return hash(self.why)

    def __repr__(self) -> str:
        return f"Empty({self.why!r})"


def inline(value: object, label: str) -> str:
    """An inline fact, with the reference it came from as a tooltip; an empty one as a dash,
    its tooltip saying why."""
    if isinstance(value, Empty):
        return (
            f'<span class="ml-value ml-empty" title="{attribute(f"{label}: {value.why}")}">'
            f"{text(EMPTY)}</span>"
        )
    return f'<span class="ml-value" title="{attribute(label)}">{text(value)}</span>'


def missing(label: str, reason: str) -> str:
    """A visible marker where a fact could not be resolved."""
    # styled inline too: front ends without the theme overrides (Zensical) still show it
    return (
        f'<span class="ml-missing" style="color:#c62828;font-weight:bold" title="{text(reason)}">'
        f"&#9888; {text(label)}</span>"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css: str) -> list[str]:
    """An HTML table (Material styles it like a Markdown table) wrapped in a classed div."""
    return grouped_table(headers, [((), rows)], css)


def grouped_table(
    headers: Sequence[str],
    groups: Iterable[tuple[Sequence[object], Iterable[Sequence[object]]]],
    css: str,
) -> list[str]:
    """A table whose rows come in groups, each a ``<tbody>`` headed by one row that spans the
    table and shows what its rows share (the file they come from, the commit that made the
    changes), so that nothing repeats on every row. GROUPS holds (heading cells, rows); a
    group with no heading cells has no heading row."""
    lines = [f'<div class="ml-block {css}">', "<table>", "<thead><tr>"]
    lines.append("".join(f"<th>{text(h)}</th>" for h in headers) + "</tr></thead>")
    empty = True
    for heading, rows in groups:
        body = ["<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows]
        if not body:
            continue
        empty = False
        lines.append("<tbody>")
        if heading:
            parts = " &#183; ".join(
                f'<span class="ml-group-part">{cell(c)}</span>' for c in heading
            )
            lines.append(
                f'<tr class="ml-group"><th colspan="{len(headers)}" scope="rowgroup">'
                f"{parts}</th></tr>"
            )
        lines.extend(body)
        lines.append("</tbody>")
    if empty:
        lines.append(f'<tbody><tr><td colspan="{len(headers)}">none</td></tr></tbody>')
    lines.extend(["</table>", "</div>"])
    return lines


def across(
    corner: str, labels: Sequence[object], columns: Sequence[tuple[str, Sequence[object]]]
) -> tuple[list[str], list[list[object]]]:
    """The headers and rows of a table with a column per item and a row per fact, for items
    that share many facts (a metric each): COLUMNS holds each item's heading and its cells,
    one per label of LABELS, which head the rows under CORNER. A page grows down, not
    across: the facts, however many, never widen the table; only the items do. No items:
    no rows (the table says none)."""
    headers = [corner, *(heading for heading, _ in columns)]
    if not columns:
        return headers, []
    return headers, [[label, *(cells[i] for _, cells in columns)] for i, label in enumerate(labels)]


def cell(value: object) -> str:
    """A table cell: code-like values (hashes, paths, commands) in <code>; a path or a dotted
    key with a line break opportunity after each '/' or '.', and none inside a name; a short
    hash with the full one as its tooltip."""
    if isinstance(value, Name):
        shown = printable(value.value)
        parts = shown.split(value.separator) if value.separator else [shown]
        joined = f"{text(value.separator)}<wbr>".join(text(p) for p in parts)
        full = value.full if isinstance(value, Hash) else None
        title = f' title="{attribute(full)}"' if full else ""
        return f'<code class="ml-name"{title}>{joined}</code>'
    if isinstance(value, Code):
        return f"<code>{text(value.value)}</code>"
    if isinstance(value, Empty):
        return f'<span class="ml-empty" title="{attribute(value.why)}">{text(EMPTY)}</span>'
    if isinstance(value, Links):
        return text(value.sep).join(
            f'<a href="{href(url)}">{text(title)}</a>' if url else text(title)
            for title, url in value.items
        )
    if isinstance(value, Date):
        return f'<span class="ml-date">{text(value.value)}</span>'
    if isinstance(value, Changed):
        return (
            f'{cell(value.value)} <span class="ml-change" title="{attribute(value.why)}">'
            f"{text(value.change)}</span>"
        )
    return text(value)


class Date:
    """A date in a table cell: kept on one line (a browser may break '2024-02-19' after a
    hyphen)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class Changed:
    """A value with how it changed (``+0.02``), and a tooltip saying from what."""

    __slots__ = ("change", "value", "why")

    def __init__(self, value: object, change: str, why: str) -> None:
        self.value, self.change, self.why = value, change, why


class Links:
    """Links in a table cell, comma-separated: (text, URL) pairs; a URL of None is text."""

    def __init__(self, items: Sequence[tuple[str, str | None]], sep: str = ", ") -> None:
        self.items, self.sep = items, sep


class Code:
    """A value shown as code in tables: a hash, a path, a command."""

    def __init__(self, value: object) -> None:
        self.value = value


class Name(Code):
    """Code that wraps only between its parts (SEPARATOR ends each part but the last; an
    empty one: a single part, never broken)."""

    separator: ClassVar[str]


class Path(Name):
    """A path of the project, written with '/': it wraps after a '/', never inside a name."""

    separator = "/"


class Key(Name):
    """A dotted key of a params or metrics file: it wraps after a '.', never inside a name."""

    separator = "."


class Hash(Name):
    """A (short) hash or commit: never broken across lines; FULL, the whole hash a short one
    stands for, is its tooltip."""

    separator = ""

    def __init__(self, value: object, full: str | None = None) -> None:
        super().__init__(value)
        self.full = full


class Items(Name):
    """Code listing items (``train.lr: 0.1 → 0.3, train.epochs: 20 → 5``): it wraps after
    each ', ' and at its spaces, never inside a name or a number."""

    separator = ", "


def box(title: str, rows: Iterable[tuple[str, object]], css: str) -> list[str]:
    """A Material-styled admonition holding a two-column table of facts."""
    lines = [f'<div class="admonition info ml-block {css}">']
    lines.append(f'<p class="admonition-title">{text(title)}</p>')
    lines.append("<table>")
    lines.append("<tbody>")
    lines.extend(f"<tr><th>{text(k)}</th><td>{cell(v)}</td></tr>" for k, v in rows)
    lines.extend(["</tbody>", "</table>", "</div>"])
    return lines


def findings_box(findings: Sequence[tuple[str, str, str, str]]) -> str:
    """The findings shown at the top of a page under ``mkdocs serve``: a Material admonition
    (``failure`` when one is an error, else ``warning``) listing each finding's severity,
    where it is (``file:line``), its message (with its fix) and its kind. FINDINGS holds
    (severity, where, message, kind); every value is escaped. An empty string for none."""
    if not findings:
        return ""
    errors = sum(1 for severity, *_ in findings if severity == "error")
    warnings = len(findings) - errors
    counts = [
        f"{n} {word}{'s' if n != 1 else ''}"
        for n, word in ((errors, "error"), (warnings, "warning"))
        if n
    ]
    title = f"mlplugin: {' and '.join(counts)}" + (
        " (mkdocs build fails until they are fixed)" if errors else ""
    )
    css = "failure" if errors else "warning"
    lines = [f'<div class="admonition {css} ml-findings">']
    lines.append(f'<p class="admonition-title">{text(title)}</p>')
    lines.append("<ul>")
    for severity, where, message, kind in findings:
        place = f"<code>{text(where)}</code> " if where else ""
        lines.append(
            f"<li><strong>{text(severity)}</strong> {place}{text(message)} "
            f"<code>{text(f'[{kind}]')}</code></li>"
        )
    lines.extend(["</ul>", "</div>", ""])
    return "\n".join(lines)


class Writer:
    """How facts are written into a page: as HTML for the site (this class, ``HTML``), or as
    plain Markdown for a Hugging Face Hub README (``render.markdown.MARKDOWN``). Blocks and
    inline values are drawn through one, so each format is written directly, never converted
    from the other."""

    def inline(self, value: object, label: str) -> str:
        return inline(value, label)

    def missing(self, label: str, reason: str) -> str:
        return missing(label, reason)

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[object]], css: str
    ) -> list[str]:
        return table(headers, rows, css)

    def grouped_table(
        self,
        headers: Sequence[str],
        groups: Iterable[tuple[Sequence[object], Iterable[Sequence[object]]]],
        css: str,
        group: str,
    ) -> list[str]:
        """GROUPS of rows, each with its heading (see ``grouped_table``); GROUP names what
        the headings show, for a format that cannot group rows."""
        return grouped_table(headers, groups, css)

    def box(self, title: str, rows: Iterable[tuple[str, object]], css: str) -> list[str]:
        return box(title, rows, css)

    def note(self, message: str) -> str:
        return f'<p class="ml-note">{text(message)}</p>'

    def diagram_key(
        self,
        classes: Sequence[str],
        links: Sequence[tuple[str, str]],
        reasons: Sequence[tuple[str, str, Sequence[str]]] = (),
    ) -> list[str]:
        """What follows a pipeline diagram: the legend of its node CLASSES, why each stale or
        not verifiable stage is so (REASONS: stage, state, reasons), and LINKS (node, URL) to
        the pages that document nodes."""
        from mkdocs_mlplugin.render import mermaid

        return [
            *mermaid.legend(classes),
            *mermaid.state_reasons(reasons),
            *mermaid.node_links(links),
        ]


HTML = Writer()


def indent(lines: list[str], prefix: str) -> str:
    """Lines joined, each indented like the reference they replace; a blank line around
    them so Markdown treats them as a block of their own."""
    body = "\n".join(f"{prefix}{line}" if line else "" for line in lines)
    return f"\n{body}\n"


# --------------------------------------------------------------------------- URLs

#: the schemes a URL the plugin writes into a page may have (a relative URL has none)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: attributes whose value a browser reads as a URL (or, for srcset/ping/archive, as URLs)
URL_ATTRIBUTES = frozenset(
    {
        "action",
        "archive",
        "background",
        "by",
        "cite",
        "classid",
        "codebase",
        "data",
        "dynsrc",
        "formaction",
        "from",
        "href",
        "icon",
        "imagesrcset",
        "longdesc",
        "lowsrc",
        "manifest",
        "ping",
        "poster",
        "profile",
        "src",
        "srcset",
        "to",
        "usemap",
        "values",
        "xlink:href",
    }
)
# What the URL parser does first: it trims C0 controls and spaces at both ends and drops every
# tab and line break; then a scheme is an ASCII letter, then letters, digits, + - . up to ':'.
_URL_TRIM = re.compile("^[\x00-\x20]+|[\x00-\x20]+$")
_URL_DROPPED = re.compile("[\t\n\r]")
_SCHEME = re.compile("([A-Za-z][A-Za-z0-9+.-]*):")
_URL_LIST = re.compile(r"[\s,;]+")
#: attributes that hold a list of URLs (with descriptors, or separated by ';')
_URL_LISTS = frozenset({"srcset", "imagesrcset", "ping", "archive", "values"})


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads in URL (lower case), or None for a relative URL."""
    found = _SCHEME.match(_URL_DROPPED.sub("", _URL_TRIM.sub("", url)))
    return found.group(1).lower() if found else None


def unsafe_url(attribute: str, value: str) -> str | None:
    """Why VALUE (as the browser reads it: entities decoded) must not be the value of
    ATTRIBUTE of an HTML tag, or None when it may. Event handlers and ``srcdoc`` hold code
    and markup, so no value may; URL attributes only relative, http, https and mailto URLs
    (each of the list in srcset and the like)."""
    name = attribute.lower()
    if name.startswith("on") or name == "srcdoc":
        return "it holds code, not a value"
    if name not in URL_ATTRIBUTES:
        return None
    for url in _URL_LIST.split(value) if name in _URL_LISTS else [value]:
        scheme = url_scheme(url)
        if scheme is not None and scheme not in SAFE_SCHEMES:
            return (
                f"the URL would have the scheme '{scheme}', and only relative, http, https and "
                "mailto URLs are written there"
            )
    return None


def href(url: str) -> str:
    """URL for an href attribute the plugin writes, escaped. A URL with another scheme than
    http, https or mailto (a page named 'javascript:x.md' makes the relative link
    'javascript:x/') gets './' in front: a relative link, which no browser reads as a scheme."""
    if unsafe_url("href", url):
        url = "./" + url
    return html.escape(url, quote=True)


def fence(lines: list[str], language: str) -> list[str]:
    return [f"```{language}", *lines, "```"]
