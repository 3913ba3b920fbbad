"""Load: 100 consecutive serve-style rebuilds while dvc.lock and params change between them.

Each rebuild loads the config afresh and builds in the same process, as ``mkdocs serve`` does;
every page must show the files as they are at that rebuild, and memory must not grow.
"""

from __future__ import annotations

import gc
import html
import re
import resource
from pathlib import Path

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
