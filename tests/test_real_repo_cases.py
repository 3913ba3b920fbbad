"""Cases that public DVC projects showed when their sites were built and compared with DVC's
own commands; each test names the project and builds the case in a real git + DVC fixture,
since CI cannot reach those projects."""

from __future__ import annotations

import json

from conftest import Repo
from test_registry import blocks, evaluate_with, rows


def test_an_unchanged_metric_with_many_decimals_changes_by_0(pipeline: Repo) -> None:
    """iterative/example-dvc-experiments: metrics.json holds acc 0.988099992275238. The work
    tree against HEAD: ``dvc metrics diff --all`` gives a change of 0.0; the table said
    0.000000000000000 (the zero carried the operands' fifteen decimals)."""
    evaluate_with(pipeline, 0.988099992275238, 0.25)
    pipeline.dvc("repro", "-q")
    pipeline.site({"index.md": "# Metrics\n\n{ml metrics-diff HEAD workspace}\n"})
    pipeline.commit("Evaluate again", date="2024-01-11T09:00:00+00:00")
    said = json.loads(pipeline.dvc("metrics", "diff", "HEAD", "--all", "--json"))
    assert said["metrics.json"]["accuracy"] == {
        "old": 0.988099992275238,
        "new": 0.988099992275238,
        "diff": 0.0,
    }
    assert said["metrics.json"]["test.n"]["diff"] == 0
    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-metrics-diff")
    body = {row[0]: row[1:] for row in rows(table)[1:] if len(row) == 5}
    assert body["accuracy"] == ["0.988099992275238", "0.988099992275238", "0", "0%"]
    assert body["loss"] == ["0.25", "0.25", "0", "0%"]
    assert body["test.n"] == ["3", "3", "0", "0%"]
    (shown,) = build.manifest()["comparisons"]
    assert shown["diff"]["metrics.json"]["accuracy"]["change"] == "0"
    assert shown["diff"]["metrics.json"]["accuracy"]["diff"] == 0.0
