"""Material's meta files (``.meta.yml``): the ``ml:`` binding they give the pages below them.

Material's meta plugin (``material/meta``) reads every file of docs_dir named as its
``meta_file`` option says, and, in its ``on_page_markdown`` (after this plugin's), merges each
into the ``page.meta`` of every page whose path starts with the file's directory: in the order
of MkDocs' files, with mergedeep's ``TYPESAFE_ADDITIVE`` strategy, the page's own front matter
last, so that it wins. ``read`` reads those files through guards and the YAML reader (a bad
file is a finding naming it and its line); ``checks.bindings.inherited`` merges their ``ml:``
as Material will merge it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig

from mkdocs_mlplugin.facts.structured import parse_yaml

#: Material's name of its meta plugin (MkDocs names ``meta`` so under the Material theme)
PLUGIN = "material/meta"
NONE = object()  # a meta file that says nothing of 'ml:'
_ML_KEY = re.compile(r"""^(?:ml|'ml'|"ml")[ \t]*:""", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class MetaFile:
    """One meta file: its ``File.src_path`` (Material's key: its directory decides which pages
    it applies to), its path as findings name it, its ``ml:`` value (NONE when it has none)
    and the line of its ``ml:`` key."""

    src_path: str
    shown: str
    ml: Any
    line: int | None


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
    with PyYAML's safe loader (YAML 1.1, as MkDocs reads front matter). A file with no
    top-level ``ml:`` line is none of this plugin's business: Material reports its problems."""
    found = _ML_KEY.search(text)
    if found is None:
        return MetaFile(src_path, shown, NONE, None)
    parse_yaml(text, shown)
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    if not isinstance(data, dict) or "ml" not in data:
        return MetaFile(src_path, shown, NONE, None)
    return MetaFile(src_path, shown, data["ml"], text.count("\n", 0, found.start()) + 1)
