"""The fast YAML reader agrees with the one DVC uses (ruamel.yaml, YAML 1.2).

DVC reads params.yaml, dvc.yaml and dvc.lock with ruamel.yaml. The plugin reads them with
PyYAML's C loader for speed, configured for YAML 1.2: these tests prove the two agree, so a
param like ``lr: 1e-3`` or ``use_gpu: yes`` means the same to the plugin as to DVC.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mkdocs_mlplugin.facts.structured import parse_yaml
from mkdocs_mlplugin.facts.yaml_fast import YAML12_RESOLVERS, Loader
from mkdocs_mlplugin.findings import FindingError

WORDS = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "true",
    "True",
    "TRUE",
    "false",
    "FALSE",
    "tRue",
    "null",
    "Null",
    "NULL",
    "~",
    ".inf",
    "-.inf",
    "+.INF",
    ".nan",
    ".NaN",
    "=",
    "<<x",
]
digits = st.text("0123456789", min_size=1, max_size=4)
number = st.builds(
    lambda sign, prefix, body, frac, exp: f"{sign}{prefix}{body}{frac}{exp}",
    st.sampled_from(["", "-", "+"]),
    st.sampled_from(["", "", "0", "0o", "0x", "0b"]),
    st.one_of(digits, st.text("0123456789_abcdefABCDEF", min_size=1, max_size=5)),
    st.one_of(st.just(""), digits.map(lambda d: "." + d), st.just(".")),
    st.one_of(
        st.just(""),
        st.builds(
            lambda e, s, d: f"{e}{s}{d}",
            st.sampled_from("eE"),
            st.sampled_from(["", "-", "+"]),
            digits,
        ),
    ),
)
dates = st.sampled_from(
    [
        "2024-01-01",
        "2024-1-1",
        "2024-01-01T10:00:00Z",
        "2024-01-01 10:00:00.5 +02:00",
        "1:20",
        "190:20:30",
    ]
)
SCALAR = st.one_of(
    number, st.sampled_from(WORDS), dates, st.text("ab0.-_e", min_size=1, max_size=6)
)


def ruamel(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None) or a == b
    return type(a) is type(b) and a == b


@settings(max_examples=1500, deadline=None)
@given(st.lists(SCALAR, min_size=1, max_size=4))
def test_scalars_read_as_dvc_reads_them(values: list[str]) -> None:
    doc = (
        "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
        + "list:\n"
        + "".join(f"  - {v}\n" for v in values)
    )
    try:
        expected = ruamel(doc)
    except Exception:
        with pytest.raises(yaml.YAMLError):
            yaml.load(doc, Loader=Loader)  # noqa: S506
        return
    assert same(yaml.load(doc, Loader=Loader), expected), doc  # noqa: S506


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("lr: 1e-3", 0.001),
        ("use_gpu: yes", "yes"),
        ("mode: on", "on"),
        ("seed: 010", 10),
        ("mask: 0o17", 15),
        ("flag: True", True),
        ("size: 1_000", 1000),
        ("time: 1:20", "1:20"),
    ],
)
def test_values_that_yaml_1_1_would_misread(text: str, value: object) -> None:
    loaded = yaml.load(text, Loader=Loader)  # noqa: S506
    assert same(next(iter(loaded.values())), value)
    assert same(loaded, ruamel(text))


def test_a_duplicated_key_is_an_error_with_its_line_as_in_dvc() -> None:
    with pytest.raises(FindingError) as caught:
        parse_yaml("train:\n  lr: 0.1\n  epochs: 3\n  lr: 0.2\n", "params.yaml")
    finding = caught.value.finding
    assert (finding.file, finding.line) == ("params.yaml", 4)
    assert "duplicate key 'lr'" in finding.message


SCALAR_TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789+-._:eExXbBoOtTZ \tnNaAfFlLsSuU~<=!&*iI"))
)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(SCALAR, SCALAR_TEXT))
def test_the_implicit_types_are_ruamels_yaml_1_2_table(text: str) -> None:
    """The plugin writes out the YAML 1.2 table of implicit types instead of importing
    ruamel.yaml for it: the same tags, in the same order, for the same first characters, and
    each pattern takes the same plain scalars as ruamel's."""
    from ruamel.yaml.resolver import implicit_resolvers

    theirs = [(tag, rx, list(first)) for v, tag, rx, first in implicit_resolvers if (1, 2) in v]
    ours = [
        (f"tag:yaml.org,2002:{name}", re.compile(f"^(?:{pattern})$"), list(first))
        for name, pattern, first in YAML12_RESOLVERS
    ]
    assert [(t, f) for t, _, f in ours] == [(t, f) for t, _, f in theirs]
    for (tag, mine, _), (_, rx, _) in zip(ours, theirs, strict=True):
        assert bool(mine.match(text)) == bool(rx.match(text)), (tag, text)


