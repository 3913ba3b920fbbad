"""What the plugin reads from a DVC project, checked against DVC itself.

Every project here is real: made with the dvc CLI (``dvc init``, ``dvc add``, ``dvc repro``)
or, where the CLI cannot write it (``foreach``, ``matrix``, ``vars``, ``artifacts``, a lock
written by an older DVC, a broken file), written by hand the way a user would. Expected values
come from DVC whenever DVC can be asked: its own index and graph (what ``dvc dag`` draws), its
reading of dvc.lock and .dvc files, ``dvc metrics show`` and its params and artifacts readers.

The story for each test is the user's: "the pipeline page shows the stages ``dvc dag`` shows",
"a broken dvc.lock is reported with its line, not a traceback", "the token in my import URL is
not published in the site".
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import posixpath
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Repo, init_repo, snapshot

from mkdocs_mlplugin.facts import dvc as ml
from mkdocs_mlplugin.findings import Finding, FindingError

GITCONFIG = "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.com\n"

Hashes = tuple[str | None, int | None, int | None]  # md5, size, nfiles


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="session")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository where ``dvc init`` has run, copied by every test that needs one."""
    home = tmp_path_factory.mktemp("skeleton-home")
    repo = init_repo(home / "repo", home)
    repo.dvc("init", "-q")
    return repo.path


def copy_project(template: Path, home: Path) -> Repo:
    """A private copy of TEMPLATE (git history, .dvc, data and cache) in HOME/repo."""
    home.mkdir(parents=True, exist_ok=True)
    dest = home / "repo"
    shutil.copytree(template, dest, symlinks=True)
    (home / "gitconfig").write_text(GITCONFIG)
    return Repo(dest, home)


@pytest.fixture
def project(tmp_path: Path, skeleton: Path) -> Repo:
    """A fresh, empty DVC project."""
    return copy_project(skeleton, tmp_path)


def load(repo: Repo) -> ml.Project:
    return ml.load_project(repo.path.resolve())


@contextlib.contextmanager
def dvc_itself(repo: Repo) -> Iterator[Any]:
    """DVC's own in-process view of REPO.

    DVC names stages relative to the current directory, so this runs with cwd = the project
    root. It uses the same private DVC config and cache directories as the CLI calls, and it
    writes .dvc/tmp: never use it in a test that checks nothing is written.
    """
    from dvc.repo import Repo as DvcRepo

    with pytest.MonkeyPatch.context() as mp:
        for key, value in repo.env.items():
            if key.startswith("DVC_"):
                mp.setenv(key, value)
        mp.chdir(repo.path)
        with DvcRepo(str(repo.path.resolve())) as dvc_repo:
            yield dvc_repo


def line_of(text: str | bytes, marker: str | bytes) -> int:
    """1-based line of the first occurrence of MARKER in TEXT (the fixture's own text)."""
    if isinstance(text, bytes):
        data = text
        needle = marker if isinstance(marker, bytes) else marker.encode()
    else:
        data = text.encode()
        needle = marker.encode() if isinstance(marker, str) else marker
    return data[: data.index(needle)].count(b"\n") + 1


def findings_for(project: ml.Project, file: str) -> list[Finding]:
    return [f for f in project.findings if f.file == file]


# --------------------------------------------------------------------------- 1. differential


@dataclasses.dataclass
class Facts:
    """What one reader says of a project, in plugin terms (paths relative to the root)."""

    stages: dict[str, str]  # pipeline stage -> resolved cmd
    tracked: set[str]  # .dvc files
    edges: set[tuple[str, str]]  # (upstream, downstream)
    deps: dict[str, set[str]]  # stage -> dependency paths (params files excluded)
    params: dict[str, set[str]]  # stage -> params files
    outs: dict[str, dict[str, Hashes]]  # node -> out path -> hashes


def plugin_facts(project: ml.Project) -> Facts:
    outs: dict[str, dict[str, Hashes]] = {
        name: {o.path: (o.md5, o.size, o.nfiles) for o in stage.outs}
        for name, stage in project.stages.items()
    }
    outs.update(
        {
            name: {o.path: (o.md5, o.size, o.nfiles) for o in tracked.outs}
            for name, tracked in project.tracked.items()
        }
    )
    return Facts(
        stages={name: stage.cmd for name, stage in project.stages.items()},
        tracked=set(project.tracked),
        edges=set(project.edges),
        deps={name: set(stage.deps) for name, stage in project.stages.items()},
        params={name: set(stage.params) for name, stage in project.stages.items()},
        outs=outs,
    )


