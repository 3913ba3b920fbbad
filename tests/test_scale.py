"""Cost grows linearly with the pipeline: reading a DVC project reads each file once and
indexes its lines once, however many stages it holds (the time itself is measured in
benchmarks/, not here)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import Repo, init_repo

from mkdocs_mlplugin.facts import dvc


def _pipeline(repo: Repo, stages: int) -> None:
    """A DVC project whose dvc.yaml and dvc.lock hold STAGES chained stages."""
    repo.dvc("init", "-q")
    yaml_lines, lock_lines = ["stages:"], ["schema: '2.0'", "stages:"]
    for i in range(stages):
        dep = f"data/s{i - 1}.txt" if i else "src/start.py"
        yaml_lines += [
            f"  s{i}:",
            f"    cmd: python step.py {i}",
            f"    deps:\n    - {dep}",
            f"    outs:\n    - data/s{i}.txt",
        ]
        lock_lines += [
            f"  s{i}:",
            f"    cmd: python step.py {i}",
            f"    outs:\n    - path: data/s{i}.txt\n      md5: {i:032x}\n      size: {i}",
        ]
    repo.write("dvc.yaml", "\n".join(yaml_lines) + "\n")
    repo.write("dvc.lock", "\n".join(lock_lines) + "\n")
    repo.write("src/start.py", "print('start')\n")


def _reads(tmp_path: Path, stages: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Counter, dict]:
    repo = init_repo(tmp_path / f"p{stages}", tmp_path)
    _pipeline(repo, stages)
    reads: Counter[str] = Counter()
    indexed: Counter[int] = Counter()
    read_text, index = dvc.read_text, dvc._KeyIndex.__init__

    def counted_read(path: Path, shown: str, *args: object) -> str:
        reads[shown] += 1
        return read_text(path, shown, *args)

    def counted_index(self: dvc._KeyIndex, text: str) -> None:
        indexed[hash(text)] += 1
        index(self, text)

    monkeypatch.setattr(dvc, "read_text", counted_read)
    monkeypatch.setattr(dvc._KeyIndex, "__init__", counted_index)
    dvc._key_index.cache_clear()
    project = dvc.load_project(repo.path)
    text = repo.read("dvc.yaml").splitlines()
    lines = {name: text.index(f"  {name}:") + 1 for name in project.stages}
    return reads + Counter(
        {"indexed texts": len(indexed), "index builds": sum(indexed.values())}
    ), {name: (stage.line, lines[name]) for name, stage in project.stages.items()}


def test_files_are_read_and_indexed_once_whatever_the_number_of_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, small_lines = _reads(tmp_path, 20, monkeypatch)
    large, large_lines = _reads(tmp_path, 2000, monkeypatch)
    assert small == large, (small, large)
    assert large["dvc.yaml"] == 1
    assert large["index builds"] == large["indexed texts"] <= 2  # dvc.yaml (and dvc.lock)
    # and each stage's line is the line of its definition
    for found, expected in [*small_lines.values(), *large_lines.values()]:
        assert found == expected
