r"""Property tests: the plugin's Mermaid flowcharts, parsed and drawn by the real Mermaid.

``mermaid.flowchart`` writes every stage name, path and dvc.yaml name from the repository into a
Mermaid flowchart. tests/test_render.py checks the text of the result with regular
expressions; this module checks what Mermaid *makes* of it. Hypothesis generates diagrams whose
names are arbitrary Unicode text (quotes, ``#``, ``;``, ``<>``, backticks, ``%%{init}%%``,
``click``, ``end``, ``subgraph``, ``style``, ``classDef``, ``direction``, line breaks, ``-->``,
brackets, ...) or names as DVC writes them (``train@lr-0.1``, ``sub/dvc.yaml:train``, paths
with spaces), spread over one or several dvc.yaml groups (subgraphs) with data nodes. Each
diagram goes to the real Mermaid 11, the build the package ships and every site serves
(``mkdocs_mlplugin/assets/mermaid/``, its version in ``VERSION``), in one headless Chromium page (Debian's /usr/bin/chromium through Playwright) that stays open
for the whole session, so an example costs one ``page.evaluate`` of a few milliseconds.

The tests read back Mermaid's flowchart database (``mermaid.mermaidAPI.getDiagramFromText``)
and the SVG ``mermaid.render`` draws, and require:

- it parses as a flowchart with exactly the intended vertices (n0, n1, ... for nodes, g0, ...
  for subgraphs), edges, subgraph members, node shapes and state classes;
- nothing from the data became a directive (``%%{init}%%`` would show in the config that
  ``mermaid.parse`` returns), a ``direction``, ``click``/link/callback/tooltip, ``style``,
  ``linkStyle``, ``classDef`` or ``class`` statement, a title or an accessibility statement;
- every node label and subgraph title, with Mermaid's entity codes decoded, is the name;
- the SVG has only elements the same diagram with plain names has (no ``<script>``, ``<img>``,
  ``<a>``, ``<iframe>``, no ``on*`` or link attribute, no markup inside a label), and shows
  every node, edge and name as text.

Mermaid runs with ``securityLevel: "loose"``, its most permissive setting (Material for MkDocs
uses the default, ``"strict"``): in loose mode a ``click`` statement registers its callback,
and the SVG keeps HTML that strict mode would strip, so whatever leaks is seen here.

What fails with Mermaid 11.17.2 (minimal examples Hypothesis found are pinned with @example):

- Mermaid's lexer reads any line matching ``.*direction\s+(TB|BT|RL|LR|TD)`` as a direction
  statement, even inside a quoted label. A stage named ``direction LR`` (or a path like
  ``plots/direction TB.png``) disappears from the diagram; when an edge names it, it comes back
  as a bare box labelled ``n1``; inside a subgraph it sets that subgraph's layout direction; a
  dvc.yaml group named so makes the whole diagram a parse error (its ``end`` is unmatched).
- Mermaid's ``encodeEntities`` first strips the last ``;`` of any line matching
  ``style.*:\S*#.*;`` or ``classDef.*:\S*#.*;``, so a name like ``style:'`` or
  ``styles/dvc.yaml:train@{'lr': 0.1}`` shows its last escaped character as ``#39``/``#125``.
- Mermaid trims a label: leading and trailing spaces of a name are lost; an empty name
  (``[""]``) is a parse error.
- Mermaid's own entity placeholders in a name (``ﬂ°``, ``ﬂ°°``, ``¶ß``) are decoded again when
  the SVG is drawn: ``ﬂ°`` is shown as ``&``, ``ﬂ°lt¶ß`` as ``<`` (as text, never as markup).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import SiteServer, is_external
from hypothesis import example, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page, Route

from mkdocs_mlplugin.render import printable
from mkdocs_mlplugin.render.graph import Diagram, Node
from mkdocs_mlplugin.render.mermaid import STATE_CLASSES, SUBGRAPH_STYLE, flowchart

STATES = sorted(STATE_CLASSES)
DIRECTIONS = {"TD": "TB", "TB": "TB", "LR": "LR", "RL": "RL", "BT": "BT"}

# --------------------------------------------------------------------------- the page

INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="mermaid.min.js"></script>
</head><body></body></html>
"""

