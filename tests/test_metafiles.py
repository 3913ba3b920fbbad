"""Front matter from Material's meta files (``.meta.yml``): a record kind, record fields and a
model card's Hugging Face metadata set once for a folder count for every page below it, as
Material's meta plugin merges them (the page's own keys win), in the registers, the manifest,
the coverage, the checks, the card's header and the ``hf_export`` README; a finding about a
key a meta file set names that file and line; without Material's meta plugin a meta file
gives no page anything. Real builds of the real git + DVC fixture."""

from __future__ import annotations

import os
import re
import sys
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from conftest import Build, Repo
from test_links import sheet, tag
from test_registers import rows

from mkdocs_mlplugin.checks import cards, records

# huggingface_hub reads HF_HUB_OFFLINE once, when it is imported: nothing below may reach the Hub
os.environ["HF_HUB_OFFLINE"] = "1"
from huggingface_hub import ModelCard

EPOCH = {"SOURCE_DATE_EPOCH": "1709294400"}  # 2024-03-01
REGISTERS = {"decisions_page": "decisions.md", "debt_page": "debt.md"}
DECISIONS_META = "ml:\n  record: decision\ndeciders: [Ada, Grace]\n"


def sections(kind: str) -> str:
    return "".join(f"## {title}\n\nText.\n\n" for title in records.RECORDS[kind].sections)


def decision(title: str, front: str) -> str:
    """A decision record's page that leaves its kind and deciders to its folder's meta file."""
    return f"---\n{front}---\n# {title}\n\n{sections('decision')}"


DEBT = (
    "---\nml:\n  record: debt\nstatus: open\npriority: high\nimpact: [cost]\neffort: 1 day\n"
    "owner: Grace\n---\n# Hand-written split\n\n" + sections("debt")
)


def site(repo: Repo, pages: dict[str, str], meta: Any = "meta", **plugin: Any) -> None:
    """Write the site with Material's meta plugin (META: its entry, None for none) before
    this one."""
    listed = [meta] if meta is not None else []
    repo.site(pages, plugins=[*listed, {"mlplugin": {**REGISTERS, **plugin}}])
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def mlplugin_lines(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if "mlplugin: docs" in ln]


RECORD_PAGES = {
    "index.md": "# Home\n",
    "decisions/.meta.yml": DECISIONS_META,
    "decisions/0001-bag-of-words.md": decision(
        "Bag of words", "status: accepted\ndate: 2024-01-10\n"
    ),
    "decisions/0002-gpu.md": decision("GPU", "status: proposed\ndate: 2024-02-01\n"),
    # its own kind wins over its folder's
    "decisions/0003-split.md": DEBT,
}


def test_a_folders_meta_file_makes_its_pages_records_everywhere_records_count(
    pipeline: Repo,
) -> None:
    site(pipeline, RECORD_PAGES, coverage_page="coverage.md", require={"records": ["decision"]})

    built = pipeline.build("--strict", env=EPOCH)

    assert built.ok, built.output
    log = built.page("decisions")
    assert rows(log, "ml-decision-log ml-decisions-accepted") == [
        ["2024-01-10", "Bag of words", "Ada, Grace", "", ""]
    ]
    assert [r[1:3] for r in rows(log, "ml-decision-log ml-decisions-proposed")] == [
        ["GPU", "Ada, Grace"]
    ]
    listed = re.findall(r'<div class="ml-block ml-decision-log.*?</div>', log, re.S)
    assert listed and not any("Hand-written split" in block for block in listed)
    assert [r[1] for r in rows(built.page("debt"), "ml-debt-open")] == ["Hand-written split"]
    manifest = built.manifest()
    by_page = {r["page"]: r for r in manifest["records"]}
    assert sorted(by_page) == [
        "docs/decisions/0001-bag-of-words.md",
        "docs/decisions/0002-gpu.md",
        "docs/decisions/0003-split.md",
    ]
    assert by_page["docs/decisions/0002-gpu.md"]["kind"] == "decision"
    assert by_page["docs/decisions/0002-gpu.md"]["fields"]["deciders"] == ["Ada", "Grace"]
    assert by_page["docs/decisions/0003-split.md"]["kind"] == "debt"
    assert "deciders" not in by_page["docs/decisions/0003-split.md"]["fields"]
    assert manifest["coverage"]["records"]["items"] == [
        {
            "name": "decision",
            "pages": ["docs/decisions/0001-bag-of-words.md", "docs/decisions/0002-gpu.md"],
        }
    ]
    # the record's own header shows the fields its folder gave it
    page = built.page("decisions/0002-gpu")
    header = re.search(r'<div class="[^"]*ml-record-decision">.*?</div>', page, re.S)
    assert header is not None
    assert "<th>Deciders</th><td>Ada, Grace</td>" in header.group(0)


