"""check: ``mkdocs-ml check`` vs ``mkdocs build`` with the plugin, alternating, wall time and
peak RSS, and the median of the paired ratios.

JUDGES: ``mkdocs-ml check`` noticeably faster than a build (1.5x at least).
"""

from __future__ import annotations

from harness import Bench, Run, fmt_s, loadavg, measure, median, say, table, tool

JUDGES: str | None = "mkdocs-ml check noticeably faster than build (>= 1.5x)"


def section_check(bench: Bench, size: str) -> None:
    repo = bench.repo(size)
    say(
        f"\n## mkdocs-ml check vs mkdocs build (plugin on), size ({size}); "
        f"{bench.args.repeat} rounds  [load {loadavg()}]"
    )
    config = str(repo / "mkdocs-ml.yml")
    check_cmd = [*tool("mkdocs-ml", "mkdocs_mlplugin.cli"), "check", "-f", config]
    runs: dict[str, list[Run]] = {"check": [], "build": []}
    failed = bench.warm(repo, ["ml"])
    if failed:
        say(f"  {failed}")
        return
    for r in range(bench.args.repeat):
        run = measure(check_cmd, repo, bench.env)
        if run.rc != 0:
            say(
                f"  mkdocs-ml check exited {run.rc}: {run.out.strip().splitlines()[-1:]} {run.err[-500:]}"
            )
        runs["check"].append(run)
        runs["build"].append(bench.mkdocs_build(repo, "ml", f"{size}-ml"))
        say(
            f"  round {r + 1} check {runs['check'][-1].wall:7.2f} s  "
            f"build {runs['build'][-1].wall:7.2f} s"
        )
    last = runs["check"][0].out.strip().splitlines()
    say(f"  check says: {last[-1] if last else '(nothing)'}")
    rows = []
    for name, data in runs.items():
        walls = [x.wall for x in data]
        rows.append(
            [
                "mkdocs-ml check" if name == "check" else "mkdocs build (mlplugin)",
                fmt_s(median(walls)),
                f"{fmt_s(min(walls))}-{fmt_s(max(walls))}",
                f"{median([x.rss for x in data]):.0f}",
            ]
        )
    say(table(["command", "median s", "min-max s", "peak RSS MB"], rows))
    ratios = [b.wall / c.wall for c, b in zip(runs["check"], runs["build"], strict=False)]
    say(f"  build / check: {median(ratios):.1f}x (median of paired ratios)")
    bench.results["sections"]["check"] = {
        "size": size,
        "check": [x.wall for x in runs["check"]],
        "build": [x.wall for x in runs["build"]],
        "speedup": median(ratios),
    }
