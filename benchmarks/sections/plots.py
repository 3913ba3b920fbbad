"""plots: what a page with five plots adds to a build, and to a serve-style rebuild.

A small project of its own (not a generated size): a dvc.yaml declaring five plots, one of
each kind of DVC template a team uses most (confusion, linear, scatter, bar_horizontal,
smooth), their data kept in git, and one page that draws all five with ``{ml plots NAME}``;
its twin site has the same page with the five blocks left out. Whole builds of both,
alternating: wall time, CPU time and peak RSS, both the peak of all the build's processes
summed (the plots are drawn by a child process, ``mkdocs_mlplugin.vega``) and the largest
single process; then both rebuilt in one process with one Session (what ``mkdocs serve``
does), where the plots are drawn once and kept.

The same plots on the 1,000-page site (b), what a user meets: ``--pages-with plots`` with
the paired and builds sections.

JUDGES nothing of its own: its cost, in seconds, is read against the build-overhead target
at (b), and its summed peak RSS against the memory target (the README's Performance
section).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import generate
from harness import PY, Bench, Run, fmt_s, loadavg, measure, median, say, table

JUDGES: str | None = None


def make_project(path: Path, env: dict[str, str]) -> None:
    """The project, its data (generate.PLOTS and plot_data, as ``--pages-with plots`` puts
    them on a generated site) and the two sites."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "dvc.yaml").write_text(generate.PLOTS, "utf-8")
    (path / ".dvc").mkdir(exist_ok=True)
    (path / ".dvc" / "config").write_text("", "utf-8")
    for name, text in generate.plot_data().items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, "utf-8")
    for variant, with_blocks in (("five", True), ("none", False)):
        docs = path / f"docs-{variant}"
        docs.mkdir(exist_ok=True)
        (docs / "index.md").write_text(generate.plots_page(with_blocks), "utf-8")
        (path / f"mkdocs-{variant}.yml").write_text(
            f"site_name: Plots\ndocs_dir: docs-{variant}\ntheme:\n  name: material\n"
            "plugins:\n  - mlplugin\n",
            "utf-8",
        )
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "x"]):
        subprocess.run(command, cwd=path, env=env, check=True, capture_output=True)


REBUILD = """
import sys, time
from mkdocs.commands.build import build
from mkdocs.config import load_config
session, times = None, []
for config_file in sys.argv[2:]:
    config = load_config(config_file, site_dir=sys.argv[1])
    plugin = config.plugins["mlplugin"]
    session = session or plugin.session
    plugin.session = session  # one plugin object across rebuilds, as mkdocs serve keeps it
    start = time.perf_counter()
    build(config)
    times.append(time.perf_counter() - start)
print(" ".join(f"{t:.4f}" for t in times))
"""


def section_plots(bench: Bench, size: str) -> None:
    del size  # the section's project is its own
    path = bench.work / "plots-project"
    if not (path / ".git").is_dir():
        make_project(path, bench.env)
    say(f"\n## A page with five plots; {bench.args.repeat} rounds  [load {loadavg()}]")
    runs: dict[str, list[Run]] = {"five": [], "none": []}
    site = bench.sites / "plots"
    command = [PY, "-m", "mkdocs", "build", "-q", "-d", str(site), "-f"]
    for variant in runs:  # untimed: bytecode compiled
        measure([*command, f"mkdocs-{variant}.yml"], path, bench.env)
    for r in range(bench.args.repeat):
        order = list(runs) if r % 2 == 0 else list(reversed(runs))
        for variant in order:
            run = measure([*command, f"mkdocs-{variant}.yml"], path, bench.env)
            if run.rc != 0:
                say(f"  {variant} exited {run.rc}: {run.err[-500:]}")
            runs[variant].append(run)
        say(
            f"  round {r + 1}  five plots {runs['five'][-1].wall:6.2f} s  "
            f"none {runs['none'][-1].wall:6.2f} s"
        )
    extra = [f.wall - n.wall for f, n in zip(runs["five"], runs["none"], strict=True)]
    rows = [
        [
            name,
            fmt_s(median([x.wall for x in data])),
            fmt_s(median([x.cpu for x in data])),
            f"{median([x.tree_rss for x in data]):.0f}",
            f"{median([x.rss for x in data]):.0f}",
        ]
        for name, data in (("page with five plots", runs["five"]), ("without", runs["none"]))
    ]
    header = ["site", "median wall s", "median CPU s", "peak RSS MB, summed", "largest process"]
    say(table(header, rows))
    say(f"  five plots cost {fmt_s(median(extra))} s a build (median of paired differences)")
    more = [f.tree_rss - n.tree_rss for f, n in zip(runs["five"], runs["none"], strict=True)]
    say(
        f"  and {median(more):.0f} MB of peak RSS, summed over the build's processes (rounds "
        f"{min(more):.0f} to {max(more):.0f} MB; the target: under 100 MB)"
    )
    started = time.perf_counter()
    rebuilt = subprocess.run(
        [PY, "-c", REBUILD, str(site), *(str(path / "mkdocs-five.yml") for _ in range(3))],
        cwd=path,
        env=bench.env,
        capture_output=True,
        text=True,
        check=False,
    )
    times = [float(t) for t in rebuilt.stdout.split()] if rebuilt.returncode == 0 else []
    if times:
        say(
            "  serve-style, one Session: first build "
            + ", rebuilds ".join(f"{t:.2f} s" for t in times)
            + " (the plots drawn once, then kept)"
        )
    else:
        say(f"  serve-style rebuilds failed: {rebuilt.stderr[-500:]}")
    bench.results["sections"]["plots"] = {
        "five": [x.wall for x in runs["five"]],
        "none": [x.wall for x in runs["none"]],
        "rss_five": [x.rss for x in runs["five"]],
        "rss_none": [x.rss for x in runs["none"]],
        "tree_rss_five": [x.tree_rss for x in runs["five"]],
        "tree_rss_none": [x.tree_rss for x in runs["none"]],
        "extra": extra,
        "serve": times,
        "seconds": round(time.perf_counter() - started, 2),
        "python": sys.version.split()[0],
    }
