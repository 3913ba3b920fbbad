"""Inline facts kept out of Python-Markdown's way, and put into the HTML it writes.

An inline fact is a small piece of HTML (a ``<span>`` holding the value). Written into the
Markdown, Python-Markdown would parse its two tags and every character reference in it on every
page, which costs more than the rest of the plugin's work per page. Instead the page gets a
token made only of private-use characters, which no Markdown syntax or extension reads, and a
postprocessor replaces each token in the HTML: with the fact's HTML where it stands in text,
with the escaped value alone inside a tag (an attribute). Python-Markdown and MkDocs run the
postprocessors on headings too, so the table of contents, anchors and page titles read the
value as they read inline HTML.

Where a token stands is read as a browser reads the HTML, from the start: in text, in a comment
or a script, or in an attribute of a tag, and which one. In an attribute the value alone is
written, and refused (with a finding; the attribute gets nothing of it) where a browser would run
it: in an event handler or ``srcdoc``, or in a URL attribute (``href``, ``src``, ...) whose whole
value would then have another scheme than http, https or mailto.

A block (a table, a card's box: HTML standing alone on its lines) is kept out of Python-Markdown's
way too: its HTML parser would read every tag of it, on every page that shows one. The page gets
a token alone on its line, which Python-Markdown makes a paragraph of; the paragraph is replaced
by the block's HTML, as Python-Markdown puts back raw HTML blocks.

Tokens carry a random part chosen once per stash, so text in a page cannot stand for a fact.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from typing import NamedTuple, cast

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

from mkdocs_mlplugin.findings import Finding
from mkdocs_mlplugin.render import display, unsafe_url
from mkdocs_mlplugin.render import text as as_text

_OPEN, _CLOSE = "\ue000", "\ue001"
_DIGIT, _BASE = 0xE100, 0x1000  # digits of the index: U+E100..U+F0FF


class _Block(str):
    """The value of a block's token: none to write in an attribute."""


_BLOCK = _Block()


_DESTINATION = re.compile(r"\]\s*\(")
# raw HTML before a token: a tag, a comment, a declaration, a processing instruction
_RAW_HTML = re.compile("<[A-Za-z/!?]")


class Source(NamedTuple):
    """Where a fact was asked for: the page, the line and the reference as written."""

    page: str
    line: int
    reference: str


