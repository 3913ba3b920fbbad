"""``mkdocs-ml init``: a docs skeleton that builds with ``--strict`` at once, written only where
nothing is, on the example and on a fresh DVC project made with the dvc CLI."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT, Repo, init_repo, snapshot

from mkdocs_mlplugin import REQUIREMENT

MKDOCS_ML = Path(sys.executable).parent / "mkdocs-ml"


def init(repo: Repo, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs-ml init ARGS`` as a user would."""
    return repo.run(str(MKDOCS_ML), "init", *args, cwd=cwd, check=False)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def planned(output: str) -> dict[str, str]:
    """path -> state ('would write', 'wrote', 'exists, kept') of each line of the plan."""
    found = re.findall(r"^  (would write|wrote|exists, kept) *(\S+)  \(", output, re.MULTILINE)
    return {path: state for state, path in found}


def clone_example(tmp_path: Path) -> Repo:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    return init_repo(clone, tmp_path)


def test_init_on_the_example_without_docs_writes_a_site_that_builds_strict(
    tmp_path: Path,
) -> None:
    repo = clone_example(tmp_path)
    site = repo.path / "example_site"
    shutil.rmtree(site / "docs")
    (site / "mkdocs.yml").unlink()
    repo.commit("No docs yet")
    before = snapshot(repo.path)

    dry = init(repo, cwd=site)
    assert dry.returncode == 0, dry.stderr
    assert snapshot(repo.path) == before, "a dry run writes nothing"
    plan = planned(dry.stdout)
    assert plan == {
        "docs/index.md": "would write",
        "docs/models/text-classifier.md": "would write",
        "docs/data/reviews.md": "would write",  # the dataset artifact's page
        "docs/pipeline.md": "would write",
        "mkdocs.yml": "would write",
        "../.github/workflows/docs.yml": "would write",
    }, dry.stdout
    assert "Dry run: nothing was written" in dry.stdout

    wrote = init(repo, "--write", cwd=site)
    assert wrote.returncode == 0, wrote.stderr
    assert set(planned(wrote.stdout).values()) == {"wrote"}
    after = snapshot(repo.path)
    new = sorted(set(after) - set(before))
    assert new == [
        ".github/workflows/docs.yml",
        "example_site/docs/data/reviews.md",
        "example_site/docs/index.md",
        "example_site/docs/models/text-classifier.md",
        "example_site/docs/pipeline.md",
        "example_site/mkdocs.yml",
    ]
    assert {k: v for k, v in after.items() if k in before} == before, "nothing existing changed"

    card = repo.read("example_site/docs/models/text-classifier.md")
    assert card.startswith('---\nml:\n  artifact: "text-classifier"\n---\n')
    for title in ("Model Details", "Intended Use", "Metrics", "Caveats and Recommendations"):
        assert f"\n## {title}\n" in card
    assert "{ml provenance}" in card and "{ml metrics-table metrics.json}" in card
    assert "{ml params-table}" in card

    build = repo.build("--strict", cwd=site)  # not the clone's root: it holds the package
    assert build.ok, build.output
    page = build.page("models/text-classifier")
    lock = yaml.safe_load((site / "dvc.lock").read_text())["stages"]
    assert lock["train"]["outs"][0]["md5"] in page
    metrics = yaml.safe_load((site / "metrics.json").read_text())
    assert f"accuracy{metrics['accuracy']}" in text_of(page)
    assert f"train.lr{lock['train']['params']['params.yaml']['train.lr']}" in text_of(page)
    for name in ("", "models/text-classifier", "data/reviews", "pipeline", "registry", "timeline"):
        assert "ml-missing" not in build.page(name), name
    assert "flowchart" in build.page("pipeline")
    # the unfilled sections are named, as information, not as a failure
    assert re.search(r"INFO .*9 placeholders .*'Model Details'.*\[card_section\]", build.output), (
        build.output
    )

    # the workflow's own steps: the check, in the site's directory, passes
    workflow = yaml.safe_load(repo.read(".github/workflows/docs.yml"))
    steps = workflow["jobs"]["build"]["steps"]
    assert workflow["jobs"]["build"]["defaults"]["run"]["working-directory"] == "example_site"
    assert steps[0]["with"]["fetch-depth"] == 0
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0] == f'pip install "{REQUIREMENT}"'  # the README's install line
    assert runs[1:] == [
        "mkdocs-ml check --format github",
        "mkdocs-ml check --format github --since origin/${{ github.base_ref }}",
        "mkdocs build --strict -d _site",
    ]
    gate = next(s for s in steps if "--since" in s.get("run", ""))
    assert gate["if"] == "github.event_name == 'pull_request'"  # pushes have no base
    assert next(s for s in steps if s.get("run") == runs[1])["if"] == (
        "github.event_name != 'pull_request'"
    )
    assert steps[1]["with"]["python-version"] == "3.11"  # the version CI tests
    check = repo.run(str(MKDOCS_ML), "check", "--strict", cwd=site, check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    done = snapshot(repo.path)
    again = init(repo, "--write", cwd=site)
    assert again.returncode == 0, again.stderr
    assert set(planned(again.stdout).values()) == {"exists, kept"}, again.stdout
    assert "Wrote 0 files" in again.stdout
    assert snapshot(repo.path) == done, "a second run writes nothing"


def test_init_on_the_example_as_is_keeps_every_file(tmp_path: Path) -> None:
    repo = clone_example(tmp_path)
    site = repo.path / "example_site"
    before = snapshot(repo.path)
    dry = init(repo, "example_site")
    assert dry.returncode == 0, dry.stderr
    plan = planned(dry.stdout)
    assert plan == {
        "example_site/docs/index.md": "exists, kept",
        "example_site/docs/model-card.md": "exists, kept",
        "example_site/docs/records/datasheet-reviews.md": "exists, kept",
        "example_site/docs/pipeline.md": "exists, kept",
        "example_site/mkdocs.yml": "exists, kept",
        ".github/workflows/docs.yml": "would write",
    }, dry.stdout
    assert "docs/model-card.md documents it already" in dry.stdout
    assert "docs/records/datasheet-reviews.md documents it already" in dry.stdout  # the dataset
    assert "exists, and lists the plugin" in dry.stdout
    # data.md already refers to the dvc add'ed data: no second page for it
    assert "data.md" not in dry.stdout

    wrote = init(repo, "example_site", "--write")
    assert wrote.returncode == 0, wrote.stderr
    after = snapshot(repo.path)
    assert sorted(set(after) - set(before)) == [".github/workflows/docs.yml"]
    assert {k: v for k, v in after.items() if k in before} == before
    assert repo.build("--strict", cwd=site).ok
    assert not (site / "docs" / "models").exists()


def make_two_artifacts(repo: Repo) -> None:
    """A fresh project made with the dvc CLI: a dataset added with dvc add, a training stage,
    both declared in dvc.yaml's artifacts:, one version registered with a GTO tag."""
    repo.dvc("init", "-q")
    repo.write("data/reviews.csv", "text,label\ngood,1\nbad,0\n")
    repo.dvc("add", "-q", "data/reviews.csv")
    repo.write("params.yaml", "train:\n  lr: 0.05\n  epochs: 3\n")
    repo.write(
        "train.py",
        "import json, pathlib\npathlib.Path('models').mkdir(exist_ok=True)\n"
        "pathlib.Path('models/clf.txt').write_text(open('data/reviews.csv').read())\n"
        "json.dump({'accuracy': 0.75, 'f1': 0.5}, open('metrics.json', 'w'))\n",
    )
    repo.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "train",
        "-d",
        "train.py",
        "-d",
        "data/reviews.csv",
        "-p",
        "train.lr,train.epochs",
        "-o",
        "models/clf.txt",
        "-M",
        "metrics.json",
        "python3 train.py",
    )
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(
            "artifacts:\n"
            "  clf:\n    path: models/clf.txt\n    type: model\n    desc: Copies reviews.\n"
            "  reviews:\n    path: data/reviews.csv\n    type: dataset\n"
        )
    repo.dvc("repro", "-q")
    shutil.rmtree(repo.path / ".dvc" / "tmp", ignore_errors=True)
    repo.commit("Pipeline")
    repo.git("tag", "-a", "clf@v1.0.0", "-m", "Registering artifact clf version v1.0.0")


