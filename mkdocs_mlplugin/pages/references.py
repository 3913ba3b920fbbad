"""The reference syntax: find ``{ml ...}`` references in a page's Markdown, outside code.

Inline references stand anywhere in text; block references stand alone on their line. Fenced
code blocks and inline code spans are left untouched, and ``\\{ml ...}`` is a literal.
This module only parses: resolving and rendering live elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import re
import shlex
from collections.abc import Iterator
from typing import Any, NamedTuple

from mkdocs_mlplugin.findings import Finding, FindingError

#: inline kinds and the fields each accepts; the first field is the default.
INLINE_FIELDS: dict[str, tuple[str, ...]] = {
    "git": ("commit", "short", "branch", "describe", "tags", "dirty"),
    "page": ("updated", "created", "commit", "authors"),
    "stage": ("cmd", "desc", "deps", "outs", "wdir", "dvcfile", "status"),
    "out": ("md5", "short", "size", "bytes", "nfiles", "stage"),
    "artifact": (
        "path",
        "type",
        "desc",
        "labels",
        "md5",
        "short",
        "size",
        "bytes",
        "stage",
        "version",
        "stages",
    ),
    "param": (),
    "metric": (),
}
#: block kinds; each takes at most one name.
BLOCK_KINDS = (
    "params-table",
    "metrics-table",
    "provenance",
    "pipeline",
    "metrics-history",
    "metrics-diff",
    "params-diff",
    "experiments",
    "plots",
)
#: options of the experiments block: all lists the experiments of every baseline
EXPERIMENTS_OPTIONS = ("all",)
#: blocks comparing two revisions ({ml metrics-diff A B}: A in name, B in field) and their
#: options: precision=N rounds numbers to N decimals; all / changed: every key / changed keys
DIFF_KINDS = ("metrics-diff", "params-diff")
DIFF_OPTIONS = ("precision", "all", "changed")
#: options of the pipeline block and the values each takes (None: any name; "": a flag).
PIPELINE_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "view": ("stages", "outs"),
    "direction": ("TD", "LR", "BT", "RL"),
    "focus": None,
    "collapse": ("",),
    "reduce": ("",),
}
#: kinds whose name is required, and what the name is.
NAMED = {"stage": "stage", "out": "path", "artifact": "artifact", "param": "key", "metric": "key"}

_SHELL_BLANKS = " \t\r\n"  # shlex's whitespace
_SHELL_SPECIAL = re.compile("[\"'#]")  # what makes shlex do more than split on blanks
_BLANKS = re.compile("[ \t\r\n]+")
# '{ml' after '{' or a backslash is not a reference: _quoted checks that, not a lookbehind,
# which would keep the regex engine from searching for the literal '{ml'
_REF = re.compile(r"\{ml(?:\s+([^{}\n]*?))?\s*\}(?!\})")
_OPEN = re.compile(r"\{ml(?=[\s}]|$)")
_ESCAPED = re.compile(r"\\(\{ml[\s}])")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_FENCE_LINE = re.compile(r"^([^\S\n]*)(`{3,}|~{3,})(.*)$", re.MULTILINE)
_ODD_BREAKS = "\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # splitlines() cuts there too
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


class Reference(NamedTuple):  # a tuple: pages hold thousands, made faster than a dataclass
    """One ``{ml ...}`` reference in a page."""

    kind: str
    name: str | None
    field: str | None
    line: int  # 1-based, in the page's source file
    text: str  # as written
    block: bool
    options: tuple[tuple[str, str], ...] = ()  # pipeline options, e.g. (("focus", "train"),)

    def option(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)

    def label(self) -> str:
        return " ".join(p for p in (self.kind, self.name, self.field) if p)


class Match(NamedTuple):
    """Where a reference stands in the Markdown, and what it says (or why it cannot be read)."""

    start: int
    end: int
    reference: Reference | None
    problem: Finding | None
    indent: str = ""


def parse(body: str, line: int, block: bool, source: str, text: str) -> Reference:
    """Parse the inside of ``{ml ...}``; FindingError with a finding when it is malformed."""
    parsed = _parsed(body, block, text)
    if isinstance(parsed, str):
        raise FindingError(Finding("malformed_reference", parsed, source, line))
    kind, name, field, is_block, options = parsed
    return Reference(kind, name, field, line, text, is_block, options)


class _Malformed(Exception):
    """Why a reference cannot be read."""


_Parsed = tuple[str, str | None, str | None, bool, tuple[tuple[str, str], ...]]


@functools.lru_cache(maxsize=4096)
def _parsed(body: str, block: bool, text: str) -> _Parsed | str:
    """(kind, name, field, block, options) of a reference, or the message saying why it is
    malformed. Pages repeat the same few references, so each is read once per process."""
    try:
        return _read(body, block, text)
    except _Malformed as exc:
        return str(exc)


def _read(body: str, block: bool, text: str) -> _Parsed:
    def bad(message: str) -> _Malformed:
        return _Malformed(f"'{text}': {message}")

    try:
        words = split(body)
        if words and words[0] in (*DIFF_KINDS, "plots") and "#" in body:
            words = split(body, comments=False)  # '#prod' names a GTO stage
    except ValueError as exc:
        raise bad(f"{exc} (quote names with spaces in double quotes).") from None
    if not words:
        kinds = ", ".join([*INLINE_FIELDS, *BLOCK_KINDS])
        raise bad(f"say what to show: one of {kinds}.")
    kind, args = words[0], words[1:]
    if kind in BLOCK_KINDS:
        if not block:
            raise bad(f"'{kind}' is a block: put it alone on its own line.")
        if kind == "pipeline":
            return kind, None, None, True, _pipeline_options(args, bad)
        if kind in DIFF_KINDS:
            return _diff_block(kind, args, bad)
        if kind == "experiments":
            return kind, None, None, True, _flags(kind, args, EXPERIMENTS_OPTIONS, bad)
        if kind == "plots":
            return _plots_block(args, bad)
        if len(args) > 1:
            raise bad(f"'{kind}' takes at most one name.")
        return kind, args[0] if args else None, None, True, ()
    if kind not in INLINE_FIELDS:
        from mkdocs_mlplugin.findings import did_you_mean

        known = [*INLINE_FIELDS, *BLOCK_KINDS]
        raise bad(f"unknown kind '{kind}'.{did_you_mean(kind, known)} Known: {', '.join(known)}.")
    fields = INLINE_FIELDS[kind]
    name = None
    if kind in NAMED:
        if not args:
            raise bad(f"name the {NAMED[kind]}: {{ml {kind} <{NAMED[kind]}>}}.")
        name, args = args[0], args[1:]
    if len(args) > 1 or (args and not fields):
        raise bad("too many words; quote a name that contains spaces.")
    field = args[0] if args else (fields[0] if fields else None)
    if fields and field not in fields:
        from mkdocs_mlplugin.findings import did_you_mean

        raise bad(
            f"'{kind}' has no field '{field}'.{did_you_mean(str(field), fields)} "
            f"Fields: {', '.join(fields)}."
        )
    return kind, name, field, False, ()


def split(body: str, comments: bool = True) -> list[str]:
    """The words of a reference, split as a POSIX shell would (quotes group words, ``#``
    starts a comment unless not COMMENTS); a backslash is part of a name (and refused later
    in paths)."""
    if not _SHELL_SPECIAL.search(body):
        body = body.strip(_SHELL_BLANKS)
        return _BLANKS.split(body) if body else []
    lexer = shlex.shlex(body, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    if not comments:
        lexer.commenters = ""
    return list(lexer)


def _pipeline_options(args: list[str], bad: Any) -> tuple[tuple[str, str], ...]:
    from mkdocs_mlplugin.findings import did_you_mean

    options: dict[str, str] = {}
    for word in args:
        key, _, value = word.partition("=")
        if key not in PIPELINE_OPTIONS:
            hint = did_you_mean(key, PIPELINE_OPTIONS)
            raise bad(
                f"'pipeline' has no option '{key}'.{hint} Options: {', '.join(PIPELINE_OPTIONS)}."
            )
        allowed = PIPELINE_OPTIONS[key]
        if allowed is None and not value:
            raise bad(f"write {key}=NAME.")
        if allowed is not None and value not in allowed:
            shown = " or ".join(f"{key}={v}" if v else key for v in allowed)
            raise bad(f"write {shown}.")
        options[key] = value
    return tuple(options.items())


def _flags(
    kind: str, args: list[str], allowed: tuple[str, ...], bad: Any
) -> tuple[tuple[str, str], ...]:
    """Options that are flags written alone (``{ml experiments all}``)."""
    from mkdocs_mlplugin.findings import did_you_mean

    for word in args:
        if word not in allowed:
            hint = did_you_mean(word, allowed)
            raise bad(f"'{kind}' has no option '{word}'.{hint} Options: {', '.join(allowed)}.")
    return tuple((word, "") for word in dict.fromkeys(args))


def _plots_block(args: list[str], bad: Any) -> _Parsed:
    """``{ml plots [NAME] [versions=A,B,...]}``: the plots, or one, at each of the revisions
    (as ``dvc plots diff A B`` draws them; default: the work tree)."""
    names = [w for w in args if "=" not in w]
    options = [w.partition("=") for w in args if "=" in w]
    if len(names) > 1:
        raise bad("'plots' takes at most one name.")
    for key, _, value in options:
        if key != "versions":
            raise bad(f"'plots' has no option '{key}'. Options: versions=A,B (revisions).")
        if not [v for v in value.split(",") if v]:
            raise bad("versions= names the revisions to compare: versions=v1.0.0,v2.0.0.")
    kept = tuple((key, value) for key, _, value in options[-1:])
    return "plots", names[0] if names else None, None, True, kept


def _diff_block(kind: str, args: list[str], bad: Any) -> _Parsed:
    """``{ml metrics-diff [A [B]] [precision=N] [all|changed]}``: A (default HEAD) and B
    (default workspace), as ``dvc metrics diff A B`` takes them."""
    from mkdocs_mlplugin.findings import did_you_mean

    revisions: list[str] = []
    options: dict[str, str] = {}
    for word in args:
        key, eq, value = word.partition("=")
        if not eq and key not in DIFF_OPTIONS:
            revisions.append(word)
            continue
        if key not in DIFF_OPTIONS:
            hint = did_you_mean(key, DIFF_OPTIONS)
            raise bad(f"'{kind}' has no option '{key}'.{hint} Options: {', '.join(DIFF_OPTIONS)}.")
        if key == "precision" and not (value.isdigit() and int(value) <= 20):
            raise bad("write precision=N, N a number of decimals from 0 to 20.")
        if key != "precision" and eq:
            raise bad(f"write '{key}' alone: it takes no value.")
        options[key] = value
    if len(revisions) > 2:
        raise bad(f"'{kind}' compares two revisions: {{ml {kind} A B}}.")
    if "all" in options and "changed" in options:
        raise bad("write 'all' or 'changed', not both.")
    old = revisions[0] if revisions else None
    new = revisions[1] if len(revisions) > 1 else None
    return kind, old, new, True, tuple(options.items())


def scan(markdown: str, source: str, first_line: int = 1) -> list[Match]:
    """Every reference in MARKDOWN outside code, in order. FIRST_LINE is the line of the
    Markdown's first character in the source file (after front matter)."""
    matches: list[Match] = []
    if "{ml" not in markdown:
        return matches
    line, counted = first_line, 0  # the line of position COUNTED; references come in order
    for start, end in _text_ranges(markdown):
        chunk = markdown[start:end]
        if "{ml" not in chunk:
            continue
        starts = set()
        for m in _REF.finditer(chunk):
            if _quoted(chunk, m.start()):
                continue
            pos = start + m.start()
            line += markdown.count("\n", counted, pos)
            counted = pos
            line_start = markdown.rfind("\n", 0, pos) + 1
            line_end = markdown.find("\n", start + m.end())
            line_end = len(markdown) if line_end == -1 else line_end
            before = markdown[line_start:pos]
            after = markdown[start + m.end() : line_end]
            block = not before.strip() and not after.strip()
            starts.add(pos)
            try:
                ref = parse(m.group(1) or "", line, block, source, m.group(0))
                matches.append(Match(pos, start + m.end(), ref, None, before if block else ""))
            except FindingError as exc:
                matches.append(Match(pos, start + m.end(), None, exc.finding))
        if len(starts) == chunk.count("{ml"):
            continue  # every '{ml' starts a reference: none is left open
        for m in _OPEN.finditer(chunk):
            pos = start + m.start()
            # a reference cannot hold another '{ml', so a reference starts there
            if pos in starts or _quoted(chunk, m.start()):
                continue
            end = markdown.find("\n", pos)
            end = min(end if end != -1 else len(markdown), start + len(chunk))
            written = markdown[pos:end].rstrip()
            problem = Finding(
                "malformed_reference",
                f"'{written}': the reference is never closed: end it with '}}' on the same line.",
                source,
                first_line + markdown.count("\n", 0, pos),
            )
            matches.append(Match(pos, pos + len(written), None, problem))
    matches.sort(key=lambda m: m.start)
    return matches


