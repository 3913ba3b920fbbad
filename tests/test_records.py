"""Record pages (decision, debt, runbook, datasheet): front matter checked with key and line,
required sections, review dates; in real builds."""

from __future__ import annotations

import pytest
from conftest import Repo

from mkdocs_mlplugin.checks import records


def sections(kind: str) -> str:
    return "".join(f"## {title}\n\nText.\n\n" for title in records.RECORDS[kind].sections)


DECISION = "ml:\n  record: decision\nstatus: accepted\ndate: 2024-02-01\ndeciders: [Ada Lovelace]\n"
DEBT = (
    "ml:\n  record: debt\n  stage: train\nstatus: open\npriority: high\nimpact: [velocity]\n"
    "effort: 3 days\nowner: Ada Lovelace\n"
)
RUNBOOK = "ml:\n  record: runbook\n  stage: train\nalerts: [training fails]\nowner: Ada\n"
DATASHEET = "ml:\n  record: datasheet\n  data: data/raw.csv\nowner: Ada\n"
FRONT = {"decision": DECISION, "debt": DEBT, "runbook": RUNBOOK, "datasheet": DATASHEET}


def page(front: str, body: str) -> str:
    return f"---\n{front}---\n# Record\n\n{body}"


def build(repo: Repo, pages: dict[str, str], **plugin: object) -> tuple[bool, str]:
    repo.site(pages, plugin or None)
    repo.commit("Records")
    built = repo.build("--strict", env={"SOURCE_DATE_EPOCH": "1709294400"})  # 2024-03-01
    return built.ok, built.output


def test_a_complete_record_of_each_kind_builds_strict(pipeline: Repo) -> None:
    pages = {f"{kind}.md": page(FRONT[kind], sections(kind)) for kind in records.RECORDS}
    ok, output = build(pipeline, {"index.md": "# Home\n", **pages})
    assert ok, output
    assert "0 findings" in output


@pytest.mark.parametrize(
    ("kind", "front", "line", "says"),
    [
        (
            "decision",
            DECISION.replace("accepted", "acepted"),
            4,
            "front matter 'status' must be one of proposed, accepted, rejected, superseded, "
            "deprecated, not 'acepted'. Did you mean 'accepted'?",
        ),
        (
            "decision",
            DECISION.replace("2024-02-01", "last week"),
            5,
            "front matter 'date' must be a date (YYYY-MM-DD), not 'last week'.",
        ),
        (
            "decision",
            DECISION.replace("deciders: [Ada Lovelace]\n", ""),
            2,
            "a decision record needs front matter 'deciders:' (who decided): a string or a "
            "list of strings.",
        ),
        (
            "decision",
            DECISION.replace("deciders:", "decider:"),
            6,
            "front matter 'decider' is no field of a decision record. Did you mean 'deciders'?",
        ),
        (
            "decision",
            DECISION.replace("accepted", "superseded"),
            4,
            "a decision record with status superseded names the record that replaces it: add "
            "'superseded_by:'.",
        ),
        (
            "decision",
            DECISION + "superseded_by: other.md\n",
            4,
            "a decision record with 'superseded_by:' no longer holds: its status is superseded "
            "(or deprecated), not accepted.",
        ),
        (
            "debt",
            DEBT.replace("[velocity]", "[velocity, speed]"),
            7,
            "front matter 'impact' must be one or a list of performance, cost, scalability, "
            "velocity, reliability, correctness, not 'speed'.",
        ),
        (
            "debt",
            DEBT.replace("effort: 3 days", "effort: -2"),
            8,
            "front matter 'effort' must be a string or a number, not a number.",
        ),
        (
            "debt",
            DEBT.replace("owner: Ada Lovelace\n", "owner: []\n"),
            9,
            "front matter 'owner' must be a string, not an empty list.",
        ),
        (
            "runbook",
            RUNBOOK.replace("alerts: [training fails]\n", "alerts: []\n"),
            5,
            "front matter 'alerts' must be a string or a list of strings, not an empty list.",
        ),
        (
            "runbook",
            RUNBOOK + "links: commit:abc\n",
            7,
            "front matter 'links' must be a list of links",
        ),
        (
            "datasheet",
            "ml:\n  record: datasheet\n",
            2,
            "a datasheet is bound to what it documents: add 'artifact:' or 'data:' under 'ml:'.",
        ),
    ],
)
def test_a_wrong_field_names_the_key_and_line(
    pipeline: Repo, kind: str, front: str, line: int, says: str
) -> None:
    ok, output = build(pipeline, {"index.md": "# Home\n", "r.md": page(front, sections(kind))})
    assert not ok
    assert f"ERROR   -  mlplugin: docs/r.md:{line}: {says}" in output, output
    assert "[record_schema]" in output


