"""The fast YAML reader: PyYAML's C loader made to read YAML exactly as DVC reads it.

Mirrors: ruamel.yaml's safe loader (``YAML(typ="safe")``, which follows YAML 1.2), the reader
DVC itself uses for dvc.yaml, dvc.lock, .dvc files and params files
(``dvc.utils.serialize.parse_yaml``). PyYAML alone follows YAML 1.1 (``yes`` a boolean, ``1e-3``
a string, ``010`` eight); ``Loader`` takes ruamel's YAML 1.2 table of implicit types
(``YAML12_RESOLVERS``, written out: importing ruamel.yaml costs more than reading a site's DVC
files), reads numbers, duplicate keys and merge keys (``<<``) as ruamel.yaml does, and builds
plain documents directly from the composed nodes (``_Plain``), about four times faster than
PyYAML's general construction, which it falls back to for anything else.

Held equal by tests/test_yaml.py, against ruamel.yaml and against PyYAML's general construction:
``test_scalars_read_as_dvc_reads_them``, ``test_values_that_yaml_1_1_would_misread``,
``test_a_duplicated_key_is_an_error_with_its_line_as_in_dvc``,
``test_the_implicit_types_are_ruamels_yaml_1_2_table``,
``test_the_direct_construction_gives_what_pyyaml_s_own_gives``,
``test_merge_keys_and_aliases_read_as_ruamel_and_pyyaml_read_them``,
``test_a_merge_key_is_read_as_dvc_reads_it``,
``test_a_second_merge_key_is_an_error_with_its_line_as_in_dvc``,
``test_the_direct_construction_counts_values_as_the_general_walk_does`` and
``test_nesting_past_the_limit_leaves_the_direct_construction``; through structured.parse_yaml by
tests/test_hostile_values.py ``test_merge_keys_in_params_are_read_as_dvc_reads_them``, and
tests/test_fuzz.py ``test_the_yaml_reader_raises_only_findings`` (errors are findings only).
"""

from __future__ import annotations

import gc
import re
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

#: how deeply mappings and lists may nest in one file (YAML, JSON or TOML): DVC's files nest a
#: few levels, and the code that reads them (Python's JSON and TOML readers too) calls itself
#: once per level. The direct construction leaves deeper documents to the general one.
MAX_DEPTH = 100
MAX_DIGITS = 4300  # Python's limit on the digits of an integer read from text

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
            if text.isdigit() and len(text) > MAX_DIGITS:
                raise yaml.constructor.ConstructorError(
                    None, None, too_many_digits(len(text)), node.start_mark
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


def load(text: str) -> tuple[Any, int | None]:
    """TEXT's YAML value, and how many values it holds when it was built the direct way (so
    structured.measure need not count them); with Python's cyclic garbage collector paused: building a large
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


def too_many_digits(digits: int) -> str:
    return (
        f"an integer of {digits:,} digits, more than the {MAX_DIGITS:,} Python (and so DVC) "
        "reads; write it as a string or a float"
    )