def _quoted(chunk: str, pos: int) -> bool:
    """Whether the '{ml' at POS follows '{' (as in '{{ml ...}}') or a backslash."""
    return pos > 0 and chunk[pos - 1] in "{\\"


def replace(markdown: str, matches: list[Match], rendered: list[str]) -> str:
    """MARKDOWN with each match replaced by its rendering, and escaped references unescaped."""
    ranges = _text_ranges(markdown) if "\\{ml" in markdown else []
    out: list[str] = []
    pos = 0
    for match, text in zip(matches, rendered, strict=True):
        out.append(_unescape(markdown, pos, match.start, ranges))
        out.append(text)
        pos = match.end
    out.append(_unescape(markdown, pos, len(markdown), ranges))
    return "".join(out)


def _unescape(markdown: str, start: int, end: int, ranges: list[tuple[int, int]]) -> str:
    """Turn ``\\{ml`` into ``{ml`` in the text RANGES; code is copied as it is."""
    if not ranges:
        return markdown[start:end]
    pieces: list[str] = []
    for a, b, is_text in _segments(start, end, ranges):
        piece = markdown[a:b]
        pieces.append(_ESCAPED.sub(r"\1", piece) if is_text else piece)
    return "".join(pieces)


def _segments(
    start: int, end: int, ranges: list[tuple[int, int]]
) -> Iterator[tuple[int, int, bool]]:
    pos = start
    for a, b in ranges:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        if a > pos:
            yield pos, a, False
        yield a, b, True
        pos = b
    if pos < end:
        yield pos, end, False


