"""check-since: ``mkdocs-ml check --since HEAD~100`` (the pull-request gate over the last 100
commits of the generated history, which change pages, code and params) against ``mkdocs-ml
check`` alone, alternating, wall time and peak RSS. With ``--pages-with`` on the variant of
the site it names (benchmarks/generate.py), e.g. records on a tenth of the pages.

JUDGES: ``mkdocs-ml check --since`` at (b) in under 2 s (the median of the rounds).
"""

from __future__ import annotations

import generate
from harness import Bench, Run, fmt_s, loadavg, measure, median, say, table, tool

JUDGES: str | None = "mkdocs-ml check --since (100 commits) < 2 s at (b)"
#: how far back the base is: the issue's "--since over 100 commits"
COMMITS = 100


def section_check_since(bench: Bench, size: str) -> None:
    pages_with = bench.args.pages_with
    repo = bench.repo(size, pages_with)
    site = generate.site_with(pages_with)
    say(
        f"\n## mkdocs-ml check --since HEAD~{COMMITS} vs mkdocs-ml check, size ({size}){site}; "
        f"{bench.args.repeat} rounds  [load {loadavg()}]"
    )
    check = [*tool("mkdocs-ml", "mkdocs_mlplugin.cli"), "check", "-f", str(repo / "mkdocs-ml.yml")]
    commands = {"check": check, "since": [*check, "--since", f"HEAD~{COMMITS}"]}
    runs: dict[str, list[Run]] = {"check": [], "since": []}
    failed = bench.warm(repo, ["ml"])
    if failed:
        say(f"  {failed}")
        return
    for r in range(bench.args.repeat):
        order = ("check", "since") if r % 2 == 0 else ("since", "check")
        for name in order:
            run = measure(commands[name], repo, bench.env)
            if run.rc == 2:  # it could not run: no base, a broken config
                say(f"  {name} exited 2: {run.err.strip()[-500:]}")
                return
            runs[name].append(run)
        say(
            f"  round {r + 1} check {runs['check'][-1].wall:6.2f} s  "
            f"check --since {runs['since'][-1].wall:6.2f} s"
        )
    for name, label in (("check", "check"), ("since", f"check --since HEAD~{COMMITS}")):
        said = runs[name][0].out.strip().splitlines()
        say(f"  {label} says: {' / '.join(said[-2:]) if said else '(nothing)'}")
    rows = []
    for name, data in runs.items():
        walls = [x.wall for x in data]
        rows.append(
            [
                "mkdocs-ml check" + (f" --since HEAD~{COMMITS}" if name == "since" else ""),
                fmt_s(median(walls)),
                f"{fmt_s(min(walls))}-{fmt_s(max(walls))}",
                f"{median([x.rss for x in data]):.0f}",
            ]
        )
    say(table(["command", "median s", "min-max s", "peak RSS MB"], rows))
    gate = [s.wall - c.wall for c, s in zip(runs["check"], runs["since"], strict=True)]
    say(f"  the gate adds {median(gate):+.2f} s (median of paired differences)  [load {loadavg()}]")
    bench.results["sections"]["check-since"] = {
        "size": size,
        "pages_with": pages_with,
        "commits": COMMITS,
        "check": [x.wall for x in runs["check"]],
        "since": [x.wall for x in runs["since"]],
        "median": median([x.wall for x in runs["since"]]),
    }
