"""Pipeline staleness decided offline, checked against ``dvc status`` itself.

Every project here is real, made with the dvc CLI (``dvc init``, ``dvc add``, ``dvc stage
add``, ``dvc repro``, ``dvc freeze``); only what the CLI cannot write (``foreach``,
``matrix``, ``always_changed``, a lock written by DVC 2) is written by hand, the way a user
would. Each case changes a project ONE way, then for every stage:

- the plugin's ``Verdict.status`` must be exactly that stage's entry in ``dvc status --json``
  (``[]`` when DVC does not list it; entries of ``.dvc`` files are not stages);
- the stage is ``stale`` exactly when DVC lists it, and otherwise ``current``.

Then the promise that makes the plugin useful in CI: remove the DVC cache and every output
git does not keep (what a fresh clone lacks), and the verdicts do not move, while
``dvc status`` itself now only sees deleted data and empty caches.

Last, end to end: a stale stage fails ``mkdocs build`` in DVC's words at its dvc.yaml line,
``checks: {stale_pipeline: warn}`` makes that a warning, the manifest carries each stage's
status, and a fresh clone with no data builds with every stage current.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Repo, init_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from mkdocs_mlplugin.checks.pipeline import CURRENT, STALE, UNVERIFIABLE, Verdict, check_pipeline
from mkdocs_mlplugin.facts.dvc import load_project
from mkdocs_mlplugin.facts.git import open_repo
from mkdocs_mlplugin.facts.hashes import file_md5

GITCONFIG = "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.com\n"

DvcStatus = dict[str, list[Any]]  # stage name -> its entry in `dvc status --json`


# --------------------------------------------------------------------------- readers


def verdicts(repo: Repo) -> dict[str, Verdict]:
    """The plugin's verdicts, with what git says read as the plugin reads it."""
    root = repo.path.resolve()
    project = load_project(root)
    assert project.findings == []
    git_repo = open_repo(root)
    return check_pipeline(project, git_repo, git_repo.facts(), git_repo.history(["."]))


def dvc_status(repo: Repo) -> DvcStatus:
    """``dvc status --json`` run in the project, without the entries of .dvc files."""
    raw = json.loads(repo.dvc("status", "--json").strip() or "{}")
    return {name: entry for name, entry in raw.items() if not name.endswith(".dvc")}


def dvc_stage_names(repo: Repo) -> set[str]:
    """The pipeline stages ``dvc stage list --all`` names, .dvc files left out."""
    names = repo.dvc("stage", "list", "--all", "--name-only").split()
    return {name for name in names if not name.endswith(".dvc")}


def assert_agrees_with_dvc(ours: dict[str, Verdict], theirs: DvcStatus) -> None:
    assert set(theirs) <= set(ours), f"DVC knows stages the plugin does not: {theirs}"
    assert {name: v.status for name, v in ours.items()} == {
        name: theirs.get(name, []) for name in ours
    }
    assert {name for name, v in ours.items() if v.state == STALE} == set(theirs)
    # every project here can be checked completely from git and DVC's metadata
    assert {name: v.state for name, v in ours.items() if name not in theirs} == {
        name: CURRENT for name in ours if name not in theirs
    }
    assert all(v.unverifiable == [] for v in ours.values())


def dvc_outputs(repo: Repo) -> set[str]:
    """Every output dvc.lock and the .dvc files record, as project-relative paths."""
    outs = {
        out["path"]
        for entry in yaml.safe_load(repo.read("dvc.lock"))["stages"].values()
        for out in entry.get("outs", [])
    }
    for dvcfile in repo.path.rglob("*.dvc"):
        if dvcfile.is_file():
            folder = dvcfile.parent.relative_to(repo.path).as_posix()
            for out in yaml.safe_load(dvcfile.read_text("utf-8"))["outs"]:
                outs.add(out["path"] if folder == "." else f"{folder}/{out['path']}")
    return outs


def remove_what_a_fresh_clone_lacks(repo: Repo) -> None:
    """``git clean -X``, which here removes exactly the DVC cache, .dvc/tmp and the DVC-tracked
    outputs; what git keeps (code, params, dvc.yaml, dvc.lock, .dvc files, cache: false
    metrics) stays."""
    listed = repo.git("clean", "-n", "-d", "-X").splitlines()
    removed = {line.removeprefix("Would remove ").rstrip("/") for line in listed}
    assert {p for p in removed if not p.startswith(".dvc/")} <= dvc_outputs(repo), removed
    repo.git("clean", "-q", "-f", "-d", "-X")
    assert not (repo.path / ".dvc" / "cache").exists()
    assert (repo.path / "dvc.lock").is_file()


def changed_words(entry: list[Any]) -> set[str]:
    """The states ('modified', 'deleted', ...) named anywhere in one stage's DVC entry."""
    words: set[str] = set()
    for item in entry:
        if isinstance(item, str):
            words.add(item)
            continue
        for entries in item.values():
            for state in entries.values():
                words.update(state.values() if isinstance(state, dict) else [state])
    return words


# --------------------------------------------------------------------------- bases


