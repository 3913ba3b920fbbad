"""Comparisons: metrics-diff and params-diff blocks, held to ``dvc metrics diff --json`` and
``dvc params diff --json`` on repositories made with the dvc and gto CLIs, and the change
from the previous version in metrics-history."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Build, Repo, copy_pipeline
from hypothesis import given
from hypothesis import strategies as st
from test_registry import NO_CARD_CHECKS, Gto, blocks, columns, evaluate_with, text_of

from mkdocs_mlplugin.checks import compare as checks_compare

TRAIN = """\
import pathlib, yaml
params = yaml.safe_load(open('params.yaml'))['train']
pathlib.Path('models').mkdir(exist_ok=True)
text = open('data/prepared.csv').read().upper()
pathlib.Path('models/model.txt').write_text(f"{text}lr={params['lr']}\\n")
"""
MARKUP = "<img src=x onerror=alert(1)> | *bold* {ml git commit}"

CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

{ml metrics-diff v1.0.0 v1.1.0}

{ml params-diff v1.0.0 classifier@v1.1.0}

{ml params-diff v1.0.0 v1.1.0 all}

{ml metrics-diff #prod workspace changed}
"""
OTHER = """\
# Not bound to an artifact

{ml metrics-diff classifier#prod HEAD}

{ml params-diff}

{ml metrics-diff classifier@v1.0.0 precision=2}
"""


@dataclasses.dataclass
class Compared:
    repo: Repo
    build: Build
    v1: str
    v2: str


def change_params(repo: Repo, lr: float, **more: Any) -> None:
    params = yaml.safe_load(repo.read("params.yaml"))
    params["train"]["lr"] = lr
    params.update(more)
    repo.write("params.yaml", yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path) -> Compared:
    """v1.0.0 of the classifier (in prod), then a params change and a retrain that is
    v1.1.0 (loss 0.25 -> 0.2, where float subtraction says -0.04999999999999999; a new metric
    and a new param holding markup), then an uncommitted re-evaluation in the work tree."""
    repo = copy_pipeline(pipeline_template, tmp_path_factory.mktemp("compared"))
    gto = Gto(repo)
    repo.write("src/train.py", TRAIN)
    repo.dvc("repro", "-q")
    v1 = repo.commit("Train from params", date="2024-01-11T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.0.0")
    gto("assign", "classifier", "--version", "v1.0.0", "--stage", "prod")
    gto.run()
    change_params(repo, 0.1, notes=MARKUP)
    repo.write(
        "src/evaluate.py",
        "import json\njson.dump({'accuracy': 0.95, 'loss': 0.2, 'f1': 0.8, 'test': {'n': 3}}, "
        "open('metrics.json', 'w'))\n",
    )
    repo.dvc("repro", "-q")
    v2 = repo.commit("Higher learning rate", date="2024-01-12T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")
    gto.run()
    repo.site({"card.md": CARD, "other.md": OTHER}, plugin=NO_CARD_CHECKS)
    repo.commit("Docs", date="2024-01-13T09:00:00+00:00")
    evaluate_with(repo, 0.975, 0.125)
    repo.dvc("repro", "-q")  # the work tree now differs from HEAD
    build = repo.build("--strict")
    assert build.ok, build.output
    return Compared(repo, build, v1, v2)


def table(fragment: str) -> list[dict[str, str]]:
    """The rows of a diff table, by header, each with the File that heads its group of rows."""
    found = [
        [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)
    ]
    header, *body = found
    rows, file = [], None
    for row in body:
        if len(row) == 1 and len(header) > 1:
            file = row[0]
        elif len(row) == len(header):
            rows.append({"File": file or "", **dict(zip(header, row, strict=True))})
    return rows


def shown(value: Any) -> str:
    """How a value of a params or metrics file reads on a page (as dvc params diff --json)."""
    if value is None:
        return "\u2014"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dvc_diff(repo: Repo, what: str, *args: str) -> dict[str, dict[str, dict[str, Any]]]:
    said = json.loads(repo.dvc(what, "diff", "--json", *args) or "{}")
    return said.get("diff", said)


def assert_is_dvc_diff(rows: list[dict[str, str]], dvc: dict[str, Any], old: str, new: str) -> None:
    """ROWS (a diff table: File, Metric/Param, OLD, NEW, Change, Change (%)) say what DVC's
    diff says, key for key; each change is the exact difference of the numbers as written."""
    assert {(r["File"], r.get("Metric", r.get("Param"))) for r in rows} == {
        (file, key) for file, keys in dvc.items() for key in keys
    }
    for row in rows:
        said = dvc[row["File"]][row.get("Metric", row.get("Param"))]
        assert row[old] == shown(said["old"]), row
        assert row[new] == shown(said["new"]), row
        if "diff" in said:
            exact = Decimal(repr(said["new"])) - Decimal(repr(said["old"]))
            assert Decimal(row["Change"]) == exact, row
            assert float(row["Change"]) == pytest.approx(said["diff"], abs=1e-12)
            assert row["Change"].startswith("+") == (exact > 0)
            if said["old"]:
                relative = float(exact / abs(Decimal(repr(said["old"])))) * 100
                assert float(row["Change (%)"].rstrip("%")) == pytest.approx(relative, abs=0.005)
        else:
            assert row["Change"] == ""


