"""git: git processes per build (GIT_TRACE), which must not grow with the site; and those of
git-revision-date-localized at (a), for comparison.

JUDGES: the git processes per build equal at every size.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import generate
from harness import VARIANT_NAMES, Bench, loadavg, say, table

JUDGES: str | None = "git processes per build equal at every size"


def git_processes(trace: Path) -> collections.Counter[str]:
    """git processes from a GIT_TRACE log: each logs one 'built-in' (or 'exec') line."""
    counts: collections.Counter[str] = collections.Counter()
    if not trace.exists():
        return counts
    for line in trace.read_text("utf-8", "replace").splitlines():
        m = re.search(r"trace: (?:built-in|exec): git[- ](\S+)", line)
        if m:
            counts[m.group(1)] += 1
    return counts


def section_git(bench: Bench, sizes: list[str]) -> None:
    say(f"\n## git processes per build (GIT_TRACE)  [load {loadavg()}]")
    rows = []
    totals: dict[str, int] = {}
    variants = [("ml", s) for s in sizes]
    if "a" in sizes and "revdate" in bench.args.variants:
        variants.append(("revdate", "a"))
    for variant, size in variants:
        repo = bench.repo(size)
        trace = bench.work / f"git-trace-{size}-{variant}.log"
        trace.unlink(missing_ok=True)
        run = bench.mkdocs_build(repo, variant, f"{size}-{variant}", env={"GIT_TRACE": str(trace)})
        counts = git_processes(trace)
        total = sum(counts.values())
        if variant == "ml":
            totals[size] = total
        spec = generate.SIZES[size]
        rows.append(
            [
                VARIANT_NAMES[variant],
                f"({size}) {spec.pages} pages",
                str(total),
                ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(counts.items())),
                "" if run.rc == 0 else f"exit {run.rc}",
            ]
        )
    say(table(["variant", "site", "git processes", "commands", ""], rows))
    if len(totals) > 1:
        same = len(set(totals.values())) == 1
        say(f"  mlplugin: same number of git processes at every size: {'yes' if same else 'NO'}")
    bench.results["sections"]["git"] = {"ml": totals}
