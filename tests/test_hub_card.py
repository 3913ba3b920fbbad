"""A model card as the Hugging Face Hub reads it: its metadata shown in the card's header, its
model-index written from DVC metrics, and the ``hf_export`` README loaded by huggingface_hub's
own parser, offline."""

from __future__ import annotations

import html
import html.parser
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Repo

from mkdocs_mlplugin.checks import cards
from mkdocs_mlplugin.render.markdown import code, escape

# huggingface_hub reads HF_HUB_OFFLINE once, when it is imported: nothing below may reach the Hub
os.environ["HF_HUB_OFFLINE"] = "1"
import huggingface_hub
from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import (
    eval_results_to_model_index,
    model_index_to_eval_results,
)

SECTIONS = "".join(f"## {name}\n\nText.\n\n" for name in cards.MITCHELL)
MODEL_INDEX = (
    "  model_index:\n"
    "    dataset: {type: org/reviews, name: Reviews, split: test}\n"
    "    metrics:\n"
    "      accuracy: accuracy\n"
    "      loss: {metric: loss, name: Test loss}\n"
    "      n: test.n\n"
)
HUB_FRONT = (
    "license: apache-2.0\nlanguage: [en, de]\ndatasets: [org/reviews, local-set]\n"
    "base_model: org/base-model\ntags: [nlp, sentiment]\npipeline_tag: text-classification\n"
)
BODY = (
    "{ml provenance}\n\n"
    "The model's md5 is {ml artifact classifier md5}; it says {ml artifact classifier desc}\n\n"
    "{ml metrics-table}\n\n"
    "{ml params-table train}\n\n"
    "Learning rate {ml param train.lr}, accuracy {ml metric accuracy}.\n\n"
    "{ml pipeline}\n\n" + SECTIONS
)


def card(ml: str = MODEL_INDEX, front: str = HUB_FRONT, body: str = BODY) -> str:
    return f"---\nml:\n  artifact: classifier\n{ml}{front}---\n# Classifier\n\n{body}"


def built_readme(repo: Repo, page: str) -> tuple[Path, Any]:
    repo.site({"card.md": page}, plugin={"hf_export": "hf"})
    repo.commit("Card")
    build = repo.build("--strict")
    assert build.ok, build.output
    return build.site / "hf" / "classifier" / "README.md", build


def test_the_hub_readme_loads_with_huggingface_hub_offline(pipeline: Repo) -> None:
    readme, build = built_readme(pipeline, card())
    assert huggingface_hub.constants.HF_HUB_OFFLINE
    content = readme.read_text("utf-8")
    hub = ModelCard.load(readme)  # the Hub's parser: metadata checked as the Hub reads it
    assert hub.data.license == "apache-2.0"
    assert hub.data.language == ["en", "de"]
    assert hub.data.datasets == ["org/reviews", "local-set"]
    assert hub.data.base_model == "org/base-model"
    assert hub.data.tags == ["nlp", "sentiment"]
    assert hub.data.pipeline_tag == "text-classification"
    # model-index: written from metrics.json (accuracy 0.9, loss 0.25, test.n 3), named after
    # the artifact, its task the card's pipeline_tag
    measured = json.loads(pipeline.read("metrics.json"))
    assert hub.data.model_name == "classifier"
    results = {r.metric_type: r for r in hub.data.eval_results}
    assert {t: r.metric_value for t, r in results.items()} == {
        "accuracy": measured["accuracy"],
        "loss": measured["loss"],
        "n": measured["test"]["n"],
    }
    assert results["loss"].metric_name == "Test loss"
    assert {
        (r.task_type, r.dataset_type, r.dataset_name, r.dataset_split) for r in results.values()
    } == {("text-classification", "org/reviews", "Reviews", "test")}
    # ... and round-trips through huggingface_hub's own model-index conversion
    index = yaml.safe_load(content[4:].partition("\n---\n")[0])["model-index"]
    name, parsed = model_index_to_eval_results(index)
    assert eval_results_to_model_index(name, parsed) == index
    # the manifest has the card's Hub metadata with the same model-index
    row = next(p for p in build.manifest()["pages"] if p["src"] == "docs/card.md")
    assert row["hub"]["model-index"] == index and row["hub"]["license"] == "apache-2.0"
    # the body is plain Markdown: values as text, blocks as Markdown tables, no HTML
    for html_piece in ("&#", "<div", "<span", "<table", "<p", "!!! ", "{ml "):
        assert html_piece not in content
    md5 = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]
    assert f"The model's md5 is {md5}; it says Upper-cases reviews." in content
    assert "Learning rate 0.05, accuracy 0.9.\n" in content
    assert "| File | Metric | Value |\n| --- | --- | --- |\n" in content
    assert "| `metrics.json` | `test.n` | 3 |" in content
    assert "| `params.yaml` | `train.lr` | 0.05 |" in content
    assert "**Provenance: classifier**" in content and "| Produced by | `train` |" in content
    assert "```mermaid\nflowchart TD\n" in content
    assert hub.text.lstrip().startswith("# Classifier")


