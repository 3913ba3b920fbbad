"""serve-work: the instructions of the serve-style rebuild alone (and of the git processes it
starts), plain vs plugin, counted by valgrind's callgrind, switched on just before the rebuild
and off after it with callgrind_control; both variants at once. Needs valgrind; the first build
runs about 5 times slower under it, the rebuild about 40. The rebuild is the serve section's
child.

JUDGES: the serve rebuild <= 10% over plain, in instructions (one run says it).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from harness import (
    VARIANT_NAMES,
    Bench,
    both_at_once,
    cachegrind_file,
    callgrind_off,
    callgrind_span,
    child,
    loadavg,
    say,
    table,
    valgrind_outdir,
)

from sections.serve import serve_page

JUDGES: str | None = "serve rebuild <= 10% over plain, instructions"


#: stands in for git on PATH in the serve-work section: the git processes started while the
#: rebuild is counted run under cachegrind, the others as they are
GIT_COUNTER = """#!/bin/sh
if [ -e "$MLBENCH_SIGNALS/go" ] && [ ! -e "$MLBENCH_SIGNALS/done" ]; then
  exec "$MLBENCH_VALGRIND" --tool=cachegrind --cache-sim=no --trace-children=yes \\
    "--cachegrind-out-file=$MLBENCH_SIGNALS/git.%p.out" "$MLBENCH_GIT" "$@"
fi
exec "$MLBENCH_GIT" "$@"
"""


def section_serve_work(bench: Bench, size: str) -> None:
    """Instructions of the serve-style rebuild alone, plain vs plugin, counted by valgrind.

    Each process runs under callgrind with its counting off, makes the first build, edits
    the page and waits; ``callgrind_control`` turns counting on, the rebuild runs, counting
    goes off before the process ends. git processes started meanwhile run under cachegrind
    (a ``git`` on PATH that hands them to it). The first build runs at about a fifth of its
    speed, the rebuild at about a fortieth; both variants at once."""
    repo = bench.repo(size)
    page = serve_page(repo)
    say(
        f"\n## Serve work, size ({size}): instructions of the rebuild after editing "
        f"{page.relative_to(repo)}, counted by valgrind  [load {loadavg()}]"
    )
    found = valgrind_outdir(bench, repo, f"serve-work-{size}")
    if found is None:
        return
    outdir, valgrind = found
    (outdir / "bin").mkdir()
    counter = outdir / "bin" / "git"
    counter.write_text(GIT_COUNTER)
    counter.chmod(0o755)
    real_git = shutil.which("git", path=bench.env.get("PATH"))

    def count(variant: str) -> dict[str, Any]:
        signals = outdir / variant
        signals.mkdir()
        env = {
            **bench.env,
            "PYTHONHASHSEED": "0",
            "PATH": f"{counter.parent}{os.pathsep}{bench.env.get('PATH', '')}",
            "MLBENCH_SIGNALS": str(signals),
            "MLBENCH_VALGRIND": valgrind,
            "MLBENCH_GIT": real_git or "git",
        }
        cmd = [
            *callgrind_off(valgrind, signals),
            *child(
                "serve",
                str(repo / f"mkdocs-{variant}.yml"),
                str(page),
                str(bench.sites / f"serve-work-{size}-{variant}"),
                str(signals),
            ),
        ]
        span = callgrind_span(cmd, repo, env, signals)
        if "error" in span:
            return span
        gits = [cachegrind_file(path)[1].get("Ir", 0) for path in signals.glob("git.*.out")]
        return {
            "rebuild": span["counted"],
            "git": sum(gits),
            "processes": len(gits),
            "first_wall": span["before_wall"],
            "rebuild_wall": span["span_wall"],
        }

    data = both_at_once(count)
    if data is None:
        return
    say(
        table(
            [
                "variant",
                "rebuild G instr.",
                "git G instr. (processes)",
                "total G",
                "under valgrind: first build min, rebuild min",
            ],
            [
                [
                    VARIANT_NAMES[v],
                    f"{d['rebuild'] / 1e9:.2f}",
                    f"{d['git'] / 1e9:.3f} ({d['processes']})",
                    f"{(d['rebuild'] + d['git']) / 1e9:.2f}",
                    f"{d['first_wall'] / 60:.1f}, {d['rebuild_wall'] / 60:.1f}",
                ]
                for v, d in data.items()
            ],
        )
    )
    plain, ml = data["plain"], data["ml"]
    overhead = (ml["rebuild"] / plain["rebuild"] - 1) * 100
    total = ((ml["rebuild"] + ml["git"]) / (plain["rebuild"] + plain["git"]) - 1) * 100
    say(f"  rebuild overhead in instructions: {overhead:+.1f}%, with git's processes {total:+.1f}%")
    bench.results["sections"]["serve-work"] = {
        "size": size,
        "overhead_pct": overhead,
        "overhead_with_git_pct": total,
        **data,
    }