def test_without_materials_meta_plugin_a_meta_file_makes_no_record(pipeline: Repo) -> None:
    """Material publishes a meta file's keys only with its meta plugin enabled; without it
    (or with it disabled) the pages are what their own front matter says."""
    for meta in (None, {"meta": {"enabled": False}}):
        site(pipeline, RECORD_PAGES, meta=meta)

        built = pipeline.build("--strict", env=EPOCH)

        assert built.ok, built.output
        assert "No page is a decision record yet" in built.page("decisions")
        assert [r["page"] for r in built.manifest()["records"]] == ["docs/decisions/0003-split.md"]
        assert "ml-record-decision" not in built.page("decisions/0002-gpu")


def test_a_field_a_meta_file_sets_is_checked_at_its_line_there(pipeline: Repo) -> None:
    pages = {
        **RECORD_PAGES,
        "decisions/.meta.yml": DECISIONS_META + "status: acepted\nreview_by: 2024-02-01\n",
        "decisions/0001-bag-of-words.md": decision("Bag of words", "date: 2024-01-10\n"),
        # its own status wins: nothing to say of the folder's
        "decisions/0002-gpu.md": decision(
            "GPU", "status: proposed\ndate: 2024-02-01\nreview_by: 2024-06-01\n"
        ),
        # what a page lacks is the page's to add
        "decisions/0004-no-date.md": decision("No date", "status: accepted\n"),
    }
    site(pipeline, pages)

    built = pipeline.build(env=EPOCH)

    assert not built.ok
    assert sorted(mlplugin_lines(built.output)) == sorted(
        [
            "ERROR   -  mlplugin: docs/decisions/.meta.yml:4: for "
            "docs/decisions/0001-bag-of-words.md: 'status' must be one of proposed, accepted, "
            "rejected, superseded, deprecated, not 'acepted'. Did you mean 'accepted'? "
            "[record_schema]",
            "WARNING -  mlplugin: docs/decisions/.meta.yml:5: for "
            "docs/decisions/0001-bag-of-words.md: the page was due for review on 2024-02-01 "
            "('review_by: 2024-02-01'): review it, then set a new date. [review_due]",
            # a review date is any record's: the debt record below the folder has it too
            "WARNING -  mlplugin: docs/decisions/.meta.yml:5: for "
            "docs/decisions/0003-split.md: the page was due for review on 2024-02-01 "
            "('review_by: 2024-02-01'): review it, then set a new date. [review_due]",
            "WARNING -  mlplugin: docs/decisions/.meta.yml:5: for "
            "docs/decisions/0004-no-date.md: the page was due for review on 2024-02-01 "
            "('review_by: 2024-02-01'): review it, then set a new date. [review_due]",
            "ERROR   -  mlplugin: docs/decisions/0004-no-date.md: a decision record needs front "
            "matter 'date:' (when it was last decided or changed): a date (YYYY-MM-DD). "
            "[record_schema]",
        ]
    ), built.output


def test_a_record_kind_a_meta_file_sets_wrong_is_the_binding_finding_at_its_line(
    pipeline: Repo,
) -> None:
    pages = {
        "index.md": "# Home\n",
        "decisions/.meta.yml": "deciders: [Ada]\nml:\n  record: decison\n",
        "decisions/a.md": decision("A", "status: accepted\ndate: 2024-01-10\n"),
    }
    site(pipeline, pages)

    built = pipeline.build(env=EPOCH)

    assert not built.ok
    assert mlplugin_lines(built.output) == [
        "ERROR   -  mlplugin: docs/decisions/.meta.yml:2: 'ml:' for docs/decisions/a.md: "
        "'record': 'decison' is no kind of record. Did you mean 'decision'? Kinds: decision, "
        "debt, runbook, datasheet. [malformed_reference]"
    ], built.output


# ---------------------------------------------------------------------------- model cards

