"""Running and timing things for the benchmark sections of benchmarks/run.py.

Repositories come from benchmarks/generate.py (made once, kept in --workdir, remade when the
generator changes). The machine is shared and noisy, so every comparison runs side by side in
one process, alternating (ABCABC...), and is reported as medians and ratios. Each variant is
built once, untimed, before its timed rounds in a repository, and every build reads compiled
bytecode from one cache in --workdir, as an installed package would.

A timed target is judged by the per-round overheads: a 95% interval for their median, from
their order alone (the k-th smallest to the k-th largest, k from the binomial distribution),
is MET when all of it is within the target, MISSED when none of it is, NOT SETTLED otherwise
or with fewer than 6 rounds. On a machine whose builds drift by a third between rounds, 31
rounds did not settle 5% at (b) (benchmarks/RESULTS.md).

Here: running a process and measuring it (wall and CPU time, peak RSS of the largest process
and of all of them summed, the machine's steal time), the children that run.py starts for the
sections (``run.py --_child KIND ...``) and the files by which they signal, medians and their
intervals, the MET / MISSED / NOT SETTLED verdicts, tables, the generated repositories
(Bench), and the valgrind helpers several sections share.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import dataclasses
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import generate

HERE = Path(__file__).resolve().parent
#: the script the sections' children run: ``run.py --_child KIND ...``
RUN_PY = HERE / "run.py"
PY = sys.executable
BIN = Path(sys.executable).parent
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
    return [PY, str(RUN_PY), "--_child", kind, *args]


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
        self.warm_runs: dict[tuple[Path, str], Run] = {}  # each variant's warm-up build
        self.results: dict[str, Any] = {"sections": {}}
        source = Path(generate.__file__).read_bytes()
        self.stamp = f"{generate.VERSION}-{hashlib.sha256(source).hexdigest()[:12]}"

    def repo(self, name: str, pages_with: str = "") -> Path:
        """The generated repository NAME, made (or remade) when missing, stale or touched;
        with PAGES_WITH (generate.PAGES_WITH), its variant with records or comparisons on a
        tenth of its pages, or a page of five plots, kept beside it."""
        path = self.repos / (f"{name}-{pages_with}" if pages_with else name)
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
            info = generate.generate(name, path, self.home, pages_with)
            stamp_file.write_text(self.stamp)
            with_ = f" ({info['chosen']} with {pages_with})" if pages_with else ""
            say(
                f"  generated '{path.name}': {info['pages']} pages{with_}, {info['commits']} commits, "
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
            self.warm_runs[repo, variant] = run
        return None

    def findings(self, repo: Path) -> str:
        """The plugin's summary of its findings in REPO's warm-up build ("N findings (M
        errors)"), and its error lines; "" when that build has not run here."""
        run = self.warm_runs.get((repo, "ml"))
        if run is None:
            return ""
        said = [line for line in run.err.splitlines() if "findings (" in line]
        errors = [line.strip() for line in run.err.splitlines() if line.startswith("ERROR")]
        return "\n".join([*said[-1:], *errors[:10]]) or "the build logged no summary"

    def mkdocs_build(
        self, repo: Path, variant: str, site: str, env: dict[str, str] | None = None
    ) -> Run:
        cmd = [
            *tool("mkdocs", "mkdocs"),
            "build",
            "-f",
            str(repo / f"mkdocs-{variant}.yml"),
            "-d",
            str(self.sites / site),
        ]
        return measure(cmd, repo, {**self.env, **(env or {})})


# --------------------------------------------------------------------------- children


def now() -> float:
    """CLOCK_MONOTONIC: one clock for this process and its children."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def handshake(signals: str, write: str, wait: str) -> None:
    """With SIGNALS (a directory; "" for none), write the file WRITE there and wait for WAIT:
    how a child lets the valgrind sections switch counting on or off (callgrind_span)."""
    if signals:
        (Path(signals) / write).touch()
        wait_for(Path(signals) / wait)


def wait_for(
    path: Path, proc: subprocess.Popen[Any] | None = None, timeout: float = TIMEOUT
) -> bool:
    """Wait until PATH exists; False if PROC ends first or TIMEOUT passes."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def preimport(names: tuple[str, ...]) -> float:
    import importlib

    start = time.perf_counter()
    for name in names:
        importlib.import_module(name)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- valgrind


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


def callgrind_off(valgrind: str, signals: Path) -> list[str]:
    """The start of a command that runs under callgrind with its counting off until
    callgrind_span turns it on, writing its count to SIGNALS/counted.out."""
    return [
        valgrind,
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={signals / 'counted.out'}",
    ]


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


def both_at_once(count: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """COUNT(variant) of the plain and the plugin's build at once, in two threads, by variant;
    None, having said why, when either returned an error."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        data = dict(zip(["plain", "ml"], pool.map(count, ["plain", "ml"]), strict=True))
    for variant, d in data.items():
        if "error" in d:
            say(f"  {variant}: {d['error']}")
            return None
    return data


def cachegrind_file(path: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    """(command, totals by event, instructions by function) of one cachegrind output file.
    The events are Ir alone with ``--cache-sim=no``, and the misses of each cache level too
    with ``--cache-sim=yes``; a function that appears under several files is summed. The
    totals of a callgrind file are read too (its functions are not)."""
    command, events = "", ["Ir"]
    totals: dict[str, int] = {}
    by_fn: collections.Counter[str] = collections.Counter()
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


# --------------------------------------------------------------------------- the machine


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
