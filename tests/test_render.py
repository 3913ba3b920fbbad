"""Rendering: every value from the repository lands on the page as text, never as markup."""

from __future__ import annotations

import html
import re

import markdown
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mkdocs_mlplugin import render
from mkdocs_mlplugin.render import mermaid
from mkdocs_mlplugin.render.graph import Diagram, Node

EXTENSIONS = ["tables", "attr_list", "admonition", "toc", "md_in_html", "pymdownx.superfences"]
HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '<img src=x onerror="alert(1)">',
            "**bold** _it_ `code` [link](http://x) ![i](y)",
            "| a | b |",
            "{ml git short}",
            "{{ macro }} {% raw %}",
            "# heading\n- item\n1. item",
            "&amp; &lt; &#60;",
            'end"]\nclick n0 call alert()\n%%{init: {}}%%',
        ]
    ),
)


def visible_text(page_html: str) -> str:
    """What a reader sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_an_inline_value_reads_back_exactly_and_adds_no_markup(value: str) -> None:
    page = markdown.markdown(
        f"Value: {render.inline(value, 'param x')} end.", extensions=EXTENSIONS
    )
    tags = re.findall(r"<(\w+)", page)
    assert set(tags) <= {"p", "span"}
    assert visible_text(page) == f"Value: {render.printable(value)} end."


# Every extension that rewrites inline text: typography (smarty, smartsymbols: dashes,
# ellipses, quotes, fractions, c/o, arrows), emphasis variants, autolinks, emoji, keys, math.
ALL_INLINE = [
    *EXTENSIONS,
    "smarty",
    "abbr",
    "footnotes",
    "def_list",
    "pymdownx.betterem",
    "pymdownx.tilde",
    "pymdownx.caret",
    "pymdownx.mark",
    "pymdownx.critic",
    "pymdownx.magiclink",
    "pymdownx.emoji",
    "pymdownx.smartsymbols",
    "pymdownx.keys",
    "pymdownx.arithmatex",
    "pymdownx.inlinehilite",
]
# digits, punctuation, and letters that take part in www., c/o and the like (not the letters
# of ordinals such as 1st, which smartsymbols raises whatever the escaping)
TYPOGRAPHY = st.text(
    alphabet=st.sampled_from("0123456789acow .-/,;?%:+=~^*_`|<>&#@!$\\[](){}'\"\n\t"),
    max_size=24,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(HOSTILE, TYPOGRAPHY), st.one_of(HOSTILE, TYPOGRAPHY))
def test_no_markdown_extension_changes_an_inline_value(value: str, label: str) -> None:
    """A value reads back character for character with every common inline extension on:
    '--' stays two hyphens, '1/4' is not a fraction, 'www.a.co' not a link, ':+1:' no emoji;
    and the reference shown as its tooltip stays inside the title attribute."""
    page = markdown.markdown(f"Value: {render.inline(value, label)} end.", extensions=ALL_INLINE)
    assert set(re.findall(r"<(\w+)", page)) <= {"p", "span"}, page
    assert visible_text(page) == f"Value: {render.printable(value)} end."
    titles = re.findall(r'<span class="ml-value" title="([^"]*)">', page)
    assert [html.unescape(t) for t in titles] == [render.printable(label)], page


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE)
def test_an_empty_fact_is_a_dash_whose_tooltip_says_why(why: str, label: str) -> None:
    """Whatever the reason's text, the page shows a dash, and the tooltip holds the reference
    and the reason, inside the title attribute."""
    page = markdown.markdown(
        f"Value: {render.inline(render.Empty(why), label)} end.", extensions=ALL_INLINE
    )
    assert set(re.findall(r"<(\w+)", page)) <= {"p", "span"}, page
    assert visible_text(page) == "Value: \u2014 end."
    titles = re.findall(r'<span class="ml-value ml-empty" title="([^"]*)">', page)
    assert [html.unescape(t) for t in titles] == [render.printable(f"{label}: {why}")], page
    assert render.display(render.Empty(why)) == "\u2014"


def test_characters_html_cannot_carry_are_shown_as_replacement_characters() -> None:
    unprintable = ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"]
    unprintable += ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"]
    kept = ["\t", "\n", " ", "a", "\xa0", "\xe9", "\ufdcf", "\ufdf0", "\ufffd", "\U0001f600"]
    assert render.printable("".join(unprintable)) == "\ufffd" * len(unprintable)
    assert render.printable("".join(kept)) == "".join(kept)


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE)
def test_a_table_of_values_keeps_its_shape(key: str, value: str) -> None:
    lines = render.table(("Param", "Value"), [(render.Code(key), value)], "ml-params")
    page = markdown.markdown("\n".join(lines), extensions=EXTENSIONS)
    assert page.count("<tr>") == 2
    assert page.count("<td>") == 2
    assert set(re.findall(r"<(\w+)", page)) <= {
        "div",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "code",
    }
    cells = re.findall(r"<td>(.*?)</td>", page, re.DOTALL)
    assert visible_text(cells[0]) == render.printable(key)
    assert visible_text(cells[1]) == render.printable(value)


@settings(max_examples=200, deadline=None)
@given(HOSTILE)
def test_a_path_or_key_breaks_only_after_its_separators(value: str) -> None:
    """A path's only line break opportunities are after each '/' (a <wbr>), a dotted key's
    after each '.', a hash's none; the cell reads back as the value, and adds no other
    markup."""
    for name in (render.Path(value), render.Key(value), render.Hash(value)):
        lines = render.table(("Name",), [(name,)], "ml-params")
        page = markdown.markdown("\n".join(lines), extensions=EXTENSIONS)
        (shown,) = re.findall(r"<td>(.*?)</td>", page, re.DOTALL)
        breaks = render.printable(value).count(name.separator) if name.separator else 0
        assert re.findall(r"<(\w+)", shown) == ["code"] + ["wbr"] * breaks
        if name.separator:
            assert re.search(rf"(?<!&#{ord(name.separator)};)<wbr>", shown) is None
        assert visible_text(shown) == render.printable(value)


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE)
def test_a_short_hash_shows_the_full_one_as_its_tooltip_and_a_list_breaks_after_its_commas(
    full: str, item: str
) -> None:
    """A short hash's cell reads back as the short form, its title as the full value; a list
    of items (the params an experiment changed) gets a break opportunity after each ', ' and
    reads back as written; a date is one span that reads back as written. Nothing else is
    added, whatever the values hold."""
    assume(full)  # an empty hash has no tooltip
    items = f"{item}, {item}"
    cells = (render.Hash(full[:7], full), render.Items(items), render.Date(item))
    lines = render.table(("Commit", "Params", "Date"), [cells], "ml-x")
    page = markdown.markdown("\n".join(lines), extensions=EXTENSIONS)
    short, listed, date = re.findall(r"<td>(.*?)</td>", page, re.DOTALL)
    assert re.findall(r"<(\w+)", date) == ["span"]
    assert visible_text(date) == render.printable(item)
    (title,) = re.findall(r'^<code class="ml-name" title="([^"]*)">', short)
    assert html.unescape(title) == render.printable(full)
    assert visible_text(short) == render.printable(full[:7])
    assert re.findall(r"<(\w+)", short) == ["code"]
    breaks = render.printable(items).count(", ")
    assert re.findall(r"<(\w+)", listed) == ["code"] + ["wbr"] * breaks
    assert visible_text(listed) == render.printable(items)


@settings(max_examples=200, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=4), st.lists(HOSTILE, max_size=4))
def test_a_table_with_a_column_per_item_keeps_its_shape(
    labels: list[str], headings: list[str]
) -> None:
    """render.across: one column per item (headed by its name, however hostile), one row per
    label, each cell where its item and label meet; no item: the table says none."""
    columns = [(h, [f"{h}/{label}" for label in labels]) for h in headings]
    headers, rows = render.across("Item", labels, columns)
    page = markdown.markdown("\n".join(render.table(headers, rows, "ml-x")), extensions=EXTENSIONS)
    found = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL)
    ]
    assert [visible_text(c) for c in found[0]] == [render.printable(h) for h in headers]
    if not headings:
        assert [visible_text(c) for c in found[1]] == ["none"]
        return
    assert len(found) == 1 + len(labels)
    for label, row in zip(labels, found[1:], strict=True):
        assert [visible_text(c) for c in row] == [
            render.printable(label),
            *(render.printable(f"{h}/{label}") for h in headings),
        ]


@settings(max_examples=300, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=6, unique=True), st.data())
def test_mermaid_labels_cannot_break_out_of_their_node(
    names: list[str], data: st.DataObject
) -> None:
    edges = data.draw(
        st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=8)
    )
    nodes = [Node(n, n, "stage" if i % 2 else "current", "dvc.yaml") for i, n in enumerate(names)]
    lines = mermaid.flowchart(Diagram(nodes, edges))
    assert lines[0] == "flowchart TD"
    node_lines = [line for line in lines[1:] if "-->" not in line and "class" not in line]
    edge_lines = [line for line in lines[1:] if "-->" in line]
    assert len(node_lines) == len(names)
    assert len(edge_lines) == len(edges)
    for line in node_lines:
        match = re.fullmatch(r'    n\d+\["([^"\n`<>&#]|#\d+;)*"\]', line)
        assert match, line
    for line in edge_lines:
        assert re.fullmatch(r"    n\d+ --> n\d+", line)


def test_mermaid_label_entities_decode_to_the_name() -> None:
    name = 'train@a "big" <b> #1 `x`'
    label = mermaid.mermaid_label(name)[1:-1]
    assert re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label) == name


def test_sizes_read_like_du() -> None:
    assert [render.human_size(n) for n in (0, 1023, 1024, 5680, 3 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "5.5 KiB",
        "3.0 GiB",
    ]


def test_values_display_as_people_write_them() -> None:
    assert render.display(True) == "yes"
    assert render.display([1, "a"]) == "1, a"
    assert render.display({"b": 1, "a": [2]}) == '{"a": [2], "b": 1}'
    assert render.display(None) == ""


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE, HOSTILE)
def test_the_findings_box_shows_every_value_as_text(message: str, where: str, kind: str) -> None:
    box = render.findings_box([("error", where, message, kind), ("warn", "", "w", "k")])
    tags = re.findall(r"<(\w+)", box)
    assert set(tags) <= {"div", "p", "ul", "li", "strong", "code"}
    assert box.startswith('<div class="admonition failure ml-findings">')
    shown = visible_text(box)
    assert render.printable(message) in shown and render.printable(kind) in shown
    assert "1 error and 1 warning" in shown


def test_the_findings_box_is_a_warning_without_errors_and_empty_without_findings() -> None:
    assert render.findings_box([]) == ""
    box = render.findings_box([("warn", "docs/a.md:3", "no value yet.", "missing_value")])
    assert box.startswith('<div class="admonition warning ml-findings">')
    assert "docs/a.md:3" in visible_text(box) and "fails" not in box


def test_findings_show_on_their_page_and_the_others_on_the_home_page() -> None:
    from mkdocs_mlplugin.build import findings_by_page
    from mkdocs_mlplugin.findings import Finding

    on_page = Finding("missing_reference", "unknown param.", "docs/model.md", 3)
    stale = Finding("stale_pipeline", "stage 'train' is stale.", "dvc.yaml", 9)
    config = Finding("invalid_project_file", "bad option.", "mkdocs.yml")
    nowhere = Finding("git_history", "no git.")
    info = Finding("uncommitted_page", "not committed yet.", "docs/model.md")
    graded = [(on_page, "error"), (stale, "warn"), (config, "error"), (nowhere, "warn")]
    graded.append((info, "info"))
    sources = {"index.md": "docs/index.md", "model.md": "docs/model.md"}
    assert findings_by_page(graded, sources, "index.md") == {
        "model.md": [(on_page, "error")],
        "index.md": [(stale, "warn"), (config, "error"), (nowhere, "warn")],
    }
    # a site without a home page: its first page
    assert findings_by_page(graded, {"model.md": "docs/model.md"}, None)["model.md"][0] == (
        on_page,
        "error",
    )
    assert findings_by_page(graded, {}, None) == {}
