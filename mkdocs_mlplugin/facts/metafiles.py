"""Material's meta files (``.meta.yml``): the front matter they give the pages below them.

Material's meta plugin (``material/meta``) reads every file of docs_dir named as its
``meta_file`` option says, and, in its ``on_page_markdown`` (after this plugin's), merges each
into the ``page.meta`` of every page whose path starts with the file's directory: in the order
of MkDocs' files, with mergedeep's ``TYPESAFE_ADDITIVE`` strategy, the page's own front matter
last, so that it wins. ``read`` reads those files through guards and the YAML reader (a bad
file is a finding naming it and its line); ``merged`` merges them into a page's front matter
as Material will, and says where each key came from, so that a finding about a key a meta file
gave names that file and line.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from mergedeep import Strategy, merge
from mkdocs.config.defaults import MkDocsConfig

from mkdocs_mlplugin.facts.dvc import key_line
from mkdocs_mlplugin.facts.structured import parse_yaml
from mkdocs_mlplugin.findings import Finding

#: Material's name of its meta plugin (MkDocs names ``meta`` so under the Material theme)
PLUGIN = "material/meta"
_MALFORMED = "malformed_reference"  # what Material cannot merge (it stops the build)
#: a top-level key of a YAML mapping (front matter, a meta file): plain or quoted, at column 0
_TOP_KEY = re.compile(r"""^([A-Za-z0-9_][^:\s]*|'[^']*'|"[^"]*"):""")


def key_lines(lines: Iterable[str], start: int = 1) -> dict[str, int]:
    """The line of each top-level key of LINES (numbered from START), up to a ``---`` or
    ``...`` line (the end of front matter)."""
    found: dict[str, int] = {}
    for number, line in enumerate(lines, start=start):
        if line.strip() in ("---", "..."):
            break
        m = _TOP_KEY.match(line)
        if m:
            found.setdefault(m.group(1).strip("'\""), number)
    return found


@dataclasses.dataclass(frozen=True)
class MetaFile:
    """One meta file: its ``File.src_path`` (Material's key: its directory decides which pages
    it applies to), its path as findings name it, its mapping (DATA, empty when it holds
    none), the line of each of its top-level keys, and its TEXT."""

    src_path: str
    shown: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict)
    text: str = ""

    def line_of(self, key: str) -> int | None:
        """The line of KEY: a top-level key, or ``ml.NAME`` (the line of NAME under ``ml:``,
        else of ``ml:``)."""
        top, _, sub = key.partition(".")
        line = self.lines.get(top)
        if sub and line is not None:
            line = key_line(self.text, [top, sub]) or line
        return line

    def applies_to(self, src_path: str) -> bool:
        """Whether Material merges it into the page at SRC_PATH (``File.src_path``)."""
        return src_path.startswith(os.path.dirname(self.src_path))


def meta_file_name(config: MkDocsConfig) -> str | None:
    """The name of the meta files when Material's meta plugin is enabled in CONFIG, else None."""
    plugin = config.plugins.get(PLUGIN)
    options = getattr(plugin, "config", None)
    if plugin is None or options is None or not options.get("enabled", True):
        return None
    return str(options.get("meta_file") or ".meta.yml")


def parse(text: str, src_path: str, shown: str) -> MetaFile:
    """The meta file SRC_PATH (SHOWN in findings) from its TEXT. The YAML reader checks it (a
    FindingError naming SHOWN and the line); its values are then read as Material reads them,
    with PyYAML's safe loader (YAML 1.1, as MkDocs reads front matter)."""
    parse_yaml(text, shown)
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    if not isinstance(data, dict):
        return MetaFile(src_path, shown)
    lines = text.splitlines()
    start = 2 if lines and lines[0].strip() == "---" else 1  # a document start marker
    return MetaFile(src_path, shown, data, key_lines(lines[start - 1 :], start), text)


