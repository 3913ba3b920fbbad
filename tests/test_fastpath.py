"""The DVC files' common forms, read without DVC, agree with DVC.

``dvc_fast.certainly_valid`` may say True only where DVC's own schema accepts the document, and
``dvc_fast.resolve`` may answer only with what DVC's own resolver gives: both are compared with
DVC on generated documents, near-valid ones (a valid shape with one thing changed) and templated
pipelines whose references hit, miss, escape and name every kind of value. Each property also
checks that the fast path answered for a good share of the documents, so that it cannot pass by
declining everything; and files DVC itself writes take the fast path.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mkdocs_mlplugin.facts import dvc_fast
from mkdocs_mlplugin.facts.dvc import _ResolverRepo

# --- schema --------------------------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5000),
    st.floats(allow_nan=False),
    st.text(alphabet="ab0.", max_size=4),
    st.lists(st.text(alphabet="ab", max_size=2), max_size=2),
    st.dictionaries(st.text(alphabet="ab", max_size=2), st.integers(0, 3), max_size=2),
)
PATHS = st.text(alphabet="abc/._-", min_size=1, max_size=8)
CHECKSUM = st.one_of(
    st.none(), st.text(alphabet="0123456789abcdefABCDEF", max_size=34), st.integers(0, 99999)
)
FLAGS = {"cache": st.booleans(), "persist": st.booleans(), "push": st.booleans()}
ANNOTATION = {
    "desc": st.text(max_size=5),
    "type": st.sampled_from(["model", "data"]),
    "labels": st.lists(st.text(max_size=3), max_size=2),
    "meta": JUNK,
}
META = {"size": st.integers(0, 10**6), "nfiles": st.integers(0, 9), "isexec": st.booleans()}
HASHES = {"md5": CHECKSUM, "etag": CHECKSUM, "checksum": CHECKSUM, "hash": st.just("md5")}


def rarely(odd: Any, usual: Any) -> Any:
    """USUAL, and once in forty draws ODD."""
    return st.integers(0, 39).flatmap(lambda n: odd if n == 0 else usual)


def shaped(fields: dict[str, Any], required: tuple[str, ...] = ()) -> Any:
    """Mappings of FIELDS (REQUIRED ones nearly always there), sometimes with a key DVC does
    not know, sometimes with a field's value replaced by junk."""
    values = {key: rarely(JUNK, value) for key, value in fields.items()}
    must = {key: values[key] for key in required}
    may = {key: value for key, value in values.items() if key not in required}
    stray = {"unknown": JUNK}
    return st.one_of(
        *[st.fixed_dictionaries(must, optional=may)] * 12,
        st.fixed_dictionaries(must, optional={**may, **stray}),
        st.fixed_dictionaries({}, optional=values),
    )


