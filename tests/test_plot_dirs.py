"""Plots whose id is a directory (``plots: [- dvclive/plots/metrics: {x: step}]``, as DVCLive
writes and iterative/example-get-started-experiments declares) inside a DVC-cached output,
in a clone that did not ``dvc pull``: DVC cannot load them, and the page says so with a marker
and a ``missing_value`` finding, as for a cached data file, not an error about file types."""

from __future__ import annotations

import json
import shutil
import sys

from conftest import Repo

TRAIN = r"""
import pathlib
metrics = pathlib.Path("results/plots/metrics"); metrics.mkdir(parents=True, exist_ok=True)
for name, rate in (("train", 0.5), ("eval", 0.3)):
    rows = "".join(f"{i}\t{round(1 / (1 + rate * i), 4)}\n" for i in range(5))
    (metrics / f"{name}.tsv").write_text("step\tloss\n" + rows)
images = pathlib.Path("results/plots/images"); images.mkdir(parents=True, exist_ok=True)
(images / "sample.png").write_bytes(b"\x89PNG\r\n\x1a\n")
"""

PLOTS = """
plots:
  - results/plots/metrics:
      x: step
  - results/plots/images
"""


def test_a_directory_plot_dvc_caches_and_nobody_pulled_is_missing(empty_repo: Repo) -> None:
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("src/train.py", TRAIN)
    stage = ["stage", "add", "-q", "-n", "train", "-d", "src/train.py", "-o", "results"]
    repo.dvc(*stage, f"{sys.executable} src/train.py")
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(PLOTS)
    repo.dvc("repro", "-q")
    repo.site({"index.md": "# Plots\n\n{ml plots}\n"})
    repo.commit("Train", date="2024-02-01T10:00:00+00:00")
    shown = json.loads(repo.dvc("plots", "show", "--json"))
    assert set(shown["data"]) == {
        "results/plots/metrics/eval.tsv",
        "results/plots/metrics/train.tsv",
        "results/plots/images/sample.png",
    }
    # a clone that never pulled: neither the outputs nor DVC's cache of them
    shutil.rmtree(repo.path / "results")
    shutil.rmtree(repo.path / ".dvc" / "cache")
    unpulled = repo.run(sys.executable, "-m", "dvc", "plots", "show", "--json", check=False).stdout
    assert {e["rev"] for e in json.loads(unpulled)["errors"]} == {"workspace"}

    build = repo.build()
    assert build.ok, build.output
    assert "invalid_project_file" not in build.output
    assert "not a data file" not in build.output
    for plot in ("results/plots/metrics", "results/plots/images"):
        assert (
            f"index.md:3: '{{ml plots}}': plot '{plot}': {plot} is not in the workspace: it is "
            "DVC-tracked (in results, a directory output of stage 'train', its hash recorded in "
            "dvc.lock) and not pulled: run 'dvc pull' before the build, or track results in git "
            "with 'cache: false'. [missing_value]"
        ) in build.output
    page = build.page("")
    assert page.count("ml-missing") >= 2
    assert "<svg" not in page.split("<article", 1)[1]


def test_a_directory_plot_at_a_past_revision_lists_that_revision_s_files_from_git(
    empty_repo: Repo,
) -> None:
    """At v1 git keeps results/train/plots/metrics (``cache: false``); since, the stage caches
    all of results/train and this clone has not pulled it. ``{ml plots DIR versions=v1}`` draws
    v1's files from git, as ``dvc plots diff v1`` does, not 'not in git at commit'."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("src/train.py", TRAIN.replace('"results/plots', '"results/train/plots'))
    repo.write(
        "dvc.yaml",
        f"""
        stages:
          train:
            cmd: {sys.executable} src/train.py
            deps: [src/train.py]
            outs:
              - results/train/plots/metrics:
                  cache: false
        plots:
          - results/train/plots/metrics:
              x: step
        """,
    )
    repo.dvc("repro", "-q")
    repo.site({"index.md": "# Plots\n\n{ml plots results/train/plots/metrics versions=v1}\n"})
    repo.commit("Train, curves in git", date="2024-02-01T10:00:00+00:00")
    repo.git("tag", "v1")
    dvc_yaml = repo.read("dvc.yaml").replace(
        "      - results/train/plots/metrics:\n          cache: false\n", "      - results/train\n"
    )
    repo.write("dvc.yaml", dvc_yaml)
    repo.git("rm", "-r", "-q", "--cached", "results/train")
    repo.dvc("repro", "-q")
    repo.commit("Train, results cached", date="2024-02-02T10:00:00+00:00")
    assert repo.git("ls-tree", "-r", "--name-only", "HEAD", "results") == "results/.gitignore"
    shutil.rmtree(repo.path / "results")
    shutil.rmtree(repo.path / ".dvc" / "cache")

    theirs = json.loads(repo.dvc("plots", "diff", "v1", "--json"))
    drawn = {
        path for path, entries in theirs["data"].items() for e in entries if "v1" in e["revisions"]
    }
    v1_files = {"results/train/plots/metrics/eval.tsv", "results/train/plots/metrics/train.tsv"}
    assert drawn == v1_files

    build = repo.build()
    assert build.ok, build.output
    assert "not in git at commit" not in build.output
    page = build.page("").split("<article", 1)[1]
    assert "ml-missing" not in page
    figures = [chunk.split('"', 1)[0] for chunk in page.split('data-plot="')[1:]]
    assert set(figures) == v1_files
    assert page.count("<svg") >= 2
