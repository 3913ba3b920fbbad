"""Nothing from the repository becomes code: every template the plugin ships escapes every value
it writes.

The theme overrides are rendered by MkDocs' own Jinja environment, which has autoescape off.
Every template turns it on itself; these tests prove that for every ``{{ ... }}`` of every
template: each is under ``{% autoescape true %}`` (read from Jinja's own syntax tree), and
rendering every template with every fact set to a hostile string, parsed back with an HTML
parser, gives exactly the elements and attributes the template writes for harmless facts.
"""

from __future__ import annotations

import html
import html.parser
import json
import posixpath
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
import markdown
import pytest
import yaml
from conftest import Repo
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jinja2 import nodes
from mkdocs.theme import Theme
from test_cli import build_findings, check_findings, ml

from mkdocs_mlplugin import render
from mkdocs_mlplugin.build import THEME_OVERRIDES
from mkdocs_mlplugin.cli import _annotation
from mkdocs_mlplugin.findings import Finding, visible
from mkdocs_mlplugin.pages.stash import Source, Stash, _nearest, _simple, contexts
from mkdocs_mlplugin.render import mermaid

assert THEME_OVERRIDES is not None
TEMPLATES = sorted(
    p.relative_to(THEME_OVERRIDES).as_posix() for p in Path(THEME_OVERRIDES).rglob("*.html")
)
#: Material's base.html reduced to the blocks the overrides extend
BASE = "<html><head>{% block htmltitle %}<title>t</title>{% endblock %}{% block styles %}<link rel=stylesheet href=m.css>{% endblock %}</head>"
BASE += "<body>{% block content %}<article>page</article>{% endblock %}</body></html>"


def hostile(path: str) -> str:
    """The value of the fact at PATH: markup that adds an element and attributes if it is not
    escaped, in text or in an attribute (quoted either way); its first characters alone too."""
    return f"\"'><img src=x onerror=\"window.__pwned=1\" data-fact='{path}'>&amp;<script>x</script>"


class Facts(Mapping[str, Any]):
    """Every fact a template asks for, at any depth: a mapping (so ``is mapping`` holds), whose
    items are facts too, and which prints as the value VALUE(path). Records what was printed."""

    def __init__(self, path: str, value: Any, printed: set[str], falsy: frozenset[str]) -> None:
        self._path, self._value, self._printed, self._falsy = path, value, printed, falsy

    def _child(self, name: str) -> Any:
        if name in self._falsy:
            return None
        return Facts(f"{self._path}.{name}", self._value, self._printed, self._falsy)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._child(name)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return str(self)[key]
        return self._child(str(key))

    def __iter__(self) -> Iterator[Any]:  # as a list: its one item, a fact (of facts too)
        self._printed.add(self._path.rsplit(".", 1)[-1])
        yield Facts(f"{self._path}[0]", self._value, self._printed, self._falsy)

    def __len__(self) -> int:
        return 1

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        self._printed.add(self._path.rsplit(".", 1)[-1])
        return [(self._value(f"{self._path}[key]"), self._child("0"))]

    def __str__(self) -> str:
        self._printed.add(self._path.rsplit(".", 1)[-1])
        return str(self._value(self._path))


def environment() -> jinja2.Environment:
    """MkDocs' Jinja environment for Material with the overrides, as a build makes it (autoescape
    off), with Material's base.html reduced to the blocks the overrides extend."""
    theme = Theme(name="material")
    theme.dirs.insert(0, str(THEME_OVERRIDES))
    env = theme.get_env()
    assert not env.autoescape
    env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({"base.html": BASE}), env.loader])
    return env