CARD_SECTIONS = "".join(f"## {name}\n\nText.\n\n" for name in cards.MITCHELL)
MODELS_META = (
    "license: apache-2.0\n"
    "library_name: scikit-learn\n"
    "tags: [nlp]\n"
    "pipeline_tag: text-classification\n"
    "ml:\n"
    "  model_index:\n"
    "    dataset: {type: org/reviews, name: Reviews, split: test}\n"
    "    metrics:\n"
    "      accuracy: accuracy\n"
)
CARD = (
    "---\nml:\n  artifact: classifier\nlicense: mit\ntags: [sentiment]\n---\n# Classifier\n\n"
    + CARD_SECTIONS
)


def test_card_metadata_from_a_meta_file_is_in_the_header_and_the_hub_readme(
    pipeline: Repo,
) -> None:
    site(pipeline, {"models/.meta.yml": MODELS_META, "models/card.md": CARD}, hf_export="hf")

    built = pipeline.build("--strict", env=EPOCH)

    assert built.ok, built.output
    header = re.search(r'<div class="ml-hub".*?</div>', built.page("models/card"), re.S)
    assert header is not None
    shown = text_of(header.group(0))
    # the page's own licence wins; lists add up as Material merges them
    assert "licence mit" in shown and "apache" not in shown
    assert "library scikit-learn" in shown and "task text-classification" in shown
    assert "tags nlp sentiment" in shown
    hub = ModelCard.load(built.site / "hf" / "classifier" / "README.md")
    assert hub.data.license == "mit"
    assert hub.data.library_name == "scikit-learn"
    assert hub.data.tags == ["nlp", "sentiment"]
    assert hub.data.pipeline_tag == "text-classification"
    # the model-index the folder asks for, from the DVC metric, named after the artifact
    assert hub.data.model_name == "classifier"
    assert [(r.metric_type, r.metric_value, r.dataset_type) for r in hub.data.eval_results] == [
        ("accuracy", 0.9, "org/reviews")
    ]
    row = next(p for p in built.manifest()["pages"] if p["src"] == "docs/models/card.md")
    assert row["hub"]["library_name"] == "scikit-learn" and row["hub"]["license"] == "mit"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            "license: apache-2.0\ndatasets: org/reviews\n",
            "ERROR   -  mlplugin: docs/models/.meta.yml:2: for docs/models/card.md: 'datasets' "
            "must be a list of strings (Hugging Face model-card metadata), not a string. "
            "[card_schema]",
        ),
        (
            "tags: [nlp]\nml:\n  model_index:\n    task: text-classification\n"
            "    dataset: {type: org/reviews, name: Reviews}\n"
            "    metrics:\n      accuracy: acuracy\n",
            "ERROR   -  mlplugin: docs/models/.meta.yml:3: for docs/models/card.md: '"
            "ml.model_index' metric 'accuracy': ",
        ),
    ],
)
def test_card_metadata_a_meta_file_sets_wrong_is_found_at_its_line_there(
    pipeline: Repo, meta: str, expected: str
) -> None:
    site(pipeline, {"models/.meta.yml": meta, "models/card.md": CARD})

    built = pipeline.build(env=EPOCH)

    assert not built.ok
    found = mlplugin_lines(built.output)
    assert len(found) == 1 and found[0].startswith(expected), built.output


# ---------------------------------------------------------------------------------- links

LINKS_META = "ml:\n  record: decision\ndeciders: [Ada]\nlinks:\n"


def links_pages(links: str, own: str = "") -> dict[str, str]:
    """Two decisions in a folder whose meta file gives them LINKS (its lines from 5 on), the
    second with OWN links of its own (Material adds the lists up), the stage's page and the
    raw data's datasheet."""
    return {
        "index.md": "# Home\n",
        "decisions/.meta.yml": LINKS_META + links,
        "decisions/a.md": decision("A", "status: accepted\ndate: 2024-01-10\n"),
        "decisions/b.md": decision("B", f"status: accepted\ndate: 2024-01-11\n{own}"),
        "train.md": "---\nml:\n  stage: train\n---\n# Train\n",
        "raw.md": sheet("data/raw.csv"),
    }


