"""Helpers for the real-browser tests (tests/test_browser.py).

- ``SiteServer``: a built site served on a loopback port by a threaded ``http.server``;
- ``Tab``: a Chromium page that records every console error, uncaught exception, failed
  request and request to a non-loopback host (and, ``offline``, refuses every one of them),
  and reads rendered Mermaid diagrams back from the page as the user sees them (labels,
  classes, computed colours).
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route

#: Debian's chromium (CI installs it with apt). Playwright never downloads a browser here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Test instrumentation only. Material renders each Mermaid diagram into a *closed* shadow root
# (``attachShadow({mode: "closed"})``), which no script, and so no test, can look into. This
# init script runs before any page script and makes every shadow root open, so the test can
# read the SVG the user sees. It changes nothing about how the diagram is drawn or styled.
OPEN_SHADOW_ROOTS = """
(() => {
  const attachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attachShadow.call(this, Object.assign({}, init, { mode: "open" }));
  };
})();
"""

#: Hosts of the web fonts Material's default theme loads (Roboto from Google Fonts). They are
#: the theme's, not the plugin's: answered with an empty stylesheet so pages load the same way
#: offline, and listed in Tab.stubbed. Any other non-loopback request is a test failure.
THEME_FONT_HOSTS = frozenset({"fonts.googleapis.com", "fonts.gstatic.com"})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

# Every diagram Material rendered (a div.mermaid host whose shadow root holds an <svg>), read
# back as the user sees it: node labels, the classes Mermaid put on each node's <g> (classDef
# names end up there), the computed fill of the node's shape and the computed colour of its
# label text, and the edges by generated node id (Mermaid names each edge path L_<from>_<to>_<k>).
READ_DIAGRAMS = """
() => Array.from(document.querySelectorAll("div.mermaid")).map((host) => {
  const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
  if (!svg) return null;
  const nodes = Array.from(svg.querySelectorAll("g.node")).map((g) => {
    const id = (g.id.match(/flowchart-(n\\d+)-\\d+$/) || [])[1] || g.id;
    const shape = g.querySelector(":scope > .label-container") || g.querySelector("rect, path, polygon");
    const label = g.querySelector(".nodeLabel");
    const ink = label ? (label.querySelector("p") || label) : null;
    return {
      id,
      label: label ? label.textContent : "",
      classes: Array.from(g.classList),
      fill: shape ? getComputedStyle(shape).fill : "",
      text: ink ? getComputedStyle(ink).color : "",
    };
  });
  const edges = Array.from(svg.querySelectorAll("path.flowchart-link")).map((p) => {
    const m = (p.dataset.id || p.id).match(/L_(n\\d+)_(n\\d+)_\\d+$/);
    return m ? [m[1], m[2]] : [p.id, ""];
  });
  const markup = Array.from(svg.querySelectorAll("script, img, iframe, object, embed")).map(
    (e) => e.outerHTML,
  );
  return { nodes, edges, markup, width: svg.getBoundingClientRect().width };
})
"""


# --------------------------------------------------------------------------- serving


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class SiteServer:
    """DIRECTORY served over HTTP on a free loopback port, from a background thread.

    The port is known as soon as the server exists, so a site can be built afterwards with
    ``site_url`` pointing at it (Material's instant navigation only follows links that its
    sitemap lists under the address the page is served from)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------- the browser


@dataclasses.dataclass
class Node:
    label: str
    classes: list[str]
    fill: str  # computed, "rgb(r, g, b)"
    text: str  # computed colour of the label text


@dataclasses.dataclass
class Diagram:
    """A rendered diagram: nodes by label, edges as (upstream label, downstream label)."""

    nodes: dict[str, Node]
    edges: list[tuple[str, str]]
    markup: list[str]  # active elements inside the SVG (there should be none)
    width: float

    @classmethod
    def read(cls, raw: dict[str, Any]) -> Diagram:
        by_id = {n["id"]: n for n in raw["nodes"]}
        nodes = {
            n["label"]: Node(n["label"], n["classes"], n["fill"], n["text"]) for n in raw["nodes"]
        }
        assert len(nodes) == len(raw["nodes"]), f"two nodes with one label: {raw['nodes']}"
        edges = [
            (by_id[a]["label"] if a in by_id else a, by_id[b]["label"] if b in by_id else b)
            for a, b in raw["edges"]
        ]
        return cls(nodes, edges, raw["markup"], raw["width"])

    def state(self, label: str) -> str:
        """The state class of a node: one of the plugin's classDef names on its <g>."""
        states = {"current", "stale", "unverifiable", "frozen", "unknown", "data"}
        found = [c for c in self.nodes[label].classes if c in states]
        assert len(found) == 1, f"{label}: classes {self.nodes[label].classes}"
        return found[0]


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") not in LOOPBACK


