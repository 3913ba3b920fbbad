"""serve: ``mkdocs serve``-style rebuild: build, edit one page, load_config + build again; the
second build's time, plain vs plugin.

Its child (``run.py --_child serve``), the page it edits and the edit also serve the
serve-work section, and the edit and the page the paired section's serve-style rebuilds.

JUDGES: the serve rebuild <= 10% over plain (at any size).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness import (
    VARIANT_NAMES,
    Bench,
    child,
    child_json,
    fmt_s,
    handshake,
    in_round,
    loadavg,
    measure,
    median,
    say,
    table,
)

JUDGES: str | None = "serve rebuild <= 10% over plain"


SERVE_EDIT = b"\nEdited while serving.\n"  # what a serve-style rebuild adds to its page


def serve_page(repo: Path) -> Path:
    """The page the serve-style rebuilds edit."""
    return sorted((repo / "docs" / "s00").glob("*.md"))[1]


def child_serve(config: str, page: str, site_dir: str, signals: str = "") -> None:
    """Build, edit one page, build again with a fresh load_config (as ``mkdocs serve`` does).

    With SIGNALS (a directory), the rebuild waits for the file ``go`` there, after writing
    ``ready``, and the process waits for ``end`` after writing ``done``: the serve-work
    section turns valgrind's counting on and off in between."""
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    start = time.perf_counter()
    build(load_config(config, site_dir=site_dir))
    first = time.perf_counter() - start
    path = Path(page)
    original = path.read_bytes()
    try:
        path.write_bytes(original + SERVE_EDIT)
        handshake(signals, "ready", "go")
        start = time.perf_counter()
        build(load_config(config, site_dir=site_dir))
        second = time.perf_counter() - start
        handshake(signals, "done", "end")
    finally:
        path.write_bytes(original)
    print(json.dumps({"first": first, "second": second}))


def section_serve(bench: Bench, size: str) -> None:
    repo = bench.repo(size)
    page = serve_page(repo)
    say(
        f"\n## serve-style rebuild after editing {page.relative_to(repo)}, size ({size}); "
        f"{bench.args.repeat} rounds of plain/mlplugin, reversed every other round  "
        f"[load {loadavg()}]"
    )
    runs: dict[str, list[dict[str, Any]]] = {"plain": [], "ml": []}
    failed = bench.warm(repo, list(runs))
    if failed:
        say(f"  {failed}")
        return
    for r in range(bench.args.repeat):
        for v in in_round(list(runs), r):
            data = child_json(
                measure(
                    child(
                        "serve",
                        str(repo / f"mkdocs-{v}.yml"),
                        str(page),
                        str(bench.sites / f"serve-{size}-{v}"),
                    ),
                    repo,
                    bench.env,
                )
            )
            runs[v].append(data)
            say(
                f"  round {r + 1} {v:6} first {data['first']:7.2f} s  rebuild {data['second']:7.2f} s"
            )
    rows = []
    plain2 = [d["second"] for d in runs["plain"]]
    for v, rounds in runs.items():
        second = [d["second"] for d in rounds]
        ratios = [a / b for a, b in zip(second, plain2, strict=False)]
        rows.append(
            [
                VARIANT_NAMES[v],
                fmt_s(median([d["first"] for d in rounds])),
                fmt_s(median(second)),
                f"{fmt_s(min(second))}-{fmt_s(max(second))}",
                "" if v == "plain" else f"{(median(ratios) - 1) * 100:+.1f}%",
            ]
        )
    say(
        table(
            ["variant", "first build s", "rebuild s", "rebuild min-max", "rebuild overhead"], rows
        )
    )
    ratios = [a["second"] / b["second"] for a, b in zip(runs["ml"], runs["plain"], strict=False)]
    bench.results["sections"]["serve"] = {
        "size": size,
        "runs": runs,
        "overhead_pct": (median(ratios) - 1) * 100,
        "overhead_rounds_pct": [(x - 1) * 100 for x in ratios],
    }
