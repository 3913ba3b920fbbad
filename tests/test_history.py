"""Facts of past versions: what each registered version's commit declared and recorded.

Every repository is made from scratch with the dvc and gto CLIs (fixed dates); what the site
shows is held to what ``dvc metrics show --all-tags --json`` says on the same repository.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Build, Repo, copy_pipeline
from test_registry import NO_CARD_CHECKS, Gto, blocks, columns, flat, retrain, rows, text_of

DASH = "\u2014"  # a fact that holds nothing (render.EMPTY)
CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

{ml metrics-history}
"""


def set_metrics(repo: Repo, path: str, values: dict[str, Any], top_level: bool = False) -> None:
    """Make the evaluate stage write VALUES to PATH (JSON, or YAML by its suffix) and declare
    PATH as its metrics file (cache: false), or, with TOP_LEVEL, as an output named in the
    top-level 'metrics:' list of dvc.yaml, as DVC allows both."""
    writer = "json.dump" if path.endswith(".json") else "yaml.safe_dump"
    repo.write(
        "src/evaluate.py",
        "import json, os, yaml\n"
        f"os.makedirs(os.path.dirname({path!r}) or '.', exist_ok=True)\n"
        f"{writer}({values!r}, open({path!r}, 'w'))\n",
    )
    config = yaml.safe_load(repo.read("dvc.yaml"))
    evaluate = config["stages"]["evaluate"]
    evaluate.pop("metrics", None)
    evaluate.pop("outs", None)
    config.pop("metrics", None)
    if top_level:
        evaluate["outs"] = [{path: {"cache": False}}]
        config["metrics"] = [path]
    else:
        evaluate["metrics"] = [{path: {"cache": False}}]
    repo.write("dvc.yaml", yaml.safe_dump(config, sort_keys=False))


@dataclasses.dataclass
class MovedMetrics:
    repo: Repo
    build: Build
    commits: dict[str, str]  # version -> commit


@pytest.fixture(scope="module")
def moved_metrics(
    tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path
) -> MovedMetrics:
    """Four versions of the classifier whose metrics file moved: metrics.json (v1.0.0),
    eval/metrics.json (v1.1.0), eval/scores.yaml named in the top-level 'metrics:' (v2.0.0),
    and reports/metrics.json at HEAD (v2.1.0), each made by 'dvc repro'."""
    repo = copy_pipeline(pipeline_template, tmp_path_factory.mktemp("moved-metrics"))
    gto = Gto(repo)
    commits = {"v1.0.0": repo.git("rev-parse", "HEAD")}
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    steps = [
        ("v1.1.0", "eval/metrics.json", {"accuracy": 0.91, "loss": 0.2}, False),
        ("v2.0.0", "eval/scores.yaml", {"accuracy": 0.93, "f1": {"macro": 0.9}}, True),
        ("v2.1.0", "reports/metrics.json", {"accuracy": 0.95, "loss": 0.1}, False),
    ]
    for day, (version, path, values, top_level) in enumerate(steps, start=11):
        old = yaml.safe_load(repo.read("dvc.yaml"))
        for declared in [*old.get("metrics", []), *old["stages"]["evaluate"].get("metrics", [])]:
            name = declared if isinstance(declared, str) else next(iter(declared))
            repo.git("rm", "-q", "--cached", name)
            (repo.path / name).unlink()
        set_metrics(repo, path, values, top_level)
        repo.dvc("repro", "-q")
        commits[version] = repo.commit(
            f"Evaluate into {path}", date=f"2024-01-{day}T09:00:00+00:00"
        )
        gto("register", "classifier", "--version", version)
        gto.run()
    repo.site({"card.md": CARD}, plugin=NO_CARD_CHECKS)
    repo.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = repo.build("--strict")
    assert build.ok, build.output
    return MovedMetrics(repo, build, commits)