class Tab:
    """One page in a fresh browser context, recording everything that went wrong.

    OFFLINE: no network but the loopback server: every request to another host, the theme's
    web fonts included, is aborted and listed in ``blocked`` (a blocked font is no problem;
    anything else blocked is, as always)."""

    def __init__(self, context: BrowserContext, base_url: str, *, offline: bool = False) -> None:
        self.context = context
        self.base_url = base_url
        self.offline = offline
        self.problems: list[str] = []
        self.stubbed: list[str] = []
        self.blocked: list[str] = []
        self.requested: list[str] = []  # every URL the page asked for, in order
        context.add_init_script(OPEN_SHADOW_ROOTS)
        context.route(is_external, self._external)
        self.page: Page = context.new_page()
        self.page.on("request", lambda req: self.requested.append(req.url))
        self.page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and msg.location.get("url") not in self.blocked
                and self.problems.append(f"console error: {msg.text} ({msg.location.get('url')})")
            ),
        )
        self.page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        self.page.on(
            "requestfailed",
            lambda req: (
                is_external(req.url)
                and req.url not in self.blocked
                and self.problems.append(f"request failed: {req.url} ({req.failure})")
            ),
        )
        self.page.on(
            "response",
            lambda resp: (
                resp.status >= 400 and self.problems.append(f"HTTP {resp.status}: {resp.url}")
            ),
        )

    def _external(self, route: Route) -> None:
        url = route.request.url
        font = (urlsplit(url).hostname or "") in THEME_FONT_HOSTS
        if self.offline:
            self.blocked.append(url)
            if not font:
                self.problems.append(f"request to a non-loopback host: {url}")
            route.abort("internetdisconnected")
            return
        if font:
            self.stubbed.append(url)
            content_type = "text/css" if "googleapis" in url else "font/woff2"
            route.fulfill(status=200, content_type=content_type, body="")
            return
        self.problems.append(f"request to a non-loopback host: {url}")
        route.abort("blockedbyclient")

    def open(self, path: str = "") -> Page:
        self.page.goto(self.base_url + path, wait_until="load")
        return self.page

    def wait_for_diagrams(self, count: int, timeout: float = 20_000) -> list[Diagram]:
        """Wait until COUNT diagrams are drawn and no Mermaid source is left unrendered."""
        self.page.wait_for_function(
            """(count) => {
                const drawn = Array.from(document.querySelectorAll("div.mermaid"))
                  .filter((h) => h.shadowRoot && h.shadowRoot.querySelector("svg g.node"));
                return drawn.length === count && !document.querySelector("pre.mermaid");
            }""",
            arg=count,
            timeout=timeout,
        )
        raw = self.page.evaluate(READ_DIAGRAMS)
        assert all(raw), f"a diagram host without an SVG: {raw}"
        return [Diagram.read(d) for d in raw]

    def text(self, selector: str = "article") -> str:
        """What the user reads in SELECTOR (rendered text, as copied from the screen)."""
        return self.page.inner_text(selector)

    def assert_clean(self) -> None:
        assert not self.problems, "the page had problems:\n" + "\n".join(self.problems)

    def close(self) -> None:
        self.context.close()


# --------------------------------------------------------------------------- colours


def rgb(css: str) -> tuple[int, int, int]:
    """ "rgb(1, 2, 3)" or "rgba(1, 2, 3, 1)" as a tuple."""
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, [\d.]+)?\)", css.strip())
    assert found, f"not a computed colour: {css!r}"
    return int(found[1]), int(found[2]), int(found[3])


def on(css: str, background: tuple[int, int, int]) -> tuple[int, int, int]:
    """The colour CSS (possibly translucent, "rgba(r, g, b, a)") shows as over BACKGROUND."""
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css.strip())
    assert found, f"not a computed colour: {css!r}"
    alpha = float(found[4]) if found[4] is not None else 1.0
    r, g, b = (int(found[i]) * alpha + background[i - 1] * (1 - alpha) for i in (1, 2, 3))
    return round(r), round(g), round(b)


def hex_rgb(code: str) -> tuple[int, int, int]:
    code = code.lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21; 4.5 is the minimum for body text)."""

    def luminance(c: tuple[int, int, int]) -> float:
        def channel(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        r, g, b_ = (channel(v) for v in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def mermaid_inside(git_root: Path, site_dir: Path, mermaid_js: Path) -> str:
    """A copy of MERMAID_JS inside the site's project (SITE_DIR, the directory of its
    mkdocs.yml), as the plugin's ``mermaid_js`` option names it: the plugin reads no file from
    outside the project. git ignores the copy (``.git/info/exclude``), so the work tree stays
    clean and no page is called uncommitted."""
    target = site_dir / ".mermaid" / "mermaid.min.js"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(mermaid_js, target)
    exclude = git_root / ".git" / "info" / "exclude"
    exclude.parent.mkdir(exist_ok=True)
    with open(exclude, "a", encoding="utf-8") as out:
        out.write(f"/{target.parent.relative_to(git_root).as_posix()}/\n")
    return target.relative_to(site_dir).as_posix()
