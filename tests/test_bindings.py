"""A page's 'ml:' front matter, validated as a MkDocs Config (checks/bindings.py)."""

from __future__ import annotations

import pytest

from mkdocs_mlplugin.checks.bindings import Binding, validate
from mkdocs_mlplugin.findings import Finding

TAKES = (
    "it takes 'artifact: NAME' and/or 'stage: NAME', and optionally 'pin:' (and, on a model "
    "card, 'model_index:'); a record page takes 'record: KIND' (and, on a datasheet, "
    "'data: PATH')."
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"artifact": "clf"}, Binding("clf", None, None)),
        ({"stage": "train", "pin": "abcd12"}, Binding(None, "train", {"md5": "abcd12"})),
        ({"artifact": 2024, "pin": {"version": "v1"}}, Binding("2024", None, {"version": "v1"})),
        ({}, Binding()),
        (
            {"record": "datasheet", "data": "data/raw.csv"},
            Binding(record="datasheet", data="data/raw.csv"),
        ),
    ],
)
def test_valid_binding(data: object, expected: Binding) -> None:
    assert validate(data, "docs/a.md", 2) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["train"], f"front matter 'ml:': {TAKES}"),
        ({"artefact": "x", "stage": "t"}, f"front matter 'ml:': unknown key 'artefact'; {TAKES}"),
        (
            {"pin": {"md5": "xyz"}},
            "front matter 'ml:': 'pin: md5' must be 4 to 40 hexadecimal characters, not 'xyz'.",
        ),
        ({"stage": ["a"]}, "front matter 'ml:': 'stage': a name, not list, is expected."),
        (
            {"record": "adr"},
            "front matter 'ml:': 'record': 'adr' is no kind of record. Kinds: decision, debt, "
            "runbook, datasheet.",
        ),
        (
            {"record": "datasheet", "data": 3},
            "front matter 'ml:': 'data': a path (from the DVC project's root) is expected.",
        ),
    ],
)
def test_malformed_binding(data: object, message: str) -> None:
    assert validate(data, "docs/a.md", 2) == Finding("malformed_reference", message, "docs/a.md", 2)