OUT = st.one_of(PATHS, st.dictionaries(PATHS, shaped({**FLAGS, **ANNOTATION}), max_size=2))
AXIS = st.text(alphabet="xyz", max_size=3)
LABELS = {"title": AXIS, "x_label": AXIS, "y_label": AXIS, "template": AXIS}
PLOT_PROPS = shaped(
    {**FLAGS, **ANNOTATION, **LABELS, "x": AXIS, "y": AXIS, "header": st.booleans()}
)
STAGE_PLOT = st.one_of(PLOT_PROPS, st.lists(PLOT_PROPS, max_size=2))
PLOT = st.one_of(
    st.none(),
    shaped(
        {
            **LABELS,
            "x": st.one_of(AXIS, st.dictionaries(PATHS, AXIS, max_size=2)),
            "y": st.one_of(
                AXIS,
                st.lists(AXIS, max_size=2),
                st.dictionaries(PATHS, st.one_of(AXIS, st.lists(AXIS, max_size=2)), max_size=2),
            ),
        }
    ),
)
STAGE = shaped(
    {
        "cmd": st.one_of(st.text(max_size=8), st.lists(st.text(max_size=4), max_size=2)),
        "wdir": PATHS,
        "deps": st.lists(PATHS, max_size=3),
        "params": st.lists(st.one_of(PATHS, st.just({"p.yaml": ["a"]})), max_size=2),
        "outs": st.lists(OUT, max_size=3),
        "metrics": st.lists(OUT, max_size=2),
        "plots": st.lists(st.one_of(PATHS, st.dictionaries(PATHS, STAGE_PLOT)), max_size=2),
        "frozen": st.booleans(),
        "always_changed": st.booleans(),
        "desc": st.text(max_size=5),
        "meta": JUNK,
        "vars": st.lists(st.one_of(PATHS, st.just({"a": 1})), max_size=2),
        "matrix": st.just({"a": [1, 2]}),
    },
    required=("cmd",),
)
FOREACH = shaped(
    {"foreach": st.one_of(st.lists(JUNK, max_size=2), st.just("${a}")), "do": STAGE},
    required=("foreach", "do"),
)
PIPELINE = shaped(
    {
        "stages": st.dictionaries(st.text(alphabet="abc@", max_size=4), STAGE | FOREACH),
        "vars": st.lists(st.one_of(PATHS, st.just({"a": 1})), max_size=2),
        "params": st.lists(PATHS, max_size=2),
        "metrics": st.lists(PATHS, max_size=2),
        "plots": st.lists(st.one_of(PATHS, st.dictionaries(PATHS, PLOT, max_size=2)), max_size=2),
        "artifacts": st.dictionaries(PATHS, shaped({"path": PATHS, **ANNOTATION}, ("path",))),
        "datasets": JUNK,
    }
)
ENTRY = shaped({"path": PATHS, **HASHES, **META}, required=("path",))
LOCK = shaped(
    {
        "schema": st.sampled_from(["2.0", "2.0", 2.0, "1.0"]),
        "stages": st.dictionaries(
            st.text(alphabet="ab", max_size=3),
            shaped(
                {
                    "cmd": st.one_of(st.text(max_size=5), st.lists(st.text(max_size=3))),
                    "deps": st.lists(ENTRY, max_size=2),
                    "outs": st.lists(ENTRY, max_size=2),
                    "params": st.dictionaries(
                        PATHS, st.dictionaries(st.text(max_size=3), JUNK), max_size=2
                    ),
                },
                required=("cmd",),
            ),
            max_size=3,
        ),
    },
    required=("schema",),
)
TRACKED = shaped(
    {
        "outs": st.lists(shaped({"path": PATHS, **HASHES, **META, **FLAGS, **ANNOTATION})),
        "deps": st.lists(shaped({"path": PATHS, **HASHES, **META}), max_size=1),
        "md5": CHECKSUM,
        "wdir": st.one_of(PATHS, st.none()),
        "frozen": st.booleans(),
        "desc": st.text(max_size=3),
    }
)


def dvc_accepts(data: Any, what: str) -> bool:
    from dvc import schema
    from voluptuous import Invalid

    checker = {
        "pipeline": schema.COMPILED_MULTI_STAGE_SCHEMA,
        "lock": schema.COMPILED_LOCKFILE_SCHEMA,
        "tracked": schema.COMPILED_SINGLE_STAGE_SCHEMA,
    }[what]
    try:
        checker(data)
    except Invalid:
        return False
    return True


def agrees_with_dvc(documents: Any, what: str) -> None:
    """Whatever the fast check accepts, DVC's schema accepts; and the fast check accepts most
    of what DVC accepts, so it does not pass by declining everything."""
    verdicts = []

    @settings(max_examples=300, deadline=None)
    @given(documents)
    def check(data: Any) -> None:
        fast, dvc = dvc_fast.certainly_valid(data, what), dvc_accepts(data, what)
        verdicts.append((fast, dvc))
        assert dvc or not fast, "DVC's schema refuses a document the fast check took as valid"

    check()
    fast = sum(f for f, _ in verdicts)
    dvc = sum(d for _, d in verdicts)
    print(what, fast, dvc, len(verdicts))
    assert dvc >= len(verdicts) // 5 and fast >= dvc // 2, f"{fast} fast, {dvc} DVC"


def test_a_pipeline_the_fast_check_accepts_is_one_dvc_accepts() -> None:
    agrees_with_dvc(PIPELINE, "pipeline")


def test_a_lock_the_fast_check_accepts_is_one_dvc_accepts() -> None:
    agrees_with_dvc(LOCK, "lock")


def test_a_dvc_file_the_fast_check_accepts_is_one_dvc_accepts() -> None:
    agrees_with_dvc(TRACKED, "tracked")


# --- resolver ------------------------------------------------------------------------------

NAMES = ["lr", "seed", "train", "model", "a-b", "x_1", "n"]
SCALAR = rarely(
    st.none(),
    st.one_of(
        st.booleans(),
        st.integers(-3, 100),
        st.sampled_from([0.1, 1e-05, 1e20, 2.0, -0.0]),
        st.text(alphabet="ab $-{}\\.:", max_size=6),
    ),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner),
    max_leaves=10,
)
PARAMS = st.dictionaries(st.sampled_from(NAMES), VALUE, max_size=5)


