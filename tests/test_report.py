"""``mkdocs-ml report --base REF``: the pull-request report, on a real git history: a branch
that changes a param and retrains, held to ``dvc params diff``, ``dvc metrics diff --all`` and
``dvc diff`` against the base."""

from __future__ import annotations

import json
import re
import shutil
import sys
from decimal import Decimal
from typing import Any

import pytest
import yaml
from conftest import Repo
from test_cli import ml
from test_compare import TRAIN, change_params
from test_registry import evaluate_with

MARKUP = "<b>bold</b> | [link](https://example.com) `code`"
CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

Learning rate {ml param train.lr}.
"""


@pytest.fixture
def branch(pipeline: Repo) -> Repo:
    """main: a site over the pipeline, trained with lr 0.05; branch 'tune': lr 0.1, a param
    holding markup, retrained and re-evaluated (a new model hash, new metrics), and a page
    with a broken reference."""
    pipeline.write("src/train.py", TRAIN)
    pipeline.dvc("repro", "-q")
    pipeline.site({"card.md": CARD}, plugin={"card_sections": []})
    pipeline.commit("Site", date="2024-01-11T09:00:00+00:00")
    pipeline.git("checkout", "-q", "-b", "tune")
    change_params(pipeline, 0.1, notes=MARKUP)
    evaluate_with(pipeline, 0.95, 0.2)
    pipeline.dvc("repro", "-q")
    pipeline.write("docs/broken.md", "# Broken\n\nRun {ml stage trian}.\n")
    pipeline.commit("Higher learning rate", date="2024-01-12T09:00:00+00:00")
    return pipeline


def model(repo: Repo, rev: str) -> dict[str, Any]:
    lock = yaml.safe_load(repo.git("show", f"{rev}:dvc.lock"))
    (out,) = lock["stages"]["train"]["outs"]
    return out


def by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{r['file']}:{r['key']}": r for r in rows}


def test_the_report_is_dvc_diffs_against_the_base(branch: Repo) -> None:
    done = ml(branch, "report", "--base", "main", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["base"] == {
        "ref": "main",
        "commit": branch.git("rev-parse", "main"),
        "is": "git ref main",
    }
    assert report["head"]["commit"] == branch.git("rev-parse", "HEAD")
    # params: as 'dvc params diff main' (changed only)
    params = json.loads(branch.dvc("params", "diff", "--json", "main"))
    assert set(by_key(report["params"])) == {
        f"{file}:{key}" for file, keys in params.items() for key in keys
    }
    for name, row in by_key(report["params"]).items():
        file, key = name.split(":", 1)
        assert {k: row[k] for k in ("old", "new")} == {
            k: params[file][key][k] for k in ("old", "new")
        }
    lr = by_key(report["params"])["params.yaml:train.lr"]
    assert (lr["old"], lr["new"], lr["change"]) == (0.05, 0.1, "+0.05")
    # metrics: as 'dvc metrics diff --all main', the change exact as the files write it
    metrics = json.loads(branch.dvc("metrics", "diff", "--all", "--json", "main"))
    assert set(by_key(report["metrics"])) == {
        f"{file}:{key}" for file, keys in metrics.items() for key in keys
    }
    for name, row in by_key(report["metrics"]).items():
        file, key = name.split(":", 1)
        said = metrics[file][key]
        assert (row["old"], row["new"]) == (said["old"], said["new"])
        assert row["diff"] == pytest.approx(said["diff"], abs=1e-12)
        assert Decimal(row["change"]) == Decimal(repr(said["new"])) - Decimal(repr(said["old"]))
    assert by_key(report["metrics"])["metrics.json:loss"]["change"] == "-0.05"
    # outputs: the ones 'dvc diff main' says were modified, with both recorded hashes
    modified = {e["path"] for e in json.loads(branch.dvc("diff", "--json", "main"))["modified"]}
    assert {o["path"] for o in report["outputs"]} == modified
    (trained,) = [o for o in report["outputs"] if o["path"] == "models/model.txt"]
    old, new = model(branch, "main"), model(branch, "HEAD")
    assert old["md5"] != new["md5"]
    assert trained == {
        "path": "models/model.txt",
        "artifact": "classifier",
        "old_md5": old["md5"],
        "new_md5": new["md5"],
        "old_size": old["size"],
        "new_size": new["size"],
    }
    # the pipeline is current on the branch
    assert {s["stage"]: s["state"] for s in report["pipeline"]} == {
        "prepare": "current",
        "train": "current",
        "evaluate": "current",
    }
    # the docs: the broken reference, and the model card, whose model changed without it
    found = {(f["severity"], f["kind"], f["file"], f["line"]) for f in report["findings"]}
    assert found == {
        ("error", "missing_reference", "docs/broken.md", 3),
        ("error", "stale_doc", "docs/card.md", 2),
    }
    assert report["errors"] == 2


def cells(markdown: str, *first: str) -> list[str]:
    """The cells of the Markdown table row whose first cells are FIRST, as GitHub shows them
    (a backslash before punctuation is not shown)."""
    for line in markdown.splitlines():
        parts = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        parts = [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", c) for c in parts]
        if tuple(parts[: len(first)]) == first:
            return parts
    raise AssertionError(f"no row {first!r} in:\n{markdown}")


def test_the_markdown_report_shows_the_param_change_the_metric_delta_and_the_new_hash(
    branch: Repo,
) -> None:
    done = ml(branch, "report", "--base", "main")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("<!-- mkdocs-ml report -->\n")
    main = branch.git("rev-parse", "--short=7", "main")
    assert f"Base `main`: git ref main, commit `{main}`" in text
    for section in ("### Pipeline", "### Metrics", "### Params", "### Outputs", "### Docs"):
        assert section in text
    assert "3 stages: 3 current." in text
    lr = cells(text, "`params.yaml`", "`train.lr`")
    assert lr[2:] == ["0.05", "0.1", "+0.05", "+100%"]
    loss = cells(text, "`metrics.json`", "`loss`")
    assert loss[2:] == ["0.25", "0.2", "-0.05", "-20%"]
    old, new = model(branch, "main"), model(branch, "HEAD")
    row = cells(text, "`models/model.txt`")
    assert row[1:4] == ["classifier", f"`{old['md5'][:8]}`", f"`{new['md5'][:8]}`"]
    assert "`docs/broken.md:3`" in text and "trian" in text
    # a value from the branch is text: no HTML, link or code span of its own
    (notes,) = [line for line in text.splitlines() if "`notes`" in line]
    assert "<b>" not in notes and "[link]" not in notes
    assert "\\<b\\>bold\\</b\\> \\| \\[link\\](https://example.com) \\`code\\`" in notes


def test_a_base_that_names_nothing_is_an_error_that_says_so(branch: Repo) -> None:
    done = ml(branch, "report", "--base", "mian")
    assert done.returncode == 2
    assert "'mian' is neither a registered version" in done.stderr
    assert done.stdout == ""


def test_metrics_dvc_caches_and_nobody_pulled_are_said_unread_under_metrics(
    pipeline: Repo,
) -> None:
    """As in a fresh clone of iterative/example-get-started (metrics in DVC's cache, no
    ``dvc pull``): ``dvc metrics diff`` cannot load either side. The report says so in its
    Metrics section, for the base and for the work tree, instead of "No metrics." with a note
    on the base alone at the end of the comment."""
    dvc_yaml = pipeline.read("dvc.yaml")
    pipeline.write(
        "dvc.yaml", re.sub(r"- metrics\.json:\n\s+cache: false", "- metrics.json", dvc_yaml)
    )
    pipeline.git("rm", "-q", "--cached", "metrics.json")
    pipeline.dvc("repro", "-q", "-f", "evaluate")  # caches it and lists it in .gitignore
    pipeline.site({"card.md": CARD}, plugin={"card_sections": []})
    pipeline.commit("Metrics in the DVC cache", date="2024-01-15T09:00:00+00:00")
    # a clone that never pulled: neither the file nor DVC's cache of it
    (pipeline.path / "metrics.json").unlink()
    shutil.rmtree(pipeline.path / ".dvc" / "cache")
    dvc = pipeline.run(
        sys.executable, "-m", "dvc", "metrics", "diff", "HEAD", "--json", check=False
    )
    assert "failed to load some metrics for following revisions: 'HEAD, workspace'" in dvc.stderr
    assert json.loads(dvc.stdout) == {}

    done = ml(pipeline, "report", "--base", "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["metrics"] == []
    head = pipeline.git("rev-parse", "--short=7", "HEAD")
    unread = [
        f"metrics file metrics.json is DVC-tracked at HEAD ({head}): DVC keeps it in its "
        "cache and git has no copy, so the diff cannot show it (not compared); declare the "
        "metrics with 'cache: false' to keep them in git.",
        "metrics file metrics.json is not in the workspace, so the diff cannot show it: it is "
        "DVC-tracked (an output of stage 'evaluate', its hash recorded in dvc.lock) and not "
        "pulled: run 'dvc pull' before the build, or track it in git with 'cache: false'.",
    ]
    assert record["notes"] == {"metrics": unread, "params": []}

    text = ml(pipeline, "report", "--base", "HEAD").stdout
    metrics, rest = text.split("### Metrics\n", 1)[1].split("### Params", 1)
    said = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", metrics)
    assert "No metrics." not in said
    assert said.strip().splitlines() == [
        "No metrics could be read:",
        "",
        *(f"- {n}" for n in unread),
    ]
    assert "DVC-tracked" not in rest and "dvc pull" not in rest
