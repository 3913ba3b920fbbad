"""Image plots (a plot whose file is a PNG, JPEG or GIF; DVCLive logs one per step): shown on the
page as the images themselves, as ``dvc plots show`` shows them, copied into the site under
the hash of their bytes.

The fixtures are real DVC projects made with the dvc CLI: a stage whose plots outputs are
PNGs kept in git (``cache: false``), one DVC caches, and a directory of step images declared
as DVCLive declares it (``plots: - dvclive/plots/images``); and a project whose images are
hostile (a file name that is HTML, a PNG that is not one, one over the size bound, an SVG).
What the page shows is compared with ``dvc plots show --json`` on the same project, and each
image is loaded in Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
import urllib.request
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo

from mkdocs_mlplugin.facts.plots import IMAGE_MAX_BYTES
from mkdocs_mlplugin.pages.plots import IMAGE_DIR, SHOWN_IMAGES

#: writes real PNGs (no imaging library needed): WIDTH x HEIGHT of one colour
PNG = r"""
import struct, sys, zlib
def png(width, height, colour):
    raw = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))
"""

TRAIN = (
    PNG
    + r"""
import pathlib
shade = int(pathlib.Path("shade.txt").read_text())
out = pathlib.Path("eval"); out.mkdir(exist_ok=True)
(out / "confusion.png").write_bytes(png(40, 30, (shade, 80, 160)))
(out / "cached.png").write_bytes(png(20, 20, (10, shade, 10)))
steps = pathlib.Path("dvclive/plots/images"); steps.mkdir(parents=True, exist_ok=True)
for step in range(25):
    (steps / f"step_{step}.png").write_bytes(png(8 + step, 8, (step * 10, shade, 0)))
"""
)

STEPS = """
plots:
  - dvclive/plots/images
"""


def make_image_project(repo: Repo) -> None:
    repo.dvc("init", "-q")
    repo.write("src/train.py", TRAIN)
    repo.write("shade.txt", "40\n")
    outs = "--plots-no-cache eval/confusion.png --plots eval/cached.png --outs-no-cache dvclive"
    deps = "-d src/train.py -d shade.txt"
    repo.dvc("stage", "add", "-q", "-n", "train", *deps.split(), *outs.split(),
             f"{sys.executable} src/train.py")  # fmt: skip
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(STEPS)
    repo.dvc("repro", "-q")
    repo.site(
        {
            "index.md": "# Plots\n\n{ml plots}\n",
            "models/card.md": "# Card\n\n{ml plots eval/confusion.png versions=v1,HEAD}\n",
        }
    )
    repo.commit("Train", date="2024-02-01T10:00:00+00:00")
    repo.git("tag", "v1")
    repo.write("shade.txt", "200\n")
    repo.dvc("repro", "-q")
    repo.commit("Train brighter", date="2024-02-02T10:00:00+00:00")


@pytest.fixture
def image_repo(empty_repo: Repo) -> Repo:
    make_image_project(empty_repo)
    return empty_repo


def images(page: str) -> list[dict[str, str]]:
    """Each <img> of the page's article: its attributes, unescaped, and its caption."""
    article = page.split("<article", 1)[1]
    found = []
    for match in re.finditer(
        r"<figure[^>]*>(<img [^>]*>)(?:<figcaption>(.*?)</figcaption>)?", article
    ):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        found.append({k: unescape(v) for k, v in attributes.items()})
        found[-1]["caption"] = unescape(match.group(2) or "")
    return found


def written(site: Path, page_dir: str, src: str) -> bytes:
    return (site / page_dir / src).resolve().read_bytes()