def dvc_facts(repo: Repo) -> Facts:
    """The same facts from DVC's index: ``r.index.graph`` is what ``dvc dag`` draws."""
    from dvc.dependency.param import ParamsDependency
    from dvc.fs import LocalFileSystem
    from dvc.stage import PipelineStage

    root = repo.path.resolve()

    def where(item: Any) -> str:
        if isinstance(item.fs, LocalFileSystem):
            return Path(os.path.relpath(item.fs_path, root)).as_posix()
        return str(item.def_path)  # a URL: as written

    with dvc_itself(repo) as r:
        graph = r.index.graph
        nodes = list(graph.nodes)
        pipeline = [s for s in nodes if isinstance(s, PipelineStage)]
        return Facts(
            stages={s.addressing: s.cmd for s in pipeline},
            tracked={s.addressing for s in nodes if not isinstance(s, PipelineStage)},
            # DVC's edge points from a stage to the stage it depends on.
            edges={(up.addressing, down.addressing) for down, up in graph.edges},
            deps={
                s.addressing: {where(d) for d in s.deps if not isinstance(d, ParamsDependency)}
                for s in pipeline
            },
            params={
                s.addressing: {where(d) for d in s.deps if isinstance(d, ParamsDependency)}
                for s in pipeline
            },
            outs={
                s.addressing: {
                    where(o): (o.hash_info.value, o.meta.size, o.meta.nfiles) for o in s.outs
                }
                for s in nodes
            },
        )


