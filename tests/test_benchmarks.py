"""The benchmark's own measuring parts report what they measured."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path

from conftest import ROOT


@functools.cache
def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_cachegrind_totals_and_functions_merged_across_files(tmp_path: Path) -> None:
    # the shape valgrind 3.19 writes with --cache-sim=no: one Ir column, a function may
    # appear under several files (inlined code), and "fn=" repeats per file
    out = tmp_path / "ml.123.out"
    out.write_text(
        "desc: I1 cache:         32768 B, 64 B, 8-way associative\n"
        "cmd: /venv/bin/python -m mkdocs build -f mkdocs-ml.yml\n"
        "events: Ir\n"
        "fl=Python/ceval.c\n"
        "fn=_PyEval_EvalFrameDefault\n"
        "10 1000\n"
        "11 500\n"
        "fn=_PyFrame_Clear\n"
        "20 7\n"
        "fl=Include/object.h\n"
        "fn=_PyFrame_Clear\n"
        "5 3\n"
        "summary: 1510\n"
    )
    command, total, by_fn = _bench().cachegrind_file(out)
    assert command == "/venv/bin/python -m mkdocs build -f mkdocs-ml.yml"
    assert total == {"Ir": 1510}
    assert by_fn == {"_PyEval_EvalFrameDefault": 1500, "_PyFrame_Clear": 10}


def test_cachegrind_cache_model_events_by_name(tmp_path: Path) -> None:
    # --cache-sim=yes: nine events per line, the summary in the order of "events:"
    out = tmp_path / "plain.7.out"
    out.write_text(
        "cmd: git cat-file --batch\n"
        "events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw\n"
        "fl=main.c\n"
        "fn=main\n"
        "3 40 1 1 12 2 1 6 1 0\n"
        "4 60 0 0 8 1 0 4 0 0\n"
        "summary: 100 1 1 20 3 1 10 1 0\n"
    )
    command, totals, by_fn = _bench().cachegrind_file(out)
    assert command == "git cat-file --batch"
    assert totals == {
        "Ir": 100,
        "I1mr": 1,
        "ILmr": 1,
        "Dr": 20,
        "D1mr": 3,
        "DLmr": 1,
        "Dw": 10,
        "D1mw": 1,
        "DLmw": 0,
    }
    assert by_fn == {"main": 100}


def test_builds_at_once_each_run_on_its_own_cpu(tmp_path: Path) -> None:
    bench = _bench()
    cpus = sorted(os.sched_getaffinity(0))
    script = (
        "import os, sys, time\n"
        "time.sleep(float(sys.argv[1]))\n"
        "print(sorted(os.sched_getaffinity(0)))\n"
        "sys.exit(int(sys.argv[2]))\n"
    )
    # the first ends last: each run's numbers must still be its own
    cmds = [
        [sys.executable, "-c", script, f"{0.6 - 0.2 * i:.1f}", str(i)] for i in range(len(cpus))
    ]
    runs = bench.measure_together(cmds, tmp_path, dict(os.environ))
    assert [r.out.strip() for r in runs] == [f"[{c}]" for c in cpus]
    assert [r.rc for r in runs] == list(range(len(cpus)))
    assert runs[0].wall >= 0.6
    if len(cpus) > 1:
        assert runs[-1].wall < runs[0].wall
