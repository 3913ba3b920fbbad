"""Load: 100 consecutive serve-style rebuilds while dvc.lock and params change between them.

Each rebuild loads the config afresh and builds in the same process, as ``mkdocs serve`` does;
every page must show the files as they are at that rebuild, and memory must not grow.
"""

from __future__ import annotations

import gc
import html
import os
import re
import resource
import time
from pathlib import Path
from typing import Any

from conftest import Repo
from mkdocs.commands.build import build
from mkdocs.config import load_config

REBUILDS = 100
PAGE = "# Home\n\nlr={ml param train.lr} md5={ml out models/model.txt md5}\n"


def rss_kib() -> int:
    """The current resident set size, from /proc (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_every_rebuild_shows_the_current_files_and_memory_stays_flat(
    pipeline: Repo, monkeypatch
) -> None:
    pipeline.site(
        {"index.md": PAGE}, plugin={"checks": {"stale_pipeline": "ignore", "stale_doc": "ignore"}}
    )
    pipeline.commit("Docs")
    monkeypatch.chdir(pipeline.path)
    lock = pipeline.read("dvc.lock")
    md5 = re.search(r"path: models/model.txt\n\s+hash: md5\n\s+md5: (\w+)", lock)
    assert md5, lock
    params = pipeline.read("params.yaml")
    site = pipeline.home / "serve-site"
    samples: dict[int, int] = {}
    for i in range(REBUILDS):
        new_md5 = f"ab{i:030x}"  # starts with letters: YAML reads it as a string
        pipeline.write("dvc.lock", lock.replace(md5.group(1), new_md5))
        pipeline.write("params.yaml", params.replace("lr: 0.05", f"lr: {i / 1000}"))
        config = load_config(str(pipeline.path / "mkdocs.yml"), site_dir=str(site))
        build(config)
        text = html.unescape(re.sub(r"<[^>]+>", "", (site / "index.html").read_text()))
        assert f"lr={i / 1000} md5={new_md5}" in text, f"rebuild {i} shows stale facts"
        if i in (19, REBUILDS - 1):
            gc.collect()
            samples[i] = rss_kib()
    growth = samples[REBUILDS - 1] - samples[19]
    print(f"RSS after 20 rebuilds {samples[19]} KiB, after {REBUILDS}: {samples[REBUILDS - 1]} KiB")
    assert growth < 30 * 1024, f"memory grew by {growth} KiB over {REBUILDS - 20} rebuilds"


def _text(path: Path) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", path.read_text("utf-8"))).split())


def test_a_rebuild_reuses_what_did_not_change_and_reads_again_what_did(
    pipeline: Repo, monkeypatch
) -> None:
    pipeline.site(
        {
            "index.md": "# Home\n\nlr={ml param train.lr} updated={ml page updated} "
            "version={ml artifact classifier version}\n\n{ml pipeline}\n",
            "about.md": "---\nml:\n  stage: train\n---\n# About\n",
        },
        plugin={"checks": {"stale_pipeline": "ignore", "stale_doc": "ignore"}},
    )
    pipeline.commit("Docs", date="2024-03-01T10:00:00+00:00")
    pipeline.git("tag", "-a", "classifier@v1.0.0", "-m", "Registering artifact classifier v1.0.0")
    monkeypatch.chdir(pipeline.path)
    site = pipeline.home / "serve-site"
    a_minute_ago = time.time() - 60

    def age(*names: str) -> None:
        """As if written a minute ago: older than the two seconds in which a second write
        could keep the same modification time, so size and time are trusted."""
        for name in names:
            os.utime(pipeline.path / name, (a_minute_ago, a_minute_ago))

    def rebuild() -> tuple[Any, str]:
        config = load_config(str(pipeline.path / "mkdocs.yml"), site_dir=str(site))
        build(config)
        return config.plugins["mlplugin"], _text(site / "index.html")

    age(*(str(p.relative_to(pipeline.path)) for p in pipeline.path.rglob("*") if p.is_file()))
    first, text = rebuild()
    project, git_runs, tags = first.session.project, first.build.repo.calls, first.session.registry
    assert "lr=0.05 updated=2024-03-01 version=v1.0.0" in text
    assert "Documented: train" in text

    # nothing changed: the same plugin object (as in mkdocs serve) reuses the project, and git
    # is not asked for the history again
    second, text = rebuild()
    assert second is first
    assert second.session.project is project
    assert second.session.registry is tags
    assert second.build.repo.calls < git_runs, (
        "the history was read again although HEAD is the same"
    )
    assert "lr=0.05 updated=2024-03-01" in text

    # a param changed (an older time than the first read, so only the size gives it away)
    pipeline.write("params.yaml", pipeline.read("params.yaml").replace("lr: 0.05", "lr: 0.125"))
    age("params.yaml")
    third, text = rebuild()
    assert third.session.project is not project
    assert "lr=0.125" in text

    # a page now documents another stage: the diagram's links follow
    pipeline.write("docs/about.md", "---\nml:\n  stage: evaluate\n---\n# About\n")
    age("docs/about.md")
    _, text = rebuild()
    assert "Documented: evaluate" in text and "Documented: train" not in text

    # a new version registered: the registry is read again
    pipeline.git("tag", "-a", "classifier@v1.1.0", "-m", "Registering artifact classifier v1.1.0")
    _, text = rebuild()
    assert "version=v1.1.0" in text

    # a commit: the page dates come from the new history
    pipeline.write("docs/index.md", pipeline.read("docs/index.md") + "\nEdited.\n")
    pipeline.commit("Docs again", date="2024-04-02T10:00:00+00:00")
    _, text = rebuild()
    assert "updated=2024-04-02" in text