def copy_project(template: Path, home: Path) -> Repo:
    """A private copy of TEMPLATE (git history, .dvc, data and cache) in HOME/repo."""
    dest = home / "repo"
    shutil.copytree(template, dest, symlinks=True)
    (home / "gitconfig").write_text(GITCONFIG)
    return Repo(dest, home)


@pytest.fixture(scope="module")
def dirdep_template(tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path) -> Path:
    """The pipeline plus a stage 'lint' depending on the whole src/ directory, with a
    .dvcignore that hides *.log files from DVC."""
    repo = copy_project(pipeline_template, tmp_path_factory.mktemp("dirdep-home"))
    repo.write(".dvcignore", "*.log\n")
    repo.dvc("stage", "add", "-q", "-n", "lint", "-d", "src", "-o", "lint.txt", "ls src > lint.txt")
    repo.dvc("repro", "-q", "lint")
    repo.commit("Lint stage")
    return repo.path


@pytest.fixture
def dirdep(tmp_path: Path, dirdep_template: Path) -> Repo:
    return copy_project(dirdep_template, tmp_path)


GRID_PARAMS = """
models:
  small:
    size: 1
  large:
    size: 2
seeds:
  a: 1
  b: 2
"""

# foreach and matrix cannot be written with 'dvc stage add'
GRID_PIPELINE = """
stages:
  fit:
    foreach: ${models}
    do:
      cmd: python3 fit.py ${key}
      deps:
      - fit.py
      params:
      - models.${key}.size
      outs:
      - out/${key}.txt
  grid:
    matrix:
      seed: [a, b]
      split: [x, y]
    cmd: python3 fit.py grid-${item.seed}-${item.split}
    deps:
    - fit.py
    params:
    - seeds.${item.seed}
    outs:
    - out/grid-${item.seed}-${item.split}.txt
"""


@pytest.fixture(scope="module")
def grid_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of foreach members fit@small, fit@large and matrix members grid@a-x .. b-y."""
    home = tmp_path_factory.mktemp("grid-home")
    repo = init_repo(home / "repo", home)
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.write("params.yaml", GRID_PARAMS)
    repo.write(
        "fit.py",
        "import pathlib, sys\npathlib.Path('out').mkdir(exist_ok=True)\n"
        "pathlib.Path(f'out/{sys.argv[1]}.txt').write_text(' '.join(sys.argv))\n",
    )
    repo.write("dvc.yaml", GRID_PIPELINE)
    repo.dvc("repro", "-q")
    repo.commit("Grid")
    return repo.path


@pytest.fixture
def grid(tmp_path: Path, grid_template: Path) -> Repo:
    return copy_project(grid_template, tmp_path)


@pytest.fixture(scope="module")
def gitkept_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Outputs git keeps, read by later stages: 'fit' writes model/clf.pkl (cache: false),
    'score' reads it and writes the directory reports/ (cache: false), 'summarize' reads
    reports/. All of them committed, as DVC leaves cache: false outputs to git."""
    home = tmp_path_factory.mktemp("gitkept-home")
    repo = init_repo(home / "repo", home)
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.write(
        "src/fit.py",
        "import pathlib\npathlib.Path('model').mkdir(exist_ok=True)\n"
        "pathlib.Path('model/clf.pkl').write_bytes(b'weights v1')\n",
    )
    repo.write(
        "src/score.py",
        "import pathlib\nmodel = pathlib.Path('model/clf.pkl').read_bytes()\n"
        "pathlib.Path('reports').mkdir(exist_ok=True)\n"
        "for name in ('accuracy', 'recall', 'precision', 'f1'):\n"
        "    pathlib.Path(f'reports/{name}.txt').write_text(f'{name} of {len(model)}\\n')\n",
    )
    repo.dvc(
        "stage", "add", "-q", "-n", "fit", "-d", "src/fit.py", "-O", "model/clf.pkl",
        "python3 src/fit.py",
    )  # fmt: skip
    repo.dvc(
        "stage", "add", "-q", "-n", "score", "-d", "src/score.py", "-d", "model/clf.pkl",
        "-O", "reports", "python3 src/score.py",
    )  # fmt: skip
    repo.dvc(
        "stage", "add", "-q", "-n", "summarize", "-d", "reports", "-o", "summary.txt",
        "ls reports > summary.txt",
    )  # fmt: skip
    repo.dvc("repro", "-q")
    repo.commit("Fit, score, summarize")
    assert "model/clf.pkl" in repo.git("ls-files", "model", "reports")
    assert "nfiles: 4" in repo.read("dvc.lock")
    return repo.path


@pytest.fixture
def gitkept(tmp_path: Path, gitkept_template: Path) -> Repo:
    return copy_project(gitkept_template, tmp_path)


# --------------------------------------------------------------------------- mutations


def edit(repo: Repo, rel: str, old: str, new: str) -> None:
    text = repo.read(rel)
    assert old in text, f"{old!r} not in {rel}"
    (repo.path / rel).write_text(text.replace(old, new, 1), "utf-8")


def append(repo: Repo, rel: str, text: str) -> None:
    with open(repo.path / rel, "a", encoding="utf-8", newline="") as fh:
        fh.write(text)


def train_cmd(repo: Repo, new: str) -> None:
    edit(repo, "dvc.yaml", "    cmd: python3 src/train.py\n", new)