def dotted(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted name, value) for every name in DATA that leads through mappings only."""
    names = []
    if isinstance(data, dict):
        for key, value in data.items():
            names.append((prefix + key, value))
            names += dotted(value, prefix + key + ".")
    return names


def texts(names: Any) -> Any:
    """Strings with references to NAMES: whole, inside text, two in a row, and (rarely)
    escaped; or no reference at all."""
    reference = names.map(lambda n: "${" + n + "}")
    return st.one_of(
        reference,
        st.tuples(st.text(alphabet="ab -", max_size=3), reference, st.text(max_size=3)).map(
            "".join
        ),
        st.tuples(reference, st.just(" "), reference).map("".join),
        rarely(reference.map(lambda r: "\\" + r), st.text(alphabet="ab-/", max_size=5)),
    )


def stage_of(text: Any) -> Any:
    stage = st.fixed_dictionaries(
        {"cmd": st.one_of(text, st.lists(text, min_size=1, max_size=2))},
        optional={
            "deps": st.lists(text, max_size=2),
            "outs": st.lists(
                st.one_of(text, st.dictionaries(text, st.just({"cache": False}), max_size=1)),
                max_size=2,
            ),
            "params": st.lists(text, max_size=2),
            "wdir": text,
            "desc": text,
            "frozen": st.booleans(),
            "meta": st.dictionaries(st.sampled_from(["k", "${lr}"]), text, max_size=1),
        },
    )
    return rarely(stage.map(lambda d: {**d, "vars": [{"extra": 1}]}), stage)


@st.composite
def templated_pipeline(draw: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(params.yaml, more.yaml, dvc.yaml) where strings reference names of scalars, of lists and
    mappings, of nothing, item and key, list indices, escaped references, and so on."""
    params = draw(PARAMS)
    if draw(st.booleans()):
        params["flags"] = draw(st.lists(st.booleans() | st.integers(0, 2), min_size=1, max_size=3))
    more = draw(st.dictionaries(st.sampled_from(NAMES), VALUE, max_size=2))
    params.update(draw(rarely(st.fixed_dictionaries({"item": SCALAR}), st.just({}))))
    named = dotted(params) + dotted(more)
    scalars = [name for name, value in named if isinstance(value, (str, int, float))]
    others = [name for name, value in named if name not in scalars]
    odd = [*others, "missing", "lr[0]", " lr ", "lr.", "item.0", "a b", "item", "key"]
    usual = st.sampled_from(scalars) if scalars else st.sampled_from(odd)
    outside = texts(rarely(st.sampled_from(odd), usual))
    inside = texts(
        rarely(st.sampled_from(odd), usual | st.sampled_from(["item", "key", "item.lr"]))
    )
    item_names = {  # a foreach source, and the names its stages can use
        "scalars": (st.lists(SCALAR, max_size=3), ["item"]),
        "records": (st.lists(st.fixed_dictionaries({"lr": SCALAR}), max_size=2), ["item.lr"]),
        "mapping": (
            st.dictionaries(
                st.sampled_from(["a", "b", "1"]), st.fixed_dictionaries({"lr": SCALAR})
            ),
            ["item.lr", "key"],
        ),
        "context": (st.sampled_from(others or ["missing"]).map(lambda n: "${" + n + "}"), ["item"]),
        "odd": (outside, ["item", "key", "item.lr"]),
    }
    stages = {}
    for stage_name in draw(st.lists(st.sampled_from(["prep", "train", "eval"]), unique=True)):
        source, names = item_names[draw(st.sampled_from(sorted(item_names)))]
        inside = texts(rarely(st.sampled_from(odd), usual | st.sampled_from(names)))
        stages[stage_name] = draw(
            st.one_of(
                stage_of(outside),
                st.fixed_dictionaries({"foreach": source, "do": stage_of(inside)}),
            )
        )
    dvc_yaml = draw(
        st.fixed_dictionaries(
            {"stages": st.just(stages)},
            optional={
                "vars": st.lists(
                    st.one_of(
                        st.just("more.yaml"),
                        st.just("params.yaml"),
                        st.just("absent.yaml"),
                        st.just("more.yaml:lr"),
                        st.dictionaries(st.sampled_from(NAMES), VALUE, max_size=2),
                    ),
                    max_size=2,
                ),
                "metrics": st.lists(rarely(outside, st.just("m.json")), max_size=1),
                "artifacts": st.dictionaries(
                    rarely(st.just("${n}"), st.just("clf")),
                    st.fixed_dictionaries({"path": rarely(outside, st.just("model.pkl"))}),
                ),
            },
        )
    )
    return params, more, dvc_yaml


