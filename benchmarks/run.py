"""The performance benchmarks of mkdocs-mlplugin, in one command.

    python benchmarks/run.py [--sizes a,b] [--repeat N] [--variants plain,ml,revdate]
                             [--sections builds,phases,together,paired,work,render-work,
                                         serve,serve-work,serve-paired,check,git,pipeline,
                                         tags,profile]
                             [--work-cache] [--work-branches]

Repositories come from benchmarks/generate.py (made once, kept in --workdir, remade when the
generator changes). The machine is shared and noisy, so every comparison runs side by side in
one process, alternating (ABCABC...), and is reported as medians and ratios. Each variant is
built once, untimed, before its timed rounds in a repository, and every build reads compiled
bytecode from one cache in --workdir, as an installed package would.

Sections:

builds    for each size, ``mkdocs build`` of the same pages with plain Material, + mlplugin,
          + git-revision-date-localized (creation dates on): median and min-max wall time,
          peak RSS (of the largest process, and the sampled peak of all the build's
          processes summed, by which the target is judged), overhead vs plain (wall time, and
          CPU time: user + system of the build and its git processes, which waiting on a busy
          machine does not inflate), how many times more overhead revision-date has, and the
          share of the machine's CPU time its hypervisor gave elsewhere meanwhile (steal,
          from /proc/stat)
phases    whole builds, plain and + mlplugin, from MkDocs' own command line in a child that
          stamps the time after the files and env events and before post_build: each phase's
          median, min-max and paired difference. The plugin reads git, DVC and the pages
          before rendering and writes the manifest after it, so the phases outside rendering
          hold its own work; in the rendering phase it adds only its theme overrides, the
          page.meta.ml it sets and clears, and the collector's walk over its objects, next
          to the machine's drift
together  for each size, the plain and the plugin's build started at the same moment, each
          pinned to its own CPU, the CPUs swapped every round: wall and CPU time per round, so
          that a change of the machine's speed falls on both builds (where it is the same on
          both CPUs)
paired    the same two builds, plain and + mlplugin, made in one process step by step as
          ``mkdocs build`` makes them, the page steps in alternating chunks of 25 pages: the
          time of each step, plain vs plugin, with the plugin's import; a drift of the
          machine's speed falls on both alike, so it resolves smaller differences than
          separate builds do (both sites held in one process slow every step a little)
work      the instructions the plain and the plugin's build execute (and their git
          processes), counted by valgrind's cachegrind without its cache model: a count that
          does not depend on the machine's speed or load, repeatable to about 0.1%, so both
          builds run at once; and the interpreter functions that account for the difference.
          Needs valgrind; a build runs about 25 times slower under it. With --work-cache,
          cachegrind also simulates this CPU's first-level caches and its L2 (as the last
          level), and the misses of each are printed: about 80 times slower. With
          --work-branches, cachegrind also models a branch predictor (a simple one: a modern
          CPU predicts better, so its counts are an upper bound) and prints the branches and
          mispredictions of each build
render-work
          the instructions of the rendering phase alone (after on_env, before post_build:
          every page's templates), plain vs plugin, counted by valgrind's callgrind switched
          on and off around it; both variants at once. Needs valgrind; the rendering runs about
          40 times slower under it
pipeline  the verdict of a 500-stage and a 5,000-stage pipeline (dvc.load_project +
          facts.reader.check_pipeline; again warm; again after a dvc.yaml edit, as ``mkdocs serve``
          rebuilds) vs ``dvc status`` and ``dvc dag``, and whether they agree
tags      1,000 GTO annotated tags: mkdocs_mlplugin.facts.registry.read_registry vs ``gto show``
serve     ``mkdocs serve``-style rebuild: build, edit one page, load_config + build again;
          the second build's time, plain vs plugin
serve-work
          the instructions of that rebuild alone (and of the git processes it starts),
          plain vs plugin, counted by valgrind's callgrind, switched on just before the
          rebuild and off after it with callgrind_control; both variants at once. Needs
          valgrind; the first build runs about 5 times slower under it, the rebuild about 40
serve-paired
          that rebuild made as the paired section makes builds: both sites in one process,
          built once untimed, the page edited, then each site rebuilt from a fresh
          load_config, step by step and in alternating chunks of pages
check     ``mkdocs-ml check`` vs ``mkdocs build`` with the plugin
git       git processes per build (GIT_TRACE), which must not grow with the site
profile   where the plugin's time goes, in-process: build phases (Markdown, Jinja templates,
          garbage collection) plain vs plugin, wall time and memory per hook, cProfile of the
          hooks only, a diagnostic build with page.meta emptied before the templates run, and
          the memory the plugin's imports cost

Extras (phases, paired, work, render-work, serve, serve-work, serve-paired, check, profile) run
on (b) when it is among --sizes, else on the first size.

A timed target is judged by the per-round overheads: a 95% interval for their median, from
their order alone (the k-th smallest to the k-th largest, k from the binomial distribution),
is MET when all of it is within the target, MISSED when none of it is, NOT SETTLED otherwise
or with fewer than 6 rounds. On a machine whose builds drift by a third between rounds, 31
rounds did not settle 5% at (b) (README, Performance).
Everything generated goes to --workdir (default $TMPDIR/mkdocs-mlplugin-bench), nothing into
the project; raw numbers are written there as results-*.json.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

PY = sys.executable
BIN = Path(sys.executable).parent
SECTIONS = (
    "builds",
    "phases",
    "together",
    "paired",
    "work",
    "render-work",
    "pipeline",
    "tags",
    "serve",
    "serve-work",
    "serve-paired",
    "check",
    "git",
    "profile",
)
VARIANT_NAMES = {
    "plain": "Material",
    "ml": "+ mlplugin",
    "revdate": "+ git-revision-date-localized",
}
TIMEOUT = 3600


# --------------------------------------------------------------------------- running things


@dataclasses.dataclass
class Run:
    wall: float  # seconds
    rss: float  # peak resident set size, MB (the process and the children it waited for)
    rc: int
    out: str
    err: str
    cpu: float = float("nan")  # user + system CPU seconds, the process and its reaped children
    steal: float = float("nan")  # % of the machine's CPU time the hypervisor gave elsewhere
    began: float = float("nan")  # CLOCK_MONOTONIC just before the process was started
    tree_rss: float = float("nan")  # peak of the process's and its descendants' RSS summed, MB


def descendants(parents: dict[int, int], root: int) -> set[int]:
    """ROOT and every process below it, from a {pid: parent pid} map."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for pid, parent in parents.items():
        children[parent].append(pid)
    tree, todo = {root}, [root]
    while todo:
        for child in children[todo.pop()]:
            if child not in tree:
                tree.add(child)
                todo.append(child)
    return tree


def process_parents() -> dict[int, int]:
    """{pid: parent pid} of every process now running, from /proc (empty elsewhere)."""
    parents = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    for name in names:
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_bytes()
            except OSError:
                continue  # ended meanwhile
            parents[int(name)] = int(stat.rsplit(b")", 1)[1].split()[1])  # after "(comm)"
    return parents


def resident_mb(pid: int) -> float:
    """A process's resident set size now, MB; 0 when it has ended."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * PAGE / 2**20


PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class TreeMemory:
    """The peak of the summed RSS of a process and all its descendants, sampled from /proc by
    a thread every INTERVAL seconds while the process runs (about 1 ms of one CPU per sample).

    ``os.wait4`` reports the largest single process; a build whose ``git log`` runs beside the
    Python process holds both at once, and this sees their sum. A sum of RSS counts pages two
    processes share twice; a sample can miss a peak shorter than the interval."""

    INTERVAL = 0.05

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            tree = descendants(process_parents(), self.pid)
            self.peak = max(self.peak, sum(resident_mb(pid) for pid in tree))
            self._stop.wait(self.INTERVAL)

    def stop(self) -> float:
        """Stop sampling (before the process is reaped) and return the peak, MB."""
        self._stop.set()
        self._thread.join()
        return self.peak


def cpu_ticks() -> tuple[int, int]:
    """The machine's (steal, total) CPU ticks so far, from /proc/stat; (0, 0) elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    return fields[7], sum(fields)