def change_raw_data(repo: Repo) -> None:
    append(repo, "data/raw.csv", "great,1\n")
    repo.dvc("add", "-q", "data/raw.csv")


def rerun_upstream_only(repo: Repo) -> None:
    change_raw_data(repo)
    repo.dvc("repro", "-q", "--single-item", "prepare")


def strip_hash_keys(repo: Repo) -> str:
    """dvc.lock as DVC 2 wrote it: no 'hash: md5' keys, so DVC 3 reads md5-dos2unix; and the
    cache in DVC 2's layout (objects at cache/xx/yyy, where DVC 3 looks for legacy hashes)."""
    text = repo.read("dvc.lock")
    assert "hash: md5" in text
    legacy = "".join(line for line in text.splitlines(True) if line.strip() != "hash: md5")
    (repo.path / "dvc.lock").write_text(legacy, "utf-8")
    cache = repo.path / ".dvc" / "cache"
    for obj in (cache / "files" / "md5").glob("*/*"):
        (cache / obj.parent.name).mkdir(exist_ok=True)
        shutil.copy2(obj, cache / obj.parent.name / obj.name)
    return legacy


def to_crlf(repo: Repo, rel: str) -> Path:
    path = repo.path / rel
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def legacy_lock(repo: Repo) -> None:
    """A DVC 2 lock, and src/train.py checked out with CRLF line endings: it hashes to the
    locked value under md5-dos2unix, not under md5."""
    from dvc_data.hashfile.hash import file_md5

    legacy = strip_hash_keys(repo)
    code = to_crlf(repo, "src/train.py")
    locked = next(
        d["md5"]
        for d in yaml.safe_load(legacy)["stages"]["train"]["deps"]
        if d["path"] == "src/train.py"
    )
    assert file_md5(str(code), name="md5-dos2unix") == locked
    assert file_md5(str(code), name="md5") != locked


def freeze_train(repo: Repo) -> None:
    repo.dvc("freeze", "-q", "train")
    assert "frozen: true" in repo.read("dvc.yaml")


def always_changed_evaluate(repo: Repo) -> None:
    # 'dvc stage add --always-changed' would need the stage re-added with -f; a user edits
    edit(
        repo,
        "dvc.yaml",
        "    cmd: python3 src/evaluate.py\n",
        "    cmd: python3 src/evaluate.py\n    always_changed: true\n",
    )


def never_run_stage(repo: Repo) -> None:
    repo.write("src/report.py", "print('report')\n")
    append(repo, "params.yaml", "report:\n  title: Accuracy\n")
    repo.dvc(
        "stage", "add", "-q", "-n", "report", "-d", "metrics.json", "-d", "src/report.py",
        "-p", "report.title", "-o", "report.txt", "python3 src/report.py > report.txt",
    )  # fmt: skip


def param_in_exponent_notation(repo: Repo) -> None:
    """lr written the way ML code writes it; YAML 1.2 (DVC) reads 1e-3 as the float 0.001."""
    edit(repo, "params.yaml", "lr: 0.05", "lr: 1e-3")
    repo.dvc("repro", "-q", "train")
    assert "train.lr: 0.001" in repo.read("dvc.lock")


def var_in_exponent_notation(repo: Repo) -> None:
    """A dvc.yaml 'vars' value interpolated into a cmd ('vars' cannot be set by the CLI)."""
    text = "vars:\n- threshold: 1e-3\n" + repo.read("dvc.yaml")
    (repo.path / "dvc.yaml").write_text(text, "utf-8")
    edit(repo, "dvc.yaml", "python3 src/evaluate.py", "python3 src/evaluate.py ${threshold}")
    repo.dvc("repro", "-q", "evaluate")
    assert "cmd: python3 src/evaluate.py 0.001" in repo.read("dvc.lock")


def matrix_in_exponent_notation(repo: Repo) -> None:
    """A matrix over learning rates; DVC names its members by value: sweep@0.001, sweep@0.5."""
    append(
        repo,
        "dvc.yaml",
        "  sweep:\n    matrix:\n      lr: [1e-3, 0.5]\n"
        "    cmd: python3 fit.py sweep-${item.lr}\n"
        "    outs:\n    - out/sweep-${item.lr}.txt\n",
    )
    repo.dvc("repro", "-q", "sweep")
    assert (repo.path / "out" / "sweep-0.001.txt").is_file()


def commit_then_relock(repo: Repo) -> None:
    """Commit what the case changed, then run a new, unrelated stage and commit dvc.lock: the
    lock is now newer in git than the change, as when any other stage is re-run later."""
    repo.commit("Change by hand", date="2024-02-01T09:00:00+00:00")
    repo.dvc("stage", "add", "-q", "-n", "notes", "-o", "notes.txt", "echo notes > notes.txt")
    repo.dvc("repro", "-q", "notes")
    repo.commit("Notes stage", date="2024-02-02T09:00:00+00:00")


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Repo], object]  # changes the project one way
    base: str = "pipeline"  # the fixture the case starts from