def dvc_resolves(root: Path, data: dict[str, Any]) -> Any:
    from dvc.exceptions import DvcException
    from dvc.parsing import DataResolver

    try:
        resolver = DataResolver(_ResolverRepo(root, {}), str(root), data)
        return (
            resolver.resolve().get("stages") or {},
            resolver.resolve_artifacts() or {},
            resolver.resolve_metrics() or [],
        )
    except DvcException as exc:
        return exc


def typed(value: Any) -> str:
    """VALUE in a form that tells True from 1 and 1 from 1.0, and keeps key order."""
    return json.dumps(value)


def revision(root: Path) -> dvc_fast.Read:
    """A reader of the files at ROOT as another revision's reader gives them."""

    def read(file: str) -> str | None:
        path = root / file
        return path.read_text("utf-8") if path.is_file() else None

    return read


def test_a_pipeline_the_fast_resolver_expands_is_expanded_the_same_by_dvc() -> None:
    answered = []

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(templated_pipeline())
    def check(pipeline: Any) -> None:
        params, more, dvc_yaml = pipeline
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "params.yaml").write_text(json.dumps(params))  # JSON is YAML 1.2
            (root / "more.yaml").write_text(json.dumps(more))
            fast = dvc_fast.resolve(root, "dvc.yaml", dvc_yaml)
            answered.append(fast is not None)
            # the same files given as another revision's (a commit's, from git)
            loaded: list[str] = []
            written = dvc_fast.resolve(root, "dvc.yaml", dvc_yaml, revision(root), loaded)
            assert typed(written) == typed(fast)
            if fast is not None:
                more = ["more.yaml"] if "more.yaml" in dvc_yaml.get("vars", []) else []
                assert loaded == ["params.yaml", *more]
            if fast is not None:
                slow = dvc_resolves(root, dvc_yaml)
                assert not isinstance(slow, Exception), (
                    f"DVC fails where the fast path did not: {slow}"
                )
                assert typed(fast) == typed(slow)

    check()
    assert sum(answered) >= len(answered) // 5, (
        f"fast path answered {sum(answered)}/{len(answered)}"
    )


def test_the_examples_files_take_the_fast_path() -> None:
    """The example's dvc.yaml (${...} params, a metrics file, a stage's plot template), its
    lock and .dvc file are read without DVC, and its dvc.yaml the same as DVC reads it."""
    root = ROOT / "example_site"
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text("utf-8"))
    assert dvc_fast.certainly_valid(pipeline, "pipeline")
    assert dvc_fast.certainly_valid(yaml.safe_load((root / "dvc.lock").read_text()), "lock")
    tracked = yaml.safe_load((root / "data/raw/reviews.csv.dvc").read_text("utf-8"))
    assert dvc_fast.certainly_valid(tracked, "tracked")
    fast = dvc_fast.resolve(root, "dvc.yaml", pipeline)
    assert fast is not None
    assert typed(fast) == typed(dvc_resolves(root, pipeline))
    assert fast[0]["evaluate"]["plots"][0]["eval/predictions.csv"]["template"] == "confusion"


def test_dvc_written_files_and_the_usual_templates_take_the_fast_path(pipeline: Repo) -> None:
    """What ``dvc stage add``, ``dvc repro`` and ``dvc add`` write, and a dvc.yaml with vars,
    foreach over a list, a mapping and a params list, and ${} in commands, paths and wdir, is
    read without DVC, and the same as DVC reads it."""
    root = pipeline.path
    assert dvc_fast.certainly_valid(yaml.safe_load(pipeline.read("dvc.yaml")), "pipeline")
    assert dvc_fast.certainly_valid(yaml.safe_load(pipeline.read("dvc.lock")), "lock")
    assert dvc_fast.certainly_valid(yaml.safe_load(pipeline.read("data/raw.csv.dvc")), "tracked")

    pipeline.write("more.yaml", "models:\n  small: {size: 1}\n  large: {size: 8}\nsplits: [a, b]\n")
    template = yaml.safe_load(
        """
vars: [more.yaml, {out: data/features}]
stages:
  featurize:
    foreach: ${splits}
    do:
      cmd: python featurize.py --split ${item} --seed ${prepare.seed}
      deps: ["data/${item}.csv"]
      outs: [{"${out}/${item}": {cache: false}}]
  train:
    foreach: ${models}
    do:
      cmd: ["python train.py --size ${item.size} --lr ${train.lr}", "echo ${key}"]
      wdir: models/${key}
      params: [train.lr]
      outs: [model.pkl]
  evaluate:
    foreach: [1, 2.5, true]
    do:
      cmd: python evaluate.py --fold ${item}
      metrics: [{"metrics-${item}.json": {cache: false}}]
"""
    )
    assert dvc_fast.certainly_valid(template, "pipeline")
    fast = dvc_fast.resolve(root, "dvc.yaml", template)
    assert fast is not None
    assert typed(fast) == typed(dvc_resolves(root, template))
    assert list(fast[0]) == [
        "featurize@a",
        "featurize@b",
        "train@small",
        "train@large",
        "evaluate@1",
        "evaluate@2.5",
        "evaluate@true",
    ]
    assert fast[0]["train@large"]["cmd"] == ["python train.py --size 8 --lr 0.05", "echo large"]


