"""Inline facts kept out of Python-Markdown's way, and put into the HTML it writes.

An inline fact is a small piece of HTML (a ``<span>`` holding the value). Written into the
Markdown, Python-Markdown would parse its two tags and every character reference in it on every
page, which costs more than the rest of the plugin's work per page. Instead the page gets a
token made only of private-use characters, which no Markdown syntax or extension reads, and a
postprocessor replaces each token in the HTML: with the fact's HTML where it stands in text,
with the escaped value alone inside a tag (an attribute). Python-Markdown and MkDocs run the
postprocessors on headings too, so the table of contents, anchors and page titles read the
value as they read inline HTML.

Tokens carry a random part chosen once per stash, so text in a page cannot stand for a fact.
"""

from __future__ import annotations

import re
import secrets

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

from .render import text as as_text

_OPEN, _CLOSE = "\ue000", "\ue001"
_DIGIT, _BASE = 0xE100, 0x1000  # digits of the index: U+E100..U+F0FF


class Stash:
    """Inline facts by token. One per build (the plugin) or per conversion (the extension)."""

    def __init__(self) -> None:
        nonce = "".join(chr(_DIGIT + secrets.randbelow(_BASE)) for _ in range(3))
        self._prefix = _OPEN + nonce
        digits = f"[{chr(_DIGIT)}-{chr(_DIGIT + _BASE - 1)}]"
        self.pattern = re.compile(f"{re.escape(self._prefix)}({digits}+){_CLOSE}")
        self._items: list[tuple[str, object]] = []

    def token(self, html: str, value: object) -> str:
        """A token for a fact: HTML where it stands in text, VALUE (escaped) inside a tag."""
        index, digits = len(self._items), ""
        self._items.append((html, value))
        while True:
            index, digit = divmod(index, _BASE)
            digits = chr(_DIGIT + digit) + digits
            if not index:
                return f"{self._prefix}{digits}{_CLOSE}"

    def item(self, match: re.Match[str]) -> tuple[str, object] | None:
        index = 0
        for ch in match.group(1):
            index = index * _BASE + ord(ch) - _DIGIT
        return self._items[index] if index < len(self._items) else None

    def expand(self, text: str) -> str:
        """TEXT (Markdown or HTML) with every token replaced by its HTML."""
        if _OPEN not in text:
            return text
        return self.pattern.sub(lambda m: (self.item(m) or (m.group(0), None))[0], text)

    def clear(self) -> None:
        self._items.clear()

    def extension(self) -> Extension:
        """The Python-Markdown extension that puts this stash's facts into pages."""
        return _StashExtension(self)


class _PutBack(Postprocessor):
    def __init__(self, stash: Stash, md: Markdown) -> None:
        super().__init__(md)
        self.stash = stash

    def run(self, text: str) -> str:
        if _OPEN not in text:
            return text

        def put_back(m: re.Match[str]) -> str:
            item = self.stash.item(m)
            if item is None:
                return m.group(0)
            in_tag = text.rfind("<", 0, m.start()) > text.rfind(">", 0, m.start())
            return as_text(item[1]) if in_tag else item[0]

        return self.stash.pattern.sub(put_back, text)


class _StashExtension(Extension):
    def __init__(self, stash: Stash) -> None:
        super().__init__()
        self.stash = stash

    def extendMarkdown(self, md: Markdown) -> None:
        # after raw HTML blocks, which may hold tokens, are put back (30)
        md.postprocessors.register(_PutBack(self.stash, md), "mlplugin-facts", 25)