# Installed in the page once. ``mlInspect`` parses a diagram and returns Mermaid's flowchart
# database as plain data; ``mlRender`` renders it and returns the SVG's elements (name,
# namespace, attribute names), its nodes, clusters and edges, and every URL-like attribute.
PAGE_SCRIPT = """
(() => {
  mermaid.initialize({ startOnLoad: false, securityLevel: "loose" });
  const values = (m) => (m instanceof Map ? Array.from(m.values()) : Object.values(m || {}));
  const entries = (m) => (m instanceof Map ? Array.from(m.entries()) : Object.entries(m || {}));
  const size = (m) => (m instanceof Map ? m.size : Object.keys(m || {}).length);
  const orNull = (v) => (v === undefined ? null : v);

  window.mlInspect = async (text) => {
    let parsed;
    try {
      parsed = await mermaid.parse(text);
    } catch (e) {
      return { error: String((e && e.message) || e) };
    }
    const fromText = mermaid.mermaidAPI && mermaid.mermaidAPI.getDiagramFromText;
    if (typeof fromText !== "function") {
      // a build without it: mermaid.parse says the text parses, and that is all we can see
      return { error: null, db: false, parsedType: parsed.diagramType, config: parsed.config };
    }
    const diagram = await fromText(text);
    const db = diagram.db;
    const edges = db.getEdges();
    return {
      error: null,
      db: true,
      parsedType: parsed.diagramType,
      config: parsed.config,
      type: diagram.type,
      direction: db.getDirection(),
      titles: [db.getDiagramTitle(), db.getAccTitle(), db.getAccDescription()],
      vertices: values(db.getVertices()).map((v) => ({
        id: v.id,
        text: orNull(v.text),
        shape: orNull(v.type),
        classes: Array.from(v.classes || []),
        styles: Array.from(v.styles || []),
        link: orNull(v.link),
        linkTarget: orNull(v.linkTarget),
        callback: Boolean(v.haveCallback),
        tooltip: orNull(db.getTooltip(v.id)),
        props: v.props || {},
      })),
      edges: edges.map((e) => ({
        start: e.start,
        end: e.end,
        type: e.type,
        text: e.text,
        stroke: e.stroke,
        style: orNull(e.style),
        interpolate: orNull(e.interpolate),
        classes: Array.from(e.classes || []),
      })),
      edgeDefaults: [orNull(edges.defaultStyle), orNull(edges.defaultInterpolate)],
      classDefs: Object.fromEntries(
        entries(db.getClasses()).map(([name, c]) => [name, Array.from(c.styles || [])]),
      ),
      subgraphs: db.getSubGraphs().map((s) => ({
        id: s.id,
        title: s.title,
        dir: orNull(s.dir),
        nodes: Array.from(s.nodes),
        classes: Array.from(s.classes || []),
      })),
      callbacks: db.funs ? db.funs.length : 0,
      tooltips: size(db.tooltips),
    };
  };

  let renders = 0;
  window.mlRender = async (text) => {
    let svg;
    try {
      ({ svg } = await mermaid.render(`ml-render-${++renders}`, text));
    } catch (e) {
      return { error: String((e && e.message) || e) };
    }
    // parsed the way Material inserts it (innerHTML), into an inert <template>
    const template = document.createElement("template");
    template.innerHTML = svg;
    const root = template.content.firstElementChild;
    const all = [root, ...root.querySelectorAll("*")];
    const label = (g) => {
      const found = g.querySelector(".nodeLabel");
      return found ? found.textContent : null;
    };
    return {
      error: null,
      top: Array.from(template.content.childNodes, (n) => n.nodeName),
      elements: all.map((e) => [
        e.localName,
        e.namespaceURI,
        Array.from(e.attributes, (a) => a.name).sort(),
      ]),
      urls: all.flatMap((e) =>
        Array.from(e.attributes)
          .filter((a) => /(^|:)(href|src|srcdoc|action|formaction)$/i.test(a.name))
          .map((a) => `${e.localName} ${a.name}=${a.value}`),
      ),
      // the elements inside each label, as "div>span>p": data must never add one
      labels: Array.from(root.querySelectorAll("foreignObject"), (f) =>
        Array.from(f.querySelectorAll("*"), (e) => e.localName).join(">"),
      ),
      nodes: Array.from(root.querySelectorAll("g.node"), (g) => ({ id: g.id, label: label(g) })),
      clusters: Array.from(root.querySelectorAll("g.cluster"), (g) => ({
        id: g.id,
        label: label(g),
      })),
      edges: Array.from(root.querySelectorAll("path.flowchart-link"), (p) =>
        p.getAttribute("data-id") || p.id,
      ),
    };
  };
})();
"""


