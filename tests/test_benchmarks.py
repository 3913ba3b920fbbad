"""The benchmark's own measuring parts report what they measured."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
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


def test_branch_model_events_and_mispredictions_per_instruction(tmp_path: Path, capsys) -> None:
    # --branch-sim=yes (cache model off): Ir, then conditional and indirect branches and the
    # mispredictions of each
    bench = _bench()
    events = {}
    for name, summary in (("plain", "2000 300 30 100 10"), ("ml", "4000 500 60 300 60")):
        out = tmp_path / f"{name}.1.out"
        out.write_text(
            "cmd: /venv/bin/python -m mkdocs build\n"
            "events: Ir Bc Bcm Bi Bim\n"
            "fl=Python/ceval.c\n"
            "fn=_PyEval_EvalFrameDefault\n"
            f"10 {summary}\n"
            f"summary: {summary}\n"
        )
        events[name] = {"events": bench.cachegrind_file(out)[1]}
    assert events["ml"]["events"] == {"Ir": 4000, "Bc": 500, "Bcm": 60, "Bi": 300, "Bim": 60}
    bench.say_branches(events["plain"], events["ml"])
    body = [line.split() for line in capsys.readouterr().out.splitlines()[3:]]
    # event, plain M, plugin M, growth, then plain -> plugin per 1,000 instructions
    assert body == [
        ["conditional", "branches", "0.0", "0.0", "+66.7%", "150.000", "->", "125.000"],
        ["mispredicted", "0.0", "0.0", "+100.0%", "15.000", "->", "15.000"],
        ["indirect", "branches", "0.0", "0.0", "+200.0%", "50.000", "->", "75.000"],
        ["mispredicted", "0.0", "0.0", "+500.0%", "5.000", "->", "15.000"],
    ]


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


def test_callgrind_totals_when_counting_was_toggled(tmp_path: Path) -> None:
    # callgrind 3.19 with --instr-atstart=no and counting switched on later: the summary it
    # writes at the top is 0, the real count is in the totals at the end
    out = tmp_path / "rebuild.out"
    out.write_text(
        "# callgrind format\n"
        "version: 1\n"
        "creator: callgrind-3.19.0\n"
        "cmd:  /venv/bin/python run.py --_child serve mkdocs-ml.yml\n"
        "positions: line\n"
        "events: Ir\n"
        "summary: 0\n"
        "fl=(1) Python/ceval.c\n"
        "fn=(1) _PyEval_EvalFrameDefault\n"
        "10 6000\n"
        "totals: 6513938436\n"
    )
    command, totals, _ = _bench().cachegrind_file(out)
    assert command == "/venv/bin/python run.py --_child serve mkdocs-ml.yml"
    assert totals == {"Ir": 6513938436}


def test_git_goes_to_the_counter_only_while_the_rebuild_is_counted(tmp_path: Path) -> None:
    counter = tmp_path / "git"
    counter.write_text(_bench().GIT_COUNTER)
    counter.chmod(0o755)
    # stands in for valgrind: says how it was called
    fake = tmp_path / "valgrind"
    fake.write_text('#!/bin/sh\necho "counted: $*"\n')
    fake.chmod(0o755)
    signals = tmp_path / "signals"
    signals.mkdir()
    env = {
        **os.environ,
        "MLBENCH_SIGNALS": str(signals),
        "MLBENCH_VALGRIND": str(fake),
        "MLBENCH_GIT": shutil.which("git"),
    }

    def run() -> str:
        return subprocess.run(
            [str(counter), "--version"], env=env, capture_output=True, text=True, check=True
        ).stdout

    assert run().startswith("git version")  # the first build: git as it is
    (signals / "go").touch()
    counted = run()  # the rebuild
    assert counted.startswith("counted: --tool=cachegrind ")
    assert f"--cachegrind-out-file={signals}/git.%p.out {shutil.which('git')} --version" in counted
    (signals / "done").touch()
    assert run().startswith("git version")  # after it


def _signalled_child(kind: str, *args: str) -> subprocess.Popen:
    """The benchmark's child KIND, started as the valgrind sections start it."""
    return subprocess.Popen(
        _bench().child(kind, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_serve_child_waits_for_its_signals_around_the_rebuild(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "index.md"
    page.write_text("# Home\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\n")
    signals = tmp_path / "signals"
    signals.mkdir()
    site = tmp_path / "site"
    child = _signalled_child("serve", str(config), str(page), str(site), str(signals))
    try:
        assert _bench().wait_for(signals / "ready", child, timeout=120)
        assert "Edited while serving." in page.read_text()  # edited before the rebuild
        assert "Edited while serving." not in (site / "index.html").read_text()
        time.sleep(1)
        assert not (signals / "done").exists()  # the rebuild waits for "go"
        (signals / "go").touch()
        assert _bench().wait_for(signals / "done", child, timeout=120)
        assert "Edited while serving." in (site / "index.html").read_text()
        time.sleep(0.5)
        assert child.poll() is None  # and the process for "end"
        (signals / "end").touch()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    times = json.loads(out.strip().splitlines()[-1])
    assert times["first"] > 0 and times["second"] > 0
    assert page.read_text() == "# Home\n"  # the page as it was


def test_phases_child_puts_each_hook_s_time_in_its_phase(tmp_path: Path) -> None:
    # a hooks file that sleeps in one event of each phase: each sleep must land in its phase
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n")
    (tmp_path / "hooks.py").write_text(
        "import time\n"
        "def on_config(config):\n    time.sleep(0.2)\n"
        "def on_page_markdown(markdown, page, config, files):\n    time.sleep(0.4)\n"
        "def on_page_context(context, page, config, nav):\n    time.sleep(0.6)\n"
        "def on_post_build(config):\n    time.sleep(0.8)\n"
    )
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nhooks:\n  - hooks.py\n")
    bench = _bench()
    site = tmp_path / "site"
    run = bench.measure(bench.child("phases", str(config), str(site)), tmp_path, dict(os.environ))
    times = bench.phase_times(run, bench.child_json(run))
    assert list(times) == [name for name, _ in bench.PHASES]
    assert times["start"] >= 0.2
    assert times["pages"] >= 0.4
    assert times["rendering"] >= 0.6
    assert times["end"] >= 0.8
    assert abs(sum(times.values()) - run.wall) < 1e-6
    assert "Home" in (site / "index.html").read_text()


def test_median_interval_covers_the_median_about_as_often_as_it_says() -> None:
    # skewed rounds (an exponential's median is ln 2): the interval must hold the true median
    # in about 95% of runs, neither less (too narrow) nor nearly always (min to max)
    bench = _bench()
    rng = random.Random(6)  # noqa: S311 - repeatable samples, not secrets
    for n in (6, 9, 31):
        hits = 0
        for _ in range(2000):
            low, high = bench.median_interval([rng.expovariate(1) for _ in range(n)])
            hits += low <= math.log(2) <= high
        assert 0.94 <= hits / 2000 <= (0.99 if n > 6 else 1), (n, hits)


def test_median_interval_needs_six_rounds_and_uses_order_statistics() -> None:
    bench = _bench()
    assert bench.median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) is None
    assert bench.median_interval([6.0, 1.0, 5.0, 2.0, 4.0, 3.0]) == (1.0, 6.0)
    assert bench.median_interval([float(x) for x in reversed(range(31))]) == (9.0, 21.0)


def test_timed_targets_are_judged_by_the_interval(capsys) -> None:
    bench = _bench()
    assert bench.within([1.0, 2.0, 3.0, 2.5, 1.5, 4.9], 5)[1] == "MET"
    assert bench.within([1.0, 2.0, 3.0, 2.5, 1.5, 5.1], 5)[1] == "NOT SETTLED"
    assert bench.within([6.0, 7.0, 5.5, 9.0, 8.0, 6.5], 5)[1] == "MISSED"
    assert bench.within([1.0, 1.0, 1.0], 5) == ("+1.0% (3 rounds: too few)", "NOT SETTLED")
    spread = [-3.0, 2.1, 14.7, 19.8, 1.0, 2.0, 3.0, 4.0, 9.0]
    results = {
        "sections": {
            "builds": {"b": {"ml": {"overhead_pct": 2.1, "overhead_rounds_pct": spread}}},
            "phases": {
                "size": "b",
                "overhead_rounds_pct": [4.0, 4.5, 3.0, 2.0, 4.9, 3.5],
                "outside_rendering_rounds_pct": [6.0, 7.0, 8.0, 6.5, 7.5, 9.0],
            },
        }
    }
    bench.summary(type("Bench", (), {"results": results})())
    rows = {line.split("  ")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert rows["mlplugin overhead <= 5% at (b)"].rstrip().endswith("NOT SETTLED")
    assert "95%: +1.0 to +14.7" in rows["mlplugin overhead <= 5% at (b)"]
    assert rows["mlplugin overhead <= 5% at (b), whole builds (phases)"].rstrip().endswith("MET")
    assert rows["mlplugin overhead <= 5% at (b), outside rendering"].rstrip().endswith("MISSED")
    assert rows["mlplugin overhead <= 5% at (c)"].rstrip().endswith("not measured")
    # the extras ran on (a) alone: measured, but the 5% is set for (b) and (c)
    results["sections"]["phases"]["size"] = "a"
    results["sections"]["serve"] = {"size": "a", "overhead_rounds_pct": [12.0] * 6}
    rebuilds = [{"overhead_pct": x} for x in (3.0, 9.5, 4.0, 1.0, 6.0, 2.0)]
    results["sections"]["serve-paired"] = {"size": "a", "rounds": rebuilds}
    bench.summary(type("Bench", (), {"results": results})())
    rows = {line.split("  ")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert (
        rows["mlplugin overhead <= 5% at (a), outside rendering"].rstrip().endswith("(no target)")
    )
    assert rows["serve rebuild <= 10% over plain (a)"].rstrip().endswith("MISSED")  # any size
    assert rows["serve rebuild <= 10% over plain (a), paired"].rstrip().endswith("MET")


def test_phases_child_waits_for_its_signals_around_the_rendering(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\n")
    signals = tmp_path / "signals"
    signals.mkdir()
    site = tmp_path / "site"
    bench = _bench()
    child = _signalled_child("phases", str(config), str(site), str(signals))
    try:
        assert bench.wait_for(signals / "ready", child, timeout=120)
        time.sleep(1)
        assert not (site / "index.html").exists()  # the pages wait for "go"
        (signals / "go").touch()
        assert bench.wait_for(signals / "done", child, timeout=120)
        assert "Home" in (site / "index.html").read_text()
        time.sleep(0.5)
        assert child.poll() is None  # and the rest of the build for "end"
        (signals / "end").touch()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert set(json.loads(out.strip().splitlines()[-1])) == {"start", "pages", "rendering"}


def test_callgrind_span_counts_between_go_and_done(tmp_path: Path, monkeypatch) -> None:
    # a stand-in valgrind runs the command after its options and writes an output file with
    # a count; a stand-in callgrind_control records what it was asked, in order
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "control.log"
    (bin_dir / "callgrind_control").write_text(f'#!/bin/sh\necho "$1 $2" >> {log}\n')
    fake = bin_dir / "valgrind"
    fake.write_text(
        "#!/bin/sh\n"
        'out=""\n'
        'while [ "${1#--}" != "$1" ]; do\n'
        '  case "$1" in --callgrind-out-file=*) out="${1#*=}";; esac; shift\n'
        "done\n"
        '"$@" || exit $?\n'
        'printf "events: Ir\\nsummary: 4242\\n" > "$out"\n'
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    signals = tmp_path / "signals"
    signals.mkdir()
    step = (
        "import pathlib, time, sys\n"
        "s = pathlib.Path(sys.argv[1])\n"
        "def wait(name):\n"
        "    while not (s / name).exists(): time.sleep(0.01)\n"
        "(s / 'ready').touch(); wait('go')\n"
        "(s / 'log').write_text(open(sys.argv[2]).read())\n"  # what control said by then
        "(s / 'done').touch(); wait('end')\n"
    )
    cmd = [
        str(fake),
        "--tool=callgrind",
        f"--callgrind-out-file={signals / 'counted.out'}",
        sys.executable,
        "-c",
        step,
        str(signals),
        str(log),
    ]
    span = _bench().callgrind_span(cmd, tmp_path, dict(os.environ), signals)
    assert span["counted"] == 4242, span
    said = log.read_text().split()
    assert said[0] == "--instr=on" and said[2] == "--instr=off" and said[1] == said[3]
    assert (signals / "log").read_text().split() == said[:2]  # on before go, off after done
    assert span["before_wall"] >= 0 and span["span_wall"] >= 0


def test_peak_rss_of_all_processes_counts_a_child_beside_its_parent(tmp_path: Path) -> None:
    bench = _bench()
    # the parent holds 60 MB while its child holds 80 MB: the largest process is the child,
    # the build as a whole held both
    child = "import time; b = bytearray(80 << 20); time.sleep(0.6)"
    script = (
        "import subprocess, sys\n"
        "held = bytearray(60 << 20)\n"
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
    )
    run = bench.measure([sys.executable, "-c", script], tmp_path, dict(os.environ))
    assert run.rc == 0
    assert 80 < run.rss < 130
    assert run.tree_rss > 140
    assert run.tree_rss - run.rss > 50


def test_descendants_follow_parents_down_and_only_down() -> None:
    bench = _bench()
    parents = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert bench.descendants(parents, 10) == {10, 11, 12, 13}
    assert bench.descendants(parents, 12) == {12}


def _paired_sites(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A page, a plain config and a config whose hooks take 0.3 s reading an edited page."""
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "index.md"
    page.write_text("# Home\n")
    (tmp_path / "hooks.py").write_text(
        "import time\n"
        "def on_page_markdown(markdown, page, config, files):\n"
        "    if 'Edited while serving.' in markdown:\n"
        "        time.sleep(0.3)\n"
    )
    plain = tmp_path / "plain.yml"
    plain.write_text("site_name: t\n")
    hooked = tmp_path / "hooked.yml"
    hooked.write_text("site_name: t\nhooks:\n  - hooks.py\n")
    return page, plain, hooked


def test_paired_child_times_the_rebuild_after_the_edit_in_serve_mode(tmp_path: Path) -> None:
    page, plain, hooked = _paired_sites(tmp_path)
    bench = _bench()
    root = tmp_path / "site"
    args = (str(plain), str(hooked), str(root), "ml", str(page))
    run = bench.measure(bench.child("paired", *args), tmp_path, dict(os.environ))
    assert run.rc == 0, run.err
    data = bench.child_json(run)
    times = data["times"]
    # the timed builds are the rebuilds: they read the edited page, and import nothing
    assert times["ml"]["pages read"] >= 0.3
    assert times["plain"]["pages read"] < 0.3
    assert "import" not in times["ml"]
    assert data["pages"] == {"plain": 1, "ml": 1}
    for variant in ("plain", "ml"):
        assert "Edited while serving." in (tmp_path / f"site-{variant}" / "index.html").read_text()
    assert page.read_text() == "# Home\n"  # the page as it was


def test_paired_child_times_a_whole_build_without_a_page(tmp_path: Path) -> None:
    page, plain, hooked = _paired_sites(tmp_path)
    page.write_text("# Home\n\nEdited while serving.\n")
    bench = _bench()
    args = (str(plain), str(hooked), str(tmp_path / "site"), "plain")
    run = bench.measure(bench.child("paired", *args), tmp_path, dict(os.environ))
    assert run.rc == 0, run.err
    times = bench.child_json(run)["times"]
    assert list(times["ml"])[:3] == ["import", "setup", "pages read"]
    assert times["ml"]["pages read"] >= 0.3
    assert times["plain"]["pages read"] < 0.3


def _check_json(repo: Path, env: dict[str, str]) -> dict:
    cmd = [sys.executable, "-m", "mkdocs_mlplugin.cli", "check", "-f", "mkdocs-ml.yml"]
    done = subprocess.run(
        [*cmd, "--format", "json"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_pages_with_records_or_comparisons_a_tenth_of_the_site_and_nothing_to_find(
    tmp_path: Path,
) -> None:
    _bench()  # puts benchmarks/ on sys.path
    import generate

    home = tmp_path / "home"
    env = generate.git_env(home)
    pages: dict[str, dict[str, str]] = {}
    for pages_with in ("", "records", "compare"):  # plots: the test below
        repo = tmp_path / (pages_with or "default")
        info = generate.generate("a", repo, home, pages_with)
        pages[pages_with] = {
            str(p.relative_to(repo)): p.read_text() for p in (repo / "docs").rglob("*.md")
        }
        assert len(pages[pages_with]) == info["pages"] == 100
        found = _check_json(repo, env)
        assert (found["errors"], found["warnings"]) == (0, 0), found["findings"]
    default, records, compare = pages[""], pages["records"], pages["compare"]
    # the default site carries neither
    assert not [p for p, text in default.items() if "record:" in text or "-diff " in text]

    kinds: dict[str, int] = {}
    for text in records.values():
        if "\n  record: " in text:
            kind = text.split("\n  record: ", 1)[1].split("\n", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == {"decision": 3, "debt": 3, "runbook": 2, "datasheet": 2}
    linked = "\n".join(t for t in records.values() if "record:" in t)
    for scheme in ("commit:", "artifact:model-g00@v", "stage:", "data:data/raw/"):
        assert f"  - '{scheme}" in linked, scheme
    assert "](commit:" in linked  # a link in the text too
    assert "status: superseded" in linked and "superseded_by: ../" in linked
    assert "reviewed: 20" in linked
    found = _check_json(tmp_path / "records", env)
    assert found["coverage"]["records"]["documented"] == 4  # every kind the standard asks for

    blocks = [t for t in compare.values() if "{ml metrics-diff" in t or "{ml params-diff" in t]
    assert len(blocks) == 10  # the model card and nine plain pages


def test_pages_with_plots_one_page_draws_five_in_the_paired_builds(tmp_path: Path) -> None:
    bench = _bench()
    import generate

    repo = tmp_path / "plots"
    info = generate.generate("a", repo, tmp_path / "home", "plots")
    assert info["pages"] == 100 and info["chosen"] == 1
    configs = [str(repo / f"mkdocs-{v}.yml") for v in ("plain", "ml")]
    root = tmp_path / "site"
    env = generate.git_env(tmp_path / "home")
    run = bench.measure(bench.child("paired", *configs, str(root), "ml"), repo, env)
    assert run.rc == 0, run.err
    data = bench.child_json(run)
    assert data["pages"] == {"plain": 100, "ml": 100}  # each site builds one of the twins
    # the drawings' wait falls in a step; the drawing process's CPU time is counted apart
    assert data["children_cpu"] >= 0.3, data  # about 0.03 s on the site without plots
    drawn = (tmp_path / "site-ml" / "evaluation" / "index.html").read_text()
    figures = re.findall(
        r'<figure class="ml-plot" data-plot="([^"]*)">\n?<svg .*?</svg>', drawn, re.S
    )
    assert tuple(figures) == generate.PLOT_NAMES
    assert not (tmp_path / "site-ml" / "evaluation-plain").exists()
    twin = (tmp_path / "site-plain" / "evaluation-plain" / "index.html").read_text()
    assert "No plots on this page." in twin and "ml-plot" not in twin
    assert not (tmp_path / "site-plain" / "evaluation").exists()


def test_profile_child_times_every_hook_of_the_plugin(tmp_path: Path) -> None:
    # on_config is two methods under one event (mkdocs.plugins.CombinedEvent): both are timed
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\ntheme:\n  name: material\nplugins:\n  - mlplugin\n")
    bench = _bench()
    site = tmp_path / "site"
    args = (str(config), str(site), "time", str(tmp_path / "hooks.prof"))
    run = bench.measure(bench.child("profile", *args), tmp_path, dict(os.environ))
    assert run.rc == 0, run.err
    calls = bench.child_json(run)["calls"]
    assert calls["on_config"] == 2
    assert calls["on_page_markdown"] == calls["on_page_context"] == 1
    assert calls["on_post_build"] == 1
    assert "Home" in (site / "index.html").read_text()