def measure(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = TIMEOUT) -> Run:
    """Run CMD and return its wall time, CPU time, peak RSS and the machine's steal time.

    Two peak RSS: ``os.wait4`` on that one child gives the kernel's maximum RSS of the largest
    of the process and the descendants it reaped (``getrusage(RUSAGE_CHILDREN)`` is a
    high-water mark over every child this process ever waited for, so after the first big
    build it could no longer tell one run from another); TreeMemory gives the peak of their
    sum, sampled."""
    os.sync()  # the previous run's writes are flushed now, not during this run
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        steal0, total0 = cpu_ticks()
        began = now()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        memory = TreeMemory(proc.pid)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet reaped
            tree_rss = memory.stop()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            memory.stop()
        wall = time.perf_counter() - start
        steal1, total1 = cpu_ticks()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall,
            usage.ru_maxrss / 1024,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_utime + usage.ru_stime,
            100 * (steal1 - steal0) / (total1 - total0) if total1 > total0 else float("nan"),
            began,
            max(tree_rss, usage.ru_maxrss / 1024),  # no sample may have caught its own peak
        )


def tool(name: str, module: str) -> list[str]:
    """A console script of this venv, or ``python -m`` of its module."""
    script = BIN / name
    return [str(script)] if script.exists() else [PY, "-m", module]


def in_round(items: list[Any], r: int) -> list[Any]:
    """ITEMS in the order of round R: reversed every other round, so that a drift of the
    machine's speed within a round weighs on every item alike."""
    return items if r % 2 == 0 else items[::-1]


def child(kind: str, *args: str) -> list[str]:
    return [PY, str(Path(__file__).resolve()), "--_child", kind, *args]


def child_json(run: Run) -> dict[str, Any]:
    if run.rc != 0:
        raise RuntimeError(f"child failed ({run.rc}):\n{run.err[-3000:]}")
    return json.loads(run.out.strip().splitlines()[-1])


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


#: how sure the interval around a median of per-round overheads is
CONFIDENCE = 0.95


def median_interval(values: list[float]) -> tuple[float, float] | None:
    """A distribution-free CONFIDENCE interval for the median of VALUES: the k-th smallest
    and the k-th largest, k the largest for which a fair coin shows fewer than k heads in
    len(VALUES) throws with probability at most (1 - CONFIDENCE) / 2. None for fewer than 6
    values, which no such k covers at 95%."""
    n, tail = len(values), (1 - CONFIDENCE) / 2
    k, below = 0, 0.0  # below: the probability of fewer than k heads
    while k < n // 2 and below + math.comb(n, k) / 2**n <= tail:
        below += math.comb(n, k) / 2**n
        k += 1
    if k == 0:
        return None
    ordered = sorted(values)
    return ordered[k - 1], ordered[n - k]


def within(pcts: list[float], limit: float) -> tuple[str, str]:
    """The measured cell and the verdict of 'overhead <= LIMIT %' from per-round PCTS: met
    when the whole interval around their median is within LIMIT, missed when none of it is,
    otherwise not settled (the rounds spread across the target)."""
    interval = median_interval(pcts)
    if interval is None:
        return f"{median(pcts):+.1f}% ({len(pcts)} rounds: too few)", "NOT SETTLED"
    low, high = interval
    cell = f"{median(pcts):+.1f}% ({CONFIDENCE:.0%}: {low:+.1f} to {high:+.1f})"
    return cell, "MET" if high <= limit else "MISSED" if low > limit else "NOT SETTLED"


def fmt_s(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join([line, rule, *body])


def say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- repositories


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.workdir).resolve()
        self.repos = self.work / "repos"
        self.sites = self.work / "sites"
        self.home = self.work / "home"
        self.repos.mkdir(parents=True, exist_ok=True)
        self.sites.mkdir(parents=True, exist_ok=True)
        self.env = generate.git_env(self.home)
        # Every build runs from compiled bytecode, as an installed package does (pip compiles
        # it): one cache in the workdir for all of them, written by each variant's warm-up
        # build, and read whatever PYTHONDONTWRITEBYTECODE the caller has set.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(self.work / "pycache")
        self.warmed: set[tuple[Path, str]] = set()
        self.results: dict[str, Any] = {"sections": {}}
        source = Path(generate.__file__).read_bytes()
        self.stamp = f"{generate.VERSION}-{hashlib.sha256(source).hexdigest()[:12]}"

    def repo(self, name: str) -> Path:
        """The generated repository NAME, made (or remade) when missing, stale or touched."""
        path = self.repos / name
        stamp_file = path / ".git" / "bench-stamp"
        fresh = stamp_file.is_file() and stamp_file.read_text() == self.stamp
        if fresh:
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=all"],
                cwd=path,
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
            )
            fresh = status.returncode == 0 and not status.stdout.strip()
        if not fresh:
            say(f"  generating '{name}' in {path} ...")
            info = generate.generate(name, path, self.home)
            stamp_file.write_text(self.stamp)
            say(
                f"  generated '{name}': {info['pages']} pages, {info['commits']} commits, "
                f"{info['stages']} stages in {info['dvc_yaml_files']} dvc.yaml files, "
                f"{info['tags']} tags, HEAD {info['head'][:12]}, in {info['seconds']} s"
            )
        return path

    def warm(self, repo: Path, variants: list[str]) -> str | None:
        """One untimed build of each variant not built yet in REPO: bytecode compiled, the
        pages and the git objects it reads in the page cache. The error of a failed build."""
        for variant in variants:
            if (repo, variant) in self.warmed:
                continue
            run = self.mkdocs_build(repo, variant, f"{repo.name}-{variant}")
            if run.rc != 0:
                return f"{variant} build of {repo.name} failed:\n{run.err[-2000:]}"
            self.warmed.add((repo, variant))
        return None

    def mkdocs_build(self, repo: Path, variant: str, site: str, env: dict | None = None) -> Run:
        cmd = [
            *tool("mkdocs", "mkdocs"),
            "build",
            "-f",
            str(repo / f"mkdocs-{variant}.yml"),
            "-d",
            str(self.sites / site),
        ]
        return measure(cmd, repo, {**self.env, **(env or {})})


def ml_summary(run: Run) -> str:
    """The plugin's one-line INFO summary of a build, or the last error lines."""
    found = re.findall(
        r"mlplugin: (\d+ references resolved on \d+ pages, .*?) in [\d.]+ s", run.err
    )
    if found:
        return found[-1]
    return run.err.strip().splitlines()[-1] if run.err.strip() else "(no output)"


# --------------------------------------------------------------------------- builds


