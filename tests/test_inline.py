"""Inline facts travel through Python-Markdown as tokens and come out as the same HTML, in
every place a reference can stand, with every common inline extension on."""

from __future__ import annotations

import html
import re

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render import ALL_INLINE, HOSTILE, TYPOGRAPHY, visible_text

from mkdocs_mlplugin import render
from mkdocs_mlplugin.pages.stash import Source, Stash

VALUES = st.one_of(HOSTILE, TYPOGRAPHY)


def convert(source: str, stash: Stash) -> str:
    return markdown.markdown(source, extensions=[*ALL_INLINE, stash.extension()])


def fact(stash: Stash, value: str, label: str = "param x") -> str:
    return stash.token(render.inline(value, label), value)


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES)
def test_a_fact_in_text_is_the_inline_html_exactly(value: str, label: str) -> None:
    stash = Stash()
    page = convert(f"Value: {fact(stash, value, label)} end.", stash)
    assert page == f"<p>Value: {render.inline(value, label)} end.</p>"
    assert visible_text(page) == f"Value: {render.printable(value)} end."


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_a_fact_reads_back_in_headings_tables_links_lists_and_emphasis(value: str) -> None:
    stash = Stash()
    shown = render.printable(value)
    source = "\n\n".join(
        [
            f"## Model {fact(stash, value)}",
            f"| Name | Value |\n| --- | --- |\n| lr | {fact(stash, value)} |",
            f"[{fact(stash, value)}](https://example.com/)",
            f"- item {fact(stash, value)}",
            f"**{fact(stash, value)}**",
            f"!!! note\n    In a note: {fact(stash, value)}",
        ]
    )
    md = markdown.Markdown(extensions=[*ALL_INLINE, stash.extension()])
    page = md.convert(source)
    assert "\ue000" not in page
    heading = re.search(r"<h2[^>]*>(.*?)</h2>", page, re.DOTALL)
    assert heading and visible_text(heading.group(1)) == f"Model {shown}"
    # the table of contents and the anchor read the value, as they read inline HTML
    old = markdown.Markdown(extensions=ALL_INLINE)
    old.convert(f"## Model {render.inline(value, 'param x')}")
    assert md.toc_tokens[0]["name"] == old.toc_tokens[0]["name"]  # type: ignore[attr-defined]
    assert md.toc_tokens[0]["id"] == old.toc_tokens[0]["id"]  # type: ignore[attr-defined]
    cells = re.findall(r"<td>(.*?)</td>", page, re.DOTALL)
    assert [visible_text(c) for c in cells] == ["lr", shown]
    link = re.search(r'<a href="https://example.com/">(.*?)</a>', page, re.DOTALL)
    assert link and visible_text(link.group(1)) == shown
    item = re.search(r"<li>(.*?)</li>", page, re.DOTALL)
    assert item and visible_text(item.group(1)) == f"item {shown}"
    strong = re.search(r"<strong>(.*?)</strong>", page, re.DOTALL)
    assert strong and visible_text(strong.group(1)) == shown
    assert f"In a note: {shown}" in visible_text(page)
    assert page.count('class="ml-value"') == 6


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_in_raw_html_a_fact_is_html_in_text_and_plain_text_in_an_attribute(value: str) -> None:
    stash = Stash()
    source = f'<div class="box">\n<p title="{fact(stash, value)}">{fact(stash, value)}</p>\n</div>'
    page = convert(source, stash)
    assert "\ue000" not in page
    tags = re.findall(r"<(\w+)", page)
    assert tags == ["div", "p", "span"], page
    title = re.search(r'<p title="([^"]*)">', page)
    assert title and html.unescape(title.group(1)) == render.printable(value)
    inner = re.search(r"<p [^>]*>(.*)</p>", page, re.DOTALL)
    assert inner and inner.group(1) == render.inline(value, "param x")


def test_text_that_looks_like_a_token_is_never_a_fact() -> None:
    stash, other = Stash(), Stash()
    real = fact(stash, "0.05")
    forged = fact(other, "9.99")  # same shape, another stash's random part
    bare = "\ue000\ue100\ue100\ue100\ue100\ue001"
    page = convert(f"{real} {forged} {bare}", stash)
    assert ">0.05</span>" in page
    assert "9.99" not in page
    assert forged in page and bare in page


def test_expand_puts_the_html_back_into_markdown() -> None:
    stash = Stash()
    tokens = [fact(stash, str(n)) for n in range(5000)]  # indexes of more than one digit
    text = " ".join(tokens)
    assert stash.expand(text) == " ".join(render.inline(str(n), "param x") for n in range(5000))
    stash.clear()
    assert stash.expand(tokens[0]) == tokens[0]


BLOCK = '<table class="ml-table">\n<tr><th>Key</th><td title="a \'b\' c">0.9</td></tr>\n</table>'


def test_a_block_stands_in_place_of_its_paragraph_wherever_markdown_puts_it() -> None:
    """A block's HTML never goes through Python-Markdown's HTML parser: its token is put back
    in place of the paragraph made of it, at the top level, in a note and in a list item, and
    its lines come out as drawn (a note's indentation is not written into them)."""
    stash = Stash()
    source = "\n\n".join(
        [
            "Before.",
            stash.block(BLOCK),
            f"!!! note\n    In a note:\n\n    {stash.block(BLOCK)}",
            f"- item\n\n    {stash.block(BLOCK)}",
            "After.",
        ]
    )
    page = convert(source, stash)
    assert "\ue000" not in page
    assert page.startswith(f"<p>Before.</p>\n{BLOCK}\n")
    assert f"<p>In a note:</p>\n{BLOCK}\n</div>" in page
    assert f"<p>item</p>\n{BLOCK}\n</li>" in page
    assert page.count(BLOCK) == 3
    assert "<p><table" not in page and "</table></p>" not in page
    assert not stash.take_refused()


def test_a_block_inside_a_tag_is_left_out_with_a_finding() -> None:
    stash = Stash()
    source = Source("card.md", 7, "{ml metrics-table}")
    page = convert(f'<div title="\n{stash.block(BLOCK, source)}\n">text</div>', stash)
    assert "<table" not in page and "\ue000" not in page
    (finding,) = stash.take_refused()
    assert (finding.kind, finding.file, finding.line) == ("unsafe_value", "card.md", 7)
    assert "inside a tag of raw HTML" in finding.message
