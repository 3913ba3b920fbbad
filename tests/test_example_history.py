"""The example with a past: example_site/replay.py, the README's command.

It replays a scripted history (commits with fixed dates, ``dvc add``, ``dvc repro``,
``gto register``, ``gto assign``) into a fresh repository and builds its site. The built pages
must say what git, ``gto show``/``gto history`` and ``dvc metrics show`` say about that
repository; the replay must give the same commits every time, and end where example_site/ is.
"""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, Repo, _env

EXAMPLE = ROOT / "example_site"
REPLAY = EXAMPLE / "replay.py"
ARTIFACT = "text-classifier"


@dataclasses.dataclass
class Replayed:
    repo: Repo
    site: Path
    output: str
    seconds: float

    def page(self, name: str) -> str:
        return (self.site / name / "index.html").read_text("utf-8")

    def gto(self, *args: str) -> Any:
        gto = Path(sys.executable).with_name("gto")
        return json.loads(self.repo.run(str(gto), *args, "--json").stdout)


def replay(home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(REPLAY), "--into", str(home / "repo"), *args],
        env=_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    home = tmp_path_factory.mktemp("replayed")
    result, seconds = replay(home, "--site", str(home / "site"))
    return Replayed(Repo(home / "repo", home), home / "site", result.stdout, seconds)


def text_of(fragment: str) -> str:
    """What a reader sees: no tags (a <wbr> is a place to wrap, not a space), entities
    decoded, whitespace collapsed."""
    fragment = fragment.replace("<wbr>", "")
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def article(page: str) -> str:
    """The page's content, without navigation and table of contents."""
    return page[page.index("<article") : page.index("</article>")]


def table_rows(page: str, css: str) -> list[list[str]]:
    """The rows (header first) of the first table inside the block with class CSS."""
    start = page.index(css)
    table = page[page.index("<table", start) : page.index("</table>", start)]
    table = re.sub(r'<span class="ml-change"[^>]*>.*?</span>', "", table, flags=re.S)  # deltas
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)
    ]


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metrics as ``dvc metrics show`` lists them: ``test.confusion.tp``."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_the_replay_builds_the_site_strict_without_writing_into_the_repository(
    replayed: Replayed,
) -> None:
    assert "built the site into" in replayed.output  # mkdocs build --strict exited 0
    assert (replayed.site / "ml-manifest.json").is_file()
    assert replayed.site.parent != replayed.repo.path
    # what DVC made and keeps out of git, and nothing else: the build wrote nothing there
    status = replayed.repo.git("status", "--porcelain", "--ignored").splitlines()
    assert sorted(status) == [
        "!! .dvc/cache/",
        "!! .dvc/tmp/",
        "!! data/features/",
        "!! data/prepared/",
        "!! data/raw/reviews.csv",
        "!! models/model.json",
    ]
    assert json.loads((replayed.site / "ml-manifest.json").read_text())["findings"] == []


def test_the_replay_gives_the_same_commits_and_tags_every_time(
    replayed: Replayed, tmp_path: Path
) -> None:
    # into a copy of the first replay, which the second one replaces
    shutil.copytree(replayed.repo.path, tmp_path / "repo", symlinks=True)
    (tmp_path / "repo" / "stray.txt").write_text("from the earlier replay\n")
    replay(tmp_path, "--no-build")
    twin = Repo(tmp_path / "repo", tmp_path)
    assert not (twin.path / "stray.txt").exists()
    assert twin.git("rev-parse", "HEAD") == replayed.repo.git("rev-parse", "HEAD")
    tags = ["for-each-ref", "--format=%(objectname) %(refname)", "refs/tags"]
    assert twin.git(*tags) == replayed.repo.git(*tags)
    assert len(twin.git(*tags).splitlines()) >= 4
    # experiments too: DVC dates their commits by the clock, the replay by the history
    exps = ["for-each-ref", "--format=%(objectname) %(refname)", "refs/exps", "refs/heads"]
    assert twin.git(*exps) == replayed.repo.git(*exps)
    assert len([r for r in twin.git(*exps).splitlines() if "/exec/" not in r]) >= 2


