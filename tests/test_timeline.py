"""The generated data and model timeline: every commit that changed a tracked hash."""

from __future__ import annotations

import html
import re

import yaml
from conftest import Repo


def rows(page: str) -> list[list[str]]:
    table = re.search(r'<div class="ml-block ml-timeline">(.*?)</div>', page, re.DOTALL)
    assert table, page
    body = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.DOTALL)[1:]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", r)]
        for r in body
    ]


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
