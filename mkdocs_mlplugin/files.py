"""Reading the small structured files a DVC project keeps in git: YAML, JSON and TOML.

Every error becomes an MLPluginError whose finding names the file and, where the parser
knows it, the line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

from .findings import Finding, MLPluginError

try:  # the C loader is several times faster on large lock files
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_BYTES = 10 * 1024 * 1024  # a params or lock file larger than this is not a params file


def read_text(path: Path, shown: str, kind: str = "invalid_project_file") -> str:
    """The file's text; a finding when it is too large, binary or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise MLPluginError(
                Finding(kind, f"{shown} is {size} bytes, over the {MAX_BYTES} byte limit.", shown)
            )
        data = path.read_bytes()
    except OSError as exc:
        raise MLPluginError(
            Finding(kind, f"{shown} cannot be read: {exc.strerror}.", shown)
        ) from None
    if b"\x00" in data:
        raise MLPluginError(Finding(kind, f"{shown} is a binary file, not text.", shown))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MLPluginError(
            Finding(kind, f"{shown} is not valid UTF-8 (byte {exc.start}).", shown, line)
        ) from None


def parse_yaml(text: str, shown: str) -> Any:
    """Parse YAML safely; syntax errors name the file and line."""
    if "\n<<<<<<< " in f"\n{text}":
        line = f"\n{text}".split("\n<<<<<<< ")[0].count("\n") + 1
        raise MLPluginError(
            Finding(
                "invalid_project_file",
                f"{shown} has an unresolved git merge conflict (a '<<<<<<<' marker); "
                "resolve the conflict and commit the file.",
                shown,
                line,
            )
        )
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            problem += f" ({exc.context} that started on line {exc.context_mark.line + 1})"
        raise MLPluginError(
            Finding("invalid_project_file", f"{shown} is not valid YAML: {problem}.", shown, line)
        ) from None
    except yaml.YAMLError as exc:
        raise MLPluginError(
            Finding("invalid_project_file", f"{shown} is not valid YAML: {exc}.", shown)
        ) from None


def load_structured(path: Path, shown: str) -> Any:
    """A params or metrics file, by its extension: YAML, JSON or TOML."""
    text = read_text(path, shown)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise MLPluginError(
                Finding(
                    "invalid_project_file",
                    f"{shown} is not valid JSON: {exc.msg}.",
                    shown,
                    exc.lineno,
                )
            ) from None
    if suffix == ".toml":
        try:
            import tomllib
        except ImportError:  # pragma: no cover - Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise MLPluginError(
                Finding("invalid_project_file", f"{shown} is not valid TOML: {exc}.", shown)
            ) from None
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, shown)
    raise MLPluginError(
        Finding(
            "invalid_project_file",
            f"{shown}: only YAML, JSON and TOML params and metrics files can be read.",
            shown,
        )
    )


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted keys, the way ``dvc metrics show`` lists them."""
    if not isinstance(data, dict):
        return {prefix: data} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name))  # an empty mapping adds nothing, as in DVC
        else:
            flat[name] = value
    return flat


def lookup(data: Any, dotted: str) -> tuple[bool, Any]:
    """(found, value) of a dotted key such as ``train.lr`` (list items by index)."""
    node = data
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