def section_builds(bench: Bench, sizes: list[str]) -> None:
    args = bench.args
    out: dict[str, Any] = {}
    for size in sizes:
        spec = generate.SIZES[size]
        repo = bench.repo(size)
        variants = [v for v in args.variants if v != "revdate" or size in args.revdate_sizes]
        say(
            f"\n## Builds, size ({size}): {spec.pages} pages, {spec.commits} commits, "
            f"{spec.stages} stages, {spec.tags} tags; {args.repeat} rounds of "
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
        out[size] = stats
    bench.results["sections"]["builds"] = out


# --------------------------------------------------------------------------- phases

#: the phases of a build, between the moments child_phases stamps, and what each one holds
PHASES = (
    ("start", "start to on_files: Python, config, plugins, on_config, the files, on_files"),
    ("pages", "to on_env: nav, every page read, on_page_markdown, Markdown to HTML, on_env"),
    ("rendering", "to on_post_build: static files, every page's templates, anchors checked"),
    ("end", "on_post_build and the process's exit"),
)


def now() -> float:
    """CLOCK_MONOTONIC: one clock for this process and its children."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def handshake(signals: str, write: str, wait: str) -> None:
    """With SIGNALS (a directory; "" for none), write the file WRITE there and wait for WAIT:
    how a child lets the valgrind sections switch counting on or off (callgrind_span)."""
    if signals:
        (Path(signals) / write).touch()
        wait_for(Path(signals) / wait)


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


# --------------------------------------------------------------------------- builds at once


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
        timer = threading.Timer(TIMEOUT, lambda: [p.kill() for _, p in procs.values()])
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


# --------------------------------------------------------------------------- serve


def wait_for(path: Path, proc: subprocess.Popen | None = None, timeout: float = TIMEOUT) -> bool:
    """Wait until PATH exists; False if PROC ends first or TIMEOUT passes."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


SERVE_EDIT = b"\nEdited while serving.\n"  # what a serve-style rebuild adds to its page


def serve_page(repo: Path) -> Path:
    """The page the serve-style rebuilds edit."""
    return sorted((repo / "docs" / "s00").glob("*.md"))[1]


def child_serve(config: str, page: str, site_dir: str, signals: str = "") -> None:
    """Build, edit one page, build again with a fresh load_config (as ``mkdocs serve`` does).

    With SIGNALS (a directory), the rebuild waits for the file ``go`` there, after writing
    ``ready``, and the process waits for ``end`` after writing ``done``: the serve-work
    section turns valgrind's counting on and off in between."""
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    start = time.perf_counter()
    build(load_config(config, site_dir=site_dir))
    first = time.perf_counter() - start
    path = Path(page)
    original = path.read_bytes()
    try:
        path.write_bytes(original + SERVE_EDIT)
        handshake(signals, "ready", "go")
        start = time.perf_counter()
        build(load_config(config, site_dir=site_dir))
        second = time.perf_counter() - start
        handshake(signals, "done", "end")
    finally:
        path.write_bytes(original)
    print(json.dumps({"first": first, "second": second}))


def section_serve(bench: Bench, size: str) -> None:
    repo = bench.repo(size)
    page = serve_page(repo)
    say(
        f"\n## serve-style rebuild after editing {page.relative_to(repo)}, size ({size}); "
        f"{bench.args.repeat} rounds of plain/mlplugin, reversed every other round  "
        f"[load {loadavg()}]"
    )
    runs: dict[str, list[dict]] = {"plain": [], "ml": []}
    failed = bench.warm(repo, list(runs))
    if failed:
        say(f"  {failed}")
        return
    for r in range(bench.args.repeat):
        for v in in_round(list(runs), r):
            data = child_json(
                measure(
                    child(
                        "serve",
                        str(repo / f"mkdocs-{v}.yml"),
                        str(page),
                        str(bench.sites / f"serve-{size}-{v}"),
                    ),
                    repo,
                    bench.env,
                )
            )
            runs[v].append(data)
            say(
                f"  round {r + 1} {v:6} first {data['first']:7.2f} s  rebuild {data['second']:7.2f} s"
            )
    rows = []
    plain2 = [d["second"] for d in runs["plain"]]
    for v, data in runs.items():
        second = [d["second"] for d in data]
        ratios = [a / b for a, b in zip(second, plain2, strict=False)]
        rows.append(
            [
                VARIANT_NAMES[v],
                fmt_s(median([d["first"] for d in data])),
                fmt_s(median(second)),
                f"{fmt_s(min(second))}-{fmt_s(max(second))}",
                "" if v == "plain" else f"{(median(ratios) - 1) * 100:+.1f}%",
            ]
        )
    say(
        table(
            ["variant", "first build s", "rebuild s", "rebuild min-max", "rebuild overhead"], rows
        )
    )
    ratios = [a["second"] / b["second"] for a, b in zip(runs["ml"], runs["plain"], strict=False)]
    bench.results["sections"]["serve"] = {
        "size": size,
        "runs": runs,
        "overhead_pct": (median(ratios) - 1) * 100,
        "overhead_rounds_pct": [(x - 1) * 100 for x in ratios],
    }


def valgrind_outdir(bench: Bench, repo: Path, name: str) -> tuple[Path, str] | None:
    """An empty directory NAME in the workdir for valgrind's output, both variants warmed up
    in REPO, and valgrind's path; None, having said why, when valgrind is missing or a build
    fails."""
    valgrind = shutil.which("valgrind")
    if not (valgrind and shutil.which("callgrind_control")):
        say("  valgrind is not installed (e.g. apt-get install valgrind): skipped")
        return None
    failed = bench.warm(repo, ["plain", "ml"])
    if failed:
        say(f"  {failed}")
        return None
    outdir = bench.work / name
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    return outdir, valgrind


#: stands in for git on PATH in the serve-work section: the git processes started while the
#: rebuild is counted run under cachegrind, the others as they are
GIT_COUNTER = """#!/bin/sh
if [ -e "$MLBENCH_SIGNALS/go" ] && [ ! -e "$MLBENCH_SIGNALS/done" ]; then
  exec "$MLBENCH_VALGRIND" --tool=cachegrind --cache-sim=no --trace-children=yes \\
    "--cachegrind-out-file=$MLBENCH_SIGNALS/git.%p.out" "$MLBENCH_GIT" "$@"
fi
exec "$MLBENCH_GIT" "$@"
"""


def callgrind_span(
    cmd: list[str], repo: Path, env: dict[str, str], signals: Path
) -> dict[str, Any]:
    """Run CMD (valgrind's callgrind with counting off, writing SIGNALS/counted.out, around a
    child that writes ``ready`` and waits for ``go``, then writes ``done`` and waits for
    ``end``, all in SIGNALS) and count the instructions between ``go`` and ``done`` alone:
    ``callgrind_control`` turns counting on and off around them. Returns the count and the
    minutes before and during the counted span, or an error."""
    control = shutil.which("callgrind_control") or "callgrind_control"
    with (signals / "stdout").open("wb") as out, (signals / "stderr").open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=out, stderr=err)
        try:
            if not wait_for(signals / "ready", proc, 6 * TIMEOUT):
                return {"error": "the build under valgrind did not reach the counted part"}
            before = time.perf_counter() - start
            on = subprocess.run(
                [control, "--instr=on", str(proc.pid)], capture_output=True, text=True
            )
            if on.returncode != 0:
                return {"error": f"callgrind_control --instr=on failed: {on.stdout}{on.stderr}"}
            (signals / "go").touch()
            start = time.perf_counter()
            if not wait_for(signals / "done", proc, 6 * TIMEOUT):
                return {"error": "the counted part under valgrind did not finish"}
            span = time.perf_counter() - start
            subprocess.run([control, "--instr=off", str(proc.pid)], capture_output=True)
            (signals / "end").touch()
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if rc != 0:
        return {"error": f"failed ({rc}):\n{(signals / 'stderr').read_text()[-2000:]}"}
    return {
        "counted": cachegrind_file(signals / "counted.out")[1].get("Ir", 0),
        "before_wall": before,
        "span_wall": span,
    }


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
            valgrind,
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={signals / 'counted.out'}",
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

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        data = dict(zip(["plain", "ml"], pool.map(count, ["plain", "ml"]), strict=True))
    for variant, d in data.items():
        if "error" in d:
            say(f"  {variant}: {d['error']}")
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


def section_render_work(bench: Bench, size: str) -> None:
    """Instructions of the rendering phase alone (from after ``on_env`` to ``on_post_build``:
    static files, every page's templates, anchors checked), plain vs plugin, counted by
    callgrind switched on and off around it; both variants at once, PYTHONHASHSEED=0. The
    plugin's own work is outside this phase, so the difference is what it adds to Material's
    templates: its theme overrides, page.meta.ml set and cleared, the collector walking its
    objects."""
    repo = bench.repo(size)
    say(
        f"\n## Render work, size ({size}): instructions of the rendering phase, counted by "
        f"valgrind  [load {loadavg()}]"
    )
    found = valgrind_outdir(bench, repo, f"render-work-{size}")
    if found is None:
        return
    outdir, valgrind = found

    def count(variant: str) -> dict[str, Any]:
        signals = outdir / variant
        signals.mkdir()
        cmd = [
            valgrind,
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={signals / 'counted.out'}",
            *child(
                "phases",
                str(repo / f"mkdocs-{variant}.yml"),
                str(bench.sites / f"render-work-{size}-{variant}"),
                str(signals),
            ),
        ]
        return callgrind_span(cmd, repo, {**bench.env, "PYTHONHASHSEED": "0"}, signals)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        data = dict(zip(["plain", "ml"], pool.map(count, ["plain", "ml"]), strict=True))
    for variant, d in data.items():
        if "error" in d:
            say(f"  {variant}: {d['error']}")
            return
    say(
        table(
            ["variant", "rendering G instr.", "under valgrind: before it min, rendering min"],
            [
                [
                    VARIANT_NAMES[v],
                    f"{d['counted'] / 1e9:.2f}",
                    f"{d['before_wall'] / 60:.1f}, {d['span_wall'] / 60:.1f}",
                ]
                for v, d in data.items()
            ],
        )
    )
    overhead = (data["ml"]["counted"] / data["plain"]["counted"] - 1) * 100
    say(f"  rendering overhead in instructions: {overhead:+.2f}%")
    bench.results["sections"]["render-work"] = {"size": size, "overhead_pct": overhead, **data}