def dvc_metrics(repo: Repo) -> dict[str, dict[str, Any]]:
    """``dvc metrics show --all-tags --json``: tag -> {metrics file: flattened values}."""
    shown = json.loads(repo.dvc("metrics", "show", "--all-tags", "--json"))
    return {
        rev: {file: flat(entry["data"]) for file, entry in (found.get("data") or {}).items()}
        for rev, found in shown.items()
    }


def test_metrics_history_reads_the_files_each_version_declared_as_dvc_does(
    moved_metrics: MovedMetrics,
) -> None:
    site = moved_metrics
    dvc = dvc_metrics(site.repo)
    (table,) = blocks(site.build.page("card"), "ml-metrics-history")
    header, *body = columns(table)
    assert header[:3] == ["Version", "Stages", "Commit"]
    assert [r[0] for r in body] == ["v2.1.0", "v2.0.0", "v1.1.0", "v1.0.0"]
    for row in body:
        version, commit = row[0], site.commits[row[0]]
        assert row[2] == commit[:7]
        (files,) = [dvc[f"classifier@{version}"]]
        assert len(files) == 1, files  # each version declared one metrics file
        (values,) = files.values()
        shown = {k: v for k, v in zip(header[3:], row[3:], strict=True) if v != DASH}
        assert shown == {k: str(v) for k, v in values.items()}, version
    # every key of every version has its column, once
    assert sorted(header[3:]) == ["accuracy", "f1.macro", "loss", "test.n"]
    page = text_of(site.build.page("card"))
    assert "not in git" not in page


def test_a_metric_a_version_lacks_is_a_dash_saying_why(moved_metrics: MovedMetrics) -> None:
    """A metric that a version's metrics files do not hold (``dvc metrics show --all-tags``
    has no such key for it) is a dash whose tooltip says so, never a blank cell."""
    site = moved_metrics
    dvc = dvc_metrics(site.repo)
    (table,) = blocks(site.build.page("card"), "ml-metrics-history")
    header, *body = columns(table)
    lacking = 0
    for row in body:
        version = row[0]
        (held,) = dvc[f"classifier@{version}"].values()
        for key, cell in zip(header[3:], row[3:], strict=True):
            assert (cell == DASH) == (key not in held), (version, key, cell)
            lacking += key not in held
    assert lacking == 7  # f1.macro at three versions, loss and test.n at others
    v110 = site.commits["v1.1.0"][:7]
    cell = f'<span class="ml-empty" title="not in the metrics files declared at v1.1.0 (commit {v110}).">'
    assert cell in table


def test_a_version_whose_metrics_dvc_caches_is_dashes_saying_so(pipeline: Repo) -> None:
    """Metrics DVC cached at a version (git has no copy; DVC reads them from its cache only
    when it holds them) are dashes whose tooltip names the file and says why."""
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    dvc_yaml = pipeline.read("dvc.yaml")
    pipeline.write(
        "dvc.yaml", re.sub(r"- metrics\.json:\n\s+cache: false", "- metrics.json", dvc_yaml)
    )
    pipeline.git("rm", "-q", "--cached", "metrics.json")
    pipeline.dvc("repro", "-q", "-f", "evaluate")  # caches it and lists it in .gitignore
    cached = pipeline.commit("Metrics in the DVC cache", date="2024-01-15T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")
    gto.run()
    assert "metrics.json" not in pipeline.git("ls-tree", "--name-only", cached).split()
    pipeline.site({"card.md": CARD}, plugin=NO_CARD_CHECKS)
    pipeline.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page("card"), "ml-metrics-history")
    header, *body = columns(table)
    by_version = {r[0]: dict(zip(header[3:], r[3:], strict=True)) for r in body}
    assert by_version["v1.0.0"] == {"accuracy": "0.9", "loss": "0.25", "test.n": "3"}
    assert by_version["v1.1.0"] == dict.fromkeys(["accuracy", "loss", "test.n"], DASH)
    why = f"metrics.json: cached by DVC, not kept in git at v1.1.0 (commit {cached[:7]})."
    assert table.count(f'<span class="ml-empty" title="{why}">&#8212;</span>') == 3


