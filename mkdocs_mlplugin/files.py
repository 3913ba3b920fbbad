"""Reading the small structured files a DVC project keeps in git: YAML, JSON and TOML.

Every error becomes an MLPluginError whose finding names the file and, where the parser
knows it, the line.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml

from .findings import Finding, MLPluginError

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


class Loader(_Base):  # type: ignore[misc, valid-type]
    """PyYAML's fast C loader, reading YAML the way DVC does (ruamel.yaml, YAML 1.2).

    DVC reads params, dvc.yaml and dvc.lock with ruamel.yaml, which follows YAML 1.2:
    ``yes``/``on`` are strings, ``1e-3`` is a float, ``010`` is ten, ``0o10`` is eight, and a
    duplicated key is an error. PyYAML alone follows YAML 1.1 and would read those differently,
    so this loader takes its implicit types from ruamel's own 1.2 table and its constructors
    follow ruamel's. A test compares the two on generated documents.
    """

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {}  # filled below

    def construct_document(self, node: Any) -> Any:
        """The document's value, built directly from the composed nodes when they hold only
        maps, lists, strings, numbers, booleans and nulls, each collection once: what DVC's
        files are, about four times faster than PyYAML's general construction. Anything
        else (an alias of a collection, a merge key, a duplicate key, a timestamp, another tag)
        goes the general way, which also raises its errors. A test holds the two equal."""
        try:
            return _Plain(self).value(node)
        except (_General, yaml.YAMLError, RecursionError):
            return super().construct_document(node)  # its errors, in its order

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen and key_node.tag != "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key '{key}'",
                    key_node.start_mark,
                )
            seen[key] = True
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_bool(self, node: Any) -> bool:
        return self.construct_scalar(node).lower() == "true"

    def construct_yaml_int(self, node: Any) -> int:
        text = self.construct_scalar(node).replace("_", "")
        sign = -1 if text[:1] == "-" else 1
        text = text.lstrip("+-")
        try:
            for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
                if text.startswith(prefix):
                    return sign * int(text[2:], base)
            return sign * int(text)
        except ValueError:
            raise _bad_number(node) from None

    def construct_yaml_float(self, node: Any) -> float:
        try:
            return float(super().construct_yaml_float(node))
        except (ValueError, IndexError):
            raise _bad_number(node) from None


class _General(Exception):
    """The document needs PyYAML's general construction."""


class _Plain:
    """Plain data from composed YAML nodes, or _General."""

    def __init__(self, loader: Loader) -> None:
        self.scalars = {
            "tag:yaml.org,2002:int": loader.construct_yaml_int,
            "tag:yaml.org,2002:float": loader.construct_yaml_float,
            "tag:yaml.org,2002:bool": loader.construct_yaml_bool,
            "tag:yaml.org,2002:null": lambda node: None,
        }
        self.seen: set[int] = set()

    def value(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR:
            if type(node) is not yaml.ScalarNode:
                raise _General
            return node.value
        if type(node) is yaml.ScalarNode:
            construct = self.scalars.get(tag)
            if construct is None:  # a timestamp, a merge key ('<<'), '=', any other tag
                raise _General
            return construct(node)
        if id(node) in self.seen:  # an alias: PyYAML shares one object
            raise _General
        self.seen.add(id(node))
        if tag == _MAP and type(node) is yaml.MappingNode:
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode:
                    raise _General
                key = self.value(key_node)
                if key in mapping:
                    raise _General  # a duplicate: the error, with its line
                mapping[key] = self.value(value_node)
            return mapping
        if tag == _SEQ and type(node) is yaml.SequenceNode:
            return [self.value(item) for item in node.value]
        raise _General


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq"))
#: what PyYAML's constructors raise besides YAMLError, on an explicitly tagged value its tag
#: cannot read ('!!timestamp yes', '!!set [a]', a date with month 13)
CONSTRUCTION_ERRORS = (AttributeError, TypeError, ValueError)


def _bad_number(node: Any) -> yaml.YAMLError:
    return yaml.constructor.ConstructorError(
        None, None, f"'{node.value}' looks like a number but is not one", node.start_mark
    )


_DIGITS = "0123456789"
#: YAML 1.2's implicit types as ruamel.yaml resolves them, in its order: tag, the whole plain
#: scalar's pattern, the characters such a scalar starts with ("": the empty scalar). Written
#: out here because importing ruamel.yaml costs more than reading a site's DVC files; a test
#: holds this table to ruamel's own.
YAML12_RESOLVERS: list[tuple[str, str, str | list[str]]] = [
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    (
        "float",
        r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN)",
        "-+" + _DIGITS + ".",
    ),
    ("int", r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+", "-+" + _DIGITS),
    ("merge", r"<<", "<"),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    (
        "timestamp",
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
        r"|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?"
        r"(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?",
        _DIGITS,
    ),
    ("value", r"=", "="),
    ("yaml", r"!|&|\*", "!&*"),
]
for _name, _pattern, _first in YAML12_RESOLVERS:
    Loader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_name}", re.compile(f"^(?:{_pattern})$"), list(_first)
    )
Loader.add_constructor("tag:yaml.org,2002:bool", Loader.construct_yaml_bool)
Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
Loader.add_constructor("tag:yaml.org,2002:float", Loader.construct_yaml_float)

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
        data = yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader
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
    except CONSTRUCTION_ERRORS as exc:
        raise MLPluginError(
            Finding(
                "invalid_project_file",
                f"{shown} is not valid YAML: an explicitly tagged value ('!!timestamp', '!!set', "
                f"...) cannot be read as its tag says ({exc}).",
                shown,
            )
        ) from None
    if expanded_size(data, MAX_VALUES) > MAX_VALUES:
        raise MLPluginError(
            Finding(
                "invalid_project_file",
                f"{shown} expands to more than {MAX_VALUES:,} values through YAML aliases (a "
                "'billion laughs' file?): refused. Write the values out instead of aliasing them.",
                shown,
            )
        )
    return data


#: how many values (after YAML aliases are expanded) one file may hold
MAX_VALUES = 1_000_000


def expanded_size(data: Any, limit: int) -> int:
    """How many values DATA holds with every shared (aliased) part counted each time it is
    used, as anything that walks or copies it would see; stops counting past LIMIT."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key not in sizes:
            sizes[key] = limit + 1  # a cycle counts as too large
            children = node.values() if isinstance(node, dict) else node
            total = 1
            for child in children:
                total += size(child)
                if total > limit:
                    break
            sizes[key] = total
        return sizes[key]

    return size(data)


def load_structured(path: Path, shown: str) -> Any:
    """A params or metrics file, by its extension: YAML, JSON or TOML."""
    return parse_structured(read_text(path, shown), path.suffix.lower(), shown)


def parse_structured(text: str, suffix: str, shown: str) -> Any:
    """Params or metrics text, parsed by the file's extension (SUFFIX, with the dot)."""
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
            where = re.search(r"\(at line (\d+)", str(exc))
            raise MLPluginError(
                Finding(
                    "invalid_project_file",
                    f"{shown} is not valid TOML: {exc}.",
                    shown,
                    int(where.group(1)) if where else None,
                )
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