# --------------------------------------------------------------------------- paired phases

#: pages per chunk of the paired section: small enough that the machine's speed barely
#: changes between a chunk of one site and the same chunk of the other
PAIR_CHUNK = 25


def child_paired(
    plain_config: str, ml_config: str, site_root: str, first: str, page: str = ""
) -> None:
    """Both sites built in one process, step by step as ``mkdocs build`` runs them, the page
    steps in alternating chunks of PAIR_CHUNK pages (each chunk of the plain site next to the
    same chunk of the plugin's): a drift in the machine's speed, which between two separate
    builds here is as large as the difference sought, falls on both sites alike. FIRST names
    the variant that goes first in the first chunk and in the steps run once per site.

    With PAGE, the timed builds are ``mkdocs serve`` rebuilds: both sites are built once
    untimed, PAGE is edited (and put back at the end), and each site is built again from a
    fresh load_config, which keeps the plugin object as serve keeps it."""
    import logging

    from mkdocs.commands import build as mk
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    config_files = {"plain": plain_config, "ml": ml_config}
    order = ["plain", "ml"] if first == "plain" else ["ml", "plain"]

    def load(variant: str) -> Any:
        return load_config(config_files[variant], site_dir=f"{site_root}-{variant}")

    def setup(config: Any) -> dict[str, Any]:
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        mk.utils.clean_directory(config.site_dir)
        files = get_files(config)
        env = config.theme.get_env()
        files.add_files_from_theme(env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)
        docs = list(files.documentation_pages())
        for file in docs:
            if file.page is None:
                Page(None, file, config)
        return {"config": config, "files": files, "env": env, "nav": nav, "docs": docs}

    def build_both(configs: dict[str, Any], times: dict[str, dict[str, float]]) -> dict[str, int]:
        """Build both sites step by step, adding each step's seconds to TIMES; their pages."""

        def timed(variant: str, phase: str, func: Any, *args: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args)
            finally:
                spent = time.perf_counter() - start
                times[variant][phase] = times[variant].get(phase, 0.0) + spent

        sites: dict[str, dict[str, Any]] = {}

        def once(phase: str, func: Any) -> None:
            for v in order:
                timed(v, phase, func, sites[v])

        def chunked(phase: str, func: Any) -> None:
            def each(site: dict[str, Any], files: list[Any]) -> None:
                for file in files:
                    func(site, file)

            count = max(len(site["docs"]) for site in sites.values())
            for n, i in enumerate(range(0, count, PAIR_CHUNK)):
                for v in in_round(order, n):
                    timed(v, phase, each, sites[v], sites[v]["docs"][i : i + PAIR_CHUNK])

        for v in order:
            sites[v] = timed(v, "setup", setup, configs[v])
        chunked("pages read", lambda s, f: mk._populate_page(f.page, s["config"], s["files"]))

        def on_env(s: dict[str, Any]) -> None:
            s["env"] = s["config"].plugins.on_env(s["env"], config=s["config"], files=s["files"])

        def assets(s: dict[str, Any]) -> None:
            s["files"].copy_static_files()
            for template in s["config"].theme.static_templates:
                mk._build_theme_template(template, s["env"], s["files"], s["config"], s["nav"])
            for template in s["config"].extra_templates:
                mk._build_extra_template(template, s["files"], s["config"], s["nav"])

        once("on_env", on_env)
        once("assets", assets)
        chunked(
            "pages built",
            lambda s, f: mk._build_page(f.page, s["config"], s["docs"], s["nav"], s["env"]),
        )
        chunked(
            "anchors",
            lambda s, f: f.page.validate_anchor_links(
                files=s["files"], log_level=s["config"].validation.links.anchors
            ),
        )
        once("post_build", lambda s: s["config"].plugins.on_post_build(config=s["config"]))
        return {v: len(site["docs"]) for v, site in sites.items()}

    times: dict[str, dict[str, float]] = {"plain": {}, "ml": {}}
    configs = {"plain": load("plain")}
    # Material and MkDocs are imported by now; what the plugin's own import costs on top:
    times["plain"]["import"] = 0.0
    times["ml"]["import"] = preimport(("mkdocs_mlplugin.plugin",))
    configs["ml"] = load("ml")
    if not page:
        # Untimed: a first chunk of the plain site, so that neither timed site pays what only
        # the first build in a process pays (Pygments' lexers, Python-Markdown's extensions, ...)
        warm = setup(load_config(plain_config, site_dir=f"{site_root}-warm"))
        for file in warm["docs"][:PAIR_CHUNK]:
            mk._populate_page(file.page, warm["config"], warm["files"])
        for file in warm["docs"][:PAIR_CHUNK]:
            mk._build_page(file.page, warm["config"], warm["docs"], warm["nav"], warm["env"])
        del warm
        pages = build_both(configs, times)
    else:
        build_both(configs, {"plain": {}, "ml": {}})  # serve's first build, untimed: the warm-up
        path = Path(page)
        original = path.read_bytes()
        try:
            path.write_bytes(original + SERVE_EDIT)
            times = {"plain": {}, "ml": {}}  # a rebuild imports nothing
            pages = build_both({v: load(v) for v in order}, times)
        finally:
            path.write_bytes(original)
    print(json.dumps({"times": times, "pages": pages}))


def section_paired(bench: Bench, size: str, serve: bool = False) -> None:
    """The paired steps of whole builds, or with SERVE of serve-style rebuilds."""
    repo = bench.repo(size)
    name = "serve-paired" if serve else "paired"
    page = serve_page(repo) if serve else None
    what = f"serve-style rebuilds after editing {page.relative_to(repo)}" if page else "builds"
    say(
        f"\n## Paired {what}, size ({size}): both sites built in one process, pages in "
        f"alternating chunks of {PAIR_CHUNK}; {bench.args.repeat} rounds  [load {loadavg()}]"
    )
    failed = bench.warm(repo, ["plain", "ml"])
    if failed:
        say(f"  {failed}")
        return
    rounds: list[dict[str, Any]] = []
    for r in range(bench.args.repeat):
        first = in_round(["plain", "ml"], r)[0]
        run = measure(
            child(
                "paired",
                str(repo / "mkdocs-plain.yml"),
                str(repo / "mkdocs-ml.yml"),
                str(bench.sites / f"{name}-{size}"),
                first,
                *([str(page)] if page else []),
            ),
            repo,
            bench.env,
        )
        data = child_json(run)
        totals = {v: sum(data["times"][v].values()) for v in ("plain", "ml")}
        data["overhead_pct"] = (totals["ml"] / totals["plain"] - 1) * 100
        rounds.append(data)
        say(
            f"  round {r + 1} ({first} first): plain {totals['plain']:6.2f} s  "
            f"mlplugin {totals['ml']:6.2f} s  {data['overhead_pct']:+.1f}%"
        )
    rows = []
    for phase in rounds[0]["times"]["ml"]:  # the steps, in the order they ran
        plain = median([d["times"]["plain"].get(phase, 0.0) for d in rounds])
        ml = median([d["times"]["ml"].get(phase, 0.0) for d in rounds])
        rows.append([phase, fmt_s(plain), fmt_s(ml), f"{ml - plain:+.2f}"])
    say(table(["step", "Material s", "+ mlplugin s", "difference s"], rows))
    overheads = [d["overhead_pct"] for d in rounds]
    say(
        f"  overhead {median(overheads):+.1f}% (median; rounds "
        f"{', '.join(f'{x:+.1f}%' for x in overheads)}); pages "
        f"{rounds[0]['pages']['plain']} and {rounds[0]['pages']['ml']}"
    )
    bench.results["sections"][name] = {
        "size": size,
        "rounds": rounds,
        "overhead_pct": median(overheads),
    }