def _text_ranges(markdown: str) -> list[tuple[int, int]]:
    """Ranges of MARKDOWN that are neither fenced code nor inline code."""
    ranges: list[tuple[int, int]] = []
    for start, end in _outside_fences(markdown):
        pos = start
        if markdown.find("`", start, end) == -1:
            ranges.append((start, end))
            continue
        for m in _code_spans(markdown, start, end):
            if "\n\n" in m.group(0):
                continue  # a code span does not cross a paragraph break
            ranges.append((pos, m.start()))
            pos = m.end()
        ranges.append((pos, end))
    return [(a, b) for a, b in ranges if a < b]


def text_ranges(markdown: str) -> list[tuple[int, int]]:
    """Ranges of MARKDOWN that are neither fenced code nor inline code, where links and
    references are read."""
    return _text_ranges(markdown)


def _fence_lines(markdown: str) -> list[re.Match[str]]:
    """What ``_FENCE_LINE.finditer(markdown)`` finds, in order, with the regular expression
    tried only at the start of lines that hold a fence's three backticks or tildes (the
    search itself would try it at every line of the page)."""
    starts: set[int] = set()
    for mark in ("```", "~~~"):
        pos = markdown.find(mark)
        while pos != -1:
            line_start = markdown.rfind("\n", 0, pos) + 1
            starts.add(line_start)
            line_end = markdown.find("\n", pos)
            pos = -1 if line_end == -1 else markdown.find(mark, line_end)
    found = (_FENCE_LINE.match(markdown, start) for start in sorted(starts))
    return [m for m in found if m is not None]


