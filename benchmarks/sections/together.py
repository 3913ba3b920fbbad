"""together: for each size, the plain and the plugin's build started at the same moment, each
pinned to its own CPU, the CPUs swapped every round: wall and CPU time per round, so that a
change of the machine's speed falls on both builds (where it is the same on both CPUs).

JUDGES: the overhead <= 5% at each size, builds at once (the 5% is set at (b) and (c)).
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import (
    TIMEOUT,
    VARIANT_NAMES,
    Bench,
    Run,
    cpu_ticks,
    fmt_s,
    in_round,
    loadavg,
    median,
    say,
    table,
    tool,
)

JUDGES: str | None = "overhead <= 5% at (b)/(c), builds at once"


def measure_together(cmds: list[list[str]], cwd: Path, env: dict[str, str]) -> list[Run]:
    """Start every command in CMDS at the same moment, the i-th pinned to the i-th CPU, and return
    each one's wall time, CPU time and peak RSS (from ``os.wait4``, which reports each child as
    it ends): a drift of the machine's speed falls on all of them at once."""
    cpus = sorted(os.sched_getaffinity(0))
    os.sync()
    with contextlib.ExitStack() as stack:
        files = [
            (
                stack.enter_context(tempfile.TemporaryFile()),
                stack.enter_context(tempfile.TemporaryFile()),
            )
            for _ in cmds
        ]
        steal0, total0 = cpu_ticks()
        start = time.perf_counter()
        procs = {}
        for cpu, (cmd, (out, err)) in enumerate(zip(cmds, files, strict=True)):
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=err,
                preexec_fn=functools.partial(os.sched_setaffinity, 0, {cpus[cpu]}),
            )
            procs[proc.pid] = (cpu, proc)

        def kill_all() -> None:
            for _, p in procs.values():
                p.kill()

        timer = threading.Timer(TIMEOUT, kill_all)
        timer.start()
        ended: dict[int, tuple[float, int, Any]] = {}
        try:
            while len(ended) < len(procs):
                pid, status, usage = os.wait4(-1, 0)
                if pid in procs:
                    cpu, proc = procs[pid]
                    ended[cpu] = (time.perf_counter() - start, status, usage)
                    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here
        finally:
            timer.cancel()
        steal1, total1 = cpu_ticks()
        steal = 100 * (steal1 - steal0) / (total1 - total0) if total1 > total0 else float("nan")
        runs = []
        for cpu, (out, err) in enumerate(files):
            wall, status, usage = ended[cpu]
            out.seek(0)
            err.seek(0)
            runs.append(
                Run(
                    wall,
                    usage.ru_maxrss / 1024,
                    os.waitstatus_to_exitcode(status),
                    out.read().decode("utf-8", "replace"),
                    err.read().decode("utf-8", "replace"),
                    usage.ru_utime + usage.ru_stime,
                    steal,
                )
            )
        return runs


def section_together(bench: Bench, sizes: list[str]) -> None:
    """Plain and + mlplugin builds started at the same moment, one per CPU, swapping CPUs every
    round: whole builds as ``mkdocs build`` makes them, with the machine's drift on both."""
    args = bench.args
    out: dict[str, Any] = {}
    cpus = sorted(os.sched_getaffinity(0))
    for size in sizes:
        repo = bench.repo(size)
        say(
            f"\n## Builds at once, size ({size}): plain and + mlplugin started together, each on "
            f"its own CPU, {args.repeat} rounds, CPUs swapped every round  [load {loadavg()}]"
        )
        if len(cpus) < 2:
            say("  this machine lets the benchmark use one CPU only: skipped")
            continue
        failed = bench.warm(repo, ["plain", "ml"])
        if failed:
            say(f"  {failed}")
            continue
        runs: dict[str, list[Run]] = {"plain": [], "ml": []}
        # round 0, untimed: the first builds side by side ran slower than the ones after
        for r in range(-1, args.repeat):
            order = in_round(["plain", "ml"], r)
            cmds = [
                [
                    *tool("mkdocs", "mkdocs"),
                    "build",
                    "-f",
                    str(repo / f"mkdocs-{v}.yml"),
                    "-d",
                    str(bench.sites / f"{size}-{v}"),
                ]
                for v in order
            ]
            env = dict(bench.env)
            done = dict(zip(order, measure_together(cmds, repo, env), strict=True))
            for v, run in done.items():
                if run.rc != 0:
                    raise SystemExit(f"{v} build of ({size}) failed:\n{run.err[-3000:]}")
            if r < 0:
                continue
            for v, run in done.items():
                runs[v].append(run)
            plain, ml = runs["plain"][-1], runs["ml"][-1]
            say(
                f"  round {r + 1} (plain on CPU {cpus[order.index('plain')]})  "
                f"plain {plain.wall:7.2f} s  CPU {plain.cpu:7.2f} s   "
                f"ml {ml.wall:7.2f} s  CPU {ml.cpu:7.2f} s   "
                f"{(ml.wall / plain.wall - 1) * 100:+5.1f}%  CPU {(ml.cpu / plain.cpu - 1) * 100:+5.1f}%"
                f"  steal {plain.steal:4.1f}%"
            )
        stats: dict[str, Any] = {
            v: {
                "walls": [x.wall for x in rs],
                "cpus": [x.cpu for x in rs],
                "rss": [x.rss for x in rs],
            }
            for v, rs in runs.items()
        }
        wall_ratios = [m.wall / p.wall for m, p in zip(runs["ml"], runs["plain"], strict=True)]
        cpu_ratios = [m.cpu / p.cpu for m, p in zip(runs["ml"], runs["plain"], strict=True)]
        stats["ml"] |= {
            "overhead_pct": (median(wall_ratios) - 1) * 100,
            "overhead_rounds_pct": [(x - 1) * 100 for x in wall_ratios],
            "cpu_overhead_pct": (median(cpu_ratios) - 1) * 100,
            "rss_over_mb": median(stats["ml"]["rss"]) - median(stats["plain"]["rss"]),
        }
        rows = []
        for v, rs in runs.items():
            walls = [x.wall for x in rs]
            ml_stats = stats[v] if v == "ml" else {}
            rows.append(
                [
                    VARIANT_NAMES[v],
                    fmt_s(median(walls)),
                    f"{fmt_s(min(walls))}-{fmt_s(max(walls))}",
                    fmt_s(median([x.cpu for x in rs])),
                    f"{median([x.rss for x in rs]):.0f}",
                    f"{ml_stats['overhead_pct']:+.1f}%" if ml_stats else "",
                    f"{ml_stats['cpu_overhead_pct']:+.1f}%" if ml_stats else "",
                    f"{ml_stats['rss_over_mb']:+.0f} MB" if ml_stats else "",
                ]
            )
        say(
            table(
                [
                    "variant",
                    "median s",
                    "min-max s",
                    "CPU s",
                    "peak RSS MB",
                    "overhead % (per round)",
                    "CPU overhead % (per round)",
                    "RSS overhead",
                ],
                rows,
            )
        )
        say(
            "  per-round overheads, wall: "
            + ", ".join(f"{(x - 1) * 100:+.1f}%" for x in wall_ratios)
            + "; CPU: "
            + ", ".join(f"{(x - 1) * 100:+.1f}%" for x in cpu_ratios)
        )
        say(f"  [load {loadavg()}]")
        out[size] = stats
    bench.results["sections"]["together"] = out
