"""Cases that public DVC projects showed when their sites were built and compared with DVC's
own commands; each test names the project and builds the case in a real git + DVC fixture,
since CI cannot reach those projects."""

from __future__ import annotations

import json
import re
import shutil
import sys

from conftest import Repo
from test_cli import ml
from test_compare import change_params
from test_experiments import shown_rows
from test_registry import blocks, evaluate_with, rows, text_of


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


DVCLIVE = """\
import json, pathlib
import yaml
lr = yaml.safe_load(open('params.yaml'))['train']['lr']
live = pathlib.Path('dvclive'); live.mkdir(exist_ok=True)
(live / 'dvc.yaml').write_text('metrics:\\n- metrics.json\\n')
json.dump({'val': {'acc': round(1 - lr, 4)}}, open(live / 'metrics.json', 'w'))
"""


def test_a_dvc_yaml_only_a_revision_has_is_read_there(pipeline: Repo) -> None:
    """iterative/lstm_seq2seq: an experiment's commit holds dvclive/first_stage/dvc.yaml (as
    DVCLive writes one), which no commit of the current branch has. ``dvc exp show`` and
    ``dvc metrics diff`` read each revision's own dvc.yaml files, so its metrics are there;
    the experiments table and metrics-diff left them out."""
    pipeline.write("src/live.py", DVCLIVE)
    stage = ["stage", "add", "-q", "-n", "live", "-d", "src/live.py", "-p", "train.lr"]
    pipeline.dvc(*stage, f"{sys.executable} src/live.py")
    pipeline.site(
        {
            "index.md": "# Runs\n\n{ml experiments}\n",
            "diff.md": "# Diff\n\n{ml metrics-diff HEAD live-branch}\n",
        },
        # main never ran the stage: its metrics exist on the branch and the experiment only
        plugin={"card_sections": [], "checks": {"stale_pipeline": "warn"}},
    )
    pipeline.commit("A stage that logs with a DVCLive file", date="2024-01-11T09:00:00+00:00")
    # a run of the stage, saved as an experiment with the files DVCLive wrote
    change_params(pipeline, 0.2)
    pipeline.dvc("repro", "-q")
    untracked = ("-I", "dvclive/dvc.yaml", "-I", "dvclive/metrics.json")
    pipeline.dvc("exp", "save", "-q", "-n", "live-exp", *untracked)
    pipeline.git("reset", "-q", "--hard")
    pipeline.git("clean", "-q", "-fd", "dvclive")
    pipeline.git("checkout", "-q", "-b", "live-branch")
    pipeline.dvc("repro", "-q")
    pipeline.git("add", "-A")
    pipeline.commit("Log with DVCLive", date="2024-01-12T09:00:00+00:00")
    pipeline.git("checkout", "-q", "main")
    pipeline.dvc("checkout", "-q")
    assert "dvclive/dvc.yaml" not in pipeline.git("log", "--name-only", "--format=", "HEAD")

    shown = json.loads(pipeline.dvc("exp", "show", "--json"))
    (exp,) = [r for b in shown for e in b.get("experiments") or [] for r in e["revs"]]
    assert exp["name"] == "live-exp"
    assert exp["data"]["metrics"]["dvclive/metrics.json"]["data"] == {"val": {"acc": 0.8}}
    said = json.loads(pipeline.dvc("metrics", "diff", "HEAD", "live-branch", "--json"))
    assert said["dvclive/metrics.json"] == {"val.acc": {"old": None, "new": 0.95}}

    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-experiments")
    by_name = {row["Experiment"]: row for row in shown_rows(table)}
    assert by_name["live-exp"].get("val.acc") == "0.8", by_name
    (table,) = blocks(build.page("diff"), "ml-metrics-diff")
    body = {row[0]: row[1:] for row in rows(table)[1:] if len(row) == 5}
    assert body["val.acc"][1] == "0.95"


PARAMS_PY = """\
latent_dim = {dim}  # Latent dimensionality of the encoding space.
num_samples = 10000
data_path = "fra.txt"


class Optim:
    lr = 0.01
"""


