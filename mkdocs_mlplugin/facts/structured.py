"""Reading the small structured files a DVC project keeps in git: YAML, JSON and TOML.

Every error becomes a FindingError whose finding names the file and, where the parser
knows it, the line.
"""

from __future__ import annotations

import gc
import json
import posixpath
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from mkdocs_mlplugin.findings import Finding, FindingError
from mkdocs_mlplugin.guards import MAX_BYTES, read_file

if TYPE_CHECKING:
    _Base = yaml.CSafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


class Loader(_Base):
    """PyYAML's fast C loader, reading YAML the way DVC does (ruamel.yaml, YAML 1.2).

    DVC reads params, dvc.yaml and dvc.lock with ruamel.yaml, which follows YAML 1.2:
    ``yes``/``on`` are strings, ``1e-3`` is a float, ``010`` is ten, ``0o10`` is eight, and a
    duplicated key is an error. PyYAML alone follows YAML 1.1 and would read those differently,
    so this loader takes its implicit types from ruamel's own 1.2 table and its constructors
    follow ruamel's. A test compares the two on generated documents.
    """

    # Filled below. PyYAML keeps this table per class (add_implicit_resolver copies it into the
    # class); its stubs declare it per instance, hence the ignore.
    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {}  # type: ignore[misc]

    def construct_document(self, node: Any) -> Any:
        """The document's value, built directly from the composed nodes when they hold only
        maps, lists, strings, numbers, booleans and nulls, each collection once: what DVC's
        files are, about four times faster than PyYAML's general construction. Anything
        else (an alias of a collection, a merge key, a duplicate key, a timestamp, another tag)
        goes the general way, which also raises its errors. A test holds the two equal."""
        plain = _Plain(self)
        try:
            data = plain.value(node, 0)
        except (_General, yaml.YAMLError, RecursionError):
            return super().construct_document(node)  # its errors, in its order
        self.values = plain.count  # no alias, no cycle, at most MAX_DEPTH levels: its size
        return data

    def flatten_mapping(self, node: Any) -> None:
        """Merge keys (``<<: *base``, ``<<: [*a, *b]``) as ruamel.yaml merges them: the merged
        pairs go before the mapping's own (which override them), a list's mappings in reverse
        order (so the first one listed wins), and a second ``<<`` in one mapping is an error.
        A mapping with a merge is not checked for duplicate keys, as in ruamel.yaml."""
        merge: list[tuple[Any, Any]] = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == _MERGE:
                if merge:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        "found duplicate merge key '<<'",
                        key_node.start_mark,
                    )
                del node.value[index]
                sources = value_node.value if type(value_node) is yaml.SequenceNode else None
                for source in reversed(sources) if sources is not None else [value_node]:
                    if type(source) is not yaml.MappingNode:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            f"expected a mapping or list of mappings for merging, but found "
                            f"{source.id}",
                            source.start_mark,
                        )
                    self.flatten_mapping(source)
                    merge.extend(source.value)
            else:
                if key_node.tag == "tag:yaml.org,2002:value":
                    key_node.tag = _STR
                index += 1
        if merge:
            node.value = merge + node.value
            node.merged = True

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if type(node) is not yaml.MappingNode:
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark
            )
        self.flatten_mapping(node)
        checked = not getattr(node, "merged", False)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = checked and key in mapping
            except TypeError:  # a list or mapping as a key
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key '{key}'",
                    key_node.start_mark,
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

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
            if text.isdigit() and len(text) > _MAX_DIGITS:
                raise yaml.constructor.ConstructorError(
                    None, None, _too_many_digits(len(text)), node.start_mark
                ) from None
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
        self.count = 1  # values (keys not counted), as measure() counts them

    def value(self, node: Any, depth: int) -> Any:
        """NODE's value; DEPTH is how many collections hold it."""
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
        if id(node) in self.seen or depth >= MAX_DEPTH:  # an alias: PyYAML shares one object
            raise _General
        self.seen.add(id(node))
        self.count += len(node.value)
        if tag == _MAP and type(node) is yaml.MappingNode:
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode:
                    raise _General
                key = self.value(key_node, depth)
                if key in mapping:
                    raise _General  # a duplicate: the error, with its line
                mapping[key] = self.value(value_node, depth + 1)
            return mapping
        if tag == _SEQ and type(node) is yaml.SequenceNode:
            return [self.value(item, depth + 1) for item in node.value]
        raise _General


_STR, _MAP, _SEQ, _MERGE = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq", "merge"))
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


