"""Hostile values in a real DVC project: YAML merge keys, integers longer than Python reads,
nesting deeper than Python recurses, mapping keys of mixed types, lock fields of the wrong type.

Each scenario edits a copy of the ``pipeline`` fixture (a real three-stage DVC project in a
real git repository), runs a real ``mkdocs build --strict`` and asserts what the user sees:
the exit status, each finding naming the file and line, and never a traceback. Where DVC
reads the same files, the real ``dvc`` command is asked too.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from conftest import Repo
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
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


# --------------------------------------------------------------------------- callback stages


def test_a_stage_with_no_deps_and_no_outs_is_always_changed_as_dvc_status_says(
    pipeline: Repo,
) -> None:
    """DVC runs a "callback" stage (a command, no deps, params or outs) on every repro and
    `dvc status` calls it always changed; a stage with no deps but an output is not one."""
    pipeline.dvc("stage", "add", "-q", "-n", "notify", "echo done")
    pipeline.dvc("stage", "add", "-q", "-n", "stamp", "-o", "stamp.txt", "echo v1 > stamp.txt")
    pipeline.dvc("repro", "-q", "notify", "stamp")
    pipeline.write(".gitignore", pipeline.read(".gitignore") + "/stamp.txt\n")
    _site(pipeline, "# Home\n\n{ml stage notify status} {ml stage stamp status}\n")
    status = pipeline.dvc("status", "--json")
    assert json.loads(status) == {"notify": ["always changed"]}, status
    dvc_yaml = pipeline.read("dvc.yaml")
    expect(
        pipeline.build("--strict"),
        E(
            f"dvc.yaml:{line_of(dvc_yaml, 'notify:')}: stage 'notify' is stale: always changed. "
            "Run 'dvc repro notify' and commit dvc.lock. [stale_pipeline]"
        ),
    )
    # the manifest, as `mkdocs-ml manifest` prints it: stamp is current
    result = pipeline.run(sys.executable, "-m", "mkdocs_mlplugin.cli", "manifest", check=False)
    stages = json.loads(result.stdout)["projects"][0]["stages"]
    states = {s["name"]: s["status"]["state"] for s in stages}
    assert (states["notify"], states["stamp"]) == ("stale", "current"), result.stderr


# --------------------------------------------------------------------------- mkdocs serve


def _vars_site(repo: Repo) -> None:
    """dvc.yaml reads a vars file (top-level 'vars:') and a stage its own ('vars:' in the
    stage); the train stage's description comes from them."""
    repo.write("config/top.yaml", "model:\n  kind: upper-casing\n")
    repo.write("config/train.yaml", "note:\n  text: first version\n")
    dvc_yaml = repo.read("dvc.yaml").replace(
        "  train:\n",
        "  train:\n    vars:\n    - config/train.yaml\n"
        "    desc: ${model.kind} model, ${note.text}\n",
        1,
    )
    (repo.path / "dvc.yaml").write_text("vars:\n- config/top.yaml\n" + dvc_yaml, "utf-8")
    repo.site({"index.md": "# Home\n\nDesc: {ml stage train desc}.\n"})
    repo.commit("Docs", date="2024-02-01T10:00:00+00:00")
    assert "up to date" in repo.dvc("status")


