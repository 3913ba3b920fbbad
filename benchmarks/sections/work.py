"""work: the instructions the plain and the plugin's build execute (and their git processes),
counted by valgrind's cachegrind without its cache model: a count that does not depend on the
machine's speed or load, repeatable to about 0.1%, so both builds run at once; and the
interpreter functions that account for the difference. Needs valgrind; a build runs about 25
times slower under it. With --work-cache, cachegrind also simulates this CPU's first-level
caches and its L2 (as the last level), and the misses of each are printed: about 80 times
slower. With --work-branches, cachegrind also models a branch predictor (a simple one: a
modern CPU predicts better, so its counts are an upper bound) and prints the branches and
mispredictions of each build.

JUDGES: the overhead <= 5%, in instructions (one run says it; the 5% is set at (b) and (c)).
"""

from __future__ import annotations

import collections
import concurrent.futures
from pathlib import Path
from typing import Any

import generate
from harness import (
    PY,
    TIMEOUT,
    VARIANT_NAMES,
    Bench,
    Run,
    cachegrind_file,
    loadavg,
    measure,
    say,
    table,
    valgrind_outdir,
)

JUDGES: str | None = "overhead <= 5% at (b)/(c), instructions"


def l2_cache() -> tuple[int, int, int]:
    """(size, ways, line) of this machine's level-2 cache, from sysfs; 2 MB 16-way otherwise."""
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(base.glob("index*")):
        try:
            if (index / "level").read_text().strip() != "2":
                continue
            size = (index / "size").read_text().strip()
            ways = int((index / "ways_of_associativity").read_text())
            line = int((index / "coherency_line_size").read_text())
        except (OSError, ValueError):
            break
        factor = {"K": 1024, "M": 1024 * 1024}.get(size[-1:], 1)
        return int(size.rstrip("KM")) * factor, ways, line
    return 2 * 1024 * 1024, 16, 64


def say_cache_misses(plain: dict[str, Any], ml: dict[str, Any]) -> None:
    """The simulated misses of each cache level: the build's process, then with its git
    processes (each starts with cold caches)."""

    def misses(events: dict[str, int]) -> dict[str, int]:
        return {
            "instructions": events.get("Ir", 0),
            "data accesses": events.get("Dr", 0) + events.get("Dw", 0),
            "L1 misses": sum(events.get(k, 0) for k in ("I1mr", "D1mr", "D1mw")),
            "L2 misses": sum(events.get(k, 0) for k in ("ILmr", "DLmr", "DLmw")),
        }

    rows = []
    for where, keys in (("build", ("events",)), ("with git", ("events", "git_events"))):
        p, m = (
            misses(dict(sum((collections.Counter(d[k]) for k in keys), collections.Counter())))
            for d in (plain, ml)
        )
        for name in p:
            per = (
                f"{1000 * p[name] / p['instructions']:.3f} -> "
                f"{1000 * m[name] / m['instructions']:.3f}"
                if name != "instructions" and p["instructions"] and m["instructions"]
                else ""
            )
            grow = f"{(m[name] / p[name] - 1) * 100:+.1f}%" if p[name] else ""
            rows.append([where, name, f"{p[name] / 1e6:.1f}", f"{m[name] / 1e6:.1f}", grow, per])
    say("  cache model (cachegrind: this CPU's first-level caches, and its L2 as the last level):")
    say(
        table(
            ["", "event", "Material M", "+ mlplugin M", "difference", "per 1,000 instructions"],
            rows,
        )
    )


def say_branches(plain: dict[str, Any], ml: dict[str, Any]) -> None:
    """The branches of each build's process, and the mispredictions cachegrind's predictor
    model makes on them (conditional: Bc, Bcm; indirect, as the interpreter's dispatch: Bi,
    Bim)."""
    rows = []
    for name, key in (
        ("conditional branches", "Bc"),
        ("  mispredicted", "Bcm"),
        ("indirect branches", "Bi"),
        ("  mispredicted", "Bim"),
    ):
        p, m = plain["events"].get(key, 0), ml["events"].get(key, 0)
        pi, mi = plain["events"].get("Ir", 0), ml["events"].get("Ir", 0)
        per = f"{1000 * p / pi:.3f} -> {1000 * m / mi:.3f}" if pi and mi else ""
        grow = f"{(m / p - 1) * 100:+.1f}%" if p else ""
        rows.append([name, f"{p / 1e6:.1f}", f"{m / 1e6:.1f}", grow, per])
    say("  branch predictor model (cachegrind's; the build's process):")
    say(
        table(["event", "Material M", "+ mlplugin M", "difference", "per 1,000 instructions"], rows)
    )