def test_init_on_a_fresh_dvc_project_with_two_artifacts(empty_repo: Repo) -> None:
    repo = empty_repo
    make_two_artifacts(repo)
    before = snapshot(repo.path)

    dry = init(repo)
    assert dry.returncode == 0, dry.stderr
    assert snapshot(repo.path) == before
    assert "DVC project .: 1 stage, 2 artifacts (1 dataset, 1 model)." in dry.stdout
    assert planned(dry.stdout) == {
        "docs/index.md": "would write",
        "docs/models/clf.md": "would write",
        "docs/data/reviews.md": "would write",
        "docs/pipeline.md": "would write",
        "mkdocs.yml": "would write",
        ".github/workflows/docs.yml": "would write",
    }, dry.stdout

    assert init(repo, "--write").returncode == 0
    after = snapshot(repo.path)
    assert {k: v for k, v in after.items() if k in before} == before
    config = repo.read("mkdocs.yml")
    assert "registry_page: registry.md" in config and "timeline_page: timeline.md" in config
    assert "working-directory" not in repo.read(".github/workflows/docs.yml")

    build = repo.build("--strict")
    assert build.ok, build.output
    card = build.page("models/clf")
    outs = yaml.safe_load(repo.read("dvc.lock"))["stages"]["train"]["outs"]
    assert next(o["md5"] for o in outs if o["path"] == "models/clf.txt") in card
    assert "accuracy0.75" in text_of(card) and "train.lr0.05" in text_of(card)
    assert "v1.0.0" in text_of(card), "the header shows the registered version"
    data = build.page("data/reviews")
    assert yaml.safe_load(repo.read("data/reviews.csv.dvc"))["outs"][0]["md5"] in data
    assert "clf" in text_of(build.page("registry"))
    for name in ("", "models/clf", "data/reviews", "pipeline", "registry", "timeline"):
        assert "ml-missing" not in build.page(name), name

    done = snapshot(repo.path)
    again = init(repo, "--write")
    assert set(planned(again.stdout).values()) == {"exists, kept"}, again.stdout
    assert snapshot(repo.path) == done


