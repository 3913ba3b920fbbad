"""Values of params and metrics files shown as DVC shows them, checked against the dvc CLI.

A real DVC project (made with the dvc CLI) with booleans, nulls, numbers in several spellings,
one-item lists and a stage that depends on a whole params section (``params: [train]``); the
pages are built with ``mkdocs build`` and read back as HTML.
"""

from __future__ import annotations

import ast
import html
import html.parser
import json
import re
import shutil
import sys
from typing import Any

import pytest
from conftest import Repo

PARAMS = """\
train:
  lr: 1e-3
  decay: 0.001
  big: 1.0e+10
  shuffle: false
  augment: true
  warmup: null
  answer: "yes"
  layers: [64]
  sizes: [1, 2]
  octal: 0o10
  ratio: 1.50
  optimizer:
    name: adam
    betas: [0.9, 0.999]
seed: 7
"""


class Tables(html.parser.HTMLParser):
    """The text of every table cell of a page, by table (with its CSS classes)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.classes: list[str] = []
        self.cell: list[str] | None = None
        self.spans: list[tuple[str, str]] = []  # (title, text) of ml-value spans
        self.span: list[str] | None = None
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div":
            self.classes.append(a.get("class") or "")
        elif tag == "table":
            self.tables.append((next((c for c in reversed(self.classes) if c), ""), []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "span" and a.get("class") == "ml-value":
            self.span, self.title = [], a.get("title") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.classes:
            self.classes.pop()
        elif tag in ("td", "th") and self.cell is not None and self.tables:
            self.tables[-1][1][-1].append("".join(self.cell))
            self.cell = None
        elif tag == "span" and self.span is not None:
            self.spans.append((self.title, "".join(self.span)))
            self.span = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.span is not None:
            self.span.append(data)


def parsed(page: str) -> Tables:
    tables = Tables()
    tables.feed(page)
    return tables


def rows(page: str, css: str) -> list[list[str]]:
    """The rows of the tables with class CSS as (file, key, value): each file heads its group of
    rows (one cell), once."""
    found: list[list[str]] = []
    for classes, table in parsed(page).tables:
        if css not in classes:
            continue
        file = None
        for row in table[1:]:  # the first is the header row
            if len(row) == 1:
                file = row[0]
            elif row:
                assert file is not None, table
                found.append([file, *row])
    return found


def dvc_params(repo: Repo) -> dict[str, Any]:
    """``dvc params diff --all --json``: every param DVC knows, with its value."""
    raw = repo.run(sys.executable, "-m", "dvc", "params", "diff", "--all", "--json").stdout
    return {
        f"{file}:{key}": entry["new"]
        for file, params in json.loads(raw).items()
        for key, entry in params.items()
    }


def as_dvc_writes(value: Any) -> Any:
    """A value of dvc's JSON as the value it stands for: lists come as Python's repr."""
    if isinstance(value, str) and value.startswith("["):
        return ast.literal_eval(value)
    return value


@pytest.fixture
def params_project(empty_repo: Repo) -> Repo:
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("params.yaml", PARAMS)
    repo.write("src/train.py", "open('model.txt', 'w').write('m')\n")
    repo.dvc(
        "stage", "add", "-q", "-n", "train", "-d", "src/train.py", "-p", "train",
        "-o", "model.txt", "python3 src/train.py",
    )  # fmt: skip
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write("artifacts:\n  model:\n    path: model.txt\n    type: model\n")
    repo.dvc("repro", "-q")
    return repo


def test_params_table_agrees_with_dvc_params_diff(params_project: Repo) -> None:
    repo = params_project
    repo.site({"index.md": "# Params\n\n{ml params-table}\n"})
    repo.commit("Params")
    build = repo.build("--strict")
    assert build.ok, build.output
    shown = {f"{f}:{k}": v for f, k, v in rows(build.page(""), "ml-params")}
    dvc = dvc_params(repo)
    assert set(shown) == set(dvc)  # the same dotted keys, no more, no fewer
    for key, value in dvc.items():
        text = shown[key]
        if isinstance(value, str) and not value.startswith("["):
            assert text == value, key
        else:  # numbers, booleans, null and lists: the JSON literal DVC writes
            assert json.loads(text) == as_dvc_writes(value), key
            assert type(json.loads(text)) is type(as_dvc_writes(value)), key
    # as DVC writes them: false (not "no"), null (not empty), 0.001 for 1e-3, [64] for a
    # one-item list, and the string "yes" apart from the boolean true
    assert shown["params.yaml:train.shuffle"] == "false"
    assert shown["params.yaml:train.augment"] == "true"
    assert shown["params.yaml:train.warmup"] == "null"
    assert shown["params.yaml:train.lr"] == "0.001" == json.dumps(dvc["params.yaml:train.lr"])
    assert shown["params.yaml:train.layers"] == "[64]"
    assert shown["params.yaml:train.answer"] == "yes"
    assert shown["params.yaml:train.octal"] == "8"


def test_section_params_are_flattened_in_the_stage_table_and_the_provenance(
    params_project: Repo,
) -> None:
    repo = params_project
    page = "---\nml:\n  artifact: model\n---\n# Model\n\n{ml params-table}\n\n{ml provenance}\n"
    repo.site({"model.md": page})
    repo.commit("Model page")
    build = repo.build("--strict")
    assert build.ok, build.output
    html = build.page("model")
    dvc = {k: v for k, v in dvc_params(repo).items() if k.startswith("params.yaml:train.")}
    table = {f"{f}:{k}": v for f, k, v in rows(html, "ml-params")}
    assert set(table) == set(dvc)  # train.lr, train.optimizer.name, ...: not one JSON blob
    assert table["params.yaml:train.optimizer.betas"] == "[0.9, 0.999]"
    (box,) = [t for c, t in parsed(html).tables if "ml-provenance" in c]
    params = dict(row for row in box if len(row) == 2)["Params"]
    assert "{" not in params
    shown = dict(item.split("=", 1) for item in params.removeprefix("train.").split(", train."))
    assert {f"params.yaml:train.{k}" for k in shown} == set(dvc)
    assert shown["shuffle"] == "false"
    assert shown["warmup"] == "null"
    assert shown["layers"] == "[64]"


def test_inline_params_read_as_dvc_writes_them(params_project: Repo) -> None:
    repo = params_project
    page = (
        "Shuffle {ml param train.shuffle}, warmup {ml param train.warmup}, "
        "layers {ml param train.layers}, lr {ml param train.lr}, answer {ml param train.answer}.\n"
    )
    repo.site({"index.md": page})
    repo.commit("Inline")
    build = repo.build("--strict")
    assert build.ok, build.output
    values = [text for title, text in parsed(build.page("")).spans]
    assert values == ["false", "null", "[64]", "0.001", "yes"]
    refs = build.manifest()["pages"][0]["references"]
    assert [r["value"] for r in refs] == [False, None, [64], 0.001, "yes"]


def test_a_group_of_params_is_a_table_alone_on_its_line_and_an_error_in_text(
    params_project: Repo,
) -> None:
    repo = params_project
    repo.site(
        {
            "table.md": "# Optimizer\n\n{ml param train.optimizer}\n",
            "text.md": "# Text\n\nWe use {ml param train.optimizer} here.\n",
        }
    )
    repo.commit("Groups")
    build = repo.build()
    assert not build.ok
    assert (
        "docs/text.md:3: '{ml param train.optimizer}': 'train.optimizer' in params.yaml is a "
        "group of 2 params (train.optimizer.name, train.optimizer.betas): name one, e.g. "
        "{ml param train.optimizer.name}, or put the reference alone on its line for a table "
        "of them. [malformed_reference]"
    ) in build.output
    assert "table.md" not in build.output
    repo.write("docs/text.md", "# Text\n\nWe use {ml param train.optimizer.name} here.\n")
    repo.commit("Fixed")
    build = repo.build("--strict")
    assert build.ok, build.output
    assert rows(build.page("table"), "ml-params") == [
        ["params.yaml", "train.optimizer.name", "adam"],
        ["params.yaml", "train.optimizer.betas", "[0.9, 0.999]"],
    ]
    assert [text for _, text in parsed(build.page("text")).spans] == ["adam"]


# ------------------------------------------------------------- values a clone does not have

UNPULLED = {
    "src/train.py": """\
