"""The MkDocs plugin: each hook hands MkDocs' objects to the build core (``build.py``).

on_config          adds the site's Mermaid build (first), starts a Build (git starts in
                   threads) and adds the theme overrides (last)
on_files           reads git, DVC and registry facts once for the whole site; gives
                   mkdocs-macros the variable ``ml``
on_nav             slugs Material's blog posts from their titles with the facts resolved
on_page_markdown   resolves the page's references and front matter binding
on_env             reports every finding at once; errors stop the build before a page is written,
                   except under `mkdocs serve`, where the pages show them (on_page_context)
on_page_context    publishes the page's facts as page.meta.ml while its template renders, and
                   under `mkdocs serve` puts the page's findings at its top
on_post_build      writes the manifest and the Hub model cards
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from mkdocs_mlplugin.build import Build, Session, add_mermaid
from mkdocs_mlplugin.config import MLConfig
from mkdocs_mlplugin.findings import Finding, FindingError, log, log_findings
from mkdocs_mlplugin.pages import blog


class MLPlugin(BasePlugin[MLConfig]):
    """Resolve DVC and git facts into pages, draw the pipeline, fail on missing references."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.session = Session()  # what the rebuilds of one `mkdocs serve` reuse
        self.build: Build | None = None
        # src_uri -> the page's own 'ml:' front matter while its facts stand in page.meta
        self._bindings: dict[str, Any] = {}
        self.command: str | None = None  # MkDocs' command: "build", "serve", "gh-deploy"

    @property
    def findings(self) -> list[Finding]:
        """The findings of the last build."""
        return self.build.findings if self.build else []

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Learn the command: under ``mkdocs serve`` findings are shown on the pages instead of
        failing the build. Defined also so that MkDocs keeps this plugin object across the
        builds of one ``mkdocs serve``: then a rebuild reuses the facts that did not change
        (``Session``)."""
        self.command = command

    # Run before other plugins' on_config: mkdocs-mermaid2 takes a Mermaid build it finds in
    # extra_javascript there, instead of fetching its CDN's.
    @event_priority(100)
    def _on_config_mermaid(self, config: MkDocsConfig) -> MkDocsConfig:
        add_mermaid(self.config, config)
        return config

    # Run after other plugins' on_config: some (techdocs-core) replace the theme, and the
    # overrides directory must be added to the theme that is finally used.
    @event_priority(-100)
    def _on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if self.build is not None:
            self.build.close()  # a build that failed early left it open
        check_site_dir(config)
        self.build = Build(
            self.config,
            self.session,
            Path(config.config_file_path or ".").resolve().parent,
            Path(config.docs_dir).resolve(),
            os.environ.get("MIKE_DOCS_VERSION") or None,
        )
        self.build.start()
        self.build.configure(config)
        self.build.defer_plots()
        return config

    on_config = CombinedEvent(_on_config_mermaid, _on_config)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        build = self._current()
        build.read(files, config)
        macros = config.plugins.get("macros")
        if macros is not None and hasattr(macros, "register_variables"):
            try:  # its on_config has run: the variable is there for every page
                macros.register_variables({"ml": build.variables()})
            except KeyError:
                log.info(
                    "mkdocs-macros has a variable 'ml' of the site's own (in 'extra:' or its "
                    "module): it is kept, and the site's facts are not given to macros."
                )
        return files

    # Before Material's blog puts its posts into the navigation (its on_nav runs at -50), and
    # after it read them (its on_files at -50 too): their URLs still follow from their titles.
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        blog.slug_posts(config, self._current().text)
        return nav

    # Run before other plugins (mkdocs-macros, i18n, ...) change the Markdown, so that line
    # numbers still match the source file.
    @event_priority(100)
    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        return self._current().page_markdown(markdown, page)

    # First of the plugins: from here on page.markdown holds the facts as the HTML the page got.
    @event_priority(100)
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        self._current().converted(page)
        return html

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        build = self._current()
        graded = build.finish()
        errors = log_findings(graded, build.pages, build.started)
        if self.command == "serve":
            # the preview keeps reloading: each page shows its findings at its top
            build.show_findings(graded)
            if errors:
                log.info(
                    f"{errors} error{'s' if errors != 1 else ''} (listed above) shown on the "
                    "pages of the preview; 'mkdocs build' fails until they are fixed."
                )
        elif errors:
            raise PluginError(
                f"mlplugin: {errors} error{'s' if errors != 1 else ''} (listed above); "
                "the site was not built."
            )
        return env

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Publish the facts as page.meta.ml while this page's own template renders.

        Only then: a page whose meta is not empty makes Material's navigation template take a
        slower path for that page's entry in every other page's navigation."""
        build = self._current()
        page.content = build.put_plots(page.content or "", page.url)
        shown = build.findings_html(page)
        if shown:
            page.content = shown + page.content
        meta = build.meta(page)
        if meta is not None:
            self._bindings[page.file.src_uri] = page.meta.get("ml", _UNSET)
            page.meta["ml"] = meta
        return context

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Put the page's own 'ml:' front matter back (or none, as it had)."""
        binding = self._bindings.pop(page.file.src_uri, None)
        if binding is _UNSET:
            page.meta.pop("ml", None)
        elif binding is not None:
            page.meta["ml"] = binding
        return output

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild on ``dvc repro`` (dvc.lock, params, metrics), ``dvc add`` (.dvc files),
        a commit or a tag (git HEAD and refs)."""
        for path in self.watched():
            server.watch(str(path))
        return server

    def watched(self) -> list[Path]:
        """The files whose changes change the last build's facts."""
        return self.build.watched() if self.build else []

    def on_build_error(self, *, error: Exception) -> None:
        if self.build is not None:
            self.build.close()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        try:
            self._current().write(config.site_dir)
        except FindingError as exc:
            raise PluginError(f"mlplugin: {exc.finding.message}") from None

    def _current(self) -> Build:
        if self.build is None:  # MkDocs runs on_config first; only a broken caller gets here
            raise PluginError("mlplugin: the plugin's on_config has not run.")
        return self.build


_UNSET = object()  # page.meta had no 'ml' key


def check_site_dir(config: MkDocsConfig) -> None:
    """Stop the build before MkDocs empties the site directory when, with its symbolic links
    resolved, it holds mkdocs.yml or the docs: a site directory committed as a link to the
    repository would otherwise have MkDocs delete the work tree."""
    site = os.path.realpath(config.site_dir)
    for name, path in (
        ("mkdocs.yml", config.config_file_path or "mkdocs.yml"),
        ("docs_dir", config.docs_dir),
    ):
        real = os.path.realpath(path)
        if real == site or real.startswith(site.rstrip(os.sep) + os.sep):
            raise PluginError(
                f"mlplugin: the site directory {config.site_dir} is (through a symbolic link) "
                f"{real if real == site else 'a directory above ' + real}, which holds the "
                f"{name}: building would empty it. Set 'site_dir' to a directory of its own."
            )