def test_metrics_diff_is_dvc_metrics_diff_all(compared: Compared) -> None:
    page = compared.build.page("card")
    first, _ = blocks(page, "ml-metrics-diff")
    rows = table(first)
    old, new = f"v1.0.0 ({compared.v1[:7]})", f"v1.1.0 ({compared.v2[:7]})"
    dvc = dvc_diff(compared.repo, "metrics", "--all", compared.v1, compared.v2)
    assert_is_dvc_diff(rows, dvc, old, new)
    by_key = {r["Metric"]: r for r in rows}
    # DVC's float subtraction says -0.04999999999999999; the files say 0.25 and 0.2
    assert dvc["metrics.json"]["loss"]["diff"] != -0.05
    assert by_key["loss"]["Change"] == "-0.05"
    assert by_key["loss"]["Change (%)"] == "-20%"
    assert by_key["f1"][old] == "\u2014" and by_key["f1"]["Change"] == ""
    assert by_key["test.n"]["Change"] == "0"  # --all: unchanged metrics too
    notes = text_of(page)
    assert f"Old: v1.0.0 = classifier@v1.0.0, commit {compared.v1[:7]}" in notes
    # the manifest records what the block showed, as dvc metrics diff --json shapes it
    (shown,) = [
        c
        for c in compared.build.manifest()["comparisons"]
        if c["page"] == "docs/card.md" and c["block"] == "metrics-diff" and c["line"] == 7
    ]
    assert shown["old"] == {"revision": "v1.0.0", "commit": compared.v1, "is": "classifier@v1.0.0"}
    assert shown["new"]["commit"] == compared.v2
    for file, keys in dvc.items():
        for key, said in keys.items():
            row = shown["diff"][file][key]
            assert (row["old"], row["new"]) == (said["old"], said["new"])
            assert row.get("diff") == pytest.approx(said.get("diff"), abs=1e-12)
    assert shown["diff"]["metrics.json"]["loss"]["change"] == "-0.05"


def test_params_diff_is_dvc_params_diff(compared: Compared) -> None:
    page = compared.build.page("card")
    changed, everything = blocks(page, "ml-params-diff")[:2]
    old, new = f"v1.0.0 ({compared.v1[:7]})", f"classifier@v1.1.0 ({compared.v2[:7]})"
    dvc = dvc_diff(compared.repo, "params", compared.v1, compared.v2)
    assert_is_dvc_diff(table(changed), dvc, old, new)
    assert {r["Param"] for r in table(changed)} == {"train.lr", "notes"}
    dvc_all = dvc_diff(compared.repo, "params", "--all", compared.v1, compared.v2)
    assert_is_dvc_diff(
        table(everything), dvc_all, old.replace("classifier@", ""), new.replace("classifier@", "")
    )
    assert "prepare.seed" in {r["Param"] for r in table(everything)}


def test_a_stage_name_and_the_work_tree_and_defaults(compared: Compared) -> None:
    repo = compared.repo
    page = compared.build.page("card")
    prod = table(blocks(page, "ml-metrics-diff")[1])
    old = f"#prod ({compared.v1[:7]})"
    dvc = dvc_diff(repo, "metrics", compared.v1)  # against the workspace, changed only
    assert_is_dvc_diff(prod, dvc, old, "workspace")
    other = compared.build.page("other")
    head, rounded = blocks(other, "ml-metrics-diff")
    rows = table(head)
    dvc = dvc_diff(repo, "metrics", "--all", compared.v1, "HEAD")
    assert_is_dvc_diff(
        rows,
        dvc,
        f"classifier#prod ({compared.v1[:7]})",
        f"HEAD ({repo.git('rev-parse', '--short=7', 'HEAD')})",
    )
    # {ml params-diff}: HEAD against the work tree, as 'dvc params diff': nothing changed
    (params,) = blocks(other, "ml-params-diff")
    assert dvc_diff(repo, "params") == {}
    assert table(params) == []
    assert "No params changed." in text_of(other)
    # precision=2: values and changes to 2 decimals, half to even (0.125 -> 0.12)
    by_key = {r["Metric"]: r for r in table(rounded)}
    assert [by_key["accuracy"][k] for k in ("workspace", "Change")] == ["0.98", "+0.08"]
    assert [by_key["loss"][k] for k in ("workspace", "Change")] == ["0.12", "-0.12"]
    assert by_key["test.n"]["workspace"] == "3"


def test_values_are_escaped(compared: Compared) -> None:
    page = compared.build.page("card")
    assert "<img" not in page and "onerror" not in page.replace("onerror&#61;", "")
    changed = blocks(page, "ml-params-diff")[0]
    notes = {r["Param"]: r for r in table(changed)}["notes"]
    assert notes[f"classifier@v1.1.0 ({compared.v2[:7]})"] == MARKUP


def test_metrics_history_shows_the_change_from_the_previous_version(compared: Compared) -> None:
    repo = compared.repo
    repo.write(
        "docs/history.md", "---\nml:\n  artifact: classifier\n---\n# H\n\n{ml metrics-history}\n"
    )
    build = repo.build("--strict")
    (repo.path / "docs/history.md").unlink()
    assert build.ok, build.output
    (history,) = blocks(build.page("history"), "ml-metrics-history")
    # a column per version, a row per metric (render.across): the cells of each version
    cells = [
        re.findall(r"<t[hd]>(.*?)</t[hd]>", r, re.S)
        for r in re.findall(r"<tr>(.*?)</tr>", history, re.S)
    ]
    labels, *versions = zip(*cells, strict=True)
    body = {
        text_of(version[0]): dict(zip(map(text_of, labels), version, strict=True))
        for version in versions
    }
    pattern = re.compile(r'<span class="ml-change" title="change from v1\.0\.0">(.*?)</span>')

    def change(cell: str) -> list[str]:
        return [text_of(found) for found in pattern.findall(cell)]

    loss = body["v1.1.0"]["loss"]
    assert text_of(pattern.sub("", loss)) == "0.2"
    assert change(loss) == ["-0.05"]  # not -0.04999999999999999
    assert change(body["v1.1.0"]["accuracy"]) == ["+0.05"]
    assert change(body["v1.1.0"]["test.n"]) == []  # unchanged
    assert "ml-change" not in body["v1.0.0"]["loss"]  # the first version has nothing before it


