"""``mkdocs serve``: a ``dvc repro``-like change to params, or a commit, shows on the next reload."""

from __future__ import annotations

import contextlib
import html
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from conftest import Repo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return html.unescape(re.sub(r"<[^>]+>", "", response.read().decode("utf-8")))
    except OSError:
        return None


def wait_for(url: str, wanted: str, seconds: float = 150) -> str:
    deadline = time.monotonic() + seconds
    text = None
    while time.monotonic() < deadline:
        text = fetch(url)
        if text is not None and wanted in text:
            return text
        time.sleep(0.5)
    raise AssertionError(
        f"{wanted!r} did not appear at {url} within {seconds} s; last page:\n{text}"
    )


@pytest.fixture
def served(pipeline: Repo) -> Iterator[tuple[Repo, str]]:
    # a changed param makes its stage stale: a warning here, so the rebuild publishes the page
    pipeline.site(
        {"index.md": "# Home\n\nlr {ml param train.lr}; built from {ml git short}.\n"},
        plugin={"checks": {"stale_pipeline": "warn"}},
    )
    pipeline.commit("Docs")
    with serving(pipeline) as url:
        yield pipeline, url


@contextlib.contextmanager
def serving(repo: Repo) -> Iterator[str]:
    """``mkdocs serve`` of REPO's site, running while the block runs: its URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=repo.path,
        env=repo.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_changed_param_and_a_new_commit_show_on_the_next_reload(served: tuple[Repo, str]) -> None:
    repo, url = served
    head = repo.git("rev-parse", "--short=7", "HEAD")
    wait_for(url, f"lr 0.05; built from {head}.")
    repo.write("params.yaml", repo.read("params.yaml").replace("lr: 0.05", "lr: 0.07"))
    wait_for(url, "lr 0.07;")
    new_head = repo.commit("Tune the learning rate")[:7]
    wait_for(url, f"built from {new_head}.")


def fetch_html(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return str(response.read().decode("utf-8"))
    except OSError:
        return None


def test_serve_shows_errors_on_their_pages_and_keeps_serving(pipeline: Repo) -> None:
    """Under ``mkdocs serve`` an error does not stop the preview: the page it is about shows it
    at its top (findings about no page show on the home page), the server keeps rebuilding,
    and the admonition goes once the user fixes the page; ``mkdocs build`` still fails."""
    home_page = "# Home\n\nlr {ml param train.lr}.\n"
    good_page = "# Model\n\nepochs {ml param train.epochs}.\n"
    pipeline.site({"index.md": home_page, "model.md": good_page.replace("epochs}", "epohcs}")})
    pipeline.commit("Docs")
    build = pipeline.build()
    assert not build.ok
    assert "docs/model.md:3" in build.output
    assert "the site was not built" in build.output
    with serving(pipeline) as url:
        page = wait_for(url + "model/", "mkdocs build fails until they are fixed")
        assert "docs/model.md:3" in page and "[missing_reference]" in page
        raw = fetch_html(url + "model/") or ""
        assert '<div class="admonition failure ml-findings">' in raw
        home = wait_for(url, "lr 0.05.")
        assert "ml-findings" not in (fetch_html(url) or ""), home
        # the user fixes the page: the next rebuild serves it without the admonition
        pipeline.write("docs/model.md", good_page)
        wait_for(url + "model/", "epochs 3.")
        assert "ml-findings" not in (fetch_html(url + "model/") or "")
        # a finding about no page (a stale stage of dvc.yaml) shows on the home page
        pipeline.write("params.yaml", pipeline.read("params.yaml").replace("lr: 0.05", "lr: 0.07"))
        home = wait_for(url, "stage 'train' is stale")
        assert "dvc.yaml:" in home and "[stale_pipeline]" in home
        assert "ml-findings" not in (fetch_html(url + "model/") or "")
    assert not pipeline.build().ok
