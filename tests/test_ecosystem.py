"""The plugin beside the tools users already run: ProperDocs, mkdocs-macros, git dates,
mike, Backstage TechDocs, mkdocs-mermaid2, ``mkdocs gh-deploy``, and Material's meta, blog,
tags and offline plugins.

Each test builds a real site from a real git + DVC project with the other tool installed and
configured as its users configure it, and checks that our facts are on the page and the other
tool's work is there too.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Build, Repo

from mkdocs_mlplugin.build import BUNDLED_MERMAID, MERMAID_JS

BIN = Path(sys.executable).parent

# A params.yaml value that looks like Jinja, Markdown, a URL and typographic shortcuts: every
# plugin that rewrites pages after ours must leave it as written.
NOTE = "{{ 7*7 }} (c) --> https://example.com ~~gone~~ ==marked== ^^up^^"

MODEL_CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

Trained with lr {ml param train.lr}; model md5 {ml artifact classifier md5}.

Note: {ml param note}
"""


def text_of(page: str) -> str:
    """The page as a reader sees it: no tags, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))


def model_md5(repo: Repo) -> str:
    return yaml.safe_load(repo.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]


def make_site(
    repo: Repo,
    plugins: list[Any],
    pages: dict[str, str],
    date: str = "2024-02-01T10:00:00+00:00",
    **extra: Any,
) -> None:
    """mkdocs.yml with exactly PLUGINS (and no theme unless given), PAGES, a NOTE param; commit."""
    with open(repo.path / "params.yaml", "a", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump({"note": NOTE}, width=1000))
    config = {"site_name": "Ecosystem site", **extra, "plugins": plugins}
    repo.write("mkdocs.yml", yaml.safe_dump(config, sort_keys=False))
    for name, text in pages.items():
        repo.write(f"docs/{name}", text)
    repo.commit("Docs", date=date)


def run_tool(repo: Repo, tool: str, *args: str, site: Path | None = None) -> Build:
    """Run an installed command-line tool in the repository, with this environment on PATH."""
    result = repo.run(
        str(BIN / tool),
        *args,
        env={"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    return Build(result.returncode, result.stdout + result.stderr, site or repo.home / "built-site")


def assert_model_card_facts(repo: Repo, page: str) -> None:
    """The model card shows what dvc.lock and params.yaml say, and the note as written."""
    text = text_of(page)
    assert f"Trained with lr 0.05; model md5 {model_md5(repo)}." in text
    assert f"Note: {NOTE}" in text


def assert_provenance_footer(repo: Repo, page: str) -> None:
    short = repo.git("rev-parse", "--short=7", "HEAD")
    assert f"Built from commit {short} on branch main." in text_of(page)


# ---------------------------------------------------------------------------- ProperDocs


def test_properdocs_builds_the_model_card_with_the_resolved_facts(pipeline: Repo) -> None:
    make_site(pipeline, ["mlplugin"], {"index.md": MODEL_CARD}, theme={"name": "material"})
    site = pipeline.home / "built-site"

    build = run_tool(
        pipeline, "properdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(site)
    )

    assert build.ok, build.output
    page = build.page("")
    assert_model_card_facts(pipeline, page)
    assert_provenance_footer(pipeline, page)
    assert build.manifest()["git"]["commit"] == pipeline.git("rev-parse", "HEAD")


# ---------------------------------------------------------------------------- mkdocs-macros

MACROS_PAGE = """\
# Macros

Sum {{ 1 + 1 }}, lr {ml param train.lr}, site {{ config.site_name }}.

Note: {ml param note}

