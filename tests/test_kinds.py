"""The kinds of finding are one list (``findings.KINDS``): the config's ``checks:`` options are
built from it, every kind the package reports is on it and every kind on it is reported
somewhere, and the README's ``checks:`` list is the same list, names, default severities and
descriptions."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from mkdocs_mlplugin.config import ChecksConfig, MLConfig
from mkdocs_mlplugin.findings import KIND_NAMES, KINDS, SEVERITIES, Finding

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mkdocs_mlplugin"
README = ROOT / "README.md"

# the README's checks: list, one line a kind, as under "## Options"
README_INDENT = " " * 8
README_KEY_WIDTH = 27  # the longest "name: severity" and then the comments line up


def readme_line(name: str, severity: str, description: str) -> str:
    return f"{README_INDENT}{f'{name}: {severity}':<{README_KEY_WIDTH}} # {description}"


def _takes_kind(param: ast.arg) -> bool:
    return param.arg == "kind" and getattr(param.annotation, "id", None) == "str"


def _kind_parameters(trees: list[ast.Module]) -> dict[str, int]:
    """Functions of the package with a ``kind: str`` parameter, and the position of that
    parameter in a call (``self`` and ``cls`` not counted); ``Finding`` takes it first."""
    found = {"Finding": 0}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [*node.args.posonlyargs, *node.args.args]
            if params and params[0].arg in ("self", "cls"):
                params = params[1:]
            for index, param in enumerate([*params, *node.args.kwonlyargs]):
                if _takes_kind(param):
                    found[node.name] = index if index < len(params) else -1
    return found


@functools.cache
def _literal_kinds() -> tuple[tuple[str, str], ...]:
    """Every kind the package spells out as a string where a kind is expected: the first
    argument of ``Finding(...)``, the ``kind`` argument of a function taking one, the default
    of such a parameter. Returns (where, kind) pairs."""
    modules = sorted(PACKAGE.rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in modules]
    takes_kind = _kind_parameters(trees)
    literals: list[tuple[str, str]] = []
    for path, tree in zip(modules, trees, strict=True):
        shown = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", None)
                if name in takes_kind:
                    index = takes_kind[name]
                    if 0 <= index < len(node.args):
                        values.append(node.args[index])
                    values += [kw.value for kw in node.keywords if kw.arg == "kind"]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                positional = [*args.posonlyargs, *args.args]
                defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
                pairs = [
                    *zip(positional, defaults, strict=True),
                    *zip(args.kwonlyargs, args.kw_defaults, strict=True),
                ]
                values += [d for param, d in pairs if d is not None and _takes_kind(param)]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    literals.append((f"{shown}:{value.lineno}", value.value))
    return tuple(literals)


def test_every_kind_is_defined_once_with_a_severity():
    names = [kind.name for kind in KINDS]
    assert len(names) == len(set(names)) == len(KIND_NAMES)
    for kind in KINDS:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", kind.name), kind
        assert kind.severity in SEVERITIES and kind.severity != "ignore", kind
        assert kind.description and "\n" not in kind.description, kind


def test_every_kind_the_package_spells_is_defined():
    literals = _literal_kinds()
    unknown = [f"{where}: {kind!r}" for where, kind in literals if kind not in KIND_NAMES]
    assert not unknown, "kinds not in findings.KINDS:\n" + "\n".join(unknown)
    # the scan finds the kinds passed on through a parameter (a helper's 'kind' argument)
    assert len(literals) > 50


def test_every_defined_kind_is_reported_somewhere():
    used = {kind for _, kind in _literal_kinds()}
    unused = [kind.name for kind in KINDS if kind.name not in used]
    assert not unused, f"kinds the package never reports: {unused}"


def test_finding_rejects_an_unknown_kind():
    assert Finding("missing_reference", "m").kind == "missing_reference"
    with pytest.raises(ValueError, match="missing_refs"):
        Finding("missing_refs", "m")


def test_readme_checks_list_is_the_list_of_kinds():
    text = README.read_text(encoding="utf-8")
    expected = [readme_line(*kind) for kind in KINDS]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("      checks: ")) + 1
    end = lines.index("```", start)
    assert lines[start:end] == expected, (
        "the README's checks: list (under '## Options') should read:\n" + "\n".join(expected)
    )


def test_readme_names_only_defined_kinds():
    text = README.read_text(encoding="utf-8")
    patterns = (
        r"`([a-z_]+)` finding\b",  # "a `missing_reference` finding"
        r"checks: \{([a-z_]+):",  # "checks: {stale_pipeline: warn}"
        r"\[([a-z]+_[a-z_]+)\]$",  # an example message ending "... [missing_reference]"
        r"title=mlplugin ([a-z_]+)::",  # a GitHub workflow command
    )
    named = {m for pattern in patterns for m in re.findall(pattern, text, re.MULTILINE)}
    assert {"missing_reference", "stale_pipeline", "card_section"} <= named
    assert named <= KIND_NAMES, sorted(named - KIND_NAMES)


def test_checks_config_has_one_option_per_kind_with_its_default():
    config = MLConfig()
    config.load_dict({"checks": {"stale_pipeline": "warn"}})
    errors, warnings = config.validate()
    assert (errors, warnings) == ([], [])
    expected = {kind.name: kind.severity for kind in KINDS} | {"stale_pipeline": "warn"}
    assert dict(config.checks) == expected
    assert [name for name, _ in ChecksConfig._schema] == [kind.name for kind in KINDS]


def test_checks_config_refuses_an_unknown_severity_and_warns_of_an_unknown_kind():
    config = MLConfig()
    config.load_dict({"checks": {"stale_doc": "fatal"}})
    errors, _ = config.validate()
    assert [name for name, _ in errors] == ["checks"]
    assert "Sub-option 'stale_doc': Expected one of" in str(errors[0][1])

    config = MLConfig()
    config.load_dict({"checks": {"missing_refs": "warn"}})
    errors, warnings = config.validate()
    assert errors == []
    assert warnings == [
        ("checks", "Sub-option 'missing_refs': Unrecognised configuration name: missing_refs")
    ]