def test_metrics_history_names_the_files_read_when_they_moved(
    moved_metrics: MovedMetrics,
) -> None:
    page = moved_metrics.build.page("card")
    note = re.search(r'<p class="ml-note">(.*?)</p>', page, re.S)
    assert note, "no note under the table"
    said = text_of(note.group(1))
    assert "v1.0.0: metrics.json" in said
    assert "v1.1.0: eval/metrics.json" in said
    assert "v2.0.0: eval/scores.yaml" in said
    assert "v2.1.0: reports/metrics.json" in said


def test_a_version_whose_dvc_yaml_cannot_be_read_says_so_naming_the_commit(
    pipeline: Repo,
) -> None:
    good = pipeline.read("dvc.yaml")
    pipeline.write("dvc.yaml", good + "  oops: [\n")
    broken = pipeline.commit("A broken dvc.yaml", date="2024-01-11T09:00:00+00:00")
    gto = Gto(pipeline)
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    pipeline.write("dvc.yaml", good)
    pipeline.commit("Fixed", date="2024-01-12T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")
    gto.run()
    pipeline.site({"card.md": CARD}, plugin=NO_CARD_CHECKS)
    pipeline.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    page = build.page("card")
    (table,) = blocks(page, "ml-metrics-history")
    header, *body = columns(table)
    by_version = {r[0]: dict(zip(header[3:], r[3:], strict=True)) for r in body}
    assert by_version["v1.1.0"]["accuracy"] == "0.9"
    assert set(by_version["v1.0.0"].values()) == {DASH}
    assert f'title="not known at v1.0.0 (commit {broken[:7]}): dvc.yaml at commit' in table
    notes = [text_of(n) for n in re.findall(r'<p class="ml-note">(.*?)</p>', page, re.S)]
    assert any(
        n.startswith(f"v1.0.0: dvc.yaml at commit {broken[:7]} is not valid YAML") for n in notes
    ), notes


# --------------------------------------------------------------------------- provenance

PROVENANCE_CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

