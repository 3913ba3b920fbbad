"""One root cause, one finding: what a broken project file or a failed binding keeps from
being resolved is reported with that root finding, as a count, not as findings of its own.

Real DVC projects (the pipeline fixture, made with the dvc CLI), real ``mkdocs build`` and
``mkdocs-ml check`` runs.
"""

from __future__ import annotations

import html
import json
import re
import sys

import pytest
from conftest import Repo

PAGE = """\
---
ml:
  artifact: classifier
---
# Classifier

{ml provenance}

{ml params-table}

Accuracy {ml metric accuracy}, md5 {ml artifact classifier md5}, size
{ml out models/model.txt size}, trained by {ml stage train}, lr {ml param train.lr}.
"""


def findings(output: str) -> list[str]:
    """The finding lines of a build's log (not its summary lines)."""
    return [
        line.split("mlplugin: ", 1)[1]
        for line in output.splitlines()
        if "mlplugin: " in line and line.rstrip().endswith("]")
    ]


def check_json(repo: Repo) -> dict[str, object]:
    done = repo.run(
        sys.executable, "-m", "mkdocs_mlplugin.cli", "check", "--format", "json", check=False
    )
    return json.loads(done.stdout)


def test_a_broken_dvc_yaml_is_one_finding_not_one_per_reference(pipeline: Repo) -> None:
    pipeline.site({"card.md": PAGE, "index.md": "# Home\n\n{ml stage train status}\n"})
    pipeline.write("dvc.yaml", pipeline.read("dvc.yaml").replace("cmd:", "cmd: [", 1))
    pipeline.commit("Card, and a typo in dvc.yaml")

    build = pipeline.build()

    assert not build.ok
    # the binding, provenance, params table, metric, artifact, out and stage on the card, the
    # stage on the home page: 7 + 1, all because dvc.yaml cannot be read; lr is in params.yaml
    assert findings(build.output) == [
        "dvc.yaml:4: dvc.yaml is not valid YAML: did not find expected ',' or ']' (while parsing "
        "a flow sequence that started on line 3). It blocks 8 references on 2 pages "
        "(docs/card.md, docs/index.md), not listed on their own. [invalid_project_file]"
    ]
    assert "1 error (listed above)" in build.output
    report = check_json(pipeline)
    assert report["errors"] == 1
    assert [f["kind"] for f in report["findings"]] == ["invalid_project_file"]  # type: ignore[index, union-attr]


def test_references_blocked_by_a_file_say_so_on_the_page_and_guess_nothing(
    pipeline: Repo,
) -> None:
    """With the broken file tolerated (warn), the page is built: each blocked reference is a
    marker naming the file, none claims the data is untracked or guesses another name."""
    pipeline.site({"card.md": PAGE}, plugin={"checks": {"invalid_project_file": "warn"}})
    pipeline.write("dvc.yaml", pipeline.read("dvc.yaml").replace("cmd:", "cmd: [", 1))
    pipeline.commit("Card, and a typo in dvc.yaml")

    build = pipeline.build()

    assert build.ok, build.output
    assert len(findings(build.output)) == 1
    page = build.page("card")
    reasons = re.findall(r'class="ml-missing"[^>]*title="([^"]*)"', page)
    assert len(reasons) == 6  # provenance, params table, metric, artifact, out, stage
    text = " ".join(reasons).replace("&#32;", " ")
    assert "DVC does not track it" not in text
    assert "declares no metrics files" not in text
    assert "Did you mean" not in text


@pytest.mark.parametrize(
    ("file", "broken", "says"),
    [
        (
            "params.yaml",
            "train:\n  lr: [0.05\n",
            "params.yaml:3: params.yaml is not valid YAML",
        ),
        ("dvc.lock", "schema: '2.0'\nstages: [\n", "dvc.lock:3: dvc.lock is not valid YAML"),
    ],
)
def test_a_broken_params_file_or_lock_file_is_one_finding(
    pipeline: Repo, file: str, broken: str, says: str
) -> None:
    pipeline.site({"index.md": "lr {ml param train.lr}, md5 {ml out models/model.txt}.\n"})
    pipeline.write(file, broken)
    pipeline.commit(f"Broken {file}")

    build = pipeline.build()

    assert not build.ok
    lines = findings(build.output)
    errors = [line for line in lines if line.endswith("[invalid_project_file]")]
    assert len(errors) == 1, lines
    assert errors[0].startswith(says)
    assert "It blocks 1 reference on 1 page (docs/index.md)" in errors[0]
    assert not [line for line in lines if "[missing_" in line], lines


def test_a_failed_binding_is_one_finding_per_page(pipeline: Repo) -> None:
    """A typo in the artifact name of three pages' bindings: three findings, not one for
    every block on those pages that needs the binding."""
    page = PAGE.replace("artifact: classifier", "artifact: clasifier")
    pipeline.site({"a.md": page, "b.md": page, "c.md": page})
    pipeline.commit("Three cards")

    build = pipeline.build()

    assert not build.ok
    assert findings(build.output) == [
        f"docs/{name}.md:2: 'ml:': no artifact 'clasifier'. Did you mean 'classifier'? "
        "Artifacts: classifier. It blocks 2 references on this page, not listed on their own. "
        "[missing_reference]"
        for name in "abc"
    ]
    manifest_findings = check_json(pipeline)["findings"]
    assert len(manifest_findings) == 3  # type: ignore[arg-type]


def test_links_and_plots_blocked_by_a_broken_dvc_yaml_name_it_not_a_missing_stage(
    pipeline: Repo,
) -> None:
    """A stage or artifact link and a plots block that only dvc.yaml could answer point at
    dvc.yaml when it cannot be read: they do not say the stage is missing, guess another name,
    or say that the project declares no plots."""
    page = (
        "# Links\n\nTrained by [train](stage:train), gives [the model](artifact:nosuch).\n\n"
        "{ml plots}\n"
    )
    checks = {"invalid_project_file": "warn", "broken_link": "warn"}
    pipeline.site({"index.md": page}, plugin={"checks": checks})
    pipeline.write("dvc.yaml", pipeline.read("dvc.yaml").replace("cmd:", "cmd: [", 1))
    pipeline.commit("Links, plots, and a typo in dvc.yaml")

    build = pipeline.build()

    said = findings(build.output)
    assert said[0].startswith("dvc.yaml:4: dvc.yaml is not valid YAML"), said
    assert "It blocks 1 reference on 1 page (docs/index.md)" in said[0]  # the plots block
    assert said[1:] == [
        "docs/index.md:3: link 'stage:train': no stage 'train' is known: dvc.yaml cannot be "
        "read (see its error). [broken_link]",
        "docs/index.md:3: link 'artifact:nosuch': no artifact 'nosuch' is known: dvc.yaml "
        "cannot be read (see its error). [broken_link]",
    ]
    text = html.unescape(build.page(""))
    assert "declares no plots" not in text
    assert "no plot is known: dvc.yaml cannot be read (see its error)." in text