def test_image_plots_are_shown_as_dvc_shows_them(image_repo: Repo, browser: Any) -> None:
    repo = image_repo
    shown = json.loads(repo.dvc("plots", "show", "--json"))
    dvc_images = [
        plot_id
        for plot_id, entries in shown["data"].items()
        if all(entry.get("type") == "image" for entry in entries)
    ]
    steps = [f"dvclive/plots/images/step_{i}.png" for i in range(25)]
    assert set(dvc_images) == {"eval/confusion.png", "eval/cached.png", *steps}

    # what another plugin reading page.markdown after conversion sees (RSS feeds do)
    repo.write(
        "hooks.py",
        """
        import pathlib

        def on_post_page(output, page, config):
            if page.file.src_uri == "models/card.md":
                pathlib.Path(config.config_file_path).with_name("seen.md").write_text(page.markdown)
        """,
    )
    config = repo.read("mkdocs.yml") + "hooks: [hooks.py]\n"
    repo.write("mkdocs.yml", config)
    build = repo.build("--strict")
    assert build.ok, build.output
    assert "WARNING" not in build.output
    seen = images(repo.read("seen.md").replace("<figure", "<article><figure", 1))
    assert [written(build.site, "models/card", i["src"]) for i in seen] == [
        _blob(repo, rev, "eval/confusion.png") for rev in ("v1", "HEAD")
    ]
    page = build.page("")
    found = images(page)
    # every image DVC shows, in its order, but the directory's oldest steps past the bound
    newest = steps[-SHOWN_IMAGES:]
    left_out = set(steps) - set(newest)
    singles = [i["alt"] for i in found if i["alt"] not in steps]
    assert singles == [p for p in dvc_images if p not in steps]
    in_dvc_order = [p for p in dvc_images if p not in left_out and p in steps]
    assert sorted(i["alt"] for i in found if i["alt"] in steps) == sorted(in_dvc_order)
    assert [i["alt"] for i in found if i["alt"] in steps] == newest  # by step, not by text
    grid = [i for i in found if i["alt"] in steps]
    assert [i["caption"] for i in grid] == [p.rsplit("/", 1)[1] for p in newest]
    left = len(steps) - SHOWN_IMAGES
    assert (
        f"plot 'dvclive/plots/images': {left} more images in dvclive/plots/images are "
        f"not shown (the {SHOWN_IMAGES} last by name are)."
    ) in unescape(page)
    for image in found:
        assert image["loading"] == "lazy"
        assert "max-width: 100%" in image["style"]
        assert re.fullmatch(rf"{IMAGE_DIR}/[0-9a-f]{{64}}\.png", image["src"]), image["src"]
        # the bytes git has ('cache: false'), or the work tree's for the one DVC caches
        kept = (repo.path / image["alt"]).read_bytes()
        if image["alt"] != "eval/cached.png":
            assert _blob(repo, "HEAD", image["alt"]) == kept
        assert written(build.site, "", image["src"]) == kept

    # versions=: each revision's image side by side, the bytes git has at each
    card = images(build.page("models/card"))
    assert [i["caption"] for i in card] == ["v1", "HEAD"]
    for image, rev in zip(card, ("v1", "HEAD"), strict=True):
        assert written(build.site, "models/card", image["src"]) == _blob(
            repo, rev, "eval/confusion.png"
        )
    assert card[0]["src"] != card[1]["src"]  # the shade changed

    # the manifest lists the image plots' sources as it lists data plots'
    (project,) = build.manifest()["projects"]
    record = {p["name"]: p for p in project["plots"]}
    assert set(record) == set(dvc_images)
    assert record["eval/cached.png"]["sources"][0]["cache"] is True
    assert record["eval/confusion.png"]["sources"][0]["cache"] is False
    assert record["eval/confusion.png"]["template"] is None

    from browser_support import SiteServer, Tab

    with SiteServer(build.site) as server:
        for path, count in (("", 2 + SHOWN_IMAGES), ("models/card/", 2)):
            tab = Tab(browser.new_context(), server.url)
            tab.open(path)
            loaded = tab.page.evaluate(
                """async () => {
                    const out = [];
                    for (const img of document.querySelectorAll("article img")) {
                        img.scrollIntoView();
                        try { await img.decode(); } catch (e) {}
                        out.push([img.alt, img.naturalWidth]);
                    }
                    return out;
                }"""
            )
            assert len(loaded) == count
            assert all(width > 0 for _, width in loaded), loaded
            tab.assert_clean()
            tab.close()


def _blob(repo: Repo, rev: str, path: str) -> bytes:
    import subprocess

    return subprocess.run(
        ["git", "cat-file", "blob", f"{rev}:{path}"],
        cwd=repo.path,
        capture_output=True,
        check=True,
    ).stdout


def test_an_image_dvc_caches_and_nobody_pulled_is_a_marker(image_repo: Repo) -> None:
    clone = repo_clone(image_repo)
    unpulled = json.loads(
        clone.run(sys.executable, "-m", "dvc", "plots", "show", "--json", check=False).stdout
    )
    assert any("eval/cached.png" in json.dumps(e) for e in unpulled.get("errors", [])), unpulled
    build = clone.build()
    assert build.ok, build.output
    assert (
        "index.md:3: '{ml plots}': plot 'eval/cached.png': eval/cached.png is not in the "
        "workspace: it is DVC-tracked (an output of stage 'train', its hash recorded in "
        "dvc.lock) and not pulled: run 'dvc pull' before the build, or track it in git with "
        "'cache: false'. [missing_value]"
    ) in build.output
    page = build.page("")
    assert "ml-missing" in page
    alts = [i["alt"] for i in images(page)]
    assert "eval/cached.png" not in alts and alts[0] == "eval/confusion.png"
    assert not clone.build("--strict").ok


def _tags(html: str) -> list[tuple[str, list[str]]]:
    """Every start tag of HTML with its attributes' names, as an HTML parser reads them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[str]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Tags().feed(html)
    return found


def repo_clone(repo: Repo) -> Repo:
    target = repo.home / "clone"
    repo.run("git", "clone", "-q", str(repo.path), str(target))
    return Repo(target, repo.home)


HOSTILE = (
    PNG
    + r"""