class _General(Loader):
    """The same loader with PyYAML's general construction only."""

    def construct_document(self, node: Any) -> Any:
        return yaml.constructor.BaseConstructor.construct_document(self, node)


def _flow(draw: Any, depth: int, anchors: list[str]) -> str:
    """A flow-style YAML value: maps with few key names (so keys repeat), lists, scalars,
    anchors and aliases, merge keys, explicit tags."""
    kind = draw(st.sampled_from(["scalar", "scalar", "map", "list", "alias", "tag"]))
    if depth > 2 or kind == "scalar":
        return draw(st.one_of(SCALAR, st.sampled_from(["'quoted'", '"x: y"', "''"])))
    if kind == "alias":
        return f"*{draw(st.sampled_from(anchors))}" if anchors else "plain"
    if kind == "tag":
        tag = draw(st.sampled_from(["!!str", "!!int", "!!float", "!!timestamp", "!!set", "!x"]))
        return f"{tag} {draw(SCALAR)}"
    anchor = ""
    if draw(st.booleans()):
        anchors.append(f"a{len(anchors)}")
        anchor = f"&{anchors[-1]} "
    size = draw(st.integers(0, 3))
    if kind == "list":
        items = [_flow(draw, depth + 1, anchors) for _ in range(size)]
        return anchor + "[" + ", ".join(items) + "]"
    pairs = []
    for _ in range(size):
        key = draw(st.sampled_from(["a", "b", "c", "1", "01", "true", "null", "=", "<<"]))
        value = f"*{anchors[0]}" if key == "<<" and anchors else _flow(draw, depth + 1, anchors)
        pairs.append(f"{key}: {value}")
    return anchor + "{" + ", ".join(pairs) + "}"


@settings(max_examples=2000, deadline=None)
@given(st.data())
def test_the_direct_construction_gives_what_pyyaml_s_own_gives(data: Any) -> None:
    """Documents of maps, lists and plain scalars are built without PyYAML's general
    construction, for speed; with aliases, merges, duplicate keys, timestamps and tags they
    fall back to it. Either way the value, or the error, is PyYAML's own."""
    text = "doc: " + _flow(data.draw, 0, [])
    try:
        expected = yaml.load(text, Loader=_General)  # noqa: S506 - a safe loader
    except Exception as exc:  # PyYAML raises more than YAMLError ('!!timestamp yes')
        with pytest.raises(type(exc)) as caught:
            yaml.load(text, Loader=Loader)  # noqa: S506
        assert str(caught.value) == str(exc), text
        return
    # repr tells 1 from 1.0 and True, and stops at a list that holds itself
    assert repr(yaml.load(text, Loader=Loader)) == repr(expected), text  # noqa: S506