HOSTILE = {
    "../../outside": "model",
    'quote"colon: x\n---\nml: {artifact: classifier}': "model",
    "<script>alert(1)</script>": "model",
    "{ml stage train} *bold* [link](javascript:alert(1))": "dataset",
}


def test_hostile_artifact_names_stay_text_in_docs(pipeline: Repo) -> None:
    dvc_yaml = yaml.safe_load(pipeline.read("dvc.yaml"))
    for name, kind in HOSTILE.items():
        path = "models/model.txt" if kind == "model" else "data/raw.csv"
        dvc_yaml["artifacts"][name] = {"path": path, "type": kind}
    pipeline.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    pipeline.commit("Hostile names")
    outside = pipeline.path.parent
    before_outside = sorted(p.name for p in outside.iterdir())

    wrote = init(pipeline, "--write")
    assert wrote.returncode == 0, wrote.stderr
    assert sorted(p.name for p in outside.iterdir()) == before_outside
    written = sorted(
        p.relative_to(pipeline.path).as_posix() for p in (pipeline.path / "docs").rglob("*.md")
    )
    assert all(re.fullmatch(r"docs/(models/|data/)?[A-Za-z0-9_-]+\.md", p) for p in written)
    assert len([p for p in written if p.startswith("docs/models/")]) == 4  # with classifier
    bound = {}
    for rel in written:
        text = pipeline.read(rel)
        if text.startswith("---\n"):
            meta = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
            bound[meta["ml"]["artifact"]] = rel
    assert set(bound) == {"classifier", *HOSTILE}, "each page binds its own name, exactly"
    config = yaml.load(pipeline.read("mkdocs.yml"), Loader=yaml.UnsafeLoader)  # noqa: S506
    assert config["plugins"][1]["mlplugin"]["registry_page"] == "registry.md"

    # '../../outside' cannot name a folder of the site: the build refuses it, by name
    build = pipeline.build()
    assert "artifact name '../../outside'" in build.output

    # without it, the skeleton builds strict, and every name shows as text
    for made in ("docs", ".github"):
        shutil.rmtree(pipeline.path / made)
    (pipeline.path / "mkdocs.yml").unlink()
    del dvc_yaml["artifacts"]["../../outside"]
    pipeline.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    assert init(pipeline, "--write").returncode == 0
    build = pipeline.build("--strict")
    assert build.ok, build.output
    for rel in written:
        if rel == bound["../../outside"]:
            continue
        shown = build.page(rel.removeprefix("docs/").removesuffix(".md").removesuffix("index"))
        assert "<script>alert" not in shown and 'href="javascript' not in shown, rel
    card = text_of(build.page(bound["<script>alert(1)</script>"][5:-3]))
    assert "Artifact: <script>alert(1)</script>" in card
    data = text_of(build.page(bound["{ml stage train} *bold* [link](javascript:alert(1))"][5:-3]))
    assert "Artifact: {ml stage train} *bold* [link](javascript:alert(1))" in data
    assert "# Model card: classifier\n" in pipeline.read(bound["classifier"])