def test_repository_values_are_escaped_for_markdown_in_the_hub_readme(pipeline: Repo) -> None:
    """A description that would be HTML, emphasis, a link, a table cell and a list item."""
    hostile = "- <script>x()</script> *bold* [a](javascript:alert(1)) | `t` &amp; $x$"
    dvc_yaml = pipeline.read("dvc.yaml").replace(
        "desc: Upper-cases reviews.", f"desc: {json.dumps(hostile)}"
    )
    pipeline.write("dvc.yaml", dvc_yaml)
    readme, _ = built_readme(pipeline, card(body="{ml artifact classifier desc}\n\n" + BODY))
    content = readme.read_text("utf-8")
    shown = r"\- \<script\>x()\</script\> \*bold\* \[a\](javascript:alert(1)) \| \`t\` \&amp; \$x\$"
    assert f"\n{shown}\n" in content  # alone on its line: the '-' starts no list
    assert f"| Description | {shown} |" in content  # in a table cell too
    assert not re.search(r"(?<!\\)<", content)  # no '<' opens a tag
    assert "&#" not in content
    # a CommonMark parser with GitHub's tables shows the value as written, as text
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(content)
    assert f"<p>{html.escape(hostile, quote=False)}</p>" in rendered
    assert f"<td>Description</td>\n<td>{html.escape(hostile, quote=False)}</td>" in rendered
    assert "<script" not in rendered and "<a " not in rendered and "<em>" not in rendered
    ModelCard.load(readme)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain text 0.5", "plain text 0.5"),
        ("1. first", r"1\. first"),
        ("2) second", r"2\) second"),
        ("10.5 is a number", "10.5 is a number"),
        ("# heading", r"\# heading"),
        ("+ item", r"\+ item"),
        ("> quote", r"\> quote"),
        ("a_b*c~d", r"a\_b\*c\~d"),
        ("two\nlines\r\nhere", "two lines here"),
        ("back\\slash", "back\\\\slash"),
        ("<b>&nbsp;</b>", r"\<b\>\&nbsp;\</b\>"),
    ],
)
def test_markdown_text_shows_a_value_as_written(value: str, written: str) -> None:
    assert escape(value) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("python src/train.py", "`python src/train.py`"),
        ("a | b", r"`a \| b`"),
        ("uses `x`", "`` uses `x` ``"),  # CommonMark takes one space off each end
        ("```", "```` ``` ````"),
    ],
)
def test_code_in_a_markdown_table_cell(value: str, written: str) -> None:
    assert code(value) == written


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((self._href, data))
            self._href = None


def _header(page: str) -> str:
    found = re.search(r'<div class="ml-hub".*?</div>', page, re.DOTALL)
    assert found, page
    return found.group(0)