import pathlib
out = pathlib.Path("eval/samples"); out.mkdir(parents=True, exist_ok=True)
(out / '"><img src=x onerror=alert(1)>.png').write_bytes(png(12, 12, (200, 0, 0)))
(out / "fake.png").write_bytes(b"GIF89a not a png at all")
(out / "huge.png").write_bytes(png(4, 4, (0, 0, 0)) + b"\0" * int(sys.argv[1]))
(out / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
"""
)


def test_hostile_images_are_findings_never_markup(empty_repo: Repo) -> None:
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("src/samples.py", HOSTILE)
    command = f"{sys.executable} src/samples.py {IMAGE_MAX_BYTES}"
    repo.dvc("stage", "add", "-q", "-n", "samples", "-d", "src/samples.py", "--outs-no-cache",
             "eval/samples", command)  # fmt: skip
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("plots:\n  - eval/samples\n")
    repo.dvc("repro", "-q")
    checks = {"invalid_project_file": "warn"}  # so the page is written, and shown here
    repo.site({"index.md": "# Samples\n\n{ml plots}\n"}, plugin={"checks": checks})
    repo.commit("Samples", date="2024-02-01T10:00:00+00:00")
    shown = json.loads(repo.dvc("plots", "show", "--json"))
    hostile = 'eval/samples/"><img src=x onerror=alert(1)>.png'
    assert hostile in shown["data"]

    build = repo.build()
    assert build.ok, build.output
    out = build.output
    assert (
        "plot 'eval/samples': eval/samples/fake.png is not a PNG image (its first bytes are not "
        "a PNG file's): it is not shown. [invalid_project_file]"
    ) in out
    size = (repo.path / "eval/samples/huge.png").stat().st_size
    assert size > IMAGE_MAX_BYTES
    assert (
        f"plot 'eval/samples': eval/samples/huge.png is {size} bytes, over the "
        f"{IMAGE_MAX_BYTES} bytes an image plot may have: it is not copied into the site. "
        "[missing_value]"
    ) in out
    assert "eval/samples/drawing.svg is an SVG image: SVG images from the repository are not" in out
    page = build.page("")
    article = page.split("<article", 1)[1].split("</article>", 1)[0]
    # as a browser's parser reads it: one <img>, its name only in attribute values and text
    tags = _tags(article)
    assert not [t for t in tags if t[0] == "script" or any(a.startswith("on") for a in t[1])]
    assert [t for t in tags if t[0] == "img"] == [("img", ["src", "alt", "loading", "style"])]
    found = images(page)
    assert [i["alt"] for i in found] == [hostile]
    assert found[0]["caption"] == '"><img src=x onerror=alert(1)>.png'
    assert written(build.site, "", found[0]["src"]) == (repo.path / hostile).read_bytes()
    assert article.count("ml-missing") == 3  # fake, huge, the SVG: each a marker in its place
    copied = [p.relative_to(build.site).as_posix() for p in build.site.rglob("*") if p.is_file()]
    assert not [p for p in copied if "onerror" in p or p.endswith(".svg")], copied
    assert [p for p in copied if p.startswith(IMAGE_DIR)] == [found[0]["src"]]
    shutil.rmtree(build.site)
    # mkdocs-ml check, which writes no site, finds the same
    from test_cli import build_findings, check_findings, ml

    checked = ml(repo, "check", "-f", "mkdocs.yml")
    assert check_findings(checked.stdout + checked.stderr) == build_findings(out)
    assert len(build_findings(out)) == 3


def test_serve_serves_the_images_and_the_new_one_after_a_repro(image_repo: Repo) -> None:
    from test_serve import fetch_html, serving

    repo = image_repo

    def served(url: str, wanted: bytes) -> None:
        deadline = time.monotonic() + 150
        seen: list[str] = []
        while time.monotonic() < deadline:
            page = fetch_html(url) or ""
            found = [i for i in images(page) if i["alt"] == "eval/confusion.png"] if page else []
            if found:
                with urllib.request.urlopen(url + found[0]["src"], timeout=5) as response:  # noqa: S310 - loopback
                    if response.read() == wanted:
                        return
                seen.append(found[0]["src"])
            time.sleep(0.5)
        raise AssertionError(f"the image at {url} never had the work tree's bytes: {seen[-3:]}")

    with serving(repo) as url:
        served(url, (repo.path / "eval/confusion.png").read_bytes())
        repo.write("shade.txt", "90\n")
        repo.dvc("repro", "-q")
        served(url, (repo.path / "eval/confusion.png").read_bytes())


def test_the_markdown_extension_says_where_the_image_is_shown(image_repo: Repo) -> None:
    from test_markdown_extension import convert

    page = convert(image_repo, "{ml plots eval/confusion.png}\n")
    assert "<img" not in page
    assert "Image plot eval/confusion.png: shown on the site the MkDocs plugin builds." in unescape(
        page
    )
