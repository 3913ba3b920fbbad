"""Doc drift and pins: a page about an artifact or stage must not be older than what it documents."""

from __future__ import annotations

import pytest
import yaml
from conftest import Repo

CARD = "---\nml:\n  artifact: classifier\n---\n# Classifier card\n\n{ml provenance}\n"


def retrain(
    repo: Repo, lr: str, date: str, message: str = "Retrain with a new learning rate"
) -> str:
    """Change the model's input the way a user would, rerun the pipeline, commit the lock."""
    repo.write(
        "src/train.py",
        "import pathlib\npathlib.Path('models').mkdir(exist_ok=True)\n"
        f"pathlib.Path('models/model.txt').write_text(open('data/prepared.csv').read() + 'lr={lr}')\n",
    )
    repo.dvc("repro", "-q")
    return repo.commit(message, date=date)


def model_md5(repo: Repo) -> str:
    return yaml.safe_load(repo.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]


def test_a_card_edited_after_the_last_retrain_is_current(pipeline: Repo) -> None:
    pipeline.site({"card.md": CARD})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output


def test_a_retrain_after_the_card_was_written_fails_the_build(pipeline: Repo) -> None:
    pipeline.site({"card.md": CARD})
    card = pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    retrained = retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    build = pipeline.build()
    assert not build.ok
    assert "Traceback" not in build.output
    assert (
        f"docs/card.md:2: the page documents artifact 'classifier', which changed in commit "
        f'{retrained[:7]} (2024-02-05, "Retrain with a new learning rate") after the page was last '
        f"edited in commit {card[:7]} (2024-02-01)." in build.output
    )
    assert "[stale_doc]" in build.output
    assert "Review docs/card.md against the new version and edit it" in build.output
    # the user reviews the card: the saved edit is current before it is committed ...
    pipeline.write("docs/card.md", CARD + "\nReviewed after the retrain.\n")
    edited = pipeline.build("--strict")
    assert edited.ok, edited.output
    # ... and after
    pipeline.commit("Review card", date="2024-02-06T00:00:00+00:00")
    assert pipeline.build("--strict").ok


def test_an_uncommitted_edit_of_another_page_does_not_clear_the_card(pipeline: Repo) -> None:
    pipeline.site({"card.md": CARD, "other.md": "# Other\n"})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    pipeline.write("docs/other.md", "# Other\n\nEdited.\n")
    build = pipeline.build()
    assert not build.ok
    assert "docs/card.md:2: the page documents artifact 'classifier'" in build.output


def test_a_change_committed_with_the_card_is_not_drift(pipeline: Repo) -> None:
    pipeline.site({"card.md": CARD})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    pipeline.write("docs/card.md", CARD + "\nUpdated for the new model.\n")
    retrain(pipeline, "0.3", "2024-02-05T00:00:00+00:00", "Retrain and update the card")
    build = pipeline.build("--strict")
    assert build.ok, build.output