def test_a_revision_that_names_nothing_is_a_finding_at_its_line(compared: Compared) -> None:
    repo = compared.repo
    repo.write(
        "docs/bad.md",
        "---\nml:\n  artifact: classifier\n---\n# Bad\n\n{ml metrics-diff v1.1.1 v1.1.0}\n\n"
        "{ml params-diff #staging}\n\n{ml metrics-diff --output=x}\n\n"
        "{ml metrics-diff -p HEAD:metrics.json}\n",
    )
    build = repo.build("--strict")
    (repo.path / "docs/bad.md").unlink()
    assert not build.ok
    out = build.output
    assert re.search(
        r"docs/bad\.md:7: .*'v1\.1\.1' is neither a registered version of 'classifier'", out
    ), out
    assert "Did you mean 'v1.1.0'" in out or "v1.1.0?" in out, out
    assert re.search(r"docs/bad\.md:9: .*no version of 'classifier' is in stage 'staging'", out), (
        out
    )
    assert re.search(r"docs/bad\.md:11: .*'metrics-diff' has no option '--output'", out), out
    # nothing that is not a plain ref reaches git: no option, no REV:PATH
    assert re.search(r"docs/bad\.md:13: .*'-p' is neither a registered version", out), out


def test_pages_comparing_the_same_revisions_read_git_once(compared: Compared) -> None:
    """Forty pages with a metrics-diff and a params-diff of the same versions cost the git
    processes one page costs: each (commit, file) is read once per build."""
    from mkdocs_mlplugin.cli import collect

    repo = compared.repo
    page = (
        "# P\n\n{ml metrics-diff classifier@v1.0.0 classifier@v1.1.0}\n\n{ml params-diff HEAD~1}\n"
    )
    counts = []
    for pages in (1, 40):
        for i in range(pages):
            repo.write(f"docs/many/p{i}.md", page)
        checked = collect(str(repo.path / "mkdocs.yml"))
        for i in range(pages):
            (repo.path / f"docs/many/p{i}.md").unlink()
        reader = checked.build.site.revisions
        assert reader is not None
        assert not [f for f, s in checked.graded if s == "error"]
        counts.append((reader.reads, checked.build.repo.calls if checked.build.repo else None))
    assert counts[0] == counts[1], counts
    # per block's commits (two blocks here, HEAD~1 against the work tree, and two versions
    # read together): one git cat-file for their dvc.yaml files and params.yaml, one for the
    # metrics files they declare
    assert counts[0][0] == 4


values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=5),
    st.none(),
)
flat_files = st.dictionaries(
    st.sampled_from(["metrics.json", "eval/scores.yaml"]),
    st.dictionaries(st.sampled_from(["acc", "loss", "f1.macro", "n"]), values, max_size=4),
    max_size=2,
)


@given(old=flat_files, new=flat_files, everything=st.booleans())
def test_the_diff_is_dvcs_diff(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], everything: bool
) -> None:
    """checks.compare.diff against DVC's own dvc.utils.diff on any two sets of flattened
    values: the same keys, old and new values, and DVC's float 'diff' (the exact change is
    that difference as the numbers are written)."""
    from dvc.utils.diff import diff as dvc_diff

    said = dvc_diff(
        {f: {"data": v} for f, v in old.items()},
        {f: {"data": v} for f, v in new.items()},
        with_unchanged=everything,
    )
    ours = checks_compare.diff(dict(old), dict(new), everything)
    assert {(r.file, r.key) for r in ours} == {(f, k) for f, keys in said.items() for k in keys}
    for row in ours:
        dvc_row = said[row.file][row.key]
        shown = row.as_dict()
        assert (shown["old"], shown["new"]) == (dvc_row["old"], dvc_row["new"])
        assert ("diff" in shown) == ("diff" in dvc_row)
        if "diff" in dvc_row:
            assert shown["diff"] == pytest.approx(dvc_row["diff"], rel=1e-9, abs=1e-9)
            assert Decimal(shown["change"]) == Decimal(repr(row.new)) - Decimal(repr(row.old))


@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    precision=st.integers(min_value=0, max_value=30),
)
def test_any_number_is_shown_to_any_precision(value: float, precision: int) -> None:
    """precision=N on any number a metrics file can hold: no error (a 17-digit value to 20
    decimals needs more digits than Decimal's default context has), no zeros left at the
    end of the decimals, within half a unit of the last decimal kept."""
    shown = checks_compare.shown(value, precision)
    assert isinstance(shown, str)
    exact = Decimal(repr(value))
    assert abs(Decimal(shown) - exact) <= Decimal(1).scaleb(-precision) / 2
    assert "e" in shown or "." not in shown or not shown.endswith("0")
    assert checks_compare.signed(Decimal(shown) - exact, precision)


CACHED_PAGE = """\
# Metrics DVC keeps

{ml metrics-diff in-git cached}

{ml metric accuracy}

{ml metrics-diff cached workspace}
"""