def test_the_card_header_shows_hub_metadata_with_safe_links_only(pipeline: Repo) -> None:
    front = (
        'license: "<img src=x onerror=alert(1)>"\n'
        "license_link: 'javascript:alert(1)'\n"
        "language: en\n"
        "datasets: [org/reviews, local-set, 'javascript:alert(1)', '\"><script>x()</script>']\n"
        "base_model: [org/base-model, 'https://evil.example/x']\n"
        "pipeline_tag: text-classification\n"
        "tags: ['<b>bold</b>']\n"
    )
    pipeline.site({"card.md": card("", front, SECTIONS)})
    pipeline.commit("Card")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    header = _header(build.page("card"))
    parser = _Links()
    parser.feed(header)
    # only Hub ids with their owner are linked, to the Hub; nothing else is a link
    assert parser.links == [
        ("https://huggingface.co/datasets/org/reviews", "org/reviews"),
        ("https://huggingface.co/org/base-model", "org/base-model"),
    ]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", header))
    assert "licence &lt;img src=x onerror=alert(1)&gt;" in text
    assert (
        "datasets org/reviews , local-set , javascript:alert(1) , &#34;&gt;&lt;script&gt;x()&lt;/script&gt;"
        in text.replace("&quot;", "&#34;")
    )
    assert "base model org/base-model , https://evil.example/x" in text
    assert "task text-classification" in text and "language en" in text
    assert "tags &lt;b&gt;bold&lt;/b&gt;" in text
    assert "<script" not in header and "<img" not in header and "<b>" not in header


def test_a_known_licence_links_to_its_spdx_page(pipeline: Repo) -> None:
    front = "license: mit\n"  # the Hub's identifier; SPDX writes MIT
    pipeline.site({"card.md": card("", front, SECTIONS)})
    pipeline.commit("Card")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    parser = _Links()
    parser.feed(_header(build.page("card")))
    assert parser.links == [("https://spdx.org/licenses/MIT.html", "mit")]
    # only the keys the card has: no empty labels
    assert "datasets" not in _header(build.page("card"))


def test_a_card_without_hub_metadata_has_no_metadata_row(pipeline: Repo) -> None:
    pipeline.site({"card.md": card("", "", SECTIONS)})
    pipeline.commit("Card")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    assert 'class="ml-card-header"' in build.page("card")
    assert 'class="ml-hub"' not in build.page("card")


