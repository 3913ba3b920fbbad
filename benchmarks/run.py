"""The performance benchmarks of mkdocs-mlplugin, in one command.

    python benchmarks/run.py [--sizes a,b] [--repeat N] [--variants plain,ml,revdate]
                             [--sections builds,phases,together,paired,work,render-work,
                                         serve,serve-work,serve-paired,check,check-since,
                                         git,pipeline,tags,profile,plots]
                             [--work-cache] [--work-branches]
                             [--pages-with records|compare|plots]

Sections, one module each under benchmarks/sections/, whose top says what it measures and
whether it judges a README target (its JUDGES) or only diagnoses; --help lists them:

builds        sections/builds.py         plain, + mlplugin, + revision-date: whole builds
phases        sections/phases.py         the phases of whole builds, from MkDocs' command line
together      sections/together.py       plain and + mlplugin at the same moment, a CPU each
paired        sections/paired.py         both sites in one process, steps in chunks of pages
work          sections/work.py           instructions of both builds (valgrind)
render-work   sections/render_work.py    instructions of the rendering phase (valgrind)
pipeline      sections/pipeline.py       500- and 5,000-stage verdicts vs dvc status, dvc dag
tags          sections/tags.py           1,000 GTO tags vs gto show
serve         sections/serve.py          a serve-style rebuild after a page edit
serve-work    sections/serve_work.py     instructions of that rebuild (valgrind)
serve-paired  sections/serve_paired.py   that rebuild as paired makes builds (sections/paired.py)
check         sections/check.py          mkdocs-ml check vs mkdocs build
check-since   sections/check_since.py    mkdocs-ml check --since HEAD~100 vs mkdocs-ml check
git           sections/git.py            git processes per build
profile       sections/profile.py        where the plugin's time goes, in-process
plots         sections/plots.py          a page with five plots, and its serve-style rebuilds

Extras (phases, paired, work, render-work, serve, serve-work, serve-paired, check, check-since,
profile) run on (b) when it is among --sizes, else on the first size. --pages-with puts records
or comparisons on a tenth of that site's pages, or one page drawing five plots, for builds,
paired, serve-paired, work and check-since (the benchmarks of the documentation standard, of
comparisons and of plots); the other sections keep the default site. How the runs are made
and a timed
target judged: benchmarks/harness.py; the final table of targets: benchmarks/summary.py.
Everything generated goes to --workdir (default $TMPDIR/mkdocs-mlplugin-bench), nothing into
the project; raw numbers are written there as results-*.json.

The sections' children run this file too: ``run.py --_child KIND ARG...``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import PAGES_WITH  # noqa: E402
from harness import (  # noqa: E402
    VARIANT_NAMES,
    Bench,
    cachegrind_file,
    callgrind_span,
    child,
    child_json,
    descendants,
    loadavg,
    machine,
    measure,
    median_interval,
    say,
    wait_for,
    within,
)
from sections import (  # noqa: E402
    builds,
    check,
    check_since,
    git,
    paired,
    phases,
    pipeline,
    plots,
    profile,
    render_work,
    serve,
    serve_paired,
    serve_work,
    tags,
    together,
    work,
)
from sections.phases import PHASES, phase_times  # noqa: E402
from sections.serve_work import GIT_COUNTER  # noqa: E402
from sections.together import measure_together  # noqa: E402
from sections.work import say_branches  # noqa: E402
from summary import summary  # noqa: E402

#: the sections by their name on the command line, in the order --help lists them
MODULES = {
    "builds": builds,
    "phases": phases,
    "together": together,
    "paired": paired,
    "work": work,
    "render-work": render_work,
    "pipeline": pipeline,
    "tags": tags,
    "serve": serve,
    "serve-work": serve_work,
    "serve-paired": serve_paired,
    "check": check,
    "check-since": check_since,
    "git": git,
    "profile": profile,
    "plots": plots,
}
SECTIONS = tuple(MODULES)

#: what ``run.py --_child KIND ARG...`` runs, KIND by KIND
CHILDREN: dict[str, Callable[..., None]] = {
    "serve": serve.child_serve,
    "verdict": pipeline.child_verdict,
    "registry": tags.child_registry,
    "profile": profile.child_profile,
    "paired": paired.child_paired,
    "phases": phases.child_phases,
}

#: what tests/test_benchmarks.py reaches through this file
__all__ = [
    "GIT_COUNTER",
    "PHASES",
    "cachegrind_file",
    "callgrind_span",
    "child",
    "child_json",
    "descendants",
    "measure",
    "measure_together",
    "median_interval",
    "phase_times",
    "say_branches",
    "summary",
    "wait_for",
    "within",
]


def targets() -> str:
    """The sections, their modules and the README targets each one judges, for --help."""
    lines = ["sections: their module, and the README target each judges (or that it diagnoses)"]
    for name, module in MODULES.items():
        file = Path(module.__file__ or "").relative_to(HERE)
        judges = f"judges: {module.JUDGES}" if module.JUDGES else "diagnoses: judges no target"
        lines.append(f"  {name:13} {file}")
        lines += textwrap.wrap(judges, 92, initial_indent=" " * 16, subsequent_indent=" " * 18)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_child"]:
        kind, rest = argv[1], argv[2:]
        CHILDREN[kind](*rest)
        return 0
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog=targets(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="a,b", help="site sizes to build: a, b, c (default a,b)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of every comparison (default 3)"
    )
    parser.add_argument(
        "--variants", default="plain,ml,revdate", help="build variants (default all three)"
    )
    parser.add_argument(
        "--revdate-sizes",
        default="a,b",
        help="sizes at which revision-date-localized is built (default a,b: at (c) one build takes "
        "tens of minutes)",
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"any of {','.join(SECTIONS)}"
    )
    parser.add_argument(
        "--work-cache",
        action="store_true",
        help="the work section also simulates the caches (first level and L2): about 90 times "
        "slower than a build instead of 25",
    )
    parser.add_argument(
        "--work-branches",
        action="store_true",
        help="the work section also models a branch predictor and counts its mispredictions "
        "(slower than counting alone; a simple predictor, so an upper bound)",
    )
    parser.add_argument(
        "--pages-with",
        choices=PAGES_WITH,
        default="",
        help="builds, paired, serve-paired, work and check-since run on a site with this on "
        "10%% of its pages: records (decision, debt, runbook and datasheet records with verified links "
        "and review dates; mkdocs.yml with a require: standard and the registers) or compare "
        "(metrics-diff and params-diff blocks); or plots: one page drawing five plots (those "
        "of the plots section), its twin without them in the other sites; the other sections "
        "keep the default site",
    )
    parser.add_argument(
        "--workdir",
        default=str(Path(tempfile.gettempdir()) / "mkdocs-mlplugin-bench"),
        help="where generated repositories and built sites go",
    )
    args = parser.parse_args(argv)
    args.sizes = [s for s in args.sizes.split(",") if s]
    args.variants = [v for v in args.variants.split(",") if v]
    args.revdate_sizes = [s for s in args.revdate_sizes.split(",") if s]
    sections = [s for s in args.sections.split(",") if s]
    for s in args.sizes:
        if s not in ("a", "b", "c"):
            parser.error(f"unknown size {s!r}")
    for v in args.variants:
        if v not in VARIANT_NAMES:
            parser.error(f"unknown variant {v!r}")
    for s in sections:
        if s not in SECTIONS:
            parser.error(f"unknown section {s!r}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    started = time.perf_counter()
    bench = Bench(args)
    say("# mkdocs-mlplugin benchmarks")
    say(machine())
    say(
        f"workdir {bench.work}; sizes {','.join(args.sizes)}; repeat {args.repeat}; load {loadavg()}"
    )
    extra = "b" if "b" in args.sizes else args.sizes[0] if args.sizes else "a"
    if "builds" in sections:
        builds.section_builds(bench, args.sizes)
    if "phases" in sections:
        phases.section_phases(bench, extra)
    if "together" in sections:
        together.section_together(bench, args.sizes)
    if "paired" in sections:
        paired.section_paired(bench, extra)
    if "serve-paired" in sections:
        serve_paired.section_serve_paired(bench, extra)
    if "work" in sections:
        work.section_work(bench, extra)
    if "render-work" in sections:
        render_work.section_render_work(bench, extra)
    if "pipeline" in sections:
        pipeline.section_pipeline(bench)
    if "tags" in sections:
        tags.section_tags(bench)
    if "serve" in sections:
        serve.section_serve(bench, extra)
    if "serve-work" in sections:
        serve_work.section_serve_work(bench, extra)
    if "check" in sections:
        check.section_check(bench, extra)
    if "check-since" in sections:
        check_since.section_check_since(bench, extra)
    if "git" in sections:
        git.section_git(bench, args.sizes)
    if "profile" in sections:
        profile.section_profile(bench, extra)
    if "plots" in sections:
        plots.section_plots(bench, extra)
    summary(bench)
    elapsed = time.perf_counter() - started
    results = bench.work / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    bench.results["elapsed_s"] = elapsed
    results.write_text(json.dumps(bench.results, indent=2, default=str))
    say(f"\nall done in {elapsed / 60:.1f} min; raw numbers in {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
