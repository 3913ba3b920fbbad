"""Hostile values in a real DVC project: YAML merge keys, integers longer than Python reads,
nesting deeper than Python recurses, mapping keys of mixed types, lock fields of the wrong type.

Each scenario edits a copy of the ``pipeline`` fixture (a real three-stage DVC project in a
real git repository), runs a real ``mkdocs build --strict`` and asserts what the user sees:
the exit status, each finding naming the file and line, and never a traceback. Where DVC
reads the same files, the real ``dvc`` command is asked too.
"""

from __future__ import annotations

import re

import pytest
from conftest import Repo
from test_hostile import E, I, W, expect, line_of, rx, value

PAGE = "# Home\n\nlr={ml param train.lr} seed={ml param prepare.seed}\n\n{ml params-table}\n"


#: what follows from a file that cannot be read: its stages cannot be checked, and the page's
#: references to it have no value
FOLLOW_UPS = (
    I(
        rx(
            r"dvc\.yaml:\d+: stage '\w+' cannot be fully checked .*: cannot be read \(see its error\)\. \[unverifiable_stage\]"
        )
    ),
    W(
        rx(
            r"docs/index\.md:\d+: '\{ml [^}]*\}': .* cannot be read \(see its error\).* \[missing_value\]"
        )
    ),
    E(
        rx(
            r"docs/index\.md:\d+: '\{ml [^}]*\}': .* cannot be read \(see its error\).* \[missing_reference\]"
        )
    ),
)


def _site(repo: Repo, page: str = PAGE) -> None:
    repo.site({"index.md": page})
    repo.commit("Docs", date="2024-02-01T10:00:00+00:00")


# --------------------------------------------------------------------------- YAML merge keys

MERGED_PARAMS = """\
common: &common
  seed: 7
  lr: 0.5
split: &split
  split: 0.25
  seed: 99
prepare:
  <<: [*common, *split]
train:
  <<: *common
  lr: 0.05
  epochs: 3
"""


def test_merge_keys_in_params_are_read_as_dvc_reads_them(pipeline: Repo) -> None:
    """params.yaml written with merge keys (a list of two, and one with an override after it)
    holds the values the stages were run with: DVC and the plugin both call the pipeline up to
    date and the page shows the merged values. Changing the override makes both call train
    stale."""
    pipeline.write("params.yaml", MERGED_PARAMS)
    _site(pipeline)
    assert "up to date" in pipeline.dvc("status")
    build = pipeline.build("--strict")
    expect(build)
    page = build.page("")
    assert value(page, "param train.lr") == "0.05"
    assert value(page, "param prepare.seed") == "7"  # the first mapping listed wins
    pipeline.write("params.yaml", MERGED_PARAMS.replace("  lr: 0.05", "  lr: 0.07"))
    assert "train.lr" in pipeline.dvc("status")
    expect(
        pipeline.build("--strict"),
        E(
            rx(
                r"dvc\.yaml:12: stage 'train' is stale: .*params\.yaml.*train\.lr.* \[stale_pipeline\]"
            )
        ),
        allowed=(E(rx(r"dvc\.yaml:\d+: stage 'evaluate' is stale: .*")),),
    )


# --------------------------------------------------------------------------- long integers

DIGITS = "9" * 5000


#: how a broken file's finding counts the references on the page it keeps from a value
BLOCKS = " It blocks {n} on 1 page (docs/index.md), not listed on their own."


@pytest.mark.parametrize(
    ("file", "text", "declared"),
    [
        ("params.yaml", f"train:\n  lr: 0.05\n  epochs: 3\nbig: {DIGITS}\n", False),
        ("conf/big.json", '{\n  "n":\n    ' + DIGITS + "\n}\n", True),
        ("conf/big.toml", f"ok = 1\nn = {DIGITS}\n", True),
    ],
    ids=["yaml", "json", "toml"],
)
def test_an_integer_longer_than_python_reads_is_a_finding_at_its_line(
    pipeline: Repo, file: str, text: str, declared: bool
) -> None:
    if file == "params.yaml":
        text = pipeline.read("params.yaml") + text.split("epochs: 3\n")[1]
    pipeline.write(file, text)
    if declared:  # a stage reads it, so it is read
        dvc_yaml = pipeline.read("dvc.yaml").replace(
            "    - train.lr\n", f"    - train.lr\n    - {file}:\n      - n\n", 1
        )
        (pipeline.path / "dvc.yaml").write_text(dvc_yaml, "utf-8")
    _site(pipeline, "# Home\n\nlr={ml param train.lr}\n")
    line = line_of(text, "9999")
    kind = {"yaml": "params.yaml is not valid YAML: ", "json": "", "toml": ""}[file[-4:]]
    holds = "" if kind else f"{file} holds "
    # the page's one param reference is reported with the file that keeps it from a value
    blocks = BLOCKS.format(n="1 reference") if file == "params.yaml" else ""
    expect(
        pipeline.build("--strict"),
        E(
            f"{file}:{line}: {kind}{holds}an integer of 5,000 digits, more than the 4,300 Python "
            f"(and so DVC) reads; write it as a string or a float.{blocks} [invalid_project_file]"
        ),
        allowed=FOLLOW_UPS,
    )


