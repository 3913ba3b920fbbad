"""render-work: the instructions of the rendering phase alone (after on_env, before
post_build: every page's templates), plain vs plugin, counted by valgrind's callgrind switched
on and off around it; both variants at once. Needs valgrind; the rendering runs about 40 times
slower under it. The build is the phases section's child.

DIAGNOSES: no README target is decided by it; it tells how much of the plugin's cost falls in
Material's templates.
"""

from __future__ import annotations

from typing import Any

from harness import (
    VARIANT_NAMES,
    Bench,
    both_at_once,
    callgrind_off,
    callgrind_span,
    child,
    loadavg,
    say,
    table,
    valgrind_outdir,
)

JUDGES: str | None = None


def section_render_work(bench: Bench, size: str) -> None:
    """Instructions of the rendering phase alone (from after ``on_env`` to ``on_post_build``:
    static files, every page's templates, anchors checked), plain vs plugin, counted by
    callgrind switched on and off around it; both variants at once, PYTHONHASHSEED=0. The
    plugin's own work is outside this phase, so the difference is what it adds to Material's
    templates: its theme overrides, page.meta.ml set and cleared, the collector walking its
    objects."""
    repo = bench.repo(size)
    say(
        f"\n## Render work, size ({size}): instructions of the rendering phase, counted by "
        f"valgrind  [load {loadavg()}]"
    )
    found = valgrind_outdir(bench, repo, f"render-work-{size}")
    if found is None:
        return
    outdir, valgrind = found

    def count(variant: str) -> dict[str, Any]:
        signals = outdir / variant
        signals.mkdir()
        cmd = [
            *callgrind_off(valgrind, signals),
            *child(
                "phases",
                str(repo / f"mkdocs-{variant}.yml"),
                str(bench.sites / f"render-work-{size}-{variant}"),
                str(signals),
            ),
        ]
        return callgrind_span(cmd, repo, {**bench.env, "PYTHONHASHSEED": "0"}, signals)

    data = both_at_once(count)
    if data is None:
        return
    say(
        table(
            ["variant", "rendering G instr.", "under valgrind: before it min, rendering min"],
            [
                [
                    VARIANT_NAMES[v],
                    f"{d['counted'] / 1e9:.2f}",
                    f"{d['before_wall'] / 60:.1f}, {d['span_wall'] / 60:.1f}",
                ]
                for v, d in data.items()
            ],
        )
    )
    overhead = (data["ml"]["counted"] / data["plain"]["counted"] - 1) * 100
    say(f"  rendering overhead in instructions: {overhead:+.2f}%")
    bench.results["sections"]["render-work"] = {"size": size, "overhead_pct": overhead, **data}
