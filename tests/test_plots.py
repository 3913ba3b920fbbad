"""``{ml plots}``: the plots dvc.yaml declares, drawn at build time as static SVG.

The fixture is a real DVC project made with the dvc CLI: a stage whose plots outputs are
kept in git (a confusion matrix set with ``dvc plots modify``, a loss curve) and one cached
by DVC, plus a top-level ``plots:`` section using each of DVC's templates and ``x``/``y``
across files. What the plugin feeds each plot is compared with ``dvc plots show --json`` (the
filled Vega-Lite specification, data points included); the SVGs of a real build are parsed
and checked for their axes, series and labels.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, init_repo

from mkdocs_mlplugin.facts.dvc import load_project
from mkdocs_mlplugin.facts.plots import plots, read, template
from mkdocs_mlplugin.render import plots as draw

EVALUATE = r"""
import csv, json, math, pathlib
out = pathlib.Path("eval"); out.mkdir(exist_ok=True)
pairs = [(i % 3, (i * 2) % 3 if i % 4 == 0 else i % 3) for i in range(30)]
with open(out / "pred.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["actual", "predicted"]); w.writerows(pairs)
json.dump({"train": [{"step": i, "loss": round(1 / (i + 1), 4)} for i in range(12)]},
          open(out / "loss.json", "w"))
json.dump({"roc": [{"fpr": i / 10, "tpr": round(math.sqrt(i / 10), 3), "threshold": 1 - i / 10}
                   for i in range(11)]}, open(out / "roc.json", "w"))
with open(out / "scatter.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["a", "b"]); w.writerows((i, (i * 13) % 17) for i in range(15))
json.dump([{"step": i, "acc": round(0.5 + i / 40, 3)} for i in range(8)], open(out / "train.json", "w"))
json.dump([{"step": i, "acc": round(0.45 + i / 50, 3)} for i in range(8)], open(out / "test.json", "w"))
with open(out / "labels.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["label", "count"])
    w.writerows([["positive", 41], ["negative", 35], ["neutral", 9]])
json.dump([{"t": i * 0.5} for i in range(6)], open(out / "xs.json", "w"))
json.dump([{"v": i * i} for i in range(6)], open(out / "ys.json", "w"))
(out / "curves").mkdir(exist_ok=True)
for name, rate in (("fast", 0.5), ("slow", 0.1)):
    json.dump([{"epoch": i, "loss": round(math.exp(-rate * i), 4)} for i in range(10)],
              open(out / "curves" / f"{name}.json", "w"))
with open(out / "big.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["x", "y"]); w.writerows((i, i) for i in range(5))
"""

TOP_LEVEL_PLOTS = """
plots:
  - roc:
      template: simple
      x: fpr
      y:
        eval/roc.json: tpr
  - eval/scatter.csv:
      template: scatter
      x: a
      y: b
  - accuracy:
      x: step
      y:
        eval/train.json: acc
        eval/test.json: acc
  - labels:
      template: bar_horizontal
      title: Reviews per label
      x: count
      y:
        eval/labels.csv: label
  - eval/loss.json:
      template: smooth
      y_label: training loss
  - normalized:
      template: confusion_normalized
      x: actual
      y:
        eval/pred.csv: predicted
  - xfiles:
      x:
        eval/xs.json: t
      y:
        eval/ys.json: v
  - eval/curves:
      x: epoch
"""

#: every plot the fixture declares, as ``dvc plots show`` names them, and its template
DECLARED = {
    "eval/pred.csv": "confusion",
    "eval/loss.json": "linear",
    "eval/big.csv": "linear",
    "roc": "simple",
    "eval/scatter.csv": "scatter",
    "accuracy": "linear",
    "labels": "bar_horizontal",
    "dvc.yaml::eval/loss.json": "smooth",
    "normalized": "confusion_normalized",
    "xfiles": "linear",
    "eval/curves/fast.json": "linear",  # a directory: a plot for each file in it
    "eval/curves/slow.json": "linear",
}


def make_plots_project(repo: Repo) -> None:
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.write("src/evaluate.py", EVALUATE)
    repo.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "evaluate",
        "-d",
        "src/evaluate.py",
        "--plots-no-cache",
        "eval/pred.csv",
        "--plots-no-cache",
        "eval/loss.json",
        "--plots",
        "eval/big.csv",
        *(
            arg
            for name in ("roc", "scatter", "train", "test", "labels", "xs", "ys")
            for arg in ("-O", f"eval/{name}.{'csv' if name in ('scatter', 'labels') else 'json'}")
        ),
        f"{sys.executable} src/evaluate.py",
    )
    repo.dvc(
        "plots", "modify", "eval/pred.csv", "-t", "confusion", "-x", "actual", "-y", "predicted"
    )
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(TOP_LEVEL_PLOTS)
    repo.dvc("repro", "-q")
    repo.commit("Evaluate with plots", date="2024-02-01T10:00:00+00:00")


@pytest.fixture(scope="module")
def plots_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("plots-home")
    repo = init_repo(home / "repo", home)
    make_plots_project(repo)
    # DVC-tracked, and not pulled: neither in the work tree nor in the cache
    (repo.path / "eval" / "big.csv").unlink()
    shutil.rmtree(repo.path / ".dvc" / "cache")
    return repo.path


@pytest.fixture
def project_repo(tmp_path: Path, plots_template: Path) -> Repo:
    from conftest import copy_pipeline

    return copy_pipeline(plots_template, tmp_path)


def _ours(root: Path) -> dict[str, dict[str, Any] | None]:
    """The Vega-Lite specification the plugin fills for each plot (None: data missing)."""
    project = load_project(root)
    result: dict[str, dict[str, Any] | None] = {}
    for plot in plots(project):
        found = read(project, plot)
        assert not found.problems, found.problems
        if found.missing:
            result[plot.name] = None
            continue
        chosen = template(project, plot.props.get("template"))
        result[plot.name] = draw.spec(
            plot.name, plot.inner, plot.props, {"workspace": found.data}, chosen
        )
    return result


def test_specifications_equal_dvc_plots_show_json(project_repo: Repo) -> None:
    """Differential: for every plot, the data points and the filled template the plugin draws
    are those ``dvc plots show --json`` gives (the plot DVC cannot load is missing in both)."""
    shown = json.loads(project_repo.dvc("plots", "show", "--json"))
    theirs = shown["data"]
    ours = _ours(project_repo.path)
    assert set(ours) == set(theirs) == set(DECLARED)
    assert [e.get("name") for e in shown.get("errors", [])] == ["eval/big.csv"]
    for name, spec in ours.items():
        if spec is None:
            assert theirs[name] == [], name
            continue
        (rendered,) = theirs[name]
        assert json.loads(json.dumps(spec)) == rendered["content"], name
        values = spec["data"]["values"]
        assert values and all(v["rev"] == "workspace" for v in values), name
    # spot checks of what DVC computed: x across files, y across files, CSV rows as text
    xfiles = ours["xfiles"]
    assert xfiles is not None
    assert [(p["t"], p["v"]) for p in xfiles["data"]["values"]] == [
        (i * 0.5, i * i) for i in range(6)
    ]
    accuracy = ours["accuracy"]
    assert accuracy is not None
    assert {p["filename"] for p in accuracy["data"]["values"]} == {"train.json", "test.json"}
    confusion = ours["eval/pred.csv"]
    assert confusion is not None
    assert confusion["data"]["values"][0] == {"actual": "0", "predicted": "0", "rev": "workspace"}


def _figures(page: str) -> dict[str, ET.Element]:
    """Each plot's figure on a built page, its SVG parsed: plot name -> <svg>."""
    found = {}
    for name, body in re.findall(
        r'<figure class="ml-plot" data-plot="([^"]*)">\n?(<svg.*?</svg>)', page, re.S
    ):
        found[html_unescape(name)] = ET.fromstring(body)  # noqa: S314 - the plugin's own output
    return found


def _tags(markup: str) -> list[tuple[str, list[str]]]:
    """Every start tag in MARKUP as an HTML parser reads it: (name, attribute names)."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[str]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Tags().feed(markup)
    return found


def html_unescape(value: str) -> str:
    import html

    return html.unescape(value)


def _texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]


def _marks(svg: ET.Element, kind: str) -> list[ET.Element]:
    """The groups of SVG holding the data's marks of KIND (Vega's classes), legends left out."""
    return [
        g
        for g in svg.iter("{http://www.w3.org/2000/svg}g")
        if {f"mark-{kind}", "role-mark"} <= set((g.get("class") or "").split())
    ]


def test_build_draws_every_plot_as_svg_with_axes_series_and_labels(project_repo: Repo) -> None:
    project_repo.site(
        {
            "index.md": "# Plots\n\n{ml plots}\n",
            "roc.md": "# ROC\n\n{ml plots roc}\n",
        }
    )
    build = project_repo.build()
    assert build.ok, build.output
    page = build.page("")
    figures = _figures(page)
    drawn = set(DECLARED) - {"eval/big.csv"}
    assert set(figures) == drawn
    # the plot whose data DVC tracks and nobody pulled: a marker and a finding
    assert "ml-missing" in page and "dvc pull" in page
    assert re.search(r"index\.md:3: '\{ml plots\}': plot 'eval/big\.csv': .*dvc pull", build.output)
    assert "[missing_value]" in build.output

    confusion = _texts(figures["eval/pred.csv"])
    assert "actual" in confusion and "predicted" in confusion  # the axes' titles
    assert {"0", "1", "2"} <= set(confusion)  # the classes, on both axes
    roc = figures["roc"]
    assert {"fpr", "tpr"} <= set(_texts(roc))
    assert len(_marks(roc, "line")) == 1
    accuracy = figures["accuracy"]
    assert {"step", "acc", "train.json", "test.json"} <= set(_texts(accuracy))  # legend
    # DVC's linear template draws each series twice (smoothed, and raw underneath)
    smoothed = [
        g for g in _marks(accuracy, "line") if "layer_0_layer_0_marks" in g.get("class", "")
    ]
    assert len(smoothed) == 2, "one line per file"
    # each cell of the confusion matrix writes the count of its (actual, predicted) pair
    rows = (project_repo.path / "eval/pred.csv").read_text("utf-8").splitlines()[1:]
    counts = Counter(tuple(row.split(",")) for row in rows)
    cells = [t for g in _marks(figures["eval/pred.csv"], "text") for t in g]
    assert len(cells) == 9
    for cell in cells:
        said = dict(part.split(": ") for part in cell.get("aria-label", "").split("; "))
        assert "".join(cell.itertext()) == said["xy_count"]
        assert int(said["xy_count"]) == counts[(said["actual"], said["predicted"])]
    labels = _texts(figures["labels"])
    assert "Reviews per label" in labels
    assert {"positive", "negative", "neutral", "count", "label"} <= set(labels)
    bars = [r for g in _marks(figures["labels"], "rect") for r in g]
    assert len(bars) == 3
    scatter = figures["eval/scatter.csv"]
    assert len([s for g in _marks(scatter, "symbol") for s in g]) == 15
    assert "training loss" in _texts(figures["dvc.yaml::eval/loss.json"])
    assert {"t", "v"} <= set(_texts(figures["xfiles"]))
    # no element id is used twice on the page (clip paths, gradients of different plots)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert set(_figures(build.page("roc"))) == {"roc"}
    # the manifest names every plot's data sources: who makes them, and whether git keeps them
    (project,) = build.manifest()["projects"]
    records = {p["name"]: p for p in project["plots"]}
    assert set(records) == set(DECLARED)
    assert records["eval/pred.csv"]["template"] == "confusion"
    (pred,) = records["eval/pred.csv"]["sources"]
    assert pred["producer"] == "evaluate" and pred["cache"] is False and pred["md5"]
    (big,) = records["eval/big.csv"]["sources"]
    assert big["cache"] is True
    assert [s["path"] for s in records["accuracy"]["sources"]] == [
        "eval/train.json",
        "eval/test.json",
    ]


def test_a_hostile_label_in_plot_data_stays_text(project_repo: Repo) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>{ml git}*x*"
    project_repo.write("extra/labels.csv", f'label,count\n"{hostile}",3\nplain,4\n')
    with open(project_repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - hostile:\n      template: bar_horizontal\n      x: count\n")
        fh.write("      y:\n        extra/labels.csv: label\n")
    project_repo.site({"index.md": "{ml plots hostile}\n"})
    build = project_repo.build()
    assert build.ok, build.output
    page = build.page("")
    assert "<script>alert" not in page and "<img src=x" not in page
    # as a browser's HTML parser reads the figure: chart elements only, no event handler
    figure = page[page.index('<figure class="ml-plot"') : page.index("</figure>")]
    tags = _tags(figure)
    chart = {"figure", "figcaption", "svg", "g", "path", "rect", "line", "text", "defs", "clippath"}
    assert {tag for tag, _ in tags} <= chart
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    (svg,) = _figures(page).values()
    # shown as the text it is: the tick label (which Vega cuts at its width), the axis' label
    assert any(t.startswith("<script>alert(1)</script><img") for t in _texts(svg))
    assert any(hostile in (e.get("aria-label") or "") for e in svg.iter())


def test_unknown_plot_name_is_a_finding_with_the_names(project_repo: Repo) -> None:
    project_repo.site({"index.md": "{ml plots rok}\n"})
    build = project_repo.build()
    assert not build.ok
    assert "no plot 'rok' in dvc.yaml. Did you mean 'roc'?" in build.output
    assert "[missing_reference]" in build.output


def test_without_the_plots_extra_the_block_is_a_finding_naming_it(project_repo: Repo) -> None:
    project_repo.site({"index.md": "{ml plots roc}\n"})
    # vl-convert not installed: Python's import system finds no such module
    build = project_repo.build(env={"MLPLUGIN_UNINSTALLED": "vl_convert"})
    assert build.ok, build.output
    assert "Traceback" not in build.output
    assert (
        "index.md:1: '{ml plots roc}': drawing plots needs vl_convert, which is not installed: "
        "pip install 'mkdocs-mlplugin[plots]'. [missing_value]"
    ) in build.output
    assert "ml-missing" in build.page("")


def test_clean_keeps_chart_markup_and_drops_what_could_run() -> None:
    drawn = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10" onload="alert(1)"><script>alert(2)</script>'
        '<style>*{}</style><a xlink:href="javascript:alert(3)"><text>in a link</text></a>'
        '<foreignObject><div>x</div></foreignObject><image href="http://h/x.png"/>'
        '<defs><clipPath id="clip1"><rect width="5" height="5"/></clipPath></defs>'
        '<g clip-path="url(#clip1)" fill="url(http://h/p)"><text x="1">a &lt;b&gt; `c` {ml x}</text></g>'
        "</svg>"
    )
    kept = draw.clean(drawn, "p1")
    assert "alert" not in kept and "style" not in kept and "foreignObject" not in kept
    assert "image" not in kept and "http://h" not in kept and "in a link" not in kept
    assert 'id="p1-clip1"' in kept and 'clip-path="url(#p1-clip1)"' in kept
    assert "{ml" not in kept and "<b>" not in kept
    root = ET.fromstring(kept)  # noqa: S314 - the plugin's own output
    assert _texts(root) == ["a <b> `c` {ml x}"]


# --------------------------------------------------------------------------- in Chromium

#: every text of every plot on the page as the browser paints it: its computed fill, and the
#: background it is painted on (the nearest ancestor with an opaque background colour)
READ_PLOT_TEXT = """
() => Array.from(document.querySelectorAll("figure.ml-plot svg text")).map((t) => {
  let node = t.closest("figure"), background = "";
  while (node) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") {
      background = colour; break;
    }
    node = node.parentElement;
  }
  const role = (t.parentElement.getAttribute("class") || "");
  return {text: t.textContent, fill: getComputedStyle(t).fill, background, role,
          shown: t.getBBox().width > 0};
})
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_plots_are_drawn_and_readable_in_both_palettes_in_chromium(
    project_repo: Repo, browser: Any, scheme: str
) -> None:
    from browser_support import SiteServer, Tab, contrast, on, rgb

    hostile = "<img src=x onerror=window.__ml_ran=1>"
    project_repo.write("extra/labels.csv", f'label,count\n"{hostile}",3\nplain,4\n')
    with open(project_repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - hostile:\n      template: bar_horizontal\n      x: count\n")
        fh.write("      y:\n        extra/labels.csv: label\n")
    palette = [
        {
            "media": "(prefers-color-scheme: light)",
            "scheme": "default",
            "toggle": {"icon": "material/brightness-7", "name": "Switch to dark mode"},
        },
        {
            "media": "(prefers-color-scheme: dark)",
            "scheme": "slate",
            "toggle": {"icon": "material/brightness-4", "name": "Switch to light mode"},
        },
    ]
    project_repo.site(
        {
            "index.md": "# Plots\n\n{ml plots eval/pred.csv}\n\n{ml plots accuracy}\n\n{ml plots hostile}\n"
        },
        theme={"name": "material", "palette": palette},
    )
    build = project_repo.build("--strict")
    assert build.ok, build.output
    with SiteServer(build.site) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 2400}, color_scheme=scheme)
        tab = Tab(context, server.url, offline=True)
        try:
            page = tab.open("")
            expected = "slate" if scheme == "dark" else "default"
            page.wait_for_function(f"document.body.dataset.mdColorScheme === '{expected}'")
            assert page.locator("figure.ml-plot svg").count() == 3
            texts = page.evaluate(READ_PLOT_TEXT)
            page.locator("figure.ml-plot").first.screenshot(
                path=str(project_repo.home / f"plot-{scheme}.png")
            )
            assert page.evaluate("window.__ml_ran") is None  # the hostile label never ran
            assert page.locator("figure.ml-plot img").count() == 0
            shown = {t["text"] for t in texts}
            assert hostile in shown or any(s.startswith("<img src=x") for s in shown)
            assert {"actual", "predicted", "step", "acc"} <= shown
            # axes, titles and legends: the page's own text colour, readable on its background
            guides = [t for t in texts if "role-mark" not in t["role"] and t["shown"]]
            assert guides
            for t in guides:
                background = rgb(t["background"])
                ratio = contrast(on(t["fill"], background), background)
                assert ratio >= 4.5, f"{t['text']!r}: {t['fill']} on {t['background']}: {ratio:.1f}"
            tab.assert_clean()
        finally:
            tab.close()