def test_links_a_meta_file_gives_are_verified_and_shown_as_a_page_s_own(pipeline: Repo) -> None:
    """A folder's meta file gives its decisions links to a commit, a registered version, a
    stage and DVC-tracked data: each record's header shows them as real links, as it shows
    its own links: (which Material adds after them)."""
    tag(pipeline, "classifier@v1.0.0", "2024-01-11T08:00:00+00:00")
    sha = pipeline.git("rev-parse", "HEAD")
    links = (
        f"  - commit:{sha[:7]}\n  - Model: artifact:classifier@v1.0.0\n  - stage:train\n"
        "  - data:data/raw.csv\n"
    )
    site(pipeline, links_pages(links, "links:\n  - stage:prepare\n"), registry_page="r.md")

    built = pipeline.build("--strict", env=EPOCH)

    assert built.ok, built.output
    targets = [
        f"commit:{sha[:7]}",
        "artifact:classifier@v1.0.0",
        "stage:train",
        "data:data/raw.csv",
    ]
    rows_of = {r["src"]: r for r in built.manifest()["pages"]}
    for name, own in (("a", []), ("b", ["stage:prepare"])):
        page = built.page(f"decisions/{name}")
        box = re.search(r'<div class="[^"]*ml-record-decision">.*?</div>', page, re.S)
        assert box is not None
        shown = unescape(box.group(0))
        assert f"<td>commit {sha[:7]}, " in shown  # no repo_url: checked, not linked
        assert 'href="../../r/#ml-registry-classifier">Model</a>' in shown
        assert 'href="../../train/">stage train</a>' in shown
        assert 'href="../../raw/">data data/raw.csv' in shown
        assert ("stage prepare" in shown) == bool(own)
        # each where it is written: the meta file's at their lines there, the page's on it
        logged = rows_of[f"docs/decisions/{name}.md"]["links"]
        assert [(e.get("file"), e["line"], e["target"], e["resolved"]) for e in logged] == [
            *(("docs/decisions/.meta.yml", n, t, True) for n, t in enumerate(targets, 5)),
            *((None, 5, t, True) for t in own),
        ]


def test_a_broken_link_a_meta_file_gives_is_found_at_its_line_there(pipeline: Repo) -> None:
    """Each broken link the meta file gives is a broken_link finding at its line there, for
    each page it is given to, also where the page has links: of its own (Material adds the
    lists up): those are found on the page. The page's were all said to be on its 'links:'."""
    links = (
        "  - stage:trian\n  - Raw: data:data/raw.cvs\n  - artifact:classifier@v9.9.9\n"
        "  - commit:0000000\n"
    )
    site(pipeline, links_pages(links, "links:\n  - stage:train\n  - stage:prepar\n"))

    built = pipeline.build(env=EPOCH)

    assert not built.ok
    said = [
        "5: link 'stage:trian': no stage 'trian'. Did you mean 'train'?",
        "6: link 'data:data/raw.cvs': no stage or .dvc file outputs 'data/raw.cvs'. Did you mean "
        "'data/raw.csv'?",
        "7: link 'artifact:classifier@v9.9.9': GTO has no registered version of 'classifier'.",
        "8: link 'commit:0000000': no commit 0000000 in this repository.",
    ]
    meta = "ERROR   -  mlplugin: docs/decisions/.meta.yml:"
    assert sorted(mlplugin_lines(built.output)) == sorted(
        [
            *(
                f"{meta}{n}: for docs/decisions/{p}.md: {m} [broken_link]"
                for p in "ab"
                for n, _, m in (s.partition(": ") for s in said)
            ),
            "ERROR   -  mlplugin: docs/decisions/b.md:6: link 'stage:prepar': no stage 'prepar'. "
            "Did you mean 'prepare'? [broken_link]",
        ]
    ), built.output