def test_a_wrong_binding_of_a_record_is_the_bindings_finding(pipeline: Repo) -> None:
    pages = {
        "index.md": "# Home\n",
        "a.md": page("ml:\n  record: decison\n", sections("decision")),
        "b.md": page("ml:\n  record: datasheet\n  data: data/raw.cvs\n", sections("datasheet")),
        "c.md": page(DEBT + "ml_extra: 1\n", sections("debt")).replace(
            "  record: debt\n", "  record: debt\n  data: data/raw.csv\n"
        ),
    }
    ok, output = build(pipeline, pages)
    assert not ok
    assert (
        "docs/a.md:2: front matter 'ml:': 'record': 'decison' is no kind of record. Did you "
        "mean 'decision'? Kinds: decision, debt, runbook, datasheet. [malformed_reference]"
    ) in output
    assert (
        "docs/b.md:2: 'ml:': no stage or .dvc file outputs 'data/raw.cvs'. Did you mean 'data/raw.csv'?"
        in output
    ), output
    assert (
        "docs/c.md:2: front matter 'ml:': 'data:' binds a datasheet ('record: datasheet') to "
        "its data. [malformed_reference]"
    ) in output


def test_missing_and_empty_sections_are_warnings(pipeline: Repo) -> None:
    body = sections("decision").replace("## Decision\n\nText.\n\n", "## Decision\n\n")
    body = body.replace("## Consequences\n\nText.\n\n", "")
    ok, output = build(pipeline, {"index.md": "# Home\n", "r.md": page(DECISION, body)})
    assert not ok
    assert "WARNING -  mlplugin: docs/r.md:18: section 'Decision' is empty: fill it in." in output
    assert (
        "WARNING -  mlplugin: docs/r.md: the decision record has no 'Consequences' section: add "
        "a heading '## Consequences' (required sections are set by the plugin's "
        "'record_sections' option). [record_section]"
    ) in output


def test_record_sections_set_a_kinds_sections(pipeline: Repo) -> None:
    body = "## Steps\n\n1. Restart.\n"
    ok, output = build(
        pipeline,
        {"index.md": "# Home\n", "r.md": page(RUNBOOK, body)},
        record_sections={"runbook": ["Steps"]},
    )
    assert ok, output
    pipeline.write("mkdocs.yml", pipeline.read("mkdocs.yml").replace("runbook:", "runbok:"))
    built = pipeline.build()
    assert not built.ok
    assert "record_sections: no kind of record 'runbok'. Did you mean 'runbook'?" in built.output


def test_the_gebru_sections_are_a_datasheets(pipeline: Repo) -> None:
    body = "## Motivation\n\nWhy.\n\n## Composition\n\nWhat.\n"
    ok, output = build(pipeline, {"index.md": "# Home\n", "r.md": page(DATASHEET, body)})
    assert not ok
    missing = [t for t in records.GEBRU if f"has no '{t}' section" in output]
    assert missing == ["Collection", "Preprocessing", "Uses", "Distribution", "Maintenance"]


def test_a_datasheet_bound_to_data_documents_it_and_others_do_not_drift(pipeline: Repo) -> None:
    """A debt record bound to a stage is not stale when the stage changes: it is about the
    stage, it does not document it."""
    pages = {
        "index.md": "# Home\n",
        "debt.md": page(DEBT, sections("debt")),
        "sheet.md": page(DATASHEET, sections("datasheet")),
        "pipeline.md": "# Pipeline\n\n{ml pipeline}\n",
    }
    pipeline.site(pages)
    pipeline.commit("Records", date="2024-01-11T09:00:00+00:00")
    pipeline.write("params.yaml", pipeline.read("params.yaml").replace("0.05", "0.07"))
    pipeline.dvc("repro", "-q")
    pipeline.commit("Retrain", date="2024-01-12T09:00:00+00:00")
    built = pipeline.build("--strict", env={"SOURCE_DATE_EPOCH": "1709294400"})
    assert built.ok, built.output
    html = built.page("pipeline")
    assert 'href="../sheet/"' in html  # the data node links to its datasheet


@pytest.mark.parametrize(
    ("front", "interval", "says", "line"),
    [
        (
            "review_by: 2024-02-29\n",
            None,
            "due for review on 2024-02-29 ('review_by: 2024-02-29')",
            7,
        ),
        (
            "reviewed: 2023-12-01\n",
            60,
            "due for review on 2024-01-30 ('reviewed: 2023-12-01' and review_interval 60 days)",
            7,
        ),
    ],
)
def test_a_past_review_date_is_due(
    pipeline: Repo, front: str, interval: int | None, says: str, line: int
) -> None:
    options = {"review_interval": interval} if interval else {}
    ok, output = build(
        pipeline,
        {"index.md": "# Home\n", "r.md": page(DECISION + front, sections("decision"))},
        **options,
    )
    assert not ok
    assert f"WARNING -  mlplugin: docs/r.md:{line}: the page was due for review on" in output
    assert says in output and "[review_due]" in output