class Structure(html.parser.HTMLParser):
    """The elements and attribute names of a document, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, tuple(name for name, _ in attrs)))


def structure(document: str) -> list[tuple[str, tuple[str, ...]]]:
    parser = Structure()
    parser.feed(document)
    parser.close()
    return parser.found


def render_template(name: str, value: Any, printed: set[str], falsy: frozenset[str]) -> str:
    env = environment()
    # main.html's one value is a constant path; MkDocs' url filter needs a real page for it
    env.filters["url"] = lambda path: path
    page = Facts("page", value, printed, falsy)
    config = Facts("config", value, printed, falsy)
    return env.get_template(name).render(page=page, base_url=".", config=config)


def printed_names(template: nodes.Template) -> set[str]:
    """The name of every fact a ``{{ ... }}`` of TEMPLATE prints (the last attribute or key of
    each value it may print; conditions are not printed)."""

    def values(expr: nodes.Node) -> Iterator[str]:
        if isinstance(expr, nodes.Getattr):
            yield expr.attr
        elif isinstance(expr, nodes.CondExpr):
            yield from values(expr.expr1)
            if expr.expr2 is not None:
                yield from values(expr.expr2)
        elif isinstance(expr, (nodes.Or, nodes.And)):
            yield from values(expr.left)
            yield from values(expr.right)
        elif isinstance(expr, nodes.Getitem) and isinstance(expr.arg, nodes.Const):
            yield str(expr.arg.value)  # a mapping's key, as page.meta["title"]
        elif isinstance(expr, (nodes.Filter, nodes.Getitem)) and expr.node is not None:
            yield from values(expr.node)

    return {
        name
        for output in template.find_all(nodes.Output)
        for expr in output.nodes
        for name in values(expr)
    }


def under_autoescape(template: nodes.Template) -> list[str]:
    """Every ``{{ ... }}`` of TEMPLATE that is not inside ``{% autoescape true %}``."""
    outside: list[str] = []

    def walk(node: nodes.Node, escaped: bool) -> None:
        if isinstance(node, nodes.ScopedEvalContextModifier):
            (option,) = node.options
            assert option.key == "autoescape" and isinstance(option.value, nodes.Const)
            escaped = bool(option.value.value)
        if isinstance(node, nodes.Output) and not escaped:
            outside.extend(
                f"line {e.lineno}" for e in node.nodes if not isinstance(e, nodes.TemplateData)
            )
        for child in node.iter_child_nodes():
            walk(child, escaped)

    walk(template, False)
    return outside


def test_the_overrides_are_the_templates_tested_here() -> None:
    assert TEMPLATES == ["main.html", "partials/ml-model-card.html", "partials/ml-provenance.html"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_value_a_template_writes_is_under_autoescape(name: str) -> None:
    env = environment()
    source = Path(THEME_OVERRIDES, name).read_text("utf-8")
    tree = env.parse(source)
    assert under_autoescape(tree) == []
    filters = {f.name for f in tree.find_all(nodes.Filter)}
    assert "safe" not in filters
    assert not {n.name for n in tree.find_all(nodes.Name)} & {"Markup", "markup"}


# the stage header shows only on a page bound to a stage and not to an artifact; the model
# card header names the training commit only for a model trained in a commit
FALSY = [frozenset(), frozenset({"artifact"}), frozenset({"trained_uncommitted"})]


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_fact_a_template_writes_is_text_whatever_it_holds(name: str) -> None:
    tree = environment().parse(Path(THEME_OVERRIDES, name).read_text("utf-8"))
    printed: set[str] = set()
    for falsy in FALSY:
        plain = render_template(name, lambda path: "fact", set(), falsy)
        attack = render_template(name, hostile, printed, falsy)
        assert structure(attack) == structure(plain), attack
        assert "<img" not in attack and "<script" not in attack
        # each hostile value is on the page, as text
        assert html.unescape(attack).count("window.__pwned=1") >= 1
    assert printed_names(tree) - {"url"} <= printed, "a {{ ... }} was not rendered"
    if name != "main.html":
        assert printed_names(tree), "no fact printed"


# =========================================================================== logs and the CLI

#: what must never reach a log line or a terminal raw
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_BACK = re.compile(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|(.))", re.DOTALL)


def read_back(shown: str) -> str:
    """The string VISIBLE was given, read back from what it wrote (Python's escapes)."""

    def one(m: re.Match[str]) -> str:
        if m.group(3) is not None:
            return {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[m.group(3)]
        return chr(int(m.group(1) or m.group(2), 16))

    return _BACK.sub(one, shown)


ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=())),  # surrogates too
    st.text(st.sampled_from("\\\n\r\t\x1b\x07\x00\x85\x9b\u2028\u2029\u202e\u2066:%,xnu0a[")),
)


