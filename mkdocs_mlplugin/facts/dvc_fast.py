"""The fast DVC reader: the common forms of DVC's files, read without importing DVC.

Mirrors DVC 3 (``dvc>=3.50,<4``): its schemas ``dvc.schema.COMPILED_MULTI_STAGE_SCHEMA``
(dvc.yaml), ``COMPILED_LOCKFILE_SCHEMA`` (dvc.lock) and ``COMPILED_SINGLE_STAGE_SCHEMA`` (.dvc
files), and its resolver ``dvc.parsing.DataResolver`` (``vars``, ``foreach``, ``${...}``).
Importing DVC's schema and resolver costs a build about 0.2 s, and DVC's resolver parses every
``${...}`` with pyparsing. Most projects write their files in a small, plain subset of what DVC
accepts, so this module answers for that subset and for nothing else (facts/dvc.py asks DVC's
own code for the rest):

- ``certainly_valid`` says True only for a document DVC's own schema accepts; anything it is
  not sure of is handed to DVC's schema, which gives the verdict and the message;
- ``resolve`` expands ``vars``, ``foreach`` and ``${...}`` as DVC's resolver does, and returns
  None for anything outside the subset (a matrix, ``key[0]``, an escaped ``\\${``, a value
  that is not a plain scalar, a missing key, ...), which DVC's resolver then reads, errors
  included.

Held equal to DVC by tests/test_fastpath.py, on generated documents: whatever this module
accepts or expands, DVC accepts or expands the same way
(``test_a_pipeline_the_fast_check_accepts_is_one_dvc_accepts``,
``test_a_lock_the_fast_check_accepts_is_one_dvc_accepts``,
``test_a_dvc_file_the_fast_check_accepts_is_one_dvc_accepts``,
``test_a_pipeline_the_fast_resolver_expands_is_expanded_the_same_by_dvc``,
``test_the_fast_resolver_follows_dvc_on_corner_cases``); and files DVC itself writes take this
path (``test_dvc_written_files_and_the_usual_templates_take_the_fast_path``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs_mlplugin.facts.structured import parse_yaml, read_text
from mkdocs_mlplugin.findings import FindingError

Check = Callable[[Any], bool]


# --- DVC's schemas, narrowed: each check passes only what the real one passes -------------


def _anything(_: Any) -> bool:
    return True


def _is(kind: type) -> Check:
    return lambda value: type(value) is kind


def _one_of(*checks: Check) -> Check:
    return lambda value: any(check(value) for check in checks)


def _list_of(check: Check) -> Check:
    return lambda value: type(value) is list and all(check(item) for item in value)


def _dict_of(check: Check) -> Check:
    return lambda value: (
        type(value) is dict and all(type(key) is str and check(item) for key, item in value.items())
    )


def _fields(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    def check(value: Any) -> bool:
        return (
            type(value) is dict
            and all(key in value for key in required)
            and all(key in fields and fields[key](item) for key, item in value.items())
        )

    return check


def _checksum(value: Any) -> bool:  # DVC: None, "" or a string of three characters or more
    return value is None or (type(value) is str and len(value) not in (1, 2))


_STR, _BOOL, _LIST, _DICT = _is(str), _is(bool), _is(list), _is(dict)
_STRS = _list_of(_STR)
_CHECKSUMS = {"md5": _checksum, "checksum": _checksum, "etag": _checksum}
_META = {"size": _is(int), "nfiles": _is(int), "isexec": _BOOL, "version_id": _STR}
_ANNOTATION = {"desc": _STR, "type": _STR, "labels": _STRS, "meta": _anything}
_OUT_FLAGS = {
    **_ANNOTATION,
    "cache": _BOOL,
    "persist": _BOOL,
    "checkpoint": _BOOL,
    "remote": _STR,
    "push": _BOOL,
}
_PIPELINE_OUTS = _list_of(_one_of(_STR, _dict_of(_fields(_OUT_FLAGS))))
_LABELS = {"x_label": _STR, "y_label": _STR, "title": _STR, "template": _STR}
# a stage's plots: DVC's PLOT_PSTAGE_SCHEMA (an output's flags and the plot's properties)
_PLOT_PROPS = _fields({**_OUT_FLAGS, **_LABELS, "x": _STR, "y": _STR, "header": _BOOL})
_STAGE_PLOTS = _list_of(_one_of(_STR, _dict_of(_one_of(_PLOT_PROPS, _list_of(_PLOT_PROPS)))))
# top-level plots: DVC's SINGLE_PLOT_SCHEMA, a mapping of at least one plot to its definition
_PLOT_DEFINITION = _fields(
    {
        **_LABELS,
        "x": _one_of(_STR, _dict_of(_STR)),
        "y": _one_of(_STR, _STRS, _dict_of(_one_of(_STR, _STRS))),
    }
)
_PLOTS = _list_of(
    _one_of(
        _STR,
        lambda value: bool(value) and _dict_of(_one_of(_PLOT_DEFINITION, _is(type(None))))(value),
    )
)
_VARS = _list_of(_one_of(_STR, _DICT))
_STAGE = _fields(
    {
        "cmd": _one_of(_STR, _LIST),
        "wdir": _STR,
        "deps": _STRS,
        "params": _list_of(_one_of(_STR, _DICT)),
        "vars": _VARS,
        "frozen": _BOOL,
        "meta": _anything,
        "desc": _STR,
        "always_changed": _BOOL,
        "outs": _PIPELINE_OUTS,
        "metrics": _PIPELINE_OUTS,
        "plots": _STAGE_PLOTS,
    },
    required=("cmd",),
)
_FOREACH = _fields(
    {"foreach": _one_of(_DICT, _LIST, _STR), "do": _STAGE}, required=("foreach", "do")
)


def _stage_or_foreach(value: Any) -> bool:
    if type(value) is dict and ("foreach" in value or "do" in value):
        return _FOREACH(value)
    return _STAGE(value)


_PIPELINE_FIELDS = {
    "datasets": _anything,
    "plots": _PLOTS,
    "stages": _dict_of(_stage_or_foreach),
    "vars": _VARS,
    "params": _STRS,
    "metrics": _STRS,
    "artifacts": _dict_of(_fields({"path": _STR, **_ANNOTATION}, required=("path",))),
}
_LOCK_ENTRY = _fields(
    {**_CHECKSUMS, **_META, "path": _STR, "hash": _STR, "dataset": _DICT}, required=("path",)
)
_LOCK_STAGE = _fields(
    {
        "cmd": _one_of(_STR, _LIST),
        "deps": _list_of(_LOCK_ENTRY),
        "params": _dict_of(_dict_of(_anything)),
        "outs": _list_of(_LOCK_ENTRY),
    },
    required=("cmd",),
)
_LOCK_FIELDS = {
    "schema": lambda value: value == "2.0" and type(value) is str,
    "datasets": _anything,
    "stages": _dict_of(_LOCK_STAGE),
}
_TRACKED_ENTRY = {**_CHECKSUMS, **_META, "path": _STR, "persist": _BOOL, "hash": _STR}
_TRACKED_FIELDS = {
    "md5": _checksum,
    "wdir": _one_of(_STR, _is(type(None))),
    "deps": _list_of(_fields(_TRACKED_ENTRY)),
    "outs": _list_of(
        _fields(
            {
                **_TRACKED_ENTRY,
                **_ANNOTATION,
                "cache": _BOOL,
                "remote": _STR,
                "push": _BOOL,
                "fs_config": _DICT,
            }
        )
    ),
    "locked": _BOOL,
    "frozen": _BOOL,
    "meta": _anything,
    "always_changed": _BOOL,
    "desc": _STR,
}
#: per kind of file: its top-level keys, those it requires, and the check of one stage
_SCHEMAS: dict[str, tuple[dict[str, Check], tuple[str, ...], Check | None]] = {
    "pipeline": (_PIPELINE_FIELDS, (), _stage_or_foreach),
    "lock": (_LOCK_FIELDS, ("schema",), _LOCK_STAGE),
    "tracked": (_TRACKED_FIELDS, (), None),
}
_CHECKS = {what: _fields(fields, required) for what, (fields, required, _) in _SCHEMAS.items()}


def certainly_valid(data: Any, what: str) -> bool:
    """True when DVC's schema for WHAT ("pipeline", "lock", "tracked") accepts DATA for sure;
    False when DVC's schema must decide."""
    return _CHECKS[what](data)