@dataclasses.dataclass
class MermaidPage:
    """The one page with Mermaid loaded, and what went wrong in it."""

    page: Page
    problems: list[str]
    version: str

    def inspect(self, text: str) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("(text) => window.mlInspect(text)", text)
        self.assert_clean()
        assert result["error"] is not None or result["db"], (
            f"Mermaid {self.version} parses the diagram (mermaid.parse) but has no "
            "mermaidAPI.getDiagramFromText to read its flowchart database from"
        )
        return result

    def render(self, text: str) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("(text) => window.mlRender(text)", text)
        self.assert_clean()
        return result

    def assert_clean(self) -> None:
        assert not self.problems, "the page had problems:\n" + "\n".join(self.problems)


@pytest.fixture(scope="session")
def mermaid(
    mermaid_js: Path, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MermaidPage]:
    """One headless Chromium page with Mermaid loaded, served from a loopback port, for the
    whole session; any request to another host, console error or uncaught exception in it
    fails the test that caused it."""
    site = tmp_path_factory.mktemp("mermaid-page")
    (site / "index.html").write_text(INDEX_HTML, "utf-8")
    (site / "mermaid.min.js").write_bytes(mermaid_js.read_bytes())
    version = (mermaid_js.parent / "VERSION").read_text().strip()
    problems: list[str] = []

    def refuse(route: Route) -> None:
        problems.append(f"request to a non-loopback host: {route.request.url}")
        route.abort("blockedbyclient")

    with SiteServer(site) as server:
        page = browser.new_page()
        try:
            page.route(is_external, refuse)
            page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
            page.on(
                "console",
                lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"),
            )
            page.goto(server.url, wait_until="load")
            api = page.evaluate(
                "() => [typeof mermaid, typeof mermaid.parse, typeof mermaid.render]"
            )
            assert api == ["object", "function", "function"], (
                f"mermaid {version} lacks the API these tests use: {api}"
            )
            page.add_script_tag(content=PAGE_SCRIPT)
            yield MermaidPage(page, problems, version)
        finally:
            page.close()


# --------------------------------------------------------------------------- names

#: pieces that mean something to Mermaid, HTML, Markdown or the entity encoding
HOSTILE_PIECES = [
    '"',
    "'",
    "#",
    ";",
    "&",
    "<",
    ">",
    "`",
    "|",
    ":",
    "::",
    ":::stale",
    "%%",
    '%%{init: {"theme": "dark", "securityLevel": "loose"}}%%',
    "%%{init}%%",
    "---\ntitle: x\n---",
    "click n0 call alert(1)",
    'click n0 href "javascript:alert(1)"',
    "click",
    "call",
    "href",
    "end",
    "subgraph",
    "style",
    "style n0 fill:#f00;",
    "classDef",
    "classDef x fill:#f00;",
    "class n0 x",
    "linkStyle default stroke:red",
    "accTitle: x",
    "title",
    "flowchart LR",
    "graph TD",
    "direction LR",
    "direction TB",
    "direction  RL",
    "\n",
    "\r\n",
    "\t",
    "\u2028",
    "\x00",
    "\ufeff",
    "-->",
    "---",
    "==>",
    "-.->",
    "~~~",
    "--x",
    "o--o",
    "n0",
    "g0",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "[(",
    ")]",
    "((",
    "@{ shape: rect }",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href=javascript:alert(1)>x</a>",
    "<br>",
    "&#60;",
    "#60;",
    "#quot;",
    "&lt;",
    "\\n",
    "ﬂ°°",
    "¶ß",
    "*em* _em_ **b**",
    "$$x$$",
]