class Stash:
    """Inline facts by token. One per build (the plugin) or per conversion (the extension)."""

    def __init__(self) -> None:
        nonce = "".join(chr(_DIGIT + secrets.randbelow(_BASE)) for _ in range(3))
        self._prefix = _OPEN + nonce
        digits = f"[{chr(_DIGIT)}-{chr(_DIGIT + _BASE - 1)}]"
        self.pattern = re.compile(f"{re.escape(self._prefix)}({digits}+){_CLOSE}")
        self._items: list[tuple[str, object, Source | None]] = []
        #: values refused in an attribute since the last take_refused()
        self.refused: list[Finding] = []

    def token(self, html: str, value: object, source: Source | None = None) -> str:
        """A token for a fact: HTML where it stands in text, VALUE (escaped) inside a tag.
        SOURCE names the reference in the finding made when the value is refused there."""
        index, digits = len(self._items), ""
        self._items.append((html, value, source))
        while True:
            index, digit = divmod(index, _BASE)
            digits = chr(_DIGIT + digit) + digits
            if not index:
                return f"{self._prefix}{digits}{_CLOSE}"

    def block(self, html: str, source: Source | None = None) -> str:
        """A token for a block of HTML, to stand alone on its line: put back in place of the
        paragraph Python-Markdown makes of it (or of itself, where it makes none); left out,
        with a finding naming SOURCE, where it would stand inside a tag."""
        return self.token(html, _BLOCK, source)

    def item(self, match: re.Match[str]) -> tuple[str, object, Source | None] | None:
        index = 0
        for ch in match.group(1):
            index = index * _BASE + ord(ch) - _DIGIT
        return self._items[index] if index < len(self._items) else None

    def expand(self, text: str) -> str:
        """TEXT (Markdown or HTML) with every token replaced: by its HTML in text, by its value
        in an attribute of raw HTML, where it is allowed (no finding is made here: the page's
        conversion made it)."""
        return self.put_back(text, record=False, exact=False)

    def put_back(self, text: str, record: bool = True, exact: bool = True) -> str:
        """TEXT (HTML) with every token replaced by its fact, as the context it stands in
        allows; with RECORD, each value refused in an attribute is a finding in ``refused``.
        Not EXACT: TEXT is known to have a '<' only where a tag starts and a '>' only where one
        ends, so the nearest of them tells where a token stands."""
        if _OPEN not in text:
            return text
        found = [
            (m, item) for m in self.pattern.finditer(text) if (item := self.item(m)) is not None
        ]
        if not found:
            return text
        positions = [m.start() for m, _ in found]
        places = contexts(text, positions) if exact else _nearest(text, positions)
        out: list[str] = []
        end = 0
        refused_in: set[int] = set()
        for (m, (fact_html, value, source)), place in zip(found, places, strict=True):
            out.append(text[end : m.start()])
            end = m.end()
            if place is None:
                if value is _BLOCK and out[-1].endswith("<p>") and text.startswith("</p>", end):
                    out[-1] = out[-1][:-3]  # the paragraph Python-Markdown made of the token
                    end += 4
                out.append(fact_html)
                continue
            if value is _BLOCK:
                if record and source is not None:
                    self.refused.append(_misplaced(source))
                continue
            if place.value_start in refused_in:
                continue
            why = _refused(place, self.expand_value(text[place.value_start : place.value_end]))
            if not why:
                out.append(as_text(value))
                continue
            refused_in.add(place.value_start)
            if record and source is not None:
                self.refused.append(_refusal(source, value, why))
        out.append(text[end:])
        return "".join(out)

    def expand_value(self, text: str) -> str:
        """TEXT, part of an attribute's value, with each token as the value it would write."""
        return self.pattern.sub(
            lambda m: as_text((self.item(m) or ("", m.group(0), None))[1]), text
        )

    def may_stand_in_markup(self, markdown: str) -> bool:
        """Whether a token of MARKDOWN may stand in a tag once converted, where only converting
        the page tells whether its value is refused. Decided from the Markdown, erring towards
        yes: raw HTML anywhere before a token (Python-Markdown does not read it as a browser
        does), a link's or an image's destination or a reference definition not closed before
        it in its paragraph, an attribute list's brace not closed before it on its line. Code
        spans are read as the rest: a '{' or '](' in one counts unless closed before the fact
        (where a code span ends depends on Python-Markdown's version)."""
        if _OPEN not in markdown:
            return False
        positions = [m.start() for m in self.pattern.finditer(markdown)]
        if not positions:
            return False
        if _RAW_HTML.search(markdown, 0, positions[-1]):
            return True
        for pos in positions:
            line = markdown.rfind("\n", 0, pos) + 1
            paragraph = markdown.rfind("\n\n", 0, pos) + 1  # a blank line with spaces: wider
            if _in_destination(markdown[paragraph:pos]) or _in_braces(markdown[line:pos]):
                return True
        return False

    def take_refused(self) -> list[Finding]:
        refused, self.refused = self.refused, []
        return refused

    def clear(self) -> None:
        self._items.clear()
        self.refused.clear()

    def extension(self, report: Report | None = None) -> Extension:
        """The Python-Markdown extension that puts this stash's facts into pages; REPORT, if
        given, gets the values refused in each conversion (else they wait in ``refused``)."""
        return _StashExtension(self, report)


Report = Callable[[list[Finding]], None]


class _PutBack(Postprocessor):
    def __init__(self, stash: Stash, md: Markdown, report: Report | None) -> None:
        super().__init__(md)
        self.stash = stash
        self.report = report

    def run(self, text: str) -> str:
        text = self.stash.put_back(text)
        if self.report is not None and self.stash.refused:
            self.report(self.stash.take_refused())
        return text


