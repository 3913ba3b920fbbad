"""pipeline: the verdict of a 500-stage and a 5,000-stage pipeline (facts.dvc.load_project +
checks.pipeline.check_pipeline; again warm; again after a dvc.yaml edit, as ``mkdocs serve``
rebuilds) vs ``dvc status`` and ``dvc dag``, and whether they agree.

JUDGES: the 500-stage verdict < 1 s, and the 5,000-stage verdict and its rebuild after a
dvc.yaml edit <= 2 s.
"""

from __future__ import annotations

import collections
import json
import re
import time
from pathlib import Path
from typing import Any

import generate
from harness import Bench, Run, child, child_json, fmt_s, loadavg, measure, median, say, table, tool

JUDGES: str | None = (
    "500-stage verdict < 1 s; 5,000-stage verdict and rebuild after a dvc.yaml edit <= 2 s"
)


def child_verdict(root: str) -> None:
    """The plugin's pipeline verdict, timed in a fresh process: imports, git reads,
    load_project, check_pipeline; then load_project + check_pipeline again (warm); then, as
    ``mkdocs serve`` rebuilds after dvc.yaml is edited, load_project (given the project read
    before) + check_pipeline once more. Wall and CPU time of each step."""
    start = time.perf_counter()
    from mkdocs_mlplugin import plugin  # noqa: F401  # its import is part of what is timed
    from mkdocs_mlplugin.checks.pipeline import check_pipeline
    from mkdocs_mlplugin.facts import dvc, git
    from mkdocs_mlplugin.facts.hashes import Hasher

    imported = time.perf_counter()
    steps: dict[str, float] = {}
    clock = [imported, time.process_time()]
    path = Path(root).resolve()
    repo = git.open_repo(path)
    facts = repo.facts()
    history = repo.history(["."])
    hasher = Hasher()  # kept across the calls, as the plugin's Session keeps one across rebuilds

    def step(name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        steps[name], steps[f"{name}_cpu"] = wall - clock[0], cpu - clock[1]
        clock[:] = [wall, cpu]

    step("git")
    project = dvc.load_project(path)
    step("load")
    verdicts = check_pipeline(project, repo, facts, history, hasher)
    step("check")
    project2 = dvc.load_project(path)
    step("warm_load")
    check_pipeline(project2, repo, facts, history, hasher)
    step("warm_check")
    dvc_yaml = path / "dvc.yaml"
    original = dvc_yaml.read_bytes()
    try:
        dvc_yaml.write_bytes(original + b"# edited\n")
        clock[:] = [time.perf_counter(), time.process_time()]
        project3 = dvc.load_project(path, previous=project2)
        step("edit_load")
        check_pipeline(project3, repo, facts, history, hasher)
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
        ["plugin: import mkdocs_mlplugin.plugin, .facts.{dvc,git,reader}", fmt_s(v["import"])],
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