def test_a_metrics_file_dvc_caches_is_a_finding_as_a_metric_is(pipeline: Repo) -> None:
    """A metrics file declared without 'cache: false' is in DVC's cache, not in git. On a fresh
    clone (no cache, nothing pulled) ``dvc metrics diff`` cannot load it at the commit that
    caches it; the diff block shows what DVC shows (a dash), says why under the table, and is a
    missing_value finding at its line naming the revision, as ``{ml metric}`` of a metric
    that is not pulled is."""
    repo = pipeline
    repo.git("tag", "in-git")
    dvcfile = repo.read("dvc.yaml")
    assert "    - metrics.json:\n        cache: false\n" in dvcfile
    repo.write(
        "dvc.yaml", dvcfile.replace("- metrics.json:\n        cache: false\n", "- metrics.json\n")
    )
    repo.git("rm", "-q", "--cached", "metrics.json")
    evaluate_with(repo, 0.95, 0.2)
    repo.dvc("repro", "-q")
    repo.commit("Metrics in DVC's cache", date="2024-01-11T09:00:00+00:00")
    repo.git("tag", "cached")
    cached = repo.git("rev-parse", "--short=7", "cached")
    in_git = repo.git("rev-parse", "--short=7", "in-git")
    repo.site({"index.md": CACHED_PAGE})
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")
    clone = Repo(repo.home / "clone", repo.home)
    repo.git("clone", "-q", "--no-local", str(repo.path), str(clone.path))
    assert not (clone.path / "metrics.json").exists()

    said = clone.run(
        sys.executable, "-m", "dvc", "metrics", "diff", "--all", "--json", "in-git", "cached"
    )
    assert "failed to load some metrics for following revisions: 'cached'" in said.stderr
    dvc = json.loads(said.stdout)
    build = clone.build()
    assert build.ok, build.output
    page = build.page("")
    first, _ = blocks(page, "ml-metrics-diff")
    assert_is_dvc_diff(table(first), dvc, f"in-git ({in_git})", f"cached ({cached})")
    assert {v["new"] for keys in dvc.values() for v in keys.values()} == {None}

    out = build.output
    # the page's metric and both diffs: each a missing_value finding at its own line
    assert re.search(
        r"index\.md:5: .*metrics\.json is not in the workspace.*\[missing_value\]", out
    )
    assert re.search(
        rf"index\.md:3: '\{{ml metrics-diff in-git cached\}}': metrics file metrics\.json is "
        rf"DVC-tracked at cached \({cached}\): DVC keeps it in its cache and git has no copy, "
        r"so the diff cannot show it.*'cache: false'.*\[missing_value\]",
        out,
    ), out
    assert re.search(
        rf"index\.md:7: .*metrics\.json is DVC-tracked at cached \({cached}\).*\[missing_value\]",
        out,
    ), out
    assert re.search(
        r"index\.md:7: .*metrics file metrics\.json is not in the workspace.*dvc pull.*"
        r"\[missing_value\]",
        out,
    ), out
    # the note under the table stays
    notes = [text_of(n) for n in re.findall(r'<p class="ml-note">(.*?)</p>', page, re.S)]
    assert any(f"DVC-tracked at cached ({cached}): DVC keeps it" in n for n in notes), notes
    strict = clone.build("--strict")
    assert not strict.ok


RESOLVED_DVC_YAML = """\
vars:
  - config/model.yaml
stages:
  featurize:
    foreach: [small, large]
    do:
      cmd: echo ${item}
      params:
        - feat.yaml:
            - ${item}.size
  tune:
    matrix:
      opt: [adam, sgd]
    cmd: echo ${item.opt}
    params:
      - tune.yaml:
          - ${item.opt}.lr
  report:
    cmd: echo ${model.depth}
    deps:
      - config/model.yaml
"""
RESOLVED_PAGE = """\
# Params DVC resolves

{ml params-diff one two}

{ml params-diff one two all}

{ml params-diff one}
"""


def resolved_params(repo: Repo) -> tuple[str, str]:
    """A project whose stages read params only DVC's resolver tells: a foreach stage
    (feat.yaml), a matrix stage (tune.yaml) and a stage interpolating a 'vars' file
    (config/model.yaml), each of which changes between the commits tagged one and two."""
    repo.dvc("init", "-q")
    repo.write("params.yaml", "train:\n  lr: 0.1\n")
    repo.write("feat.yaml", "small: {size: 10}\nlarge: {size: 100}\nunused: {size: 1}\n")
    repo.write("tune.yaml", "adam: {lr: 0.01, beta: 0.9}\nsgd: {lr: 0.1}\n")
    repo.write("config/model.yaml", "model: {depth: 4, width: 8}\n")
    repo.write("dvc.yaml", RESOLVED_DVC_YAML)
    repo.dvc("repro", "-q")
    one = repo.commit("Params DVC resolves", date="2024-01-10T09:00:00+00:00")
    repo.git("tag", "one")
    repo.write("feat.yaml", "small: {size: 12}\nlarge: {size: 100}\nunused: {size: 2}\n")
    repo.write("tune.yaml", "adam: {lr: 0.02, beta: 0.8}\nsgd: {lr: 0.1}\n")
    repo.write("config/model.yaml", "model: {depth: 6, width: 9}\n")
    repo.dvc("repro", "-q")
    two = repo.commit("Bigger", date="2024-01-11T09:00:00+00:00")
    repo.git("tag", "two")
    repo.site({"index.md": RESOLVED_PAGE})
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")
    return one[:7], two[:7]


def test_params_of_foreach_matrix_and_vars_stages_are_dvc_params_diff(empty_repo: Repo) -> None:
    """At each commit the params are those DVC's resolver finds there: the keys foreach and
    matrix members read, and the values stages take from 'vars' files, as ``dvc params diff``
    lists them (with --all too), also against the work tree."""
    repo = empty_repo
    one, two = resolved_params(repo)
    build = repo.build()
    assert build.ok, build.output
    changed, everything, workspace = blocks(build.page(""), "ml-params-diff")
    old, new = f"one ({one})", f"two ({two})"
    dvc = dvc_diff(repo, "params", "one", "two")
    assert set(dvc) == {"feat.yaml", "tune.yaml", "config/model.yaml"}, dvc
    assert_is_dvc_diff(table(changed), dvc, old, new)
    dvc_all = dvc_diff(repo, "params", "--all", "one", "two")
    assert_is_dvc_diff(table(everything), dvc_all, old, new)
    keys = {(r["File"], r["Param"]) for r in table(everything)}
    assert ("tune.yaml", "sgd.lr") in keys and ("feat.yaml", "unused.size") not in keys
    assert ("config/model.yaml", "model.width") not in keys  # no stage took it
    assert_is_dvc_diff(table(workspace), dvc_diff(repo, "params", "one"), old, "workspace")


