"""Reading the small structured files a DVC project keeps in git: YAML, JSON and TOML.

YAML is read with the fast reader of ``yaml_fast`` (DVC's YAML 1.2, through PyYAML's C loader);
this module bounds what every format may hold (size, nesting, values after aliases) and reads
keys out of the result (``flatten``, ``lookup``).

Every error becomes a FindingError whose finding names the file and, where the parser
knows it, the line.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mkdocs_mlplugin.facts.yaml_fast import (
    CONSTRUCTION_ERRORS,
    MAX_DEPTH,
    MAX_DIGITS,
    Loader,
    load,
    too_many_digits,
)
from mkdocs_mlplugin.findings import Finding, FindingError
from mkdocs_mlplugin.guards import MAX_BYTES, Place, read_file


def read_text(
    root: Place, file: str, kind: str = "invalid_project_file", shown: str | None = None
) -> str:
    """The text of FILE (relative to ROOT), read through guards.read_file (inside ROOT, a
    regular file, at most guards.MAX_BYTES); a finding naming SHOWN (default FILE) when it is
    refused, binary or not UTF-8. guards.Missing when it does not exist."""
    shown = shown or file
    return _text(read_file(root, file, shown, kind=kind), shown, kind)


def parse_blob(blob: bytes, shown: str, parser: Callable[[str, str], Any]) -> Any:
    """A file's contents from git, parsed with PARSER within the bounds of read_text; when they
    are out of bounds, a finding with no file or line (SHOWN, in its message, names the file)."""
    if len(blob) > MAX_BYTES:
        problem = f"{shown} is {len(blob)} bytes, over the {MAX_BYTES} byte limit."
    else:
        try:
            text = _text(blob, shown)
        except FindingError as exc:
            problem = exc.finding.message
        else:
            return parser(text, shown)
    raise FindingError(Finding("invalid_project_file", problem))


def _text(data: bytes, shown: str, kind: str = "invalid_project_file") -> str:
    """DATA, the bytes of the file SHOWN, as text; a finding naming it when they are binary or
    not UTF-8."""
    if b"\x00" in data:
        raise FindingError(Finding(kind, f"{shown} is a binary file, not text.", shown))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FindingError(
            Finding(kind, f"{shown} is not valid UTF-8 (byte {exc.start}).", shown, line)
        ) from None


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
        data, values = load(text)
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
_DEEP = object()  # a parser gave up: nested too deeply


def _long_integer(text: str, shown: str) -> FindingError:
    """The finding for an integer too long to read (Python's parsers raise ValueError)."""
    found = re.search(rf"[0-9][0-9_]{{{MAX_DIGITS},}}", text)
    return FindingError(
        Finding(
            "invalid_project_file",
            f"{shown} holds "
            + (too_many_digits(len(found.group(0).replace("_", ""))) if found else "a number")
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
        import tomllib

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
    if suffix == ".py":
        return _parse_python(text, shown)
    raise FindingError(
        Finding(
            "invalid_project_file",
            f"{shown}: only YAML, JSON, TOML and Python params and metrics files can be read.",
            shown,
        )
    )


def _parse_python(text: str, shown: str) -> Any:
    """A Python params file as DVC reads one, with its own parser (``parse_py``): the literal
    values its top-level assignments and its classes' give, as a mapping. The file is parsed,
    never run."""
    try:
        from dvc.utils.serialize import ParseError, parse_py
    except ImportError:
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown}: reading a Python params file needs DVC's parser, which is not "
                "installed: pip install 'mkdocs-mlplugin[dvc]'.",
                shown,
            )
        ) from None
    try:
        data = parse_py(text, shown)
    except ParseError:
        raise FindingError(
            Finding("invalid_project_file", f"{shown} is not valid Python.", shown)
        ) from None
    except (RecursionError, MemoryError, ValueError):  # nesting too deep for Python's parser
        data = _DEEP
    return _checked(data, text, shown, ".py")


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