def unsure_at(data: Any, what: str) -> list[str]:
    """The keys to the first part of DATA that certainly_valid does not vouch for: a top-level
    key, or ``stages`` and a stage's name; [] when it is the document as a whole."""
    fields, _, stage = _SCHEMAS[what]
    if type(data) is not dict:
        return []
    for key, value in data.items():
        if key in fields and fields[key](value):
            continue
        if key == "stages" and stage is not None and type(value) is dict:
            for name, definition in value.items():
                if type(name) is not str or not stage(definition):
                    return [key, str(name)]
        return [str(key)]
    return []


# --- DVC's resolver, for plain templates ------------------------------------------------


class _Unsure(Exception):
    """Outside the subset: DVC's resolver reads this file."""


#: what DVC's resolver takes for a reference: ``${`` not after a backslash, up to the next ``}``
_REFERENCE = re.compile(r"(?<!\\)\$\{(?P<inner>.*?)\}")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_SCALARS = (str, int, float)  # bool is an int


#: reads a project-relative file for the context: its text, None when it is not there
Read = Callable[[str], str | None]


def resolve(
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    read: Read | None = None,
    loaded: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[Any]] | None:
    """Stages, artifacts and metrics of a plain dvc.yaml (DATA, schema-checked) as DVC's
    resolver gives them, or None when the file is outside the subset this module reads.
    READ gives the files of another revision (default: the work tree at ROOT, through the
    guards); the files read into the context (params.yaml, ``vars`` files) are added to
    LOADED."""
    where: list[str] = []
    try:
        return _resolved(root, dvcfile, data, where, read, loaded)
    except (_Unsure, FindingError):
        return None


