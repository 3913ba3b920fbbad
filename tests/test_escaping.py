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
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2 import nodes
from mkdocs.theme import Theme

from mkdocs_mlplugin.plugin import THEME_OVERRIDES

assert THEME_OVERRIDES is not None
TEMPLATES = sorted(
    p.relative_to(THEME_OVERRIDES).as_posix() for p in Path(THEME_OVERRIDES).rglob("*.html")
)
#: Material's base.html reduced to the blocks the overrides extend
BASE = "<html><head>{% block styles %}<link rel=stylesheet href=m.css>{% endblock %}</head>"
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

    def __iter__(self) -> Iterator[str]:  # as a list: its one item, a fact
        self._printed.add(self._path.rsplit(".", 1)[-1])
        yield self._value(f"{self._path}[0]")

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


def render(name: str, value: Any, printed: set[str], falsy: frozenset[str]) -> str:
    env = environment()
    # main.html's one value is a constant path; MkDocs' url filter needs a real page for it
    env.filters["url"] = lambda path: path
    page = Facts("page", value, printed, falsy)
    return env.get_template(name).render(page=page, base_url=".", config={})


def printed_names(template: nodes.Template) -> set[str]:
    """The name of every fact a ``{{ ... }}`` of TEMPLATE prints (the last attribute of each
    value it may print; conditions are not printed)."""

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


# the stage header shows only on a page bound to a stage and not to an artifact
FALSY = [frozenset(), frozenset({"artifact"})]


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_fact_a_template_writes_is_text_whatever_it_holds(name: str) -> None:
    tree = environment().parse(Path(THEME_OVERRIDES, name).read_text("utf-8"))
    printed: set[str] = set()
    for falsy in FALSY:
        plain = render(name, lambda path: "fact", set(), falsy)
        attack = render(name, hostile, printed, falsy)
        assert structure(attack) == structure(plain), attack
        assert "<img" not in attack and "<script" not in attack
        # each hostile value is on the page, as text
        assert html.unescape(attack).count("window.__pwned=1") >= 1
    assert printed_names(tree) - {"url"} <= printed, "a {{ ... }} was not rendered"
    if name != "main.html":
        assert printed_names(tree), "no fact printed"