def test_python_params_files_are_read_as_dvc_reads_them(empty_repo: Repo) -> None:
    """iterative/lstm_seq2seq's older experiments read params.py (``params: [params.py:]``):
    DVC reads a Python params file's literal assignments (and its classes'), never running
    it. The experiments table left their changes out, as if none had changed."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("params.py", PARAMS_PY.format(dim=64))
    repo.write(
        "train.py",
        "import params, json\njson.dump({'dim': params.latent_dim}, open('m.json', 'w'))\n",
    )
    repo.write(
        "dvc.yaml",
        f"stages:\n  train:\n    cmd: {sys.executable} train.py\n    deps: [train.py]\n"
        "    params:\n    - params.py:\n    metrics:\n    - m.json:\n        cache: false\n",
    )
    repo.dvc("repro", "-q")
    repo.site(
        {
            "index.md": "# Runs\n\n{ml experiments}\n",
            "diff.md": "# Diff\n\n{ml params-diff HEAD workspace all}\n\nDim {ml param params.py:latent_dim}.\n",
        }
    )
    repo.commit("Train", date="2024-01-11T09:00:00+00:00")
    repo.write("params.py", PARAMS_PY.format(dim=32))
    repo.dvc("repro", "-q")
    repo.dvc("exp", "save", "-q", "-n", "dim-32")
    said = json.loads(repo.dvc("params", "diff", "HEAD", "dim-32", "--json"))
    assert said == {"params.py": {"latent_dim": {"old": 64, "new": 32, "diff": -32}}}
    every = json.loads(repo.dvc("params", "diff", "HEAD", "--all", "--json"))
    assert set(every["params.py"]) == {"latent_dim", "num_samples", "data_path", "Optim.lr"}

    build = repo.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-experiments")
    by_name = {row["Experiment"]: row for row in shown_rows(table)}
    assert by_name["dim-32"]["Params changed"] == "params.py:latent_dim: 64 \u2192 32"
    (table,) = blocks(build.page("diff"), "ml-params-diff")
    body = {row[0]: row[1:] for row in rows(table)[1:] if len(row) == 5}
    assert body == {
        "Optim.lr": ["0.01", "0.01", "0", "0%"],
        "data_path": ["fra.txt", "fra.txt", "", ""],
        "latent_dim": ["64", "32", "-32", "-50%"],
        "num_samples": ["10000", "10000", "0", "0%"],
    }
    assert "Dim 32." in text_of(build.page("diff"))


def test_a_python_params_file_that_does_not_parse_is_a_finding(empty_repo: Repo) -> None:
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("params.py", "lr = (0.1\n")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: echo\n    params:\n    - params.py:\n")
    repo.site({"index.md": "# P\n\n{ml params-table train}\n"})
    repo.commit("Train", date="2024-01-11T09:00:00+00:00")
    said = repo.run(sys.executable, "-m", "dvc", "params", "diff", "--json", check=False)
    assert json.loads(said.stdout) == {}  # DVC cannot read it either
    build = repo.build()
    assert "Traceback" not in build.output
    assert "params.py is not valid Python. [invalid_project_file]" in build.output
    repo.write("params.py", "lr = 0.1\n")
    build = repo.build(env={"MLPLUGIN_UNINSTALLED": "dvc"})
    assert "Traceback" not in build.output
    assert (
        "params.py: reading a Python params file needs DVC's parser, which is not installed: "
        "pip install 'mkdocs-mlplugin[dvc]'. [invalid_project_file]"
    ) in build.output


def test_top_level_params_files_are_read_in_the_work_tree(empty_repo: Repo) -> None:
    """iterative/lstm_seq2seq's dvc.yaml lists ``params: [results/params.yaml]`` at its top
    level (the params DVCLive logs). ``dvc params diff`` reads that file at both revisions and
    finds nothing changed; the plugin read it at the commit only, so the report and
    params-diff said its params were not in the work tree (old 8, new —)."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("results/params.yaml", "latent_dim: 8\noptim_params:\n  lr: 0.01\n")
    repo.write(
        "dvc.yaml",
        "params:\n- results/params.yaml\nstages:\n  train:\n    cmd: echo\n"
        "    deps: [results/params.yaml]\n",
    )
    repo.dvc("repro", "-q")
    repo.site(
        {
            "index.md": "# P\n\n{ml params-diff HEAD workspace all}\n\n"
            "Dim {ml param results/params.yaml:latent_dim}.\n"
        }
    )
    repo.commit("Train", date="2024-01-11T09:00:00+00:00")
    said = json.loads(repo.dvc("params", "diff", "HEAD", "--all", "--json"))
    assert said == {
        "results/params.yaml": {
            "latent_dim": {"old": 8, "new": 8, "diff": 0},
            "optim_params.lr": {"old": 0.01, "new": 0.01, "diff": 0.0},
        }
    }
    build = repo.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-params-diff")
    body = {row[0]: row[1:] for row in rows(table)[1:] if len(row) == 5}
    assert body == {
        "latent_dim": ["8", "8", "0", "0%"],
        "optim_params.lr": ["0.01", "0.01", "0", "0%"],
    }
    assert "Dim 8." in text_of(build.page(""))
    report = json.loads(ml(repo, "report", "--base", "HEAD", "--format", "json").stdout)
    assert report["params"] == []