def test_dvcs_resolver_reads_a_dvc_yaml_once_for_commits_whose_files_it_reads_agree(
    empty_repo: Repo,
) -> None:
    """A dvc.yaml only DVC's resolver reads, compared at three commits of which two hold the
    same files it reads (HEAD only adds the docs to 'two'), is resolved twice, not three times;
    the diffs are still DVC's."""
    from mkdocs_mlplugin.cli import collect

    repo = empty_repo
    one, two = resolved_params(repo)
    page = "# P\n\n{ml params-diff one two all}\n\n{ml params-diff two HEAD all}\n"
    repo.write("docs/index.md", page)
    checked = collect(str(repo.path / "mkdocs.yml"))
    assert not [f for f, s in checked.graded if s == "error"]
    reader = checked.build.site.revisions
    assert reader is not None
    assert reader.resolutions.runs == 2
    build = repo.build()
    assert build.ok, build.output
    between, unchanged = blocks(build.page(""), "ml-params-diff")
    dvc = dvc_diff(repo, "params", "--all", "one", "two")
    assert_is_dvc_diff(table(between), dvc, f"one ({one})", f"two ({two})")
    head = repo.git("rev-parse", "--short=7", "HEAD").strip()
    dvc = dvc_diff(repo, "params", "--all", "two", "HEAD")
    assert_is_dvc_diff(table(unchanged), dvc, f"two ({two})", f"HEAD ({head})")


PLAIN_DVC_YAML = """\
stages:
  featurize:
    foreach: [small, large]
    do:
      cmd: echo ${item} ${feat.seed}
      params:
        - feat.seed
        - feat.${item}
"""
TAKEN_DVC_YAML = """\
vars:
  - model.yaml
stages:
  report:
    cmd: echo ${model.depth} ${lr}
    params:
      - lr
"""


def test_params_of_a_plain_template_are_read_without_dvc_and_are_dvc_params_diff(
    empty_repo: Repo,
) -> None:
    """A dvc.yaml whose foreach and ${...} the plugin reads itself (every file it reads for
    them a params file its stages declare) is not handed to DVC's resolver at past commits;
    one whose stages take a value from a 'vars' file they do not declare is (dvc params diff
    counts that value). Both diffs are DVC's."""
    from mkdocs_mlplugin.cli import collect

    repo = empty_repo
    repo.dvc("init", "-q")
    for n, (seed, depth) in enumerate(((1, 4), (2, 6))):
        repo.write("params.yaml", f"feat: {{seed: {seed}, small: 1, large: {seed * 10}}}\n")
        repo.write("sub/params.yaml", f"lr: 0.{seed}\n")
        repo.write("sub/model.yaml", f"model: {{depth: {depth}, width: 8}}\n")
        repo.write("dvc.yaml", PLAIN_DVC_YAML)
        repo.write("sub/dvc.yaml", TAKEN_DVC_YAML)
        repo.dvc("repro", "-q", "--all-pipelines")
        repo.commit(f"Params {n}", date=f"2024-01-1{n}T09:00:00+00:00")
        repo.git("tag", ("one", "two")[n])
    repo.site({"index.md": "# P\n\n{ml params-diff one two all}\n"})
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")
    checked = collect(str(repo.path / "mkdocs.yml"))
    assert not [f for f, s in checked.graded if s == "error"]
    reader = checked.build.site.revisions
    assert reader is not None
    assert reader.resolutions.runs == 2  # sub/dvc.yaml at each commit; dvc.yaml at none
    # git cat-file runs: one for both commits' dvc.yaml files and the params.yaml beside
    # each, one per commit for the vars file sub/model.yaml, which only sub/dvc.yaml names
    assert reader.reads == 3
    build = repo.build()
    assert build.ok, build.output
    (shown,) = blocks(build.page(""), "ml-params-diff")
    dvc = dvc_diff(repo, "params", "--all", "one", "two")
    assert {"params.yaml", "sub/params.yaml", "sub/model.yaml"} <= set(dvc), dvc
    one, two = (repo.git("rev-parse", "--short=7", t).strip() for t in ("one", "two"))
    assert_is_dvc_diff(table(shown), dvc, f"one ({one})", f"two ({two})")


def test_a_plain_template_is_read_once_per_text_and_files_it_reads_and_is_dvc_params_diff(
    empty_repo: Repo,
) -> None:
    """The same dvc.yaml template at three commits, params.yaml changed at the second and put
    back at the third: the plugin reads it at the first two only (the third's params.yaml holds
    the first's bytes), and each diff is still that commit's: DVC's."""
    from mkdocs_mlplugin.cli import collect

    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", PLAIN_DVC_YAML)
    for n, seed in enumerate((1, 2, 1)):
        repo.write("params.yaml", f"feat: {{seed: {seed}, small: 1, large: {seed * 10}}}\n")
        repo.write("notes.txt", f"run {n}\n")
        repo.dvc("repro", "-q")
        repo.commit(f"Params {n}", date=f"2024-01-1{n}T09:00:00+00:00")
        repo.git("tag", ("one", "two", "three")[n])
    repo.site(
        {"index.md": "# P\n\n{ml params-diff one two all}\n\n{ml params-diff two three all}\n"}
    )
    repo.commit("Docs", date="2024-01-13T09:00:00+00:00")
    checked = collect(str(repo.path / "mkdocs.yml"))
    assert not [f for f, s in checked.graded if s == "error"]
    reader = checked.build.site.revisions
    assert reader is not None
    assert (reader.resolutions.plain_runs, reader.resolutions.runs) == (2, 0)
    build = repo.build()
    assert build.ok, build.output
    first, second = blocks(build.page(""), "ml-params-diff")
    short = {t: repo.git("rev-parse", "--short=7", t).strip() for t in ("one", "two", "three")}
    for shown, (old, new) in ((first, ("one", "two")), (second, ("two", "three"))):
        dvc = dvc_diff(repo, "params", "--all", old, new)
        assert dvc["params.yaml"]["feat.large"]["old"] != dvc["params.yaml"]["feat.large"]["new"]
        assert_is_dvc_diff(table(shown), dvc, f"{old} ({short[old]})", f"{new} ({short[new]})")