def _code_spans(markdown: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """What ``_CODE_SPAN.finditer(markdown, start, end)`` finds, with the regular expression
    tried only where a backtick stands (the search would try it at every character)."""
    pos = markdown.find("`", start, end)
    while pos != -1:
        m = _CODE_SPAN.match(markdown, pos, end)
        if m is not None:
            yield m
            pos = m.end()
        else:
            pos += 1
        pos = markdown.find("`", pos, end)


def _outside_fences(markdown: str) -> Iterator[tuple[int, int]]:
    if "```" not in markdown and "~~~" not in markdown:
        yield 0, len(markdown)  # no fence can open
        return
    # lines as str.splitlines() cuts them (one search per character: many times faster than
    # a regular expression's character class over the page)
    if any(ch in markdown for ch in _ODD_BREAKS):
        lines = markdown.splitlines(keepends=True)
        starts = itertools.accumulate((len(line) for line in lines), initial=0)
        fences = (
            (start, start + len(line), _FENCE.match(line.rstrip("\r\n")))
            for start, line in zip(starts, lines, strict=False)  # starts has one more
        )
    else:  # only '\n' ends lines: look only at the lines that hold three backticks or tildes
        fences = ((m.start(), min(m.end() + 1, len(markdown)), m) for m in _fence_lines(markdown))
    text_start = 0
    fence: tuple[str, int] | None = None
    for start, end, m in fences:
        if m is None:
            continue
        if fence is None:
            if not (m.group(2)[0] == "`" and "`" in m.group(3)):
                fence = (m.group(2)[0], len(m.group(2)))
                if start > text_start:
                    yield text_start, start
        elif m.group(2)[0] == fence[0] and len(m.group(2)) >= fence[1] and not m.group(3).strip():
            fence = None
            text_start = end
    if fence is None and len(markdown) > text_start:
        yield text_start, len(markdown)