# --------------------------------------------------------------------------- deep nesting


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("params.yaml", "deep: " + "{a: " * 500 + "1" + "}" * 500 + "\n"),
        ("params.yaml", "deep:\n" + "\n".join("  " * (i + 1) + "k:" for i in range(300)) + " 1\n"),
        ("metrics.json", '{"accuracy": 0.9,\n "d": ' + "[" * 1000 + "]" * 1000 + "}\n"),
        ("metrics.json", '{"accuracy": 0.9,\n "d": ' + "[" * 150 + "]" * 150 + "}\n"),
    ],
    ids=["params-yaml-flow-500", "params-yaml-block-300", "metrics-json-1000", "metrics-json-150"],
)
def test_nesting_deeper_than_python_recurses_is_a_finding_at_its_line(
    pipeline: Repo, file: str, text: str
) -> None:
    if file == "params.yaml":
        text = pipeline.read("params.yaml") + text
    pipeline.write(file, text)
    _site(pipeline, "# Home\n\nacc={ml metric accuracy}\n\n{ml metrics-table}\n")
    # 'deep:' is line 7 of params.yaml; in block style the mapping 100 levels down starts at 107
    line = (107 if "k:" in text else 7) if file == "params.yaml" else 2
    # the metric and the metrics table are reported with the file that keeps them from values
    blocks = BLOCKS.format(n="2 references") if file == "metrics.json" else ""
    expect(
        pipeline.build("--strict"),
        E(
            f"{file}:{line}: {file} nests mappings or lists more than 100 levels deep: refused."
            f"{blocks} [invalid_project_file]"
        ),
        allowed=(*FOLLOW_UPS, E(rx(r"dvc\.yaml:22: stage 'evaluate' is stale: changed outs: .*"))),
    )


def test_a_stage_of_a_dvc_lock_with_deep_nesting_names_the_lock(pipeline: Repo) -> None:
    lock = pipeline.read("dvc.lock")
    lock = lock.replace("schema: '2.0'\n", "schema: '2.0'\nx: " + "[" * 400 + "]" * 400 + "\n")
    (pipeline.path / "dvc.lock").write_text(lock, "utf-8")
    _site(pipeline)
    build = pipeline.build("--strict")
    assert "Traceback" not in build.output
    assert re.search(
        r"dvc\.lock:2: dvc\.lock nests mappings or lists more than 100 levels deep", build.output
    ), build.output


# --------------------------------------------------------------------------- old dvc.lock files

BROKEN_LOCKS = {
    "syntax": "schema: '2.0'\nstages: [unclosed\n",
    "conflict": "schema: '2.0'\n<<<<<<< HEAD\nstages: {}\n=======\nstages: {}\n>>>>>>> x\n",
    "deep": "schema: '2.0'\nstages: " + "[" * 600 + "]" * 600 + "\n",
    "long-integer": "schema: '2.0'\nstages:\n  train:\n    outs:\n    - size: " + DIGITS + "\n",
    "alias-bomb": "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    + "stages: {}\n",
    "not-utf8": "schema: '2.0'\nstages: {train: {cmd: caf\udce9}}\n",
}


@pytest.mark.parametrize("broken", list(BROKEN_LOCKS.values()), ids=list(BROKEN_LOCKS))
def test_a_malformed_dvc_lock_at_an_old_commit_is_a_finding_naming_the_commit(
    pipeline: Repo, broken: str
) -> None:
    """A dvc.lock that an old commit left broken is read by doc drift (a model card) and the
    timeline: each says which commit it cannot read, and skips that version; the card, whose
    artifact did not change since, is not called stale."""
    good = pipeline.read("dvc.lock")
    (pipeline.path / "dvc.lock").write_bytes(broken.encode("utf-8", "surrogateescape"))
    bad = pipeline.commit("Break the lock", date="2024-01-20T00:00:00+00:00")
    pipeline.write("dvc.lock", good)
    pipeline.commit("Restore the lock", date="2024-01-21T00:00:00+00:00")
    card = "---\nml:\n  artifact: classifier\n---\n# Card\n\n{ml provenance}\n"
    plugin = {"timeline_page": "tl.md", "checks": {"card_section": "ignore"}}
    pipeline.site({"index.md": "# Home\n", "card.md": card}, plugin=plugin)
    pipeline.commit("Docs", date="2024-02-01T10:00:00+00:00")
    build = pipeline.build("--strict")
    said = rx(
        rf"dvc\.lock: dvc\.lock as committed in {bad[:12]} cannot be read(?: \(line \d+ there\))?, "
        r"so (doc drift|the timeline) skips that version: dvc\.lock .* \[git_history\]"
    )
    expect(build, W(said), W(said))
    assert "doc drift skips" in build.output and "the timeline skips" in build.output
    pipeline.write("mkdocs.yml", pipeline.read("mkdocs.yml"))
    build = pipeline.build()
    assert build.ok, build.output
    assert "Break the lock" not in build.page("tl")  # the broken version shows no change