CASES = [
    Case("nothing_changed", lambda r: None),
    Case("cmd_edited", lambda r: train_cmd(r, "    cmd: python3 src/train.py --fast\n")),
    Case("cmd_whitespace_inside", lambda r: train_cmd(r, "    cmd: python3  src/train.py\n")),
    Case(
        "cmd_trailing_space_quoted",
        lambda r: train_cmd(r, '    cmd: "python3 src/train.py "\n'),
    ),
    Case(
        "cmd_refolded_to_the_same_string",
        lambda r: train_cmd(r, "    cmd: >-\n      python3\n      src/train.py\n"),
    ),
    Case("param_modified", lambda r: edit(r, "params.yaml", "lr: 0.05", "lr: 0.1")),
    Case(
        "param_same_value_other_spelling",
        lambda r: edit(r, "params.yaml", "lr: 0.05", "lr: 5.0e-2"),
    ),
    Case(
        "param_added_to_stage",
        lambda r: (
            edit(r, "params.yaml", "  epochs: 3\n", "  epochs: 3\n  batch: 16\n"),
            edit(r, "dvc.yaml", "    - train.lr\n", "    - train.lr\n    - train.batch\n"),
        ),
    ),
    Case("param_in_exponent_notation_after_repro", param_in_exponent_notation),
    Case("dvc_yaml_var_in_exponent_notation_after_repro", var_in_exponent_notation),
    Case("param_removed_from_params_file", lambda r: edit(r, "params.yaml", "  epochs: 3\n", "")),
    Case(
        "param_declared_but_in_no_file",
        lambda r: edit(r, "dvc.yaml", "    - train.lr\n", "    - train.lr\n    - train.batch\n"),
    ),
    Case(
        "param_removed_from_stage",
        lambda r: edit(r, "dvc.yaml", "    - train.epochs\n", ""),
    ),
    Case("params_file_deleted", lambda r: (r.path / "params.yaml").unlink()),
    Case(
        "params_whole_file_tracked",
        lambda r: edit(
            r, "dvc.yaml", "    - train.epochs\n    - train.lr\n", "    - params.yaml:\n"
        ),
    ),
    Case("code_dep_modified", lambda r: append(r, "src/train.py", "# tuned\n")),
    Case("code_dep_deleted", lambda r: (r.path / "src" / "train.py").unlink()),
    Case(
        "dep_added_to_stage",
        lambda r: (
            r.write("src/util.py", "ONE = 1\n"),
            edit(r, "dvc.yaml", "    - src/train.py\n", "    - src/train.py\n    - src/util.py\n"),
        ),
    ),
    Case("dep_removed_from_stage", lambda r: edit(r, "dvc.yaml", "    - src/train.py\n", "")),
    Case(
        "out_added_to_stage",
        lambda r: edit(
            r,
            "dvc.yaml",
            "    - models/model.txt\n  evaluate",
            "    - models/model.txt\n    - models/extra.txt\n  evaluate",
        ),
    ),
    Case("dvc_added_data_changed", change_raw_data),
    Case("upstream_rerun_after_its_input_changed", rerun_upstream_only),
    Case("legacy_lock_crlf_code_dep_unchanged", legacy_lock),
    Case(
        "legacy_lock_crlf_code_dep_changed",
        lambda r: (legacy_lock(r), append(r, "src/train.py", "# tuned\r\n")),
    ),
    Case(
        "frozen_stage_code_dep_changed",
        lambda r: (freeze_train(r), append(r, "src/train.py", "# tuned\n")),
    ),
    Case(
        "frozen_stage_cmd_changed",
        lambda r: (
            freeze_train(r),
            edit(r, "dvc.yaml", "python3 src/train.py", "python3 src/train.py -v"),
        ),
    ),
    Case("always_changed_stage", always_changed_evaluate),
    Case(
        "always_changed_stage_with_code_dep_changed",
        lambda r: (always_changed_evaluate(r), append(r, "src/evaluate.py", "# x\n")),
    ),
    Case("stage_added_never_run", never_run_stage),
    Case(
        "git_tracked_metrics_edited_by_hand",
        lambda r: edit(r, "metrics.json", '"accuracy": 0.9', '"accuracy": 0.99'),
    ),
    Case("git_tracked_metrics_deleted", lambda r: (r.path / "metrics.json").unlink()),
    Case("dir_dep_unchanged", lambda r: None, base="dirdep"),
    Case("dir_dep_file_edited", lambda r: append(r, "src/prepare.py", "# x\n"), base="dirdep"),
    Case("dir_dep_file_added", lambda r: r.write("src/new.py", "pass\n"), base="dirdep"),
    Case(
        "dir_dep_dvcignored_file_added",
        lambda r: r.write("src/debug.log", "noise\n"),
        base="dirdep",
    ),
    Case("dir_dep_legacy_lock", strip_hash_keys, base="dirdep"),
    Case(
        "dir_dep_legacy_lock_crlf_file_inside",
        lambda r: (strip_hash_keys(r), to_crlf(r, "src/prepare.py")),
        base="dirdep",
    ),
    Case(
        "dir_dep_legacy_lock_crlf_file_edited",
        lambda r: (
            strip_hash_keys(r),
            to_crlf(r, "src/prepare.py"),
            append(r, "src/prepare.py", "# x\r\n"),
        ),
        base="dirdep",
    ),
    Case(
        "dir_dep_file_added_then_lock_committed",
        lambda r: (r.write("src/new.py", "pass\n"), commit_then_relock(r)),
        base="dirdep",
    ),
    Case(
        "dir_dep_file_edited_then_lock_committed",
        lambda r: (append(r, "src/prepare.py", "# x\n"), commit_then_relock(r)),
        base="dirdep",
    ),
    Case(
        "cached_out_added_to_git_then_edited",
        lambda r: (
            r.git("add", "-f", "data/prepared.csv"),
            r.commit("Keep the prepared data in git too"),
            append(r, "data/prepared.csv", "odd,0\n"),
        ),
    ),
    Case("gitkept_nothing_changed", lambda r: None, base="gitkept"),
    Case(
        "gitkept_dep_edited_and_committed",
        lambda r: (append(r, "model/clf.pkl", " tuned"), r.commit("Tune the model by hand")),
        base="gitkept",
    ),
    Case("gitkept_dep_deleted", lambda r: (r.path / "model" / "clf.pkl").unlink(), base="gitkept"),
    Case(
        "gitkept_dep_producer_rerun",
        lambda r: (
            edit(r, "src/fit.py", "weights v1", "weights v2"),
            r.dvc("repro", "-q", "--single-item", "fit"),
        ),
        base="gitkept",
    ),
    Case(
        "gitkept_dir_file_added_then_lock_committed",
        lambda r: (r.write("reports/auc.txt", "auc\n"), commit_then_relock(r)),
        base="gitkept",
    ),
    Case(
        "gitkept_dir_file_edited_same_size_then_lock_committed",
        lambda r: (edit(r, "reports/f1.txt", "f1 of", "F1 of"), commit_then_relock(r)),
        base="gitkept",
    ),
    Case(
        "gitkept_dir_file_grown_one_removed_then_lock_committed",
        lambda r: (
            append(r, "reports/f1.txt", "and a much longer line than the recall file had\n"),
            (r.path / "reports" / "recall.txt").unlink(),
            commit_then_relock(r),
        ),
        base="gitkept",
    ),
    Case("foreach_and_matrix_nothing_changed", lambda r: None, base="grid"),
    Case(
        "foreach_member_param_modified",
        lambda r: edit(r, "params.yaml", "    size: 1\n", "    size: 3\n"),
        base="grid",
    ),
    Case(
        "matrix_member_param_modified",
        lambda r: edit(r, "params.yaml", "  a: 1\n", "  a: 5\n"),
        base="grid",
    ),
    Case(
        "foreach_and_matrix_shared_code_dep_modified",
        lambda r: append(r, "fit.py", "# x\n"),
        base="grid",
    ),
    Case(
        "matrix_values_in_exponent_notation_after_repro", matrix_in_exponent_notation, base="grid"
    ),
]