def test_without_dvc_params_only_its_resolver_tells_are_a_finding_naming_the_extra(
    empty_repo: Repo,
) -> None:
    """Without the dvc extra, a past dvc.yaml whose params only DVC's resolver tells (here a
    foreach stage, with a 'vars' file whose values its stages may take) gives no table, which
    would lack its params, but a finding at the block's line that names the extra; with DVC
    the same block is DVC's diff."""
    from test_without_dvc import WITHOUT_DVC

    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", RESOLVED_DVC_YAML.split("  tune:")[0])
    repo.write("config/model.yaml", "model: {depth: 4}\n")
    repo.write("feat.yaml", "small: {size: 10}\nlarge: {size: 100}\n")
    repo.dvc("repro", "-q")
    repo.commit("Features", date="2024-01-10T09:00:00+00:00")
    repo.git("tag", "one")
    repo.write("feat.yaml", "small: {size: 12}\nlarge: {size: 100}\n")
    repo.dvc("repro", "-q")
    repo.commit("Bigger", date="2024-01-11T09:00:00+00:00")
    repo.git("tag", "two")
    repo.site({"index.md": "# Params\n\n{ml params-diff one two}\n"})
    repo.commit("Docs", date="2024-01-12T09:00:00+00:00")

    without = repo.build(env=WITHOUT_DVC)
    assert without.ok, without.output
    assert not blocks(without.page(""), "ml-params-diff")
    assert re.search(
        r"index\.md:3: '\{ml params-diff one two\}': the params dvc\.yaml declares at one "
        r"\(\w{7}\) are not known, so no diff is shown: .*dvc\.yaml at commit \w{7}.*"
        r"install mkdocs-mlplugin\[dvc\]\. \[missing_value\]",
        without.output,
    ), without.output
    with_dvc = repo.build()
    assert with_dvc.ok, with_dvc.output
    (diff,) = blocks(with_dvc.page(""), "ml-params-diff")
    one, two = (repo.git("rev-parse", "--short=7", tag) for tag in ("one", "two"))
    dvc = dvc_diff(repo, "params", "one", "two")
    assert dvc == {"feat.yaml": {"small.size": {"old": 10, "new": 12, "diff": 2}}}
    assert_is_dvc_diff(table(diff), dvc, f"one ({one})", f"two ({two})")


SCORE = """\
import json, os, sys, yaml
name, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
here = os.path.join(os.path.dirname(__file__), '..', 'scores.yaml')
json.dump({name: yaml.safe_load(open(here))[name]}, open(out, 'w'))
"""
LOOPED_STAGES = {
    "score": {
        "foreach": ["small", "large"],
        "do": {
            "cmd": "python3 src/score.py ${item} scores/${item}.json",
            "deps": ["src/score.py", "scores.yaml"],
            "metrics": [{"scores/${item}.json": {"cache": False}}],
        },
    },
    "tune": {
        "matrix": {"opt": ["adam", "sgd"]},
        "cmd": "python3 src/score.py ${item.opt} tune/${item.opt}.json",
        "deps": ["src/score.py", "scores.yaml"],
        "metrics": [{"tune/${item.opt}.json": {"cache": False}}],
    },
    "summarize": {
        "cmd": "python3 src/score.py summary ${report_dir}/summary.json && "
        "python3 src/score.py top ${report_dir}/top.json",
        "deps": ["src/score.py", "scores.yaml"],
        "metrics": [{"${report_dir}/summary.json": {"cache": False}}],
        "outs": [{"${report_dir}/top.json": {"cache": False}}],
    },
    "inside": {
        "wdir": "${report_dir}",
        "cmd": "python3 ../src/score.py inside inside.json",
        "deps": ["../src/score.py", "../scores.yaml"],
        "metrics": [{"inside.json": {"cache": False}}],
    },
}
LOOPED_CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

{ml metrics-diff v1.0.0 v1.1.0}

{ml metrics-diff v1.0.0}