_WORD = st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True)
_PART = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_ .+=,()-]{0,11}", fullmatch=True)

#: names as DVC writes them: stages, foreach/matrix members, stages of other dvc.yaml files,
#: .dvc files and output paths (spaces included)
DVC_NAMES = st.one_of(
    st.sampled_from(
        [
            "prepare",
            "train@lr-0.1",
            "train@{'lr': 0.1}",
            "sub/dvc.yaml:train",
            "sub dir/dvc.yaml:evaluate@1",
            "data/raw data/reviews (2024).csv.dvc",
            "models/model.pkl",
            "eval/plots/confusion matrix.json",
        ]
    ),
    _WORD,
    st.builds(lambda stage, item: f"{stage}@{item}", _WORD, _PART),
    st.builds(lambda d, stage: f"{d}/dvc.yaml:{stage}", _PART, _WORD),
    st.lists(_PART, min_size=1, max_size=4).map("/".join),
    st.lists(_PART, min_size=1, max_size=3).map(lambda parts: "/".join(parts) + ".dvc"),
)

HOSTILE_NAMES = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4)), min_size=1, max_size=6
).map("".join)

#: any name: arbitrary Unicode text, hostile compositions and DVC's own names; never empty
#: (nothing in DVC is called ""; see test_an_empty_name_still_parses)
NAMES = st.one_of(st.text(min_size=1), HOSTILE_NAMES, DVC_NAMES).filter(bool)

#: names without a space at either end: Mermaid trims a label's ends, which
#: test_a_label_keeps_the_spaces_at_its_ends covers on its own
UNPADDED_NAMES = NAMES.map(lambda name: name.strip(" ")).filter(bool)

GROUPS = st.one_of(
    st.sampled_from(["dvc.yaml", "sub/dvc.yaml", "pipelines/a b/dvc.yaml"]),
    st.text(min_size=1),
    HOSTILE_NAMES,
).filter(bool)


@dataclasses.dataclass
class Case:
    """A diagram and the text the plugin writes for it."""

    diagram: Diagram
    direction: str
    groups: list[str]  # sorted, as flowchart numbers its subgraphs
    text: str

    @property
    def nested(self) -> bool:
        return len(self.groups) > 1

    @property
    def ids(self) -> dict[str, str]:
        return {node.name: f"n{i}" for i, node in enumerate(self.diagram.nodes)}

    def expected_edges(self) -> list[tuple[str, str]]:
        ids = self.ids
        return [(ids[a], ids[b]) for a, b in self.diagram.edges if a in ids and b in ids]


def case(diagram: Diagram, direction: str = "TD") -> Case:
    groups = sorted({n.group for n in diagram.nodes if n.css != "data"})
    return Case(diagram, direction, groups, "\n".join(flowchart(diagram, direction)))