def test_a_param_one_side_lacks_reads_as_a_dash_in_experiments(pipeline: Repo) -> None:
    """iterative/lstm_seq2seq's experiments log params their baselines lack (and lack some
    their baselines have): ``dvc params diff`` gives null for the side without it, and its
    table a dash; the experiments table wrote 'null -> 0.01', as if a side had set it to
    null (the params-diff table already shows a dash with why)."""
    pipeline.site({"index.md": "# Runs\n\n{ml experiments}\n"}, plugin={"card_sections": []})
    pipeline.commit("Site", date="2024-01-11T09:00:00+00:00")
    pipeline.write("params.yaml", pipeline.read("params.yaml") + "augment:\n  flip: true\n")
    pipeline.dvc("exp", "save", "-q", "-n", "flip")
    pipeline.git("reset", "-q", "--hard")
    said = json.loads(pipeline.dvc("params", "diff", "HEAD", "flip", "--json"))
    assert said == {"params.yaml": {"augment.flip": {"old": None, "new": True}}}
    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-experiments")
    by_name = {row["Experiment"]: row for row in shown_rows(table)}
    assert by_name["flip"]["Params changed"] == "augment.flip: \u2014 \u2192 true"


def test_a_clone_without_experiment_refs_says_how_to_fetch_them(pipeline: Repo) -> None:
    """Every clone above had to fetch refs/exps by hand: git clone (and CI's checkout) does not
    bring them. The block said "there are none" where the origin holds experiments; it says
    the clone has none, and how to fetch them."""
    pipeline.site({"index.md": "# Runs\n\n{ml experiments}\n"}, plugin={"card_sections": []})
    pipeline.commit("Site", date="2024-01-11T09:00:00+00:00")
    pipeline.write("params.yaml", pipeline.read("params.yaml") + "augment:\n  flip: true\n")
    pipeline.dvc("exp", "save", "-q", "-n", "flip")
    pipeline.git("reset", "-q", "--hard")
    clone = Repo(pipeline.path.parent / "clone", pipeline.home)
    pipeline.git("clone", "-q", str(pipeline.path), str(clone.path))
    assert clone.git("for-each-ref", "refs/exps") == ""
    build = clone.build()
    assert build.ok, build.output
    said = text_of(build.page(""))
    assert "there are none" not in said
    assert (
        "No experiments in this repository: 'dvc exp run' keeps them in git refs (refs/exps), which "
        "a clone does not fetch: git fetch origin 'refs/exps/*:refs/exps/*' (or dvc exp pull) "
        "brings them."
    ) in said
    clone.git("fetch", "-q", "origin", "refs/exps/*:refs/exps/*")
    build = clone.build()
    assert build.ok, build.output
    assert "flip" in {
        row["Experiment"] for row in shown_rows(blocks(build.page(""), "ml-experiments")[0])
    }


def test_a_revision_written_as_a_commit_is_named_once(pipeline: Repo) -> None:
    """amritghimire/monorepo compared at commits written as hashes: the table headed its
    column 'ea82081 (ea82081)'."""
    first = pipeline.git("rev-parse", "--short=7", "HEAD")
    evaluate_with(pipeline, 0.95, 0.2)
    pipeline.dvc("repro", "-q")
    pipeline.site({"index.md": f"# M\n\n{{ml metrics-diff {first} HEAD}}\n"})
    pipeline.commit("Evaluate again", date="2024-01-11T09:00:00+00:00")
    head = pipeline.git("rev-parse", "--short=7", "HEAD")
    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-metrics-diff")
    assert rows(table)[0] == ["Metric", first, f"HEAD ({head})", "Change", "Change (%)"]
    report = ml(pipeline, "report", "--base", first).stdout
    assert f"| File | Metric | {first} | workspace | Change | Change (%) |" in report