def test_a_review_date_today_or_later_is_not_due(pipeline: Repo) -> None:
    pages = {
        "index.md": "# Home\n",
        "r.md": page(DECISION + "review_by: 2024-03-01\n", sections("decision")),
        "s.md": page(DECISION + "reviewed: 2024-01-01\n", sections("decision")),
    }
    ok, output = build(pipeline, pages, review_interval=60)
    assert ok, output


def test_a_model_card_has_review_dates_too(pipeline: Repo) -> None:
    from mkdocs_mlplugin.checks import cards

    body = "".join(f"## {name}\n\nText.\n\n" for name in cards.MITCHELL)
    card = f"---\nml:\n  artifact: classifier\nreview_by: 2024-01-15\n---\n# Card\n\n{body}"
    bad = card.replace("2024-01-15", "soon")
    ok, output = build(pipeline, {"index.md": "# Home\n", "card.md": card, "bad.md": bad})
    assert not ok
    assert "docs/card.md:4: the page was due for review on 2024-01-15" in output
    assert (
        "docs/bad.md:4: front matter 'review_by' must be a date (YYYY-MM-DD), not 'soon'. "
        "[record_schema]"
    ) in output


def test_today_is_source_date_epoch_when_set() -> None:
    import datetime

    assert records.today({"SOURCE_DATE_EPOCH": "0"}) == datetime.date(1970, 1, 1)
    now = datetime.datetime.now(datetime.UTC).date()
    assert records.today({}) == now
    assert records.today({"SOURCE_DATE_EPOCH": "9" * 30}) == now  # no such date: the clock's
    assert records.today({"SOURCE_DATE_EPOCH": "yesterday"}) == now


def test_a_datasheet_goes_stale_when_its_data_changes(pipeline: Repo) -> None:
    pages = {"index.md": "# Home\n", "sheet.md": page(DATASHEET, sections("datasheet"))}
    pipeline.site(pages)
    pipeline.commit("Datasheet", date="2024-01-11T09:00:00+00:00")
    pipeline.write("data/raw.csv", "text,label\ngood,1\nbad,0\nfine,1\nawful,0\n")
    pipeline.dvc("add", "-q", "data/raw.csv")
    pipeline.dvc("repro", "-q")
    pipeline.commit("Refresh the data", date="2024-01-12T09:00:00+00:00")
    built = pipeline.build("--strict", env={"SOURCE_DATE_EPOCH": "1709294400"})
    assert not built.ok
    assert "ERROR   -  mlplugin: docs/sheet.md:2: " in built.output, built.output
    assert "data 'data/raw.csv'" in built.output and "[stale_doc]" in built.output
    pipeline.write("docs/sheet.md", pipeline.read("docs/sheet.md") + "Four rows now.\n")
    pipeline.commit("Datasheet: four rows", date="2024-01-13T09:00:00+00:00")
    built = pipeline.build("--strict", env={"SOURCE_DATE_EPOCH": "1709294400"})
    assert built.ok, built.output


def test_a_record_about_a_model_is_no_model_card(pipeline: Repo) -> None:
    """A debt bound to the model is about it: no card checks, no Hub README, and the registry
    links the model's card, not the debt; a datasheet bound to a model is refused."""
    debt = page(DEBT.replace("  stage: train\n", "  artifact: classifier\n"), sections("debt"))
    sheet = page(
        DATASHEET.replace("  data: data/raw.csv\n", "  artifact: classifier\n"),
        sections("datasheet"),
    )
    pages = {"index.md": "# Home\n", "debt.md": debt, "sheet.md": sheet}
    ok, output = build(pipeline, pages, hf_export="hf", registry_page="registry.md")
    assert not ok
    assert (
        "docs/sheet.md:2: a datasheet documents a dataset, and artifact 'classifier' is of type "
        "model: bind the dataset it was trained on ('artifact:' or 'data:'), or make this page "
        "its model card. [record_schema]"
    ) in output
    assert "card_section" not in output and "Model Details" not in output
    (pipeline.path / "docs" / "sheet.md").unlink()
    ok, output = build(pipeline, {"index.md": "# Home\n", "debt.md": debt}, hf_export="hf")
    assert ok, output
    assert not (pipeline.home / "built-site" / "hf").exists()
