"""The README's Quick start, copied literally: its commands run and its files written, as they
stand in README.md, on a fresh git + DVC project, give a site that builds with ``--strict``."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from conftest import ROOT, Repo

BIN = Path(sys.executable).parent


def quick_start(part: str) -> tuple[dict[str, str], list[str]]:
    """The files (fences with a ``title="PATH"``) and the commands (bash fences, one command a
    line) of the Quick start's subsection PART, in the order the README gives them."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = re.search(r"^## Quick start\b.*?(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "the README has a '## Quick start' section"
    sub = re.search(
        rf"^### {re.escape(part)}\n(.*?)(?=^### |\Z)", section.group(0), re.MULTILINE | re.DOTALL
    )
    assert sub, f"the Quick start has a '### {part}' part"
    files: dict[str, str] = {}
    commands: list[str] = []
    for info, body in re.findall(
        r"^```([^\n]*)\n(.*?)^```$", sub.group(1), re.MULTILINE | re.DOTALL
    ):
        title = re.search(r'title="([^"]+)"', info)
        if title:
            files[title.group(1)] = body
        elif info == "bash":
            commands += [line for line in body.splitlines() if line.strip()]
    return files, commands


def run(repo: Repo, command: str) -> str:
    """COMMAND as a user types it in the DVC project, with this environment's tools on PATH."""
    result = repo.run(
        "bash",
        "-c",
        command,
        env={"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def test_quick_start_with_init_builds_strict_as_the_readme_says(pipeline: Repo) -> None:
    files, commands = quick_start("With `mkdocs-ml init`")
    assert not files
    # the preview runs until stopped: the build before it stands for what it would show
    assert commands[-1] == "mkdocs serve", commands
    assert commands[:-1] == ["mkdocs-ml init", "mkdocs-ml init --write", "mkdocs build --strict"]
    before = set(pipeline.path.rglob("*"))

    dry, wrote, built = (run(pipeline, command) for command in commands[:-1])

    assert "would write" in dry
    assert "wrote" in wrote and "would write" not in wrote
    assert not re.search(r"^(WARNING|ERROR)", built, re.MULTILINE), built
    site = pipeline.path / "site"
    assert (site / "models" / "classifier" / "index.html").is_file()
    assert before < set(pipeline.path.rglob("*"))
    commit = pipeline.git("rev-parse", "--short", "HEAD")
    pages = "".join(p.read_text("utf-8") for p in site.rglob("index.html"))
    assert commit in pages


def test_quick_start_by_hand_builds_strict_as_the_readme_says(pipeline: Repo) -> None:
    files, commands = quick_start("By hand")
    assert set(files) == {"mkdocs.yml", "docs/index.md"}
    assert "site_name:" in files["mkdocs.yml"]
    assert commands == ["mkdocs build --strict"]
    for name, text in files.items():
        (pipeline.path / name).parent.mkdir(parents=True, exist_ok=True)
        (pipeline.path / name).write_text(text, "utf-8")

    built = run(pipeline, commands[0])

    assert not re.search(r"^(WARNING|ERROR)", built, re.MULTILINE), built
    page = (pipeline.path / "site" / "index.html").read_text("utf-8")
    assert pipeline.git("rev-parse", "--short", "HEAD") in page
    assert 'class="mermaid"' in page
    for stage in ("prepare", "train", "evaluate"):
        assert stage in page