@st.composite
def diagrams(
    draw: st.DrawFn,
    names: st.SearchStrategy[str] = NAMES,
    groups: st.SearchStrategy[str] = GROUPS,
    min_groups: int = 1,
    min_data: int = 0,
    max_nodes: int = 7,
) -> Case:
    """A diagram like graph.stage_view makes: unique names, a state class each, stages in
    one of a few groups, data nodes in their own, and acyclic edges between the nodes."""
    node_names = draw(
        st.lists(names, min_size=max(1, min_data + min_groups), max_size=max_nodes, unique=True)
    )
    group_names = draw(st.lists(groups, min_size=min_groups, max_size=4, unique=True))
    count = len(node_names)
    states = [
        *(["data"] * min_data),
        *(draw(st.sampled_from([s for s in STATES if s != "data"])) for _ in range(min_groups)),
    ]
    states += [draw(st.sampled_from(STATES)) for _ in range(count - len(states))]
    stage_groups = iter(group_names)
    nodes = []
    for name, state in zip(node_names, draw(st.permutations(states)), strict=True):
        if state == "data":
            group = name
        else:  # each group gets a stage first, the rest are spread at random
            group = next(stage_groups, None) or draw(st.sampled_from(group_names))
        label = draw(st.sampled_from([name, name, f"{name} ({count + 1} stages)"]))
        nodes.append(Node(name, label, state, group))
    nodes = draw(st.permutations(nodes))
    edges: list[tuple[str, str]] = []
    if count > 1:
        pairs = [(a, b) for a in range(count) for b in range(a + 1, count)]
        chosen = draw(st.lists(st.sampled_from(pairs), max_size=2 * count, unique=True))
        edges = [(nodes[a].name, nodes[b].name) for a, b in chosen]
    direction = draw(st.sampled_from(sorted(DIRECTIONS)))
    return case(Diagram(list(nodes), edges), direction)


def plain(diagram: Diagram) -> Diagram:
    """The same diagram with harmless names: ``node 0``, ``group 0``, ..."""
    renamed = {node.name: f"node {i}" for i, node in enumerate(diagram.nodes)}
    groups = {g: f"group {i}" for i, g in enumerate(sorted({n.group for n in diagram.nodes}))}
    return Diagram(
        [Node(renamed[n.name], renamed[n.name], n.css, groups[n.group]) for n in diagram.nodes],
        [(renamed[a], renamed[b]) for a, b in diagram.edges],
    )


_ENTITY = re.compile("\ufb02\u00b0\u00b0(\\d+)\u00b6\u00df")


def shown(name: str) -> str:
    """How a name reads in the diagram: as printed, with the two substitutions
    ``mermaid.mermaid_label`` documents (Mermaid's internal markers "ﬂ°" and "¶ß" cannot
    appear as such) and a zero-width space for an empty name."""
    text = printable(name).replace("\ufb02", "fl").replace("\u00b6\u00df", "\u00b6\u200b\u00df")
    return text or "\u200b"


def decoded(label: str) -> str:
    """A label as Mermaid's database holds it, with its entity codes decoded: Mermaid keeps
    ``#60;`` as the placeholder ``ﬂ°°60¶ß`` until it renders the label."""
    return _ENTITY.sub(lambda m: chr(int(m.group(1))), label)


def parsed_ok(mermaid: MermaidPage, text: str) -> dict[str, Any]:
    db = mermaid.inspect(text)
    assert db["error"] is None, f"Mermaid {mermaid.version} cannot parse it: {db['error']}"
    return db


def rendered_ok(mermaid: MermaidPage, text: str) -> dict[str, Any]:
    svg = mermaid.render(text)
    assert svg["error"] is None, f"Mermaid {mermaid.version} cannot render it: {svg['error']}"
    assert svg["top"] == ["svg"]
    return svg


# --------------------------------------------------------------------------- found failures


def _stage(name: str, group: str = "dvc.yaml") -> Node:
    return Node(name, name, "current", group)


# Minimal failing examples that Hypothesis found against Mermaid 11.17.2 (the module docstring
# says why each fails). They are pinned with @example so every run tries them first: while one
# fails, its test fails at once (and Hypothesis generates nothing more for it, which keeps the
# run short); once they pass, the test goes on to generate its examples.