@settings(max_examples=1000, deadline=None)
@given(ANY_TEXT)
def test_a_visible_string_is_one_line_of_readable_characters_that_reads_back(text: str) -> None:
    shown = visible(text)
    assert not RAW.search(shown)
    assert len(shown.splitlines()) <= 1
    shown.encode("utf-8")  # no lone surrogate: any terminal or log file can take it
    assert read_back(shown) == text
    assert visible(shown) == shown.replace("\\", "\\\\")


def test_visible_writes_what_a_reader_recognises() -> None:
    assert visible("a\nb\rc\td\\e\x1b[2J\x07\u202eF\u2028") == (
        "a\\nb\\rc\\td\\\\e\\x1b[2J\\x07\\u202eF\\u2028"
    )
    assert (
        visible("Ünïcödé, emoji \U0001f600 and 中文 stay")
        == "Ünïcödé, emoji \U0001f600 and 中文 stay"
    )


def runner_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the GitHub Actions runner reads a line of output (ActionCommand,
    version 2): '::name key=value,key=value::data', with its escapes undone."""
    assert line.startswith("::"), line
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2 :]
    name, _, props = info.partition(" ")
    properties = {}
    for prop in filter(None, props.split(",")):
        key, _, raw = prop.partition("=")
        properties[key] = (
            raw.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
        )
    data = data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    return name, properties, data


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT, ANY_TEXT, st.sampled_from(["error", "warn", "info"]))
def test_a_github_annotation_is_one_command_whatever_the_finding_says(
    message: str, file: str, severity: str
) -> None:
    finding = Finding("missing_reference", message, file or None, 3)
    line = _annotation(finding, severity, "")
    assert len(line.splitlines()) == 1 and not RAW.search(line)
    name, properties, data = runner_command(line)
    assert name == {"error": "error", "warn": "warning", "info": "notice"}[severity]
    assert data == visible(message)
    assert properties["title"] == "mlplugin missing_reference"
    if file:
        assert properties["file"] == visible(posixpath.normpath(file))
        assert properties["line"] == "3"


#: a params key that, printed raw, would be a line of its own that a CI runner obeys, then
#: clear the terminal, set its title and turn the rest of the line around
HOSTILE_KEY = (
    "train.lr\n::error file=README.md,line=1::pwned\r\n::add-mask::x\x1b[2J\x1b]0;t\x07\u202eok"
)
HOSTILE_PAGE = "bad\x1b[31m\u2028name.md"


def test_repository_data_in_build_logs_and_check_output_cannot_start_a_line(pipeline: Repo) -> None:
    """A params key and a page name carrying line breaks, workflow commands, ESC sequences and
    a bidi override reach findings ('Did you mean' names the key); every output shows them
    escaped, on the finding's own line, and JSON keeps them exact."""
    params = yaml.safe_load(pipeline.read("params.yaml"))
    params[HOSTILE_KEY] = 1
    pipeline.write("params.yaml", yaml.safe_dump(params, sort_keys=False))
    typed = HOSTILE_KEY.replace("\r", "").replace("\n", " ").replace("\x07", "").replace("\x1b", "")
    pipeline.site({"index.md": "# Home\n", HOSTILE_PAGE: f'# Bad\n\n{{ml param "{typed}"}}\n'})
    pipeline.commit("Docs")
    message = f"no param '{typed}' in params.yaml. Did you mean '{HOSTILE_KEY}'?"

    build = pipeline.build()
    text = ml(pipeline, "check")
    github = ml(pipeline, "check", "--format", "github")
    as_json = ml(pipeline, "check", "--format", "json")

    expected = visible(f"docs/{HOSTILE_PAGE}:3: '{{ml param \"{typed}\"}}': {message}")
    assert f"ERROR   -  mlplugin: {expected} [missing_reference]\n" in build.output
    assert (
        text.stdout.splitlines()[0]
        == expected.replace(":3: ", ":3: error: ", 1) + " [missing_reference]"
    )
    for output in (build.output, text.stdout + text.stderr, github.stdout + github.stderr):
        assert not RAW.search(output.replace("\n", "")), output
        assert not re.search(r"^\s*::(?!error file=docs/bad)", output, re.MULTILINE), output
    (line,) = github.stdout.splitlines()
    name, properties, data = runner_command(line)
    assert (name, properties["file"], properties["line"]) == (
        "error",
        visible(f"docs/{HOSTILE_PAGE}"),
        "3",
    )
    assert data == visible(f"'{{ml param \"{typed}\"}}': {message}")
    (finding,) = json.loads(as_json.stdout)["findings"]
    assert finding["file"] == f"docs/{HOSTILE_PAGE}"
    assert finding["message"].endswith(f"Did you mean '{HOSTILE_KEY}'?")