class _PutBackSimple(_PutBack):
    """Before raw HTML is put back, the HTML is Python-Markdown's own, whose '<' and '>' only
    start and end tags (text and attribute values have them escaped). When the page's raw HTML
    is as simple (no comment, no single quote or unclosed quote in a tag, no '<' or '>' in a
    value, no token in it), the nearest '<' and '>' tell where each token stands, with no scan of
    the page; else the tokens are left to _PutBack, which reads the page from the start."""

    def run(self, text: str) -> str:
        raw = self.md.htmlStash.rawHtmlBlocks
        if _OPEN in text and all(_simple(block) for block in raw):
            return self.stash.put_back(text, exact=False)
        return text


class _StashExtension(Extension):
    def __init__(self, stash: Stash, report: Report | None) -> None:
        super().__init__()
        self.stash = stash
        self.report = report

    def extendMarkdown(self, md: Markdown) -> None:
        # before raw HTML blocks are put back (30) where that is enough, else after them
        simple = _PutBackSimple(self.stash, md, None)
        md.postprocessors.register(simple, "mlplugin-facts-simple", 31)
        md.postprocessors.register(_PutBack(self.stash, md, self.report), "mlplugin-facts", 25)


def _refused(place: Place, value: str) -> str | None:
    """Why a fact may not be written at PLACE, whose attribute's whole value is VALUE (as
    written, entities not decoded), or None."""
    if not place.name:
        return "a fact stands only in text or in the value of an attribute"
    why = unsafe_url(place.name, html.unescape(value))
    return f"in the {place.name} attribute {why}" if why else None


def _refusal(source: Source, value: object, why: str) -> Finding:
    return Finding(
        "unsafe_value",
        f"'{source.reference}': the value '{display(value)}' is left out of the page's HTML: "
        f"{why}.",
        source.page,
        source.line,
    )


def _misplaced(source: Source) -> Finding:
    return Finding(
        "unsafe_value",
        f"'{source.reference}' is left out of the page's HTML: it stands inside a tag of raw "
        "HTML, where no block can be written; move it to a line of its own outside the tag.",
        source.page,
        source.line,
    )


# --------------------------------------------------------------------------- where a token is


class Place(NamedTuple):
    """A token inside a tag: the attribute whose value holds it ('' in a tag or attribute
    name), and where that value starts and ends in the text."""

    name: str
    value_start: int
    value_end: int


_SPACE = "\t\n\f\r "
_TAG_NAME = re.compile(f"[A-Za-z][^{_SPACE}/>]*")
_TAG_START = re.compile("</?[A-Za-z]")
# one attribute, after the blanks and slashes before it: its name, and its value if it has
# one, double-quoted, single-quoted or unquoted (a quote left open runs to the end)
_ATTRIBUTE = re.compile(
    f"[{_SPACE}/]*([^{_SPACE}/>][^{_SPACE}/>=]*)"
    f"(?:[{_SPACE}]*=[{_SPACE}]*(?:\"([^\"]*)\"?|'([^']*)'?|([^{_SPACE}>]*)))?"
)
_TAG_END = re.compile(f"[{_SPACE}/]*(>)?")
_COMMENT_END = re.compile("-->|--!>")
#: elements whose content is text up to their end tag (scripting on, as in a browser)
_RAWTEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"}
)