#: a node line holding "direction LR" is lexed as a direction statement: the node is gone
STAGE_NAMED_DIRECTION = case(Diagram([_stage("direction LR")], []), "BT")
#: ... and when an edge names it, Mermaid draws a bare box labelled with its id, "n1"
EDGE_TO_STAGE_NAMED_DIRECTION = case(
    Diagram([_stage("0"), _stage("direction LR")], [("0", "direction LR")]), "BT"
)
#: ... inside a subgraph, the line sets that subgraph's layout direction
STAGE_NAMED_DIRECTION_IN_A_SUBGRAPH = case(
    Diagram([_stage("0"), _stage("direction LR", group="0")], []), "BT"
)
#: a subgraph title holding "direction LR" swallows the subgraph line: a parse error
DVC_YAML_NAMED_DIRECTION = case(
    Diagram([_stage("0"), _stage("00", group="direction LR")], []), "BT"
)
#: Mermaid's encodeEntities drops the last ";" of a line matching /style.*:\S*#.*;/ (and
#: /classDef.*:\S*#.*;/), so the label shows "#39" where the name has "'"
DVC_YAML_NAMED_STYLE = case(Diagram([_stage("0"), _stage("00", group="style:'")], []), "BT")
#: the same, in a DVC-like node name (written by hand, not found by Hypothesis)
STAGE_NAMED_STYLE = case(Diagram([_stage("styles/dvc.yaml:train@{'lr': 0.1}")], []))
#: Mermaid's own entity placeholders ("ﬂ°", "ﬂ°°", "¶ß") in a name are decoded a second time
#: when the SVG is drawn: "ﬂ°" is shown as "&"
DVC_YAML_NAMED_LIKE_A_PLACEHOLDER = case(
    Diagram([_stage("0"), _stage("00", group="\ufb02\u00b0")], []), "BT"
)
#: with three dvc.yaml groups and two data nodes
GROUPS_WITH_ONE_NAMED_DIRECTION = case(
    Diagram(
        [
            Node("0", "0", "data", "0"),
            Node("1", "1", "data", "1"),
            _stage("2"),
            _stage("3", group="sub/dvc.yaml"),
            _stage("00", group="direction LR"),
        ],
        [],
    ),
    "BT",
)


# --------------------------------------------------------------------------- parsing


@settings(max_examples=300, deadline=None)
@given(diagrams())
@example(STAGE_NAMED_DIRECTION)
@example(EDGE_TO_STAGE_NAMED_DIRECTION)
@example(DVC_YAML_NAMED_DIRECTION)
def test_the_flowchart_parses_with_the_intended_nodes_edges_and_classes(
    mermaid: MermaidPage, chart: Case
) -> None:
    db = parsed_ok(mermaid, chart.text)
    assert db["parsedType"] == db["type"] == "flowchart-v2"

    ids = chart.ids
    subgraph_ids = [f"g{i}" for i in range(len(chart.groups))] if chart.nested else []
    vertices = {v["id"]: v for v in db["vertices"]}
    assert len(vertices) == len(db["vertices"])
    assert sorted(vertices) == sorted([*ids.values(), *subgraph_ids]), "vertices differ"
    for node in chart.diagram.nodes:
        vertex = vertices[ids[node.name]]
        assert vertex["classes"] == [node.css], (node, vertex)
        assert vertex["shape"] == ("cylinder" if node.css == "data" else "square"), vertex

    edges = [(e["start"], e["end"]) for e in db["edges"]]
    assert edges == chart.expected_edges(), "edges differ"
    assert all(e["type"] == "arrow_point" and e["stroke"] == "normal" for e in db["edges"])

    expected_members = {
        f"g{i}": sorted(
            ids[n.name] for n in chart.diagram.nodes if n.css != "data" and n.group == group
        )
        for i, group in enumerate(chart.groups if chart.nested else [])
    }
    members = {s["id"]: sorted(s["nodes"]) for s in db["subgraphs"]}
    assert members == expected_members, "subgraphs differ"

    used = {n.css for n in chart.diagram.nodes}
    assert db["classDefs"] == {css: STATE_CLASSES[css][1].split(",") for css in used}


