"""Model cards: Hugging Face metadata checked with key and line, required sections enforced."""

from __future__ import annotations

import re

import pytest
from conftest import Repo

from mkdocs_mlplugin.checks import cards

SECTIONS = "".join(f"## {name}\n\nText.\n\n" for name in cards.MITCHELL)


def card(front: str, body: str = SECTIONS) -> str:
    return f"---\nml:\n  artifact: classifier\n{front}---\n# Classifier\n\n{body}"


@pytest.fixture
def model_pipeline(pipeline: Repo) -> Repo:
    """The pipeline fixture, its artifact declared as a model (type: model)."""
    pipeline.write("dvc.yaml", pipeline.read("dvc.yaml"))  # type: model is in conftest already
    assert "type: model" in pipeline.read("dvc.yaml")
    return pipeline


def test_sections_are_reported_at_info_level_unless_enforced(model_pipeline: Repo) -> None:
    model_pipeline.site({"card.md": card("", "## Usage\n\nText.\n")})
    model_pipeline.commit("Card")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output
    assert (
        "INFO    -  mlplugin: docs/card.md: the model card has no 'Factors' section" in build.output
    )


def test_a_complete_card_with_hub_metadata_builds_strict(model_pipeline: Repo) -> None:
    front = (
        "license: apache-2.0\nlanguage: [en, de]\ntags: [nlp]\ndatasets: [imdb]\n"
        "pipeline_tag: text-classification\nmodel-index:\n  - name: classifier\n    results:\n"
        "      - task: {type: text-classification}\n        dataset: {type: imdb, name: IMDB}\n"
        "        metrics:\n          - {type: accuracy, value: 0.9}\n"
    )
    model_pipeline.site({"card.md": card(front)})
    model_pipeline.commit("Card")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output


@pytest.mark.parametrize(
    ("front", "line", "says"),
    [
        (
            "tags: nlp\n",
            4,
            "front matter 'tags' must be a list of strings (Hugging Face model-card metadata), not a string.",
        ),
        ("license: 3\n", 4, "front matter 'license' must be a string"),
        ("language: [en, 2]\n", 4, "'language' must be a string or a list of strings"),
        (
            "inference: maybe\n",
            4,
            "'inference' must be true or false (Hugging Face model-card metadata), not a string.",
        ),
        (
            "license: mit\nmodel-index:\n  - results: []\n",
            5,
            "'model-index[0]' needs 'name:' (a string).",
        ),
        (
            "model-index:\n  - name: m\n    results:\n      - task: {type: x}\n        metrics: []\n",
            4,
            "'model-index[0].results[0]' needs 'dataset:' with 'type:' and 'name:' (strings).",
        ),
    ],
)
def test_wrong_hub_metadata_names_the_key_and_line(
    model_pipeline: Repo, front: str, line: int, says: str
) -> None:
    model_pipeline.site({"card.md": card(front)})
    model_pipeline.commit("Card")
    build = model_pipeline.build()
    assert not build.ok
    assert f"docs/card.md:{line}: " in build.output
    assert says in build.output
    assert "[card_schema]" in build.output


def test_missing_empty_and_repeated_sections_are_reported(model_pipeline: Repo) -> None:
    body = SECTIONS.replace("## Factors\n\nText.\n\n", "").replace(
        "## Metrics\n\nText.\n\n", "## Metrics\n\n"
    )
    body += "## Intended Use\n\nAgain.\n"
    model_pipeline.site({"card.md": card("", body)}, plugin={"checks": {"card_section": "warn"}})
    model_pipeline.commit("Card")
    build = model_pipeline.build()
    assert build.ok, "sections are warnings when enforced with 'warn'"
    assert (
        "docs/card.md: the model card has no 'Factors' section: add a heading '## Factors'"
        in build.output
    )
    assert "section 'Metrics' is empty: fill it in." in build.output
    assert "section 'Intended Use' appears twice (also on line 11)." in build.output
    assert not model_pipeline.build("--strict").ok