def read_text(root: Path, file: str, kind: str = "invalid_project_file") -> str:
    """The text of FILE (relative to ROOT), read through guards.read_file (inside ROOT, a
    regular file, at most guards.MAX_BYTES); a finding naming FILE when it is refused, binary or not
    UTF-8. guards.Missing when it does not exist."""
    shown = file
    data = read_file(root, file, kind=kind)
    if b"\x00" in data:
        raise FindingError(Finding(kind, f"{shown} is a binary file, not text.", shown))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FindingError(
            Finding(kind, f"{shown} is not valid UTF-8 (byte {exc.start}).", shown, line)
        ) from None


def parse_blob(blob: bytes, shown: str, parser: Callable[[str, str], Any]) -> Any:
    """A file's contents from git, parsed with PARSER within the bounds of read_text."""
    problem = None
    if len(blob) > MAX_BYTES:
        problem = f"{shown} is {len(blob)} bytes, over the {MAX_BYTES} byte limit."
    elif b"\x00" in blob:
        problem = f"{shown} is a binary file, not text."
    else:
        try:
            return parser(blob.decode("utf-8-sig"), shown)
        except UnicodeDecodeError as exc:
            problem = f"{shown} is not valid UTF-8 (byte {exc.start})."
    raise FindingError(Finding("invalid_project_file", problem))


def _load(text: str) -> tuple[Any, int | None]:
    """TEXT's YAML value, and how many values it holds when it was built the direct way (so
    measure() need not count them); with Python's cyclic garbage collector paused: building a large
    file's hundreds of thousands of nodes and values would otherwise set it off again and again,
    each time walking everything built so far (a 5,000-stage dvc.lock: 3x the time)."""
    paused = gc.isenabled()
    gc.disable()
    loader = Loader(text)
    try:
        return loader.get_single_data(), getattr(loader, "values", None)
    finally:
        loader.dispose()
        if paused:
            gc.enable()


def parse_yaml(text: str, shown: str) -> Any:
    """Parse YAML safely; syntax errors name the file and line."""
    if "\n<<<<<<< " in f"\n{text}":
        line = f"\n{text}".split("\n<<<<<<< ")[0].count("\n") + 1
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown} has an unresolved git merge conflict (a '<<<<<<<' marker); "
                "resolve the conflict and commit the file.",
                shown,
                line,
            )
        )
    try:
        data, values = _load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != at:
            problem += f" ({exc.context} that started on line {exc.context_mark.line + 1})"
        raise FindingError(
            Finding("invalid_project_file", f"{shown} is not valid YAML: {problem}.", shown, at)
        ) from None
    except yaml.YAMLError as exc:
        raise FindingError(
            Finding("invalid_project_file", f"{shown} is not valid YAML: {exc}.", shown)
        ) from None
    except CONSTRUCTION_ERRORS as exc:
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown} is not valid YAML: an explicitly tagged value ('!!timestamp', '!!set', "
                f"...) cannot be read as its tag says ({exc}).",
                shown,
            )
        ) from None
    except RecursionError:
        data, values = _DEEP, None
    return _checked(data, text, shown, ".yaml", values)


#: how many values (after YAML aliases are expanded) one file may hold
MAX_VALUES = 1_000_000
#: how deeply mappings and lists may nest in one file: DVC's files nest a few levels, and the
#: code that reads them (Python's JSON and TOML readers too) calls itself once per level
MAX_DEPTH = 100
_MAX_DIGITS = 4300  # Python's limit on the digits of an integer read from text
_DEEP = object()  # a parser gave up: nested too deeply


def _too_many_digits(digits: int) -> str:
    return (
        f"an integer of {digits:,} digits, more than the {_MAX_DIGITS:,} Python (and so DVC) "
        "reads; write it as a string or a float"
    )


def _long_integer(text: str, shown: str) -> FindingError:
    """The finding for an integer too long to read (Python's parsers raise ValueError)."""
    found = re.search(rf"[0-9][0-9_]{{{_MAX_DIGITS},}}", text)
    return FindingError(
        Finding(
            "invalid_project_file",
            f"{shown} holds "
            + (_too_many_digits(len(found.group(0).replace("_", ""))) if found else "a number")
            + ".",
            shown,
            text.count("\n", 0, found.start()) + 1 if found else None,
        )
    )


def _checked(data: Any, text: str, shown: str, suffix: str, values: int | None = None) -> Any:
    """DATA, parsed from TEXT; a finding when it nests more than MAX_DEPTH levels deep or
    holds more than MAX_VALUES values, naming the line where it goes too deep. VALUES, when
    given, is DATA's size, known to be within MAX_DEPTH levels."""
    if data is _DEEP:
        values, deep = 0, True
    elif values is None:
        values, deep = measure(data, _children)
    else:
        deep = None
    if deep is not None:
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown} nests mappings or lists more than {MAX_DEPTH} levels deep: refused.",
                shown,
                _deep_line(text, suffix),
            )
        )
    if values > MAX_VALUES:
        aliases = suffix in (".yaml", ".yml")
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown} expands to more than {MAX_VALUES:,} values through YAML aliases (a "
                "'billion laughs' file?): refused. Write the values out instead of aliasing them."
                if aliases
                else f"{shown} holds more than {MAX_VALUES:,} values: refused.",
                shown,
            )
        )
    return data