def test_the_watched_files_include_every_vars_file_the_build_read(
    pipeline: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    _vars_site(pipeline)
    monkeypatch.chdir(pipeline.path)
    config = load_config(str(pipeline.path / "mkdocs.yml"), site_dir=str(pipeline.home / "s"))
    build(config)
    page = (pipeline.home / "s" / "index.html").read_text("utf-8")
    assert "upper-casing model, first version" in page
    watched = {
        p.relative_to(pipeline.path).as_posix() for p in config.plugins["mlplugin"].watched()
    }
    assert {"config/top.yaml", "config/train.yaml", "params.yaml", "dvc.yaml"} <= watched


def test_a_vars_file_edit_rebuilds_the_served_site(pipeline: Repo) -> None:
    from test_serve import serving, wait_for

    _vars_site(pipeline)
    with serving(pipeline) as url:
        wait_for(url, "Desc: upper-casing model, first version.")
        pipeline.write("config/train.yaml", "note:\n  text: second version\n")
        wait_for(url, "Desc: upper-casing model, second version.")
        pipeline.write("config/top.yaml", "model:\n  kind: lower-casing\n")
        wait_for(url, "Desc: lower-casing model, second version.")


# --------------------------------------------------------------------------- keys of mixed types

MIXED = "1: one\nfalse: no-key\n2024-01-01: new-year\nnested:\n  1: x\n  a: y\n  2024-01-01: z\n"


def test_params_keys_of_mixed_types_and_dates_are_shown(pipeline: Repo) -> None:
    """YAML reads `1:`, `false:` and `2024-01-01:` as a number, a boolean and a date: the
    page, the params table and the manifest show them; DVC reads the file too."""
    pipeline.write("params.yaml", pipeline.read("params.yaml") + MIXED)
    _site(
        pipeline,
        "# Home\n\nx={ml param nested.1} z={ml param nested.2024-01-01}\n\n{ml params-table}\n",
    )
    assert "up to date" in pipeline.dvc("status")
    build = pipeline.build("--strict")
    expect(build)
    page = build.page("")
    assert value(page, "param nested.1") == "x"
    assert value(page, "param nested.2024-01-01") == "z"
    assert "new-year" in page
    params = build.manifest()["projects"][0]["params"]["params.yaml"]
    assert params["nested"] == {"1": "x", "a": "y", "2024-01-01": "z"}


@pytest.mark.parametrize("file", ["dvc.yaml", "dvc.lock"])
def test_stage_names_of_mixed_types_are_a_finding_at_their_line(pipeline: Repo, file: str) -> None:
    text = pipeline.read(file)
    text = text.replace(
        "stages:\n", "stages:\n  1:\n    cmd: echo one\n  2024-01-01:\n    cmd: echo d\n", 1
    )
    (pipeline.path / file).write_text(text, "utf-8")
    _site(pipeline)
    assert "expected str" in pipeline.run(sys.executable, "-m", "dvc", "status", check=False).stderr
    line = line_of(text, "  1:")
    expect(
        pipeline.build("--strict"),
        E(
            f"{file}:{line}: {file}: expected str at 'stages.1' (DVC's schema for this file). [invalid_project_file]"
        ),
        allowed=(
            *FOLLOW_UPS,
            W(rx(r"docs/index\.md:\d+: .* \[missing_value\]")),
            E(rx(r"docs/index\.md:\d+: .* \[missing_reference\]")),
            I(rx(r"dvc\.yaml:\d+: .* \[unverifiable_stage\]")),
        ),
    )


# --------------------------------------------------------------------------- lock fields


def test_lock_fields_of_the_wrong_type_give_findings_not_tracebacks(pipeline: Repo) -> None:
    """`md5: 1234` (DVC's own `dvc status` fails on it with "unexpected error") is the text
    1234, so the dep it records is modified; a 401-digit size is shown, not a traceback."""
    lock = pipeline.read("dvc.lock")
    raw_md5 = re.search(r"path: data/raw\.csv\n\s+hash: md5\n\s+md5: (\w+)", lock)
    model = re.search(r"path: models/model\.txt\n\s+hash: md5\n\s+md5: \w+\n\s+size: (\d+)", lock)
    assert raw_md5 and model, lock
    lock = lock[: model.start(1)] + "9" * 401 + lock[model.end(1) :]
    lock = lock.replace(f"md5: {raw_md5.group(1)}", "md5: 1234", 1)  # prepare's dep
    (pipeline.path / "dvc.lock").write_text(lock, "utf-8")
    _site(pipeline, "# Home\n\n{ml out models/model.txt size}\n")
    failed = pipeline.run(sys.executable, "-m", "dvc", "status", check=False)
    assert "unexpected error" in failed.stdout + failed.stderr
    expect(
        pipeline.build("--strict"),
        E(
            "dvc.yaml:2: stage 'prepare' is stale: changed deps: modified data/raw.csv. "
            "Run 'dvc repro prepare' and commit dvc.lock. [stale_pipeline]"
        ),
    )
    config = pipeline.read("mkdocs.yml").replace(
        "mlplugin: {}", "mlplugin: {checks: {stale_pipeline: info}}"
    )
    (pipeline.path / "mkdocs.yml").write_text(config, "utf-8")
    build = pipeline.build()
    assert build.ok, build.output
    assert value(build.page(""), "out models/model.txt size") == f"{int('9' * 401) // 1024**4} TiB"


# --------------------------------------------------------------------------- any document

KEY = st.one_of(
    st.text(max_size=6), st.integers(-5, 5), st.booleans(), st.none(), st.dates(), st.floats()
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(10**400, 10**402),
    st.floats(),
    st.text(max_size=12),
    st.dates(),
)
DOCUMENT = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
    max_leaves=15,
)