# --------------------------------------------------------------------------- work


def cachegrind_file(path: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    """(command, totals by event, instructions by function) of one cachegrind output file.
    The events are Ir alone with ``--cache-sim=no``, and the misses of each cache level too
    with ``--cache-sim=yes``; a function that appears under several files is summed. The
    totals of a callgrind file are read too (its functions are not)."""
    command, events, totals, by_fn = "", ["Ir"], {}, collections.Counter()
    fn = "?"
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line[:1].isdigit():
                counts = line.split(maxsplit=2)
                by_fn[fn] += int(counts[1]) if len(counts) > 1 else 0
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("cmd:"):
                command = line[4:].strip()
            elif line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                # callgrind writes both, and a summary of 0 when its counting was toggled
                values = [int(x) for x in line.split()[1:]]
                if any(values) or not totals:
                    totals = dict(zip(events, values, strict=False))
    return command, totals, dict(by_fn)


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
    repo = bench.repo(size)
    say(
        f"\n## Work, size ({size}): instructions executed by each build and its git processes, "
        f"counted by valgrind's cachegrind  [load {loadavg()}]"
    )
    found = valgrind_outdir(bench, repo, f"work-{size}")
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


# --------------------------------------------------------------------------- check vs build


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


# --------------------------------------------------------------------------- git processes


def git_processes(trace: Path) -> collections.Counter:
    """git processes from a GIT_TRACE log: each logs one 'built-in' (or 'exec') line."""
    counts: collections.Counter = collections.Counter()
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


# --------------------------------------------------------------------------- pipeline verdict


#: what the registry imports lazily, on its first call (the verdict imports nothing more: DVC's
#: own modules only for files outside the common forms, which the benchmark's projects do not
#: have, and git is run directly)
LAZY_REGISTRY = ("semver",)


def preimport(names: tuple[str, ...]) -> float:
    import importlib

    start = time.perf_counter()
    for name in names:
        importlib.import_module(name)
    return time.perf_counter() - start


def child_verdict(root: str) -> None:
    """The plugin's pipeline verdict, timed in a fresh process: imports, git reads,
    load_project, check_pipeline; then load_project + check_pipeline again (warm); then, as
    ``mkdocs serve`` rebuilds after dvc.yaml is edited, load_project (given the project read
    before) + check_pipeline once more. Wall and CPU time of each step."""
    start = time.perf_counter()
    from mkdocs_mlplugin import plugin  # noqa: F401  # its import is part of what is timed
    from mkdocs_mlplugin.facts import dvc, git
    from mkdocs_mlplugin.facts.reader import check_pipeline

    imported = time.perf_counter()
    steps: dict[str, float] = {}
    clock = [imported, time.process_time()]
    path = Path(root).resolve()
    repo = git.open_repo(path)
    facts = repo.facts()
    history = repo.history(["."])

    def step(name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        steps[name], steps[f"{name}_cpu"] = wall - clock[0], cpu - clock[1]
        clock[:] = [wall, cpu]

    step("git")
    project = dvc.load_project(path)
    step("load")
    verdicts = check_pipeline(project, repo, facts, history)
    step("check")
    project2 = dvc.load_project(path)
    step("warm_load")
    check_pipeline(project2, repo, facts, history)
    step("warm_check")
    dvc_yaml = path / "dvc.yaml"
    original = dvc_yaml.read_bytes()
    try:
        dvc_yaml.write_bytes(original + b"# edited\n")
        clock[:] = [time.perf_counter(), time.process_time()]
        project3 = dvc.load_project(path, previous=project2)
        step("edit_load")
        check_pipeline(project3, repo, facts, history)
        step("edit_check")
    finally:
        dvc_yaml.write_bytes(original)
    print(
        json.dumps(
            {
                "import": imported - start,
                **steps,
                "stages": len(project.stages),
                "reread": project3 is not project2,
                "edges": [list(e) for e in project.edges],
                "findings": len(project.findings),
                "stale": sorted(n for n, v in verdicts.items() if v.state == "stale"),
                "states": collections.Counter(v.state for v in verdicts.values()),
            }
        )
    )


def dvc_stale(status: dict[str, Any]) -> list[str]:
    """Stages `dvc status --json` calls changed for reasons git-kept files can show: a changed
    command, changed params, or a modified (not deleted: data is absent) dependency."""
    stale = []
    for name, items in status.items():
        if name.endswith(".dvc"):
            continue
        for item in items:
            if item == "changed command":
                stale.append(name)
                break
            if isinstance(item, dict):
                deps = item.get("changed deps", {})
                if any(isinstance(s, dict) or s == "modified" for s in deps.values()):
                    stale.append(name)
                    break
    return sorted(set(stale))


def section_pipeline(bench: Bench) -> None:
    bench.results["sections"]["pipeline"] = _pipeline_verdict(bench, "pipeline500")
    bench.results["sections"]["pipeline5000"] = _pipeline_verdict(bench, "pipeline5000")


def _pipeline_verdict(bench: Bench, name: str) -> dict[str, Any]:
    size = generate.SIZES[name]
    repo = bench.repo(name)
    files = len(list(repo.rglob("dvc.yaml")))
    say(
        f"\n## Pipeline verdict, {size.stages:,}-stage project "
        f"(foreach fan-outs, chains, {files} dvc.yaml files, {size.root_groups * 10} stages in "
        f"the root one, 2 stages left stale); {bench.args.repeat} rounds  [load {loadavg()}]"
    )
    dvc = tool("dvc", "dvc")
    commands = {
        "plugin": child("verdict", str(repo)),
        "dvc status": [*dvc, "status", "--json"],
        "dvc dag": [*dvc, "dag"],
        "dvc dag --dot": [*dvc, "dag", "--dot"],
    }
    runs: dict[str, list[Run]] = {k: [] for k in commands}
    for r in range(bench.args.repeat):
        for command, cmd in commands.items():
            run = measure(cmd, repo, bench.env)
            runs[command].append(run)
            if run.rc != 0:
                say(f"  {command} exited {run.rc}: {run.err[-800:]}")
        say(
            "  round "
            + str(r + 1)
            + "  "
            + "  ".join(f"{k} {v[-1].wall:.2f} s" for k, v in runs.items())
        )
    verdicts = [child_json(x) for x in runs["plugin"]]
    steps = ("git", "load", "check", "warm_load", "warm_check", "edit_load", "edit_check")
    v = {k: median([d[k] for d in verdicts]) for k in ("import", *steps)}
    cpu = {k: median([d[f"{k}_cpu"] for d in verdicts]) for k in steps}

    def both(*keys: str) -> str:
        return f"{fmt_s(sum(v[k] for k in keys))} (CPU {fmt_s(sum(cpu[k] for k in keys))})"

    rows = [
        [
            "plugin verdict: load_project + check_pipeline, 1st call in a fresh process (*)",
            both("load", "check"),
        ],
        ["  of which load_project", both("load")],
        ["  of which check_pipeline (ls-files, hashing sources, verdicts)", both("check")],
        ["plugin verdict again in the same process (warm)", both("warm_load", "warm_check")],
        [
            "plugin verdict after a dvc.yaml edit, as `mkdocs serve` rebuilds",
            both("edit_load", "edit_check"),
        ],
        ["plugin: import mkdocs_mlplugin.{dvc,git,plugin}", fmt_s(v["import"])],
        ["plugin: git facts + history (a build shares them with page dates)", both("git")],
        [
            "plugin: whole process wall (interpreter start to exit)",
            fmt_s(median([x.wall for x in runs["plugin"]])),
        ],
    ]
    for command in ("dvc status", "dvc dag", "dvc dag --dot"):
        rows.append([f"`{command}` wall", fmt_s(median([x.wall for x in runs[command]]))])
    say(table(["what", "median s"], rows))
    say(
        "  (*) git reads and `import mkdocs_mlplugin` excluded; the DVC modules the call imports "
        "on first use included, as a build pays them. CPU: the process's own CPU time, which a "
        "busy machine does not stretch as it stretches wall time"
    )
    first = verdicts[0]
    try:
        status = json.loads(runs["dvc status"][0].out)
        dvc_says = dvc_stale(status)
    except ValueError:
        status, dvc_says = {}, ["(dvc status output unreadable)"]
    dot = runs["dvc dag --dot"][0].out
    dot_edges = set(re.findall(r'"(.+?)" -> "(.+?)"', dot))
    plugin_edges = {tuple(e) for e in first["edges"]}
    say(f"  plugin states: {dict(first['states'])}; stale: {', '.join(first['stale']) or 'none'}")
    say(f"  dvc status: stale (command/params/modified deps): {', '.join(dvc_says) or 'none'}")
    say(f"  verdicts agree with dvc status: {'yes' if dvc_says == first['stale'] else 'NO'}")
    say(
        f"  edges: plugin {len(plugin_edges)}, `dvc dag --dot` {len(dot_edges)}, "
        f"identical: {'yes' if plugin_edges == dot_edges else 'NO'}"
    )
    say(f"  the edited dvc.yaml was read again: {'yes' if first['reread'] else 'NO'}")
    return {
        "stages": size.stages,
        "verdict_s": v["load"] + v["check"],
        "verdict_cpu_s": cpu["load"] + cpu["check"],
        "edit_s": v["edit_load"] + v["edit_check"],
        "edit_cpu_s": cpu["edit_load"] + cpu["edit_check"],
        "parts": v,
        "cpu": cpu,
        "process_s": median([x.wall for x in runs["plugin"]]),
        "dvc_status_s": median([x.wall for x in runs["dvc status"]]),
        "dvc_dag_s": median([x.wall for x in runs["dvc dag"]]),
        "dvc_dag_dot_s": median([x.wall for x in runs["dvc dag --dot"]]),
        "agree": dvc_says == first["stale"],
        "edges_identical": plugin_edges == dot_edges,
    }


# --------------------------------------------------------------------------- tags


def child_registry(root: str, pre: str = "0") -> None:
    lazy = preimport(LAZY_REGISTRY) if pre == "1" else None
    start = time.perf_counter()
    from mkdocs_mlplugin.facts import registry

    imported = time.perf_counter()
    result = registry.read_registry(Path(root).resolve())
    first = time.perf_counter()
    registry.read_registry(Path(root).resolve())
    second = time.perf_counter()
    artifacts = getattr(result, "artifacts", None)
    latest = (
        {name: a.get("latest") for name, a in artifacts.items() if isinstance(a, dict)}
        if isinstance(artifacts, dict)
        else None
    )
    print(
        json.dumps(
            {
                "lazy_imports": lazy,
                "import": imported - start,
                "read": first - imported,
                "read_again": second - first,
                "type": type(result).__name__,
                "tags": getattr(result, "tags", None),
                "latest": latest,
            }
        )
    )


def section_tags(bench: Bench) -> None:
    repo = bench.repo("tags1000")
    say(f"\n## Registry: {generate.SIZES['tags1000'].tags} GTO annotated tags  [load {loadavg()}]")
    probe = measure([PY, "-c", "import mkdocs_mlplugin.facts.registry"], repo, bench.env)
    available = probe.rc == 0
    gto = [*tool("gto", "gto"), "show", "--json"]
    runs: dict[str, list[Run]] = {"gto": []}
    if available:
        runs["registry"] = []
        runs["registry, imports first"] = []
    for _ in range(bench.args.repeat):
        if available:
            runs["registry"].append(measure(child("registry", str(repo)), repo, bench.env))
            runs["registry, imports first"].append(
                measure(child("registry", str(repo), "1"), repo, bench.env)
            )
        runs["gto"].append(measure(gto, repo, bench.env))
    gto_s = median([x.wall for x in runs["gto"]])
    result: dict[str, Any] = {"available": available, "gto_show_s": gto_s}
    if not available:
        say("  registry: not available in this version")
        say(f"  (for reference, `gto show --json` on the same repository: {fmt_s(gto_s)} s wall)")
    else:
        try:
            data = [child_json(x) for x in runs["registry"]]
            pre = [child_json(x) for x in runs["registry, imports first"]]
        except RuntimeError as exc:
            say(f"  registry: read_registry failed: {exc}")
            data = []
        if data:
            rows = [
                [
                    "read_registry(repo_root), 1st call in a fresh process (*)",
                    fmt_s(median([d["read"] for d in data])),
                ],
                [
                    f"read_registry with {', '.join(LAZY_REGISTRY)} imported beforehand",
                    fmt_s(median([d["read"] for d in pre])),
                ],
                ["  those imports", fmt_s(median([d["lazy_imports"] for d in pre]))],
                [
                    "read_registry again, same process",
                    fmt_s(median([d["read_again"] for d in data])),
                ],
                [
                    "import mkdocs_mlplugin.facts.registry",
                    fmt_s(median([d["import"] for d in data])),
                ],
                ["whole process wall", fmt_s(median([x.wall for x in runs["registry"]]))],
                ["`gto show --json` wall", fmt_s(gto_s)],
            ]
            say(table(["what", "median s"], rows))
            say(
                f"  (*) includes importing {', '.join(LAZY_REGISTRY)} on first use, as a build "
                "pays it"
            )
            latest = data[0]["latest"]
            say(
                f"  read_registry returned a {data[0]['type']}: {data[0]['tags']} tags, "
                f"{len(latest) if latest is not None else '?'} artifacts"
            )
            try:
                shown = json.loads(runs["gto"][0].out)
                gto_latest = {name: a.get("version") for name, a in shown.items()}
                same = latest == gto_latest
                say(
                    f"  latest version of every artifact agrees with `gto show`: {'yes' if same else 'NO'}"
                )
                result["agree"] = same
            except (ValueError, AttributeError):
                say("  (gto show output unreadable)")
            result |= {
                "read_s": median([d["read"] for d in data]),
                "read_preimported_s": median([d["read"] for d in pre]),
            }
    bench.results["sections"]["tags"] = result


# --------------------------------------------------------------------------- profile


def child_profile(config: str, site_dir: str, mode: str, dump: str) -> None:
    """One in-process build. MODE 'plain': phases only; 'time': also wall time and memory per
    plugin hook; 'profile': cProfile switched on inside the plugin's hooks only;
    'empty-meta': the plugin with page.meta emptied again before templates run."""
    import cProfile
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    hooks: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter = collections.Counter()
    memory: dict[str, float] = {}  # resident memory after the hook minus before
    raised: dict[str, float] = {}  # how much the hook raised the process's peak RSS
    profiler = cProfile.Profile() if mode == "profile" else None
    phases: dict[str, float] = collections.defaultdict(float)

    def phase(owner: Any, attr: str, label: str) -> None:
        """Accumulate the wall time of OWNER.ATTR (outermost calls only) under LABEL."""
        func = getattr(owner, attr)
        depth = [0]

        @functools.wraps(func)
        def timed(*a: Any, **k: Any) -> Any:
            depth[0] += 1
            start = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    phases[label] += time.perf_counter() - start

        setattr(owner, attr, timed)

    import gc

    gc_start: list[float] = []

    def gc_timer(event: str, info: dict) -> None:
        if event == "start":
            gc_start.append(time.perf_counter())
        elif gc_start:
            phases[f"garbage collection, generation {info['generation']}"] += (
                time.perf_counter() - gc_start.pop()
            )

    gc.callbacks.append(gc_timer)

    import jinja2
    from mkdocs.structure.pages import Page

    phase(jinja2.Template, "render", "templates (Jinja)")
    phase(Page, "render", "Markdown to HTML")
    if mode == "empty-meta":
        # Diagnostic, not a fix: page.meta as empty as in a plain build while the templates
        # run. The plugin's binding ('ml:' in front matter) is taken out after its last check,
        # and its facts are not published as page.meta.ml for the page's own templates (the
        # provenance footer then shows nothing).
        from mkdocs_mlplugin.plugin import MLPlugin

        on_env = MLPlugin.on_env

        @functools.wraps(on_env)
        def emptied(self: Any, env: Any, *, config: Any, files: Any) -> Any:
            result = on_env(self, env, config=config, files=files)
            for file in files.documentation_pages():
                if file.page is not None and set(file.page.meta) == {"ml"}:
                    del file.page.meta["ml"]
            self.published.clear()  # on_page_context and on_post_page then leave meta alone
            return result

        MLPlugin.on_env = emptied  # type: ignore[method-assign]
    if mode in ("time", "profile"):
        from mkdocs_mlplugin.plugin import MLPlugin

        for name, func in list(vars(MLPlugin).items()):
            if not name.startswith("on_") or not callable(func):
                continue

            def wrap(func: Any, name: str) -> Any:
                @functools.wraps(func)  # keeps mkdocs_priority
                def timed(self: Any, *a: Any, **k: Any) -> Any:
                    # memory is read outside the timed span: reading /proc costs about as
                    # much as a cheap hook
                    before = rss_now()
                    high = peak_rss()
                    if profiler:
                        profiler.enable()
                    start = time.perf_counter()
                    try:
                        return func(self, *a, **k)
                    finally:
                        hooks[name] += time.perf_counter() - start
                        if profiler:
                            profiler.disable()
                        calls[name] += 1
                        memory[name] = memory.get(name, 0.0) + rss_now() - before
                        raised[name] = raised.get(name, 0.0) + peak_rss() - high

                return timed

            setattr(MLPlugin, name, wrap(func, name))
    import resource

    start = time.perf_counter()
    config_obj = load_config(config, site_dir=site_dir)
    build(config_obj)
    total = time.perf_counter() - start
    if profiler:
        profiler.dump_stats(dump)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "total": total,
                "hooks": hooks,
                "calls": calls,
                "memory": memory,
                "raised": raised,
                "peak": peak,
                "phases": phases,
            }
        )
    )