@pytest.fixture(params=CASES, ids=[c.id for c in CASES])
def mutated(request: pytest.FixtureRequest) -> Repo:
    """The case's base project, changed the case's one way."""
    case: Case = request.param
    repo: Repo = request.getfixturevalue(case.base)
    case.mutate(repo)
    return repo


# --------------------------------------------------------------------------- differential


def test_each_stage_verdict_is_what_dvc_status_says(mutated: Repo) -> None:
    ours = verdicts(mutated)
    assert set(ours) == dvc_stage_names(mutated)
    assert_agrees_with_dvc(ours, dvc_status(mutated))


def test_verdicts_do_not_move_without_cache_or_data_while_dvc_status_degrades(
    mutated: Repo,
) -> None:
    before = verdicts(mutated)
    remove_what_a_fresh_clone_lacks(mutated)
    assert verdicts(mutated) == before
    degraded = dvc_status(mutated)
    # DVC now lists the stages the plugin calls current that read or write DVC data, and only
    # for data that is deleted or not in the cache; stages that read and write only what git
    # keeps it still calls current
    assert degraded
    locked = yaml.safe_load(mutated.read("dvc.lock"))["stages"]
    for name, verdict in before.items():
        if verdict.state == CURRENT:
            entries = [*locked[name].get("deps", []), *locked[name].get("outs", [])]
            if all((mutated.path / e["path"]).exists() for e in entries):
                assert name not in degraded, (name, degraded)
                continue
            assert name in degraded, (name, degraded)
            assert changed_words(degraded[name]) <= {"deleted", "not in cache"}, (name, degraded)


def test_legacy_lock_is_read_with_md5_dos2unix_not_md5(pipeline: Repo) -> None:
    """The CRLF file's plain md5 differs from the lock: reading the DVC 2 entry as md5
    would call 'train' stale where DVC does not."""
    legacy_lock(pipeline)
    train = verdicts(pipeline)["train"]
    assert (train.state, train.status) == (CURRENT, [])
    assert dvc_status(pipeline) == {}