@settings(max_examples=300, deadline=None)
@given(diagrams())
@example(STAGE_NAMED_DIRECTION_IN_A_SUBGRAPH)
def test_nothing_from_the_names_becomes_a_directive_click_style_or_class(
    mermaid: MermaidPage, chart: Case
) -> None:
    db = mermaid.inspect(chart.text)
    if db["error"] is not None:
        # nothing was read from text Mermaid rejects; the parse tests fail on it
        assert db["error"].startswith("Parse error"), db["error"]
        return
    baseline = parsed_ok(mermaid, 'flowchart TD\n    n0["a"]')
    assert db["config"] == {}, f"a directive or front matter was read: {db['config']}"
    assert db["titles"] == ["", "", ""], "a title or accTitle/accDescr statement was read"
    assert db["direction"] == DIRECTIONS[chart.direction], "a direction statement was read"
    directions = {s["id"]: s["dir"] for s in db["subgraphs"] if s["dir"] is not None}
    assert not directions, f"a direction statement was read: {directions}"
    assert db["callbacks"] == baseline["callbacks"], "a click callback was registered"
    assert db["tooltips"] == 0, "a click tooltip was registered"
    for vertex in db["vertices"]:
        assert vertex["link"] is None and vertex["linkTarget"] is None, vertex
        assert not vertex["callback"] and vertex["tooltip"] is None, vertex
        assert vertex["props"] == {}, vertex
        if re.fullmatch(r"g\d+", vertex["id"]):
            assert vertex["styles"] == SUBGRAPH_STYLE.split(","), vertex
            assert vertex["classes"] == [], vertex
        else:
            assert vertex["styles"] == [], vertex
            assert len(vertex["classes"]) == 1 and vertex["classes"][0] in STATE_CLASSES, vertex
    for edge in db["edges"]:
        assert edge["text"] == "" and edge["classes"] == [], edge
        assert edge["style"] is None and edge["interpolate"] is None, edge
    assert db["edgeDefaults"] == [None, None], "a linkStyle was read"
    assert set(db["classDefs"]) <= set(STATE_CLASSES)
    assert all(s["classes"] == [] for s in db["subgraphs"])


@settings(max_examples=300, deadline=None)
@given(diagrams(names=UNPADDED_NAMES))
@example(STAGE_NAMED_DIRECTION)
@example(DVC_YAML_NAMED_DIRECTION)
@example(DVC_YAML_NAMED_STYLE)
@example(STAGE_NAMED_STYLE)
def test_every_label_and_subgraph_title_reads_back_as_the_name(
    mermaid: MermaidPage, chart: Case
) -> None:
    db = parsed_ok(mermaid, chart.text)
    labels = {v["id"]: decoded(v["text"]) for v in db["vertices"] if v["id"].startswith("n")}
    ids = chart.ids
    assert labels == {ids[n.name]: shown(n.label) for n in chart.diagram.nodes}
    titles = {s["id"]: decoded(s["title"]) for s in db["subgraphs"]}
    expected = {f"g{i}": shown(g) for i, g in enumerate(chart.groups)}
    assert titles == (expected if chart.nested else {})


@settings(max_examples=100, deadline=None)
@given(
    st.tuples(st.sampled_from([" ", "  "]), UNPADDED_NAMES, st.sampled_from(["", " "])).map("".join)
)
@example(" 0")
def test_a_label_keeps_the_spaces_at_its_ends(mermaid: MermaidPage, name: str) -> None:
    chart = case(Diagram([Node(name, name, "current", "dvc.yaml")], []))
    db = parsed_ok(mermaid, chart.text)
    labels = [decoded(v["text"]) for v in db["vertices"]]
    assert labels == [shown(name)], chart.text


def test_an_empty_name_still_parses(mermaid: MermaidPage) -> None:
    chart = case(
        Diagram(
            [Node("", "", "current", "dvc.yaml"), Node("b", "b", "current", "dvc.yaml")],
            [("", "b")],
        )
    )
    db = parsed_ok(mermaid, chart.text)
    assert sorted(v["id"] for v in db["vertices"]) == ["n0", "n1"]
    assert len(db["edges"]) == 1


