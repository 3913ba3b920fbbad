"""profile: where the plugin's time goes, in-process: build phases (Markdown, Jinja
templates, garbage collection) plain vs plugin, wall time and memory per hook, cProfile of the
hooks only, a diagnostic build with page.meta emptied before the templates run, and the memory
the plugin's imports cost.

DIAGNOSES: no README target is decided by it.
"""

from __future__ import annotations

import collections
import functools
import json
import os
import time
from pathlib import Path
from typing import Any

from harness import (
    PY,
    Bench,
    child,
    child_json,
    fmt_s,
    in_round,
    loadavg,
    measure,
    median,
    say,
    table,
)

JUDGES: str | None = None


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
    calls: collections.Counter[str] = collections.Counter()
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

    def gc_timer(event: str, info: dict[str, Any]) -> None:
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
            self.build.published.clear()  # on_page_context, on_post_page then leave meta alone
            return result

        MLPlugin.on_env = emptied  # type: ignore[method-assign]
    if mode in ("time", "profile"):
        from mkdocs.plugins import CombinedEvent

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

            if isinstance(func, CombinedEvent):  # several handlers, each with its priority
                setattr(MLPlugin, name, CombinedEvent(*(wrap(m, name) for m in func.methods)))
            else:
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

    def label(key: tuple[str, int, str]) -> str:
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