def test_placeholders_are_information_until_card_sections_are_enforced(pipeline: Repo) -> None:
    assert init(pipeline, "--write").returncode == 0
    card = pipeline.read("docs/models/classifier.md")
    assert card.count("**To write:**") == 9
    pipeline.write(
        "docs/models/classifier.md",
        card.replace(
            "**To write:** Who developed",
            "Written by the team.\n\n```text\n**To write:** in a fence, not a placeholder\n```\n"
            "\nNot yet: who developed",
        ),
    )
    assert pipeline.build("--strict").ok
    config = pipeline.read("mkdocs.yml")
    pipeline.write(
        "mkdocs.yml",
        config.replace("  - mlplugin:\n", "  - mlplugin:\n      checks: {card_section: warn}\n"),
    )
    build = pipeline.build("--strict")
    assert not build.ok
    found = re.findall(r"WARNING -  mlplugin: (.*\[card_section\])", build.output)
    assert len(found) == 1, build.output
    assert found[0].startswith("docs/models/classifier.md:22: 8 placeholders")
    assert "'Model Details'" not in found[0] and "'Intended Use'" in found[0]


def test_init_beside_an_existing_config_follows_it_and_changes_nothing(pipeline: Repo) -> None:
    dvc_yaml = yaml.safe_load(pipeline.read("dvc.yaml"))
    dvc_yaml["artifacts"]["tokenizer"] = {"path": "data/prepared.csv", "type": "other"}
    pipeline.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    config = pipeline.site({"about.md": "# About\n"}, {"card_sections": ["Overview", "Limits"]})
    pipeline.commit("A site without model pages")
    before = snapshot(pipeline.path)

    wrote = init(pipeline, "--write")
    assert wrote.returncode == 0, wrote.stderr
    assert "exists, and lists the plugin" in wrote.stdout
    assert "No page for artifact 'tokenizer' (type: other)" in wrote.stdout
    after = snapshot(pipeline.path)
    assert {k: v for k, v in after.items() if k in before} == before
    assert config.read_bytes() == before["mkdocs.yml"]
    card = pipeline.read("docs/models/classifier.md")
    assert re.findall(r"^## (.*)$", card, re.MULTILINE) == ["Overview", "Limits"]
    assert "registry.md" not in pipeline.read("docs/index.md"), "this site has no registry page"
    build = pipeline.build("--strict")
    assert build.ok, build.output


def test_init_says_what_the_first_build_will_report(pipeline: Repo) -> None:
    pipeline.write("params.yaml", pipeline.read("params.yaml").replace("0.05", "0.5"))
    pipeline.commit("Change lr without retraining")
    dry = init(pipeline)
    assert dry.returncode == 0
    assert re.search(
        r"^The first build will report: dvc\.yaml:\d+: error: stage 'train' is stale: .*dvc repro train",
        dry.stdout,
        re.MULTILINE,
    ), dry.stdout


def test_init_never_writes_through_a_link_out_of_the_docs(pipeline: Repo) -> None:
    outside = pipeline.path.parent / "elsewhere"
    outside.mkdir()
    (pipeline.path / "docs").mkdir()
    os.symlink(outside, pipeline.path / "docs" / "models")
    wrote = init(pipeline, "--write")
    assert wrote.returncode == 1
    assert re.search(r"^  refused +docs/models/classifier\.md", wrote.stdout, re.MULTILINE)
    assert "not a directory of the project (a symbolic link?)" in wrote.stdout
    assert list(outside.iterdir()) == []
    assert (pipeline.path / "docs" / "pipeline.md").is_file(), "the other files are written"


def test_init_names_imported_data_as_tracked_by_dvc_files_not_added(empty_repo: Repo) -> None:
    """A .dvc file that 'dvc import' wrote (its dep names the repository it came from) is
    data a .dvc file tracks, not data 'dvc add' added: the plan and the page say so."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write(
        "data.zip.dvc",
        "md5: 294e29b2030ff55fb59b91377cb4f08b\nfrozen: true\ndeps:\n- path: data/data.zip\n"
        "  repo:\n    url: https://github.com/example/data-registry\n"
        "    rev_lock: f0951bbc7820ff43b583f9a9ba5ec7a30def870d\n"
        "outs:\n- md5: a10dceec1b22b1b3f4bc08e549ddf978\n  size: 292752584\n  path: data.zip\n",
    )
    repo.commit("Import the data")
    dry = init(repo)
    assert dry.returncode == 0, dry.stderr
    assert "docs/data.md  (data tracked by .dvc files: 1 path)" in dry.stdout, dry.stdout
    assert "dvc add" not in dry.stdout
    assert init(repo, "--write").returncode == 0
    page = repo.read("docs/data.md")
    assert "Data tracked by `.dvc` files (`dvc add`, `dvc import`)" in page
    build = repo.build("--strict")
    assert build.ok, build.output
    assert "a10dceec" in text_of(build.page("data"))