{#
  A Jinja comment: mkdocs-macros removes these lines from the page.
#}
Run {ml stage trian}.
"""


def test_macros_and_ml_references_render_side_by_side_with_source_line_numbers(
    pipeline: Repo,
) -> None:
    """macros is listed first, yet our references are resolved on the source as written: the
    finding names the line in the file, and a param value that looks like Jinja is not run."""
    plugins = ["macros", {"mlplugin": {"checks": {"missing_reference": "warn"}}}]
    make_site(pipeline, plugins, {"index.md": MACROS_PAGE}, theme={"name": "material"})
    line = MACROS_PAGE.splitlines().index("Run {ml stage trian}.") + 1

    build = pipeline.build()

    assert build.ok, build.output
    text = text_of(build.page(""))
    assert "Sum 2, lr 0.05, site Ecosystem site." in text
    assert f"Note: {NOTE}" in text
    assert "Run ⚠ {ml stage trian}." in text
    warnings = [ln for ln in build.output.splitlines() if ln.startswith("WARNING")]
    assert warnings == [
        f"WARNING -  mlplugin: docs/index.md:{line}: '{{ml stage trian}}': no stage 'trian'. "
        "Did you mean 'train'? [missing_reference]"
    ]


MACROS_LOOP_PAGE = """\
# Facts

{% for name, a in ml.artifacts.items() %}
- artifact {{ name }} at {{ a.path }}: md5 {{ a.md5 }}, made by {{ a.stage }}
{% endfor %}
{% for name, s in ml.stages.items() %}
- stage {{ name }}: {{ s.cmd }} ({{ s.status.state }})
{% endfor %}

lr {{ ml.params["params.yaml"].train.lr }} at commit {{ ml.git.short }};
ours: {ml artifact classifier md5}.
"""


def test_macros_pages_loop_over_the_site_facts_in_the_variable_ml(pipeline: Repo) -> None:
    """With mkdocs-macros, ``ml`` holds the site's facts: a page loops over the artifacts and
    stages and reads params and git, and they agree with our own reference and with DVC."""
    make_site(pipeline, ["macros", "mlplugin"], {"index.md": MACROS_LOOP_PAGE})
    lock = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]
    stages = yaml.safe_load(pipeline.read("dvc.yaml"))["stages"]

    build = pipeline.build("--strict")

    assert build.ok, build.output
    text = text_of(build.page(""))
    md5 = model_md5(pipeline)
    assert f"artifact classifier at models/model.txt: md5 {md5}, made by train" in text
    for name, stage in stages.items():
        assert f"stage {name}: {stage['cmd']} (current)" in text
    assert len(lock) == len(stages) >= 2
    short = pipeline.git("rev-parse", "--short=7", "HEAD")
    assert f"lr 0.05 at commit {short}; ours: {md5}." in text


def test_a_title_read_before_the_page_is_converted_holds_the_values(pipeline: Repo) -> None:
    """MkDocs reads a title from the page's first '# ' line until the page is converted:
    mkdocs-macros' ``page.title`` (and Material's social cards) read it then."""
    page = "# Release {ml param train.lr}\n\nTitle: {{ page.title }}.\n"
    pages = {"index.md": "# Home\n", "release.md": page}
    make_site(pipeline, ["macros", "mlplugin"], pages, theme={"name": "material"})

    build = pipeline.build("--strict")

    assert build.ok, build.output
    assert "Title: Release 0.05." in text_of(build.page("release"))
    # once the page is converted, MkDocs' own title from the heading: the same
    assert "<title>Release 0.05 - Ecosystem site</title>" in build.page("release")


def test_a_macros_variable_ml_of_the_site_s_own_is_left_as_it_is(pipeline: Repo) -> None:
    make_site(pipeline, ["macros", "mlplugin"], {"index.md": "# Home\n\nMine: {{ ml }}.\n"})
    pipeline.write("mkdocs.yml", pipeline.read("mkdocs.yml") + "extra:\n  ml: our own\n")
    pipeline.commit("Extra")

    build = pipeline.build("--strict")

    assert build.ok, build.output
    assert "Mine: our own." in text_of(build.page(""))
    assert "mlplugin: mkdocs-macros has a variable 'ml' of the site's own" in build.output


# ---------------------------------------------------------------------------- git dates


def test_git_revision_dates_and_our_page_dates_agree(pipeline: Repo) -> None:
    plugins = [
        {"git-revision-date-localized": {"enable_creation_date": True, "type": "iso_date"}},
        "mlplugin",
    ]
    page = "# Dates\n\nCreated {ml page created}, updated {ml page updated}.\n"
    make_site(pipeline, plugins, {"index.md": page}, theme={"name": "material"})
    pipeline.write("docs/index.md", page + "\nA second paragraph.\n")
    pipeline.commit(
        "Edit", date="2024-03-05T10:00:00+00:00", author=("Grace Hopper", "grace@example.com")
    )

    build = pipeline.build("--strict")

    assert build.ok, build.output
    page_html = build.page("")
    # theirs: Material shows page.meta.git_revision_date_localized and ..._creation_date_...
    theirs = re.findall(
        r'class="git-revision-date-localized-plugin git-revision-date-localized-plugin-iso_date"'
        r"[^>]*>([^<]*)<",
        page_html,
    )
    assert theirs == ["2024-03-05", "2024-02-01"]
    # ours: the references and the footer, from page.meta.ml
    text = text_of(page_html)
    assert "Created 2024-02-01, updated 2024-03-05." in text
    footer = re.search(r"Page last updated (\S+) by ([^.]+)\.", text)
    assert footer, text
    assert footer.group(1) == "2024-03-05"
    assert set(footer.group(2).split(", ")) == {"Grace Hopper", "Ada Lovelace"}


# ---------------------------------------------------------------------------- mike


def test_mike_deploys_a_version_whose_manifest_and_footer_name_it_and_its_commit(
    pipeline: Repo,
) -> None:
    make_site(
        pipeline,
        ["mlplugin"],
        {"index.md": MODEL_CARD},
        theme={"name": "material"},
        extra={"version": {"provider": "mike"}},
    )
    head = pipeline.git("rev-parse", "HEAD")

    deploy = run_tool(pipeline, "mike", "deploy", "1.0", "latest")

    assert deploy.ok, deploy.output
    versions = json.loads(pipeline.git("show", "gh-pages:versions.json"))
    assert versions == [{"version": "1.0", "title": "1.0", "aliases": ["latest"]}]
    manifest = json.loads(pipeline.git("show", "gh-pages:1.0/ml-manifest.json"))
    assert manifest["git"]["commit"] == head
    assert manifest["git"]["branch"] == "main"
    assert manifest["git"]["dirty"] is False
    assert manifest["docs_version"] == "1.0"
    subject = pipeline.git("log", "-1", "--format=%s", "gh-pages")
    assert subject.startswith(f"Deployed {manifest['git']['short']} to 1.0 with ")
    page = pipeline.git("show", "gh-pages:1.0/index.html")
    assert_model_card_facts(pipeline, page)
    assert_provenance_footer(pipeline, page)
    assert "Docs version <code>1.0</code>." in page


# ---------------------------------------------------------------------------- TechDocs


@pytest.mark.techdocs  # its own environment: TechDocs pins older Material (.ci/run)
@pytest.mark.parametrize(
    "plugins",
    [["techdocs-core", "mlplugin"], ["mlplugin", "techdocs-core"]],
    ids=["techdocs-first", "mlplugin-first"],
)
def test_techdocs_core_builds_the_model_card_with_our_facts_and_footer(
    pipeline: Repo, plugins: list[str]
) -> None:
    """TechDocs replaces the theme with its own Material and adds magiclink, smartsymbols,
    tilde, mark and caret: values must still show as written, with our footer."""
    make_site(pipeline, plugins, {"index.md": MODEL_CARD})

    build = pipeline.build("--strict")

    assert build.ok, build.output
    assert (build.site / "techdocs_metadata.json").is_file()
    page = build.page("")
    assert_model_card_facts(pipeline, page)
    assert 'href="https://example.com' not in page
    assert not re.search(r"<(del|mark|ins)>", page)
    assert build.manifest()["pages"][0]["artifact"] == "classifier"
    assert_provenance_footer(pipeline, page)


# ---------------------------------------------------------------------------- mermaid2


def test_mermaid2_turns_the_pipeline_into_a_mermaid_diagram(pipeline: Repo) -> None:
    # mermaid2 fetches its default library URL at build time to check it exists; a local
    # library keeps the build offline (see the report: the default is not).
    pipeline.write("docs/js/mermaid.mjs", "export default { initialize() {} };\n")
    plugins = [{"mermaid2": {"javascript": "js/mermaid.mjs"}}, "mlplugin"]
    make_site(
        pipeline, plugins, {"index.md": "# Home\n", "pipeline.md": "# Pipeline\n\n{ml pipeline}\n"}
    )

    build = pipeline.build("--strict")

    assert build.ok, build.output
    page = build.page("pipeline")
    diagram = re.search(r'<(div|pre) class="mermaid">(.*?)</\1>', page, re.DOTALL)
    assert diagram, page
    source = html.unescape(diagram.group(2))
    assert source.startswith("flowchart")
    labels = dict(re.findall(r'(n\d+)\[\(?"([^"]*)"', source))
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"(n\d+) --> (n\d+)", source)}
    assert edges == {
        ("data/raw.csv.dvc", "prepare"),
        ("prepare", "train"),
        ("train", "evaluate"),
    }
    assert 'import mermaid from "../js/mermaid.mjs";' in page, "mermaid2 loads the diagram"
    # mermaid2's own library, and not the bundled build as well: two Mermaids would fight
    assert "mermaid.min.js" not in page
    assert not (build.site / MERMAID_JS).exists()


# ---------------------------------------------------------------------------- bundled Mermaid

NO_MERMAID_FENCE = ["attr_list", "admonition", "tables", "pymdownx.superfences"]


def test_the_bundled_mermaid_is_served_only_with_a_site_that_draws_mermaid(
    pipeline: Repo,
) -> None:
    pages = {"index.md": "# Home\n", "pipeline.md": "# Pipeline\n\n{ml pipeline}\n"}
    pipeline.site(pages)
    drawn = pipeline.build("--strict")
    assert drawn.ok, drawn.output
    assert (drawn.site / MERMAID_JS).read_bytes() == BUNDLED_MERMAID.read_bytes()
    assert '<script src="../assets/javascripts/mermaid.min.js"></script>' in drawn.page("pipeline")
    assert "unpkg" not in drawn.page("pipeline")

    # no fence turns ```mermaid into a diagram: nothing to draw, nothing served
    pipeline.site(pages, markdown_extensions=NO_MERMAID_FENCE)
    plain = pipeline.build("--strict")
    assert plain.ok, plain.output
    assert not (plain.site / MERMAID_JS).exists()
    assert "mermaid.min.js" not in plain.page("pipeline")

    # a site that loads a Mermaid of its own keeps it, and only it
    pipeline.write("docs/js/mermaid.js", "// the site's own Mermaid\n")
    pipeline.site(pages, extra_javascript=["js/mermaid.js"])
    own = pipeline.build("--strict")
    assert own.ok, own.output
    assert not (own.site / MERMAID_JS).exists()
    assert "mermaid.min.js" not in own.page("pipeline")
    assert '<script src="../js/mermaid.js"></script>' in own.page("pipeline")


def test_mermaid_cdn_with_mermaid_js_is_a_config_error(pipeline: Repo) -> None:
    pipeline.write("js/mermaid.min.js", "// a build\n")
    pipeline.site(
        {"index.md": "# Home\n"}, plugin={"mermaid": "cdn", "mermaid_js": "js/mermaid.min.js"}
    )
    build = pipeline.build()
    assert not build.ok
    assert (
        "'mermaid: cdn' loads Mermaid from the CDN, 'mermaid_js' serves a local build: "
        "set one of them." in build.output
    )
    assert "Traceback" not in build.output


# ---------------------------------------------------------------------------- gh-deploy


def test_gh_deploy_pushes_the_site_and_its_manifest_to_origin(pipeline: Repo) -> None:
    origin = pipeline.home / "origin.git"
    pipeline.run("git", "init", "-q", "--bare", str(origin))
    pipeline.git("remote", "add", "origin", str(origin))
    make_site(pipeline, ["mlplugin"], {"index.md": MODEL_CARD}, theme={"name": "material"})
    head = pipeline.git("rev-parse", "HEAD")

    deploy = run_tool(pipeline, "mkdocs", "gh-deploy", "--force")

    assert deploy.ok, deploy.output
    pushed = f"--git-dir={origin}"
    manifest = json.loads(pipeline.git(pushed, "show", "gh-pages:ml-manifest.json"))
    assert manifest["git"]["commit"] == head
    subject = pipeline.git(pushed, "log", "-1", "--format=%s", "gh-pages")
    assert subject.startswith(f"Deployed {manifest['git']['short']} with MkDocs version")
    page = pipeline.git(pushed, "show", "gh-pages:index.html")
    assert_model_card_facts(pipeline, page)
    assert_provenance_footer(pipeline, page)


def monorepo_site(repo: Repo, dvc_root: str | list[str], checks: dict[str, str]) -> None:
    """mkdocs.yml at the top with mkdocs-monorepo-plugin including b's docs (b/mkdocs.yml)."""
    repo.write("b/mkdocs.yml", "site_name: b\nnav:\n  - Home: index.md\n")
    plugin = {"mlplugin": {"dvc_root": dvc_root, "checks": checks}}
    nav = [{"A": "index.md"}, {"B": "!include b/mkdocs.yml"}]
    config = {"site_name": "monorepo", "nav": nav, "plugins": ["monorepo", plugin]}
    repo.write("mkdocs.yml", yaml.safe_dump(config))


