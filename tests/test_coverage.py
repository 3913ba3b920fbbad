"""Required documents (``require:``) and documentation coverage, on the real DVC pipeline of
the fixtures with a dataset artifact added: each requirement missing and met, in real builds
and in ``mkdocs-ml check``; the coverage on the generated page, in the manifest and in the
check's output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from conftest import Repo

from mkdocs_mlplugin.checks import records

MKDOCS_ML = Path(sys.executable).parent / "mkdocs-ml"
EVERYTHING = {
    "model_cards": True,
    "datasheets": True,
    "stage_pages": True,
    "records": ["runbook", "decision"],
}
EPOCH = {"SOURCE_DATE_EPOCH": "1709294400"}  # 2024-03-01: no review is due


def sections(kind: str) -> str:
    return "".join(f"## {title}\n\nText.\n\n" for title in records.RECORDS[kind].sections)


def page(front: str, body: str = "") -> str:
    return f"---\n{front}---\n# Page\n\n{body}"


CARD = page("ml:\n  artifact: classifier\n", "The classifier.\n")
DATASHEET = page(
    "ml:\n  record: datasheet\n  artifact: raw-reviews\nowner: Ada\n", sections("datasheet")
)
RUNBOOK = page(
    "ml:\n  record: runbook\nalerts: [training fails]\nowner: Ada\n", sections("runbook")
)
DECISION = page(
    "ml:\n  record: decision\nstatus: accepted\ndate: 2024-02-01\ndeciders: [Ada]\n",
    sections("decision"),
)
PREPARE = page("ml:\n  stage: prepare\n", "Splits the reviews.\n")
EVALUATE = page("ml:\n  stage: evaluate\n", "Scores the model.\n")
COMPLETE = {
    "index.md": "# Home\n",
    "models/classifier.md": CARD,
    "data/raw-reviews.md": DATASHEET,
    "runbooks/training.md": RUNBOOK,
    "decisions/0001-upper-case.md": DECISION,
    "pipeline/prepare.md": PREPARE,
    "pipeline/evaluate.md": EVALUATE,
}


def with_dataset(repo: Repo) -> None:
    """Declare the raw data (added with dvc add) as a dataset artifact."""
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  raw-reviews:\n    path: data/raw.csv\n    type: dataset\n")
    repo.commit("Declare the raw reviews a dataset", date="2024-01-11T09:00:00+00:00")


def line_of(repo: Repo, text: str) -> int:
    return repo.read("dvc.yaml").splitlines().index(text) + 1


def check(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return repo.run(str(MKDOCS_ML), "check", *args, check=False, env=EPOCH)


def site(repo: Repo, pages: dict[str, str], **plugin: object) -> None:
    repo.site(pages, {"coverage_page": "coverage.md", **plugin})
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")


def missing_lines(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if line.endswith("[missing_document]"))


# ---------------------------------------------------------------------------- missing


def test_every_required_document_missing_is_named_where_it_is_declared(pipeline: Repo) -> None:
    with_dataset(pipeline)
    site(pipeline, {"index.md": "# Home\n"}, require=EVERYTHING)

    result = check(pipeline)
    built = pipeline.build(env=EPOCH)

    assert result.returncode == 1, result.stdout + result.stderr
    assert not built.ok
    classifier = line_of(pipeline, "  classifier:")
    assert missing_lines(result.stdout) == sorted(
        [
            f"dvc.yaml:{classifier}: error: artifact 'classifier' (type model) has no model card: "
            "write a page with 'ml: {artifact: classifier}' in its front matter (require: "
            "model_cards). [missing_document]",
            f"dvc.yaml:{line_of(pipeline, '  raw-reviews:')}: error: dataset 'raw-reviews' has "
            "no datasheet: write a page with 'ml: {record: datasheet, artifact: raw-reviews}' in "
            "its front matter (require: datasheets). [missing_document]",
            *(
                f"dvc.yaml:{line_of(pipeline, f'  {stage}:')}: error: stage '{stage}' is "
                f"documented by no page: bind one with 'ml: {{stage: {stage}}}' (or to an "
                "artifact the stage makes) (require: stage_pages). [missing_document]"
                for stage in ("prepare", "train", "evaluate")
            ),
            "mkdocs.yml: error: the site has no runbook: write a page with 'ml: {record: "
            "runbook}' in its front matter (require: records). [missing_document]",
            "mkdocs.yml: error: the site has no decision record: write a page with 'ml: "
            "{record: decision}' in its front matter (require: records). [missing_document]",
        ]
    )
    assert (
        "Coverage: model cards 0/1, datasheets 0/1, stage pages 0/3, records 0/2."
        in result.stdout.splitlines()
    )
    # the build reports the same findings
    assert len(re.findall(r"\[missing_document\]", built.output)) == 7, built.output


def test_a_decision_about_the_model_is_no_model_card_and_documents_no_stage(
    pipeline: Repo,
) -> None:
    decision = page(
        "ml:\n  record: decision\n  artifact: classifier\nstatus: accepted\n"
        "date: 2024-02-01\ndeciders: [Ada]\n",
        sections("decision"),
    )
    with_dataset(pipeline)
    site(
        pipeline,
        {
            **COMPLETE,
            "models/classifier.md": "# Not bound\n",
            "decisions/0001-upper-case.md": decision,
        },
        require=EVERYTHING,
    )

    result = check(pipeline)

    assert result.returncode == 1, result.stdout + result.stderr
    found = missing_lines(result.stdout)
    assert len(found) == 2, found
    assert "artifact 'classifier' (type model) has no model card" in found[0] + found[1]
    assert "stage 'train' is documented by no page" in found[0] + found[1]
    assert (
        "Coverage: model cards 0/1, datasheets 1/1, stage pages 2/3, records 2/2." in result.stdout
    )


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        (
            "models/classifier.md",
            # the card was the page of the stage that makes the model, too
            ["artifact 'classifier' (type model) has no model card", "stage 'train' is"],
        ),
        ("data/raw-reviews.md", ["dataset 'raw-reviews' has no datasheet"]),
        ("pipeline/prepare.md", ["stage 'prepare' is documented by no page"]),
        ("runbooks/training.md", ["the site has no runbook"]),
        ("decisions/0001-upper-case.md", ["the site has no decision record"]),
    ],
)
def test_each_requirement_fails_alone_when_its_document_is_missing(
    pipeline: Repo, left_out: str, named: list[str]
) -> None:
    with_dataset(pipeline)
    site(pipeline, {k: v for k, v in COMPLETE.items() if k != left_out}, require=EVERYTHING)

    result = check(pipeline)

    assert result.returncode == 1, result.stdout + result.stderr
    found = missing_lines(result.stdout)
    assert len(found) == len(named), found
    assert all(any(n in line for line in found) for n in named), found


# ---------------------------------------------------------------------------- met


def test_a_site_that_meets_the_standard_builds_strict_and_shows_its_coverage(
    pipeline: Repo,
) -> None:
    with_dataset(pipeline)
    site(pipeline, COMPLETE, require=EVERYTHING)

    result = check(pipeline, "--strict")
    built = pipeline.build("--strict", env=EPOCH)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "Coverage: model cards 1/1, datasheets 1/1, stage pages 3/3, records 2/2.",
        "0 errors, 0 warnings on 8 pages.",  # the coverage page among them
    ]
    assert built.ok, built.output
    coverage = built.manifest()["coverage"]
    assert coverage == {
        "model_cards": {
            "required": True,
            "documented": 1,
            "total": 1,
            "items": [{"name": "classifier", "pages": ["docs/models/classifier.md"]}],
        },
        "datasheets": {
            "required": True,
            "documented": 1,
            "total": 1,
            "items": [{"name": "raw-reviews", "pages": ["docs/data/raw-reviews.md"]}],
        },
        "stage_pages": {
            "required": True,
            "documented": 3,
            "total": 3,
            "items": [
                {"name": "prepare", "pages": ["docs/pipeline/prepare.md"]},
                # the model card documents the stage that makes its model
                {"name": "train", "pages": ["docs/models/classifier.md"]},
                {"name": "evaluate", "pages": ["docs/pipeline/evaluate.md"]},
            ],
        },
        "records": {
            "required": True,
            "documented": 2,
            "total": 2,
            "items": [
                {"name": "runbook", "pages": ["docs/runbooks/training.md"]},
                {"name": "decision", "pages": ["docs/decisions/0001-upper-case.md"]},
            ],
        },
    }
    html = built.page("coverage")
    summary = re.search(r'<div class="ml-block ml-coverage">(.*?)</div>', html, re.S)
    assert summary is not None
    cells = re.findall(r"<td>(.*?)</td>", summary.group(1))
    assert cells == [
        *("Model cards", "1", "1", "100%", "yes"),
        *("Datasheets", "1", "1", "100%", "yes"),
        *("Stage pages", "3", "3", "100%", "yes"),
        *("Records", "2", "2", "100%", "yes"),
    ]
    stages = re.search(r'ml-coverage-stage-pages">(.*?)</div>', html, re.S)
    assert stages is not None
    assert '<td><code>train</code></td><td><a href="../models/classifier/">' in stages.group(1)


def test_a_datasheet_bound_by_its_data_path_counts_for_the_dataset(pipeline: Repo) -> None:
    with_dataset(pipeline)
    by_path = DATASHEET.replace("artifact: raw-reviews", "data: data/raw.csv")
    site(pipeline, {**COMPLETE, "data/raw-reviews.md": by_path}, require=EVERYTHING)

    result = check(pipeline, "--strict")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "datasheets 1/1" in result.stdout


def test_without_a_standard_the_coverage_is_counted_and_nothing_is_required(
    pipeline: Repo,
) -> None:
    site(pipeline, {"index.md": "# Home\n", "models/classifier.md": CARD})

    result = check(pipeline)
    built = pipeline.build(env=EPOCH)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Coverage" not in result.stdout and "missing_document" not in result.stdout
    assert built.ok, built.output
    coverage = built.manifest()["coverage"]
    assert [(k, v["required"], v["documented"], v["total"]) for k, v in coverage.items()] == [
        ("model_cards", False, 1, 1),
        ("datasheets", False, 0, 0),
        ("stage_pages", False, 1, 3),
        ("records", False, 0, 0),
    ]
    html = built.page("coverage")
    assert "<td><code>prepare</code></td><td>none</td>" in html


def test_json_output_has_the_coverage_of_a_standard(pipeline: Repo) -> None:
    site(pipeline, {"index.md": "# Home\n"}, require={"model_cards": True})

    result = check(pipeline, "--format", "json")

    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["coverage"]["model_cards"] == {
        "required": True,
        "documented": 0,
        "total": 1,
        "items": [{"name": "classifier", "pages": []}],
    }
    assert data["coverage"]["stage_pages"]["required"] is False


def test_a_kind_of_record_the_plugin_does_not_know_stops_the_check(pipeline: Repo) -> None:
    site(pipeline, {"index.md": "# Home\n"}, require={"records": ["runbok"]})

    result = check(pipeline)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "runbok" in result.stderr and "Traceback" not in result.stderr


def test_page_names_on_the_coverage_page_are_text_and_links_stay_relative(
    pipeline: Repo,
) -> None:
    """A page's path is repository data: on the coverage page it is text, and its link the
    relative URL MkDocs gives the page, even when the name reads like markup or a scheme."""
    odd = {
        "pipeline/<b>prep</b> & *x*.md": PREPARE,
        "javascript:alert(1).md": EVALUATE,
    }
    site(pipeline, {"index.md": "# Home\n", **odd})

    built = pipeline.build(env=EPOCH)

    assert built.ok, built.output
    html = built.page("coverage")
    anchors = re.findall(r'<a href="([^"]*)">([^<]*)</a>', html.split("ml-coverage-stage-pages")[1])
    assert sorted(unescape(label) for _, label in anchors) == [
        "docs/javascript:alert(1).md",
        "docs/pipeline/<b>prep</b> & *x*.md",
    ]
    assert "<b>prep</b>" not in html and "<em>x</em>" not in html
    assert all(href.startswith("../") for href, _ in anchors), anchors
