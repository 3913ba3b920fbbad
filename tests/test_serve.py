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
from pathlib import Path

import pytest
from conftest import ROOT, Repo, init_repo
from test_drift import CARD, retrain


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
def serving(repo: Repo, *options: str, console: Path | None = None) -> Iterator[str]:
    """``mkdocs serve [OPTIONS]`` of REPO's site, running while the block runs: its URL. Its
    console output goes to CONSOLE when given."""
    port = free_port()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(console.open("wb")) if console else subprocess.DEVNULL
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}", *options],
            cwd=repo.path,
            env=repo.env,
            stdout=out,
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


def test_a_stale_card_names_itself_and_clears_when_saved(pipeline: Repo, tmp_path: Path) -> None:
    """The preview shows a stale card's finding on the card, naming the page to edit; saving
    the reviewed card clears it before any commit, while the console said the same."""
    pipeline.site({"index.md": "# Home\n", "card.md": CARD})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    retrained = retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    console = tmp_path / "console.txt"
    with serving(pipeline, console=console) as url:
        page = wait_for(url + "card/", "[stale_doc]")
        assert f"which changed in commit {retrained[:7]}" in page
        assert "Review docs/card.md against the new version and edit it" in page
        assert "mkdocs serve shows it before you commit" in page
        pipeline.write("docs/card.md", CARD + "\nReviewed after the retrain.\n")
        wait_for(url + "card/", "Reviewed after the retrain.")
        assert "ml-findings" not in (fetch_html(url + "card/") or "")
    assert "docs/card.md:2: the page documents artifact 'classifier'" in console.read_text()
    assert pipeline.build("--strict").ok, "the saved edit clears the finding in a build too"


def test_serve_strict_stops_at_a_finding_as_mkdocs_does(pipeline: Repo, tmp_path: Path) -> None:
    """``mkdocs serve --strict`` keeps MkDocs' meaning: an error, ours as any other, aborts the
    rebuild and the console says why; the preview resumes with the fix."""
    page = "# Model\n\nepochs {ml param train.epochs}.\n"
    pipeline.site({"index.md": "# Home\n", "model.md": page})
    pipeline.commit("Docs")
    console = tmp_path / "console.txt"
    with serving(pipeline, "--strict", console=console) as url:
        wait_for(url + "model/", "epochs 3.")
        pipeline.write("docs/model.md", page.replace("epochs}", "epohcs}"))
        deadline = time.monotonic() + 60
        while "Aborted with 1 errors in strict mode!" not in console.read_text():
            assert time.monotonic() < deadline, console.read_text()
            time.sleep(0.5)
        assert "docs/model.md:3: '{ml param train.epohcs}'" in console.read_text()
        pipeline.write("docs/model.md", page.replace("# Model", "# Model 2"))
        wait_for(url + "model/", "Model 2")
        assert "ml-findings" not in (fetch_html(url + "model/") or "")


def test_serve_dirty_shows_the_edited_pages_findings(pipeline: Repo, tmp_path: Path) -> None:
    """``mkdocs serve --dirty`` rebuilds only the pages whose source changed (MkDocs' rule): the
    edited page shows its finding, and the console lists it."""
    page = "# Model\n\nepochs {ml param train.epochs}.\n"
    pipeline.site({"index.md": "# Home\n\nlr {ml param train.lr}.\n", "model.md": page})
    pipeline.commit("Docs")
    console = tmp_path / "console.txt"
    with serving(pipeline, "--dirty", console=console) as url:
        wait_for(url + "model/", "epochs 3.")
        pipeline.write("docs/model.md", page.replace("epochs}", "epohcs}"))
        shown = wait_for(url + "model/", "[missing_reference]")
        assert "docs/model.md:3" in shown
        assert "ml-findings" not in (fetch_html(url) or ""), "the home page has no finding"
        pipeline.write("docs/model.md", page)
        wait_for(url + "model/", "epochs 3.")
        assert "ml-findings" not in (fetch_html(url + "model/") or "")
    assert "docs/model.md:3: " in console.read_text()


def test_serve_on_the_example_answers_a_params_edit_with_the_finding_and_its_advice(
    tmp_path: Path,
) -> None:
    """A fresh clone of the example (no DVC cache, no data pulled), served as a user would; a
    param the train stage uses is edited: the preview answers at once with the finding and its
    complete advice (pull the inputs first, then reproduce), while a strict build fails."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    repo = init_repo(clone, tmp_path)
    with serving(repo, "-f", "example_site/mkdocs.yml") as url:
        wait_for(url + "model-card/", "Model card: text-classifier")
        params = repo.read("example_site/params.yaml")
        assert "  lr: 0.1\n" in params
        repo.write("example_site/params.yaml", params.replace("  lr: 0.1\n", "  lr: 0.2\n"))
        started = time.monotonic()
        home = wait_for(url, "[stale_pipeline]", 60)
        took = time.monotonic() - started
        assert "stage 'train' is stale" in home
        assert "dvc pull" in home and "dvc repro train" in home
        assert home.index("dvc pull") < home.index("dvc repro train")
        with urllib.request.urlopen(url + "model-card/", timeout=5) as response:  # noqa: S310
            assert response.status == 200
        print(f"the preview showed the finding {took:.1f} s after the edit")
    strict = repo.build("--strict", config="example_site/mkdocs.yml")
    assert not strict.ok
    assert "stage 'train' is stale" in strict.output