def section_work(bench: Bench, size: str) -> None:
    """Instructions each build executes, counted by valgrind (cachegrind, no cache model):
    the same count whatever else the machine is doing, so the two builds run at once."""
    pages_with = bench.args.pages_with
    repo = bench.repo(size, pages_with)
    say(
        f"\n## Work, size ({size}){generate.site_with(pages_with)}: instructions executed by "
        f"each build and its git processes, counted by valgrind's cachegrind  [load {loadavg()}]"
    )
    found = valgrind_outdir(bench, repo, f"work-{size}{'-' + pages_with if pages_with else ''}")
    if found is None:
        return
    outdir, valgrind = found
    # Python's string hashing is seeded per process: fixed, dicts and sets iterate alike
    env = {**bench.env, "PYTHONHASHSEED": "0"}

    # with --work-cache, cachegrind's model of this CPU's first-level caches and, as its last
    # level, the per-core L2 (the level both builds' data overflow many times over)
    cache = ["--cache-sim=no"]
    if bench.args.work_cache:
        cache = ["--cache-sim=yes", f"--LL={','.join(map(str, l2_cache()))}"]
    if bench.args.work_branches:
        cache.append("--branch-sim=yes")

    def count(variant: str) -> Run:
        cmd = [
            valgrind,
            "--tool=cachegrind",
            *cache,
            "--trace-children=yes",
            f"--cachegrind-out-file={outdir / variant}.%p.out",
            PY,
            "-m",
            "mkdocs",
            "build",
            "-f",
            str(repo / f"mkdocs-{variant}.yml"),
            "-d",
            str(bench.sites / f"work-{size}-{variant}"),
        ]
        return measure(cmd, repo, env, timeout=6 * TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = dict(zip(["plain", "ml"], pool.map(count, ["plain", "ml"]), strict=True))
    data: dict[str, dict[str, Any]] = {}
    for variant, run in runs.items():
        if run.rc != 0:
            say(f"  {variant} build under valgrind failed ({run.rc}):\n{run.err[-2000:]}")
            return
        build, others, children = 0, 0, 0
        events: dict[str, int] = {}
        git_events: collections.Counter[str] = collections.Counter()
        by_fn: collections.Counter[str] = collections.Counter()
        for path in outdir.glob(f"{variant}.*.out"):
            command, totals, fns = cachegrind_file(path)
            if " -m mkdocs build" in command:
                build = totals.get("Ir", 0)
                events = totals
                by_fn.update(fns)
            else:
                others += totals.get("Ir", 0)
                git_events.update(totals)
                children += 1
        data[variant] = {
            "build": build,
            "children": others,
            "processes": children,
            "wall": run.wall,
            "events": events,
            "git_events": dict(git_events),
            "by_fn": by_fn,
        }
    plain, ml = data["plain"], data["ml"]
    rows = [
        [
            VARIANT_NAMES[v],
            f"{d['build'] / 1e9:.2f}",
            f"{d['children'] / 1e9:.3f} ({d['processes']})",
            f"{(d['build'] + d['children']) / 1e9:.2f}",
            f"{d['wall'] / 60:.1f}",
        ]
        for v, d in data.items()
    ]
    say(
        table(
            [
                "variant",
                "build G instr.",
                "git G instr. (processes)",
                "total G",
                "under valgrind min",
            ],
            rows,
        )
    )
    overhead = (ml["build"] / plain["build"] - 1) * 100
    total = ((ml["build"] + ml["children"]) / (plain["build"] + plain["children"]) - 1) * 100
    say(f"  overhead in instructions: build {overhead:+.1f}%, with git's processes {total:+.1f}%")
    if bench.args.work_cache:
        say_cache_misses(plain, ml)
    if bench.args.work_branches:
        say_branches(plain, ml)
    diffs = sorted(
        (
            (ml["by_fn"].get(f, 0) - plain["by_fn"].get(f, 0), f)
            for f in ml["by_fn"].keys() | plain["by_fn"].keys()
        ),
        key=lambda x: -abs(x[0]),
    )[:12]
    say("  where the build's extra instructions are (interpreter functions, plugin minus plain):")
    say(
        table(
            ["function", "Material M", "+ mlplugin M", "difference M"],
            [
                [
                    fn.rsplit("/", 1)[-1],
                    f"{plain['by_fn'].get(fn, 0) / 1e6:.0f}",
                    f"{ml['by_fn'].get(fn, 0) / 1e6:.0f}",
                    f"{d / 1e6:+.0f}",
                ]
                for d, fn in diffs
            ],
        )
    )
    bench.results["sections"]["work"] = {
        "size": size,
        "overhead_pct": overhead,
        "overhead_with_git_pct": total,
        **{v: {k: x for k, x in d.items() if k != "by_fn"} for v, d in data.items()},
    }