def test_a_rebuild_draws_only_the_plots_whose_data_changed(
    project_repo: Repo, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``mkdocs serve`` does: one plugin object (one Session) across builds. A plot is
    drawn once while its data stays the same; a changed data file draws that plot again."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    project_repo.write("extra/labels.csv", "label,count\nyes,3\nno,4\n")
    with open(project_repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - answers:\n      template: bar_horizontal\n      x: count\n")
        fh.write("      y:\n        extra/labels.csv: label\n")
    config_file = project_repo.site({"index.md": "{ml plots roc}\n\n{ml plots answers}\n"})
    monkeypatch.chdir(project_repo.path)
    site = project_repo.home / "served"
    session = None

    def rebuild() -> tuple[list[str], str]:
        nonlocal session
        config = load_config(str(config_file), site_dir=str(site))
        plugin = config.plugins["mlplugin"]
        if session is None:
            session = plugin.session
        plugin.session = session  # serve keeps the plugin object, and so its Session
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.mlplugin"):
            build(config)
        drawn = re.findall(r"plot '([^']+)' drawn", caplog.text)
        # the drawing process ended with the build: serve keeps no JavaScript engine
        assert _drawing_processes() == []
        return drawn, (site / "index.html").read_text("utf-8")

    drawn, first = rebuild()
    assert sorted(drawn) == ["answers", "roc"]
    drawn, again = rebuild()
    assert drawn == []
    assert set(_figures(again)) == {"answers", "roc"}
    assert _figures(again).keys() == _figures(first).keys()
    project_repo.write("extra/labels.csv", "label,count\nyes,3\nno,5\nmaybe,1\n")
    drawn, changed = rebuild()
    assert drawn == ["answers"]
    assert "maybe" in _texts(_figures(changed)["answers"])


def _drawing_processes() -> list[int]:
    """The children of this process that draw plots (``python -m mkdocs_mlplugin.vega``)."""
    import os

    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"mkdocs_mlplugin.vega" in command:
            found.append(int(entry.name))
    return found


def test_plain_markdown_draws_a_plot_where_its_block_is(project_repo: Repo) -> None:
    """The Markdown extension (Zensical, plain Python-Markdown) has no template step to wait
    for: the plot is drawn where its block is."""
    import markdown

    from mkdocs_mlplugin.markdown import _CACHE

    _CACHE.clear()
    page = markdown.markdown(
        "# ROC\n\n{ml plots roc}\n",
        extensions=["mkdocs_mlplugin.markdown"],
        extension_configs={"mkdocs_mlplugin.markdown": {"root": str(project_repo.path)}},
    )
    _CACHE.clear()
    figures = _figures(page)
    assert set(figures) == {"roc"}
    assert {"fpr", "tpr"} <= set(_texts(figures["roc"]))
    assert "<!--ml-plot" not in page


def test_a_plot_vega_cannot_draw_is_a_finding_at_its_block(project_repo: Repo) -> None:
    """A custom template (.dvc/plots, read through the guards) that asks for a URL: Vega may
    fetch nothing, so the drawing fails in the background; the finding names the block's line,
    the page shows a marker, the other plot on the page is drawn."""
    template = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": "<DVC_METRIC_DATA>"},
        "layer": [
            {
                "data": {"url": "http://127.0.0.1:9/elsewhere.csv"},
                "mark": "point",
                "encoding": {"x": {"field": "a", "type": "quantitative"}},
            }
        ],
    }
    project_repo.write(".dvc/plots/fetching.json", json.dumps(template))
    with open(project_repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - fetched:\n      template: fetching\n      x: fpr\n")
        fh.write("      y:\n        eval/roc.json: tpr\n")
    project_repo.site({"index.md": "# Two\n\n{ml plots roc}\n\n{ml plots fetched}\n"})
    build = project_repo.build()
    assert not build.ok
    assert re.search(
        r"index\.md:5: '\{ml plots fetched\}': plot 'fetched': .*url not allowed", build.output
    ), build.output
    assert "[invalid_project_file]" in build.output
    # as a warning, the site is built: a marker where the plot would be, the other one drawn
    project_repo.site(
        {"index.md": "# Two\n\n{ml plots roc}\n\n{ml plots fetched}\n"},
        plugin={"checks": {"invalid_project_file": "warn"}},
    )
    build = project_repo.build()
    assert build.ok, build.output
    page = build.page("")
    assert set(_figures(page)) == {"roc"}
    assert "<!--ml-plot" not in page
    marker = page[page.index('data-plot="fetched"') :]
    assert marker.index("ml-missing") < marker.index("</figure>")


def test_a_plot_that_takes_too_long_is_stopped_and_is_a_finding_at_its_block(
    project_repo: Repo,
) -> None:
    """A custom template whose Vega-Lite asks for minutes of work (a loess fit over a
    generated sequence of 100,000 points) with ``plots_timeout: 1``: the drawing is stopped
    after a second, the finding names the block's line, no traceback; the plot after it on the
    page is drawn (by a drawing process started again)."""
    import time

    template = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": "<DVC_METRIC_DATA>"},
        "layer": [
            {"mark": "point", "encoding": {"x": {"field": "fpr", "type": "quantitative"}}},
            {
                "data": {"sequence": {"start": 0, "stop": 100000, "as": "a"}},
                "transform": [
                    {"calculate": "datum.a % 7", "as": "b"},
                    {"loess": "b", "on": "a", "bandwidth": 1},
                    {"aggregate": [{"op": "count", "as": "n"}]},
                ],
                "mark": "text",
                "encoding": {"text": {"field": "n"}},
            },
        ],
    }
    project_repo.write(".dvc/plots/slow.json", json.dumps(template))
    with open(project_repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - slow:\n      template: slow\n      x: fpr\n")
        fh.write("      y:\n        eval/roc.json: tpr\n")
    page = {"index.md": "# Two\n\n{ml plots slow}\n\n{ml plots roc}\n"}
    project_repo.site(page, plugin={"plots_timeout": 1})
    started = time.monotonic()
    build = project_repo.build()
    took = time.monotonic() - started
    assert not build.ok
    assert "Traceback" not in build.output
    assert (
        "index.md:3: '{ml plots slow}': plot 'slow': drawing it took longer than 1 s "
        "(the plots_timeout option) and was stopped [invalid_project_file]"
    ) in build.output, build.output
    assert took < 90, took  # undisturbed, the drawing takes minutes
    project_repo.site(page, plugin={"plots_timeout": 1, "checks": {"invalid_project_file": "warn"}})
    build = project_repo.build()
    assert build.ok, build.output
    built = build.page("")
    assert set(_figures(built)) == {"roc"}
    marker = built[built.index('data-plot="slow"') :]
    assert marker.index("ml-missing") < marker.index("</figure>")
    assert "took longer than 1 s" in marker[: marker.index("</figure>")]


def test_plots_timeout_must_be_seconds_above_zero(project_repo: Repo) -> None:
    for wrong in (0, -1, "soon", True):
        project_repo.site({"index.md": "{ml plots roc}\n"}, plugin={"plots_timeout": wrong})
        build = project_repo.build()
        assert not build.ok
        assert "plots_timeout" in build.output
        assert "expected a number of seconds above 0" in build.output, build.output


def test_versions_compare_a_plot_across_revisions_as_dvc_plots_diff(project_repo: Repo) -> None:
    """``{ml plots NAME versions=A,B}``: each revision's data in one plot, the datapoints and
    filled template of ``dvc plots diff A B --json``; in the page, a legend entry per revision."""
    from mkdocs_mlplugin.facts.plots import read_at

    with open(project_repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - answers:\n      template: bar_horizontal\n      x: count\n")
        fh.write("      y:\n        extra/labels.csv: label\n")
    project_repo.write("extra/labels.csv", "label,count\nyes,3\nno,4\n")
    first = project_repo.commit("Answers, first count", date="2024-02-02T10:00:00+00:00")
    project_repo.git("tag", "v1")
    project_repo.write("extra/labels.csv", "label,count\nyes,5\nno,2\nmaybe,1\n")
    second = project_repo.commit("Answers, second count", date="2024-02-03T10:00:00+00:00")
    project_repo.git("tag", "v2")

    theirs = json.loads(project_repo.dvc("plots", "diff", "v1", "v2", "--json"))["data"]
    project = load_project(project_repo.path)
    (plot,) = [p for p in plots(project) if p.name == "answers"]

    def blobs(specs: list[str]) -> dict[str, bytes | None]:
        return {
            s: project_repo.run("git", "cat-file", "blob", s).stdout.encode("utf-8") for s in specs
        }

    revisions = {
        rev: read_at(project, plot, commit, "", blobs).data
        for rev, commit in (("v1", first), ("v2", second))
    }
    ours = draw.spec(plot.name, plot.inner, plot.props, revisions, ("bar_horizontal", None))
    (rendered,) = theirs["answers"]
    assert json.loads(json.dumps(ours)) == rendered["content"]
    assert rendered["revisions"] == ["v1", "v2"]

    project_repo.site({"index.md": "{ml plots answers versions=v1,v2}\n"})
    build = project_repo.build()
    assert build.ok, build.output
    (svg,) = _figures(build.page("")).values()
    assert {"v1", "v2", "yes", "no", "maybe"} <= set(_texts(svg))
    assert len([r for g in _marks(svg, "rect") for r in g]) == 5  # 2 bars at v1, 3 at v2


def test_versions_naming_nothing_is_a_finding(project_repo: Repo) -> None:
    project_repo.site({"index.md": "{ml plots roc versions=v9.9.9,workspace}\n"})
    build = project_repo.build()
    assert not build.ok
    assert "'v9.9.9' is neither a registered version" in build.output


def test_versions_draw_each_revision_with_its_own_definition_as_dvc_plots_diff(
    project_repo: Repo,
) -> None:
    """The plot 'curve' is not declared at 'before', is linear over acc at v1, a scatter over
    loss at v2, and reads another file at HEAD. ``{ml plots curve versions=...}`` reads the
    definition each revision declares, as ``dvc plots diff`` does: the first revision's
    properties win, each revision's data comes from the files its own definition names, and
    a revision that does not declare the plot is left out (with a note and a finding here).
    Each drawing is the one of DVC's own Vega-Lite specification (``--json``)."""
    repo = project_repo
    repo.git("tag", "before")
    rows = '[{"step": 0, "acc": 0.5, "loss": 0.9}, {"step": 1, "acc": 0.7, "loss": 0.4}]'
    repo.write("extra/a.json", rows)
    curve = "  - curve:\n      template: {template}\n      x: step\n      y:\n        {y}\n"
    plain = repo.read("dvc.yaml")
    repo.write("dvc.yaml", plain + curve.format(template="linear", y="extra/a.json: acc"))
    repo.commit("Curve over accuracy", date="2024-02-02T10:00:00+00:00")
    repo.git("tag", "v1")
    repo.write("extra/a.json", rows.replace("0.7", "0.8").replace("0.4", "0.3"))
    repo.write("dvc.yaml", plain + curve.format(template="scatter", y="extra/a.json: loss"))
    repo.commit("Curve over loss, as points", date="2024-02-03T10:00:00+00:00")
    repo.git("tag", "v2")
    repo.write("extra/b.json", rows)
    repo.write("dvc.yaml", plain + curve.format(template="smooth", y="extra/b.json: acc"))
    repo.commit("Curve from another file", date="2024-02-04T10:00:00+00:00")

    cases = {"v1,v2": ["v1", "v2"], "v2,v1": ["v2", "v1"], "before,v2": ["v2"], "v2,HEAD": ["v2"]}
    pages = {f"{i}.md": f"{{ml plots curve versions={v}}}\n" for i, v in enumerate(cases)}
    repo.site(pages)
    build = repo.build()
    assert build.ok, build.output
    from mkdocs_mlplugin.vega import Painter

    painter = Painter()
    try:
        for i, (versions, drawn) in enumerate(cases.items()):
            said = json.loads(repo.dvc("plots", "diff", *versions.split(","), "--json"))
            (theirs,) = said["data"]["curve"]
            assert theirs["revisions"] == drawn, versions
            page = build.page(str(i))
            (svg,) = re.findall(r'data-plot="curve">\n?(<svg.*?</svg>)', page, re.S)
            # the SVG is DVC's specification drawn: its ids are named by the specification's
            # hash, and it is the same drawing (vl-convert numbers clip paths per process)
            content = theirs["content"]
            ids = draw.ids_for(draw.key(content))
            assert f'id="{ids}-' in svg, versions
            expected = draw.clean(painter.draw(draw.static(content)), ids)
            unnumbered = [re.sub(r"clip\d+", "clip", s) for s in (svg, expected)]
            assert unnumbered[0] == unnumbered[1], versions
    finally:
        painter.close()
    # v1's definition (linear, acc) drew both revisions; v2's (points, loss) when it is first
    assert "acc" in _texts(_figures(build.page("0"))["curve"])
    assert "loss" in _texts(_figures(build.page("1"))["curve"])
    assert re.search(
        r"2\.md:1: '\{ml plots curve versions=before,v2\}': plot 'curve' leaves out before: "
        r"the plot is not declared there.*\[missing_value\]",
        build.output,
    ), build.output