def test_unrelated_commits_do_not_make_a_card_stale(pipeline: Repo) -> None:
    pipeline.site({"card.md": CARD, "other.md": "# Other\n"})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    pipeline.write("docs/other.md", "# Other\n\nMore.\n")
    pipeline.commit("Other page", date="2024-02-03T00:00:00+00:00")
    pipeline.write(
        "params.yaml", pipeline.read("params.yaml").replace("seed: 7", "seed: 7  # fixed")
    )
    pipeline.commit("Comment in params, lock untouched", date="2024-02-04T00:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output


@pytest.mark.parametrize(("grace", "ok"), [(0, False), (1, True)])
def test_drift_grace_allows_a_lag_of_some_commits(pipeline: Repo, grace: int, ok: bool) -> None:
    pipeline.site({"card.md": CARD}, plugin={"drift_grace": grace})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    assert pipeline.build().ok is ok


def test_stale_doc_severity_is_configurable(pipeline: Repo) -> None:
    pipeline.site({"card.md": CARD}, plugin={"checks": {"stale_doc": "warn"}})
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    build = pipeline.build()
    assert build.ok, build.output
    assert "WARNING" in build.output and "[stale_doc]" in build.output
    finding = next(f for f in build.manifest()["findings"] if f["kind"] == "stale_doc")
    assert (finding["severity"], finding["file"], finding["line"]) == ("warn", "docs/card.md", 2)


def test_a_page_bound_to_a_stage_drifts_when_its_lock_entry_changes(pipeline: Repo) -> None:
    page = "---\nml:\n  stage: evaluate\n---\n# Evaluation\n"
    pipeline.site({"eval.md": page})
    pipeline.commit("Eval page", date="2024-02-01T00:00:00+00:00")
    pipeline.write("src/evaluate.py", pipeline.read("src/evaluate.py") + "# faster\n")
    pipeline.dvc("repro", "-q")
    pipeline.commit("Faster evaluation", date="2024-02-02T00:00:00+00:00")
    build = pipeline.build()
    assert not build.ok
    assert (
        "docs/eval.md:2: the page documents stage 'evaluate', which changed in commit"
        in build.output
    )


def test_a_pinned_md5_that_still_matches_passes_and_a_retrain_puts_it_behind(
    pipeline: Repo,
) -> None:
    md5 = model_md5(pipeline)
    page = f"---\nml:\n  artifact: classifier\n  pin:\n    md5: {md5[:8]}\n---\n# Card\n"
    pipeline.site({"card.md": page})
    pipeline.commit("Pinned card", date="2024-02-01T00:00:00+00:00")
    assert pipeline.build("--strict").ok
    retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    build = pipeline.build()
    assert not build.ok
    new = model_md5(pipeline)
    assert (
        f"docs/card.md:2: the page pins artifact 'classifier' at md5 {md5[:8]}, but dvc.lock now "
        f"records {new[:8]}. Update the page and its pin. [pinned_behind]" in build.output
    )
    assert "[stale_doc]" not in build.output, "a pinned page is judged by its pin"


def test_a_page_pinned_to_a_commit_is_behind_once_the_artifact_changes(pipeline: Repo) -> None:
    base = pipeline.git("rev-parse", "HEAD")
    page = f"---\nml:\n  artifact: classifier\n  pin:\n    commit: {base[:10]}\n---\n# Card\n"
    pipeline.site({"card.md": page})
    pipeline.commit("Pinned card", date="2024-02-01T00:00:00+00:00")
    assert pipeline.build("--strict").ok
    old = model_md5(pipeline)
    retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    build = pipeline.build()
    assert not build.ok
    assert (
        f"pins artifact 'classifier' at commit {base[:10]}, and it has changed since "
        f"({old[:8]} then, {model_md5(pipeline)[:8]} now)" in build.output
    )


@pytest.mark.parametrize(
    ("pin", "says"),
    [
        ("colour: red", "'pin:' takes a mapping with md5, commit, version"),
        ("md5: not-hex!", "'pin: md5' must be 4 to 40 hexadecimal characters"),
        (
            "commit: deadbeefdeadbeef",
            "pin commit deadbeefdeadbeef is not a commit of this repository",
        ),
    ],
)
def test_a_malformed_or_unknown_pin_is_explained(pipeline: Repo, pin: str, says: str) -> None:
    pipeline.site({"card.md": f"---\nml:\n  artifact: classifier\n  pin: {{{pin}}}\n---\n# Card\n"})
    pipeline.commit("Card")
    build = pipeline.build()
    assert not build.ok
    assert "docs/card.md:2:" in build.output
    assert says in build.output
    assert "Traceback" not in build.output


def test_drift_reads_history_with_one_git_process_for_all_pages(pipeline: Repo) -> None:
    pages = {f"card{i}.md": CARD for i in range(12)}
    pipeline.site(pages)
    pipeline.commit("Cards", date="2024-02-01T00:00:00+00:00")
    retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")
    trace = pipeline.home / "git-trace.log"
    build = pipeline.build(env={"GIT_TRACE": str(trace)})
    assert build.output.count("[stale_doc]") == 12
    assert trace.read_text().count("trace: built-in: git cat-file") == 1
