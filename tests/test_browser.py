"""Real-browser tests: built sites opened in headless Chromium, checked for what a user sees.

Each site is built by a real ``mkdocs build``, which serves the Mermaid build the package ships
with the site (no CDN), served from a loopback port and loaded in Debian's Chromium
(``/usr/bin/chromium``) through Playwright, which never downloads a browser of its own. Every
test fails on a console error, an uncaught exception, an HTTP error or a request to a
non-loopback host (Material's default web fonts are the one exception: answered with an empty
stylesheet, or refused in the tests with no network at all; see browser_support).

The diagrams are read back from the rendered SVG: Material draws each one into a closed
shadow root, which a test-only init script opens (see ``OPEN_SHADOW_ROOTS``).

Screenshots of the example site for the README are written to
``example_site/docs/assets/screenshots/`` when ``UPDATE_SCREENSHOTS=1``, else to a tmp dir.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from browser_support import (
    THEME_FONT_HOSTS,
    SiteServer,
    Tab,
    contrast,
    hex_rgb,
    mermaid_inside,
    on,
    rgb,
)
from conftest import ROOT, Repo
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser
from test_escaping import HTML_PIECES, MARK

from mkdocs_mlplugin import render
from mkdocs_mlplugin.build import BUNDLED_MERMAID
from mkdocs_mlplugin.pages.stash import contexts
from mkdocs_mlplugin.render.mermaid import STATE_CLASSES

SCREENSHOTS = ROOT / "example_site" / "docs" / "assets" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def state_fill(css: str) -> tuple[int, int, int]:
    """The fill colour the plugin gives nodes of state CSS (its classDef)."""
    style = dict(part.split(":", 1) for part in STATE_CLASSES[css][1].split(","))
    return hex_rgb(style["fill"])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Open a fresh browser context (light colour scheme unless told) on a served site;
    ``offline=True``: with no network but the loopback server."""
    tabs: list[Tab] = []

    def open_(base_url: str, *, offline: bool = False, **options: Any) -> Tab:
        context = browser.new_context(**{"viewport": VIEWPORT, "color_scheme": "light", **options})
        tab = Tab(context, base_url, offline=offline)
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.close()


@dataclasses.dataclass
class ExampleSite:
    url: str
    site: Path
    project: Path  # the repository example_site/replay.py replayed the example's history into

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.site / "ml-manifest.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleSite]:
    """The example site as the README's command makes it: ``example_site/replay.py`` replays
    the example's history (data refreshes, retrains, registered and promoted versions) into a
    fresh repository, and the site is built there with ``mkdocs build --strict``, with one
    addition in a copy of its mkdocs.yml: ``site_url`` set to the address it is served from
    (Material's instant navigation only follows links its sitemap lists under the page's own
    origin)."""
    home = tmp_path_factory.mktemp("example-home")
    (home / "gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.com\n")
    project = home / "replayed"
    replay = ROOT / "example_site" / "replay.py"
    Repo(home, home).run(sys.executable, str(replay), "--into", str(project), "--no-build")
    repo = Repo(project, home)
    site = home / "built-site"
    with SiteServer(site) as server:
        config = f"site_url: {server.url}\n" + (project / "mkdocs.yml").read_text("utf-8")
        (project / "mkdocs.browser.yml").write_text(config, "utf-8")
        with open(project / ".git" / "info" / "exclude", "a", encoding="utf-8") as exclude:
            exclude.write("/mkdocs.browser.yml\n")
        build = repo.build("--strict", config="mkdocs.browser.yml")
        assert build.ok, build.output
        assert build.site == site
        yield ExampleSite(server.url, site, project)


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """Serve a built site until the test ends; its URL."""
    with contextlib.ExitStack() as servers:
        yield lambda site: servers.enter_context(SiteServer(site)).url


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def assert_is_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert len(data) > 10_000, f"{path}: {len(data)} bytes, too small to show a page"


# --------------------------------------------------------------------------- the example site