def _skip() -> re.Pattern[str]:
    """What ``contexts`` may pass over in one step, being in text: text, comments, the
    elements of _RAWTEXT with their content, and whole tags, none holding a token in a tag
    (a tag is matched atomically, the way _tag reads it). It stops at a tag that holds one."""
    no = f"{_SPACE}{_OPEN}"
    # each part as long as the tokenizer makes it, so that no other reading can be tried
    name = f"[^{no}/>][^{no}/>=]*(?![^{no}/>=])"
    value = (
        f"\"[^\"{_OPEN}]*(?:\"|\\Z)|'[^'{_OPEN}]*(?:'|\\Z)"
        f"|[^{no}>\"'][^{no}>]*(?![^{no}>])|(?=>)|\\Z"
    )
    # after a name, '=' always starts its value
    attribute = f"{name}(?:[{_SPACE}]*=[{_SPACE}]*(?:{value})|(?![{_SPACE}]*=))"
    body = f"[^{no}/>]*(?![^{no}/>])(?:[{_SPACE}/]*{attribute})*[{_SPACE}/]*"

    def tag(group: str) -> str:  # matched atomically: a lookahead is never entered again
        return f"(?=(?P<{group}>{body}))(?P={group})(?:>|\\Z)"

    raw = "|".join(sorted(_RAWTEXT))
    # most tags first, fast: no quote but one right after '=' and closed before any '<' or '>'
    # (so their first '>' ends them), not a start tag of _RAWTEXT
    plain = (
        f"(?:</[A-Za-z]|<(?!(?:{raw})[{_SPACE}/>])[A-Za-z])"
        f'[^<>"\'={_OPEN}]*(?:(?:="[^"<>{_OPEN}]*"|=(?!"))[^<>"\'={_OPEN}]*)*>'
    )
    return re.compile(
        f"(?:[^<]+|{plain}"
        "|<!--(?:>|->|.*?(?:--!?>|\\Z))"
        f"|<(?P<raw>{raw})(?=[{_SPACE}/>]){tag('a')}.*?(?=</(?P=raw)[{_SPACE}/>]|\\Z)"
        f"|</?[A-Za-z]{tag('b')}"
        "|<[!?][^>]*(?:>|\\Z)"
        "|</(?![A-Za-z])[^>]*(?:>|\\Z)"
        "|<(?![A-Za-z!?/]))*",
        re.DOTALL | re.IGNORECASE | re.ASCII,  # tag names are compared in ASCII only
    )


_SKIP = _skip()


def contexts(text: str, positions: list[int]) -> list[Place | None]:
    """For each of POSITIONS (ascending) in the HTML TEXT: None where a browser reads it as
    text (or in a comment, or in a script), else the Place in the tag that holds it.

    Read from the start as HTML's tokenizer reads it: comments, tags with their quoted and
    unquoted attributes (a '>' inside quotes does not end a tag), and the elements whose content
    is not markup (script, style, textarea, ...)."""
    found: list[Place | None] = []
    k, i, n = 0, 0, len(text)
    while k < len(positions):
        # what holds no token in a tag, at C speed (it may match nothing, so it always matches)
        i = cast(re.Match[str], _SKIP.match(text, i)).end()
        while k < len(positions) and positions[k] < i:
            found.append(None)
            k += 1
        if k == len(positions):
            break
        lt = text.find("<", i)
        if lt < 0 or lt > positions[k]:
            found.append(None)  # in text
            k += 1
            continue
        nxt = text[lt + 1 : lt + 2]
        if text.startswith("<!--", lt):
            if text.startswith(("<!-->", "<!--->"), lt):
                end = text.index(">", lt) + 1
            else:
                m = _COMMENT_END.search(text, lt + 4)
                end = m.end() if m else n
        elif nxt in ("!", "?") or (nxt == "/" and not text[lt + 2 : lt + 3].isalpha()):
            gt = text.find(">", lt)
            end = gt + 1 if gt >= 0 else n
        elif nxt.isascii() and (nxt.isalpha() or nxt == "/"):
            end, places, name = _tag(text, lt)
            while k < len(positions) and positions[k] < end:
                inside = (p for p in places if p.value_start <= positions[k] < p.value_end)
                found.append(next(inside, Place("", lt, lt)))
                k += 1
            if name in _RAWTEXT and nxt != "/":
                close = re.compile(f"</{name}[{_SPACE}/>]", re.IGNORECASE | re.ASCII).search(
                    text, end
                )
                raw_end = close.start() if close else n
                while k < len(positions) and positions[k] < raw_end:
                    found.append(None)
                    k += 1
                end = raw_end
            i = end
            continue
        else:
            i = lt + 1
            continue
        while k < len(positions) and positions[k] < end:
            found.append(None)  # in a comment
            k += 1
        i = end
    return found