{ml metrics-history}
"""


@dataclasses.dataclass
class Looped:
    repo: Repo
    build: Build
    v1: str
    v2: str
    without: Build  # the same site built where DVC cannot be imported


def scores(repo: Repo, shift: float) -> None:
    names = ("small", "large", "huge", "adam", "sgd", "rmsprop")
    values = {name: {"acc": round(0.5 + i / 10 + shift, 3)} for i, name in enumerate(names)}
    values |= {"summary": {"f1": round(0.7 + shift, 3)}, "top": {"auc": round(0.8 + shift, 3)}}
    values |= {"inside": {"recall": round(0.6 + shift, 3)}}
    repo.write("scores.yaml", yaml.safe_dump(values))


@pytest.fixture(scope="module")
def looped(tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path) -> Looped:
    """The classifier's pipeline with metrics only DVC's resolver tells: a foreach stage
    (scores/ITEM.json), a matrix stage (tune/OPT.json), a stage writing to a directory named
    in a 'vars' file (REPORT_DIR/summary.json, and REPORT_DIR/top.json in the top-level
    'metrics:' list) and one working in it (wdir: REPORT_DIR). v1.0.0 scores small and large
    and tunes adam and sgd, into reports/; v1.1.0 adds huge, swaps sgd for rmsprop, writes to
    eval/ and scores higher; the work tree scores higher still."""
    repo = copy_pipeline(pipeline_template, tmp_path_factory.mktemp("looped"))
    gto = Gto(repo)
    repo.write("src/score.py", SCORE)
    repo.write("config/paths.yaml", "report_dir: reports\n")
    scores(repo, 0.0)
    config = yaml.safe_load(repo.read("dvc.yaml"))
    config = {"vars": ["config/paths.yaml"], **config}
    config["stages"] |= LOOPED_STAGES
    config["metrics"] = ["${report_dir}/top.json"]
    repo.write("dvc.yaml", yaml.safe_dump(config, sort_keys=False))
    repo.dvc("repro", "-q")
    v1 = repo.commit("Scores of each size and optimizer", date="2024-01-11T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.0.0")
    gto.run()
    config["stages"]["score"]["foreach"].append("huge")
    config["stages"]["tune"]["matrix"]["opt"] = ["adam", "rmsprop"]
    repo.write("dvc.yaml", yaml.safe_dump(config, sort_keys=False))
    repo.write("config/paths.yaml", "report_dir: eval\n")
    repo.git("rm", "-q", "-r", "tune/sgd.json", "reports")
    scores(repo, 0.05)
    repo.dvc("repro", "-q")
    v2 = repo.commit("A huge size, rmsprop, reports in eval/", date="2024-01-12T09:00:00+00:00")
    gto("register", "classifier", "--version", "v1.1.0")
    gto.run()
    repo.site({"card.md": LOOPED_CARD}, plugin=NO_CARD_CHECKS)
    repo.commit("Docs", date="2024-01-13T09:00:00+00:00")
    scores(repo, 0.1)
    repo.dvc("repro", "-q")  # the work tree now differs from HEAD
    from test_without_dvc import WITHOUT_DVC

    without = repo.build(env=WITHOUT_DVC)
    build = repo.build("--strict")
    assert build.ok, build.output
    return Looped(repo, build, v1, v2, without)


def test_metrics_of_foreach_matrix_and_vars_stages_are_dvc_metrics_diff(looped: Looped) -> None:
    """At each commit the metrics files are those DVC's resolver finds there (foreach and
    matrix members, paths from a 'vars' file, the top-level 'metrics:' list), as ``dvc
    metrics diff --all`` compares them, between two versions and against the work tree."""
    repo = looped.repo
    between, against = blocks(looped.build.page("card"), "ml-metrics-diff")
    old, new = f"v1.0.0 ({looped.v1[:7]})", f"v1.1.0 ({looped.v2[:7]})"
    dvc = dvc_diff(repo, "metrics", "--all", looped.v1, looped.v2)
    assert {
        "scores/huge.json", "tune/sgd.json", "tune/rmsprop.json", "reports/summary.json",
        "eval/summary.json", "reports/top.json", "eval/top.json", "eval/inside.json",
    } <= set(dvc), dvc  # fmt: skip
    assert_is_dvc_diff(table(between), dvc, old, new)
    dvc_now = dvc_diff(repo, "metrics", "--all", looped.v1)
    assert "scores/huge.json" in dvc_now
    assert_is_dvc_diff(table(against), dvc_now, old, "workspace")


def test_the_metrics_and_params_of_a_commit_resolve_its_dvc_yaml_once(looped: Looped) -> None:
    """A metrics-diff and a params-diff of the same versions, both of which need DVC's
    resolver for the dvc.yaml there, run it once per version, not once per block."""
    from mkdocs_mlplugin.cli import collect

    repo = looped.repo
    repo.write(
        "docs/both.md",
        "# Both\n\n{ml metrics-diff classifier@v1.0.0 classifier@v1.1.0}\n\n"
        "{ml params-diff classifier@v1.0.0 classifier@v1.1.0 all}\n",
    )
    try:
        checked = collect(str(repo.path / "mkdocs.yml"))
    finally:
        (repo.path / "docs/both.md").unlink()
    assert not [f for f, s in checked.graded if s == "error"]
    reader = checked.build.site.revisions
    assert reader is not None
    assert reader.resolutions.runs == 2
    shown = [s for s in reader.shown.values() if s["page"].endswith("both.md")]
    assert [s["block"] for s in shown] == ["metrics-diff", "params-diff"]
    for block, what in zip(shown, ("metrics", "params"), strict=True):
        dvc = dvc_diff(repo, what, "--all", looped.v1, looped.v2)
        sides = {f: {k: (d["old"], d["new"]) for k, d in keys.items()} for f, keys in dvc.items()}
        assert {
            f: {k: (d["old"], d["new"]) for k, d in keys.items()}
            for f, keys in block["diff"].items()
        } == sides


def test_metrics_history_of_foreach_matrix_and_vars_stages_is_dvc_metrics_show(
    looped: Looped,
) -> None:
    """Each version's column holds the metrics its own dvc.yaml declared once DVC resolved
    it, as ``dvc metrics show --all-tags`` shows them."""
    from test_history import dvc_metrics

    dvc = dvc_metrics(looped.repo)
    (history,) = blocks(looped.build.page("card"), "ml-metrics-history")
    header, *body = columns(history)
    assert [r[0] for r in body] == ["v1.1.0", "v1.0.0"]
    for row in body:
        files = dvc[f"classifier@{row[0]}"]
        expected = {k: str(v) for values in files.values() for k, v in values.items()}
        assert {"summary.f1", "top.auc", "inside.recall"} <= set(expected), files
        cells = dict(zip(header[3:], row[3:], strict=True))
        shown = {k: v for k, v in cells.items() if v != "\u2014"}
        assert shown == expected, row[0]
        assert set(cells) - set(shown) == set(header[3:]) - set(expected)  # each a dash
    assert "huge.acc" in header and "sgd.acc" in header and "rmsprop.acc" in header


def test_without_dvc_metrics_only_its_resolver_tells_are_a_finding_naming_the_extra(
    looped: Looped,
) -> None:
    """Without the dvc extra, neither a metrics-diff nor a metrics-history of those versions
    is a table lacking their metrics: each is a missing_value finding at its line naming the
    extra (the work tree's matrix stage is the build's one error, as without DVC it is)."""
    without = looped.without
    assert "Traceback" not in without.output
    errors = [line for line in without.output.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2, without.output
    assert "'stages.tune' in dvc.yaml is in a form" in errors[0], errors
    for line, block in ((7, "metrics-diff v1.0.0 v1.1.0"), (9, "metrics-diff v1.0.0")):
        assert re.search(
            rf"card\.md:{line}: '\{{ml {block}\}}': the metrics dvc\.yaml declares at v1\.0\.0 "
            r"\(\w{7}\) are not known, so no diff is shown: .*dvc\.yaml at commit \w{7}.*"
            r"install mkdocs-mlplugin\[dvc\]\. \[missing_value\]",
            without.output,
        ), without.output
    assert re.search(
        r"card\.md:11: '\{ml metrics-history\}': the metrics dvc\.yaml declares at v1\.1\.0 "
        r"\(\w{7}\) are not known, so no history is shown: .*"
        r"install mkdocs-mlplugin\[dvc\]\. \[missing_value\]",
        without.output,
    ), without.output


def test_the_reports_metrics_of_foreach_matrix_and_vars_stages_are_dvc_metrics_diff(
    looped: Looped,
) -> None:
    """``mkdocs-ml report --base`` a commit whose metrics only DVC's resolver tells lists
    them as ``dvc metrics diff --all`` does against the work tree."""
    from test_cli import ml

    done = ml(looped.repo, "report", "--base", looped.v1, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    dvc = dvc_diff(looped.repo, "metrics", "--all", looped.v1)
    assert {(r["file"], r["key"]): (r["old"], r["new"]) for r in report["metrics"]} == {
        (file, key): (said["old"], said["new"])
        for file, keys in dvc.items()
        for key, said in keys.items()
    }
    assert not any("not known" in note for note in report["notes"]["metrics"]), report["notes"]


def test_metrics_relative_to_a_wdir_from_vars_are_dvc_metrics_diff(empty_repo: Repo) -> None:
    """A stage whose wdir comes from a 'vars' file declares its metrics relative to it: at
    each commit they are where DVC's resolver puts them, as ``dvc metrics diff`` finds them."""
    repo = empty_repo
    repo.dvc("init", "-q")
    repo.write(
        "write.py", "import json, sys\njson.dump({'n': int(sys.argv[1])}, open('m.json', 'w'))\n"
    )
    repo.write(
        "dvc.yaml",
        "vars:\n  - config.yaml\nstages:\n  evaluate:\n    wdir: ${out}\n"
        "    cmd: python3 ../write.py ${n}\n    metrics:\n      - m.json:\n          cache: false\n",
    )
    for tag, out, n in (("one", "first", 1), ("two", "second", 2)):
        repo.write("config.yaml", f"out: {out}\nn: {n}\n")
        repo.write(f"{out}/.keep", "")
        repo.dvc("repro", "-q")
        repo.commit(f"Evaluate into {out}", date=f"2024-01-1{n}T09:00:00+00:00")
        repo.git("tag", tag)
    repo.site({"index.md": "# Metrics\n\n{ml metrics-diff one two}\n"})
    repo.commit("Docs", date="2024-01-13T09:00:00+00:00")
    build = repo.build("--strict")
    assert build.ok, build.output
    (diff,) = blocks(build.page(""), "ml-metrics-diff")
    one, two = (repo.git("rev-parse", "--short=7", tag) for tag in ("one", "two"))
    dvc = dvc_diff(repo, "metrics", "--all", "one", "two")
    assert set(dvc) == {"first/m.json", "second/m.json"}, dvc
    assert_is_dvc_diff(table(diff), dvc, f"one ({one})", f"two ({two})")