@settings(max_examples=100, deadline=None)
@given(diagrams(min_groups=3, min_data=2, max_nodes=10))
@example(GROUPS_WITH_ONE_NAMED_DIRECTION)
def test_stages_of_several_dvc_yaml_files_become_subgraphs_and_data_stays_outside(
    mermaid: MermaidPage, chart: Case
) -> None:
    assert chart.nested
    db = parsed_ok(mermaid, chart.text)
    ids = chart.ids
    subgraphs = {s["id"]: set(s["nodes"]) for s in db["subgraphs"]}
    assert sorted(subgraphs) == [f"g{i}" for i in range(len(chart.groups))]
    for i, group in enumerate(chart.groups):
        stages = {ids[n.name] for n in chart.diagram.nodes if n.css != "data" and n.group == group}
        assert stages and subgraphs[f"g{i}"] == stages, group
    data = {ids[n.name] for n in chart.diagram.nodes if n.css == "data"}
    assert len(data) >= 2
    assert not data & set().union(*subgraphs.values()), "a data node is inside a subgraph"
    vertices = {v["id"]: v for v in db["vertices"]}
    assert len(vertices) == len(ids) + len(chart.groups)
    assert all(vertices[i]["shape"] == "cylinder" for i in data)
    assert len(db["edges"]) == len(chart.expected_edges())


# --------------------------------------------------------------------------- rendering


def _svg_id(dom_id: str, pattern: str) -> str:
    """A node's or subgraph's generated id (n0, g0) in the SVG's element id."""
    found = re.search(pattern, dom_id)
    assert found, dom_id
    return found[1]


FORBIDDEN_ELEMENTS = {"script", "img", "image", "a", "iframe", "object", "embed", "use"}


@settings(max_examples=100, deadline=None)
@given(diagrams(max_nodes=6))
def test_the_svg_holds_only_the_elements_mermaid_draws_for_plain_names(
    mermaid: MermaidPage, chart: Case
) -> None:
    svg = mermaid.render(chart.text)
    if svg["error"] is not None:
        # Mermaid draws nothing for text it cannot parse: nothing to inspect here, and the
        # parse tests above fail on it.
        assert svg["error"].startswith("Parse error"), svg["error"]
        return
    assert svg["top"] == ["svg"]
    reference = rendered_ok(mermaid, case(plain(chart.diagram), chart.direction).text)

    names = {element[0] for element in svg["elements"]}
    assert not names & FORBIDDEN_ELEMENTS, sorted(names & FORBIDDEN_ELEMENTS)
    handlers = {a for _, _, attrs in svg["elements"] for a in attrs if a.lower().startswith("on")}
    assert not handlers, handlers
    assert svg["urls"] == reference["urls"] == [], "a link or source attribute in the SVG"
    kinds = {(name, ns, tuple(attrs)) for name, ns, attrs in svg["elements"]}
    plain_kinds = {(name, ns, tuple(attrs)) for name, ns, attrs in reference["elements"]}
    assert kinds <= plain_kinds, f"elements plain names do not make: {kinds - plain_kinds}"
    assert set(svg["labels"]) <= set(reference["labels"]), "markup inside a label"


@settings(max_examples=100, deadline=None)
@given(diagrams(names=UNPADDED_NAMES, max_nodes=6))
@example(STAGE_NAMED_DIRECTION)
@example(DVC_YAML_NAMED_LIKE_A_PLACEHOLDER)
def test_the_svg_shows_every_node_edge_and_name(mermaid: MermaidPage, chart: Case) -> None:
    svg = rendered_ok(mermaid, chart.text)
    labels = {_svg_id(n["id"], r"flowchart-(n\d+)-\d+$"): n["label"] for n in svg["nodes"]}
    ids = chart.ids
    assert labels == {ids[n.name]: shown(n.label) for n in chart.diagram.nodes}
    titles = {_svg_id(c["id"], r"-(g\d+)$"): c["label"] for c in svg["clusters"]}
    expected = {f"g{i}": shown(g) for i, g in enumerate(chart.groups)}
    assert titles == (expected if chart.nested else {})
    assert len(svg["edges"]) == len(chart.expected_edges())
