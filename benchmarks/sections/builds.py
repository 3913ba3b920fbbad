"""builds: for each size, ``mkdocs build`` of the same pages with plain Material, + mlplugin,
+ git-revision-date-localized (creation dates on): median and min-max wall time, peak RSS (of
the largest process, and the sampled peak of all the build's processes summed, by which the
target is judged), overhead vs plain (wall time, and CPU time: user + system of the build and
its git processes, which waiting on a busy machine does not inflate), how many times more
overhead revision-date has, and the share of the machine's CPU time its hypervisor gave
elsewhere meanwhile (steal, from /proc/stat). With ``--pages-with`` on the variant of each
size's site it names (benchmarks/generate.py); with ``plots``, the summed peak RSS includes
the process that draws the plots (``mkdocs_mlplugin.vega``), and the CPU time its work.

JUDGES: the overhead <= 5% at (b) and (c), revision-date's overhead >= 10x the plugin's at
(b), and the peak RSS overhead < 100 MB at (c), all processes.
"""

from __future__ import annotations

import re
from typing import Any

import generate
from harness import VARIANT_NAMES, Bench, Run, fmt_s, in_round, loadavg, median, say, table, within

JUDGES: str | None = (
    "overhead <= 5% at (b) and (c); revision-date overhead >= 10x mlplugin's at (b); "
    "peak RSS overhead < 100 MB at (c), all processes"
)


def ml_summary(run: Run) -> str:
    """The plugin's one-line INFO summary of a build, or the last error lines."""
    found = re.findall(
        r"mlplugin: (\d+ references resolved on \d+ pages, .*?) in [\d.]+ s", run.err
    )
    if found:
        return found[-1]
    return run.err.strip().splitlines()[-1] if run.err.strip() else "(no output)"


def section_builds(bench: Bench, sizes: list[str]) -> None:
    args = bench.args
    out: dict[str, Any] = {}
    for size in sizes:
        spec = generate.SIZES[size]
        repo = bench.repo(size, args.pages_with)
        variants = [v for v in args.variants if v != "revdate" or size in args.revdate_sizes]
        say(
            f"\n## Builds, size ({size}): {spec.pages} pages, {spec.commits} commits, "
            f"{spec.stages} stages, {spec.tags} tags{generate.site_with(args.pages_with)}; "
            f"{args.repeat} rounds of "
            f"{''.join(v[0].upper() for v in variants)}, reversed every other round  "
            f"[load {loadavg()}]"
        )
        if "revdate" in args.variants and "revdate" not in variants:
            say(
                f"  (revision-date-localized skipped at ({size}): add it with --revdate-sizes; "
                "it runs two `git log --follow` per page)"
            )
        failed = bench.warm(repo, variants)
        if failed:
            say(f"  {failed}")
            continue
        runs: dict[str, list[Run]] = {v: [] for v in variants}
        for r in range(args.repeat):
            for v in in_round(variants, r):
                run = bench.mkdocs_build(repo, v, f"{size}-{v}")
                if run.rc != 0:
                    raise SystemExit(f"{v} build of ({size}) failed:\n{run.err[-3000:]}")
                runs[v].append(run)
                say(
                    f"  round {r + 1} {v:8} {run.wall:8.2f} s  CPU {run.cpu:8.2f} s  "
                    f"{run.rss:7.1f} MB (all processes {run.tree_rss:7.1f} MB)  "
                    f"steal {run.steal:4.1f}%"
                )
        if "ml" in runs:
            say(f"  mlplugin: {ml_summary(runs['ml'][0])}")
        base = runs.get("plain")
        rows = []
        stats: dict[str, Any] = {}
        for v in variants:
            walls = [x.wall for x in runs[v]]
            rss = [x.rss for x in runs[v]]
            tree_rss = [x.tree_rss for x in runs[v]]
            row = [
                VARIANT_NAMES[v],
                fmt_s(median(walls)),
                f"{fmt_s(min(walls))}-{fmt_s(max(walls))}",
                f"{median(rss):.0f} / {median(tree_rss):.0f}",
            ]
            cpus = [x.cpu for x in runs[v]]
            stats[v] = {
                "walls": walls,
                "rss": rss,
                "tree_rss": tree_rss,
                "cpus": cpus,
                "steal": [x.steal for x in runs[v]],
            }
            if base and v != "plain":
                ratios = [x.wall / b.wall for x, b in zip(runs[v], base, strict=False)]
                overhead = median(walls) - median([b.wall for b in base])
                pct = (median(ratios) - 1) * 100
                cpu_ratios = [x.cpu / b.cpu for x, b in zip(runs[v], base, strict=False)]
                cpu_pct = (median(cpu_ratios) - 1) * 100
                rss_over = median(rss) - median([b.rss for b in base])
                tree_over = median(tree_rss) - median([b.tree_rss for b in base])
                stats[v] |= {
                    "overhead_s": overhead,
                    "overhead_pct": pct,
                    "overhead_rounds_pct": [(x - 1) * 100 for x in ratios],
                    "cpu_overhead_pct": cpu_pct,
                    "rss_over_mb": rss_over,
                    "tree_rss_over_mb": tree_over,
                }
                row += [
                    f"{overhead:+.2f} s",
                    within(stats[v]["overhead_rounds_pct"], 5)[0],
                    f"{cpu_pct:+.1f}%",
                    f"{rss_over:+.0f} / {tree_over:+.0f} MB",
                ]
            else:
                row += ["", "", "", ""]
            rows.append(row)
        say(
            table(
                [
                    "variant",
                    "median s",
                    "min-max s",
                    "peak RSS MB (largest process / all)",
                    "overhead",
                    "overhead % (paired median, interval)",
                    "CPU overhead % (paired)",
                    "RSS overhead (largest / all)",
                ],
                rows,
            )
        )
        steals = [x.steal for v in variants for x in runs[v]]
        say(
            f"  CPU time the hypervisor gave to other machines during these builds: median "
            f"{median(steals):.1f}%, max {max(steals):.1f}% (noise no alternation can remove)"
        )
        if "ml" in stats and "revdate" in stats and "overhead_s" in stats["ml"]:
            ratio = stats["revdate"]["overhead_s"] / stats["ml"]["overhead_s"]
            stats["revdate_over_ml"] = ratio
            say(f"  overhead of revision-date / overhead of mlplugin: {ratio:.1f}x")
        say(f"  [load {loadavg()}]")
        out[size] = stats | {"pages_with": args.pages_with}
    bench.results["sections"]["builds"] = out