# Raw HTML whose '<' and '>' only start and end tags: no single quote in a tag, no comment,
# doctype or processing instruction, no '<' or '>' between a '"' and the next (so in no
# value), and '<' and '>' in turn. A single quote in text (highlighted code has them) is text.
_PAIRED_QUOTES = re.compile('(?:[^"]*"[^"<>]*")*[^"]*')
_ALTERNATING = re.compile("[^<>]*(?:<[^<>]*>[^<>]*)*")  # no '<' inside a tag, no lone '>'
_QUOTE_IN_TAG = re.compile("<[^<>]*'")  # with '<' and '>' in turn: a "'" inside a tag
# elements whose content is text up to their end tag, where a '<' starts no tag
# (and <plaintext>, whose text never ends)
_RAW_TEXT = re.compile(
    rf"<(?:{'|'.join(sorted(_RAWTEXT | {'plaintext'}))})[\s/>]", re.IGNORECASE | re.ASCII
)


def _simple(block: object) -> bool:
    return (
        isinstance(block, str)
        and _OPEN not in block
        and ("'" not in block or _QUOTE_IN_TAG.search(block) is None)
        and "<!" not in block
        and "<?" not in block
        and _RAW_TEXT.search(block) is None
        and _PAIRED_QUOTES.fullmatch(block) is not None
        and _ALTERNATING.fullmatch(block) is not None
    )


def _nearest(text: str, positions: list[int]) -> list[Place | None]:
    """``contexts`` for HTML whose '<' and '>' only start and end tags."""
    found: list[Place | None] = []
    for pos in positions:
        lt = text.rfind("<", 0, pos)
        while lt >= 0 and not _TAG_START.match(text, lt):  # a '<' that starts no tag: 'a < b'
            lt = text.rfind("<", 0, lt)
        if lt < 0 or text.rfind(">", 0, pos) > lt:
            found.append(None)
            continue
        _, places, _ = _tag(text, lt)
        inside = (p for p in places if p.value_start <= pos < p.value_end)
        found.append(next(inside, Place("", lt, lt)))
    return found


def _tag(text: str, lt: int) -> tuple[int, list[Place], str]:
    """The tag at LT: where it ends, the value of each attribute, its lower-case name."""
    start = lt + (2 if text[lt + 1] == "/" else 1)
    m = _TAG_NAME.match(text, start)
    if m is None:
        return lt + 1, [], ""
    name = m.group(0).lower()
    places: list[Place] = []
    pos = m.end()
    n = len(text)
    while pos < n:
        end = cast(re.Match[str], _TAG_END.match(text, pos))  # all optional: always matches
        if end.group(1):
            return end.end(), places, name
        a = _ATTRIBUTE.match(text, pos)
        if a is None or a.end() == pos:
            pos = end.end()
            if pos >= n:
                break
            continue
        for group in (2, 3, 4):
            if a.group(group) is not None:
                places.append(Place(a.group(1).lower(), a.start(group), a.end(group)))
                break
        pos = a.end()
    return n, places, name


def _in_destination(text: str) -> bool:
    """Whether what follows TEXT (from its paragraph's start) is in a link's or an image's
    destination (a ')' after its '(' ends it, or leaves no scheme to what follows) or in a
    reference definition."""
    if "]:" in text:
        return True
    opened = [m.end() for m in _DESTINATION.finditer(text)]
    return bool(opened) and ")" not in text[opened[-1] :]


def _in_braces(text: str) -> bool:
    """Whether what follows TEXT (from its line's start) is in an attribute list."""
    return text.rfind("{") > text.rfind("}")