import json, pathlib
out = pathlib.Path("results/train"); out.mkdir(parents=True, exist_ok=True)
(out / "params.yaml").write_text("lr: 0.1\\n")
json.dump({"acc": 0.8}, open(out / "metrics.json", "w"))
""",
    "src/evaluate.py": """\
import json, pathlib
pathlib.Path("eval").mkdir(exist_ok=True)
json.dump({"auc": 0.9}, open("eval/metrics.json", "w"))
""",
    "dvc.yaml": f"""\
stages:
  train:
    cmd: {sys.executable} src/train.py
    deps: [src/train.py]
    outs: [results/train]
  evaluate:
    cmd: {sys.executable} src/evaluate.py
    deps: [src/evaluate.py, results/train]
    params:
      - results/train/params.yaml:
          - lr
    metrics: [eval/metrics.json]
metrics:
  - results/train/metrics.json
  - dvclive/metrics.json
""",
}

NOT_PULLED = "run 'dvc pull' before the build, or track it in git with 'cache: false'."
IN_DIRECTORY = NOT_PULLED.replace("track it", "track results/train")
ABSENT = {
    3: "'{ml metric eval/metrics.json:auc}': metrics file eval/metrics.json is not in the "
    "workspace: it is DVC-tracked (an output of stage 'evaluate', its hash recorded in "
    f"dvc.lock) and not pulled: {NOT_PULLED}",
    5: "'{ml metric results/train/metrics.json:acc}': metrics file results/train/metrics.json "
    "is not in the workspace: it is DVC-tracked (in results/train, a directory output of stage "
    f"'train', its hash recorded in dvc.lock) and not pulled: {IN_DIRECTORY}",
    7: "'{ml metric dvclive/metrics.json:acc}': metrics file dvclive/metrics.json does not "
    "exist, and no stage or .dvc file produces it.",
    9: "'{ml param results/train/params.yaml:lr}': params file results/train/params.yaml is "
    "not in the workspace: it is DVC-tracked (in results/train, a directory output of stage "
    f"'train', its hash recorded in dvc.lock) and not pulled: {IN_DIRECTORY}",
    11: "'{ml metrics-table eval/metrics.json}': metrics file eval/metrics.json is not in the "
    "workspace: it is DVC-tracked (an output of stage 'evaluate', its hash recorded in "
    f"dvc.lock) and not pulled: {NOT_PULLED}",
    13: "'{ml params-table evaluate}': stage 'evaluate' reads results/train/params.yaml: "
    "results/train/params.yaml is not in the workspace: it is DVC-tracked (in results/train, "
    f"a directory output of stage 'train', its hash recorded in dvc.lock) and not pulled: "
    f"{IN_DIRECTORY}",
}


def test_a_value_whose_file_is_absent_says_what_the_dvc_files_record(empty_repo: Repo) -> None:
    """A clone that did not pull: metrics and params files DVC caches (one an output, two in
    a directory output) are not in the work tree, and a declared metrics file nothing writes
    is nowhere. DVC cannot show them either. Each value is a marker and a missing_value
    finding saying what dvc.yaml and dvc.lock record of its file, with no guess; the page
    said '(DVC-tracked and not pulled?)' of all of them, the file nothing makes included."""
    repo = empty_repo
    repo.dvc("init", "-q")
    for path, text in UNPULLED.items():
        repo.write(path, text)
    repo.dvc("repro", "-q")
    refs = [m.partition(": ")[0].strip("'") for _, m in sorted(ABSENT.items())]
    page = "# Values\n\n" + "".join(f"{ref}\n\n" for ref in refs)
    repo.site({"index.md": page}, plugin={"checks": {"stale_pipeline": "info"}})
    repo.commit("Train and evaluate", date="2024-02-01T10:00:00+00:00")
    shutil.rmtree(repo.path / "results")  # a clone that did not pull
    shutil.rmtree(repo.path / "eval")
    shutil.rmtree(repo.path / ".dvc" / "cache")
    # DVC cannot load them either, and tells the cached ones from the one nothing makes
    shown = repo.run(sys.executable, "-m", "dvc", "metrics", "show", "--json", check=False)
    errors = {f: e["error"]["msg"] for f, e in json.loads(shown.stdout)[""]["data"].items()}
    assert "No storage files available" in errors["eval/metrics.json"], errors
    assert "failed to load directory ('results', 'train')" in errors["results/train/metrics.json"]
    assert "No such file or directory" in errors["dvclive/metrics.json"], errors

    build = repo.build()

    assert build.ok, build.output
    found = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"docs/index\.md:(\d+): (.*) \[missing_value\]", build.output)
    }
    assert found == ABSENT, build.output
    assert "?" not in " ".join(found.values())
    markers = re.findall(r'<span class="ml-missing"[^>]* title="([^"]*)"', build.page(""))
    assert sorted(html.unescape(m) for m in markers) == sorted(ABSENT.values())