def test_example_pipeline_page_draws_the_manifests_nodes_and_edges(
    example: ExampleSite, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(example.url)
    page = tab.open("pipeline/")
    (diagram,) = tab.wait_for_diagrams(1)

    (project,) = example.manifest()["projects"]
    stages = {stage["name"] for stage in project["stages"]}
    data = {tracked["dvcfile"] for tracked in project["tracked"]}
    assert stages == {"prepare", "featurize", "train", "evaluate"}
    assert data == {"data/raw/reviews.csv.dvc"}
    assert set(diagram.nodes) == stages | data
    assert len(diagram.nodes) == 5
    assert sorted(diagram.edges) == sorted(tuple(edge) for edge in project["edges"])
    assert len(diagram.edges) == 5
    assert diagram.state("data/raw/reviews.csv.dvc") == "data"
    assert not diagram.markup
    for label, node in diagram.nodes.items():
        fill = rgb(node.fill)
        assert contrast(on(node.text, fill), fill) >= 4.5, f"{label}: {node.text} on {node.fill}"

    legend = page.locator(".ml-legend")
    assert legend.is_visible()
    shown = {diagram.state(label) for label in diagram.nodes}
    items = {item.inner_text() for item in legend.locator(".ml-legend-item").all()}
    assert items == {STATE_CLASSES[css][0] for css in shown}
    tab.assert_clean()


def test_example_model_card_shows_the_locked_md5_and_the_metric(
    example: ExampleSite, open_tab: Callable[..., Tab]
) -> None:
    lock = yaml.safe_load((example.project / "dvc.lock").read_text("utf-8"))
    (model,) = [o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.json"]
    metrics = json.loads((example.project / "metrics.json").read_text("utf-8"))

    tab = open_tab(example.url)
    tab.open("model-card/")
    text = tab.text("article")
    assert model["md5"] in text
    assert f"has MD5 {model['md5']}" in text
    assert f"accuracy\t{metrics['accuracy']}" in tab.text(".ml-metrics")
    assert "Provenance: text-classifier" in text
    tab.assert_clean()


def test_example_diagram_stays_readable_in_dark_mode(
    example: ExampleSite, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    """The plugin fills nodes with the same light state colours in both palettes (render.py's
    STATE_CLASSES), so their label text has to stay dark when Material switches to slate."""
    tab = open_tab(example.url)
    page = tab.open("pipeline/")
    (light,) = tab.wait_for_diagrams(1)

    page.get_by_title("Switch to dark mode").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    (dark,) = tab.wait_for_diagrams(1)
    shot = tmp_path / "diagram-dark.png"
    page.locator("div.mermaid").screenshot(path=str(shot))
    assert shot.stat().st_size > 2_000
    background = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert contrast(background, (0, 0, 0)) < 3, f"the page is not dark: {background}"

    assert set(dark.nodes) == set(light.nodes)
    for label, node in dark.nodes.items():
        assert node.fill == light.nodes[label].fill, label  # state colours in both schemes
        fill = rgb(node.fill)
        ratio = contrast(on(node.text, fill), fill)
        assert ratio >= 4.5, (
            f"{label}: label text {node.text} on node fill {node.fill}: contrast {ratio:.1f} "
            f"(see {shot})"
        )
    for item in page.locator(".ml-legend-item").all():
        colours = item.evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
        )
        fill = rgb(colours[1])
        assert contrast(on(colours[0], fill), fill) >= 4.5, item.inner_text()
    tab.assert_clean()


def test_diagram_renders_after_instant_navigation(
    example: ExampleSite, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(example.url)
    page = tab.open()
    page.wait_for_load_state("networkidle")  # Material has read the sitemap
    page.evaluate("window.__sameDocument = true")
    nav = page.locator(".md-sidebar--primary")

    nav.get_by_role("link", name="Pipeline", exact=True).click()
    page.wait_for_url(example.url + "pipeline/")
    (diagram,) = tab.wait_for_diagrams(1)
    assert "train" in diagram.nodes
    assert len(diagram.edges) == 5

    # and again, after navigating away and back
    nav.get_by_role("link", name="Home", exact=True).click()
    page.wait_for_url(example.url)
    nav.get_by_role("link", name="Pipeline", exact=True).click()
    page.wait_for_url(example.url + "pipeline/")
    (again,) = tab.wait_for_diagrams(1)
    assert set(again.nodes) == set(diagram.nodes)

    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    tab.assert_clean()


def test_readme_screenshots_of_the_example_site(
    example: ExampleSite, open_tab: Callable[..., Tab], screenshot_dir: Path
) -> None:
    tab = open_tab(example.url)
    page = tab.open("pipeline/")
    tab.wait_for_diagrams(1)
    page.screenshot(path=str(screenshot_dir / "pipeline.png"))

    tab.open("model-card/")
    page.screenshot(path=str(screenshot_dir / "model-card.png"))

    tab.open("pipeline/")
    page.get_by_title("Switch to dark mode").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    tab.wait_for_diagrams(1)
    page.screenshot(path=str(screenshot_dir / "pipeline-dark.png"))
    tab.assert_clean()

    phone = open_tab(
        example.url, viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True
    )
    page = phone.open("timeline/")
    assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
    page.screenshot(path=str(screenshot_dir / "timeline-phone-dark.png"))
    phone.assert_clean()

    for name in ("pipeline.png", "model-card.png", "pipeline-dark.png", "timeline-phone-dark.png"):
        assert_is_png(screenshot_dir / name)


# --------------------------------------------------------------------------- no network


@pytest.mark.parametrize(("scheme", "palette"), [("light", "default"), ("dark", "slate")])
def test_the_example_pipeline_renders_with_no_network(
    example: ExampleSite, open_tab: Callable[..., Tab], scheme: str, palette: str
) -> None:
    """The example as the README's command builds it (no Mermaid option): with every request
    to anything but the local server refused, the pipeline page draws its diagram from the
    Mermaid build the site serves, in both palettes (the example follows the system's)."""
    tab = open_tab(example.url, offline=True, color_scheme=scheme)
    page = tab.open("pipeline/")
    (diagram,) = tab.wait_for_diagrams(1)
    page.wait_for_load_state("networkidle")

    assert page.evaluate("document.body.dataset.mdColorScheme") == palette
    (project,) = example.manifest()["projects"]
    stages = {stage["name"] for stage in project["stages"]}
    assert set(diagram.nodes) == stages | {t["dvcfile"] for t in project["tracked"]}
    assert sorted(diagram.edges) == sorted(tuple(edge) for edge in project["edges"])
    for label in diagram.nodes:
        assert rgb(diagram.nodes[label].fill) == state_fill(diagram.state(label)), label
    legend = {item.inner_text() for item in page.locator(".ml-legend-item").all()}
    assert legend == {STATE_CLASSES[diagram.state(label)][0] for label in diagram.nodes}
    links = page.locator(".ml-node-links a").all()
    # the pages bound to a stage or an artifact, but records (a decision about a stage is not
    # the stage's page)
    records = {r["page"] for r in example.manifest()["records"]}
    bound = {
        example.url + p["url"]
        for p in example.manifest()["pages"]
        if (p["artifact"] or p["stage"]) and p["src"] not in records
    }
    assert links, "the diagram's nodes link to the pages documenting them"
    assert {a.inner_text() for a in links} <= stages
    assert {a.evaluate("a => a.href") for a in links} == bound

    served = example.url + "assets/javascripts/mermaid.min.js"
    assert served in tab.requested
    assert [u for u in tab.requested if "mermaid" in u.lower()] == [served]
    assert {urlsplit(u).hostname for u in tab.blocked} <= THEME_FONT_HOSTS, tab.blocked
    assert (example.site / "assets/javascripts/mermaid.min.js").read_bytes() == (
        BUNDLED_MERMAID.read_bytes()
    )
    tab.assert_clean()


def test_mermaid_cdn_loads_mermaid_from_the_cdn_and_serves_none(
    pipeline: Repo, open_tab: Callable[..., Tab], serve: Callable[[Path], str]
) -> None:
    pipeline.site({"index.md": "# Pipeline\n\n{ml pipeline}\n"}, plugin={"mermaid": "cdn"})
    build = pipeline.build("--strict")
    assert build.ok, build.output
    assert not (build.site / "assets/javascripts/mermaid.min.js").exists()
    assert "mermaid.min.js" not in build.page("")

    tab = open_tab(serve(build.site), offline=True)
    page = tab.open()
    page.wait_for_load_state("networkidle")

    cdn = "https://unpkg.com/mermaid@11/dist/mermaid.min.js"  # Material's loader
    assert [u for u in tab.requested if "mermaid" in u.lower()] == [cdn]
    assert tab.blocked[-1:] == [cdn]
    assert f"request to a non-loopback host: {cdn}" in tab.problems
    # and Material's loader says it could not load it
    assert all(cdn in problem for problem in tab.problems), tab.problems
    assert page.locator("div.mermaid").count() == 0, "no Mermaid, no diagram"


def test_mermaid_js_serves_ones_own_build(
    pipeline: Repo,
    mermaid_js: Path,
    open_tab: Callable[..., Tab],
    serve: Callable[[Path], str],
    tmp_path: Path,
) -> None:
    own = tmp_path / "mermaid.min.js"
    own.write_bytes(mermaid_js.read_bytes() + b'\nwindow.__ownMermaid = "yes";\n')
    pipeline.site(
        {"index.md": "# Pipeline\n\n{ml pipeline}\n"},
        plugin={"mermaid_js": mermaid_inside(pipeline.path, pipeline.path, own)},
    )
    build = pipeline.build("--strict")
    assert build.ok, build.output
    assert (build.site / "assets/javascripts/mermaid.min.js").read_bytes() == own.read_bytes()

    tab = open_tab(serve(build.site), offline=True)
    page = tab.open()
    (diagram,) = tab.wait_for_diagrams(1)
    assert page.evaluate("window.__ownMermaid") == "yes"
    assert {"prepare", "train", "evaluate"} <= set(diagram.nodes)
    assert {urlsplit(u).hostname for u in tab.blocked} <= THEME_FONT_HOSTS, tab.blocked
    tab.assert_clean()


def test_mermaid2_draws_with_the_served_build_and_no_network(
    pipeline: Repo, open_tab: Callable[..., Tab], serve: Callable[[Path], str]
) -> None:
    """mkdocs-mermaid2 with no ``javascript:`` of its own takes the build the site serves
    (instead of its CDN's, which it would also fetch during the build): the build passes
    --strict with the network blocked, and the page draws the diagram offline."""
    pipeline.site(
        {"index.md": "# Pipeline\n\n{ml pipeline}\n"},
        markdown_extensions=["attr_list", "admonition", "tables"],
        plugins=["mermaid2", "mlplugin"],
    )
    build = pipeline.build("--strict")
    assert build.ok, build.output
    home = build.page("")
    assert '<script src="assets/javascripts/mermaid.min.js"></script>' in home
    assert "mermaid.initialize(" in home
    assert "unpkg" not in home

    tab = open_tab(serve(build.site), offline=True)
    page = tab.open()
    page.wait_for_selector("div.mermaid svg g.node")
    labels = set(
        page.eval_on_selector_all("div.mermaid svg .nodeLabel", "es => es.map(e => e.textContent)")
    )
    assert {"prepare", "train", "evaluate", "data/raw.csv.dvc"} <= labels
    assert {urlsplit(u).hostname for u in tab.blocked} <= THEME_FONT_HOSTS, tab.blocked
    tab.assert_clean()


# --------------------------------------------------------------------------- every page, phone and desktop

WIDTHS = {"desktop": 1280, "phone": 390}
PALETTES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme

# Where the page is wider than the window, and where a table (or anything else of the page)
# sticks out of the box that scrolls it: each as a line a person can read.
OVERFLOWS = """
() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width)
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  const scroller = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll") return p;
    }
    return null;
  };
  const name = (e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().split(/\\s+/).join(".") : "");
  for (const table of document.querySelectorAll("article table")) {
    const box = scroller(table);
    if (!box) { problems.push(`${name(table)} is in no scrolling box`); continue; }
    const r = box.getBoundingClientRect();
    if (r.left < -0.5 || r.right > width + 0.5)
      problems.push(`the scrolling box of a table reaches ${r.left}..${r.right} of ${width}px`);
    if (box.scrollWidth < table.getBoundingClientRect().width - 0.5)
      problems.push(`a table is wider than its scrolling box can scroll`);
  }
  for (const e of document.querySelectorAll("article, article *")) {
    if (scroller(e)) continue;  // inside a scrolling box: checked with its box
    const r = e.getBoundingClientRect();
    if (r.width && (r.left < -0.5 || r.right > width + 0.5))
      problems.push(`${name(e)} reaches ${Math.round(r.left)}..${Math.round(r.right)} of ${width}px`);
  }
  return problems;
}
"""

# Where each path or dotted key (code.ml-name) is broken across lines, as the two characters
# on either side of each break, read from where Chromium put each character.
LINE_BREAKS = """
() => Array.from(document.querySelectorAll("article code.ml-name")).map((code) => {
  const chars = [];
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (rect) chars.push([node.data[i], rect.top]);
    }
  }
  const breaks = [];
  for (let i = 1; i < chars.length; i++)
    if (chars[i][1] > chars[i - 1][1] + 2) breaks.push(chars[i - 1][0] + "|" + chars[i][0]);
  return { text: code.textContent, breaks };
})
"""


def example_pages(site: Path) -> list[str]:
    """Every page of a built site, as the path it is served at ('' for the home page)."""
    pages = sorted(
        "" if p.parent == site else p.parent.relative_to(site).as_posix() + "/"
        for p in site.rglob("index.html")
    )
    assert "" in pages and "model-card/" in pages, pages
    return pages


@pytest.mark.parametrize("palette", list(PALETTES))
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_example_page_holds_at_phone_and_desktop_width_in_both_palettes(
    example: ExampleSite,
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    width: str,
    palette: str,
) -> None:
    """Every page of the example, in a 1280 px and a 390 px window, light and dark: nothing is
    wider than the window (a table scrolls in its own box, Material's table wrapper, and on
    the desktop no table of the plugin scrolls, those of WIDE_TABLES measured at least once);
    no path or dotted key is broken
    inside a name; inline values are not underlined. A full-page screenshot of each is kept in
    pytest's tmp dir."""
    shots = tmp_path_factory.mktemp(f"pages-{width}-{palette}")
    context = browser.new_context(
        viewport={"width": WIDTHS[width], "height": 900},
        color_scheme="dark" if palette == "dark" else "light",
        is_mobile=width == "phone",
        has_touch=width == "phone",
    )
    tab = Tab(context, example.url)
    problems: list[str] = []
    measured: set[str] = set()  # the classes of the blocks whose tables were measured
    try:
        for path in example_pages(example.site):
            page = tab.open(path)
            page.wait_for_function("document.fonts.status === 'loaded'")
            diagrams = page.locator("div.mermaid, pre.mermaid").count()
            if diagrams:
                tab.wait_for_diagrams(diagrams)
            scheme = page.evaluate("document.body.dataset.mdColorScheme")
            assert scheme == PALETTES[palette], f"{path}: Material shows the {scheme} scheme"
            shot = shots / f"{path.strip('/').replace('/', '-') or 'home'}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert_is_png(shot)
            where = f"{path or '(home)'} ({shot})"
            problems += [f"{where}: {p}" for p in page.evaluate(OVERFLOWS)]
            for name in page.evaluate(LINE_BREAKS):
                inside = [b for b in name["breaks"] if b[0] not in "/." and not b[0].isspace()]
                if inside:
                    problems.append(f"{where}: {name['text']!r} is broken inside a name: {inside}")
            if width == "desktop":
                # every table of the plugin fits Material's column: none scrolls in its box
                for table in page.locator(".ml-block table").all():
                    block, wide = table.evaluate(
                        "t => { const box = t.closest('.md-typeset__scrollwrap');"
                        " return [t.closest('.ml-block').className,"
                        " box ? box.scrollWidth - box.clientWidth : null]; }"
                    )
                    measured.update(block.split())
                    if wide is None:
                        problems.append(f"{where}: the table of {block} has no scroll box")
                    elif wide > 0:
                        problems.append(f"{where}: the table of {block} scrolls by {wide}px")
            for value in page.locator("article p .ml-value").all():
                style = value.evaluate(
                    "e => [getComputedStyle(e).textDecorationLine,"
                    " getComputedStyle(e).borderBottomStyle]"
                )
                if style != ["none", "none"]:
                    problems.append(f"{where}: an inline value is underlined ({style})")
        assert not problems, "\n".join(problems)
        if width == "desktop":
            assert measured >= WIDE_TABLES, f"not measured: {sorted(WIDE_TABLES - measured)}"
        tab.assert_clean()
    finally:
        tab.close()


#: the example's tables most likely to be wide: a row or column per metric, per param or per
#: experiment; per registry event, timeline change or record; the coverage of the site
WIDE_TABLES = {
    "ml-metrics-history",
    "ml-experiments",
    "ml-metrics-diff",
    "ml-params-diff",
    "ml-decision-log",
    "ml-debt-open",
    "ml-runbook-index",
    "ml-coverage",
    "ml-registry-history",
    "ml-timeline",
}


#: a dotted key whose last name alone is wider than a phone's screen
LONG_KEY = "training.schedule.warmup_steps_before_the_learning_rate_decay_starts_in_the_first_phase"


def test_a_long_dotted_key_wraps_at_its_dots_on_a_phone(
    pipeline: Repo, browser: Browser, serve: Callable[[Path], str], tmp_path: Path
) -> None:
    """A params table on a 390 px screen with a key whose last name is wider than the screen:
    the key wraps after a '.', never inside a name; the table scrolls in its own box, and
    nothing sticks out of the page."""
    nested = "".join(f"{'  ' * i}{part}:\n" for i, part in enumerate(LONG_KEY.split(".")))
    pipeline.write("params.yaml", pipeline.read("params.yaml") + nested.rstrip("\n") + " 1\n")
    pipeline.site({"index.md": "# Params\n\n{ml params-table}\n"})
    pipeline.commit("Long key")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    context = browser.new_context(viewport={"width": 390, "height": 900}, is_mobile=True)
    tab = Tab(context, serve(build.site))
    try:
        page = tab.open()
        names = {n["text"]: n["breaks"] for n in page.evaluate(LINE_BREAKS)}
        page.screenshot(path=str(tmp_path / "params.png"), full_page=True)
        assert names[LONG_KEY], f"the key fits one line: nothing was tested ({tmp_path})"
        assert all(b[0] == "." for b in names[LONG_KEY]), names[LONG_KEY]
        assert page.evaluate(OVERFLOWS) == []
        tab.assert_clean()
    finally:
        tab.close()


def test_an_inline_value_shows_its_reference_on_hover_and_prints_as_text(
    example: ExampleSite, open_tab: Callable[..., Tab]
) -> None:
    """An inline value in running text looks like the words around it; hovering it highlights
    it and its title names the reference it came from; printed, it is plain text."""
    tab = open_tab(example.url)
    page = tab.open("model-card/")
    value = page.locator("article p .ml-value").first
    title = value.get_attribute("title")
    assert title and title.split()[0] in {
        "git",
        "page",
        "stage",
        "out",
        "artifact",
        "param",
        "metric",
    }
    paragraph = value.locator("xpath=..")
    look = (
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor,"
        " getComputedStyle(e).textDecorationLine, getComputedStyle(e).borderBottomStyle]"
    )
    colour, background, underline, border = value.evaluate(look)
    assert colour == paragraph.evaluate(look)[0]
    assert on(background, (255, 255, 255)) == (255, 255, 255), background
    assert (underline, border) == ("none", "none")
    value.hover()
    hovered = value.evaluate(look)[1]
    assert on(hovered, (255, 255, 255)) != (255, 255, 255), f"no highlight on hover: {hovered}"
    page.mouse.move(0, 0)
    page.emulate_media(media="print")
    printed = value.evaluate(look)
    assert printed[0] == paragraph.evaluate(look)[0]
    assert printed[2:] == ["none", "none"]
    tab.assert_clean()


# --------------------------------------------------------------------------- own pipelines


def test_a_stale_stage_is_drawn_in_the_stale_colour(
    pipeline: Repo,
    open_tab: Callable[..., Tab],
    serve: Callable[[Path], str],
) -> None:
    pipeline.write("src/train.py", pipeline.read("src/train.py") + "# tuned, not reproduced\n")
    pipeline.site(
        {"index.md": "# Pipeline\n\n{ml pipeline}\n"},
        plugin={
            "checks": {"stale_pipeline": "warn"},
        },
    )
    build = pipeline.build()
    assert build.ok, build.output
    assert "stage 'train' is stale: changed deps: modified src/train.py" in build.output
    tab = open_tab(serve(build.site))
    page = tab.open()
    (diagram,) = tab.wait_for_diagrams(1)

    assert diagram.state("train") == "stale"
    assert {label: diagram.state(label) for label in ("prepare", "evaluate")} == {
        "prepare": "current",
        "evaluate": "current",
    }
    assert rgb(diagram.nodes["train"].fill) == state_fill("stale")
    assert rgb(diagram.nodes["prepare"].fill) == state_fill("current")
    legend = page.locator(".ml-legend-item.ml-stale")
    assert legend.inner_text() == "stale"
    assert rgb(legend.evaluate("e => getComputedStyle(e).backgroundColor")) == state_fill("stale")
    # what changed is written under the diagram, not only coloured
    reasons = page.locator(".ml-state-reasons")
    assert reasons.is_visible()
    assert "train is stale: changed deps: modified src/train.py" in reasons.inner_text()
    tab.assert_clean()


FOREACH = """
  score:
    foreach: [a, b, c]
    do:
      cmd: python3 src/score.py ${item}
      deps:
        - src/score.py
        - data/prepared.csv
      outs:
        - scores/${item}.txt
"""


def test_collapsed_and_focused_views(
    pipeline: Repo,
    open_tab: Callable[..., Tab],
    serve: Callable[[Path], str],
) -> None:
    dvc_yaml = pipeline.read("dvc.yaml")
    pipeline.write("dvc.yaml", dvc_yaml.replace("\nartifacts:", FOREACH.rstrip() + "\nartifacts:"))
    pipeline.write("src/score.py", "import sys\nprint(sys.argv[1])\n")
    pipeline.site(
        {
            "index.md": "# Views\n\n## All\n\n{ml pipeline}\n\n## Collapsed\n\n"
            "{ml pipeline collapse}\n\n## Focus\n\n{ml pipeline focus=train}\n"
        },
        plugin={
            "checks": {"stale_pipeline": "ignore"},
        },
    )
    build = pipeline.build()
    assert build.ok, build.output
    tab = open_tab(serve(build.site))
    tab.open()
    full, collapsed, focused = tab.wait_for_diagrams(3)

    members = {"score@a", "score@b", "score@c"}
    assert members <= set(full.nodes)
    assert set(collapsed.nodes) == {
        "data/raw.csv.dvc",
        "prepare",
        "train",
        "evaluate",
        "score (3 stages)",
    }
    assert sorted(collapsed.edges) == sorted(
        [
            ("data/raw.csv.dvc", "prepare"),
            ("prepare", "train"),
            ("prepare", "score (3 stages)"),
            ("train", "evaluate"),
        ]
    )
    assert set(focused.nodes) == {"data/raw.csv.dvc", "prepare", "train", "evaluate"}
    assert sorted(focused.edges) == sorted(
        [("data/raw.csv.dvc", "prepare"), ("prepare", "train"), ("train", "evaluate")]
    )
    tab.assert_clean()


IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_FILE = "data/<img src=x onerror=window.__pwned=1>.csv"


def test_hostile_repository_data_is_shown_as_text_and_never_runs(
    pipeline: Repo,
    open_tab: Callable[..., Tab],
    serve: Callable[[Path], str],
) -> None:
    params = yaml.safe_load(pipeline.read("params.yaml"))
    params["hostile"] = {"note": IMG + SCRIPT, SCRIPT: IMG}
    pipeline.write("params.yaml", yaml.safe_dump(params, sort_keys=False))
    dvc_yaml = pipeline.read("dvc.yaml")
    assert "    desc: Upper-cases reviews.\n" in dvc_yaml
    pipeline.write(
        "dvc.yaml",
        dvc_yaml.replace(
            "    desc: Upper-cases reviews.\n", f"    desc: {json.dumps(IMG + SCRIPT)}\n"
        ),
    )
    pipeline.write(HOSTILE_FILE, "a,b\n1,2\n")
    pipeline.dvc("add", "-q", HOSTILE_FILE)
    pipeline.site(
        {
            "index.md": "# Hostile\n\n"
            "Note: {ml param hostile.note}\n\n"
            "Description: {ml artifact classifier desc}\n\n"
            f'Tracked by: {{ml out "{HOSTILE_FILE}" stage}}\n\n'
            "{ml params-table}\n\n"
            "{ml provenance classifier}\n\n"
            "{ml pipeline}\n"
        },
    )
    build = pipeline.build()
    assert build.ok, build.output
    tab = open_tab(serve(build.site))
    page = tab.open()
    (diagram,) = tab.wait_for_diagrams(1)
    page.wait_for_load_state("networkidle")

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("article img, article script").count() == 0
    assert not diagram.markup
    text = tab.text("article")
    assert f"Note: {IMG}{SCRIPT}" in text
    assert f"Description: {IMG}{SCRIPT}" in text
    assert f"Tracked by: {HOSTILE_FILE}.dvc" in text
    params_table = tab.text(".ml-params")
    assert f"hostile.note\t{IMG}{SCRIPT}" in params_table
    assert f"hostile.{SCRIPT}\t{IMG}" in params_table
    assert IMG + SCRIPT in tab.text(".ml-provenance")
    assert f"{HOSTILE_FILE}.dvc" in diagram.nodes
    tab.assert_clean()


def test_hostile_facts_in_the_theme_overrides_never_run(
    pipeline: Repo, open_tab: Callable[..., Tab], serve: Callable[[Path], str]
) -> None:
    """The stage header's reasons, the model card header and the footer, each with repository
    data that closes its attribute and adds an element, rendered by Material in Chromium."""
    dep = 'src/a"><img src=x onerror="document.title=\'pwned\'">.py'
    pipeline.write(dep, "print(1)\n")
    dvc_yaml = pipeline.read("dvc.yaml")
    assert "    - src/train.py\n" in dvc_yaml
    dvc_yaml = dvc_yaml.replace(
        "    - src/train.py\n", f"    - src/train.py\n    - {json.dumps(dep)}\n"
    )
    dvc_yaml = dvc_yaml.replace("    type: model\n", f"    type: {json.dumps(IMG)}\n")
    pipeline.write("dvc.yaml", dvc_yaml)
    branch = '"><img/src=x/onerror=window.__pwned=1>'
    pipeline.git("checkout", "-q", "-b", branch)
    pipeline.site(
        {
            "index.md": "---\nml:\n  stage: train\n---\n# Train\n",
            "card.md": "---\nml:\n  artifact: classifier\n---\n# Card\n",
        },
        plugin={"checks": {"stale_pipeline": "warn", "card_section": "ignore"}},
    )
    pipeline.commit("Hostile facts")
    build = pipeline.build()
    assert "stage 'train' is stale" in build.output and dep in build.output, build.output
    tab = open_tab(serve(build.site))
    for path in ("", "card/"):
        page = tab.open(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.title() != "pwned"
        assert page.locator("article img, .ml-card-header img, .ml-footer img").count() == 0
        assert branch in tab.text(".ml-footer")
    assert tab.open("").locator(".ml-stage-header .ml-badge.ml-state-stale").count() == 1
    assert dep in tab.text(".ml-stage-header .ml-stale")
    assert tab.open("card/").locator(".ml-card-header .ml-type").inner_text() == IMG
    tab.assert_clean()


#: URLs that run script when followed (setting window.name, which outlives a navigation),
#: written as a browser still reads them as javascript:, or with other unsafe schemes
SCRIPT_URLS = {
    "plain": "javascript:window.name='pwned'",
    "tab": "java\tscript:window.name='pwned'",
    "entity": "java&#x09;script:window.name='pwned'",
    "blank": " \x01javascript:window.name='pwned'",
    "upper": "JAVASCRIPT:window.name='pwned'",
    "data": "data:text/html,<script>opener.name='pwned'</script>",
    "vbscript": "vbscript:msgbox(1)",
}
UNSAFE_PAGE = """\
# Links

<a id="raw" href="{ml param link}">raw</a>

[markdown]({ml param link}){ #md }

<a id="split" href="java{ml param half}">split</a>

<a id="site" href="{ml param site}">site</a>

<form action="{ml param link}"><button id="send">send</button></form>

<button id="handler" onclick="{ml param code}">handler</button>

<iframe srcdoc='{ml param code}'></iframe>
"""


@pytest.mark.parametrize("url", list(SCRIPT_URLS.values()), ids=list(SCRIPT_URLS))
def test_a_script_url_from_the_repository_never_reaches_an_attribute(
    pipeline: Repo, open_tab: Callable[..., Tab], serve: Callable[[Path], str], url: str
) -> None:
    """A params value in raw HTML's URL attributes, a Markdown link, an event handler and
    srcdoc: refused with a finding at its line, the attribute left without it; clicking every
    link and button in Chromium runs nothing. A safe URL is written."""
    params = yaml.safe_load(pipeline.read("params.yaml"))
    params.update(
        link=url,
        half="script:window.name='pwned'",
        site="https://example.com/a?b=1&c=2",
        code="window.name='pwned';parent.name='pwned'",
    )
    pipeline.write("params.yaml", yaml.safe_dump(params, sort_keys=False))
    pipeline.site(
        {"index.md": UNSAFE_PAGE},
        plugin={"checks": {"unsafe_value": "warn"}},
        use_directory_urls=False,
    )
    pipeline.commit("Links")
    build = pipeline.build()
    assert build.ok, build.output
    refused = re.findall(
        r"WARNING -  mlplugin: docs/index\.md:(\d+): '([^']*)'.*\[unsafe_value\]", build.output
    )
    # as written into HTML ('&' escaped, a control character shown as U+FFFD), an entity or a
    # control character no longer makes a scheme: such a URL is a relative one, and written
    link_refused = render.unsafe_url("href", html.unescape(render.text(url))) is not None
    assert link_refused is (url not in (SCRIPT_URLS["entity"], SCRIPT_URLS["blank"]))
    links = {("3", "{ml param link}"), ("5", "{ml param link}"), ("11", "{ml param link}")}
    assert set(refused) == {
        *(links if link_refused else ()),
        ("7", "{ml param half}"),
        ("13", "{ml param code}"),
        ("15", "{ml param code}"),
    }, build.output
    tab = open_tab(serve(build.site))
    page = tab.open("index.html")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("#site", "href") == "https://example.com/a?b=1&c=2"
    for selector in ("#raw", "#md", "#split"):
        assert page.eval_on_selector(selector, "a => a.protocol") == "http:", selector
    assert page.eval_on_selector("form", "f => new URL(f.action).protocol") == "http:"
    assert page.get_attribute("#handler", "onclick") == ""
    assert page.locator("iframe").get_attribute("srcdoc") == ""
    assert page.evaluate("window.name") == ""
    for selector in ("#raw", "#md", "#split", "#handler", "#send"):
        page = tab.open("index.html")
        page.click(selector)
        page.wait_for_load_state("load")
        assert page.evaluate("window.name") == "", selector
    # the links followed are relative ones, to pages that do not exist
    tab.problems = [p for p in tab.problems if "404" not in p]
    tab.assert_clean()


# --------------------------------------------------------------------------- the URL rule

URLISH = st.one_of(
    st.text(max_size=30),
    st.lists(
        st.sampled_from(
            [
                "java",
                "script",
                "JavaScript",
                "data",
                "vbscript",
                "http",
                "https",
                "mailto",
                ":",
                "/",
                "//",
                "\t",
                "\n",
                "\r",
                "\x00",
                "\x01",
                " ",
                "\x1f",
                "\u00a0",
                "\ufeff",
                "+",
                ".",
                "-",
                "1",
                "a",
                "&#x09;",
                "&colon;",
                "?",
                "#",
                "%0a",
                "\\",
                "j\u0430va",
            ]
        ),
        max_size=8,
    ).map("".join),
)


def test_the_url_rule_agrees_with_chromiums_url_parser(browser: Browser) -> None:
    """Any string, set as an href in Chromium: the plugin accepts it exactly when the URL the
    browser makes of it is relative (resolved against an http page), http, https or mailto."""
    page = browser.new_page()
    page.set_content("<a id=a href=x>x</a>")

    @settings(max_examples=1500, deadline=None)
    @given(URLISH)
    def check(url: str) -> None:
        protocol = page.evaluate(
            """(url) => { try { return new URL(url, "http://example.test/docs/page.html").protocol; }
                         catch (e) { return null; } }""",
            url,
        )
        accepted = render.unsafe_url("href", url) is None
        if protocol is not None:
            assert accepted is (protocol in ("http:", "https:", "mailto:")), (url, protocol)
        else:  # a URL Chromium cannot make: accepted only if it has no scheme of its own
            assert accepted is (render.url_scheme(url) in (None, "http", "https", "mailto")), url

    check()
    page.close()


# --------------------------------------------------------------------------- where a fact stands

FIND_MARK = """(html) => {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const mark = "\\ue000";
  const walker = doc.createTreeWalker(doc, NodeFilter.SHOW_ALL);
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.localName.includes(mark)) return [""];
      for (const attr of node.attributes) {
        if (attr.name.includes(mark)) return [""];
        if (attr.value.includes(mark)) return [attr.name];
      }
    } else if ((node.nodeValue || "").includes(mark)) {
      return [null];
    }
  }
  return [];  /* dropped: a repeated attribute, an end tag's attribute */
}"""


def test_where_a_fact_stands_is_where_chromium_puts_it(browser: Browser) -> None:
    """Any HTML around a fact's token: the plugin finds it in text (or a comment, or a script),
    in the value of an attribute, or elsewhere in a tag, exactly where Chromium's parser puts it."""
    page = browser.new_page()

    @settings(max_examples=1500, deadline=None)
    @given(HTML_PIECES, st.data())
    def check(pieces: list[str], data: st.DataObject) -> None:
        at = data.draw(st.integers(0, len(pieces)))
        text = "".join(pieces[:at]) + MARK + "".join(pieces[at:])
        found = page.evaluate(FIND_MARK, text)
        assume(found)
        (place,) = contexts(text, [text.index(MARK)])
        assert (None if place is None else place.name) == found[0], text

    check()
    page.close()


def test_a_tag_name_with_a_letter_that_folds_to_ascii_is_no_tag_of_that_name(
    browser: Browser,
) -> None:
    """A browser compares tag names in ASCII: '<\u017fcript>' (long s) and '<\u212abd>'
    (Kelvin sign) start no script or kbd element, and '</\u017fcript>' ends no script. A fact in
    a link after them is in the link's href, where it is checked as a URL, not in script text."""
    page = browser.new_page()
    for text in (
        f'<\u017fcript>x <a href="{MARK}">y</a>',
        f'<\u017ftyle>x <a href="{MARK}">y</a>',
        f'<\u212abd>x <a title="{MARK}">y</a>',
        f'<script>x</\u017fcript><a href="{MARK}">y</a></script>',
        f'<textarea>x</TEXTAREA><a href="{MARK}">y</a>',
    ):
        (found,) = page.evaluate(FIND_MARK, text)
        (place,) = contexts(text, [text.index(MARK)])
        assert (None if place is None else place.name) == found, text
    page.close()