def _nest(value: object, depth: int) -> object:
    for _ in range(depth):
        value = [value]
    return value


def _as_text(value: object, how: str) -> str:
    if how == "json":
        import json as _json

        return _json.dumps(render_json_keys(value), default=str)
    import yaml

    return yaml.safe_dump(value, default_flow_style=how == "flow", allow_unicode=True)


def render_json_keys(value: object) -> object:
    from mkdocs_mlplugin.render import json_keys

    return json_keys(value)


@pytest.fixture(scope="module")
def any_document_site(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    from conftest import init_repo, make_pipeline

    base = tmp_path_factory.mktemp("anydoc")
    repo = init_repo(base / "repo", base)
    make_pipeline(repo)
    card = "---\nml:\n  artifact: classifier\n---\n# Card\n\n{ml provenance}\n\n{ml params-table}\n"
    page = (
        "# Home\n\n{ml param train.lr} {ml metric accuracy} {ml out models/model.txt size}\n\n"
        "{ml params-table}\n\n{ml metrics-table}\n\n{ml pipeline}\n"
    )
    repo.site(
        {"index.md": page, "card.md": card},
        plugin={"timeline_page": "tl.md", "checks": {"card_section": "ignore"}},
    )
    repo.commit("Docs", date="2024-02-01T10:00:00+00:00")
    return repo


@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.sampled_from(["params.yaml", "metrics.json", "dvc.lock"]),
    DOCUMENT,
    st.sampled_from(["block", "flow", "json"]),
    st.sampled_from([0, 0, 0, 120]),
    st.booleans(),
    st.sampled_from(["md5", "size", "nfiles", "hash", "path", "cache"]),
)
def test_any_document_as_params_metrics_or_lock_builds_or_names_the_file(
    any_document_site: Repo,
    file: str,
    document: object,
    how: str,
    depth: int,
    inside: bool,
    field: str,
) -> None:
    """Whatever the shape of params.yaml, metrics.json or dvc.lock, or of one value in them
    (any values, keys of any type, numbers longer than Python reads, nesting past the limit,
    YAML or JSON), an in-process build either succeeds or fails with findings, one of them
    naming the file: never another exception."""
    import logging

    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, PluginError

    repo = any_document_site
    original = repo.read(file)
    value = _nest(document, depth)
    if inside:  # in a file that is otherwise as the pipeline wrote it
        data = yaml.safe_load(original)
        if file == "dvc.lock":
            data["stages"]["train"]["outs"][0][field] = value
        else:
            data["x"] = value
        value = data
    text = _as_text(value, "json" if file.endswith(".json") else how)
    (repo.path / file).write_text(text, "utf-8")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs.plugins.mlplugin")
    logger.addHandler(handler)
    try:
        config = load_config(str(repo.path / "mkdocs.yml"), site_dir=str(repo.home / "anydoc-site"))
        try:
            build(config)
        except (Abort, PluginError):
            assert any(file in message for message in records), (text[:500], records)
    finally:
        logger.removeHandler(handler)
        (repo.path / file).write_text(original, "utf-8")