def _foreach(repo: Repo) -> None:
    repo.write(
        "params.yaml",
        """
        langs: [en, de]
        sizes:
          small: {n: 1}
          large: {n: 2}
        """,
    )
    repo.write(
        "dvc.yaml",
        """
        stages:
          tokenize:
            foreach: ${langs}
            do:
              cmd: echo tokens-${item} > tok-${item}.txt
              outs:
                - tok-${item}.txt
          shard:
            foreach: ${sizes}
            do:
              cmd: cat tok-en.txt > shard-${key}.txt && echo ${item.n} >> shard-${key}.txt
              deps:
                - tok-en.txt
              outs:
                - shard-${key}.txt
          merge:
            cmd: cat shard-small.txt shard-large.txt tok-de.txt > merged.txt
            deps:
              - shard-small.txt
              - shard-large.txt
              - tok-de.txt
            outs:
              - merged.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _matrix(repo: Repo) -> None:
    repo.write("params.yaml", "models: [tree, mlp]\n")
    repo.write(
        "dvc.yaml",
        """
        stages:
          fit:
            matrix:
              model: ${models}
              seed: [1, 2]
            cmd: echo ${item.model} ${item.seed} > fit-${item.model}-${item.seed}.txt
            outs:
              - fit-${item.model}-${item.seed}.txt
          compare:
            cmd: cat fit-tree-1.txt fit-mlp-2.txt > compare.txt
            deps:
              - fit-tree-1.txt
              - fit-mlp-2.txt
            outs:
              - compare.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _vars(repo: Repo) -> None:
    repo.write(
        "config/experiment.yaml",
        """
        data:
          path: data/input.csv
        train:
          name: ridge
          alpha: 0.5
        """,
    )
    repo.write("data/input.csv", "x,y\n1,2\n")
    repo.write(
        "dvc.yaml",
        """
        vars:
          - config/experiment.yaml
          - suffix: v2
        stages:
          prepare:
            cmd: cp ${data.path} prepared-${suffix}.csv
            deps:
              - ${data.path}
            outs:
              - prepared-${suffix}.csv
          train:
            cmd: mkdir -p models && echo alpha=${train.alpha} > models/${train.name}-${suffix}.txt
            deps:
              - prepared-${suffix}.csv
            params:
              - config/experiment.yaml:
                  - train.alpha
            outs:
              - models/${train.name}-${suffix}.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _wdir(repo: Repo) -> None:
    repo.write("model/params.yaml", "lr: 0.1\n")
    repo.write(
        "dvc.yaml",
        """
        stages:
          prepare:
            cmd: echo raw > prepared.txt
            outs:
              - prepared.txt
          fit:
            wdir: model
            cmd: cat ../prepared.txt > fitted.txt
            deps:
              - ../prepared.txt
            params:
              - lr
            outs:
              - fitted.txt
          report:
            cmd: cat model/fitted.txt > report.txt
            deps:
              - model/fitted.txt
            outs:
              - report.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _subdir_dvc_yaml(repo: Repo) -> None:
    # The same stage name in both files: DVC tells them apart as 'make' and 'sub/dvc.yaml:make'.
    repo.write(
        "dvc.yaml",
        """
        stages:
          make:
            cmd: echo base > base.txt
            outs:
              - base.txt
          final:
            cmd: cat sub/derived.txt > final.txt
            deps:
              - sub/derived.txt
            outs:
              - final.txt
        """,
    )
    repo.write(
        "sub/dvc.yaml",
        """
        stages:
          make:
            cmd: cat ../base.txt > derived.txt
            deps:
              - ../base.txt
            outs:
              - derived.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _dep_inside_out_dir(repo: Repo) -> None:
    repo.write(
        "dvc.yaml",
        """
        stages:
          features:
            cmd: mkdir -p features && echo a > features/a.txt && echo b > features/b.txt
            outs:
              - features
          use_a:
            cmd: cat features/a.txt > a-used.txt
            deps:
              - features/a.txt
            outs:
              - a-used.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _dep_dir_contains_outs(repo: Repo) -> None:
    repo.write(
        "dvc.yaml",
        """
        stages:
          part_a:
            cmd: mkdir -p parts && echo a > parts/a.txt
            outs:
              - parts/a.txt
          part_b:
            cmd: mkdir -p parts && echo b > parts/b.txt
            outs:
              - parts/b.txt
          combine:
            cmd: cat parts/a.txt parts/b.txt > combined.txt
            deps:
              - parts
            outs:
              - combined.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _dvc_add_directory(repo: Repo) -> None:
    repo.write("data/images/a.png", "pixels a\n")
    repo.write("data/images/b.png", "pixels b\n")
    repo.dvc("add", "-q", "data/images")
    repo.write(
        "dvc.yaml",
        """
        stages:
          thumbnails:
            cmd: ls data/images > thumbnails.txt
            deps:
              - data/images
            outs:
              - thumbnails.txt
          first:
            cmd: cat data/images/a.png > first.txt
            deps:
              - data/images/a.png
            outs:
              - first.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _params_file_made_by_stage(repo: Repo) -> None:
    # 'dvc dag' draws tune -> train: a params file is a dependency like any other.
    repo.write(
        "dvc.yaml",
        """
        stages:
          tune:
            cmd: "echo 'lr: 0.1' > tuned.yaml"
            outs:
              - tuned.yaml
          train:
            cmd: echo trained > model.txt
            params:
              - tuned.yaml:
                  - lr
            outs:
              - model.txt
        """,
    )
    repo.dvc("repro", "-q", "-P")


def _external_url_dep(repo: Repo) -> None:
    # Not run (no network): only the declared structure is compared.
    repo.write(
        "dvc.yaml",
        """
        stages:
          download:
            cmd: curl -s -o remote.csv https://example.com/data/remote.csv
            deps:
              - https://example.com/data/remote.csv
            outs:
              - remote.csv
          summarize:
            cmd: wc -l remote.csv > summary.txt
            deps:
              - remote.csv
            outs:
              - summary.txt
        """,
    )


@dataclasses.dataclass(frozen=True)
class Scenario:
    build: Callable[[Repo], None] | None  # None: the conftest pipeline, as it is
    ran: bool = True  # dvc repro ran, so outs have hashes


SCENARIOS: dict[str, Scenario] = {
    "linear_pipeline_with_dvc_add": Scenario(None),
    "foreach_over_list_and_dict": Scenario(_foreach),
    "matrix": Scenario(_matrix),
    "vars_from_custom_params_file": Scenario(_vars),
    "stage_with_wdir": Scenario(_wdir),
    "second_dvc_yaml_in_subdirectory": Scenario(_subdir_dvc_yaml),
    "dep_is_file_inside_output_directory": Scenario(_dep_inside_out_dir),
    "dep_is_directory_containing_outputs": Scenario(_dep_dir_contains_outs),
    "dvc_add_of_a_directory": Scenario(_dvc_add_directory),
    "params_file_written_by_another_stage": Scenario(_params_file_made_by_stage),
    "external_url_dependency": Scenario(_external_url_dep, ran=False),
}


@dataclasses.dataclass
class Compared:
    ours: Facts
    theirs: Facts
    findings: list[Finding]


@pytest.fixture(scope="module")
def compared(
    tmp_path_factory: pytest.TempPathFactory, skeleton: Path, pipeline_template: Path
) -> Callable[[str], Compared]:
    """Build each scenario once per module; read it with the plugin, then with DVC."""
    cache: dict[str, Compared] = {}

    def get(name: str) -> Compared:
        if name not in cache:
            scenario = SCENARIOS[name]
            home = tmp_path_factory.mktemp(name)
            repo = copy_project(pipeline_template if scenario.build is None else skeleton, home)
            if scenario.build is not None:
                scenario.build(repo)
            project = load(repo)  # before DVC's Repo() writes .dvc/tmp
            cache[name] = Compared(plugin_facts(project), dvc_facts(repo), project.findings)
        return cache[name]

    return get


scenarios = pytest.mark.parametrize("scenario", list(SCENARIOS))


@scenarios
def test_project_reads_without_findings(compared: Callable[[str], Compared], scenario: str) -> None:
    assert compared(scenario).findings == []


@scenarios
def test_stage_and_dvc_file_names_are_the_ones_dvc_uses(
    compared: Callable[[str], Compared], scenario: str
) -> None:
    facts = compared(scenario)
    assert set(facts.ours.stages) == set(facts.theirs.stages)
    assert facts.ours.tracked == facts.theirs.tracked


@scenarios
def test_each_stage_cmd_is_resolved_as_dvc_resolves_it(
    compared: Callable[[str], Compared], scenario: str
) -> None:
    facts = compared(scenario)
    assert facts.ours.stages == facts.theirs.stages


@scenarios
def test_each_stage_has_the_deps_and_params_files_dvc_sees(
    compared: Callable[[str], Compared], scenario: str
) -> None:
    facts = compared(scenario)
    assert facts.ours.deps == facts.theirs.deps
    assert facts.ours.params == facts.theirs.params


@scenarios
def test_pipeline_edges_are_the_ones_dvc_dag_draws(
    compared: Callable[[str], Compared], scenario: str
) -> None:
    facts = compared(scenario)
    assert facts.theirs.edges, "the scenario must have edges to compare"
    assert facts.ours.edges == facts.theirs.edges


@scenarios
def test_out_hashes_are_what_dvc_reads_from_lock_and_dvc_files(
    compared: Callable[[str], Compared], scenario: str
) -> None:
    facts = compared(scenario)
    hashed = [h for outs in facts.theirs.outs.values() for h in outs.values() if h[0]]
    assert bool(hashed) == SCENARIOS[scenario].ran
    assert facts.ours.outs == facts.theirs.outs


# --------------------------------------------------------------------------- 2. artifacts

ARTIFACTS_ROOT = """
vars:
  - registry:
      family: sentiment
      owner: ml-team
stages:
  train:
    cmd: python train.py
    outs:
      - models/clf.pkl
artifacts:
  classifier:
    path: models/clf.pkl
    type: model
    desc: Sentiment classifier
    labels:
      - nlp
      - production
    meta:
      framework: sklearn
      owner: ml-team
  ${registry.family}-encoder:
    path: models/${registry.family}-encoder.pkl
    type: model
    desc: Encoder for ${registry.family}
    labels:
      - ${registry.family}
    meta:
      owner: ${registry.owner}
"""

ARTIFACTS_SUB = """
stages:
  export:
    cmd: python export.py
    outs:
      - onnx/model.onnx
artifacts:
  exported:
    path: onnx/model.onnx
    type: model
    desc: ONNX export
    labels:
      - edge
"""


def test_artifacts_are_read_as_dvc_reads_them_with_subdir_names_and_interpolation(
    project: Repo,
) -> None:
    project.write("dvc.yaml", ARTIFACTS_ROOT)
    project.write("sub/dvc.yaml", ARTIFACTS_SUB)
    ours = load(project)
    assert ours.findings == []
    with dvc_itself(project) as r:
        theirs = r.artifacts.read()
    expected: dict[str, dict[str, Any]] = {}
    for dvcfile, artifacts in theirs.items():
        for name, artifact in artifacts.items():
            full = name if dvcfile == "dvc.yaml" else f"{dvcfile}:{name}"
            expected[full] = {
                "name": full,
                "dvcfile": dvcfile,
                "path": posixpath.normpath(
                    posixpath.join(posixpath.dirname(dvcfile), artifact.path)
                ),
                "type": artifact.type,
                "desc": artifact.desc,
                "labels": artifact.labels,
                "meta": artifact.meta,
            }
    assert {name: a.as_dict() for name, a in ours.artifacts.items()} == expected
    # The names a page uses: DVC's 'path/to/dvc.yaml:name' and the interpolated name.
    assert {"classifier", "sentiment-encoder", "sub/dvc.yaml:exported"} == set(ours.artifacts)


@pytest.mark.parametrize(
    ("files", "found"),
    [
        pytest.param(
            {"sub/dvc.yaml": "artifacts:\n  exported:\n    path: model.onnx\n    type: model\n"},
            "artifact",
            id="model_registry_dvc_yaml_with_only_artifacts",
        ),
        pytest.param(
            {"dvc.yaml": "metrics:\n  - eval/scores.json\n", "eval/scores.json": '{"auc": 0.9}'},
            "metric",
            id="dvc_yaml_with_only_top_level_metrics",
        ),
    ],
)
def test_dvc_yaml_without_stages_is_read(project: Repo, files: dict[str, str], found: str) -> None:
    for rel, text in files.items():
        project.write(rel, text)
    ours = load(project)
    assert ours.findings == []
    if found == "artifact":
        assert ours.artifacts["sub/dvc.yaml:exported"].path == "sub/model.onnx"
    else:
        assert ours.metrics["eval/scores.json"] == json.loads(files["eval/scores.json"])


# --------------------------------------------------------------------------- 3. lock reading

LOCK_PIPELINE = """
stages:
  copy:
    cmd: cp data.txt copy.txt
    deps:
      - data.txt
    outs:
      - copy.txt
"""

NOT_RUN_STAGE = """
  later:
    cmd: cp copy.txt later.txt
    deps:
      - copy.txt
    outs:
      - later.txt
"""


@pytest.fixture(scope="module")
def dvc2_project(tmp_path_factory: pytest.TempPathFactory, skeleton: Path) -> Repo:
    """Run by DVC 3, then made to look like DVC 2 wrote it (no 'hash: md5' keys); then a stage
    is added to dvc.yaml and never run."""
    repo = copy_project(skeleton, tmp_path_factory.mktemp("dvc2"))
    repo.write("data.txt", "one\ntwo\n")
    repo.dvc("add", "-q", "data.txt")
    repo.write("dvc.yaml", LOCK_PIPELINE)
    repo.dvc("repro", "-q", "-P")
    for rel in ("dvc.lock", "data.txt.dvc"):
        text = repo.read(rel)
        assert "hash: md5" in text
        legacy = "".join(line for line in text.splitlines(True) if line.strip() != "hash: md5")
        (repo.path / rel).write_text(legacy, "utf-8")
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(NOT_RUN_STAGE.lstrip("\n"))
    return repo


@pytest.mark.parametrize(
    ("node", "path"),
    [("copy", "copy.txt"), ("data.txt.dvc", "data.txt")],
    ids=["dvc_lock_out", "dvc_file_out"],
)
def test_entry_written_by_dvc2_reads_as_md5_dos2unix_like_dvc_says(
    dvc2_project: Repo, node: str, path: str
) -> None:
    ours = load(dvc2_project)
    assert ours.findings == []
    ours_out = ours.producer(path)
    assert ours_out is not None and ours_out[0] == node
    with dvc_itself(dvc2_project) as r:
        (theirs,) = (o for o in r.index.outs if o.stage.addressing == node)
        hash_name, md5 = theirs.hash_info.name, theirs.hash_info.value
    out = ours_out[1]
    assert out.hash_name is None
    assert out.as_dict()["hash"] == hash_name == "md5-dos2unix"
    assert out.md5 == md5 is not None


def test_stage_added_but_never_run_is_unlocked_with_no_hash(dvc2_project: Repo) -> None:
    ours = load(dvc2_project)
    later, copy = ours.stages["later"], ours.stages["copy"]
    assert (later.locked, later.lock_cmd) == (False, None)
    assert [o.md5 for o in later.outs] == [None]
    assert later.as_dict()["locked"] is False
    assert copy.locked and copy.outs[0].md5  # the stage that ran is still read


def test_lock_with_unknown_schema_is_a_finding_at_its_line(
    tmp_path: Path, pipeline_template: Path
) -> None:
    repo = copy_project(pipeline_template, tmp_path)
    text = "# written by a future DVC\n" + repo.read("dvc.lock").replace(
        "schema: '2.0'", "schema: '3.0'"
    )
    (repo.path / "dvc.lock").write_text(text, "utf-8")
    (finding,) = findings_for(load(repo), "dvc.lock")
    assert finding.kind == "invalid_project_file"
    assert finding.line == line_of(text, "schema:")
    assert "3.0" in finding.message


# --------------------------------------------------------------------------- 4. bad input


@dataclasses.dataclass(frozen=True)
class Bad:
    files: dict[str, str | bytes]
    file: str  # the file the finding must name
    mentions: str  # a word the message must contain
    line: str | bytes | None = None  # the finding's line is the line holding this text


CONFLICTED_LOCK = """
schema: '2.0'
stages:
  train:
    cmd: python train.py
    outs:
    - path: model.pkl
      hash: md5
<<<<<<< HEAD
      md5: 0cc175b9c0f1b6a831c399e269772661
=======
      md5: 92eb5ffee6ae2fec3ad71c777531578f
>>>>>>> experiment
      size: 1
"""

TRAIN = "stages:\n  train:\n    cmd: python train.py\n    outs:\n      - model.pkl\n"

BAD_INPUTS: dict[str, Bad] = {
    "yaml_syntax_error_in_dvc_yaml": Bad(
        {"dvc.yaml": "stages:\n  train:\n    cmd: python train.py --out: model.pkl\n"},
        "dvc.yaml",
        "YAML",
        "--out:",
    ),
    "merge_conflict_markers_in_dvc_lock": Bad(
        {"dvc.yaml": TRAIN, "dvc.lock": CONFLICTED_LOCK.lstrip("\n")},
        "dvc.lock",
        "merge conflict",
        "<<<<<<<",
    ),
    "interpolation_of_missing_key": Bad(
        {
            "params.yaml": "train:\n  lr: 0.1\n",
            "dvc.yaml": "stages:\n  train:\n    cmd: python train.py --epochs ${train.epochs}\n",
        },
        "dvc.yaml",
        "train.epochs",
    ),
    "foreach_over_a_number": Bad(
        {
            "dvc.yaml": "vars:\n  - epochs: 5\nstages:\n  train:\n    foreach: ${epochs}\n"
            "    do:\n      cmd: python train.py ${item}\n",
        },
        "dvc.yaml",
        "foreach",
    ),
    "dvc_file_without_outs": Bad(
        {"data/raw.csv.dvc": "md5: 0cc175b9c0f1b6a831c399e269772661\nfrozen: false\n"},
        "data/raw.csv.dvc",
        "outs",
    ),
    "params_file_not_utf8": Bad(
        {"dvc.yaml": TRAIN, "params.yaml": b"train:\n  lr: 0.1\n  name: caf\xe9\n"},
        "params.yaml",
        "UTF-8",
        b"caf\xe9",
    ),
    "dvc1_lock_with_malformed_entry": Bad(
        {"dvc.yaml": TRAIN, "dvc.lock": "train:\n  cmd: python train.py\n  outs:\n  - model.pkl\n"},
        "dvc.lock",
        "outs",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_project_file_is_a_finding_not_an_exception(project: Repo, case: str) -> None:
    bad = BAD_INPUTS[case]
    for rel, content in bad.files.items():
        path = project.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    found = findings_for(load(project), bad.file)
    assert found, f"no finding names {bad.file}"
    finding = found[0]
    assert finding.kind == "invalid_project_file"
    assert bad.mentions in finding.message
    if bad.line is not None:
        assert finding.line == line_of(bad.files[bad.file], bad.line)


@pytest.mark.parametrize(
    ("yaml_text", "keys"),
    [
        pytest.param(
            "stages:\n  train:\n    cmd: 1\n    outz:\n      - a\n",
            ("cmd", "outz"),
            id="wrong_type_and_misspelt_key",
        ),
        pytest.param(
            "stages:\n  train:\n    cmd: python train.py\n    outz:\n      - a\n",
            ("outz",),
            id="misspelt_key",
        ),
    ],
)
def test_schema_invalid_dvc_yaml_finding_names_the_key_and_its_line(
    project: Repo, yaml_text: str, keys: tuple[str, ...]
) -> None:
    project.write("dvc.yaml", yaml_text)
    (finding,) = findings_for(load(project), "dvc.yaml")
    named = [k for k in keys if f"stages.train.{k}" in finding.message]
    assert named, finding.message
    assert finding.line == line_of(yaml_text, f"{named[0]}:")


def test_broken_file_does_not_hide_the_rest_of_the_project(
    tmp_path: Path, pipeline_template: Path
) -> None:
    repo = copy_project(pipeline_template, tmp_path)
    text = "stages:\n  export:\n    cmd: python export.py\n    outs: [a\n"
    repo.write("sub/dvc.yaml", text)
    project = load(repo)
    assert [f.file for f in project.findings] == ["sub/dvc.yaml"]
    assert project.findings[0].line is not None
    assert {"prepare", "train", "evaluate"} <= set(project.stages)
    assert project.stages["train"].locked


def test_json_and_toml_params_files_are_read_as_dvc_reads_them(project: Repo) -> None:
    project.write(
        "config/train.json",
        '{"train": {"lr": 0.05, "layers": [64, 32], "name": "mlp"}, "seed": 7}\n',
    )
    project.write(
        "config/model.toml",
        '[model]\ndepth = 4\nkind = "tree"\n\n[model.reg]\nl2 = 0.5\n',
    )
    project.write(
        "dvc.yaml",
        """
        vars:
          - config/train.json
          - config/model.toml
        stages:
          train:
            cmd: python train.py --lr ${train.lr} --depth ${model.depth}
            params:
              - config/train.json:
              - config/model.toml:
        """,
    )
    ours = load(project)
    assert ours.findings == []
    with dvc_itself(project) as r:
        theirs = r.params.show()[""]["data"]
        (stage,) = r.index.stages
        cmd = stage.cmd
    assert set(theirs) == {"config/train.json", "config/model.toml"}
    for file, data in theirs.items():
        assert ours.params[file] == data["data"]
    assert ours.stages["train"].cmd == cmd


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - DVC's content hash


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        pytest.param("https://user:secret@example.com/repo.git", "repo", id="git_user_password"),
        pytest.param("https://secret@example.com/org/repo.git", "repo", id="git_token"),
        pytest.param("https://user:secret@example.com/data.csv", "url", id="import_url"),
    ],
)
def test_credentials_in_import_url_are_not_published(project: Repo, url: str, kind: str) -> None:
    content = "text,label\ngood,1\n"
    project.write("data.csv", content)
    dep: dict[str, Any]
    if kind == "repo":
        dep = {"path": "data.csv", "repo": {"url": url, "rev_lock": "a" * 40}}
    else:
        dep = {"path": url, "etag": "abc123", "size": len(content)}
    dvcfile = {
        "frozen": kind == "repo",  # 'dvc import' freezes; 'dvc import-url' does not
        "deps": [dep],
        "outs": [{"md5": _md5(content), "size": len(content), "hash": "md5", "path": "data.csv"}],
    }
    project.write("data.csv.dvc", yaml.safe_dump(dvcfile, sort_keys=False))
    ours = load(project)
    with dvc_itself(project) as r:  # the file is one DVC itself reads as an import
        (stage,) = r.index.stages
        assert stage.is_import
    assert ours.findings == []
    tracked = ours.tracked["data.csv.dvc"]
    assert tracked.outs[0].md5 == _md5(content)
    assert tracked.source is not None and "example.com" in tracked.source
    published = json.dumps(ours.as_dict(project.path))
    assert "secret" not in published


# --------------------------------------------------------------------------- 5. find_project


def test_root_project_is_found_from_a_docs_subdirectory(project: Repo) -> None:
    docs = project.path / "docs" / "guide"
    docs.mkdir(parents=True)
    assert ml.find_project(docs, project.path, None) == project.path


def test_subdir_project_is_found_from_its_own_dir_and_from_the_git_root(empty_repo: Repo) -> None:
    ml_dir = empty_repo.path / "ml"
    ml_dir.mkdir()
    empty_repo.dvc("init", "-q", "--subdir", cwd=ml_dir)
    assert ml.find_project(ml_dir, empty_repo.path, None) == ml_dir
    assert ml.find_project(empty_repo.path, empty_repo.path, None) == ml_dir


def test_no_dvc_project_anywhere_is_none(empty_repo: Repo) -> None:
    (empty_repo.path / "docs").mkdir()
    assert ml.find_project(empty_repo.path / "docs", empty_repo.path, None) is None


def test_two_sibling_projects_below_the_site_ask_for_dvc_root(empty_repo: Repo) -> None:
    for name in ("vision", "nlp"):
        (empty_repo.path / name).mkdir()
        empty_repo.dvc("init", "-q", "--subdir", cwd=empty_repo.path / name)
    with pytest.raises(FindingError) as info:
        ml.find_project(empty_repo.path, empty_repo.path, None)
    message = info.value.finding.message
    assert "vision" in message and "nlp" in message and "dvc_root" in message


def test_configured_dvc_root_without_dvc_dir_is_an_error(project: Repo) -> None:
    elsewhere = project.path / "docs"
    elsewhere.mkdir()
    with pytest.raises(FindingError) as info:
        ml.find_project(project.path, project.path, elsewhere)
    assert "dvc_root" in info.value.finding.message
    assert ml.find_project(elsewhere, project.path, project.path) == project.path


# --------------------------------------------------------------------------- 6. metrics

TOP_LEVEL_METRICS = """
vars:
  - report: reports/interpolated.json
metrics:
  - reports/summary.json
  - reports/absent.json
  - ${report}
"""


@dataclasses.dataclass
class MetricsRun:
    ours: ml.Project
    theirs: dict[str, Any]  # 'dvc metrics show --json' for the workspace: file -> entry


@pytest.fixture(scope="module")
def metrics_run(tmp_path_factory: pytest.TempPathFactory, pipeline_template: Path) -> MetricsRun:
    """The conftest pipeline (a stage declares metrics.json with -M) plus top-level metrics."""
    repo = copy_project(pipeline_template, tmp_path_factory.mktemp("metrics"))
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(TOP_LEVEL_METRICS.lstrip("\n"))
    repo.write(
        "reports/summary.json",
        json.dumps({"auc": 0.93, "per_class": {"pos": {"f1": 0.8}, "neg": {"f1": 0.7}}, "n": 40}),
    )
    repo.write("reports/interpolated.json", json.dumps({"drift": {"psi": 0.02}}))
    shown = json.loads(repo.dvc("metrics", "show", "--json"))
    return MetricsRun(load(repo), shown[""]["data"])


@pytest.mark.parametrize(
    "file",
    [
        pytest.param("metrics.json", id="declared_in_stage_with_-M"),
        pytest.param("reports/summary.json", id="declared_at_top_level"),
        pytest.param("reports/interpolated.json", id="declared_at_top_level_with_interpolation"),
    ],
)
def test_metric_values_are_flattened_like_dvc_metrics_show(
    metrics_run: MetricsRun, file: str
) -> None:
    from dvc.utils.flatten import flatten  # what 'dvc metrics show' uses for its columns

    assert "data" in metrics_run.theirs[file]
    assert metrics_run.ours.metrics.get(file) == flatten(metrics_run.theirs[file]["data"])


def test_declared_metrics_file_missing_from_workspace_has_no_value_and_no_finding(
    metrics_run: MetricsRun,
) -> None:
    assert "error" in metrics_run.theirs["reports/absent.json"]  # DVC cannot read it either
    assert "reports/absent.json" in metrics_run.ours.metrics
    assert metrics_run.ours.metrics["reports/absent.json"] is None
    assert metrics_run.ours.findings == []


# --------------------------------------------------------------------------- 7. read-only


def test_loading_a_project_writes_nothing(pipeline: Repo) -> None:
    pipeline.write("sub/dvc.yaml", ARTIFACTS_SUB)
    pipeline.write("data/broken.csv.dvc", "outs: [\n")
    before = snapshot(pipeline.path)
    project = load(pipeline)
    assert project.stages and project.tracked and project.findings
    assert snapshot(pipeline.path) == before


SCHEMA_CASES: list[Any] = [
    {"stages": {"train": {"cmd": "python train.py", "deps": ["a"], "outs": ["b"]}}},
    {"stages": {"train": {"cmd": ["a", "b"], "params": ["lr", {"p.yaml": ["x"]}]}}},
    {"stages": {"train": {"cmd": "x", "outs": [{"m.pkl": {"cache": False, "desc": "d"}}]}}},
    {"stages": {"t": {"foreach": [1, 2], "do": {"cmd": "echo ${item}"}}}},
    {"stages": {"t": {"foreach": "${xs}", "do": {"cmd": "echo", "outs": [3]}}}},
    {"stages": {"t": {"matrix": {"a": [1, 2]}, "cmd": "echo ${item.a}"}}},
    {"stages": {"t": {"foreach": [1]}}},  # foreach without do
    {"stages": {"t": {"do": {"cmd": "x"}}}},  # do without foreach
    {"stages": {"t": {"cmd": "x", "deps": "a"}}},  # deps must be a list
    {"stages": {"t": {"cmd": "x", "frozen": "yes"}}},
    {"stages": {"t": {"cmd": "x", "unknown": 1}}},
    {"stages": {"t": {"deps": ["a"]}}},  # no cmd
    {"stages": {"t": None}},
    {"stages": {"t": ["cmd"]}},
    {"stages": {"a": {"cmd": "x"}, "b": {"foreach": {"k": 1}, "do": {"cmd": "y", "bad": 2}}}},
    {"stages": {"t": {"cmd": "x"}}, "artifacts": {"m": {"path": "m.pkl", "type": "model"}}},
    {"stages": {"t": {"cmd": "x"}}, "artifacts": {"m": {"type": "model"}}},
    {"vars": ["params.yaml", {"a": 1}], "stages": {}},
    {"plots": [{"p.csv": {"x": "a", "y": "b"}}], "metrics": ["m.json"]},
    {"stages": "not a mapping"},
]


@pytest.mark.parametrize("data", SCHEMA_CASES)
def test_dvc_yaml_schema_check_agrees_with_dvcs_own(data: Any) -> None:
    """The plugin compiles DVC's stage schemas once instead of once per stage; what it accepts
    and the first error it reports (key path and message) must stay DVC's."""
    from dvc.schema import COMPILED_MULTI_STAGE_SCHEMA
    from voluptuous import Invalid

    from mkdocs_mlplugin.facts.dvc import _pipeline_schema

    def verdict(schema: Any) -> Any:
        try:
            schema(data)
        except Invalid as exc:
            first = getattr(exc, "errors", [exc])[0]
            return (first.path, first.msg)
        return "valid"

    assert verdict(_pipeline_schema()) == verdict(COMPILED_MULTI_STAGE_SCHEMA)


def test_a_metrics_file_inside_a_cached_directory_out_is_cached() -> None:
    """As iterative/example-get-started declares it: top-level ``metrics: [eval/metrics.json]``
    and a stage whose cached out is the directory ``eval``. git keeps no eval/metrics.json, so
    a past commit's metrics must read as DVC-cached (not as "no metrics")."""
    from mkdocs_mlplugin.facts.dvc import declared_metrics

    data = {
        "stages": {
            "evaluate": {"cmd": "python src/evaluate.py", "outs": ["eval"]},
            "report": {"cmd": "true", "outs": [{"reports": {"cache": False}}]},
        },
        "metrics": ["eval/metrics.json", "reports/metrics.json", "evaluation.json"],
    }
    assert declared_metrics(data, "dvc.yaml", "dvc.yaml") == {
        "eval/metrics.json": True,
        "reports/metrics.json": False,
        "evaluation.json": False,
    }
