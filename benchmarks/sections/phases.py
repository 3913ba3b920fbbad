"""phases: whole builds, plain and + mlplugin, from MkDocs' own command line in a child that
stamps the time after the files and env events and before post_build: each phase's median,
min-max and paired difference. The plugin reads git, DVC and the pages before rendering and
writes the manifest after it, so the phases outside rendering hold its own work; in the
rendering phase it adds only its theme overrides, the page.meta.ml it sets and clears, and the
collector's walk over its objects, next to the machine's drift.

Its child (``run.py --_child phases``) also serves the render-work section, which counts the
rendering phase's instructions between the child's signals.

JUDGES: the overhead <= 5% at the extras' size (the 5% is set at (b) and (c)), of whole builds
and of the phases outside rendering.
"""

from __future__ import annotations

import json
from typing import Any

from harness import (
    CONFIDENCE,
    Bench,
    Run,
    child,
    child_json,
    handshake,
    in_round,
    loadavg,
    measure,
    median,
    now,
    say,
    table,
    within,
)

JUDGES: str | None = "overhead <= 5% at (b)/(c), whole builds (phases) and outside rendering"


#: the phases of a build, between the moments child_phases stamps, and what each one holds
PHASES = (
    ("start", "start to on_files: Python, config, plugins, on_config, the files, on_files"),
    ("pages", "to on_env: nav, every page read, on_page_markdown, Markdown to HTML, on_env"),
    ("rendering", "to on_post_build: static files, every page's templates, anchors checked"),
    ("end", "on_post_build and the process's exit"),
)


def child_phases(config: str, site_dir: str, signals: str = "") -> None:
    """``mkdocs build`` from MkDocs' own command line, with the moment after the ``files``
    and ``env`` events and before ``post_build`` stamped (every plugin's handlers of an event
    run inside it); prints the stamps.

    With SIGNALS (a directory), the rendering phase waits for the file ``go`` there, after
    writing ``ready``, and the build waits for ``end`` after it, having written ``done``: the
    render-work section counts the rendering's instructions in between."""
    from mkdocs.__main__ import cli
    from mkdocs.plugins import PluginCollection

    stamps: dict[str, float] = {}
    run_event = PluginCollection.run_event

    def stamped(self: Any, name: str, item: Any = None, **kwargs: Any) -> Any:
        if name == "post_build":
            stamps["rendering"] = now()
            handshake(signals, "done", "end")
        result = run_event(self, name, item, **kwargs)
        if name == "files":
            stamps["start"] = now()
        elif name == "env":
            stamps["pages"] = now()
            handshake(signals, "ready", "go")
        return result

    PluginCollection.run_event = stamped  # type: ignore[method-assign]
    cli.main(["build", "-f", config, "-d", site_dir], prog_name="mkdocs", standalone_mode=False)
    print(json.dumps(stamps))


def phase_times(run: Run, stamps: dict[str, float]) -> dict[str, float]:
    """The seconds of each of PHASES in RUN, from the child's STAMPS and the run's start and
    wall time; 'end' runs to the moment the process was reaped."""
    times, last = {}, run.began
    for name, _ in PHASES[:-1]:
        times[name] = stamps[name] - last
        last = stamps[name]
    times["end"] = run.began + run.wall - last
    return times


def section_phases(bench: Bench, size: str) -> None:
    repo = bench.repo(size)
    variants = ["plain", "ml"]
    failed = bench.warm(repo, variants)
    if failed:
        say(f"  {failed}")
        return
    rounds = bench.args.repeat
    say(
        f"\n## Phases of whole builds, size ({size}): {rounds} rounds of PM, reversed every "
        f"other round  [load {loadavg()}]"
    )
    times: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    cpus: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(rounds):
        for v in in_round(variants, r):
            config, site = str(repo / f"mkdocs-{v}.yml"), str(bench.sites / f"phases-{size}-{v}")
            run = measure(child("phases", config, site), repo, bench.env)
            got = phase_times(run, child_json(run))
            times[v].append(got)
            cpus[v].append(run.cpu)
            say(
                f"  round {r + 1} {v:5} "
                + "  ".join(f"{name} {got[name]:6.2f} s" for name, _ in PHASES)
                + f"  whole {run.wall:6.2f} s"
            )
    groups = [(name, [name]) for name, _ in PHASES] + [
        ("outside rendering", ["start", "pages", "end"]),
        ("whole build", [name for name, _ in PHASES]),
    ]
    plain_whole = [sum(t.values()) for t in times["plain"]]
    rows, out = [], {}
    for label, names in groups:
        plain = [sum(t[n] for n in names) for t in times["plain"]]
        ml = [sum(t[n] for n in names) for t in times["ml"]]
        diffs = [b - a for a, b in zip(plain, ml, strict=True)]
        shares = [100 * d / w for d, w in zip(diffs, plain_whole, strict=True)]
        out[label] = {
            "plain": plain,
            "ml": ml,
            "difference_s": median(diffs),
            "share_pct": median(shares),
            "share_rounds_pct": shares,
        }
        rows.append(
            [
                label,
                f"{median(plain):.2f} ({min(plain):.2f}-{max(plain):.2f})",
                f"{median(ml):.2f} ({min(ml):.2f}-{max(ml):.2f})",
                f"{median(diffs):+.2f} s ({min(diffs):+.2f} to {max(diffs):+.2f})",
                within(shares, 5)[0],
            ]
        )
    say(
        table(
            [
                "phase",
                "Material s (min-max)",
                "+ mlplugin s (min-max)",
                "difference, median of rounds (range)",
                "of that round's plain build, median (interval)",
            ],
            rows,
        )
    )
    for name, what in PHASES:
        say(f"  {name}: {what}")
    cpu_pct = 100 * (median([b / a for a, b in zip(cpus["plain"], cpus["ml"], strict=True)]) - 1)
    say(
        f"  CPU time of the whole builds (user + system, with git): {cpu_pct:+.1f}% (paired)\n"
        f"  interval: {CONFIDENCE:.0%} confidence for the median of the rounds, from their order "
        "alone (no assumption about how they spread); a phase whose interval spans zero is "
        "one these rounds cannot resolve"
    )
    bench.results["sections"]["phases"] = {
        "size": size,
        "phases": out,
        "outside_rendering_pct": out["outside rendering"]["share_pct"],
        "outside_rendering_rounds_pct": out["outside rendering"]["share_rounds_pct"],
        "overhead_pct": out["whole build"]["share_pct"],
        "overhead_rounds_pct": out["whole build"]["share_rounds_pct"],
        "cpu_overhead_pct": cpu_pct,
    }