def test_monorepo_page_of_another_dvc_project_gets_none_of_this_projects_facts(
    empty_repo: Repo,
) -> None:
    """mkdocs-monorepo-plugin (bundled with TechDocs) includes project b's docs into the site
    of project a: b's page names a stage that a has too, but a's command must not be shown
    there; the page is named with the reason and a's own page keeps a's facts."""
    repo = empty_repo
    for project, command in (("a", "python train.py --lr 1"), ("b", "python fit.py --depth 9")):
        (repo.path / project).mkdir()
        repo.dvc("init", "--subdir", "-q", cwd=repo.path / project)
        repo.dvc("stage", "add", "-n", "train", command, cwd=repo.path / project)
    page = "# {title}\n\nTrained by {{ml stage train}}.\n"
    repo.write("docs/index.md", page.format(title="Project a"))
    repo.write("b/docs/index.md", page.format(title="Project b"))
    # each stage is a callback stage (no deps, no outs): always changed, as DVC says; this
    # test is about which project a page's facts come from
    monorepo_site(repo, "a", {"missing_reference": "warn", "stale_pipeline": "info"})
    repo.commit("two DVC projects, one site")

    build = repo.build()
    assert build.ok, build.output
    warning = [line for line in build.output.splitlines() if "b/docs/index.md:3" in line]
    assert warning and "lies in the DVC project in b" in warning[0], build.output
    assert "reads the DVC project in a" in warning[0]
    b_page = text_of(build.page("b"))
    assert "python train.py" not in b_page and "Trained by ⚠" in b_page
    assert "Trained by python train.py --lr 1." in text_of(build.page(""))

    strict = repo.build("--strict")
    assert not strict.ok