# =========================================================================== the plugin's own links


def test_the_plugins_own_links_never_read_as_a_scheme() -> None:
    """A page's address relative to another, as the plugin writes it into href ("Documented:"
    links, model card links): a first part with a ':' gets './' (MkDocs also writes ':' as
    %3A in page URLs); other URLs are written as they are, escaped."""
    assert render.href("javascript:alert(1)/") == "./javascript:alert(1)/"
    assert render.href("JaVa\tScRiPt:x") == "./JaVa\tScRiPt:x"
    assert render.href("data:text/html,x") == "./data:text/html,x"
    assert render.href("../model-card/") == "../model-card/"
    assert (
        render.href('https://example.com/?a=1&b="2"')
        == "https://example.com/?a=1&amp;b=&quot;2&quot;"
    )
    assert render.href("mailto:ml@example.com") == "mailto:ml@example.com"
    assert render.url_scheme(html.unescape(render.href("javascript:x"))) is None


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_a_link_the_plugin_writes_has_a_safe_scheme_whatever_the_url(url: str) -> None:
    written = html.unescape(render.href(url))
    assert render.unsafe_url("href", written) is None
    assert written in (url, "./" + url)


def test_check_finds_a_refused_value_as_the_build_does(pipeline: Repo) -> None:
    params = yaml.safe_load(pipeline.read("params.yaml"))
    params["link"] = "JavaScript:alert(1)"
    pipeline.write("params.yaml", yaml.safe_dump(params, sort_keys=False))
    page = (
        '# Links\n\n<a href="{ml param link}">raw</a>\n\n[md]({ml param link})\n\n'
        '<abbr title="{ml param link}">ok</abbr> and {ml param link} in text\n'
    )
    pipeline.site({"index.md": page, "plain.md": "# Plain\n\n{ml param link}\n"})
    pipeline.commit("Links")

    build = pipeline.build()
    check = ml(pipeline, "check")

    assert build.returncode == check.returncode == 1
    why = (
        "'{ml param link}': the value 'JavaScript:alert(1)' is left out of the page's HTML: in "
        "the href attribute the URL would have the scheme 'javascript', and only relative, "
        "http, https and mailto URLs are written there. [unsafe_value]"
    )
    expected = [("error", f"docs/index.md:{line}: {why}") for line in (3, 5)]
    assert build_findings(build.output) == expected
    assert check_findings(check.stdout) == expected


# =========================================================================== HTML the plugin builds


def built_html(value: Any) -> str:
    """Every piece of HTML render.py builds, with VALUE in every place a fact goes."""
    cells = [value, render.Code(value), render.Empty(str(value))]
    return "\n".join(
        [
            render.inline(value, str(value)),
            render.inline(render.Empty(str(value)), str(value)),
            render.missing(str(value), str(value)),
            *render.table([str(value), str(value), str(value)], [cells], "ml-params"),
            *render.grouped_table([str(value)] * 3, [(cells, [cells]), ((), [cells])], "ml-x"),
            *render.box(str(value), [(str(value), c) for c in cells], "ml-provenance"),
            *mermaid.node_links([(str(value), str(value))]),
            *mermaid.state_reasons([(str(value), str(value), [str(value), str(value)])]),
        ]
    )


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_html_the_plugin_builds_has_the_same_elements_whatever_the_facts(value: str) -> None:
    """Each builder of render.py, every fact set to any text: the same elements and attributes
    as with a plain word, and each fact read back as text."""
    assert structure(built_html(value)) == structure(built_html("fact"))
    attack = built_html(hostile("render"))
    assert structure(attack) == structure(built_html("fact"))
    assert "<img" not in attack and "<script" not in attack


