"""The pull-request gate: ``mkdocs-ml check --since BASE`` on a real git history.

A branch off ``main`` changes code of the real DVC pipeline (``src/train.py``, params) and
runs ``dvc repro`` as a contributor would; the gate must then ask for the pages bound to the
stage, or to the artifact it makes, to change in the same range, and accept an edit of the
page, or of its ``reviewed:`` date alone. Every run is the installed console script.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Repo

MKDOCS_ML = Path(sys.executable).parent / "mkdocs-ml"

CARD = """\
---
ml:
  artifact: classifier
reviewed: 2024-01-11
---
# Classifier

Trained with lr {ml param train.lr}.
"""

STAGE_PAGE = """\
---
ml:
  stage: {stage}
---
# {stage}

{{ml stage {stage} cmd}}
"""


def ml(repo: Repo, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return repo.run(str(MKDOCS_ML), *args, cwd=cwd, check=False)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def documented(repo: Repo, where: str = ".", **plugin: object) -> None:
    """On main: a site with a model card (bound to the artifact stage 'train' makes), a page
    per other stage; then a branch 'feature' checked out."""
    repo.site(
        {
            "index.md": "# Home\n",
            "model.md": CARD,
            "prepare.md": STAGE_PAGE.format(stage="prepare"),
            "evaluate.md": STAGE_PAGE.format(stage="evaluate"),
            "runbooks/serving.md": "# Serving\n",
        },
        plugin=dict(plugin),
        where=where,
    )
    repo.commit("Docs", date="2024-01-11T09:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature")


def change_training_code(repo: Repo) -> None:
    """A change to src/train.py that keeps the model as it was, run through dvc repro: the
    pipeline is current and no hash a page documents moved (no stale_doc), only the code."""
    repo.write("src/train.py", repo.read("src/train.py") + "# reviewed the tokeniser\n")
    repo.dvc("repro", "-q")
    repo.commit("Train: note on the tokeniser", date="2024-01-12T09:00:00+00:00")


def set_param(repo: Repo, old: str, new: str) -> None:
    repo.write("params.yaml", repo.read("params.yaml").replace(old, new))
    repo.dvc("repro", "-q")
    repo.commit(f"Params: {new}", date="2024-01-12T10:00:00+00:00")


def gate_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.endswith("[undocumented_change]")]


# ---------------------------------------------------------------------------- stage deps


def test_a_branch_that_changes_train_py_without_the_card_fails_the_gate(pipeline: Repo) -> None:
    documented(pipeline)
    change_training_code(pipeline)
    base = pipeline.git("merge-base", "main", "HEAD")

    plain = ml(pipeline, "check")
    gated = ml(pipeline, "check", "--since", "main")

    # nothing else is wrong: the pipeline is current and the card's artifact did not change
    assert plain.returncode == 0, output(plain)
    assert gated.returncode == 1, output(gated)
    assert gate_lines(gated.stdout) == [
        f"docs/model.md:2: error: docs/model.md did not change since 'main' (merge base "
        f"{base[:7]}), but what it documents did: src/train.py (stage 'train'). Review "
        "the page: edit it, or, if it still holds, bump 'reviewed:' in its front matter to the "
        "date of the review. [undocumented_change]"
    ]
    # the stages that did not change ask nothing of their pages
    assert "prepare.md" not in gated.stdout and "evaluate.md" not in gated.stdout
    assert gated.stdout.splitlines()[-2:] == [
        f"Since 'main' (merge base {base[:7]}): 2 changed files.",  # src/train.py, dvc.lock
        "1 error, 0 warnings on 5 pages.",
    ]


def test_a_decision_record_about_the_model_is_not_asked_to_change(pipeline: Repo) -> None:
    """A decision bound to the model is about it, not its documentation (it never goes
    stale either): the card is asked to change, the decision is not."""
    pipeline.write(
        "docs/decisions/upper-case.md",
        "---\nml:\n  record: decision\n  artifact: classifier\nstatus: accepted\n"
        "date: 2024-01-11\ndeciders: [Ada]\n---\n# Upper-case the reviews\n",
    )
    documented(pipeline)
    change_training_code(pipeline)

    gated = ml(pipeline, "check", "--since", "main")

    assert gated.returncode == 1, output(gated)
    [line] = gate_lines(gated.stdout)
    assert line.startswith("docs/model.md:2: error:")


def test_the_card_edited_in_the_range_passes(pipeline: Repo) -> None:
    documented(pipeline)
    change_training_code(pipeline)
    pipeline.write("docs/model.md", CARD + "\nThe tokeniser was reviewed in January.\n")
    pipeline.commit("Card: tokeniser", date="2024-01-13T09:00:00+00:00")

    gated = ml(pipeline, "check", "--since", "main")

    assert gated.returncode == 0, output(gated)
    assert gate_lines(gated.stdout) == []
    assert "3 changed files." in gated.stdout


def test_only_the_reviewed_date_bumped_passes(pipeline: Repo) -> None:
    documented(pipeline)
    change_training_code(pipeline)
    card = pipeline.read("docs/model.md")
    pipeline.write("docs/model.md", card.replace("reviewed: 2024-01-11", "reviewed: 2024-01-13"))
    pipeline.commit("Card reviewed: still holds", date="2024-01-13T09:00:00+00:00")

    gated = ml(pipeline, "check", "--since", "main")

    assert gated.returncode == 0, output(gated)
    assert gate_lines(gated.stdout) == []


def test_an_uncommitted_edit_of_the_card_counts_as_it_will_once_committed(
    pipeline: Repo,
) -> None:
    documented(pipeline)
    change_training_code(pipeline)
    pipeline.write("docs/model.md", CARD.replace("2024-01-11", "2024-01-13"))

    assert ml(pipeline, "check", "--since", "main").returncode == 0
    pipeline.git("checkout", "--", "docs/model.md")
    assert ml(pipeline, "check", "--since", "main").returncode == 1


def test_github_annotations_carry_the_page_and_the_changed_file(pipeline: Repo) -> None:
    """The site in docs-site/: both annotations name their file from the git root, the page at
    its 'ml:' line, so each shows in the pull request."""
    documented(pipeline, where="docs-site")
    change_training_code(pipeline)
    base = pipeline.git("merge-base", "main", "HEAD")[:7]

    result = ml(
        pipeline, "check", "-f", "docs-site/mkdocs.yml", "--since", "main", "--format", "github"
    )

    assert result.returncode == 1, output(result)
    message = (
        f"docs-site/docs/model.md did not change since 'main' (merge base {base}), but what it "
        "documents did: src/train.py (stage 'train'). Review the page: edit it, or, if "
        "it still holds, bump 'reviewed:' in its front matter to the date of the review."
    )
    assert result.stdout.splitlines() == [
        f"::error file=docs-site/docs/model.md,line=2,title=mlplugin undocumented_change::{message}",
        f"::error file=src/train.py,title=mlplugin undocumented_change::{message}",
    ]


def test_json_lists_the_changed_files_and_each_finding_with_both_places(pipeline: Repo) -> None:
    documented(pipeline, where="docs-site")
    change_training_code(pipeline)

    result = ml(
        pipeline, "check", "-f", "docs-site/mkdocs.yml", "--since", "main", "--format", "json"
    )

    assert result.returncode == 1, output(result)
    data = json.loads(result.stdout)
    assert data["since"] == {
        "base": "main",
        "merge_base": pipeline.git("merge-base", "main", "HEAD"),
        "changed": ["../dvc.lock", "../src/train.py"],  # from mkdocs.yml's directory
    }
    [finding] = [f for f in data["findings"] if f["kind"] == "undocumented_change"]
    assert (finding["file"], finding["line"]) == ("docs/model.md", 2)
    assert finding["also"] == [{"file": "../src/train.py", "line": None}]


# ---------------------------------------------------------------------------- params


def test_a_param_the_stage_uses_asks_for_its_page_and_points_at_the_key(pipeline: Repo) -> None:
    documented(pipeline)
    set_param(pipeline, "seed: 7", "seed: 8")  # prepare.seed: prepare's, not train's
    seed_line = pipeline.read("params.yaml").splitlines().index("  seed: 8") + 1

    result = ml(pipeline, "check", "--since", "main", "--format", "github")

    assert result.returncode == 1, output(result)
    # the page bound to the stage is stale too (its dvc.lock entry changed): that is stale_doc
    lines = [line for line in result.stdout.splitlines() if "undocumented_change" in line]
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith(
        "::error file=docs/prepare.md,line=2,title=mlplugin undocumented_change::"
    )
    assert "params.yaml (prepare.seed) (stage 'prepare')" in lines[0]
    assert lines[1].startswith(f"::error file=params.yaml,line={seed_line},title=")
    assert "model.md" not in result.stdout  # train uses train.lr and train.epochs only


def test_a_new_command_of_the_stage_asks_for_its_pages_at_the_stage_s_line(
    pipeline: Repo,
) -> None:
    documented(pipeline)
    pipeline.write(
        "dvc.yaml",
        pipeline.read("dvc.yaml").replace("python3 src/train.py", "python3 -B src/train.py"),
    )
    pipeline.dvc("repro", "-q")
    pipeline.commit("Train without writing bytecode", date="2024-01-12T09:00:00+00:00")
    train_line = pipeline.read("dvc.yaml").splitlines().index("  train:") + 1

    result = ml(pipeline, "check", "--since", "main", "--format", "github")

    assert result.returncode == 1, output(result)
    lines = [line for line in result.stdout.splitlines() if "undocumented_change" in line]
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith("::error file=docs/model.md,line=2,")
    assert "but what it documents did: dvc.yaml (cmd) (stage 'train')." in lines[0]
    assert lines[1].startswith(f"::error file=dvc.yaml,line={train_line},title=")


def test_a_params_file_changed_only_where_no_stage_reads_asks_for_no_page(
    pipeline: Repo,
) -> None:
    documented(pipeline)
    pipeline.write("params.yaml", pipeline.read("params.yaml") + "serving:\n  workers: 4\n")
    pipeline.commit("Params for serving", date="2024-01-12T09:00:00+00:00")

    result = ml(pipeline, "check", "--since", "main")

    assert result.returncode == 0, output(result)
    assert "1 changed file." in result.stdout


def test_the_card_follows_train_lr(pipeline: Repo) -> None:
    documented(pipeline)
    set_param(pipeline, "lr: 0.05", "lr: 0.07")

    result = ml(pipeline, "check", "--since", "main")

    assert result.returncode == 1, output(result)
    [line] = gate_lines(result.stdout)
    assert line.startswith("docs/model.md:2: error:")
    assert "params.yaml (train.lr) (stage 'train')" in line


# ---------------------------------------------------------------------------- documented_by


def test_paths_mapped_by_documented_by_ask_for_their_page(pipeline: Repo) -> None:
    mapping = {"serving/**": "runbooks/serving.md", "*.sql": ["runbooks/serving.md", "index.md"]}
    documented(pipeline, documented_by=mapping)
    pipeline.write("serving/app.py", "print('serve')\n")
    pipeline.write("tools/serving/deploy.py", "print('not under serving/ at the root')\n")
    pipeline.commit("Serving app", date="2024-01-12T09:00:00+00:00")
    pipeline.write("db/schema.sql", "create table t (x int);\n")  # untracked: counts too

    result = ml(pipeline, "check", "--since", "main", "--format", "github")

    assert result.returncode == 1, output(result)
    files = sorted(line.split(",", 1)[0] for line in result.stdout.splitlines())
    assert files == [
        "::error file=db/schema.sql",  # for index.md
        "::error file=db/schema.sql",  # for runbooks/serving.md
        "::error file=docs/index.md",
        "::error file=docs/runbooks/serving.md",
        "::error file=serving/app.py",
    ]
    assert "tools/serving" not in result.stdout
    serving = next(line for line in result.stdout.splitlines() if "file=docs/runbooks" in line)
    assert (
        "but what it documents did: serving/app.py (documented_by 'serving/**'); "
        "db/schema.sql (documented_by '*.sql')."
    ) in serving

    pipeline.write("docs/runbooks/serving.md", "# Serving\n\nThe app serves on port 80.\n")
    pipeline.write("docs/index.md", "# Home\n\nThe schema has one table.\n")
    assert ml(pipeline, "check", "--since", "main").returncode == 0


def test_a_documented_by_page_that_does_not_exist_is_named_by_every_build(pipeline: Repo) -> None:
    documented(pipeline, documented_by={"serving/**": "runbook/serving.md"})

    gated = ml(pipeline, "check", "--since", "main")
    built = pipeline.build()

    assert gated.returncode == 1, output(gated)
    message = (
        "option 'documented_by': 'runbook/serving.md' (for 'serving/**') is no page of "
        "docs_dir. Did you mean 'runbooks/serving.md'? [missing_reference]"
    )
    assert [line for line in gated.stdout.splitlines() if "documented_by" in line] == [
        f"mkdocs.yml: error: {message}"
    ]
    assert not built.ok
    assert f"ERROR   -  mlplugin: mkdocs.yml: {message}" in built.output


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("serving/**", "expected a mapping of path patterns to pages"),
        ({"!serving": "index.md"}, "'!serving' is not a path pattern"),
        ({"serving/**": []}, "'serving/**' must map to a page (from docs_dir) or a list of pages"),
    ],
)
def test_a_documented_by_option_of_the_wrong_shape_stops_the_check(
    pipeline: Repo, value: object, problem: str
) -> None:
    pipeline.site({"index.md": "# Home\n"}, plugin={"documented_by": value})

    result = ml(pipeline, "check", "--since", "HEAD")

    assert result.returncode == 2, output(result)
    assert problem in result.stderr
    assert "Traceback" not in output(result)


# ---------------------------------------------------------------------------- bad bases


def test_a_base_that_does_not_resolve_is_named(pipeline: Repo) -> None:
    documented(pipeline)

    result = ml(pipeline, "check", "--since", "origin/main")

    assert result.returncode == 2, output(result)
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "mkdocs-ml: --since 'origin/main' names no commit of this repository; in CI, check out "
        "with the full history and the base branch (actions/checkout: 'fetch-depth: 0')."
    )


def test_a_shallow_clone_says_to_fetch_the_full_history(pipeline: Repo) -> None:
    documented(pipeline)
    change_training_code(pipeline)
    url = f"file://{pipeline.path}"
    single = pipeline.home / "single"
    both = pipeline.home / "both"
    pipeline.git("clone", "-q", "--depth", "1", "-b", "feature", url, str(single))
    pipeline.git(
        "clone", "-q", "--depth", "1", "--no-single-branch", "-b", "feature", url, str(both)
    )

    missing = ml(pipeline, "check", "--since", "origin/main", cwd=single)
    unrelated = ml(pipeline, "check", "--since", "origin/main", cwd=both)

    assert missing.returncode == unrelated.returncode == 2, output(missing) + output(unrelated)
    shallow = (
        "the clone is shallow, so its history may stop before the base: fetch the full history "
        "(actions/checkout: 'fetch-depth: 0', or 'git fetch --unshallow')."
    )
    assert missing.stderr.strip() == (
        f"mkdocs-ml: --since 'origin/main' names no commit of this repository; {shallow}"
    )
    main = pipeline.git("rev-parse", "main")[:7]
    assert unrelated.stderr.strip() == (
        f"mkdocs-ml: --since 'origin/main': {main} and HEAD have no common ancestor, so nothing "
        f"tells what this branch changed; {shallow}"
    )


def test_a_base_that_looks_like_an_option_is_refused(pipeline: Repo) -> None:
    documented(pipeline)

    result = ml(pipeline, "check", "--since=--output=x")

    assert result.returncode == 2, output(result)
    assert "--since '--output=x' is not a git revision." in result.stderr
    assert not (pipeline.path / "x").exists()