CACHED_PARAMS = {
    "src/train.py": """\
import json, pathlib
out = pathlib.Path("results/train"); out.mkdir(parents=True, exist_ok=True)
(out / "params.yaml").write_text("lr: 0.1\\nlayers: 2\\n")
json.dump({"acc": 0.8}, open(out / "metrics.json", "w"))
""",
    "src/evaluate.py": """\
import json, pathlib
pathlib.Path("eval").mkdir(exist_ok=True)
json.dump({"auc": 0.9}, open("eval/metrics.json", "w"))
""",
    "dvc.yaml": f"""\
stages:
  train:
    cmd: {sys.executable} src/train.py
    deps: [src/train.py]
    outs: [results/train]
  evaluate:
    cmd: {sys.executable} src/evaluate.py
    deps: [src/evaluate.py, results/train]
    params:
      - results/train/params.yaml:
          - lr
    metrics:
      - eval/metrics.json:
          cache: false
metrics:
  - results/train/metrics.json
  - dvclive/metrics.json
""",
}


def notes_of(page: str) -> list[str]:
    return [text_of(n) for n in re.findall(r'<p class="ml-note">(.*?)</p>', page, re.S)]


def test_comparison_notes_say_what_concerns_them_and_how_dvc_keeps_each_file(
    empty_repo: Repo,
) -> None:
    """A training stage whose cached output results/train holds the params file the next
    stage reads (results/train/params.yaml) and a metrics file dvc.yaml lists; a declared
    metrics file nothing writes (dvclive/metrics.json); a clone that did not pull. The
    metrics-diff noted the params file, the params-diff called it 'not in git' at v1 (DVC
    caches it there), the work tree's note asked '(DVC-tracked and not pulled?)' of an output
    dvc.lock records, and the metrics file nobody keeps had no note at all."""
    repo = empty_repo
    repo.dvc("init", "-q")
    for path, text in CACHED_PARAMS.items():
        repo.write(path, text)
    repo.dvc("repro", "-q")
    pages = {"metrics.md": "{ml metrics-diff v1}\n", "params.md": "{ml params-diff v1}\n"}
    repo.site(pages, plugin={"checks": {"stale_pipeline": "info"}})  # not pulled: stale
    v1 = repo.commit("Train and evaluate", date="2024-02-01T10:00:00+00:00")
    repo.git("tag", "v1")
    assert "results/train/params.yaml" not in repo.git("ls-tree", "-r", "--name-only", "v1")
    shutil.rmtree(repo.path / "results")  # a clone that did not pull
    shutil.rmtree(repo.path / ".dvc" / "cache")
    metrics = json.loads(repo.dvc("metrics", "diff", "v1", "--all", "--json"))
    params = json.loads(repo.dvc("params", "diff", "v1", "--json"))
    assert set(metrics) == {"eval/metrics.json"}  # what DVC can read on both sides
    assert params == {}

    build = repo.build()
    assert build.ok, build.output
    at = f"v1 ({v1[:7]})"
    shown_metrics = notes_of(build.page("metrics"))
    shown_params = notes_of(build.page("params"))
    assert not [n for n in shown_metrics if "params" in n], shown_metrics
    assert not [n for n in shown_params if "metrics" in n], shown_params
    assert not [n for n in shown_metrics + shown_params if "?" in n or "not in git" in n]
    assert (
        f"metrics file results/train/metrics.json is DVC-tracked at {at}: DVC keeps it in its "
        "cache and git has no copy"
    ) in " ".join(shown_metrics)
    assert (
        f"metrics file dvclive/metrics.json is declared at {at}, but neither git nor DVC keeps "
        "it there (no stage caches it), so the diff cannot show it."
    ) in shown_metrics
    assert (
        "metrics file results/train/metrics.json is not in the workspace, so the diff cannot "
        "show it: it is DVC-tracked (in results/train, a directory output of stage 'train', its "
        "hash recorded in dvc.lock) and not pulled: run 'dvc pull' before the build, or track "
        "results/train in git with 'cache: false'."
    ) in shown_metrics
    assert (
        "metrics file dvclive/metrics.json is not in the workspace, so the diff cannot show "
        "it: no stage or .dvc file produces it."
    ) in shown_metrics
    assert (
        f"params file results/train/params.yaml is DVC-tracked at {at}: DVC keeps it in its "
        "cache and git has no copy, so the diff cannot show it (not compared); declare the "
        "output holding it with 'cache: false' to keep it in git."
    ) in shown_params
    assert (
        "params file results/train/params.yaml is not in the workspace, so the diff cannot "
        "show it: it is DVC-tracked (in results/train, a directory output of stage 'train'"
    ) in " ".join(shown_params)

    report = json.loads(ml(repo, "report", "--base", "v1", "--format", "json").stdout)
    assert report["notes"]["metrics"] == [n for n in shown_metrics if n.startswith("metrics")]
    assert report["notes"]["params"] == [n for n in shown_params if n.startswith("params")]
    assert report["params"] == []