def test_fresh_clone_lacking_a_git_ignored_file_inside_a_dir_dep_is_not_stale(
    dirdep: Repo,
) -> None:
    """Running Python leaves src/__pycache__/ (git-ignored) inside the src/ dep, and DVC's lock
    hash of src/ covers it. A fresh clone lacks it: the plugin may not call 'lint' current
    there, but nothing changed in git, so it must not call it stale either ("what only absent
    data could tell is reported as not verifiable, never as stale")."""
    append(dirdep, ".gitignore", "__pycache__/\n")
    dirdep.write("src/__pycache__/prepare.cpython-311.pyc", "bytecode\n")
    dirdep.dvc("repro", "-q", "lint")
    dirdep.commit("Lint again")
    before = verdicts(dirdep)
    assert_agrees_with_dvc(before, dvc_status(dirdep))
    dirdep.git("clean", "-q", "-f", "-d", "-X")
    assert not (dirdep.path / "src" / "__pycache__").exists()
    after = verdicts(dirdep)["lint"]
    assert after.state != STALE, after
    # and it says what it compared: the lock's count and bytes against git's
    kept = dirdep.git("ls-files", "src").split()
    size = sum((dirdep.path / name).stat().st_size for name in kept)
    extra = len("bytecode\n")
    assert after.unverifiable == [
        f"src: dvc.lock records {len(kept) + 1} files ({size + extra} bytes) under another "
        f"hash; git keeps {len(kept)} files ({size} bytes) there, none changed since dvc.lock "
        f"was committed. The 1 other file ({extra} bytes) may be files git ignores that were "
        "there when dvc.lock was written (caches, logs), or files removed since"
    ]


def test_a_file_removed_from_a_git_kept_directory_before_the_lock_was_committed_is_not_verifiable(
    gitkept: Repo,
) -> None:
    """git's files in reports/ are the lock's minus one: a file removed, or one git ignores
    that a fresh checkout lacks; git cannot tell which, so neither stage is called current
    (DVC, which has the workspace, says modified) nor stale."""
    (gitkept.path / "reports" / "recall.txt").unlink()
    commit_then_relock(gitkept)
    theirs = dvc_status(gitkept)
    assert theirs == {
        "score": [{"changed outs": {"reports": "modified"}}],
        "summarize": [{"changed deps": {"reports": "modified"}}],
    }
    ours = verdicts(gitkept)
    for name in theirs:
        assert (ours[name].state, ours[name].status) == (UNVERIFIABLE, []), ours[name]
        assert ours[name].unverifiable[0].startswith("reports: dvc.lock records 4 files ("), ours[
            name
        ]
        assert "git keeps 3 files (" in ours[name].unverifiable[0]
        assert "The 1 other file (" in ours[name].unverifiable[0]
    assert (ours["fit"].state, ours["notes"].state) == (CURRENT, CURRENT)


def test_a_cached_directory_with_one_file_in_git_is_judged_by_the_hashes_dvc_records(
    pipeline: Repo,
) -> None:
    """parts/ is data DVC caches, yet one file of it was added to git. A fresh clone has that
    file only: the directory is not what git keeps, so 'count', which reads it, is judged by
    the hash 'split' records, and stays current (DVC, lacking the data, sees a change)."""
    pipeline.dvc(
        "stage", "add", "-q", "-n", "split", "-o", "parts",
        "mkdir -p parts && echo a > parts/a.txt && echo b > parts/b.txt",
    )  # fmt: skip
    pipeline.dvc(
        "stage", "add", "-q", "-n", "count", "-d", "parts", "-o", "n.txt", "ls parts > n.txt"
    )
    pipeline.dvc("repro", "-q", "split", "count")
    pipeline.git("add", "-f", "parts/a.txt")
    pipeline.commit("Split, count; one part in git")
    before = verdicts(pipeline)
    assert_agrees_with_dvc(before, dvc_status(pipeline))
    pipeline.git("clean", "-q", "-f", "-d", "-X")  # what a fresh clone lacks
    assert (pipeline.path / "parts" / "a.txt").is_file()
    assert not (pipeline.path / "parts" / "b.txt").exists()
    assert verdicts(pipeline) == before
    assert dvc_status(pipeline)["count"] == [
        {"changed deps": {"parts": "modified"}},
        {"changed outs": {"n.txt": "not in cache"}},
    ]


# --------------------------------------------------------------------------- builds


PIPELINE_PAGE = "# Pipeline\n\n{ml pipeline}\n"