def test_mkdocs_ml_check_names_the_meta_file_and_line(pipeline: Repo) -> None:
    """``mkdocs-ml check`` says a finding about what a meta file gave a page where the build
    does: at the meta file's line, for the page; ``--format github`` annotates that line of
    the meta file, its path from the git root (the site in web/)."""
    plugins = [{"meta": {}}, {"mlplugin": REGISTERS}]
    pages = links_pages("  - stage:trian\n") | {
        "decisions/.meta.yml": LINKS_META.replace("deciders", "status: acepted\ndeciders")
        + "  - stage:trian\n",
        "decisions/a.md": decision("A", "date: 2024-01-10\n"),
    }
    pipeline.site(pages, where="web", plugins=plugins)
    pipeline.commit("Docs", date="2024-01-12T09:00:00+00:00")
    ml = str(Path(sys.executable).parent / "mkdocs-ml")

    def check(fmt: str) -> list[str]:
        run = pipeline.run(
            ml, "check", "-f", "web/mkdocs.yml", "--format", fmt, check=False, env=EPOCH
        )
        assert run.returncode == 1, run.stdout + run.stderr
        return run.stdout.splitlines()

    meta = "docs/decisions/.meta.yml"
    status = (
        "for docs/decisions/a.md: 'status' must be one of proposed, accepted, rejected, "
        "superseded, deprecated, not 'acepted'. Did you mean 'accepted'?"
    )
    link = "link 'stage:trian': no stage 'trian'. Did you mean 'train'?"
    assert check("text") == [
        f"{meta}:3: error: {status} [record_schema]",
        f"{meta}:6: error: for docs/decisions/a.md: {link} [broken_link]",
        f"{meta}:6: error: for docs/decisions/b.md: {link} [broken_link]",
        "3 errors, 0 warnings on 7 pages.",
    ]
    github = [(line.partition("::")[2].partition("::")[0], line) for line in check("github")]
    assert sorted(props for props, _ in github) == [
        f"error file=web/{meta},line=3,title=mlplugin record_schema",
        f"error file=web/{meta},line=6,title=mlplugin broken_link",
        f"error file=web/{meta},line=6,title=mlplugin broken_link",
    ]
    assert sorted(line.rpartition("::")[2] for _, line in github) == sorted(
        [
            status,
            f"for docs/decisions/a.md: {link}",
            f"for docs/decisions/b.md: {link}",
        ]
    )


def blog_build(repo: Repo, pages: dict[str, str], **plugin: Any) -> Build:
    """PAGES built as a blog with Material's meta plugin before this one (PLUGIN: its options)."""
    repo.site(pages, plugins=["meta", "blog", {"mlplugin": plugin}])
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")
    return repo.build(env=EPOCH)


def test_a_blog_posts_links_are_found_where_each_is_written(pipeline: Repo) -> None:
    """Material's blog merges the meta files into a post's own front matter before any page
    is read (and names them in '__extends'): the links a meta file gives are still found at
    their lines there, and the post's own at its lines."""
    links = "  - stage:trian\n  - commit:0000000\n"
    pages = links_pages(links, "links:\n  - stage:train\n  - stage:prepar\n")
    posts = {
        "blog/index.md": "# Blog\n",
        "blog/posts/.meta.yml": pages.pop("decisions/.meta.yml"),
        "blog/posts/a.md": pages.pop("decisions/a.md"),
        "blog/posts/b.md": pages.pop("decisions/b.md"),
    }
    built = blog_build(pipeline, {**pages, **posts}, checks={"review_due": "info"})

    assert not built.ok
    meta = "ERROR   -  mlplugin: docs/blog/posts/.meta.yml:"
    assert sorted(mlplugin_lines(built.output)) == sorted(
        [
            *(
                f"{meta}{n}: for docs/blog/posts/{p}.md: link '{t}': {m} [broken_link]"
                for p in "ab"
                for n, t, m in (
                    (5, "stage:trian", "no stage 'trian'. Did you mean 'train'?"),
                    (6, "commit:0000000", "no commit 0000000 in this repository."),
                )
            ),
            "ERROR   -  mlplugin: docs/blog/posts/b.md:6: link 'stage:prepar': no stage "
            "'prepar'. Did you mean 'prepare'? [broken_link]",
        ]
    ), built.output


def test_a_field_a_meta_file_gives_a_blog_post_is_checked_at_its_line_there(
    pipeline: Repo,
) -> None:
    """A field the meta file gives a blog post (merged into the post's own front matter by
    Material's blog) is found at its line in the meta file; one the post writes, on the post."""
    pages = {
        "index.md": "# Home\n",
        "blog/index.md": "# Blog\n",
        "blog/posts/.meta.yml": DECISIONS_META + "status: acepted\n",
        "blog/posts/a.md": decision("A", "date: 2024-01-10\n"),
        "blog/posts/b.md": decision("B", "date: 2024-01-11\nstatus: proposd\n"),
    }
    built = blog_build(pipeline, pages)

    assert not built.ok
    allowed = "must be one of proposed, accepted, rejected, superseded, deprecated"
    assert sorted(mlplugin_lines(built.output)) == sorted(
        [
            f"ERROR   -  mlplugin: docs/blog/posts/.meta.yml:4: for docs/blog/posts/a.md: "
            f"'status' {allowed}, not 'acepted'. Did you mean 'accepted'? [record_schema]",
            f"ERROR   -  mlplugin: docs/blog/posts/b.md:3: front matter 'status' {allowed}, not "
            "'proposd'. "
            "Did you mean 'proposed'? [record_schema]",
        ]
    ), built.output