def unresolved_at(root: Path, dvcfile: str, data: dict[str, Any]) -> list[str]:
    """The keys to the part of DATA for which resolve gives up (``vars``, a section, or
    ``stages`` and a stage's name); [] when it does not."""
    where: list[str] = []
    try:
        _resolved(root, dvcfile, data, where)
    except (_Unsure, FindingError):
        return where
    return []


def _resolved(
    root: Path,
    dvcfile: str,
    data: dict[str, Any],
    where: list[str],
    read: Read | None = None,
    loaded: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """resolve's work; raises _Unsure outside the subset, with WHERE set to the keys of the
    part it was reading."""
    where[:] = ["vars"]
    directory = posixpath.dirname(dvcfile)
    context = _context(root, directory, data.get("vars") or [], read, loaded)
    for section in ("artifacts", "metrics", "params", "plots", "datasets"):
        where[:] = [section]
        if templated(data.get(section)):
            raise _Unsure
    stages: dict[str, Any] = {}
    for name, definition in (data.get("stages") or {}).items():
        where[:] = ["stages", name]
        if "foreach" in definition:
            stages.update(_foreach(context, name, definition))
        elif "matrix" in definition:
            raise _Unsure
        else:
            stages[name] = _stage(context, definition)
    artifacts = dict(data.get("artifacts") or {})
    return stages, artifacts, list(data.get("metrics") or [])


def _context(
    root: Path,
    directory: str,
    items: list[Any],
    read: Read | None = None,
    loaded: list[str] | None = None,
) -> dict[str, Any]:
    """The values ``${...}`` can name: params.yaml next to dvc.yaml, then each ``vars`` item,
    merged as DVC merges them (a key may not be defined twice); each file read (by READ, or
    from the work tree at ROOT) added to LOADED."""
    if templated(items):
        raise _Unsure
    context: dict[str, Any] = {}
    seen: list[str] = []
    for index, item in enumerate(["params.yaml", *items]):
        if isinstance(item, dict):
            _merge(context, _checked(item))
            continue
        if ":" in item or not item.endswith((".yaml", ".yml")):
            raise _Unsure  # a key selection, or JSON, TOML or Python vars
        file = posixpath.normpath(posixpath.join(directory, item))
        if file in seen:
            continue
        if read is not None:
            text = read(file)
            if text is None:
                if index == 0:
                    continue  # DVC uses params.yaml only when it is there
                raise _Unsure
        else:
            path = root / file
            if not path.is_file():
                if index == 0 and not path.exists():
                    continue  # DVC uses params.yaml only when it is there
                raise _Unsure
            text = read_text(root, file)
        _merge(context, _checked(parse_yaml(text, file)))
        seen.append(file)
    if loaded is not None:
        loaded += seen
    return context


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    """Merge UPDATE into INTO as DVC does (mappings merge, anything else defined twice is an
    error), copying mappings so that INTO shares none with UPDATE."""
    for key, value in update.items():
        if type(value) is dict and type(into.get(key, {})) is dict:
            _merge(into.setdefault(key, {}), value)
        elif key in into:
            raise _Unsure  # DVC: "cannot redefine ..."
        else:
            into[key] = value


def _checked(values: Any) -> dict[str, Any]:
    if type(values) is not dict or not _plain(values):
        raise _Unsure
    return values


def _plain(value: Any) -> bool:
    """Whether VALUE holds only what DVC keeps in its context as it is: mappings with string
    keys, lists and plain scalars (DVC drops other keys and fails on dates)."""
    if type(value) is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    if type(value) is list:
        return all(_plain(item) for item in value)
    return value is None or type(value) in (str, int, float, bool)


def templated(value: Any) -> bool:
    """Whether VALUE holds ``${`` anywhere, keys included."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(templated(k) or templated(v) for k, v in value.items())
    if isinstance(value, list):
        return any(templated(item) for item in value)
    return False


def _foreach(context: dict[str, Any], name: str, definition: dict[str, Any]) -> dict[str, Any]:
    if "item" in context or "key" in context:
        raise _Unsure  # DVC overrides them too, with a warning: left to DVC to give it
    source = definition["foreach"]
    # DVC names members from a list in the context by the value's str() (True, not true)
    name_of: Callable[[Any], str] = _to_str
    if isinstance(source, str):
        match = _REFERENCE.fullmatch(source)
        if match is None:
            raise _Unsure
        source, name_of = _select(context, match["inner"]), _str_of
    elif templated(source) or not _plain(
        list(source.values()) if isinstance(source, dict) else source  # keys become text
    ):
        raise _Unsure
    members: dict[str, tuple[Any, str | None]]  # member name -> (item, key)
    if type(source) is dict:
        members = {_to_str(key): (value, _to_str(key)) for key, value in source.items()}
    elif type(source) is list:
        if any(isinstance(value, (dict, list)) for value in source):
            members = {str(i): (value, None) for i, value in enumerate(source)}
        else:
            members = {name_of(value): (value, None) for value in source}
    else:
        raise _Unsure
    if "" in members:
        raise _Unsure  # DVC cannot name that stage and fails
    stages = {}
    for member, (item, key) in members.items():
        scope = {**context, "item": item}
        if key is not None:
            scope["key"] = key
        stages[f"{name}@{member}"] = _stage(scope, definition["do"])
    return stages


def _stage(context: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    if "vars" in definition:
        raise _Unsure
    return {key: _expand(context, value) for key, value in definition.items()}


def _expand(context: dict[str, Any], value: Any) -> Any:
    if isinstance(value, str):
        return _string(context, value) if "${" in value else value
    if isinstance(value, dict):  # keys too: {"${out}/${item}": {cache: false}}
        return {_expand(context, key): _expand(context, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(context, item) for item in value]
    return value


def _string(context: dict[str, Any], text: str) -> Any:
    matches = list(_REFERENCE.finditer(text))
    if len(matches) == 1 and matches[0].group(0) == text:
        value = _select(context, matches[0]["inner"])
        if not isinstance(value, _SCALARS):
            raise _Unsure  # DVC refuses lists and mappings in a stage, and keeps None
        return value
    parts, index = [], 0
    for match in matches:
        parts += [text[index : match.start()], _to_str(_select(context, match["inner"]))]
        index = match.end()
    result = "".join([*parts, text[index:]])
    if "\\${" in result:
        raise _Unsure  # DVC would unescape it; an escaped reference is left to DVC
    return result


def _select(context: dict[str, Any], inner: str) -> Any:
    """The value a plain dotted name stands for; only scalars go into stages."""
    if _PLAIN_KEY.fullmatch(inner) is None:
        raise _Unsure
    value: Any = context
    for key in inner.split("."):
        if type(value) is not dict or key not in value:
            raise _Unsure
        value = value[key]
    return value


def _str_of(value: Any) -> str:
    """VALUE as str() gives it; None, lists, mappings and dates are left to DVC."""
    if not isinstance(value, _SCALARS):
        raise _Unsure
    return str(value)


def _to_str(value: Any) -> str:
    """VALUE as DVC writes it into text: booleans as true/false."""
    if value is True or value is False:
        return "true" if value else "false"
    return _str_of(value)