def test_only_a_commit_beyond_head_costs_a_git_log_for_its_dvc_yaml_files(pipeline: Repo) -> None:
    """The dvc.yaml files a commit that HEAD reaches may hold are known from the build's own
    git log; a commit beyond HEAD (a branch not merged) costs one ``git log``, which finds the
    dvc.yaml files only that branch has."""
    from mkdocs_mlplugin.cli import collect

    pipeline.site({"index.md": "# D\n\n{ml metrics-diff HEAD~1 HEAD}\n"}, plugin=NO_CARD_CHECKS)
    pipeline.commit("Docs", date="2024-01-11T09:00:00+00:00")
    pipeline.git("checkout", "-q", "-b", "side")
    pipeline.write("extra/dvc.yaml", "stages:\n  noop:\n    cmd: echo\n")
    side = pipeline.commit("A pipeline only the branch has", date="2024-01-12T09:00:00+00:00")
    pipeline.git("checkout", "-q", "main")
    checked = collect(str(pipeline.path / "mkdocs.yml"))
    reader, repo = checked.build.site.revisions, checked.build.repo
    assert reader is not None and repo is not None
    ancestors = [pipeline.git("rev-parse", "HEAD"), pipeline.git("rev-parse", "HEAD~1")]
    before = repo.calls
    known = reader.past.pipelines(ancestors)
    assert repo.calls == before
    assert "extra/dvc.yaml" not in known and "dvc.yaml" in known
    assert reader.past.pipelines([side, *ancestors]) == sorted([*known, "extra/dvc.yaml"])
    assert repo.calls == before + 1
