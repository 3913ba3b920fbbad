"""``mkdocs_mlplugin.markdown``: the reference syntax as a Python-Markdown extension.

For site generators that run Python-Markdown extensions but not MkDocs plugins (Zensical), and
for plain ``markdown``. It resolves the same references and blocks from the same core as the
plugin (``build.Build``: ``read_facts`` and ``render_page``); a reference it cannot resolve
becomes a visible marker and a warning on the ``mkdocs.plugins.mlplugin`` logger. It cannot fail
a build: run ``mkdocs-ml check`` first for that.

What needs a page's identity is not available here: per-page git dates (``{ml page ...}``) and
front matter bindings (name the artifact or stage in blocks: ``{ml provenance NAME}``).

Options: ``root`` (the site's directory, default: the working directory), ``dvc_root``,
``date_format``, ``show_emails``, as for the plugin.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from mkdocs_mlplugin.build import Build, Session
from mkdocs_mlplugin.config import EXTENSION_OPTIONS, extension_options
from mkdocs_mlplugin.facts.site import PageFacts
from mkdocs_mlplugin.findings import Finding, log
from mkdocs_mlplugin.pages.stash import Stash

#: facts read once per process and site, read again when a file they come from changes
_CACHE: dict[tuple[Any, ...], tuple[Build, dict[Path, float]]] = {}


def _mtimes(paths: list[Path]) -> dict[Path, float]:
    stamps = {}
    for path in paths:
        try:
            stamps[path] = path.stat().st_mtime
        except OSError:
            stamps[path] = -1.0
    return stamps


def facts_for(options: dict[str, Any]) -> Build:
    """The site's facts, read once and shared by every page of the site."""
    root = Path(options.get("root") or os.getcwd()).resolve()
    key = (root, tuple(sorted((k, str(options.get(k))) for k in EXTENSION_OPTIONS)))
    cached = _CACHE.get(key)
    if cached is not None and _mtimes(list(cached[1])) == cached[1]:
        return cached[0]
    config, errors = extension_options(options)
    for problem in errors:
        log.error("markdown extension option %s", problem)
    # the session of the site's earlier facts: what did not change is not read again
    build = Build(config, cached[0].session if cached else Session(), root)
    build.read_facts()
    for finding in build.findings:
        log.warning(finding.line_text())
    build.findings.clear()
    _CACHE[key] = (build, _mtimes(build.watched()))
    return build


def _warn(findings: list[Finding]) -> None:
    for finding in findings:
        log.warning(finding.line_text())


class _References(Preprocessor):
    def __init__(self, md: Markdown, extension: MLExtension, stash: Stash) -> None:
        super().__init__(md)
        self.extension = extension
        self.stash = stash

    def run(self, lines: list[str]) -> list[str]:
        build = facts_for(self.extension.getConfigs())
        page = PageFacts(src=self.extension.getConfig("source") or "<markdown>", repo_path=None)
        before = len(build.findings)
        self.stash.clear()  # a new document
        try:
            text, _, _ = build.render_page("\n".join(lines), page, 1, {}, self.stash)
        finally:
            build.close()  # a provenance box reads old dvc.lock versions
        for finding in build.findings[before:]:
            log.warning(
                finding.line_text() if finding.where() else f"{page.src}: {finding.line_text()}"
            )
        del build.findings[before:]
        return text.split("\n")


class MLExtension(Extension):
    """Resolve ``{ml ...}`` references while Markdown is converted."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "root": [
                "",
                "the site's directory (where mkdocs.yml is); default: the working directory",
            ],
            "dvc_root": ["", "the DVC project's directory, relative to root; default: found"],
            "date_format": ["%Y-%m-%d", "strftime format of dates"],
            "show_emails": [False, "publish author e-mail addresses"],
            "source": ["", "the page's name in messages"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Before fenced code (25) so a pipeline block's ```mermaid fence is processed, and
        # before raw HTML blocks (20) so the tables it writes are kept as HTML.
        stash = Stash()
        md.preprocessors.register(_References(md, self, stash), "mlplugin", 35)
        stash.extension(_warn).extendMarkdown(md)


def makeExtension(**kwargs: Any) -> MLExtension:
    return MLExtension(**kwargs)