# =========================================================================== where a fact stands

MARK = "\ue000"  # a fact's token, as the page's HTML holds it
#: pieces of HTML, and of Markdown around it, to put a fact's token among
HTML_PIECES = st.lists(
    st.sampled_from(
        [
            "<a",
            "<iframe",
            "<img",
            "<p ",
            "<b>",
            "</b>",
            "<script>",
            "</script>",
            "<style>",
            "</style>",
            "<textarea>",
            "</textarea>",
            "<title>",
            "</title>",
            "<!--",
            "-->",
            "--!>",
            "<!-->",
            "<!",
            "<?",
            "</",
            "</x ",
            ">",
            "/>",
            '"',
            "'",
            "=",
            " ",
            "\n",
            "/",
            "href",
            "title",
            "onclick",
            "x",
            "&amp;",
            "<",
            "srcdoc",
            '<a href="',
            "<a title='",
            "<img src=",
            ' onclick="',
            '="',
            "='",
            " x=",
            "<iframe srcdoc='",
            '<a title=">" href="',
            "a < b",
            '<td class="ml">',
            "</td>",
        ]
    ),
    max_size=16,
)


@pytest.mark.parametrize(
    "element", ["script", "style", "textarea", "title", "noscript", "iframe", "xmp", "SCRIPT"]
)
def test_a_tag_inside_raw_text_is_not_read_by_the_nearest_tag(element: str) -> None:
    """Inside <script> and the other elements a browser reads as text up to their end tag, a
    '<a' starts no tag: such HTML is not simple, so the full reading decides (seen:
    '<script><a' then the fact then '-->' read as in a tag by the nearest '<')."""
    text = f"<{element}><a{MARK}-->"
    assert not _simple(text.replace(MARK, "x"))
    assert _simple(text.replace(MARK, "x").replace(element, "span"))


def test_highlighted_code_with_quotes_is_simple_html() -> None:
    """Pygments leaves a single quote in code as it is: in text it starts no value, so a page
    with a highlighted code block still has its facts put back by the nearest tag. In a tag a
    single quote may hold a '>' that does not end it: that HTML is read from the start."""
    code = markdown.markdown(
        "```python\nprint('a > b')\n```\n",
        extensions=["pymdownx.highlight", "pymdownx.superfences"],
    )
    assert "'" in code
    assert _simple(code)
    assert not _simple("<a title='>' x='<'>text</a>")
    assert not _simple('<span title="it\'s">text</span>')
    text = code + f'<p><a href="{MARK}">x</a> {MARK}</p>'
    positions = [m.start() for m in re.finditer(re.escape(MARK), text)]
    assert _nearest(text, positions) == contexts(text, positions)
    assert [p.name if p else None for p in contexts(text, positions)] == ["href", None]


@settings(max_examples=3000, deadline=None)
@given(HTML_PIECES, st.data())
def test_the_nearest_tag_tells_where_a_fact_stands_in_simple_html(
    pieces: list[str], data: st.DataObject
) -> None:
    """In HTML that _simple accepts (Python-Markdown's own, and raw HTML like it), the nearest
    '<' and '>' give what reading the page from the start gives (which test_browser holds to
    Chromium)."""
    at = data.draw(st.integers(0, len(pieces)))
    text = "".join(pieces[:at]) + MARK + "".join(pieces[at:])
    if _simple(text.replace(MARK, "x")):
        position = [text.index(MARK)]

        def seen(place: Any) -> Any:  # in a tag outside a value, where the tag starts is moot
            return place if place is None or place.name else ""

        assert [seen(p) for p in _nearest(text, position)] == [
            seen(p) for p in contexts(text, position)
        ], text


def test_a_fact_in_a_heading_stays_text_in_the_title_and_navigation(pipeline: Repo) -> None:
    """Material puts a page's heading into <title> through ``striptags``, which decodes the
    entities an escaped fact is made of: the plugin's overrides keep it text there too."""
    hostile = "</title><script>alert(1)</script><b>x"
    pipeline.write("params.yaml", pipeline.read("params.yaml") + f"note: '{hostile}'\n")
    pipeline.site({"index.md": "# Home\n", "model.md": "# Model {ml param note}\n\nText.\n"})
    pipeline.commit("Docs")
    build = pipeline.build()
    assert build.ok, build.output
    page = (build.site / "model" / "index.html").read_text()
    assert "<script>alert(1)" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert title is not None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in title.group(1)
    for other in ("index.html", "404.html"):
        assert "<script>alert(1)" not in (build.site / other).read_text()


