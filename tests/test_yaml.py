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

from mkdocs_mlplugin.files import YAML12_RESOLVERS, Loader, parse_yaml
from mkdocs_mlplugin.findings import MLPluginError

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
    with pytest.raises(MLPluginError) as caught:
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
    with pytest.raises(MLPluginError) as caught:
        parse_yaml(text, "params.yaml")
    finding = caught.value.finding
    assert finding.file == "params.yaml"
    assert finding.message.startswith("params.yaml is not valid YAML: an explicitly tagged")


def test_an_old_lock_version_its_tags_cannot_read_counts_as_unreadable() -> None:
    from mkdocs_mlplugin import drift

    assert drift.parse(b"stages: !!timestamp yes\n") is None
    assert drift.parse(b"stages: {train: {cmd: run}}\n") == {"stages": {"train": {"cmd": "run"}}}