def test_the_replay_leaves_a_directory_that_is_not_an_earlier_replay_alone(
    tmp_path: Path,
) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "notes.txt").write_text("mine\n")
    result = subprocess.run(
        [sys.executable, str(REPLAY), "--into", str(tmp_path / "repo")],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "holds no earlier replay; not touched" in result.stderr
    assert [p.name for p in (tmp_path / "repo").iterdir()] == ["notes.txt"]


def test_the_history_ends_where_example_site_is(replayed: Replayed) -> None:
    """example_site/ is the source of the history: its last commit holds example_site's files
    (dvc.lock, metrics and data pointer included), the model card with the lines that name
    registered versions added by the history's steps."""
    spec = importlib.util.spec_from_file_location("example_replay", REPLAY)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclasses look their module up
    spec.loader.exec_module(script)
    tracked = replayed.repo.git("ls-files").splitlines()
    for rel in tracked:
        if rel.startswith(".dvc/"):
            continue  # dvc init's, and the example's remote
        expected = (EXAMPLE / rel).read_text("utf-8")
        for step in script.HISTORY:  # the pages the history edits, each edit in turn
            for action in getattr(step, "actions", ()):
                if action[0] == "edit" and rel == f"docs/{action[1]}":
                    assert action[2] in expected
                    expected = expected.replace(action[2], action[3], 1)
        assert replayed.repo.read(rel) == expected, rel
    assert {"dvc.lock", "metrics.json", "data/raw/reviews.csv.dvc", "params.yaml"} <= set(tracked)


def test_registry_page_shows_what_gto_says(replayed: Replayed) -> None:
    shown = replayed.gto("show")[ARTIFACT]
    history = replayed.gto("history")
    registered = [e["version"] for e in history if e["event"] == "registration"]
    promoted = [
        e["version"] for e in history if e["event"] == "assignment" and e["stage"] == "prod"
    ]
    assert len(set(registered)) >= 2 and len(set(promoted)) >= 2, "two versions, one promotion"

    page = replayed.page("registry")
    box = text_of(article(page)).split("History")[0]  # the artifact's box, above its history
    assert f"Latest version {shown['version']}" in box
    stages = ", ".join(f"{stage}: {version}" for stage, version in sorted(shown["stage"].items()))
    assert f"Stages {stages}" in box
    rows = table_rows(page, "ml-registry-history")
    assert rows[0][:6] == ["Date", "Event", "Version", "Stage", "Commit", "By"]
    assert [r[:6] for r in rows[1:]] == [
        [
            e["timestamp"][:10],
            e["event"],
            e["version"],
            e["stage"] or "",
            e["commit"][:7],
            e["author"],
        ]
        for e in history
    ]


def test_timeline_shows_the_data_refreshes_and_retrains_git_recorded(replayed: Replayed) -> None:
    repo = replayed.repo
    changed = repo.git(
        "log", "--format=%H%x00%s", "--", "dvc.lock", "data/raw/reviews.csv.dvc"
    ).splitlines()
    assert len(changed) >= 4
    page = text_of(article(replayed.page("timeline")))
    # newest first; each commit's changes between its hash and the next (older) one's
    starts = [page.index(line.split("\0")[0][:7]) for line in changed]
    assert starts == sorted(starts)
    kinds: dict[str, set[str]] = {}
    for n, line in enumerate(changed):
        commit, subject = line.split("\0")
        part = page[starts[n] : starts[n + 1] if n + 1 < len(starts) else len(page)]
        assert subject in part
        names = repo.git("diff-tree", "--root", "--no-commit-id", "--name-only", "-r", commit)
        if "data/raw/reviews.csv.dvc" in names.split():
            new = yaml.safe_load(repo.git("show", f"{commit}:data/raw/reviews.csv.dvc"))
            assert "data/raw/reviews.csv" in part and new["outs"][0]["md5"][:8] in part
            kinds.setdefault(commit, set()).add("data")
        if "dvc.lock" in names.split():
            lock = yaml.safe_load(repo.git("show", f"{commit}:dvc.lock"))
            model = lock["stages"]["train"]["outs"][0]
            before = repo.run("git", "show", f"{commit}^:dvc.lock", check=False).stdout
            if before:
                old = yaml.safe_load(before)["stages"]["train"]["outs"][0]["md5"]
                assert old != model["md5"] and old[:8] in part
            assert "models/model.json" in part and model["md5"][:8] in part
            kinds.setdefault(commit, set()).add("model")
    assert sum(k == {"data"} for k in kinds.values()) >= 2  # first sample and a refresh
    assert sum(k == {"model"} for k in kinds.values()) >= 3  # first model and retrains


def test_model_card_shows_the_metrics_of_every_version_as_dvc_reads_them(
    replayed: Replayed,
) -> None:
    versions = replayed.gto("show", ARTIFACT)
    assert len(versions) >= 2
    shown = replayed.repo.run(
        sys.executable, "-m", "dvc", "metrics", "show", "--all-tags", "--json"
    ).stdout
    at_tags = json.loads(shown)
    page = replayed.page("model-card")
    rows = [list(c) for c in zip(*table_rows(page, "ml-metrics-history"), strict=True)]
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(body) == {v["version"] for v in versions}
    accuracies = set()
    for v in versions:
        (tags,) = [t for t in at_tags if f"{ARTIFACT}@{v['version']}" in t.split(",")]
        metrics = flatten(at_tags[tags]["data"]["metrics.json"]["data"])
        row = body[v["version"]]
        assert row["Commit"] == v["commit_hexsha"][:7]
        assert set(filter(None, row["Stages"].split(", "))) == {s["stage"] for s in v["stages"]}
        assert {k: row[k] for k in header[3:]} == {k: str(metrics[k]) for k in header[3:]}
        assert set(header[3:]) == set(metrics)
        accuracies.add(metrics["accuracy"])
    assert len(accuracies) == len(versions), "each version measured its own model"
    latest = replayed.gto("show")[ARTIFACT]["version"]
    lock = yaml.safe_load(replayed.repo.read("dvc.lock"))
    card = text_of(page)
    assert f"the model in the work tree is {latest}" in card
    assert lock["stages"]["train"]["outs"][0]["md5"] in card


def test_model_card_lists_the_experiments_as_dvc_exp_show(replayed: Replayed) -> None:
    """The experiments run on the last commit, as ``dvc exp show --json`` gives them: name,
    commit, the params changed from the baseline and every metric."""
    from test_experiments import assert_is_dvc_show, dvc_show, shown_rows

    dvc = dvc_show(replayed.repo)
    assert len(dvc) >= 2
    (fragment,) = re.findall(
        r'<div class="ml-block ml-experiments">(.*?)</div>', replayed.page("model-card"), re.S
    )
    table = shown_rows(fragment)
    assert table[0]["Commit"] == replayed.repo.git("rev-parse", "--short=7", "HEAD")
    assert_is_dvc_show(table, dvc, replayed.repo)
    assert len({r["accuracy"] for r in table}) >= 2, "an experiment moved a metric"
    # promoted: a branch holds its commit (dvc exp branch), as git says
    for row in table[1:]:
        held = replayed.repo.git(
            "branch", "--format=%(refname:short)", "--contains", dvc[row["Experiment"]]["commit"]
        ).split()
        assert row["Promoted"] == (f"on {', '.join(sorted(held))}" if held else "")
    assert any(row["Promoted"] for row in table), "one experiment was promoted"
    manifest = json.loads((replayed.site / "ml-manifest.json").read_text())
    assert {e["name"] for e in manifest["experiments"]} == set(dvc)


def test_model_card_compares_the_two_versions_as_dvc_diff(replayed: Replayed) -> None:
    """The card's metrics-diff and params-diff of v1.0.0 and v1.1.0 say what ``dvc metrics diff
    --all`` and ``dvc params diff`` say between the two versions' tags."""
    old, new = f"{ARTIFACT}@v1.0.0", f"{ARTIFACT}@v1.1.0"

    def dvc(*args: str) -> dict[str, Any]:
        shown = replayed.repo.run(sys.executable, "-m", "dvc", *args, old, new, "--json")
        return dict(json.loads(shown.stdout))

    page = replayed.page("model-card")
    for css, command, key in (
        ("ml-metrics-diff", ("metrics", "diff", "--all"), "Metric"),
        ("ml-params-diff", ("params", "diff"), "Param"),
    ):
        rows = table_rows(page, css)
        header = rows[0]
        assert header[0] == key and header[1].startswith("v1.0.0"), header
        shown, file = {}, None
        for row in rows[1:]:
            if len(row) == 1:  # the file, once above its keys
                file = row[0]
            else:
                shown[(file, row[0])] = (row[1], row[2])
        expected = {
            (file, name): (str(values["old"]), str(values["new"]))
            for file, changed in dvc(*command).items()
            for name, values in changed.items()
        }
        assert shown == expected, css
        assert expected, f"{css}: the versions differ"


def test_the_example_meets_its_documentation_standard_and_shows_its_coverage(
    replayed: Replayed,
) -> None:
    """example_site/mkdocs.yml requires a model card, a datasheet for its dataset artifact and
    a record of each kind (Required: yes): the strict build met it, and the coverage page counts what the pages' bindings
    document, the stages no page documents among them."""
    page = replayed.page("coverage")
    assert table_rows(page, 'ml-coverage"') == [
        ["Documents", "Documented", "Total", "Coverage", "Required"],
        ["Model cards", "1", "1", "100%", "yes"],
        ["Datasheets", "1", "1", "100%", "yes"],
        ["Stage pages", "1", "4", "25%", "no"],
        ["Records", "4", "4", "100%", "yes"],
    ]
    assert table_rows(page, "ml-coverage-stage-pages") == [
        ["Stage", "Pages"],
        ["prepare", "none"],
        ["featurize", "none"],
        ["train", "docs/model-card.md"],  # the card documents the stage that makes its model
        ["evaluate", "none"],
    ]