# =========================================================================== deciding without converting

MARKDOWN_PIECES = st.lists(
    st.sampled_from(
        [
            "text ",
            " ",
            "\n",
            "\n\n",
            "    ",
            "# ",
            "- ",
            "| a | ",
            "\\",
            "`",
            "``",
            "`{x}` ",
            "[a](",
            "![i](",
            "[a] (",
            "](",
            ")",
            "(",
            "[",
            "]",
            "]:",
            "[r]: ",
            "[a][r]",
            "<",
            ">",
            '"',
            "'",
            "=",
            "{",
            "}",
            "{: ",
            "{ onclick=",
            "{ href=",
            " .c }",
            "<a href=",
            '<a href="',
            '<img src="',
            "<div markdown>",
            "</div>",
            "<b onclick='",
            "<!-- ",
            " -->",
            "<script>",
            "</script>",
            "<https://",
            "*[T]: ",
            '!!! note "',
            "<x\n",
            'title="',
            MARK,
            MARK,
            MARK,
        ]
    ),
    max_size=24,
)
EXTENSIONS = [
    "attr_list",
    "md_in_html",
    "toc",
    "abbr",
    "def_list",
    "footnotes",
    "tables",
    "admonition",
]


#: Markdown that puts a fact (MARK) into an attribute where a URL or a script goes
REFUSING = [
    "[a](M)",
    "![i](M)",
    "[a]( M )",
    "[a](\nM)",
    "[a](M 't')",
    "[a](<M>)",
    "[a\nb](M)",
    "[r]: M\n\n[x][r]",
    "[r]:\n  M\n\n[x][r]",
    "text { onclick=M }\n",
    "# H { onclick=M }",
    "text\n{: onclick='M' }\n",
    '<a href="M">x</a>',
    "<a\nhref=\nM>x</a>",
    "<div onclick='M'>",
    "<img src=M>",
    '<a title=">" href="M">',
    "<div markdown>\n[a](M)\n</div>",
    "| [a](M) |",
    "<a href=M",
    "`x` [a](M) `y`",
]


@settings(max_examples=3000, deadline=None)
@given(MARKDOWN_PIECES, st.sampled_from(REFUSING), MARKDOWN_PIECES)
@example(["`"], "`x` [a](M) `y`", [])  # Python-Markdown 3.11 pairs '``' with the '`' after x
def test_check_converts_every_page_whose_facts_a_conversion_may_refuse(
    before: list[str], refusing: str, after: list[str]
) -> None:
    """mkdocs-ml check converts only the pages where a value may stand in a tag (the rest would
    cost it most of its time). Whenever converting a page refuses a value, the page was one of
    them: check reports what the build reports."""
    stash = Stash()
    token = stash.token("<span>v</span>", "javascript:alert(1)", Source("p.md", 1, "{ml x}"))
    page = "".join([*before, refusing.replace("M", MARK), *after]).replace(MARK, token)
    markdown.Markdown(extensions=[*EXTENSIONS, stash.extension()]).convert(page)
    if stash.take_refused():
        assert stash.may_stand_in_markup(page), page


def test_a_page_whose_facts_stand_in_text_is_decided_without_converting() -> None:
    """Braces in a code span, a link closed before the fact, an attribute list closed before
    it, a link on the line before: the facts stand in text, and check need not convert."""
    stash = Stash()
    token = stash.token("<span>v</span>", "javascript:alert(1)")
    for page in [
        f"Trained with `{{ml stage train}}` written literally, which is {token}.",
        f"- [g00](models/g00.md): lr {token}",
        f"See [the card](card.md).\n{token}",
        f"## Results {{ #results }} {token}",
        f"![plot](p.svg) and {token}",
        f"A < B and {token}",
    ]:
        assert not stash.may_stand_in_markup(page), page
        assert stash.may_stand_in_markup(page.replace(token, "") + f"[a]({token})"), page
