"""The generated data and model timeline: every commit that changed a tracked hash."""

from __future__ import annotations

import html
import json
import re

import yaml
from conftest import Repo


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def groups(page: str) -> list[tuple[list[str], list[list[str]]]]:
    """The timeline's groups: each commit's heading (date, commit, author, message), shown
    once, and the rows of the outputs it changed (output, kind, MD5, size)."""
    table = re.search(r'<div class="ml-block ml-timeline">(.*?)</div>', page, re.DOTALL)
    assert table, page
    found = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", table.group(1), re.DOTALL):
        heading = re.findall(r'<span class="ml-group-part">(.*?)</span>', body, re.DOTALL)
        cells = [re.findall(r"<td>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]
        found.append(([text_of(h) for h in heading], [[text_of(c) for c in r] for r in cells]))
    return found


def rows(page: str) -> list[list[str]]:
    """Each change as one row: its commit's heading, then its own cells."""
    return [heading + row for heading, changes in groups(page) for row in changes]


def test_timeline_lists_retrains_and_data_refreshes_newest_first(pipeline: Repo) -> None:
    first_model = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]
    pipeline.write("data/raw.csv", pipeline.read("data/raw.csv") + "great,1\n")
    pipeline.dvc("add", "-q", "data/raw.csv")
    refresh = pipeline.commit(
        "Refresh reviews", date="2024-02-01T00:00:00+00:00", author=("Bob", "bob@example.com")
    )
    pipeline.dvc("repro", "-q")
    retrain = pipeline.commit("Retrain on fresh reviews", date="2024-02-02T00:00:00+00:00")
    pipeline.site({"index.md": "# Home\n"}, plugin={"timeline_page": "timeline.md"})
    pipeline.commit("Docs", date="2024-02-03T00:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    table = rows(build.page("timeline"))
    model = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]
    raw = yaml.safe_load(pipeline.read("data/raw.csv.dvc"))["outs"][0]
    assert table[0][:6] == [
        "2024-02-02",
        retrain[:7],
        "Ada Lovelace",
        "Retrain on fresh reviews",
        "data/prepared.csv",
        "data",
    ]
    retrain_rows = {r[4]: r for r in table if r[1] == retrain[:7]}
    assert retrain_rows["models/model.txt"][5] == "model"
    assert retrain_rows["models/model.txt"][6] == f"{first_model['md5'][:8]} -> {model['md5'][:8]}"
    assert retrain_rows["models/model.txt"][7].endswith(
        f"(+{model['size'] - first_model['size']} B)"
    )
    refresh_rows = [r for r in table if r[1] == refresh[:7]]
    assert [(r[2], r[4]) for r in refresh_rows] == [("Bob", "data/raw.csv")]
    assert refresh_rows[0][6].endswith(f"-> {raw['md5'][:8]}")
    # the first run of the pipeline: every output appears as new, the newest commit last
    first = [r for r in table if r[3] == "Pipeline"]
    assert table[-len(first) :] == first
    assert {r[4] for r in first} == {
        "data/raw.csv",
        "data/prepared.csv",
        "models/model.txt",
        "metrics.json",
    }
    assert {r[6].split(" ")[0] for r in first} == {"new"}
    # the metrics did not change with the retrain (evaluate writes the same numbers): no row
    assert [r[4] for r in table if r[1] == retrain[:7]] == ["data/prepared.csv", "models/model.txt"]
    # each commit once, with its message, then its changes
    headings = [heading for heading, _ in groups(build.page("timeline"))]
    assert [h[1] for h in headings] == list(dict.fromkeys(r[1] for r in table))
    assert headings[0] == ["2024-02-02", retrain[:7], "Ada Lovelace", "Retrain on fresh reviews"]


def test_timeline_without_history_says_why(pipeline: Repo, tmp_path) -> None:
    pipeline.site({"index.md": "# Home\n"}, plugin={"timeline_page": "timeline.md"})
    pipeline.commit("Docs")
    clone = tmp_path / "shallow"
    pipeline.run("git", "clone", "-q", "--depth", "1", f"file://{pipeline.path}", str(clone))
    shallow = Repo(clone, pipeline.home)
    build = shallow.build()
    assert build.ok, build.output
    text = html.unescape(re.sub(r"<[^>]+>", "", build.page("timeline")))
    assert "the git checkout is shallow" in text
    assert "fetch-depth: 0" in text


def dvc_diff(repo: Repo, old: str, new: str) -> set[str]:
    """The outputs ``dvc diff --json OLD NEW`` says were added, deleted, modified or renamed."""
    said = json.loads(repo.dvc("diff", "--json", old, new) or "{}")
    paths = {e["path"] for kind in ("added", "deleted", "modified") for e in said.get(kind, [])}
    for entry in said.get("renamed", []):
        paths |= {entry["path"]["old"], entry["path"]["new"]}
    return paths


def test_timeline_keeps_outputs_whose_dvc_files_are_gone(pipeline: Repo) -> None:
    """A model added with 'dvc add', retrained, moved with 'dvc move' and removed with 'dvc
    remove', and a sub-pipeline whose dvc.yaml and dvc.lock were deleted: none of their DVC
    files exist at HEAD, and every change is on the timeline, as 'dvc diff' sees it."""
    pipeline.write("models/big.bin", "weights v1\n")
    pipeline.dvc("add", "-q", "models/big.bin")
    added = pipeline.commit("Add the big model", date="2024-02-01T00:00:00+00:00")
    pipeline.write("models/big.bin", "weights v2, retrained\n")
    pipeline.dvc("add", "-q", "models/big.bin")
    retrained = pipeline.commit("Retrain the big model", date="2024-02-02T00:00:00+00:00")
    pipeline.dvc("move", "models/big.bin", "models/huge.bin")
    moved = pipeline.commit("Rename the big model", date="2024-02-03T00:00:00+00:00")
    pipeline.dvc("remove", "models/huge.bin.dvc")
    removed = pipeline.commit("Drop the big model", date="2024-02-04T00:00:00+00:00")
    pipeline.write("extra/make.py", "open('extra/out.txt', 'w').write('extra\\n')\n")
    pipeline.dvc(
        "stage",
        "add",
        "-q",
        "-f",
        "-n",
        "extra",
        "-d",
        "extra/make.py",
        "-o",
        "extra/out.txt",
        "--wdir",
        "..",
        "python3 extra/make.py",
        cwd=pipeline.path / "extra",
    )
    pipeline.dvc("repro", "-q", "extra/dvc.yaml")
    sub = pipeline.commit("A sub-pipeline", date="2024-02-05T00:00:00+00:00")
    pipeline.git("rm", "-q", "-r", "extra")
    dropped = pipeline.commit("Drop the sub-pipeline", date="2024-02-06T00:00:00+00:00")
    for gone in ("models/big.bin.dvc", "models/huge.bin.dvc", "extra/dvc.lock"):
        assert not (pipeline.path / gone).exists()
    pipeline.site({"index.md": "# Home\n"}, plugin={"timeline_page": "timeline.md"})
    pipeline.commit("Docs", date="2024-02-07T00:00:00+00:00")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    table = rows(build.page("timeline"))
    by_commit: dict[str, dict[str, list[str]]] = {}
    for row in table:
        by_commit.setdefault(row[1], {})[row[4]] = row
    md5 = {
        c: yaml.safe_load(pipeline.git("show", f"{c}:models/{name}.bin.dvc"))["outs"][0]["md5"]
        for c, name in ((added, "big"), (retrained, "big"), (moved, "huge"))
    }
    assert by_commit[added[:7]]["models/big.bin"][6] == f"new -> {md5[added][:8]}"
    assert by_commit[added[:7]]["models/big.bin"][3] == "Add the big model"
    assert (
        by_commit[retrained[:7]]["models/big.bin"][6] == f"{md5[added][:8]} -> {md5[retrained][:8]}"
    )
    assert by_commit[moved[:7]]["models/big.bin"][6] == f"{md5[retrained][:8]} -> removed"
    assert by_commit[moved[:7]]["models/huge.bin"][6] == f"new -> {md5[moved][:8]}"
    assert by_commit[removed[:7]]["models/huge.bin"][6] == f"{md5[moved][:8]} -> removed"
    assert by_commit[removed[:7]]["models/huge.bin"][7] == "removed"
    assert list(by_commit[sub[:7]]) == ["extra/out.txt"]
    assert by_commit[dropped[:7]]["extra/out.txt"][6].endswith("-> removed")
    # each commit's rows are the outputs 'dvc diff' says changed in it
    for commit in (added, retrained, moved, removed, sub, dropped):
        assert set(by_commit[commit[:7]]) == dvc_diff(pipeline, f"{commit}~1", commit), commit