def test_a_params_file_the_baseline_lacks_reads_as_a_dash_in_experiments(pipeline: Repo) -> None:
    """iterative/lstm_seq2seq's dvc.yaml lists dvclive/params.yaml (top-level ``params:``),
    which DVCLive writes during a run: the baseline's commit lacks it, its experiments hold
    it. ``dvc exp show`` gives the baseline no value for those params, ``dvc params diff``
    null; the experiments table wrote 'unreadable -> 8', as if the file were there and
    broken."""
    pipeline.site({"index.md": "# Runs\n\n{ml experiments}\n"}, plugin={"card_sections": []})
    with open(pipeline.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("params:\n  - dvclive/params.yaml\n")
    pipeline.commit("Site, DVCLive's params", date="2024-01-11T09:00:00+00:00")
    pipeline.write("dvclive/params.yaml", "latent_dim: 8\n")
    pipeline.dvc("exp", "save", "-q", "-n", "seq", "--include-untracked", "dvclive/params.yaml")
    pipeline.git("reset", "-q", "--hard")
    (pipeline.path / "dvclive" / "params.yaml").unlink()
    said = json.loads(pipeline.dvc("params", "diff", "HEAD", "seq", "--json"))
    assert said == {"dvclive/params.yaml": {"latent_dim": {"old": None, "new": 8}}}
    shown = json.loads(pipeline.dvc("exp", "show", "--json"))
    (baseline,) = [b for b in shown if b["rev"] != "workspace"]
    base_params = baseline["data"]["params"]
    assert "latent_dim" not in json.dumps(base_params.get("dvclive/params.yaml", {}))
    (run,) = baseline["experiments"]
    assert run["revs"][0]["data"]["params"]["dvclive/params.yaml"]["data"] == {"latent_dim": 8}
    build = pipeline.build()
    assert build.ok, build.output
    (table,) = blocks(build.page(""), "ml-experiments")
    by_name = {row["Experiment"]: row for row in shown_rows(table)}
    assert by_name["seq"]["Params changed"] == "dvclive/params.yaml:latent_dim: \u2014 \u2192 8"
    assert "unreadable" not in text_of(table)


def test_values_a_folder_dvc_yaml_takes_from_its_params_yaml_are_compared(
    empty_repo: Repo,
) -> None:
    """mnrozhkov/studio-multi-pipeline-models: each pipelines/type_a/X/dvc.yaml takes
    ``${base.data_dir}`` from the params.yaml beside it, which DVC's resolver reads as a vars
    file; ``dvc params diff`` counts the values taken. The plugin read that params.yaml only
    where a stage declared it, so a params-diff said each value was gone ('1 -> —', "not in
    sub/params.yaml at HEAD"), and the report listed them as changed."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("sub/params.yaml", "base:\n  x: 1\n  y: a\n")
    stage = "stages:\n  s:\n    cmd: echo ${base.x} ${base.y} > out.txt\n"
    repo.write("sub/dvc.yaml", stage + "    params:\n      - base\n    outs: [out.txt]\n")
    repo.commit("Declared", date="2024-01-11T09:00:00+00:00")
    repo.write("sub/params.yaml", "base:\n  x: 2\n  y: a\n")
    repo.write("sub/dvc.yaml", stage + "    outs: [out.txt]\n")
    page = "# P\n\n{ml params-diff HEAD~1 HEAD}\n\n{ml params-diff HEAD~1 HEAD all}\n"
    repo.site({"index.md": page}, plugin={"checks": {"stale_pipeline": "ignore"}})
    repo.commit("Taken with ${...} only", date="2024-01-12T09:00:00+00:00")
    said = json.loads(repo.dvc("params", "diff", "HEAD~1", "HEAD", "--all", "--json"))
    assert said == {
        "sub/params.yaml": {
            "base.x": {"old": 1, "new": 2, "diff": 1},
            "base.y": {"old": "a", "new": "a"},
        }
    }
    build = repo.build("--strict")
    assert build.ok, build.output
    changed, everything = blocks(build.page(""), "ml-params-diff")
    assert [r for r in rows(changed)[1:] if len(r) == 5] == [["base.x", "1", "2", "+1", "+100%"]]
    assert [r[:3] for r in rows(everything)[1:] if len(r) == 5] == [
        ["base.x", "1", "2"],
        ["base.y", "a", "a"],
    ]
    report = json.loads(ml(repo, "report", "--base", "HEAD~1", "--format", "json").stdout)
    assert [(p["key"], p["old"], p["new"]) for p in report["params"]] == [("base.x", 1, 2)]


def test_numbers_are_rounded_and_written_as_dvc_writes_them(empty_repo: Repo) -> None:
    """RihabFekii/customer-churn-dvc: with precision=3 the page showed 0.740 where
    ``dvc metrics diff --precision 3`` prints 0.74, a change of 0.8575 to 0.8475 as -0.0100,
    and relative changes as +300% beside +150.00% (the report: +300.00%)."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("m.json", '{"acc": 0.7402, "n": 4, "f1": 0.8575, "runs": 2}\n')
    repo.write(
        "dvc.yaml", 'stages:\n  s:\n    cmd: "true"\n    metrics: [{m.json: {cache: false}}]\n'
    )
    repo.commit("Before", date="2024-01-11T09:00:00+00:00")
    repo.write("m.json", '{"acc": 0.6871, "n": 4, "f1": 0.8475, "runs": 5}\n')
    page = "# M\n\n{ml metrics-diff HEAD~1 HEAD precision=3}\n\n{ml metrics-diff HEAD~1 HEAD}\n"
    repo.site({"index.md": page}, plugin={"checks": {"stale_pipeline": "ignore"}})
    repo.commit("After", date="2024-01-12T09:00:00+00:00")
    said = repo.dvc("metrics", "diff", "HEAD~1", "HEAD", "--all", "--precision", "3", "--md")
    dvc = {
        cells[1]: cells[2:5]
        for line in said.strip().splitlines()[2:]
        for cells in [[c.strip() for c in line.strip().strip("|").split("|")]]
    }
    assert dvc == {
        "acc": ["0.74", "0.687", "-0.053"],
        "f1": ["0.858", "0.848", "-0.01"],
        "n": ["4", "4", "0"],
        "runs": ["2", "5", "3"],
    }
    build = repo.build("--strict")
    assert build.ok, build.output
    rounded, exact = blocks(build.page(""), "ml-metrics-diff")
    shown = {r[0]: r[1:] for r in rows(rounded)[1:] if len(r) == 5}
    # the change as DVC writes it, with the sign the page gives a rise
    assert {k: [*v[:2], v[2].removeprefix("+")] for k, v in shown.items()} == dvc
    everything = {r[0]: r[1:] for r in rows(exact)[1:] if len(r) == 5}
    assert everything["f1"] == ["0.8575", "0.8475", "-0.01", "-1.17%"]
    assert everything["runs"][2:] == ["+3", "+150%"]
    assert everything["n"][2:] == ["0", "0%"]
    report = ml(repo, "report", "--base", "HEAD~1", "--format", "markdown").stdout
    assert "| \\+3 | \\+150% |" in report and "| \\-0.01 | \\-1.17% |" in report, report