def text_of(fragment: str) -> str:
    """FRAGMENT of HTML as the reader sees its text."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def stage_line(repo: Repo, name: str) -> int:
    lines = repo.read("dvc.yaml").splitlines()
    return lines.index(f"  {name}:") + 1


def test_stale_stage_fails_the_build_at_its_dvc_yaml_line_in_dvc_words(pipeline: Repo) -> None:
    append(pipeline, "src/train.py", "# tuned\n")
    pipeline.site({"index.md": PIPELINE_PAGE})
    pipeline.commit("Tune training, docs")
    assert dvc_status(pipeline) == {"train": [{"changed deps": {"src/train.py": "modified"}}]}
    build = pipeline.build()
    assert not build.ok, build.output
    line = stage_line(pipeline, "train")
    assert (
        f"dvc.yaml:{line}: stage 'train' is stale: changed deps: modified src/train.py. "
        "Run 'dvc repro train' and commit dvc.lock. [stale_pipeline]"
    ) in build.output
    assert "ERROR" in build.output
    assert "stage 'prepare' is stale" not in build.output
    assert "stage 'evaluate' is stale" not in build.output
    assert "the site was not built" in build.output


def test_a_stage_reading_an_output_git_keeps_is_stale_when_git_has_other_content(
    gitkept: Repo,
) -> None:
    """model/clf.pkl is 'fit's cache: false output, kept in git, and 'score's input. Edited by
    hand and committed, both stages are stale in DVC's words, on the page's diagram too."""
    append(gitkept, "model/clf.pkl", " tuned")
    gitkept.site({"index.md": PIPELINE_PAGE}, plugin={"checks": {"stale_pipeline": "warn"}})
    gitkept.commit("Tune the model by hand, docs")
    assert dvc_status(gitkept) == {
        "fit": [{"changed outs": {"model/clf.pkl": "modified"}}],
        "score": [{"changed deps": {"model/clf.pkl": "modified"}}],
    }
    build = gitkept.build()
    assert build.ok, build.output
    assert "stage 'score' is stale: changed deps: modified model/clf.pkl." in build.output
    stages = {s["name"]: s["status"] for s in build.manifest()["projects"][0]["stages"]}
    assert stages["score"]["state"] == STALE
    assert stages["score"]["reasons"] == ["changed deps: modified model/clf.pkl"]


def test_a_stale_stage_says_what_changed_on_its_page_and_under_the_diagram(
    pipeline: Repo,
) -> None:
    """What changed is read on the page, not only in a tooltip: in the stage page's header and
    in a list under the pipeline diagram, in DVC's words, with the command that fixes it."""
    edit(pipeline, "params.yaml", "lr: 0.05", "lr: 0.1")
    append(pipeline, "src/train.py", "# tuned\n")
    pipeline.site(
        {"index.md": PIPELINE_PAGE, "train.md": "---\nml:\n  stage: train\n---\n# Training\n"},
        plugin={"checks": {"stale_pipeline": "warn"}},
    )
    pipeline.commit("Tune training, docs")
    build = pipeline.build()
    assert build.ok, build.output
    stages = {s["name"]: s["status"] for s in build.manifest()["projects"][0]["stages"]}
    reasons = stages["train"]["reasons"]
    assert sorted(reasons) == [
        "changed deps: modified src/train.py",
        "changed deps: params.yaml: modified train.lr",
    ]
    header = re.search(
        r'<div class="ml-card-header ml-stage-header".*?</div>', build.page("train"), re.S
    )
    assert header, build.page("train")
    note = re.search(r'<p class="ml-stale" role="note">(.*?)</p>', header.group(0), re.S)
    assert note, header.group(0)
    assert " ".join(text_of(note.group(1)).split()) == (
        f"Changed since it ran: {'; '.join(reasons)}. Run dvc repro train."
    )
    listed = re.search(r'<ul class="ml-state-reasons">(.*?)</ul>', build.page(""), re.S)
    assert listed, build.page("")
    items = [text_of(item) for item in re.findall(r"<li>(.*?)</li>", listed.group(1))]
    assert items == [f"train is stale: {'; '.join(reasons)}. Run dvc repro train."]


def test_stale_pipeline_as_warn_builds_and_manifest_has_each_stage_status(
    pipeline: Repo,
) -> None:
    edit(pipeline, "params.yaml", "lr: 0.05", "lr: 0.1")
    append(pipeline, "src/train.py", "# tuned\n")
    pipeline.site({"index.md": PIPELINE_PAGE}, plugin={"checks": {"stale_pipeline": "warn"}})
    pipeline.commit("Tune training, docs")
    theirs = dvc_status(pipeline)
    assert set(theirs) == {"train"}
    build = pipeline.build()
    assert build.ok, build.output
    line = stage_line(pipeline, "train")
    warning = next(ln for ln in build.output.splitlines() if "[stale_pipeline]" in ln)
    assert warning.startswith("WARNING"), warning
    assert f"dvc.yaml:{line}: stage 'train' is stale: " in warning
    assert "changed deps: modified src/train.py" in warning
    assert "changed deps: params.yaml: modified train.lr" in warning
    assert "Run 'dvc repro train'" in warning
    stages = {s["name"]: s["status"] for s in build.manifest()["projects"][0]["stages"]}
    assert set(stages) == {"prepare", "train", "evaluate"}
    for name, status in stages.items():
        assert status["dvc_status"] == theirs.get(name, [])
        assert status["state"] == (STALE if name in theirs else CURRENT)
        assert status["frozen"] is False
        assert status["unverifiable"] == []
    assert sorted(stages["train"]["reasons"]) == [
        "changed deps: modified src/train.py",
        "changed deps: params.yaml: modified train.lr",
    ]
    assert stages["prepare"]["reasons"] == []
    findings = build.manifest()["findings"]
    assert [(f["kind"], f["severity"], f["file"], f["line"]) for f in findings] == [
        ("stale_pipeline", "warn", "dvc.yaml", line)
    ]
    # --strict makes a warning fail the build
    assert not pipeline.build("--strict").ok