def _median_profile(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-key medians of several child_profile results."""

    def per_key(field: str) -> dict[str, float]:
        keys = {k for r in runs for k in r[field]}
        return {k: median([r[field].get(k, 0.0) for r in runs]) for k in keys}

    return {
        "total": median([r["total"] for r in runs]),
        "peak": median([r["peak"] for r in runs]),
        "calls": runs[0]["calls"],
        **{field: per_key(field) for field in ("hooks", "memory", "raised", "phases")},
    }


def peak_rss() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now() -> float:
    """This process's resident set size now, MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def rss_of_imports(bench: Bench, modules: str, repo: Path) -> float:
    code = (
        f"import resource, {modules}; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    run = measure([PY, "-c", code], repo, bench.env)
    return float(run.out.strip()) if run.rc == 0 else float("nan")


def section_profile(bench: Bench, size: str) -> None:
    import pstats

    repo = bench.repo(size)
    failed = bench.warm(repo, ["plain", "ml"])
    if failed:
        say(f"  {failed}")
        return
    say(f"\n## Profile of the plugin, size ({size})  [load {loadavg()}]")
    dump = bench.work / f"profile-{size}.pstats"
    site = str(bench.sites / f"profile-{size}")

    def one(config: str, mode: str) -> dict[str, Any]:
        return child_json(
            measure(child("profile", str(repo / config), site, mode, str(dump)), repo, bench.env)
        )

    # One build is too noisy to attribute a second to a phase: the plain, timed and
    # empty-meta builds alternate over --repeat rounds, and each number is a median.
    order = [
        ("plain", "mkdocs-plain.yml"),
        ("time", "mkdocs-ml.yml"),
        ("empty-meta", "mkdocs-ml.yml"),
    ]
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode, _ in order}
    for r in range(bench.args.repeat):
        for mode, config in in_round(order, r):
            runs[mode].append(one(config, mode))
    one("mkdocs-ml.yml", "profile")  # cProfile of the hooks, written to DUMP
    say(f"  {bench.args.repeat} rounds of plain, timed and empty-meta builds, alternating; medians")
    plain, timed, empty = (_median_profile(runs[mode]) for mode, _ in order)
    hook_total = sum(timed["hooks"].values())
    say(
        f"  in-process build: plain {plain['total']:.2f} s, with mlplugin {timed['total']:.2f} s "
        f"(difference {timed['total'] - plain['total']:+.2f} s); inside the plugin's hooks "
        f"{hook_total:.2f} s; outside them (templates slowed by a non-empty page.meta, garbage "
        f"collection, the theme overrides, noise) {timed['total'] - plain['total'] - hook_total:+.2f} s"
    )
    labels = sorted(
        set(plain["phases"]) | set(timed["phases"]), key=lambda x: (x.startswith("garbage"), x)
    )

    def cells(label: str, get: Any) -> list[str]:
        a, b, c = get(plain), get(timed), get(empty)
        return [label, fmt_s(a), fmt_s(b), f"{b - a:+.2f} s", fmt_s(c), f"{c - a:+.2f} s"]

    say(
        table(
            [
                "build phase",
                "plain s",
                "mlplugin s",
                "difference",
                "mlplugin, empty page.meta s",
                "difference",
            ],
            [cells(label, lambda d, label=label: d["phases"].get(label, 0.0)) for label in labels]
            + [cells("whole build", lambda d: d["total"])],
        )
    )
    say(
        "  (phases overlap: garbage collection happens inside the others; the plugin's "
        "on_page_markdown runs before 'Markdown to HTML', not in it)"
    )
    rows = [
        [
            name,
            str(timed["calls"][name]),
            fmt_s(sec),
            f"{100 * sec / hook_total:.0f}%",
            f"{timed['memory'].get(name, 0):+.0f}",
            f"{timed['raised'].get(name, 0):+.0f}",
        ]
        for name, sec in sorted(timed["hooks"].items(), key=lambda kv: -kv[1])
        if sec >= 0.0005
    ]
    say(table(["hook", "calls", "wall s", "share", "RSS kept MB", "peak RSS raised MB"], rows))
    say(
        f"  peak RSS of the in-process build: plain {plain['peak']:.0f} MB, with mlplugin "
        f"{timed['peak']:.0f} MB ({timed['peak'] - plain['peak']:+.0f} MB)"
    )

    stats = pstats.Stats(str(dump)).stats  # type: ignore[attr-defined]
    prof_total = sum(tt for (_, _, tt, _, _) in stats.values())
    scale = hook_total / prof_total if prof_total else 1.0

    def label(key: tuple) -> str:
        file, line, func = key
        return f"{func} ({_short(file)}:{line})" if file != "~" else func

    say(
        f"  cProfile inside the hooks: {prof_total:.2f} s profiled; seconds below are scaled to "
        f"the unprofiled hook time (x{scale:.2f})"
    )
    by_tt = sorted(stats.items(), key=lambda kv: -kv[1][2])[:10]
    say("  top 10 by own time:")
    say(
        table(
            ["function", "calls", "own s", "cumulative s"],
            [[label(k), str(v[1]), fmt_s(v[2] * scale), fmt_s(v[3] * scale)] for k, v in by_tt],
        )
    )
    ours = [
        (k, v) for k, v in stats.items() if "mkdocs_mlplugin" in k[0] and k[2] not in ("timed",)
    ]
    by_ct = sorted(ours, key=lambda kv: -kv[1][3])[:15]
    say("  top 15 plugin functions by cumulative time:")
    say(
        table(
            ["function", "calls", "cumulative s", "share of hooks"],
            [
                [label(k), str(v[1]), fmt_s(v[3] * scale), f"{100 * v[3] / prof_total:.0f}%"]
                for k, v in by_ct
            ],
        )
    )
    base = rss_of_imports(bench, "mkdocs.commands.build, material", repo)
    plugin = rss_of_imports(
        bench,
        "mkdocs.commands.build, material, mkdocs_mlplugin.plugin, semver",
        repo,
    )
    say(
        f"  peak RSS of imports alone: mkdocs + material {base:.0f} MB; + the plugin and what it "
        f"imports (semver) {plugin:.0f} MB "
        f"({plugin - base:+.0f} MB)"
    )
    bench.results["sections"]["profile"] = {
        "plain_total": plain["total"],
        "ml_total": timed["total"],
        "hooks": timed["hooks"],
        "phases": {"plain": plain["phases"], "ml": timed["phases"], "empty_meta": empty["phases"]},
        "empty_meta_total": empty["total"],
        "import_rss_mb": plugin - base,
        "pstats": str(dump),
    }


# --------------------------------------------------------------------------- summary


def summary(bench: Bench) -> None:
    s = bench.results["sections"]
    lines = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("MET" if ok else "MISSED")

    def timed(
        target: str, size: str, pcts: list[float] | None, limit: float, extra: str = ""
    ) -> None:
        """A wall-time target at SIZE, judged by the interval around the median of its rounds.
        The issue sets the 5% at (b) and (c): at (a) the fixed cost of a build dominates."""
        if pcts is None:
            lines.append([target, "n/a", verdict(None)])
        else:
            cell, said = within(pcts, limit)
            lines.append([target, cell + extra, said if size != "a" else "(no target)"])

    builds = s.get("builds", {})
    for size in ("b", "c"):
        timed(
            f"mlplugin overhead <= 5% at ({size})",
            size,
            builds.get(size, {}).get("ml", {}).get("overhead_rounds_pct"),
            5,
        )
    for size, found in s.get("together", {}).items():
        timed(
            f"mlplugin overhead <= 5% at ({size}), builds at once",
            size,
            found["ml"]["overhead_rounds_pct"],
            5,
            f"; CPU {found['ml']['cpu_overhead_pct']:+.1f}%",
        )
    phases = s.get("phases")
    if phases:
        timed(
            f"mlplugin overhead <= 5% at ({phases['size']}), whole builds (phases)",
            phases["size"],
            phases["overhead_rounds_pct"],
            5,
        )
        timed(
            f"mlplugin overhead <= 5% at ({phases['size']}), outside rendering",
            phases["size"],
            phases["outside_rendering_rounds_pct"],
            5,
        )
    paired = s.get("paired")
    if paired:
        timed(
            f"mlplugin overhead <= 5% at ({paired['size']}), paired steps",
            paired["size"],
            [d["overhead_pct"] for d in paired["rounds"]],
            5,
        )
    work = s.get("work")
    if work:  # counted, not timed: one run says it
        pct = work["overhead_with_git_pct"]
        lines.append(
            [
                f"mlplugin overhead <= 5% at ({work['size']}), instructions",
                f"{pct:+.1f}%",
                verdict(pct <= 5) if work["size"] != "a" else "(no target)",
            ]
        )
    ratio = builds.get("b", {}).get("revdate_over_ml")
    lines.append(
        [
            "revision-date overhead >= 10x mlplugin's at (b)",
            "n/a" if ratio is None else f"{ratio:.1f}x",
            verdict(None if ratio is None else ratio >= 10),
        ]
    )
    timed(
        f"serve rebuild <= 10% over plain ({s.get('serve', {}).get('size', '-')})",
        "",  # the issue sets it at any size
        s.get("serve", {}).get("overhead_rounds_pct"),
        10,
    )
    serve_paired = s.get("serve-paired")
    if serve_paired:
        timed(
            f"serve rebuild <= 10% over plain ({serve_paired['size']}), paired",
            "",
            [d["overhead_pct"] for d in serve_paired["rounds"]],
            10,
        )
    counted = s.get("serve-work")
    if counted:
        pct = counted["overhead_with_git_pct"]
        lines.append(
            [
                f"serve rebuild <= 10% over plain ({counted['size']}), instructions",
                f"{pct:+.1f}%",
                verdict(pct <= 10),
            ]
        )
    pipe = s.get("pipeline", {}).get("verdict_s")
    lines.append(
        [
            "500-stage verdict < 1 s",
            "n/a" if pipe is None else f"{pipe:.2f} s",
            verdict(None if pipe is None else pipe < 1),
        ]
    )
    large = s.get("pipeline5000", {})
    for what, key in (("verdict", "verdict"), ("rebuild after a dvc.yaml edit", "edit")):
        wall, cpu = large.get(f"{key}_s"), large.get(f"{key}_cpu_s")
        lines.append(
            [
                f"5,000-stage {what} <= 2 s",
                "n/a" if wall is None else f"{wall:.2f} s (CPU {cpu:.2f} s)",
                verdict(None if wall is None else wall <= 2),
            ]
        )
    tags = s.get("tags", {})
    read = tags.get("read_s")
    lines.append(
        [
            "1,000 tags < 0.5 s",
            "registry not available"
            if tags and not tags.get("available")
            else ("n/a" if read is None else f"{read:.2f} s"),
            verdict(None if read is None else read < 0.5),
        ]
    )
    rss = builds.get("c", {}).get("ml", {}).get("tree_rss_over_mb")
    lines.append(
        [
            "peak RSS overhead < 100 MB at (c), all processes",
            "n/a" if rss is None else f"{rss:+.0f} MB",
            verdict(None if rss is None else rss < 100),
        ]
    )
    check = s.get("check", {}).get("speedup")
    lines.append(
        [
            f"mkdocs-ml check noticeably faster than build ({s.get('check', {}).get('size', '-')})",
            "n/a" if check is None else f"{check:.1f}x",
            verdict(None if check is None else check >= 1.5),
        ]
    )
    git = s.get("git", {}).get("ml", {})
    lines.append(
        [
            "git processes per build equal at every size",
            ", ".join(f"({k}) {v}" for k, v in git.items()) or "n/a",
            verdict(None if len(git) < 2 else len(set(git.values())) == 1),
        ]
    )
    say("\n## Targets")
    say(table(["target", "measured", "verdict"], lines))


# --------------------------------------------------------------------------- main


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    from importlib import metadata

    for dist in (
        "mkdocs",
        "mkdocs-material",
        "mkdocs-mlplugin",
        "mkdocs-git-revision-date-localized-plugin",
        "dvc",
        "gto",
    ):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    git = subprocess.run(
        ["git", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}; "
        f"Python {platform.python_version()}; {git}\n{'; '.join(versions)}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_child"]:
        kind, rest = argv[1], argv[2:]
        {
            "serve": child_serve,
            "verdict": child_verdict,
            "registry": child_registry,
            "profile": child_profile,
            "paired": child_paired,
            "phases": child_phases,
        }[kind](*rest)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
        section_builds(bench, args.sizes)
    if "phases" in sections:
        section_phases(bench, extra)
    if "together" in sections:
        section_together(bench, args.sizes)
    if "paired" in sections:
        section_paired(bench, extra)
    if "serve-paired" in sections:
        section_paired(bench, extra, serve=True)
    if "work" in sections:
        section_work(bench, extra)
    if "render-work" in sections:
        section_render_work(bench, extra)
    if "pipeline" in sections:
        section_pipeline(bench)
    if "tags" in sections:
        section_tags(bench)
    if "serve" in sections:
        section_serve(bench, extra)
    if "serve-work" in sections:
        section_serve_work(bench, extra)
    if "check" in sections:
        section_check(bench, extra)
    if "git" in sections:
        section_git(bench, args.sizes)
    if "profile" in sections:
        section_profile(bench, extra)
    summary(bench)
    elapsed = time.perf_counter() - started
    results = bench.work / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    bench.results["elapsed_s"] = elapsed
    results.write_text(json.dumps(bench.results, indent=2, default=str))
    say(f"\nall done in {elapsed / 60:.1f} min; raw numbers in {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
