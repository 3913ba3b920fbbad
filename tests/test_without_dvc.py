"""Without the [dvc] extra: DVC is not a dependency of the plugin, which reads the plain forms
of DVC's files itself (facts/dvc_fast.py) and imports DVC only for the others.

Each build runs in a Python that cannot import DVC, dvc-data, dvc-objects, voluptuous or GTO,
as where the extra is not installed (``MLPLUGIN_UNINSTALLED``, tests/nonet/sitecustomize.py);
the same project is then built with DVC importable, as the extra gives it. CI also builds the
example from the wheel in a fresh environment that has no DVC at all (.ci/run).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Repo
from test_ecosystem import text_of
from test_init import clone_example
from test_status import strip_hash_keys, to_crlf

WITHOUT_DVC = {"MLPLUGIN_UNINSTALLED": "dvc,dvc_data,dvc_objects,voluptuous,gto"}

CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

lr {ml param train.lr}, accuracy {ml metric accuracy}, md5 {ml out models/model.txt md5}.

{ml pipeline}
"""


def test_the_python_of_these_tests_cannot_import_dvc(pipeline: Repo) -> None:
    result = pipeline.run(sys.executable, "-c", "import dvc.parsing", env=WITHOUT_DVC, check=False)
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'dvc'" in result.stderr


def test_a_project_in_dvcs_usual_forms_builds_strict_without_dvc(pipeline: Repo) -> None:
    """DVC wrote this project (dvc stage add, dvc repro, dvc add): every fact is on the page."""
    pipeline.site({"index.md": CARD})
    pipeline.commit("Docs")
    locked = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]

    build = pipeline.build("--strict", env=WITHOUT_DVC)

    assert build.ok, build.output
    page = build.page("")
    assert f"lr 0.05, accuracy 0.9, md5 {locked}." in text_of(page)
    assert 'class="mermaid"' in page
    assert "Traceback" not in build.output


def test_the_example_builds_strict_without_dvc_and_its_pages_are_the_same_with_it(
    tmp_path: Path,
) -> None:
    """The example's dvc.yaml has ${...} params, a metrics file and a stage's plot templates.
    Its model card's confusion matrix needs the plots extra (DVC's converter draws it): without
    DVC it is the one finding, a warning naming the extra, and the rest of the pages is the
    same."""
    repo = clone_example(tmp_path)
    pages = ("model-card", "pipeline", "data")

    without = repo.build(config="example_site/mkdocs.yml", env=WITHOUT_DVC)

    assert without.ok, without.output
    assert "Traceback" not in without.output
    warnings = [line for line in without.output.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, without.output
    assert "pip install 'mkdocs-mlplugin[plots]'. [missing_value]" in warnings[0]
    built = {name: _without_plots(without.page(name)) for name in pages}
    assert "ml-footer" in built["model-card"]  # the theme overrides
    assert (without.site / "assets" / "javascripts" / "mermaid.min.js").is_file()
    with_dvc = repo.build("--strict", config="example_site/mkdocs.yml")
    assert with_dvc.ok, with_dvc.output
    assert '<figure class="ml-plot"' in with_dvc.page("model-card")
    assert {name: _without_plots(with_dvc.page(name)) for name in pages} == built


def _without_plots(page: str) -> str:
    """PAGE with its plots, or the markers standing in for them, cut out (and blank lines,
    which the two leave differently)."""
    page = re.sub(r'<div class="ml-block ml-plots">.*?</div>', "", page, flags=re.S)
    page = re.sub(r'<p><span class="ml-missing"[^>]*>[^<]*plots[^<]*</span></p>', "", page)
    return re.sub(r"\n\s*\n", "\n", page)


# Forms DVC reads that the plugin leaves to DVC's own schema or resolver, and the key each
# finding must name.
FORMS = {
    "matrix-stage": (
        "  sweep:\n    matrix:\n      lr: [0.1, 0.2]\n    cmd: echo ${item.lr}\n"
        "    deps: [src/train.py]\n",
        "stages.sweep",
        "checks",
    ),
    "escaped-reference": (
        "  show:\n    cmd: echo \\${HOME}\n    deps: [src/train.py]\n",
        "stages.show",
        "resolves",
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_a_form_only_dvc_reads_is_a_finding_that_names_the_extra(pipeline: Repo, form: str) -> None:
    text, key, how = FORMS[form]
    dvcfile = pipeline.read("dvc.yaml")
    if key.startswith("stages."):  # one more stage, after the last one
        dvcfile = dvcfile.replace("artifacts:\n", text + "artifacts:\n", 1)
    else:
        dvcfile += text
    pipeline.write("dvc.yaml", dvcfile)
    pipeline.dvc("repro", "-q")  # DVC runs the new stage and locks it
    line = dvcfile.splitlines().index(text.splitlines()[0]) + 1
    pipeline.site({"index.md": CARD})
    pipeline.commit("Docs and a form of dvc.yaml DVC reads")

    without = pipeline.build(env=WITHOUT_DVC)

    assert not without.ok
    (finding,) = [
        x for x in without.output.splitlines() if x.startswith("ERROR   -  mlplugin: dvc")
    ]
    assert finding.startswith(
        f"ERROR   -  mlplugin: dvc.yaml:{line}: '{key}' in dvc.yaml is in a form the plugin "
        f"{how} with DVC's own code (its plain forms are read without DVC), and DVC cannot be "
        "imported here (No module named 'dvc'): install mkdocs-mlplugin[dvc]. "
    ), without.output
    assert finding.endswith("[invalid_project_file]")
    assert "Traceback" not in without.output

    with_dvc = pipeline.build()  # DVC reads it: no finding about dvc.yaml

    assert with_dvc.ok, with_dvc.output
    assert "invalid_project_file" not in with_dvc.output
    assert "lr 0.05, accuracy 0.9, md5 " in text_of(with_dvc.page(""))


def test_a_dvc_2_lock_is_not_hashed_without_dvc_and_the_stage_not_called_current(
    pipeline: Repo,
) -> None:
    """DVC 2's md5-dos2unix is DVC's own code: without it the stage is reported as not
    checked (and why), never as current or stale on a hash the plugin did not compute."""
    strip_hash_keys(pipeline)
    pipeline.site({"index.md": CARD})
    pipeline.commit("DVC 2 lock")
    to_crlf(pipeline, "src/train.py")  # a checkout with CRLF line ends: its bytes are hashed

    without = pipeline.build(env=WITHOUT_DVC)

    assert without.ok, without.output
    status = {s["name"]: s["status"] for s in without.manifest()["projects"][0]["stages"]}
    assert status["train"]["state"] == "not verifiable", status["train"]
    assert status["train"]["unverifiable"] == [
        "src/train.py: its lock entry has DVC 2's md5-dos2unix hash, which the plugin computes "
        "with DVC's own code, and DVC cannot be imported here (No module named 'dvc_data'): "
        "install mkdocs-mlplugin[dvc], so it is not hashed"
    ]
    assert "[unverifiable_stage]" in without.output

    with_dvc = pipeline.build()  # DVC's md5-dos2unix of the CRLF file is the locked hash

    assert with_dvc.ok, with_dvc.output
    status = {s["name"]: s["status"] for s in with_dvc.manifest()["projects"][0]["stages"]}
    assert status["train"]["state"] == "current", status["train"]
