"""The Markdown extension: the same references without the MkDocs plugin, under plain Markdown
and under Zensical; ``mkdocs-ml check`` gates what the extension cannot fail."""

from __future__ import annotations

import html
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
import yaml
from conftest import ROOT, Repo, init_repo

from mkdocs_mlplugin.markdown import _CACHE

ZENSICAL = Path(sys.executable).with_name("zensical")


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    _CACHE.clear()


def convert(repo: Repo, source: str) -> str:
    return markdown.markdown(
        source,
        extensions=["mkdocs_mlplugin.markdown", "tables", "pymdownx.superfences"],
        extension_configs={"mkdocs_mlplugin.markdown": {"root": str(repo.path)}},
    )


def test_plain_markdown_resolves_values_and_blocks(pipeline: Repo) -> None:
    lock = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]
    page = convert(
        pipeline,
        "lr {ml param train.lr}, md5 {ml artifact classifier md5}, commit {ml git short}\n\n"
        "{ml provenance classifier}\n\n{ml pipeline}\n\n`{ml param train.lr}` stays code\n",
    )
    text = text_of(page)
    assert (
        f"lr 0.05, md5 {lock['train']['outs'][0]['md5']}, commit {pipeline.git('rev-parse', '--short=7', 'HEAD')}"
        in text
    )
    assert "Produced bytrain" in text
    assert page.count("--&gt;") == 3
    assert "<code>{ml param train.lr}</code>" in page


def test_an_unresolved_reference_is_a_visible_marker_and_a_warning(
    pipeline: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.mlplugin"):
        page = convert(pipeline, "Run {ml stage trian}.\n\nUpdated {ml page updated}.\n")
    assert page.count('class="ml-missing"') == 2
    assert "&#9888;" in page
    messages = [r.getMessage() for r in caplog.records]
    assert any("no stage 'trian'. Did you mean 'train'?" in m for m in messages), messages
    assert any("page facts need the MkDocs plugin" in m for m in messages), messages


def test_facts_are_read_once_and_again_after_a_change(pipeline: Repo) -> None:
    assert "0.05" in text_of(convert(pipeline, "{ml param train.lr}\n"))
    ((plugin, _),) = _CACHE.values()
    assert text_of(convert(pipeline, "{ml param train.lr}\n")).strip() == "0.05"
    assert next(iter(_CACHE.values()))[0] is plugin, "the second page reuses the facts"
    pipeline.write("params.yaml", pipeline.read("params.yaml").replace("lr: 0.05", "lr: 0.5"))
    assert text_of(convert(pipeline, "{ml param train.lr}\n")).strip() == "0.5"


def test_with_the_plugin_on_the_extension_steps_aside(pipeline: Repo) -> None:
    pipeline.site(
        {"index.md": "# Home\n\nlr {ml param train.lr}; written as \\{ml param train.lr}.\n"},
        markdown_extensions=["mkdocs_mlplugin.markdown"],
    )
    pipeline.commit("Docs")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    assert "lr 0.05; written as {ml param train.lr}." in text_of(build.page(""))


def zensical_example(tmp_path: Path) -> Path:
    """A fresh clone of this repository whose example site also lists the extension."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    config = clone / "example_site" / "mkdocs.yml"
    text = config.read_text().replace(
        "markdown_extensions:\n", "markdown_extensions:\n  - mkdocs_mlplugin.markdown\n", 1
    )
    config.write_text(text)
    return clone


def zensical(repo: Repo, site: Path) -> subprocess.CompletedProcess[str]:
    assert ZENSICAL.exists(), "zensical is a test dependency"
    shutil.rmtree(site / "site", ignore_errors=True)
    return repo.run(str(ZENSICAL), "build", "-f", "mkdocs.yml", cwd=site, check=False)


def test_zensical_builds_the_example_with_the_facts(tmp_path: Path) -> None:
    clone = zensical_example(tmp_path)
    repo = init_repo(clone, tmp_path)
    site = clone / "example_site"
    result = zensical(repo, site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lock = yaml.safe_load((site / "dvc.lock").read_text())["stages"]
    card = text_of((site / "site" / "model-card" / "index.html").read_text())
    assert lock["train"]["outs"][0]["md5"] in card
    metrics = yaml.safe_load((site / "metrics.json").read_text())
    assert f"accuracy{metrics['accuracy']}" in card
    assert "ml-missing" not in (site / "site" / "model-card" / "index.html").read_text()
    pipeline_page = (site / "site" / "pipeline" / "index.html").read_text()
    assert pipeline_page.count("--&gt;") == 5
    assert 'class="mermaid"' in pipeline_page


def test_the_same_broken_page_fails_the_check_and_the_mkdocs_build(tmp_path: Path) -> None:
    clone = zensical_example(tmp_path)
    repo = init_repo(clone, tmp_path)
    site = clone / "example_site"
    page = site / "docs" / "pipeline.md"
    page.write_text(page.read_text() + "\nThe {ml stage trian} stage.\n")
    line = page.read_text().splitlines().index("The {ml stage trian} stage.") + 1
    finding = f"docs/pipeline.md:{line}: error: '{{ml stage trian}}': no stage 'trian'. Did you mean 'train'? [missing_reference]"
    check = repo.run(
        str(Path(sys.executable).with_name("mkdocs-ml")),
        "check",
        "-f",
        "mkdocs.yml",
        cwd=site,
        check=False,
    )
    assert check.returncode == 1
    assert finding in check.stdout
    build = repo.build(config="example_site/mkdocs.yml")
    assert not build.ok
    assert f"docs/pipeline.md:{line}: '{{ml stage trian}}': no stage 'trian'." in build.output
    # Zensical cannot be failed from inside: it shows the marker, and the check gates CI
    result = zensical(repo, site)
    assert 'class="ml-missing"' in (site / "site" / "pipeline" / "index.html").read_text()
    assert "no stage 'trian'" in result.stdout + result.stderr


def test_the_check_runs_on_a_zensical_config_without_the_plugin(pipeline: Repo) -> None:
    config = pipeline.site(
        {"index.md": "# Home\n\n{ml stage trian}\n"},
        markdown_extensions=["mkdocs_mlplugin.markdown"],
    )
    config.write_text(config.read_text().replace("plugins:\n- mlplugin: {}\n", "plugins: []\n"))
    assert "mlplugin" not in yaml.safe_load(config.read_text())["plugins"]
    pipeline.commit("Docs")
    check = pipeline.run(
        str(Path(sys.executable).with_name("mkdocs-ml")), "check", "-f", "mkdocs.yml", check=False
    )
    assert check.returncode == 1, check.stdout + check.stderr
    assert "docs/index.md:3: error: '{ml stage trian}': no stage 'trian'." in check.stdout


def test_the_check_refuses_wrong_extension_options_by_name(pipeline: Repo) -> None:
    config = pipeline.site(
        {"index.md": "# Home\n\n{ml param train.lr}\n"},
        markdown_extensions=[{"mkdocs_mlplugin.markdown": {"dvc_root": 5}}],
    )
    config.write_text(config.read_text().replace("plugins:\n- mlplugin: {}\n", "plugins: []\n"))
    pipeline.commit("Docs")
    check = pipeline.run(
        str(Path(sys.executable).with_name("mkdocs-ml")), "check", "-f", "mkdocs.yml", check=False
    )
    assert check.returncode == 2, check.stdout + check.stderr
    assert "markdown extension options: 'dvc_root':" in check.stderr, check.stderr