def test_site_over_two_dvc_projects_answers_each_page_from_its_own(empty_repo: Repo) -> None:
    """dvc_root: [a, b] with mkdocs-monorepo-plugin: each project's page shows its own stage,
    a page names the other project's stage from the git root (b/dvc.yaml:fit), b's stale
    stage is reported at b's dvc.yaml, and the manifest lists both projects."""
    repo = empty_repo
    for project, stage, command in (
        ("a", "train", "echo train"),
        ("b", "fit", "echo fit --depth 9"),
    ):
        (repo.path / project).mkdir()
        repo.dvc("init", "--subdir", "-q", cwd=repo.path / project)
        repo.write(f"{project}/params.yaml", "depth: 9\n")
        repo.dvc("stage", "add", "-n", stage, "-p", "depth", command, cwd=repo.path / project)
        repo.dvc("repro", "-q", cwd=repo.path / project)
    repo.write("docs/index.md", "# A\n\n{ml stage train}; b runs {ml stage b/dvc.yaml:fit}.\n")
    repo.write("b/docs/index.md", "# B\n\nTrained by {ml stage fit}, depth {ml param depth}.\n")
    monorepo_site(repo, ["a", "b"], {"stale_pipeline": "warn", "stale_doc": "warn"})
    repo.commit("two DVC projects, one site")

    build = repo.build()
    assert build.ok, build.output
    assert "echo train; b runs echo fit --depth 9." in text_of(build.page(""))
    assert "Trained by echo fit --depth 9, depth 9." in text_of(build.page("b"))
    manifest = build.manifest()
    assert [p["root"] for p in manifest["projects"]] == ["a", "b"]
    assert all(s["status"]["state"] == "current" for p in manifest["projects"] for s in p["stages"])

    repo.write("b/params.yaml", "depth: 12\n")  # b's stage is stale now, a's is not
    build = repo.build()
    stale = [f for f in build.manifest()["findings"] if f["kind"] == "stale_pipeline"]
    assert [(f["file"], f["line"]) for f in stale] == [("b/dvc.yaml", 2)], stale
    assert "Trained by echo fit --depth 9, depth 12." in text_of(build.page("b"))

    # b's page documents b's stage: a retrain of b committed without the page is drift there
    repo.write("b/docs/index.md", "---\nml: {stage: fit}\n---\n" + repo.read("b/docs/index.md"))
    repo.commit("b's page documents its stage", date="2024-03-02T12:00:00+00:00")
    repo.dvc("repro", "-q", cwd=repo.path / "b")
    repo.commit("retrain b", date="2024-03-03T12:00:00+00:00")
    drift = [f for f in repo.build().manifest()["findings"] if f["kind"] == "stale_doc"]
    assert [f["file"] for f in drift] == ["b/docs/index.md"], drift