@dataclasses.dataclass(frozen=True)
class Front:
    """A page's front matter as Material's meta plugin makes it appear to the page (META):
    its own (OWN) merged over the meta files that apply to it (FILES, in Material's order).
    PROBLEM: the finding when Material cannot merge them (then META is the page's own)."""

    meta: Mapping[str, Any]
    own: Mapping[str, Any]
    files: tuple[MetaFile, ...] = ()
    problem: Finding | None = None

    def given_by(self, key: str) -> MetaFile | None:
        """The meta file that gave KEY (a top-level key, or ``ml.NAME``) to the page: the last
        one that sets it, when the page does not set it itself; None when the page does."""
        if _holds(self.own, key):
            return None
        return next((f for f in reversed(self.files) if _holds(f.data, key)), None)

    def last_with(self, key: str) -> MetaFile | None:
        """The last meta file of the page that sets KEY, whether or not the page does too."""
        return next((f for f in reversed(self.files) if _holds(f.data, key)), None)

    def item_from(self, key: str, index: int) -> MetaFile | None:
        """The meta file that gave item INDEX of the list KEY (``links:``) to the page, None
        when the page did: Material's merge (TYPESAFE_ADDITIVE) appends the lists, each meta
        file's items in order, then the page's own. Where they do not add up to the page's
        list, the one that gave KEY. A blog post's own front matter holds already the items of
        the meta files Material merged into it (named in ``__extends``), first, in order."""
        origins: list[MetaFile | None] = []
        merged_before: list[MetaFile | None] = []  # into a blog post's own list
        extends = self.own.get("__extends") or ()
        for file in self.files:
            items = file.data.get(key)
            if isinstance(items, list):
                into = merged_before if file.src_path in extends else origins
                into += [file] * len(items)
        own = self.own.get(key)
        if isinstance(own, list):
            if len(merged_before) > len(own):
                merged_before = []  # not what Material merged: the page's own, as they stand
            origins += [*merged_before, *[None] * (len(own) - len(merged_before))]
        merged = self.meta.get(key)
        if isinstance(merged, list) and len(merged) == len(origins) and index < len(origins):
            return origins[index]
        return self.given_by(key)

    def at(self, key: str, src: str, lines: Mapping[str, int]) -> tuple[str, int | None]:
        """Where KEY is written for the page SRC (LINES: its front matter's top-level keys):
        the meta file and line that gave it, else the page and the line of its top-level key.
        A key a blog post does not write, which a meta file Material merged into it gave, is
        that file's."""
        given = self.given_by(key)
        if given is None and key.partition(".")[0] not in lines:
            extends = self.own.get("__extends") or ()
            given = next(
                (f for f in reversed(self.files) if f.src_path in extends and _holds(f.data, key)),
                None,
            )
        if given is not None:
            return given.shown, given.line_of(key)
        return src, lines.get(key.partition(".")[0])


def _holds(data: Mapping[str, Any], key: str) -> bool:
    top, _, sub = key.partition(".")
    if not sub:
        return top in data
    value = data.get(top)
    return isinstance(value, dict) and sub in value


def merged(
    meta_files: Sequence[MetaFile],
    src_path: str,
    meta: Mapping[str, Any],
    src: str,
    lines: Mapping[str, int],
) -> Front:
    """The front matter of the page at SRC_PATH (``File.src_path``) whose own is META, merged
    with META_FILES as Material's meta plugin merges them: each file whose directory starts the
    page's path, in order, with mergedeep's TYPESAFE_ADDITIVE strategy, the page's own last
    (it wins); a file Material merged already (into a blog post's meta, which then names it in
    ``__extends``) is in META already. Where Material cannot merge them (it stops the build), a
    problem naming the meta file at its key's line, or the page (SRC) at its key's line
    (LINES)."""
    files = tuple(f for f in meta_files if f.data and f.applies_to(src_path))
    if not files:
        return Front(meta, meta)
    extends = meta.get("__extends") or ()
    result: dict[str, Any] = {}
    for file in files:
        if file.src_path in extends:
            continue
        for key, value in file.data.items():
            try:
                merge(result, {key: value}, strategy=Strategy.TYPESAFE_ADDITIVE)
            except TypeError:
                message = (
                    f"'{key}' cannot be merged with the '{key}:' of the meta files above it "
                    "(Material's meta plugin merges them)."
                )
                problem = Finding(_MALFORMED, message, file.shown, file.line_of(str(key)))
                return Front(meta, meta, files, problem)
    for key, value in meta.items():
        try:
            merge(result, {key: value}, strategy=Strategy.TYPESAFE_ADDITIVE)
        except TypeError:
            above = next((f.shown for f in reversed(files) if key in f.data), "the meta files")
            message = (
                f"front matter '{key}' cannot be merged with the '{key}:' of {above} "
                "(Material's meta plugin merges it)."
            )
            problem = Finding(_MALFORMED, message, src, lines.get(str(key)))
            return Front(meta, meta, files, problem)
    return Front(result, meta, files)
