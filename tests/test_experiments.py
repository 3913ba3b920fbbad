"""Experiments: the {ml experiments} block and the manifest's experiments, held to ``dvc exp
show --json`` on experiments made with ``dvc exp run``, one of them promoted (``dvc exp
branch`` and a merge), one named with markup."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Build, Repo, copy_pipeline
from test_compare import shown
from test_example_history import flatten
from test_registry import blocks, columns, text_of

from mkdocs_mlplugin.facts.experiments import parse_refs

TRAIN = """\
import pathlib, yaml
lr = yaml.safe_load(open('params.yaml'))['train']['lr']
pathlib.Path('models').mkdir(exist_ok=True)
pathlib.Path('models/model.txt').write_text(open('data/prepared.csv').read().upper() + str(lr))
"""
# metrics that follow the learning rate, so each experiment has its own
EVALUATE = """\
import json
import re
lr = float(open('models/model.txt').read().split()[-1])
json.dump({'accuracy': round(1 - lr, 4), 'loss': lr, 'test': {'n': 3}}, open('metrics.json', 'w'))
"""
MARKUP = "<b>x&'y|z"
PAGE = """\
# Experiments

{ml experiments}

## Every baseline

{ml experiments all}
"""


@dataclasses.dataclass
class Experimented:
    repo: Repo
    build: Build
    first: str  # the baseline of exp-a, exp-b and MARKUP
    second: str  # exp-a's commit, merged into main: the baseline of exp-c


def exp_run(repo: Repo, name: str, *sets: str) -> None:
    repo.dvc("exp", "run", "-q", *(a for s in sets for a in ("-S", s)), "-n", name)


@pytest.fixture(scope="module")
def experimented(tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path) -> Experimented:
    """Three experiments on one baseline; exp-a branched (dvc exp branch) and merged into
    main, so promoted; then exp-c on the merged commit."""
    repo = copy_pipeline(pipeline_template, tmp_path_factory.mktemp("experimented"))
    repo.write("src/train.py", TRAIN)
    repo.write("src/evaluate.py", EVALUATE)
    repo.dvc("repro", "-q")
    first = repo.commit("Train from params", date="2024-01-11T09:00:00+00:00")
    exp_run(repo, "exp-a", "train.lr=0.1")
    exp_run(repo, "exp-b", "train.lr=0.2", "train.epochs=5")
    exp_run(repo, MARKUP, "train.lr=0.3")
    repo.dvc("exp", "branch", "exp-a", "lr-0.1")
    repo.git("reset", "-q", "--hard")
    repo.git("merge", "-q", "--ff-only", "lr-0.1")
    second = repo.git("rev-parse", "HEAD")
    repo.dvc("checkout", "-q")
    exp_run(repo, "exp-c", "train.lr=0.01")
    repo.git("reset", "-q", "--hard")
    repo.dvc("checkout", "-q")
    repo.git("tag", "-a", "-m", "The first lr-aware training", "lr-aware", first)
    repo.site({"index.md": PAGE})
    build = repo.build("--strict")
    assert build.ok, build.output
    return Experimented(repo, build, first, second)


def dvc_show(repo: Repo, *args: str) -> dict[str, dict[str, Any]]:
    """What ``dvc exp show --json`` says of each experiment, by name: its commit, baseline,
    the params that differ from the baseline's (file -> key -> value), its metrics (file ->
    flattened values) and its date (naive local time)."""
    said = json.loads(repo.dvc("exp", "show", "--json", *args))
    found: dict[str, dict[str, Any]] = {}
    for baseline in said:
        if baseline["rev"] == "workspace" or not baseline["experiments"]:
            continue
        base = baseline["data"]["params"]
        for exp_range in baseline["experiments"]:
            head = exp_range["revs"][0]
            data = head["data"]
            changed = {
                f"{file}:{key}": value
                for file, result in data["params"].items()
                for key, value in flatten(result["data"]).items()
                if flatten(base.get(file, {}).get("data", {})).get(key, "absent") != value
            }
            found[exp_range["name"]] = {
                "commit": head["rev"],
                "baseline": baseline["rev"],
                "changed": changed,
                "metrics": {f: flatten(r["data"]) for f, r in data["metrics"].items()},
                "timestamp": data["timestamp"],
            }
    return found


def shown_rows(fragment: str) -> list[dict[str, str]]:
    header, *body = columns(fragment)
    return [dict(zip(header, row, strict=True)) for row in body]


def assert_is_dvc_show(
    table: list[dict[str, str]], dvc: dict[str, dict[str, Any]], repo: Repo
) -> None:
    """The experiment rows of TABLE are DVC's experiments, each with DVC's commit, the params
    DVC has changed from the baseline (old -> new) and DVC's metric values; each baseline's
    row comes first, with its params unchanged."""
    exps = [r for r in table if not r["Experiment"].startswith("baseline")]
    assert [r["Experiment"] for r in exps] == list(dvc), "in dvc exp show's order"
    for row in exps:
        said = dvc[row["Experiment"]]
        assert said["commit"].startswith(row["Commit"])
        expected = ", ".join(
            f"{key.removeprefix('params.yaml:')}: {old} \u2192 {shown(value)}"
            for key, value in sorted(said["changed"].items())
            for old in [params_at(repo, said["baseline"], key)]
        )
        assert row["Params changed"] == expected
        for values in said["metrics"].values():
            for key, value in values.items():
                assert row[key] == shown(value), (row, key)
        day = dt.datetime.fromisoformat(said["timestamp"]).strftime("%Y-%m-%d")
        assert row["Created"] == day


def params_at(repo: Repo, commit: str, key: str) -> str:
    """The value of FILE:KEY in git at COMMIT, as a page shows it."""
    import yaml

    file, _, name = key.partition(":")
    data = flatten(yaml.safe_load(repo.git("show", f"{commit}:{file}")))
    return shown(data[name])


def test_current_baseline_is_dvc_exp_show(experimented: Experimented) -> None:
    repo = experimented.repo
    page = experimented.build.page("")
    current, _ = blocks(page, "ml-experiments")
    table = shown_rows(current)
    dvc = dvc_show(repo)
    assert list(dvc) == ["exp-c"]
    assert table[0]["Experiment"] == "baseline: main"
    assert table[0]["Commit"] == experimented.second[:7]
    assert dvc["exp-c"]["baseline"] == experimented.second
    assert_is_dvc_show(table, dvc, repo)
    assert table[1]["Params changed"] == "train.lr: 0.1 \u2192 0.01"
    assert table[1]["Promoted"] == ""


def test_every_baseline_and_the_promoted_one(experimented: Experimented) -> None:
    repo = experimented.repo
    _, everything = blocks(experimented.build.page(""), "ml-experiments")
    table = shown_rows(everything)
    dvc = dvc_show(repo, "--all-commits")
    assert set(dvc) == {"exp-a", "exp-b", MARKUP, "exp-c"}
    # grouped under their baselines, newest baseline first, as dvc exp show -A groups them
    bases = [
        (r["Commit"], r["Experiment"]) for r in table if r["Experiment"].startswith("baseline")
    ]
    # named as dvc exp show names them: the current branch, else a tag (peeled) or branch
    named = {
        b["rev"][:7]: b["name"]
        for b in json.loads(repo.dvc("exp", "show", "--json", "--all-commits"))
    }
    assert bases == [
        (experimented.second[:7], f"baseline: {named[experimented.second[:7]]}"),
        (experimented.first[:7], f"baseline: {named[experimented.first[:7]]}"),
    ]
    assert named[experimented.first[:7]] == "lr-aware"
    by_baseline = {
        base: {n: s for n, s in dvc.items() if s["baseline"] == base}
        for base in (experimented.second, experimented.first)
    }
    ordered = {n: s for group in by_baseline.values() for n, s in group.items()}
    assert_is_dvc_show(table, ordered, repo)
    promoted = {r["Experiment"]: r["Promoted"] for r in table}
    # exp-a's commit is main's (merged) and lr-0.1's: promoted; the others are on no branch
    assert promoted["exp-a"] == "on lr-0.1, main"
    assert promoted["exp-b"] == promoted[MARKUP] == promoted["exp-c"] == ""


def test_a_detached_head_is_named_as_dvc_exp_show_names_it(experimented: Experimented) -> None:
    """A CI checkout leaves HEAD detached: its baseline is named by a tag that points to it,
    else a branch, as dvc exp show names it; not 'HEAD'. (Between two branches at the same
    commit, main and lr-0.1 here, DVC's pick follows its ref store's unordered keys; the
    plugin takes the first by name.)"""
    repo = experimented.repo

    def names() -> tuple[str, str | None]:
        build = repo.build("--strict")
        assert build.ok, build.output
        current, _ = blocks(build.page(""), "ml-experiments")
        said = json.loads(repo.dvc("exp", "show", "--json"))
        dvc = next(b["name"] for b in said if b["rev"] == experimented.second)
        return shown_rows(current)[0]["Experiment"], dvc

    repo.git("checkout", "-q", "--detach")
    try:
        shown, dvc = names()
        assert shown == "baseline: lr-0.1"
        assert dvc in ("main", "lr-0.1")
        repo.git("tag", "v2", experimented.second)
        try:
            assert names() == ("baseline: v2", "v2")
        finally:
            repo.git("tag", "-d", "v2")
    finally:
        repo.git("checkout", "-q", "main")


def test_names_are_text(experimented: Experimented) -> None:
    page = experimented.build.page("")
    assert "<b>x" not in page
    assert "&#60;b&#62;x&#38;&#39;y&#124;z" in page


def test_manifest_carries_experiments(experimented: Experimented) -> None:
    found = experimented.build.manifest()["experiments"]
    dvc = dvc_show(experimented.repo, "--all-commits")
    assert {e["name"]: e["commit"] for e in found} == {n: s["commit"] for n, s in dvc.items()}
    for exp in found:
        said = dvc[exp["name"]]
        assert exp["baseline"] == said["baseline"]
        assert exp["metrics"] == said["metrics"]
        changed = {
            f"{file}:{key}": change["new"]
            for file, keys in exp["params_changed"].items()
            for key, change in keys.items()
        }
        assert changed == said["changed"]
        assert exp["promoted"] == (exp["name"] == "exp-a")
        assert exp["ref"].startswith(f"refs/exps/{exp['baseline'][:2]}/{exp['baseline'][2:]}/")


def test_no_block_reads_no_experiments(experimented: Experimented, tmp_path: Path) -> None:
    """Without an experiments block the build never lists refs/exps (git's trace of the
    build's git processes shows it), and the manifest says null."""
    repo = experimented.repo
    repo.write("docs/index.md", "# Nothing about experiments\n\n{ml metrics-table}\n")
    trace = tmp_path / "git-trace"
    try:
        build = repo.build(env={"GIT_TRACE": str(trace)})
    finally:
        repo.write("docs/index.md", PAGE)
    assert build.ok, build.output
    assert build.manifest()["experiments"] is None
    assert "rev-parse" in trace.read_text()  # git was traced
    assert "refs/exps" not in trace.read_text()


def test_refs_that_name_no_experiment_are_skipped() -> None:
    """DVC's own refs below refs/exps (exec, the stash) are no experiments; a ref whose
    baseline is no commit id is skipped and said."""
    sha = "a" * 40
    fields = [
        ("refs/exps/exec/EXEC_HEAD", sha, "commit", "1700000000 +0000"),
        ("refs/exps/stash", sha, "commit", "1700000000 +0000"),
        ("refs/exps/zz/" + "1" * 38 + "/bad", sha, "commit", "1700000000 +0000"),
        ("refs/exps/bb/" + "b" * 38 + "/good", sha, "commit", "1700000000 +0100"),
    ]
    raw = b"\n".join(b"".join(f.encode() + b"\x00" for f in row) for row in fields) + b"\n"
    found, skipped = parse_refs(raw)
    assert [(e.name, e.baseline, e.date) for e in found] == [
        ("good", "b" * 40, "2023-11-14T23:13:20+01:00")
    ]
    assert skipped == ["refs/exps/zz/" + "1" * 38 + "/bad"]


def test_metrics_dvc_caches_are_marked(pipeline: Repo) -> None:
    """A metrics file DVC caches is not in git at an experiment's commit: its values are a
    dash saying so, and the build warns (missing_value), never shows them as absent."""
    repo = pipeline
    dvc_yaml = repo.read("dvc.yaml").replace(
        "    - metrics.json:\n        cache: false\n", "    - metrics.json\n"
    )
    repo.write("dvc.yaml", dvc_yaml)
    repo.git("rm", "-q", "--cached", "metrics.json")
    repo.dvc("repro", "-q", "-f", "evaluate")  # DVC caches it now, and git ignores it
    assert "metrics.json" in repo.read(".gitignore")
    repo.commit("Cache the metrics", date="2024-01-11T09:00:00+00:00")
    exp_run(repo, "cached", "train.lr=0.1")
    repo.git("reset", "-q", "--hard")
    repo.site({"index.md": "# Experiments\n\n{ml experiments}\n"})
    build = repo.build()
    assert build.ok, build.output
    (fragment,) = blocks(build.page(""), "ml-experiments")
    table = shown_rows(fragment)
    assert [r["Experiment"] for r in table] == ["baseline: main", "cached"]
    assert table[1]["Params changed"] == "train.lr: 0.05 \u2192 0.1"
    assert "metrics.json: cached by DVC, not kept in git" in fragment
    assert "[missing_value]" in build.output and "cache: false" in build.output


@pytest.mark.parametrize("listed", ["in dvc.yaml", "in a vars file"])
def test_metrics_of_a_foreach_stage_are_dvc_exp_shows_and_without_dvc_a_finding(
    pipeline: Repo, listed: str
) -> None:
    """An experiment's metrics written by a foreach stage are those DVC's resolver finds at
    its commit, as ``dvc exp show`` lists them. Without the dvc extra, a foreach over a list
    written in dvc.yaml is expanded by the plugin itself, with the same result; one over a
    list from a vars file, whose values DVC counts as params, leaves the table saying the params
    are not known and the build warning naming the extra, never showing them as absent."""
    from test_without_dvc import WITHOUT_DVC

    repo = pipeline
    repo.write(
        "src/score.py",
        "import json, os, sys, yaml\nname, out = sys.argv[1], sys.argv[2]\n"
        "lr = yaml.safe_load(open('params.yaml'))['train']['lr']\n"
        "os.makedirs(os.path.dirname(out), exist_ok=True)\n"
        "json.dump({name: {'lr': lr}}, open(out, 'w'))\n",
    )
    config = yaml.safe_load(repo.read("dvc.yaml"))
    sizes: Any = ["small", "large"]
    if listed == "in a vars file":
        repo.write("sizes.yaml", "sizes: [small, large]\n")
        config = {"vars": ["sizes.yaml"], **config}
        sizes = "${sizes}"
    config["stages"]["score"] = {
        "foreach": sizes,
        "do": {
            "cmd": "python3 src/score.py ${item} scores/${item}.json",
            "deps": ["src/score.py"],
            "params": ["train.lr"],
            "metrics": [{"scores/${item}.json": {"cache": False}}],
        },
    }
    repo.write("dvc.yaml", yaml.safe_dump(config, sort_keys=False))
    repo.dvc("repro", "-q")
    repo.commit("Scores of each size", date="2024-01-11T09:00:00+00:00")
    exp_run(repo, "faster", "train.lr=0.1")
    repo.git("reset", "-q", "--hard")
    repo.site({"index.md": "# Experiments\n\n{ml experiments}\n"})

    build = repo.build("--strict")
    assert build.ok, build.output
    (fragment,) = blocks(build.page(""), "ml-experiments")
    dvc = dvc_show(repo)
    assert set(dvc["faster"]["metrics"]) == {
        "metrics.json", "scores/small.json", "scores/large.json"
    }  # fmt: skip
    assert_is_dvc_show(shown_rows(fragment), dvc, repo)

    without = repo.build(env=WITHOUT_DVC)
    assert without.ok, without.output
    if listed == "in dvc.yaml":
        (fragment,) = blocks(without.page(""), "ml-experiments")
        assert_is_dvc_show(shown_rows(fragment), dvc, repo)
        assert "[missing_value]" not in without.output, without.output
        return
    # the values the vars file gives the stages count as params for DVC: only its resolver
    # tells which, so the params are not known; the metrics files are named in dvc.yaml
    assert "the params dvc.yaml declares at faster are not known" in text_of(without.page(""))
    assert re.search(
        r"index\.md:3: '\{ml experiments\}': the params dvc\.yaml declares at faster are not "
        r"known: .*install mkdocs-mlplugin\[dvc\]\. \[missing_value\]",
        without.output,
    ), without.output


def redate(repo: Repo, ref: str, date: str) -> str:
    """The experiment at REF written again (same tree, parent and message) as committed at
    DATE, as example_site/replay.py dates its experiments; its ref moved there."""
    made = repo.git("rev-parse", ref)
    tree, parent = repo.git("rev-parse", f"{made}^{{tree}}", f"{made}^").split()
    message = repo.git("log", "-1", "--format=%B", made)
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    dated = repo.git("commit-tree", tree, "-p", parent, "-m", message, env=env)
    repo.git("update-ref", ref, dated, made)
    return dated


def test_created_is_the_day_dvc_exp_show_gives(pipeline: Repo) -> None:
    """A commit made late in the evening west of UTC, or early in the morning east of it, is on
    another day in UTC: Created is the day ``dvc exp show`` gives (on a machine in UTC)."""
    repo = pipeline
    base = repo.commit("Baseline", date="2024-01-12T01:30:00+05:00")  # 2024-01-11 in UTC
    exp_run(repo, "late", "train.lr=0.1")
    ref = f"refs/exps/{base[:2]}/{base[2:]}/late"
    redate(repo, ref, "2024-01-14T22:00:00-05:00")  # 2024-01-15 03:00 in UTC
    repo.git("reset", "-q", "--hard")
    repo.site({"index.md": "# Experiments\n\n{ml experiments}\n"})
    build = repo.build("--strict")
    assert build.ok, build.output
    (fragment,) = blocks(build.page(""), "ml-experiments")
    created = {r["Experiment"]: r["Created"] for r in shown_rows(fragment)}
    assert created == {"baseline: main": "2024-01-11", "late": "2024-01-15"}
    utc = {"TZ": "UTC"}
    said = json.loads(
        repo.run(sys.executable, "-m", "dvc", "exp", "show", "--json", env=utc).stdout
    )
    (baseline,) = [b for b in said if b["rev"] != "workspace"]
    assert baseline["data"]["timestamp"].startswith(created["baseline: main"])
    assert baseline["experiments"][0]["revs"][0]["data"]["timestamp"].startswith(created["late"])
    table = repo.run(sys.executable, "-m", "dvc", "exp", "show", "--csv", env=utc).stdout
    rows = {
        row["Experiment"] or row["rev"]: row["Created"]
        for row in csv.DictReader(io.StringIO(table))
    }
    assert rows["late"].startswith(created["late"]), rows  # '2024-01-15T03:00:00'
    assert rows["main"].startswith(created["baseline: main"]), rows