def test_a_dvc_lock_is_built_directly_and_an_alias_the_general_way(monkeypatch) -> None:
    lock = (
        "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n"
        "    - path: data.csv\n      md5: 3b1f\n      size: 120\n    outs:\n"
        "    - path: model.pkl\n      md5: 9c2e\n      size: 88\n      isexec: false\n"
    )
    general = []
    construct = yaml.constructor.BaseConstructor.construct_document
    monkeypatch.setattr(
        yaml.constructor.BaseConstructor,
        "construct_document",
        lambda self, node: general.append(node) or construct(self, node),
    )
    assert yaml.load(lock, Loader=Loader)["stages"]["train"]["outs"][0]["size"] == 88  # noqa: S506
    assert general == []
    shared = yaml.load("a: &x {n: 1}\nb: *x\n", Loader=Loader)  # noqa: S506
    assert shared["a"] is shared["b"]  # as PyYAML shares an aliased value
    assert len(general) == 1


@pytest.mark.parametrize(
    "text", ["x: !!timestamp yes", "x: !!timestamp 2024-13-45", "x: !!set [a]"]
)
def test_a_value_its_tag_cannot_read_is_an_error_naming_the_file(text: str) -> None:
    with pytest.raises(FindingError) as caught:
        parse_yaml(text, "params.yaml")
    finding = caught.value.finding
    assert finding.file == "params.yaml"
    assert finding.message.startswith("params.yaml is not valid YAML: ")


def test_an_old_lock_version_its_tags_cannot_read_counts_as_unreadable() -> None:
    from mkdocs_mlplugin.checks import drift

    assert isinstance(drift.parse(b"stages: !!timestamp yes\n"), drift.Unreadable)
    assert drift.parse(b"stages: {train: {cmd: run}}\n") == {"stages": {"train": {"cmd": "run"}}}


class _PyYAMLMerges(_General):
    """PyYAML's own merge keys and mapping construction, with the YAML 1.2 scalars."""

    flatten_mapping = yaml.constructor.SafeConstructor.flatten_mapping
    construct_mapping = yaml.constructor.SafeConstructor.construct_mapping


MERGE_KEYS = ["a", "b", "c", "d"]
MERGE_SCALAR = st.one_of(
    SCALAR, st.sampled_from(["'quoted'", '"x: y"', "''", "2024-01-01", "1e3", "0x1F", "yes"])
)


def _merging(draw: Any, anchors: list[tuple[str, str]], depth: int, block: str | None) -> str:
    """A value of a document with anchors, aliases and merge keys: a scalar of any type, a
    list, a mapping (anchored or not) that may merge one anchored mapping (``<<: *a``) or
    several (``<<: [*a, *b]``), with keys of its own before and after the merge that override
    the merged ones. ANCHORS holds (name, "list" | "map" | "merging") of those defined so far.
    BLOCK is the indentation for a block mapping, None for flow style."""
    kind = draw(st.sampled_from(["scalar", "scalar", "map", "map", "list", "alias"]))
    if kind == "alias" and anchors:
        return f"*{draw(st.sampled_from(anchors))[0]}"
    if depth > 2 or kind in ("scalar", "alias"):
        return draw(MERGE_SCALAR)
    anchor = f"a{len(anchors)}" if draw(st.booleans()) else ""
    if kind == "list":
        items = [_merging(draw, anchors, depth + 1, None) for _ in range(draw(st.integers(0, 3)))]
        if anchor:
            anchors.append((anchor, "list"))
        return f"&{anchor} " * bool(anchor) + "[" + ", ".join(items) + "]"
    keys = draw(st.lists(st.sampled_from(MERGE_KEYS), unique=True, max_size=3))
    pairs = [(k, _merging(draw, anchors, depth + 1, None)) for k in keys]
    maps = [name for name, what in anchors if what != "list"]
    if maps and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(maps), min_size=1, max_size=3))
        merge = " ".join(f"*{n}" for n in chosen)
        merge = merge if len(chosen) == 1 else "[" + merge.replace(" ", ", ") + "]"
        pairs.insert(draw(st.integers(0, len(pairs))), ("<<", merge))
    if anchor:
        anchors.append((anchor, "merging" if any(k == "<<" for k, _ in pairs) else "map"))
    if block is None or not pairs:
        body = "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    else:
        body = "".join(f"\n{block}{k}: {v}" for k, v in pairs)
    return f"&{anchor} " * bool(anchor) + body