def test_the_huggingface_preset_and_custom_lists(model_pipeline: Repo) -> None:
    hf_body = "".join(f"## {name}\n\nText.\n\n" for name in cards.HUGGINGFACE)
    strict = {"card_section": "warn"}
    model_pipeline.site(
        {"card.md": card("", hf_body)}, plugin={"card_sections": "huggingface", "checks": strict}
    )
    model_pipeline.commit("Card")
    assert model_pipeline.build("--strict").ok
    model_pipeline.site(
        {"card.md": card("", "## Usage\n\nText.\n")}, plugin={"card_sections": ["Usage", "Limits"]}
    )
    build = model_pipeline.build()
    assert "no 'Limits' section" in build.output
    assert "no 'Usage' section" not in build.output


def test_an_unknown_preset_is_a_clear_error(model_pipeline: Repo) -> None:
    model_pipeline.site({"card.md": card("")}, plugin={"card_sections": "iso"})
    build = model_pipeline.build()
    assert not build.ok
    assert (
        "card_sections must be mitchell or huggingface or a list of section titles, not 'iso'."
        in build.output
    )
    assert "Traceback" not in build.output


def test_pages_that_are_not_model_cards_are_not_checked(model_pipeline: Repo) -> None:
    model_pipeline.site(
        {
            "index.md": "# Home\n\n## Anything\n",
            "stage.md": "---\nml:\n  stage: train\n---\n# Train\n",
        }
    )
    model_pipeline.commit("Docs")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("## A\n\ntext\n## B\n", [(2, "A", 1, True), (2, "B", 4, False)]),
        ("## A\n### Sub\ntext\n", [(2, "A", 1, True), (3, "Sub", 2, True)]),
        ("```\n## Not a heading\n```\n## B\nx\n", [(2, "B", 4, True)]),
        ("## A ##\n", [(2, "A", 1, False)]),
    ],
)
def test_headings_are_read_outside_code(
    markdown: str, expected: list[tuple[int, str, int, bool]]
) -> None:
    assert cards.headings(markdown, 1) == expected


def test_a_card_is_exported_as_a_hub_readme_with_resolved_facts(model_pipeline: Repo) -> None:
    import yaml

    front = "license: mit\ntags: [nlp]\npipeline_tag: text-classification\n"
    body = SECTIONS + "The model's md5 is {ml artifact classifier md5}.\n"
    model_pipeline.site({"card.md": card(front, body)}, plugin={"hf_export": "hf"})
    model_pipeline.commit("Card")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output
    readme = (build.site / "hf" / "classifier" / "README.md").read_text()
    head, _, rest = readme[4:].partition("---\n")
    assert yaml.safe_load(head) == {
        "license": "mit",
        "tags": ["nlp"],
        "pipeline_tag": "text-classification",
    }
    md5 = yaml.safe_load(model_pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]
    assert f"The model's md5 is {md5}.\n" in rest  # as text: no HTML around it
    assert "{ml " not in rest
    assert "## Model Details" in rest


def test_a_stage_page_gets_a_header_with_the_stage_state(model_pipeline: Repo) -> None:
    model_pipeline.site({"train.md": "---\nml:\n  stage: train\n---\n# Training\n"})
    model_pipeline.commit("Stage page")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output
    header = re.search(
        r'<div class="ml-card-header ml-stage-header".*?</div>', build.page("train"), re.DOTALL
    )
    assert header, build.page("train")
    assert "<strong>train</strong>" in header.group(0)
    assert 'class="ml-badge ml-state-current"' in header.group(0)
    assert "<code>python3 src/train.py</code>" in header.group(0)


def test_the_plain_mkdocs_theme_still_shows_the_facts(model_pipeline: Repo) -> None:
    import yaml

    body = "{ml provenance}\n\nmd5 {ml artifact classifier md5}\n\n" + SECTIONS
    model_pipeline.site({"card.md": card("", body)}, theme={"name": "mkdocs"})
    model_pipeline.commit("Card")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output
    page = build.page("card")
    md5 = yaml.safe_load(model_pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]
    assert (
        f'md5 <span class="ml-value" title="artifact classifier md5">{md5}</span>'
        in page.replace("&#32;", " ")
    )
    assert "Provenance" in page
    assert "ml-footer" not in page and "ml-card-header" not in page  # Material overrides only