{ml provenance}
"""


def words(fragment: str) -> str:
    """The text of an HTML fragment with its white space collapsed, as a reader sees it."""
    return " ".join(text_of(fragment).split())


def card_header(page: str) -> str:
    headers = re.findall(r'<div class="ml-card-header"[^>]*>(.*?)</div>', page, re.S)
    assert len(headers) == 1, page
    return headers[0]


def provenance_rows(page: str) -> dict[str, str]:
    (box,) = blocks(page, "ml-provenance")
    return {r[0]: r[1] for r in rows(box) if len(r) == 2}


def page_record(build: Build, src: str) -> dict[str, Any]:
    (record,) = [p for p in build.manifest()["pages"] if p["src"] == src]
    return record


def test_an_uncommitted_retrain_is_not_paired_with_the_previous_training_commit(
    pipeline: Repo,
) -> None:
    pipeline.site({"card.md": PROVENANCE_CARD}, plugin=NO_CARD_CHECKS)
    trained = pipeline.commit("Docs", date="2024-01-26T09:00:00+00:00")
    committed = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]
    build = pipeline.build("--strict")
    assert build.ok, build.output
    header = words(card_header(build.page("card")))
    pipeline_commit = pipeline.git("rev-parse", "HEAD~1")
    assert f"trained in {pipeline_commit[:7]} on 2024-01-10" in header, header
    assert page_record(build, "docs/card.md")["trained"] == {
        "commit": pipeline_commit,
        "uncommitted": False,
    }
    assert provenance_rows(build.page("card"))["Trained in"] == (
        f"commit {pipeline_commit[:7]} on 2024-01-10"
    )

    # retrain without committing: dvc.lock in the work tree records a new md5
    retrain(pipeline, "retrained")
    pipeline.dvc("repro", "-q")
    md5 = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]
    assert md5 != committed and pipeline.git("rev-parse", "HEAD") == trained
    build = pipeline.build("--strict")
    assert build.ok, build.output
    page = build.page("card")
    header = card_header(page)
    assert f'md5 <code title="{md5}">{md5[:8]}</code>' in header
    assert "trained in the work tree, not committed" in words(header)
    assert pipeline_commit[:7] not in header and "trained in <code" not in header
    assert page_record(build, "docs/card.md")["trained"] == {"commit": None, "uncommitted": True}
    box = provenance_rows(page)
    assert box["MD5"] == md5
    assert box["Trained in"] == "the work tree, not committed"


def test_a_card_whose_stage_is_stale_says_so_and_what_it_was_trained_with(
    pipeline: Repo,
) -> None:
    lock = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]
    config = yaml.safe_load(pipeline.read("dvc.yaml"))
    config["stages"]["train"]["cmd"] = "python3 src/train.py --fast"
    pipeline.write("dvc.yaml", yaml.safe_dump(config, sort_keys=False))
    pipeline.write("params.yaml", pipeline.read("params.yaml").replace("lr: 0.05", "lr: 0.1"))
    pipeline.site(
        {"card.md": PROVENANCE_CARD},
        plugin={**NO_CARD_CHECKS, "checks": {"stale_pipeline": "warn"}},
    )
    pipeline.commit("Faster training, not run yet", date="2024-01-26T09:00:00+00:00")
    build = pipeline.build()
    assert build.ok, build.output
    assert "stale_pipeline" in build.output
    page = build.page("card")
    header = card_header(page)
    said = words(header)
    assert "stage 'train' is stale" in said, said
    assert "changed command" in said and "changed deps: params.yaml: modified train.lr" in said
    # the header says it before anything else
    assert header.index("ml-stale") < header.index("<strong>")
    box = provenance_rows(page)
    assert box["Command"] == lock["cmd"] == "python3 src/train.py"
    assert (
        set(box["Params"].split(", "))
        == {f"{k}={v}" for k, v in lock["params"]["params.yaml"].items()}
        == {"train.lr=0.05", "train.epochs=3"}
    )
    changed = box["Changed since"]
    assert "changed command" in changed and "train.lr" in changed
    assert "dvc repro train" in changed
    record = page_record(build, "docs/card.md")
    assert record["stale"]["stage"] == "train"
    assert any("train.lr" in r for r in record["stale"]["reasons"])


def test_a_model_of_a_stage_with_a_wdir_is_trained_in_its_commit(pipeline: Repo) -> None:
    """dvc.lock writes an output's path relative to the stage's wdir: the header finds the
    model's hash there and names its commit (not the work tree)."""
    pipeline.write("extra/make.py", "open('extra/model.txt', 'w').write('extra model\\n')\n")
    pipeline.write(
        "extra/dvc.yaml",
        """
        stages:
          make:
            wdir: ..
            cmd: python3 extra/make.py
            deps: [extra/make.py]
            outs: [extra/model.txt]
        artifacts:
          extra-model:
            path: model.txt
            type: model
        """,
    )
    pipeline.dvc("repro", "-q", "extra/dvc.yaml")
    lock = yaml.safe_load(pipeline.read("extra/dvc.lock"))["stages"]["make"]["outs"][0]
    assert lock["path"] == "extra/model.txt"  # relative to the wdir, the project root
    made = pipeline.commit("Extra model", date="2024-01-20T09:00:00+00:00")
    card = PROVENANCE_CARD.replace("artifact: classifier", "artifact: extra/dvc.yaml:extra-model")
    pipeline.site({"card.md": card}, plugin=NO_CARD_CHECKS)
    pipeline.commit("Docs", date="2024-01-26T09:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    header = words(card_header(build.page("card")))
    assert f"md5 {lock['md5'][:8]}" in header
    assert f"trained in {made[:7]} on 2024-01-20" in header, header
    assert page_record(build, "docs/card.md")["trained"] == {"commit": made, "uncommitted": False}