def _in_order(value: Any) -> Any:
    """The keys of VALUE's mappings, nested, in their order (the values are compared apart)."""
    if isinstance(value, dict):
        return [(k, _in_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_in_order(v) for v in value]
    return None


@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_merge_keys_and_aliases_read_as_ruamel_and_pyyaml_read_them(data: Any) -> None:
    """Documents with anchors, aliases, merge keys (single and lists), keys overriding merged
    ones and every kind of scalar: the plugin reads each as ruamel.yaml does (DVC's reader:
    the same values, keys in the same order) and as PyYAML's own merge does (the same values),
    and fails where ruamel.yaml fails. PyYAML 6 alone lets a merged mapping's own merged keys
    win over its overrides of them (``<<: *m`` where m is ``{<<: *a, x: 2}`` gives a's x);
    there DVC's reader is followed and PyYAML is not asked."""
    anchors: list[tuple[str, str]] = []
    entries = [
        f"k{i}: {_merging(data.draw, anchors, 0, '  ')}"
        for i in range(data.draw(st.integers(1, 5)))
    ]
    text = "\n".join(entries) + "\n"
    try:
        expected = YAML(typ="safe").load(text)
    except Exception:
        with pytest.raises(FindingError) as caught:
            parse_yaml(text, "params.yaml")
        assert caught.value.finding.file == "params.yaml"
        return
    got = parse_yaml(text, "params.yaml")
    assert same(got, expected), text
    assert repr(_in_order(got)) == repr(_in_order(expected)), text
    merged = re.findall(r"<<: \[?([^\]\n}]*)", text)
    names = {name for line in merged for name in re.findall(r"\*(\w+)", line)}
    if not any(what == "merging" for name, what in anchors if name in names):
        assert same(got, yaml.load(text, Loader=_PyYAMLMerges)), text  # noqa: S506


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("base: &b {lr: 0.1, epochs: 3}\ntrain:\n  <<: *b\n  lr: 0.2\n", {"lr": 0.2, "epochs": 3}),
        (
            "a: &a {x: 1}\nc: &c {x: 2, z: 3}\ntrain:\n  <<: [*a, *c]\n  w: 4\n",
            {"x": 1, "z": 3, "w": 4},
        ),
        ("a: &a {x: 1}\ntrain:\n  x: 0\n  <<: *a\n  x: 5\n", {"x": 5}),
    ],
)
def test_a_merge_key_is_read_as_dvc_reads_it(text: str, value: dict[str, Any]) -> None:
    train = parse_yaml(text, "params.yaml")["train"]
    assert list(train.items()) == list(value.items())
    assert list(train.items()) == list(YAML(typ="safe").load(text)["train"].items())


def test_a_second_merge_key_is_an_error_with_its_line_as_in_dvc() -> None:
    text = "a: &a {x: 1}\nb: &b {y: 1}\ntrain:\n  <<: *a\n  <<: *b\n"
    with pytest.raises(Exception, match="duplicate merge key"):
        YAML(typ="safe").load(text)
    with pytest.raises(FindingError) as caught:
        parse_yaml(text, "params.yaml")
    finding = caught.value.finding
    assert (finding.file, finding.line) == ("params.yaml", 5)
    assert "duplicate merge key '<<'" in finding.message


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_the_direct_construction_counts_values_as_the_general_walk_does(data: Any) -> None:
    """A document built the direct way is not walked again: the count made while building it
    is the one measure() makes of the result."""
    from mkdocs_mlplugin.facts.structured import _children, measure
    from mkdocs_mlplugin.facts.yaml_fast import load

    text = "doc: " + _flow(data.draw, 0, [])
    try:
        value, counted = load(text)
    except Exception:  # errors are tested above
        return
    if counted is not None:
        assert counted == measure(value, _children)[0], text


def test_nesting_past_the_limit_leaves_the_direct_construction() -> None:
    from mkdocs_mlplugin.facts.yaml_fast import MAX_DEPTH, load

    assert load("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))[1] is not None
    assert load("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH)[1] is None
