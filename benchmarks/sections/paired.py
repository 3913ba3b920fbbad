"""paired: the same two builds, plain and + mlplugin, made in one process step by step as
``mkdocs build`` makes them, the page steps in alternating chunks of 25 pages: the time of each
step, plain vs plugin, with the plugin's import; a drift of the machine's speed falls on both
alike, so it resolves smaller differences than separate builds do (both sites held in one
process slow every step a little).

Its child (``run.py --_child paired``) and section function also make the serve-paired
section's rebuilds (sections/serve_paired.py). With ``--pages-with records``, ``compare`` or
``plots`` both run on that variant of the site (benchmarks/generate.py: records, or
metrics-diff and params-diff blocks, on a tenth of the pages; or one page drawing five plots,
whose twin in the plain site has no blocks), and say the findings of its plugin build.

What is counted: each step's wall time in the building process. The plugin's child processes
(its git processes, and with plots the drawing process, ``mkdocs_mlplugin.vega``) run beside
it: a plot is drawn while pages are converted, and the wait for the drawings that are not
done yet falls in on_env (``Build.finish``), counted there. Their CPU time is not in the
steps: it is measured apart (RUSAGE_CHILDREN over the timed builds, all of it the plugin's:
plain Material starts no process) and said beside the overhead, with the overhead it would
make if it were spent in the building process (an upper bound: a machine with a core free
draws the plots meanwhile, as the alternating chunks of the plain site give it time to here
too, so the wait in on_env is a lower bound). Peak memory is not measured here (both sites
in one process): the builds section with ``--pages-with`` samples all the build's processes.

JUDGES: the overhead <= 5%, paired steps (the 5% is set at (b) and (c)).
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import generate
from harness import (
    Bench,
    child,
    child_json,
    fmt_s,
    in_round,
    loadavg,
    measure,
    median,
    preimport,
    say,
    table,
)

from sections.serve import SERVE_EDIT, serve_page

JUDGES: str | None = "overhead <= 5% at (b)/(c), paired steps"


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

    from mkdocs import utils
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
        utils.clean_directory(config.site_dir)
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

    def children_cpu() -> float:
        """CPU seconds of the child processes ended and waited for so far."""
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

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
        before = children_cpu()
        pages = build_both(configs, times)
    else:
        build_both(configs, {"plain": {}, "ml": {}})  # serve's first build, untimed: the warm-up
        path = Path(page)
        original = path.read_bytes()
        try:
            path.write_bytes(original + SERVE_EDIT)
            times = {"plain": {}, "ml": {}}  # a rebuild imports nothing
            before = children_cpu()
            pages = build_both({v: load(v) for v in order}, times)
        finally:
            path.write_bytes(original)
    print(json.dumps({"times": times, "pages": pages, "children_cpu": children_cpu() - before}))


def section_paired(bench: Bench, size: str, serve: bool = False) -> None:
    """The paired steps of whole builds, or with SERVE of serve-style rebuilds."""
    pages_with = bench.args.pages_with
    repo = bench.repo(size, pages_with)
    name = "serve-paired" if serve else "paired"
    page = serve_page(repo) if serve else None
    what = f"serve-style rebuilds after editing {page.relative_to(repo)}" if page else "builds"
    site = generate.site_with(pages_with)
    say(
        f"\n## Paired {what}, size ({size}){site}: both sites built in one process, pages in "
        f"alternating chunks of {PAIR_CHUNK}; {bench.args.repeat} rounds  [load {loadavg()}]"
    )
    failed = bench.warm(repo, ["plain", "ml"])
    if failed:
        say(f"  {failed}")
        return
    if pages_with:
        say(f"  the plugin's warm-up build: {bench.findings(repo)}")
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
        serial = totals["ml"] + data["children_cpu"]
        data["overhead_serial_pct"] = (serial / totals["plain"] - 1) * 100
        rounds.append(data)
        say(
            f"  round {r + 1} ({first} first): plain {totals['plain']:6.2f} s  "
            f"mlplugin {totals['ml']:6.2f} s  {data['overhead_pct']:+.1f}%  "
            f"(its child processes' CPU {data['children_cpu']:.2f} s)"
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
        f"{rounds[0]['pages']['plain']} and {rounds[0]['pages']['ml']}  [load {loadavg()}]"
    )
    children = [d["children_cpu"] for d in rounds]
    serial = [d["overhead_serial_pct"] for d in rounds]
    say(
        f"  the plugin's child processes (git; the plot engine with plots) used "
        f"{median(children):.2f} s CPU beside the steps (median), not in them: spent in the "
        f"building process, the overhead would be {median(serial):+.1f}% (median; an upper "
        "bound, as on one core)"
    )
    bench.results["sections"][name] = {
        "size": size,
        "pages_with": pages_with,
        "rounds": rounds,
        "overhead_pct": median(overheads),
        "overhead_serial_pct": median(serial),
    }