CORNERS = {
    # a list from params is named by str(): True, not true as for a list written in dvc.yaml
    "named from params": (
        {"flags": [True, False, 1]},
        {"stages": {"s": {"foreach": "${flags}", "do": {"cmd": "run ${item}"}}}},
        ["s@True", "s@False", "s@1"],
    ),
    "named as written": (
        {},
        {"stages": {"s": {"foreach": [True, 1.5, "x"], "do": {"cmd": "run ${item}"}}}},
        ["s@true", "s@1.5", "s@x"],
    ),
    "records by index": (
        {},
        {"stages": {"s": {"foreach": [{"lr": 1}, {"lr": 2}], "do": {"cmd": "${item.lr}"}}}},
        ["s@0", "s@1"],
    ),
    "mapping keys as text": (
        {},
        {"stages": {"s": {"foreach": {1: {"lr": 1}}, "do": {"cmd": "${key}:${item.lr}"}}}},
        ["s@1"],
    ),
    "nested merge": (
        {"train": {"lr": 1}},
        {
            "vars": [{"train": {"epochs": 2}}],
            "stages": {"t": {"cmd": "${train.lr} ${train.epochs}"}},
        },
        ["t"],
    ),
    "numbers in text": (
        {"lr": 1e-05, "big": 1e20, "on": True},
        {"stages": {"t": {"cmd": "--lr ${lr} --big ${big} --on ${on}", "desc": "${on}"}}},
        ["t"],
    ),
    "key in a mapping": (
        {"out": "data"},
        {"stages": {"t": {"cmd": "x", "outs": [{"${out}/m.pkl": {"cache": False}}]}}},
        ["t"],
    ),
    # outside the subset: DVC decides (an error, a warning or its own rules)
    "escaped": ({"lr": 1}, {"stages": {"t": {"cmd": "echo \\${lr} ${lr}"}}}, None),
    "redefined": ({"lr": 1}, {"vars": [{"lr": 2}], "stages": {"t": {"cmd": "${lr}"}}}, None),
    "selected keys": ({"lr": 1}, {"vars": ["params.yaml:lr"], "stages": {"t": {"cmd": "x"}}}, None),
    "missing vars file": ({}, {"vars": ["absent.yaml"], "stages": {"t": {"cmd": "x"}}}, None),
    "mapping in a command": ({"train": {"lr": 1}}, {"stages": {"t": {"cmd": "${train}"}}}, None),
    "list index": ({"lrs": [1, 2]}, {"stages": {"t": {"cmd": "${lrs[0]}"}}}, None),
    "item in params": (
        {"item": 1},
        {"stages": {"s": {"foreach": [1], "do": {"cmd": "${item}"}}}},
        None,
    ),
    "empty member name": ({}, {"stages": {"s": {"foreach": [""], "do": {"cmd": "x"}}}}, None),
    "date": ({"lr": "2024-01-01"}, {"stages": {"t": {"cmd": "x"}}}, ["t"]),
    "none": ({"lr": None}, {"stages": {"t": {"cmd": "--lr ${lr}"}}}, None),
}


@pytest.mark.parametrize("case", list(CORNERS))
def test_the_fast_resolver_follows_dvc_on_corner_cases(case: str, tmp_path: Path) -> None:
    """Where the fast resolver answers, its stages (names and values) are DVC's; where DVC has
    rules of its own, errors or warnings, it leaves the file to DVC."""
    params, dvc_yaml, names = CORNERS[case]
    (tmp_path / "params.yaml").write_text(json.dumps(params))
    fast = dvc_fast.resolve(tmp_path, "dvc.yaml", dvc_yaml)
    if names is None:
        assert fast is None, "left to DVC"
        return
    assert fast is not None
    assert list(fast[0]) == names
    assert typed(fast) == typed(dvc_resolves(tmp_path, dvc_yaml))