# ---------------------------------------------------------------------------- Material's meta

# what page.meta["ml"] holds once Material's meta plugin has merged its files (it runs after us)
SEEN_META_HOOK = """\
import json, pathlib

def on_page_content(html, page, config, files):
    seen = pathlib.Path(config.config_file_path).with_name("seen-meta.json")
    known = json.loads(seen.read_text()) if seen.exists() else {}
    known[page.file.src_uri] = page.meta.get("ml")
    seen.write_text(json.dumps(known))
"""


def test_a_binding_set_in_a_meta_file_binds_the_pages_below_it_as_material_merges_it(
    pipeline: Repo,
) -> None:
    """A ``.meta.yml`` binds every page below its directory; a page's own ``ml:`` is merged
    over it. Our binding is the one Material's meta plugin leaves in page.meta."""
    make_site(
        pipeline,
        ["meta", "mlplugin"],
        {
            "index.md": "# Home\n\n{ml pipeline}\n",
            "models/.meta.yml": "ml:\n  artifact: classifier\n",
            "models/card.md": "# Card\n\nModel md5 {ml artifact classifier md5}.\n\n{ml provenance}\n",
            "models/train.md": "---\nml:\n  stage: train\n---\n# Training\n\n{ml provenance}\n",
        },
        theme={"name": "material"},
        hooks=["hooks.py"],
    )
    pipeline.write("hooks.py", SEEN_META_HOOK)
    pipeline.commit("Hook")

    build = pipeline.build("--strict")

    assert build.ok, build.output
    seen = json.loads(pipeline.read("seen-meta.json"))
    assert seen == {
        "index.md": None,
        "models/card.md": {"artifact": "classifier"},
        "models/train.md": {"artifact": "classifier", "stage": "train"},
    }
    rows = {row["src"]: row for row in build.manifest()["pages"]}
    for src, binding in seen.items():
        ours = {k: rows[f"docs/{src}"][k] for k in ("artifact", "stage")}
        assert ours == {"artifact": None, "stage": None} | (binding or {}), src
    # the bound card shows its provenance, and the diagram links to it
    assert f"{model_md5(pipeline)}" in text_of(build.page("models/card"))
    assert 'href="models/card/"' in build.page("")