MODEL_INDEX = (
    "model-index:\n  - name: classifier\n    results:\n"
    "      - task: {type: text-classification}\n        dataset: {type: imdb, name: IMDB}\n"
    "        metrics:\n"
    "          - {type: accuracy, value: ACCURACY, dvc_metric: accuracy}\n"
    "          - {type: loss, value: 0.25, dvc_metric: loss}\n"
    "          - {type: n, name: Test size, value: '{ml metric test.n}'}\n"
)


def test_a_hand_typed_card_metric_must_equal_the_dvc_metric_it_names(
    model_pipeline: Repo,
) -> None:
    """metrics.json says accuracy 0.9 (the pipeline fixture); the card typed 0.5."""
    import yaml

    front = MODEL_INDEX.replace("ACCURACY", "0.5")
    model_pipeline.site({"card.md": card(front)}, plugin={"hf_export": "hf"})
    model_pipeline.commit("Card")
    build = model_pipeline.build()
    assert not build.ok
    assert (
        "docs/card.md:10: front matter 'model-index[0].results[0].metrics[0]' (accuracy) says "
        "0.5, but DVC's metric 'accuracy' is 0.9: write value: 0.9, or value: "
        "'{ml metric accuracy}' to have it filled in. [card_metric_mismatch]"
    ) in build.output
    assert build.output.count("[card_metric_mismatch]") == 1  # loss 0.25 is what DVC says

    model_pipeline.write("docs/card.md", card(front.replace("value: 0.5", "value: 0.9")))
    model_pipeline.commit("Fixed")
    build = model_pipeline.build("--strict")
    assert build.ok, build.output
    readme = (build.site / "hf" / "classifier" / "README.md").read_text()
    hub = yaml.safe_load(readme[4:].partition("---\n")[0])
    metrics = hub["model-index"][0]["results"][0]["metrics"]
    # the Hub gets the measured values, in the Hub's keys only
    assert metrics == [
        {"type": "accuracy", "value": 0.9},
        {"type": "loss", "value": 0.25},
        {"type": "n", "name": "Test size", "value": 3},
    ]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("los", "loss"), ("accurac", "accuracy")],  # 'accurac' is also a piece of line 10
)
def test_a_card_metric_naming_no_dvc_metric_is_reported_at_its_line(
    model_pipeline: Repo, typo: str, meant: str
) -> None:
    front = MODEL_INDEX.replace("ACCURACY", "0.9").replace(
        "dvc_metric: loss", f"dvc_metric: {typo}"
    )
    model_pipeline.site(
        {"card.md": card(front)}, plugin={"checks": {"card_metric_mismatch": "warn"}}
    )
    model_pipeline.commit("Card")
    build = model_pipeline.build()
    assert not build.ok
    assert (
        f"docs/card.md:11: front matter 'model-index[0].results[0].metrics[1]': "
        f"'{{ml metric {typo}}}': no metric '{typo}'. Did you mean '{meant}'? [missing_reference]"
    ) in build.output


@pytest.mark.parametrize(
    ("typed", "measured", "agrees"),
    [
        (0.975, 0.975, True),
        (0.975, 0.97512, True),  # rounded to the decimals the card writes
        (0.98, 0.97512, True),
        (0.97, 0.97512, False),
        (0.5, 0.975, False),
        (97.5, 0.975, False),  # a percentage is not the fraction DVC measured
        (1, 1.0, True),
        (True, 1, False),
        ("0.9", 0.9, False),
        (1e-05, 1.2e-05, False),
    ],
)
def test_when_a_typed_value_agrees_with_the_measured_one(
    typed: object, measured: object, agrees: bool
) -> None:
    assert cards.agrees(typed, measured) is agrees
