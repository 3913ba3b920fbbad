"""tags: 1,000 GTO annotated tags: mkdocs_mlplugin.facts.registry.read_registry vs
``gto show``, in a fresh process, with and without its lazy imports made beforehand, and
whether the latest version of every artifact agrees.

JUDGES: 1,000 tags read in < 0.5 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import generate
from harness import (
    PY,
    Bench,
    Run,
    child,
    child_json,
    fmt_s,
    loadavg,
    measure,
    median,
    preimport,
    say,
    table,
    tool,
)

JUDGES: str | None = "1,000 tags < 0.5 s"


#: what the registry imports lazily, on its first call (the verdict imports nothing more: DVC's
#: own modules only for files outside the common forms, which the benchmark's projects do not
#: have, and git is run directly)
LAZY_REGISTRY = ("semver",)


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
        {  # entries are dicts before registry.ArtifactEntry, which older revisions lack
            name: a.get("latest") if isinstance(a, dict) else getattr(a, "latest", None)
            for name, a in artifacts.items()
        }
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
