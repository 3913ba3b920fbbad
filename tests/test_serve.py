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
