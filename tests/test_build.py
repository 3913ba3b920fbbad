"""End to end: a user's DVC project, a page that references its facts, a real ``mkdocs build``."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from typing import Any

import yaml
from conftest import ROOT, Repo, init_repo, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from mkdocs_mlplugin import manifest as manifest_module

MODEL_CARD = """\
---
title: Classifier
ml:
  artifact: classifier
---

# Classifier

{ml provenance}

Trained with lr {ml param train.lr} for {ml param train.epochs} epochs.
Accuracy {ml metric accuracy}; model md5 {ml artifact classifier md5}, {ml artifact classifier bytes} bytes.

{ml params-table}

{ml metrics-table}
"""


def lock(repo: Repo) -> dict:
    return yaml.safe_load(repo.read("dvc.lock"))["stages"]


def text_of(page: str) -> str:
    """The page as a reader sees it, without tags."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_model_card_shows_the_facts_dvc_recorded(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n", "model.md": MODEL_CARD})
    pipeline.commit("Docs", date="2024-02-01T10:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    page = text_of(build.page("model"))
    model_out = lock(pipeline)["train"]["outs"][0]
    assert f"model md5 {model_out['md5']}, {model_out['size']} bytes" in page
    assert "Trained with lr 0.05 for 3 epochs." in page
    assert "Accuracy 0.9;" in page
    # the provenance box names the producing stage, its command and the inputs' hashes
    assert "Produced bytrain" in page
    assert "Commandpython3 src/train.py" in page
    raw_md5 = lock(pipeline)["prepare"]["outs"][0]["md5"][:8]
    assert f"data/prepared.csv ({raw_md5})" in page
    # the params table of a card bound to an artifact shows its stage's params only
    # each under its file, named once
    assert "ParamValue\n\nparams.yaml\ntrain.epochs3\ntrain.lr0.05\n" in page
    assert "prepare.split" not in page
    assert "MetricValue\n\nmetrics.json\n" in page and "\ntest.n3\n" in page
    assert page.count("params.yaml") == 1


def test_pipeline_diagram_has_the_nodes_and_edges_of_dvc_dag(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Pipeline\n\n{ml pipeline}\n"})
    pipeline.commit("Docs")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    mermaid = re.search(r'<pre class="mermaid"><code>(.*?)</code></pre>', build.page(""), re.DOTALL)
    assert mermaid, build.page("")
    labels = dict(re.findall(r"(n\d+)\[\(?\"([^\"]*)\"", mermaid.group(1)))
    edges = {
        (labels[a], labels[b]) for a, b in re.findall(r"(n\d+) --&gt; (n\d+)", mermaid.group(1))
    }
    dot = pipeline.dvc("dag", "--dot")
    expected = {
        tuple(name.strip('"') for name in pair)
        for pair in re.findall(r'("[^"]+"|\S+) -> ("[^"]+"|\S+);', dot)
    }
    assert edges == expected
    assert sorted(labels.values()) == sorted({n for e in expected for n in e})


def test_every_missing_reference_is_reported_with_page_line_and_a_suggestion(
    pipeline: Repo,
) -> None:
    pipeline.site(
        {
            "index.md": "---\ntitle: Home\n---\n\n# Home\n\nRun {ml stage trian}.\n",
            "other.md": "# Other\n\nlr: {ml param train.rl}\n\nsize {ml out models/modle.txt size}\n\n"
            "{ml metric accuracy} {ml artifact clasifier}\n",
            # the same broken reference on another page is reported there too
            "again.md": "# Again\n\nlr {ml param train.lr}, then {ml stage trian}.\n",
        }
    )
    pipeline.commit("Docs")
    build = pipeline.build()  # no --strict: missing references are errors regardless
    assert not build.ok
    assert "Traceback" not in build.output
    assert (
        "docs/index.md:7: '{ml stage trian}': no stage 'trian'. Did you mean 'train'?"
        in build.output
    )
    assert (
        "docs/other.md:3: '{ml param train.rl}': no param 'train.rl' in params.yaml. Did you mean 'train.lr'?"
        in build.output
    )
    assert "docs/other.md:5:" in build.output
    assert "Did you mean 'models/model.txt'?" in build.output
    assert (
        "docs/other.md:7: '{ml artifact clasifier}': no artifact 'clasifier'. Did you mean 'classifier'?"
        in build.output
    )
    assert "docs/again.md:3: '{ml stage trian}': no stage 'trian'." in build.output
    assert "5 errors" in build.output
    assert not (build.site / "index.html").exists(), "no page is written when references are broken"


def test_line_numbers_are_the_source_file_lines_however_the_page_opens(pipeline: Repo) -> None:
    """Pages whose first line holds text are numbered without being read again; pages that
    open with front matter, MultiMarkdown meta, blank lines or a byte order mark are read, and
    every finding names the line of the source file."""
    openings = {
        "text.md": b"# Text\n\n{ml stage trian}\n",  # line 3
        "blank.md": b"\n\n# Blank lines first\n\n{ml stage trian}\n",  # line 5
        "spaces.md": b"   \n# A first line of spaces\n{ml stage trian}\n",  # line 3
        "yaml.md": b"---\ntitle: Front matter\n---\n\n# Yaml\n\n{ml stage trian}\n",  # line 7
        "mmd.md": b"Title: MultiMarkdown meta\n\n# Meta\n{ml stage trian}\n",  # line 4
        "bom.md": b"\xef\xbb\xbf# Byte order mark\n\n\n{ml stage trian}\n",  # line 4
        "crlf.md": b"# Windows\r\n\r\n{ml stage trian}\r\n",  # line 3
    }
    pipeline.site({"index.md": "# Home\n"})
    for name, text in openings.items():
        (pipeline.path / "docs" / name).write_bytes(text)
    pipeline.commit("Docs")
    build = pipeline.build()
    assert not build.ok and "Traceback" not in build.output
    lines = {"text": 3, "blank": 5, "spaces": 3, "yaml": 7, "mmd": 4, "bom": 4, "crlf": 3}
    for page, line in lines.items():
        assert f"docs/{page}.md:{line}: '{{ml stage trian}}': no stage 'trian'." in build.output


def test_severities_are_configurable_like_mkdocs_validation(pipeline: Repo) -> None:
    pages = {"index.md": "# Home\n\n{ml stage nope}\n"}
    pipeline.site(pages, plugin={"checks": {"missing_reference": "warn"}})
    pipeline.commit("Docs")
    relaxed = pipeline.build()
    assert relaxed.ok, relaxed.output
    assert "WARNING" in relaxed.output and "no stage 'nope'" in relaxed.output
    assert 'class="ml-missing"' in relaxed.page("")
    finding = relaxed.manifest()["findings"][0]
    assert finding == {
        "severity": "warn",
        "kind": "missing_reference",
        "file": "docs/index.md",
        "line": 3,
        "message": "'{ml stage nope}': no stage 'nope'. Did you mean 'prepare'?"
        if "Did you mean" in finding["message"]
        else "'{ml stage nope}': no stage 'nope'.",
    }
    assert not pipeline.build("--strict").ok
    pipeline.site(pages, plugin={"checks": {"missing_reference": "ignore"}})
    ignored = pipeline.build("--strict")
    assert ignored.ok, ignored.output
    assert ignored.manifest()["findings"] == []


def test_an_unknown_check_name_is_a_config_error(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n"}, plugin={"checks": {"missing_refs": "warn"}})
    build = pipeline.build("--strict")
    assert not build.ok
    assert "missing_refs" in build.output


def test_references_in_code_are_shown_as_written(pipeline: Repo) -> None:
    page = "# Syntax\n\n```markdown\nThe lr is {ml param train.lr}\n```\n\nInline `{ml param nope}` and \\{ml git short}.\n"
    pipeline.site({"index.md": page})
    pipeline.commit("Docs")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    text = text_of(build.page(""))
    assert "The lr is {ml param train.lr}" in text
    assert "Inline {ml param nope} and {ml git short}." in text


def test_a_page_bound_to_a_missing_artifact_fails_at_the_front_matter_line(pipeline: Repo) -> None:
    pipeline.site({"index.md": "---\ntitle: Card\nml:\n  artifact: clasifier\n---\n# Card\n"})
    pipeline.commit("Docs")
    build = pipeline.build()
    assert not build.ok
    assert "docs/index.md:3:" in build.output
    assert "no artifact 'clasifier'. Did you mean 'classifier'?" in build.output


def test_page_meta_carries_the_facts_for_templates(pipeline: Repo) -> None:
    pipeline.site({"index.md": "---\nml:\n  artifact: classifier\n  stage: train\n---\n# Card\n"})
    pipeline.write(
        "overrides/main.html",
        '{% extends "base.html" %}{% block content %}'
        "<p id=facts>{{ page.meta.ml.artifact.md5 }}|{{ page.meta.ml.stage.cmd }}|"
        "{{ page.meta.ml.git.short }}|{{ page.meta.ml.page.updated }}</p>{% endblock %}",
    )
    pipeline.site({}, plugin={}, theme={"name": "material", "custom_dir": "overrides"})
    pipeline.commit("Docs", date="2024-05-06T07:08:09+02:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    facts = re.search(r"<p id=facts>(.*?)</p>", build.page("")).group(1)
    md5 = lock(pipeline)["train"]["outs"][0]["md5"]
    assert (
        facts
        == f"{md5}|python3 src/train.py|{pipeline.git('rev-parse', '--short=7', 'HEAD')}|2024-05-06T07:08:09+02:00"
    )


def test_values_with_markup_are_shown_as_text(pipeline: Repo) -> None:
    params = pipeline.read("params.yaml") + 'notes: "<script>alert(1)</script> | **x** `y`"\n'
    pipeline.write("params.yaml", params)
    pipeline.site(
        {"index.md": "# Home\n\n| Key | Value |\n| --- | --- |\n| notes | {ml param notes} |\n"}
    )
    pipeline.commit("Docs")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    page = build.page("")
    assert "<script>alert" not in page and "<strong>" not in page
    row = re.search(r"<td>notes</td>\s*<td>(.*?)</td>", page, re.DOTALL)
    assert row, "the table keeps two columns"
    assert text_of(row.group(1)) == "<script>alert(1)</script> | **x** `y`"


def test_a_stage_that_never_ran_warns_and_says_to_run_dvc_repro(pipeline: Repo) -> None:
    pipeline.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "report",
        "-d",
        "metrics.json",
        "-o",
        "report.txt",
        "cp metrics.json report.txt",
    )
    pipeline.site(
        {"index.md": "# Home\n\n{ml out report.txt md5}\n"},
        plugin={"checks": {"stale_pipeline": "warn"}},
    )
    pipeline.commit("Docs")
    build = pipeline.build()
    assert build.ok, build.output
    assert "WARNING" in build.output
    assert "stage 'report' has not run. Run 'dvc repro' and commit dvc.lock." in build.output
    assert not pipeline.build("--strict").ok


def test_metrics_that_are_not_in_the_workspace_are_unknown_not_wrong(pipeline: Repo) -> None:
    # metrics kept out of git (as DVC-tracked metrics are) and not pulled in this checkout
    pipeline.git("rm", "-q", "--cached", "metrics.json")
    pipeline.write(".gitignore", "/metrics.json\n")
    pipeline.commit("Metrics out of git")
    (pipeline.path / "metrics.json").unlink()
    pipeline.site({"index.md": "# Home\n\n{ml metric accuracy}\n"})
    build = pipeline.build()
    assert build.ok, build.output
    assert "metrics file metrics.json is not in the workspace" in build.output
    assert "0.9" not in text_of(build.page(""))


def test_a_foreach_stage_must_be_named_by_its_member(pipeline: Repo) -> None:
    dvc_yaml = pipeline.read("dvc.yaml").replace(
        "artifacts:", "  sweep:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\nartifacts:"
    )
    pipeline.write("dvc.yaml", dvc_yaml)
    pipeline.site({"index.md": "# Home\n\n{ml stage sweep@b}\n\n{ml stage sweep}\n"})
    build = pipeline.build()
    assert not build.ok
    assert "'sweep' is a foreach/matrix stage: name one of sweep@a, sweep@b." in build.output
    assert "docs/index.md:5:" in build.output


def test_paths_that_leave_the_project_are_refused(pipeline: Repo) -> None:
    pipeline.site(
        {
            "index.md": "# Home\n\n{ml out ../../etc/passwd}\n\n{ml out /etc/passwd}\n\n{ml out data\\raw.csv}\n\n{ml param ../x.yaml:a}\n"
        }
    )
    build = pipeline.build()
    assert not build.ok
    assert (
        "docs/index.md:3: '{ml out ../../etc/passwd}': the path leaves the DVC project."
        in build.output
    )
    assert (
        "docs/index.md:5: '{ml out /etc/passwd}': paths are relative to the DVC project root, not absolute."
        in build.output
    )
    assert "docs/index.md:7:" in build.output and "write paths with '/'" in build.output
    assert "docs/index.md:9:" in build.output
    assert "root:" not in build.output  # nothing of /etc/passwd was read


def test_a_path_inside_a_tracked_directory_or_only_in_git_is_explained(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\n{ml out src/train.py}\n"})
    build = pipeline.build()
    assert not build.ok
    assert "'src/train.py' exists but DVC does not track it" in build.output


def test_a_broken_dvc_yaml_fails_the_build_naming_file_and_line(pipeline: Repo) -> None:
    text = pipeline.read("dvc.yaml").replace("  train:\n", "  train:\n   bad: [\n", 1)
    pipeline.write("dvc.yaml", text)
    line = text.splitlines().index("   bad: [") + 1
    pipeline.site({"index.md": "# Home\n"})
    build = pipeline.build()
    assert not build.ok
    assert "Traceback" not in build.output
    assert re.search(
        r"ERROR +- +mlplugin: dvc\.yaml:\d+: dvc\.yaml is not valid YAML", build.output
    )
    assert f"while parsing a flow sequence that started on line {line})" in build.output


def test_no_dvc_project_is_explained_where_a_page_needs_one(empty_repo: Repo) -> None:
    empty_repo.site({"index.md": "# Home\n\n{ml param lr}\n\nBuilt from {ml git short}.\n"})
    empty_repo.commit("Docs")
    build = empty_repo.build()
    assert not build.ok
    assert "docs/index.md:3: '{ml param lr}': no DVC project was found" in build.output
    assert "'dvc_root'" in build.output


def test_a_subdirectory_dvc_project_is_found_and_named_in_the_manifest(empty_repo: Repo) -> None:
    sub = empty_repo.path / "ml"
    sub.mkdir()
    empty_repo.dvc("init", "--subdir", "-q", cwd=sub)
    (sub / "data.csv").write_text("a\n1\n")
    empty_repo.dvc("add", "-q", "data.csv", cwd=sub)
    empty_repo.site({"index.md": "# Home\n\n{ml out data.csv short}\n"}, where="ml")
    empty_repo.commit("Project")
    build = empty_repo.build("--strict", config="ml/mkdocs.yml")
    assert build.ok, build.output
    md5 = yaml.safe_load((sub / "data.csv.dvc").read_text())["outs"][0]["md5"]
    assert md5[:8] in text_of(build.page(""))
    project = build.manifest()["projects"][0]
    assert project["root"] == "ml"
    assert project["tracked"][0]["dvcfile"] == "data.csv.dvc"


def test_manifest_records_git_stages_edges_pages_and_references(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\nlr {ml param train.lr}\n\n{ml pipeline}\n"})
    sha = pipeline.commit("Docs", date="2024-02-01T10:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    manifest = build.manifest()
    assert manifest["manifest_version"] == 1
    assert manifest["git"]["commit"] == sha
    assert manifest["git"]["branch"] == "main"
    assert manifest["git"]["dirty"] is False
    project = manifest["projects"][0]
    assert [s["name"] for s in project["stages"]] == ["prepare", "train", "evaluate"]
    assert ["data/raw.csv.dvc", "prepare"] in project["edges"]
    train = next(s for s in project["stages"] if s["name"] == "train")
    assert train["outs"][0]["md5"] == lock(pipeline)["train"]["outs"][0]["md5"]
    assert project["artifacts"][0]["name"] == "classifier"
    (page,) = manifest["pages"]
    assert page["src"] == "docs/index.md"
    assert page["updated"] == "2024-02-01T10:00:00+00:00"
    assert page["references"][0] == {"line": 3, "ref": "param train.lr", "value": 0.05}
    assert manifest["findings"] == []


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities too: written as strings
    | st.text()
    | st.dates(),  # what JSON cannot hold: written as text
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5) | st.integers() | st.booleans(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(JSON_VALUES)
def test_the_manifest_is_indented_as_the_json_module_indents(value: Any) -> None:
    """The manifest's indented parts are written as ``json.dumps(indent=2)`` writes them
    (NaN and infinities as strings, other values as text): readers diff manifests as text."""
    expected = manifest_module._strict_dumps(value, indent=2)
    assert manifest_module._indented(value, "\n") == expected
    assert manifest_module._indented(value, "\n  ") == expected.replace("\n", "\n  ")


def test_a_build_writes_nothing_into_the_repository(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\n{ml pipeline}\n\n{ml param train.lr}\n"})
    pipeline.commit("Docs")
    (pipeline.path / "notes.txt").write_text("uncommitted\n")  # a dirty, real-life tree
    pipeline.write("params.yaml", pipeline.read("params.yaml") + "extra: 1\n")
    shutil.rmtree(pipeline.path / ".dvc" / "tmp")  # left by 'dvc repro' in the fixture
    before = snapshot(pipeline.path)
    assert pipeline.build("--strict").ok
    pipeline.write("docs/index.md", "# Home\n\n{ml stage nope}\n")
    before_failure = snapshot(pipeline.path)
    assert not pipeline.build().ok
    assert snapshot(pipeline.path) == before_failure
    del before_failure["docs/index.md"]
    del before["docs/index.md"]
    assert before == before_failure
    assert not (pipeline.path / ".dvc" / "tmp").exists(), (
        "DVC's own state directory is not even created"
    )


def test_the_example_site_builds_strict_from_a_fresh_clone(tmp_path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    repo = init_repo(clone, tmp_path)
    assert not (clone / "example_site" / ".dvc" / "cache").exists(), (
        "a fresh clone has no DVC cache"
    )
    build = repo.build("--strict", config="example_site/mkdocs.yml")
    assert build.ok, build.output
    stages = yaml.safe_load((clone / "example_site" / "dvc.lock").read_text())["stages"]
    model = stages["train"]["outs"][0]
    card = text_of(build.page("model-card"))
    assert model["md5"] in card
    assert "Logistic-regression sentiment classifier" in card
    metrics = yaml.safe_load((clone / "example_site" / "metrics.json").read_text())
    assert f"accuracy{metrics['accuracy']}" in card
    pipeline_page = build.page("pipeline")
    assert pipeline_page.count("--&gt;") == len(build.manifest()["projects"][0]["edges"]) == 5
    assert "ml-missing" not in pipeline_page + build.page("model-card") + build.page(
        "data"
    ) + build.page("")
    manifest = build.manifest()
    assert manifest["projects"][0]["root"] == "example_site"
    assert {p["src"] for p in manifest["pages"]} == {
        "docs/index.md",
        "docs/model-card.md",
        "docs/pipeline.md",
        "docs/data.md",
        "docs/records/datasheet-reviews.md",
        "docs/records/debt-test-split.md",
        "docs/records/decision-20-epochs.md",
        "docs/records/runbook-stale-docs.md",
        "registry.md",  # generated: registry_page
        "timeline.md",  # generated: timeline_page
        "decisions.md",  # generated: decisions_page
        "debt.md",  # generated: debt_page
        "runbooks.md",  # generated: runbooks_page
        "coverage.md",  # generated: coverage_page
    }


def test_credentials_in_a_stage_command_are_not_published(pipeline: Repo) -> None:
    pipeline.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "fetch",
        "-o",
        "remote.txt",
        "python3 -c \"open('remote.txt','w').write('x')\" # from https://bot:hunter2@example.com/x?sig=s3cr3t",
    )
    pipeline.dvc("repro", "-q", "fetch")
    pipeline.site({"index.md": "# Home\n\n{ml stage fetch cmd}\n\n{ml pipeline}\n"})
    pipeline.commit("Fetch stage")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    published = build.page("") + (build.site / "ml-manifest.json").read_text()
    assert "hunter2" not in published and "s3cr3t" not in published
    assert "https://***@example.com/x?sig=***" in text_of(build.page(""))
    fetch = next(s for s in build.manifest()["projects"][0]["stages"] if s["name"] == "fetch")
    assert fetch["status"]["state"] == "current", "redacting both sides keeps the verdict"


BUILD_AND_LIST_MODULES = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
build(load_config("mkdocs.yml", site_dir=sys.argv[1]))
heavy = ("dvc", "dvc_data", "gto", "pydantic", "scmrepo")
# the plugin's modules for comparisons, experiments, the gate, generated pages and diagrams
optional = ("pages.compare", "pages.experiments", "checks.compare", "checks.gate")
optional += ("pages.generated", "render.graph", "render.mermaid")
heavy += tuple(f"mkdocs_mlplugin.{name}" for name in optional)
print(" ".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_a_site_that_uses_no_dvc_and_no_registry_never_imports_them(empty_repo: Repo) -> None:
    """Lazy work: DVC is imported only where a DVC file needs it (outside the common forms the
    plugin reads itself); GTO (and pydantic) never: the registry is read without them. Nor
    does a site without comparisons, experiments, generated pages or pipeline diagrams load
    the plugin's modules for them."""
    import sys

    # the pipeline added below has a callback stage, always changed (as DVC says): not an error
    empty_repo.site(
        {"index.md": "# Home\n\nBuilt from {ml git short}, {ml page updated}.\n"},
        plugin={"checks": {"stale_pipeline": "info"}},
    )
    empty_repo.commit("Docs")
    empty_repo.git("tag", "-a", "v1.0", "-m", "a release tag, not a GTO tag")
    site = empty_repo.home / "lazy-site"
    run = empty_repo.run(sys.executable, "-c", BUILD_AND_LIST_MODULES, str(site))
    assert run.stdout.strip() == "", (
        f"imported on a site without DVC, GTO or comparisons: {run.stdout}"
    )
    assert "Built from" in (site / "index.html").read_text("utf-8")

    # the same site once the repository has a DVC pipeline and a GTO tag: now they are read
    empty_repo.dvc("init", "-q")
    empty_repo.dvc("stage", "add", "-q", "-n", "hello", "echo hello")
    dvc_yaml = empty_repo.read("dvc.yaml") + "artifacts:\n  model:\n    path: model.pkl\n"
    empty_repo.write("dvc.yaml", dvc_yaml)
    empty_repo.write("docs/index.md", "# Home\n\nModel {ml artifact model version}.\n")
    empty_repo.commit("DVC")
    empty_repo.git("tag", "-a", "model@v1.0.0", "-m", "Registering artifact model version v1.0.0")
    run = empty_repo.run(sys.executable, "-c", BUILD_AND_LIST_MODULES, str(site))
    assert run.stdout.split() == [], "files in DVC's common forms are read without DVC"
    assert 'title="artifact model version">v1.0.0</span>' in (site / "index.html").read_text()

    # a matrix stage is outside those forms: DVC's own resolver reads the file
    matrix = "  sweep:\n    matrix:\n      lr: [1, 2]\n    cmd: echo ${item.lr}\n"
    empty_repo.write("dvc.yaml", dvc_yaml.replace("stages:\n", "stages:\n" + matrix))
    empty_repo.write("docs/index.md", "# Home\n\nSweep: {ml stage sweep@1 cmd}.\n")
    run = empty_repo.run(sys.executable, "-c", BUILD_AND_LIST_MODULES, str(site))
    assert run.stdout.split() == ["dvc", "dvc_data"], run.stdout
    assert "echo 1" in (site / "index.html").read_text()


def test_facts_in_titles_raw_html_attributes_and_blog_excerpts_read_as_values(
    pipeline: Repo,
) -> None:
    """Wherever a reference stands, readers see the value: the page title (tab, navigation,
    table of contents, search), raw HTML and its attributes, link text, image alt text, and a
    blog post's excerpt that Material renders again for the blog index."""
    pipeline.site(
        {
            "index.md": "# Home\n",
            "model.md": (
                "# Model lr {ml param train.lr}\n\n"
                "## Trained {ml param train.epochs} epochs\n\n"
                '<div class="box">\n<abbr title="lr {ml param train.lr}">LR</abbr> is '
                "{ml param train.lr}\n</div>\n\n"
                "[lr {ml param train.lr}](#x) ![epochs {ml param train.epochs}](a.png)\n"
            ),
            "blog/index.md": "# Blog\n",
            "blog/posts/run.md": (
                "---\ndate: 2024-01-02\n---\n\n# Run\n\nNew run with lr {ml param train.lr}.\n\n"
                "<!-- more -->\n\nMore.\n"
            ),
        },
        markdown_extensions=["attr_list", "tables", {"toc": {"permalink": True}}],
        plugins=["search", "blog", "mlplugin"],
        hooks=["hooks.py"],
    )
    # what another plugin reading page.markdown after conversion sees (RSS feeds do)
    pipeline.write(
        "hooks.py",
        """
        import pathlib

        def on_post_page(output, page, config):
            if page.file.src_uri == "model.md":
                pathlib.Path(config.config_file_path).with_name("seen.md").write_text(page.markdown)
        """,
    )
    pipeline.commit("Docs")
    build = pipeline.build()
    assert build.ok, build.output
    seen = pipeline.read("seen.md")
    assert '[lr <span class="ml-value" title="param train.lr">0.05</span>](#x)' in seen
    assert "\ue000" not in seen
    page = build.page("model")
    assert "<title>Model lr 0.05 - Test site</title>" in page
    assert re.search(
        r'href="model/"[^>]*>\s*<span class="md-ellipsis">\s*Model lr 0.05', build.page("")
    )
    assert '<h2 id="trained-3-epochs">Trained <span class="ml-value"' in page
    assert re.search(
        r'href="#trained-3-epochs"[^>]*>\s*<span class="md-ellipsis">\s*Trained 3 epochs', page
    )
    assert '<abbr title="lr 0.05">LR</abbr> is <span class="ml-value"' in page
    assert re.search(r'<a href="#x">lr <span class="ml-value" title="param train.lr">0.05', page)
    assert 'alt="epochs 3"' in page
    blog = text_of(build.page("blog"))
    assert "New run with lr 0.05." in blog
    search = (build.site / "search" / "search_index.json").read_text("utf-8")
    assert "Model lr 0.05" in search
    for path in build.site.rglob("*"):
        if path.suffix in {".html", ".json", ".xml"}:
            assert "\ue000" not in path.read_text("utf-8"), path


def test_pages_saved_with_a_byte_order_mark_or_linked_in_keep_their_facts(pipeline: Repo) -> None:
    """A page saved by an editor that writes a byte order mark still binds its stage (the
    diagram links to it); a page that is a symbolic link has the dates of the file it points to."""
    import os

    pipeline.write("notes/real.md", "# Real\n\nUpdated {ml page updated}.\n")
    pipeline.commit("Notes", date="2024-03-04T05:06:07+00:00")
    pipeline.site({"index.md": "# Home\n\n{ml pipeline}\n"})
    page = b"---\nml:\n  stage: train\n---\n\n# Train\n"
    (pipeline.path / "docs" / "train.md").write_bytes(b"\xef\xbb\xbf" + page)
    os.symlink("../notes/real.md", pipeline.path / "docs" / "linked.md")
    pipeline.commit("Docs", date="2024-05-06T07:08:09+00:00")
    build = pipeline.build()
    assert build.ok, build.output
    links = re.search(r'<p class="ml-node-links">(.*?)</p>', build.page(""), re.DOTALL)
    assert links and re.search(r'<a href="train/">train</a>', links.group(1)), build.page("")
    assert "Updated 2024-03-04." in text_of(build.page("linked"))


EMPTY_FACTS_PAGE = """\
# Facts

Files in data/raw.csv: {ml out data/raw.csv nfiles}

Training: {ml stage train desc}

Tags: {ml git tags}

Labels: {ml artifact bare labels}
"""


def test_a_fact_that_exists_but_is_empty_shows_a_dash_saying_why(pipeline: Repo) -> None:
    """The file count of a file, a stage with no desc, a commit with no tag, an artifact with
    no labels: each is a dash whose tooltip says why, never empty text, and null in the
    manifest."""
    with open(pipeline.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("  bare:\n    path: models/model.txt\n")
    pipeline.site({"index.md": EMPTY_FACTS_PAGE})
    short = pipeline.commit("Docs")[:7]
    assert pipeline.git("tag", "--points-at", "HEAD") == ""
    build = pipeline.build("--strict")
    assert build.ok, build.output
    page = build.page("")
    spans = re.findall(r'<span class="ml-value[^"]*" title="([^"]*)">(.*?)</span>', page)
    shown = {html.unescape(title): html.unescape(value) for title, value in spans}
    assert shown == {
        "out data/raw.csv nfiles: 'data/raw.csv' is a file: DVC counts files (nfiles) only "
        "for directories.": "\u2014",
        "stage train desc: stage 'train' has no 'desc' in dvc.yaml.": "\u2014",
        f"git tags: no tag points at the commit built from ({short}).": "\u2014",
        "artifact bare labels: artifact 'bare' has no 'labels' in dvc.yaml.": "\u2014",
    }
    assert "Training: \u2014" in text_of(page)
    references = build.manifest()["pages"][0]["references"]
    assert [r["value"] for r in references] == [None, None, None, None]


def test_a_size_the_lock_does_not_record_is_a_dash_saying_why(pipeline: Repo) -> None:
    """dvc.lock as early DVC versions wrote it, with no sizes: the inline size and the
    provenance box's Size row show a dash whose tooltip names what records no size."""
    text = pipeline.read("dvc.lock")
    assert "size: " in text
    (pipeline.path / "dvc.lock").write_text(
        "".join(ln for ln in text.splitlines(True) if not ln.strip().startswith("size: ")),
        "utf-8",
    )
    pipeline.site(
        {
            "index.md": "# Model\n\nSize: {ml artifact classifier size}\n\n{ml provenance classifier}\n"
        }
    )
    pipeline.commit("Docs, a lock without sizes")
    build = pipeline.build()
    assert build.ok, build.output
    page = build.page("")
    why = "the dvc.lock entry of stage &#39;train&#39; records no size"
    assert (
        f'<span class="ml-value ml-empty" title="artifact classifier size: {why} for '
        '&#39;models/model.txt&#39;.">&#8212;</span>'
    ) in page
    assert f'<td><span class="ml-empty" title="{why} for it.">&#8212;</span></td>' in page
    assert "Size: \u2014" in text_of(page)
    assert "Size\u2014" in text_of(page)


def test_a_block_in_a_note_or_a_list_is_the_same_table_as_at_the_top(pipeline: Repo) -> None:
    """A block keeps its HTML whole wherever it stands: not wrapped in a paragraph, not read
    as text, the same table in a note and a list item as at the top of the page."""
    page = (
        "# Metrics\n\n{ml metrics-table}\n\n"
        '!!! note "In a note"\n\n    {ml metrics-table}\n\n'
        "- In a list:\n\n    {ml metrics-table}\n"
    )
    pipeline.site({"index.md": page})
    pipeline.commit("Docs")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    html_page = build.page("")
    tables = re.findall(r"<table.*?</table>", html_page, re.DOTALL)
    assert len(tables) == 3 and len(set(tables)) == 1, tables
    assert "0.9" in text_of(tables[0])
    assert re.search(
        r'<div class="admonition note">\s*<p class="admonition-title">In a note</p>\s*<div class="ml-block',
        html_page,
    )
    assert re.search(
        r'<li>\s*<p>In a list:</p>\s*<div class="ml-block ml-metrics">\s*<table', html_page
    )
    assert not re.search(r"<p>\s*<(?:div|table)|</(?:div|table)>\s*</p>|&lt;t", html_page)


def test_a_block_inside_a_tag_of_raw_html_is_a_finding_at_its_line(pipeline: Repo) -> None:
    """A block written where it would land inside a tag (a multi-line attribute of raw HTML)
    is not written into the tag: the build names the page, the line and what to do."""
    pipeline.site({"index.md": '# M\n\n<div title="\n{ml metrics-table}\n">text</div>\n'})
    pipeline.commit("Docs")
    build = pipeline.build()
    assert not build.ok
    assert (
        "ERROR   -  mlplugin: docs/index.md:4: '{ml metrics-table}' is left out of the page's "
        "HTML: it stands inside a tag of raw HTML, where no block can be written; move it to a "
        "line of its own outside the tag. [unsafe_value]"
    ) in build.output