def test_fresh_clone_without_cache_or_data_builds_with_every_stage_current(
    pipeline: Repo, tmp_path: Path
) -> None:
    pipeline.site({"index.md": PIPELINE_PAGE})
    pipeline.commit("Docs")
    ci = tmp_path / "ci"
    ci.mkdir()
    (ci / "gitconfig").write_text(GITCONFIG)
    pipeline.git("clone", "-q", str(pipeline.path), str(ci / "repo"))
    clone = Repo(ci / "repo", ci)
    assert not (clone.path / ".dvc" / "cache").exists()
    assert not (clone.path / "data" / "raw.csv").exists()
    assert not (clone.path / "models" / "model.txt").exists()
    build = clone.build("--strict")
    assert build.ok, build.output
    manifest = build.manifest()
    stages = {s["name"]: s["status"] for s in manifest["projects"][0]["stages"]}
    assert {name: s["state"] for name, s in stages.items()} == {
        "prepare": CURRENT,
        "train": CURRENT,
        "evaluate": CURRENT,
    }
    assert all(s["dvc_status"] == [] and s["unverifiable"] == [] for s in stages.values())
    assert [f for f in manifest["findings"] if f["kind"].endswith(("_pipeline", "_stage"))] == []


def test_a_lock_entry_for_a_removed_stage_is_reported_and_ignored(pipeline: Repo) -> None:
    text = pipeline.read("dvc.yaml")
    start = text.index("  evaluate:")
    end = text.index("artifacts:")
    pipeline.write("dvc.yaml", text[:start] + text[end:])
    line = pipeline.read("dvc.lock").splitlines().index("  evaluate:") + 1
    pipeline.site({"index.md": "# Home\n"})
    pipeline.commit("Remove the evaluate stage")
    build = pipeline.build("--strict")
    assert build.ok, build.output
    assert (
        f"INFO    -  mlplugin: dvc.lock:{line}: dvc.lock has an entry for stage 'evaluate', which "
        "dvc.yaml no longer defines; it is ignored, as DVC ignores it." in build.output
    )
    stages = [s["name"] for s in build.manifest()["projects"][0]["stages"]]
    assert stages == ["prepare", "train"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000) | st.text(alphabet="ab\r\n\x00é", max_size=3000).map(str.encode))
def test_file_hashes_are_dvcs(data: bytes) -> None:
    """The workspace hash of a file is the one DVC's own hashing gives, for DVC 3's md5 (done
    without DVC) and DVC 2's md5-dos2unix (done by DVC), text, CRLF text or binary; and across
    the 1 MiB read boundary."""
    from dvc_data.hashfile.hash import fobj_md5

    for content in (data, data * (2**20 // max(len(data), 1) + 1)):
        for algorithm in ("md5", "md5-dos2unix"):
            ours = file_md5(io.BytesIO(content), algorithm)
            assert ours == fobj_md5(io.BytesIO(content), name=algorithm), algorithm


NAMES = st.text(alphabet="ab-_.\u00e9 ", min_size=1, max_size=3).filter(
    lambda n: n not in (".", "..") and n.strip() == n
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.lists(NAMES, min_size=1, max_size=3).map(tuple),
        st.binary(max_size=40) | st.text(alphabet="ab\r\n", max_size=40).map(str.encode),
        min_size=1,
        max_size=6,
    )
)
def test_directory_hashes_are_dvcs(files: dict[tuple[str, ...], bytes]) -> None:
    """A directory's hash is the one DVC's own tree building gives (md5 of the JSON list of
    relpath and md5, sorted by relpath), for DVC 3's md5 and DVC 2's md5-dos2unix, whatever
    the names ('a-b' sorts before 'a/b') and contents; its nfiles and size are what the
    plugin counts."""
    import tempfile

    from dvc_data.hashfile.build import build
    from dvc_data.hashfile.db.local import LocalHashFileDB
    from dvc_objects.fs.local import LocalFileSystem

    from mkdocs_mlplugin.facts.hashes import Hasher

    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp) / "d"
        for parts, content in files.items():
            target = top.joinpath(*parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():
                    continue  # a directory of another file
                target.write_bytes(content)
            except (FileExistsError, NotADirectoryError):
                continue  # a file where another one needs a directory
        fs = LocalFileSystem()
        for algorithm in ("md5", "md5-dos2unix"):
            odb = LocalHashFileDB(fs, str(Path(tmp) / f"odb-{algorithm}"))
            _, meta, tree = build(odb, str(top), fs, algorithm)
            ours = Hasher().tree(Path(tmp), "d", algorithm, lambda _path: False)
            assert ours == tree.hash_info.value, algorithm
        stored = [f for f in top.rglob("*") if f.is_file()]
        assert (len(stored), sum(f.stat().st_size for f in stored)) == (meta.nfiles, meta.size)


def test_a_stale_stage_whose_inputs_are_not_in_the_workspace_says_dvc_pull_first(
    pipeline: Repo,
) -> None:
    """'dvc repro prepare' alone fails on data that was never pulled: the advice says so."""
    pipeline.write("params.yaml", pipeline.read("params.yaml").replace("seed: 7", "seed: 8"))
    (pipeline.path / "data" / "raw.csv").unlink()
    pipeline.site({"index.md": PIPELINE_PAGE})
    pipeline.commit("Reseed, docs")
    build = pipeline.build()
    assert not build.ok, build.output
    assert (
        "Run 'dvc pull' (data/raw.csv is not in the workspace), then 'dvc repro prepare', "
        "and commit dvc.lock. [stale_pipeline]"
    ) in build.output, build.output