@pytest.mark.parametrize(
    ("ml", "front", "line", "says"),
    [
        (
            "  model_index:\n    dataset: {type: imdb, name: IMDB}\n    metric: {accuracy: accuracy}\n",
            "pipeline_tag: text-classification\n",
            4,
            "front matter 'ml.model_index' has no key 'metric'. Did you mean 'metrics'? It takes "
            "name, task, dataset, metrics, results. [card_schema]",
        ),
        (
            "  model_index:\n    metrics: {accuracy: accuracy}\n",
            "pipeline_tag: text-classification\n",
            4,
            "front matter 'ml.model_index' needs 'dataset:', a mapping with 'type:' (the "
            "dataset's Hub id or a short name) and 'name:' (as it is shown), and optionally "
            "config, split, revision, args. [card_schema]",
        ),
        (
            "  model_index:\n    dataset: imdb\n    metrics: {accuracy: accuracy}\n",
            "",
            4,
            "front matter 'ml.model_index' needs 'task:', a Hub task type "
            "(text-classification) or a mapping of type and name (or pipeline_tag: in the "
            "front matter). [card_schema]",
        ),
        (
            "  model_index:\n    dataset: imdb\n    metrics: [accuracy]\n",
            "pipeline_tag: text-classification\n",
            4,
            "front matter 'ml.model_index' needs 'metrics:', a mapping of Hub metric type to "
            "the DVC metric that gives its value (accuracy: test.accuracy), as {ml metric KEY} "
            "names it. [card_schema]",
        ),
        (
            "  model_index:\n    results: [{task: x, dataset: imdb, metrics: {f1: [f1]}}]\n",
            "",
            4,
            "front matter 'ml.model_index.results[0].metrics.f1' must name a DVC metric "
            "(accuracy: test.accuracy), or be a mapping of metric and name. [card_schema]",
        ),
        (
            "  model_index: {dataset: imdb, metrics: {accuracy: accuracy}}\n",
            "pipeline_tag: text-classification\nmodel-index:\n  - name: x\n    results: []\n",
            4,
            "front matter has both 'model-index' and 'ml.model_index': keep 'ml.model_index', "
            "which writes model-index from the DVC metrics, or the typed 'model-index'. "
            "[card_schema]",
        ),
        (
            "  model_index:\n    dataset: imdb\n    metrics:\n      accuracy: accuracy\n"
            "      loss: los\n",
            "pipeline_tag: text-classification\n",
            8,
            "front matter 'ml.model_index' metric 'loss': '{ml metric los}': no metric 'los'. "
            "Did you mean 'loss'? [missing_reference]",
        ),
        (
            "  model_index:\n    dataset: imdb\n    metrics:\n      n: metrics.json:test.count\n",
            "pipeline_tag: text-classification\n",
            7,
            "front matter 'ml.model_index' metric 'n': '{ml metric metrics.json:test.count}': ",
        ),
    ],
)
def test_model_index_config_errors_name_the_key_and_line(
    pipeline: Repo, ml: str, front: str, line: int, says: str
) -> None:
    pipeline.site({"card.md": card(ml, front, SECTIONS)}, plugin={"hf_export": "hf"})
    pipeline.commit("Card")
    build = pipeline.build()
    assert not build.ok
    assert f"docs/card.md:{line}: {says}" in build.output


def test_a_metric_file_not_in_the_workspace_is_a_missing_value_on_its_line(
    pipeline: Repo,
) -> None:
    (pipeline.path / "metrics.json").unlink()
    ml = "  model_index:\n    dataset: imdb\n    metrics:\n      accuracy: accuracy\n"
    pipeline.site({"card.md": card(ml, "pipeline_tag: text-classification\n", SECTIONS)})
    pipeline.commit("Card")
    build = pipeline.build("--strict")
    assert not build.ok
    assert (
        "docs/card.md:7: front matter 'ml.model_index' metric 'accuracy': '{ml metric accuracy}': "
        "metrics file metrics.json is not in the workspace"
    ) in build.output
    assert "[missing_value]" in build.output


def test_hub_shown_keeps_only_keys_of_the_right_shape() -> None:
    from mkdocs_mlplugin.pages.publish import hub_shown

    shown = hub_shown({"license": 3, "tags": ["a", 2], "language": "en", "datasets": {"x": 1}})
    assert shown == [
        {"key": "language", "label": "language", "entries": [{"text": "en", "url": None}]},
        {"key": "tags", "label": "tags", "entries": [{"text": "a", "url": None}]},
    ]
    linked = hub_shown({"license": "other", "license_link": "https://example.com/LICENSE"})
    assert linked[0]["entries"] == [{"text": "other", "url": "https://example.com/LICENSE"}]
    for bad in ("a//b", "a/b/c", "a..b/c", "-a/b", "a/b.", "a/b c"):
        assert hub_shown({"datasets": [bad]})[0]["entries"][0]["url"] is None, bad


def test_model_index_on_a_page_that_is_no_model_card_is_reported(pipeline: Repo) -> None:
    ml = "  model_index: {dataset: imdb, metrics: {accuracy: accuracy}}\n"
    page = f"---\nml:\n  stage: train\n{ml}---\n# Training\n"
    pipeline.site({"train.md": page})
    pipeline.commit("Stage page")
    build = pipeline.build()
    assert not build.ok
    assert (
        "docs/train.md:2: front matter 'ml.model_index': only a model card (a page bound to an "
        "artifact of type model) gets a model-index, and the page is bound to no artifact. "
        "[card_schema]"
    ) in build.output