def test_a_meta_file_binding_to_nothing_is_a_finding_at_its_line_for_each_page(
    pipeline: Repo,
) -> None:
    make_site(
        pipeline,
        ["meta", "mlplugin"],
        {
            "index.md": "# Home\n",
            "models/.meta.yml": "tags: [model]\nml:\n  artifact: clasifier\n",
            "models/a.md": "# A\n",
            "models/b.md": "---\nml:\n  artifact: classifier\n---\n# B\n",
            # its own 'ml:' binds: what is wrong is the meta file's
            "models/c.md": "---\nml:\n  stage: train\n---\n# C\n",
        },
        theme={"name": "material"},
    )

    build = pipeline.build()

    assert not build.ok
    errors = [ln for ln in build.output.splitlines() if ln.startswith("ERROR   -  mlplugin: docs")]
    assert errors == [
        f"ERROR   -  mlplugin: docs/models/.meta.yml:2: 'ml:' for docs/models/{page}: no artifact "
        "'clasifier'. Did you mean 'classifier'? Artifacts: classifier. [missing_reference]"
        for page in ("a.md", "c.md")
    ], build.output

    # a meta file whose 'ml:' YAML reads two ways (Material keeps the last of two keys)
    pipeline.write("docs/models/.meta.yml", "ml:\n  artifact: classifier\nml:\n  stage: train\n")
    build = pipeline.build()
    assert not build.ok
    errors = [ln for ln in build.output.splitlines() if ln.startswith("ERROR   -  mlplugin: docs")]
    assert len(errors) == 1, build.output
    assert errors[0].startswith("ERROR   -  mlplugin: docs/models/.meta.yml:3: "), errors
    assert errors[0].endswith("[malformed_reference]"), errors