def _children(value: Any) -> Any:
    if isinstance(value, dict):
        return value.values()
    return value if isinstance(value, list) else None


def _node_children(node: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else None


def measure(
    root: Any, children: Any, max_values: int = MAX_VALUES, max_depth: int = MAX_DEPTH
) -> tuple[int, Any]:
    """(values, deep): how many values ROOT holds with every shared (aliased) part counted
    each time it is used, as anything that walks or copies it would see (counting stops past
    MAX_VALUES; a cycle counts as more); and the first container found nested more than
    MAX_DEPTH levels deep, or None. CHILDREN(x) is x's items, or None for a scalar. Walks
    without recursion, each shared part once."""
    if children(root) is None:
        return 1, None
    done: dict[int, tuple[int, int]] = {}  # id -> (values, levels) of a finished container
    open_ids = {id(root)}
    stack: list[tuple[Any, Any, list[int]]] = [(root, iter(children(root)), [1, 1])]
    while stack:
        node, items, counts = stack[-1]
        for child in items:
            below = children(child)
            if below is None:
                counts[0] += 1
            elif id(child) in done or id(child) in open_ids:
                values, levels = done.get(id(child), (max_values + 1, 1))  # open: a cycle
                counts[0] += values
                counts[1] = max(counts[1], levels + 1)
                if len(stack) + levels > max_depth:
                    return counts[0], child
            elif len(stack) >= max_depth:
                return counts[0], child
            else:
                open_ids.add(id(child))
                stack.append((child, iter(below), [1, 1]))
                break
            if counts[0] > max_values:
                return counts[0], None
        else:
            stack.pop()
            open_ids.discard(id(node))
            done[id(node)] = (counts[0], counts[1])
            if not stack:
                return counts[0], None
            parent = stack[-1][2]
            parent[0] += counts[0]
            parent[1] = max(parent[1], counts[1] + 1)
            if parent[0] > max_values:
                return parent[0], None
    raise AssertionError("unreachable")  # pragma: no cover


def _deep_line(text: str, suffix: str) -> int | None:
    """The line where TEXT's nesting passes MAX_DEPTH levels (found again only then)."""
    if suffix in (".yaml", ".yml"):
        try:
            _, deep = measure(yaml.compose(text, Loader=Loader), _node_children)
        except (yaml.YAMLError, RecursionError):
            deep = None
        if deep is not None:
            return deep.start_mark.line + 1
    depth, quote, escaped = 0, "", False
    for i, ch in enumerate(text):  # brackets outside strings: JSON, TOML, YAML's flow style
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, i) + 1
        elif ch in "]}":
            depth -= 1
    return None


def load_structured(root: Path, file: str) -> Any:
    """A params or metrics FILE (relative to ROOT), by its extension: YAML, JSON or TOML."""
    return parse_structured(read_text(root, file), posixpath.splitext(file)[1].lower(), file)


def parse_structured(text: str, suffix: str, shown: str) -> Any:
    """Params or metrics text, parsed by the file's extension (SUFFIX, with the dot)."""
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FindingError(
                Finding(
                    "invalid_project_file",
                    f"{shown} is not valid JSON: {exc.msg}.",
                    shown,
                    exc.lineno,
                )
            ) from None
        except ValueError:  # an integer longer than Python reads
            raise _long_integer(text, shown) from None
        except RecursionError:
            data = _DEEP
        return _checked(data, text, shown, suffix)
    if suffix == ".toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"\(at line (\d+)", str(exc))
            raise FindingError(
                Finding(
                    "invalid_project_file",
                    f"{shown} is not valid TOML: {exc}.",
                    shown,
                    int(where.group(1)) if where else None,
                )
            ) from None
        except ValueError:
            raise _long_integer(text, shown) from None
        except RecursionError:
            data = _DEEP
        return _checked(data, text, shown, suffix)
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, shown)
    raise FindingError(
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
    """(found, value) of a dotted key such as ``train.lr`` (list items by index); a key that
    is not text (``1:``, ``2024-01-01:``) is named as flatten() names it."""
    node = data
    for part in dotted.split("."):
        if isinstance(node, dict) and part not in node:  # a key YAML read as a number, a date
            part = next((k for k in node if not isinstance(k, str) and str(k) == part), part)
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node