# ---------------------------------------------------------------------------- Material's blog

RELEASE_POST = """\
---
date: 2024-01-02
tags: [models]
---

# Release {ml param train.lr}

Trained with lr {ml param train.lr}.

<!-- more -->

{ml provenance}
"""


def test_blog_post_slugs_titles_excerpts_and_tag_listings_read_resolved_values(
    pipeline: Repo,
) -> None:
    """Material's blog makes a post's URL from its title before any page is built: the slug
    is made from the title as the post shows it. A post bound by its folder's .meta.yml (which
    the blog merges itself) gets its provenance; the tags index lists the resolved title."""
    make_site(
        pipeline,
        ["meta", "blog", "tags", "mlplugin"],
        {
            "index.md": "# Home\n",
            "tags.md": "# Tags\n\n<!-- material/tags -->\n",
            "blog/index.md": "# Blog\n",
            "blog/posts/.meta.yml": "ml:\n  artifact: classifier\n",
            "blog/posts/release.md": RELEASE_POST,
            "blog/posts/named.md": RELEASE_POST.replace("date:", "slug: named-by-hand\ndate:"),
        },
        theme={"name": "material"},
    )

    build = pipeline.build("--strict")

    assert build.ok, build.output
    posts = sorted(
        p.parent.relative_to(build.site).as_posix()
        for p in (build.site / "blog").rglob("index.html")
        if "/2024/01/" in p.as_posix()
    )
    assert posts == ["blog/2024/01/02/named-by-hand", "blog/2024/01/02/release-005"]
    post = build.page("blog/2024/01/02/release-005")
    assert "<title>Release 0.05 - Ecosystem site</title>" in post
    assert model_md5(pipeline) in text_of(post)  # bound by blog/posts/.meta.yml
    index = build.page("blog")
    assert 'href="2024/01/02/release-005/"' in index
    assert "Release 0.05 Trained with lr 0.05." in text_of(index)
    assert "Release 0.05" in text_of(build.page("tags"))
    for path in build.site.rglob("*.html"):
        assert "ml param" not in path.read_text("utf-8"), path


# ---------------------------------------------------------------------------- opened from disk


def test_with_materials_offline_plugin_every_link_we_write_opens_a_file_from_disk(
    pipeline: Repo,
) -> None:
    """Material's offline plugin builds a site to be opened from disk (file://): it turns
    directory URLs off. Each link the plugin writes (diagram nodes to the pages documenting
    them, the registry page to the model card) then names a file that is there."""
    make_site(
        pipeline,
        ["search", "offline", {"mlplugin": {"registry_page": "registry.md"}}],
        {
            "index.md": "# Home\n\n{ml pipeline}\n",
            "data/prepare.md": "---\nml:\n  stage: prepare\n---\n# Preparation\n",
            "card.md": "---\nml:\n  artifact: classifier\n---\n# Classifier\n",
        },
        theme={"name": "material"},
    )

    build = pipeline.build()

    assert build.ok, build.output
    pages = {"index.html": r'class="ml-node-links"(.*?)</p>'}
    pages["registry.html"] = r'class="ml-card-link"(.*?)</p>'
    followed = []
    for page, block in pages.items():
        html_text = (build.site / page).read_text("utf-8")
        found = re.findall(block, html_text, re.DOTALL)
        assert found, page
        for href in re.findall(r'href="([^"]+)"', "".join(found)):
            target = (build.site / page).parent / html.unescape(href)
            assert target.is_file(), (page, href)
            followed.append(target.relative_to(build.site).as_posix())
    assert sorted(set(followed)) == ["card.html", "data/prepare.html"]
