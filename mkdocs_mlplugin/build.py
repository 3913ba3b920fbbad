"""The build core: one build of one site (``Build``) and what survives between builds
(``Session``). It knows nothing of MkDocs' events: the plugin (``plugin.py``), ``mkdocs-ml
check`` (``cli.py``) and the Markdown extension (``markdown.py``) call it.

A reference travels: ``pages.references.scan`` finds it in a page's Markdown;
``Build.render_page`` asks ``pages.values`` (or ``pages.blocks``) for its value, from the
facts ``Build.read`` took from ``facts/``, and hands the HTML to ``pages.stash``;
Python-Markdown converts the page and the stash puts the HTML back. Findings collect in ``Build.findings``; ``Build.finish``
grades them once.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import posixpath
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from mkdocs_mlplugin import guards, manifest, render
from mkdocs_mlplugin.checks import bindings, cards, coverage, drift, records
from mkdocs_mlplugin.config import MLConfig
from mkdocs_mlplugin.facts import dvc, git, hashes, metafiles, registry, structured, timeline
from mkdocs_mlplugin.facts.reader import SiteReader
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts, relative, repo_prefix
from mkdocs_mlplugin.findings import (
    Finding,
    FindingError,
    Findings,
    Where,
    did_you_mean,
    visible,
)
from mkdocs_mlplugin.pages import links, publish, references, registers
from mkdocs_mlplugin.pages import records as record_pages
from mkdocs_mlplugin.pages.blocks import param_group, render_block
from mkdocs_mlplugin.pages.stash import Source, Stash
from mkdocs_mlplugin.pages.values import value_of
from mkdocs_mlplugin.render.markdown import MARKDOWN

if TYPE_CHECKING:
    from mkdocs_mlplugin.checks import gate

_UNSET = object()  # page.meta had no 'ml' key
#: where the site's Mermaid build is served; Material uses a global `mermaid` when one is loaded
MERMAID_JS = "assets/javascripts/mermaid.min.js"
#: the Mermaid build the package ships (its version, source and licence beside it)
BUNDLED_MERMAID = Path(__file__).parent / "assets" / "mermaid" / "mermaid.min.js"
THEME_OVERRIDES = next(
    (
        p
        for p in (
            Path(__file__).parent / "theme_overrides",
            Path(__file__).parent.parent / "theme_overrides",
        )
        if p.is_dir()
    ),
    None,
)


def serves_mermaid(options: MLConfig, config: MkDocsConfig) -> bool:
    """Whether the site serves a Mermaid build of its own (the bundled one, or ``mermaid_js``):
    when it draws Mermaid diagrams (a superfences fence named ``mermaid``, or mkdocs-mermaid2 in
    its plugins) or names a build, unless ``mermaid: cdn``, or the site loads a Mermaid of its
    own: mkdocs-mermaid2's ``javascript`` option names one, or ``extra_javascript`` has a
    script named like one (two Mermaids on a page would fight)."""
    if options.mermaid == "cdn":
        return False
    mermaid2 = config.plugins.get("mermaid2")
    if mermaid2 is not None and mermaid2.config.get("javascript"):
        return False
    scripts = [str(s) for s in config.extra_javascript if str(s) != MERMAID_JS]
    if any("mermaid" in os.path.basename(s).lower() for s in scripts):
        return False
    fences = (config.mdx_configs.get("pymdownx.superfences") or {}).get("custom_fences") or []
    fenced = any(isinstance(f, dict) and f.get("name") == "mermaid" for f in fences)
    return fenced or mermaid2 is not None or bool(options.mermaid_js)


def add_mermaid(options: MLConfig, config: MkDocsConfig) -> bool:
    """Load the site's Mermaid build on its pages, when it serves one (Material and
    mkdocs-mermaid2 then use it instead of a CDN's); whether it does."""
    if MERMAID_JS in config.extra_javascript:
        return True
    if not serves_mermaid(options, config):
        return False
    config.extra_javascript.append(MERMAID_JS)
    return True


def findings_by_page(
    graded: list[tuple[Finding, str]], sources: Mapping[str, str], home: str | None
) -> dict[str, list[tuple[Finding, str]]]:
    """Which page shows which of GRADED's errors and warnings (information is only logged):
    src_uri -> its findings, in GRADED's order. A finding is shown on the page whose path from
    mkdocs.yml's directory (SOURCES: src_uri -> that path) is its file; a finding about no page
    (dvc.yaml, params, mkdocs.yml, or no file) on the home page HOME (src_uri), or, in a site
    without one, on its first page."""
    pages = {src: uri for uri, src in sources.items()}
    fallback = home if home in sources else next(iter(sources), None)
    shown: dict[str, list[tuple[Finding, str]]] = {}
    for finding, severity in graded:
        if severity not in ("error", "warn"):
            continue
        uri = pages.get(finding.file) if finding.file is not None else None
        uri = uri if uri is not None else fallback
        if uri is not None:
            shown.setdefault(uri, []).append((finding, severity))
    return shown


class Session:
    """What the builds of one process keep for the next (the rebuilds of one ``mkdocs serve``),
    and the one place that says when each part may be reused:

    history   the git history of the repository, while its root and HEAD are the same
    project   the DVC project (and ``others``, the site's other projects), file by file while
              each file's size and modification time are the same (``dvc.load_project``)
    fronts    each page's own front matter, while the page's inode, size and modification
              time are the same, and the time is older than git's racy window
    registry  the GTO registry, while ``git for-each-ref`` lists the same tags
              (``registry.read``)
    hasher    the hashes of workspace files the pipeline check reads, while each file's size
              and modification time are the same (``hashes.Hasher``)
    plots     each plot's SVG, by the hash of its Vega-Lite specification (data included), so
              a plot is drawn once while its data and definition stay the same

    The plugin keeps one for the life of ``mkdocs serve``, the Markdown extension one per site.
    The other caches of the package (``functools.lru_cache``) hold pure functions of their
    arguments, which never go stale.
    """

    def __init__(self) -> None:
        self.history: tuple[tuple[Path, str | None], git.Histories] | None = None
        self.project: dvc.Project | None = None
        self.others: dict[Path, dvc.Project] = {}
        # page path -> (stat key, its front matter, whether its body starts on line 1)
        self.fronts: dict[str, tuple[tuple[int, int, int], dict[str, Any], bool]] = {}
        self.registry: registry.Registry | None = None
        self.hasher = hashes.Hasher()
        self.plots: dict[str, str] = {}


class Build:
    """One build of one site, in three steps that know nothing of MkDocs' events:

    1. facts   ``start`` starts reading git in threads; ``read`` reads git, DVC and the
               registry once for the whole site, and adds the generated pages
    2. pages   ``page_markdown`` resolves one page's references and binding; ``converted``
               puts the inline values into the page's Markdown once it is HTML
    3. finish  ``finish`` runs the checks across pages (doc drift, pins) and grades every
               finding; ``write`` writes the manifest and the Hub model cards into the site

    The plugin, ``mkdocs-ml check`` and the Markdown extension drive these steps.
    """

    def __init__(
        self,
        options: MLConfig,
        session: Session,
        config_dir: Path,
        docs_dir: Path | None = None,
        docs_version: str | None = None,
    ) -> None:
        self.options, self.session = options, session
        self.config_dir = config_dir
        self.docs_dir = docs_dir  # resolved; None where there is no MkDocs config
        # mike builds each docs version with MIKE_DOCS_VERSION set; the manifest and footer name it
        self.docs_version = docs_version
        self.started = time.monotonic()
        self.findings = Findings()
        # git, DVC and the registry, read once: it fills the site's facts and its views
        self.reader = SiteReader(options, session, config_dir, docs_dir, self.findings)
        self.site = self.reader.site
        # the site's other DVC projects (dvc_root: [a, b]): root -> the facts as that project's
        # pages see them
        self._views = self.reader.views
        self.pages: list[dict[str, Any]] = []
        self.bound: list[bindings.Bound] = []
        self.documented: dict[str, Any] = {}
        self.mermaid = False  # whether the site serves a Mermaid build (configure)
        self.meta_files: list[metafiles.MetaFile] = []  # Material's .meta.yml, when enabled
        # src_uri -> the page's front matter with Material's meta files merged in, read once
        self._fronts: dict[str, metafiles.Front] = {}
        self.card_pages: dict[str, File] = {}  # artifact -> the page bound to it
        # each page with an 'ml:' mapping (meta files' merged in), and the coverage they give
        self._page_bindings: list[tuple[File, dict[str, Any]]] = []
        self.coverage = coverage.Coverage({})
        # documented_by: each pattern -> the pages that document what it matches (read)
        self.mapped: dict[str, list[gate.Page]] = {}
        self.timeline: list[timeline.Change] | None = None  # when timeline_page computed it
        self.cards: dict[
            str, tuple[dict[str, Any], str]
        ] = {}  # artifact -> (Hub metadata, Markdown)
        self.published: dict[str, dict[str, Any]] = {}  # src_uri -> page.meta.ml
        # src_uri -> the page's path as findings name it (from mkdocs.yml's directory)
        self.sources: dict[str, str] = {}
        self.home: str | None = None  # src_uri of the site's home page
        # src_uri -> the findings shown at the top of the page (``show_findings``)
        self.page_findings: dict[str, list[tuple[Finding, str]]] = {}
        self.stash = Stash()  # this build's inline facts, put into pages by Markdown
        self._resolved_inline: dict[tuple[Any, ...], Any] = {}
        self._git_meta: tuple[git.RepoFacts | None, dict[str, Any] | None] = (None, None)
        # directory -> its path from mkdocs.yml's directory and from the git root, as a prefix
        # of its files' paths, and the nested repository holding it
        self._dirs: dict[str, tuple[str | None, str | None, Path | None]] = {}
        # directory -> _page_project's answer for its pages (several projects, monorepo-style)
        self._dir_projects: dict[str, tuple[Path | None, str | None]] = {}
        # pages whose first line holds text (no front matter, no blank line): their Markdown
        # body starts on line 1, so the page need not be read again to number its lines
        self._body_first: set[str] = set()
        # each root files are read from, resolved once for this build (guards.Root)
        self._roots: dict[Path, guards.Root] = {}
        # a page of docs_dir -> its stat and how it starts, from the open that guarded it
        self._openings: dict[str, tuple[os.stat_result, str]] = {}
        self.repo_url: str | None = None  # mkdocs.yml's repo_url: where commits link to
        self._files: Files | None = None
        self._registry_file: File | None = None  # the generated registry page
        self._pipeline_page: object = _UNSET  # the page drawing the pipeline, once looked for
        self._commits: dict[str, str | None] = {}  # a commit as a link names it -> its SHA
        # every record page (ml: {record: KIND}) of the site, read before the pages are built
        self.records: list[registers.Record] = []
        self._decisions: dict[str, registers.Record] = {}  # decision records by page
        # the paths in the site that write() writes, None when unset or refused
        self._outputs = {o: self._site_option(o) for o in ("manifest", "hf_export")}

    @property
    def repo(self) -> git.GitRepo | None:
        """The git repository the site is in, once read (None: none, or unreadable)."""
        return self.reader.repo

    @property
    def git_root(self) -> Path | None:
        return self.reader.git_root

    @property
    def _uncommitted(self) -> frozenset[str]:
        """Paths (from the git root) that differ from HEAD, untracked ones included."""
        return self.reader.uncommitted

    # ------------------------------------------------------------------ 1. facts

    def start(self) -> None:
        """Start reading git in threads while MkDocs collects the files."""
        self.reader.start_git()

    def configure(self, config: MkDocsConfig) -> None:
        """Add to MkDocs' CONFIG what this build needs: its stash's Markdown extension (in
        place of the extension for front ends without plugins, and of an earlier build's
        stash), the site's Mermaid build, the theme overrides."""
        # The Markdown extension is for front ends without plugins; here the plugin does its work.
        for name in [n for n in config.markdown_extensions if n == "mkdocs_mlplugin.markdown"]:
            config.markdown_extensions.remove(name)
            config.mdx_configs.pop(name, None)
        # this build's stash in place of the one of an earlier build of the same config
        extensions = config.markdown_extensions
        extensions[:] = [e for e in extensions if not isinstance(getattr(e, "stash", None), Stash)]
        extensions.append(self.stash.extension())  # type: ignore[arg-type]
        self.mermaid = add_mermaid(self.options, config)
        if self.options.theme_overrides and THEME_OVERRIDES and config.theme.name == "material":
            dirs = config.theme.dirs
            if str(THEME_OVERRIDES) not in dirs:
                dirs.insert(1 if config.theme.custom_dir else 0, str(THEME_OVERRIDES))

    def read(self, files: Files, config: MkDocsConfig) -> None:
        """Read git, DVC and registry facts once for the whole site; take out of FILES what
        must not be published; add the Mermaid build and the generated pages."""
        self.reader.read_git()
        self._guard_docs(files, config)
        if self.mermaid:
            self._add_mermaid(files, config)
        self.reader.read_dvc()
        self.reader.join_history()
        self.reader.docs_dirty(self._repo_places(files))
        self.reader.read_registry()
        self.repo_url, self._files = config.repo_url, files
        self.meta_files = self._meta_files(files, config)
        self.documented = self._documented(files)
        self.coverage = self._survey()
        self.mapped = self._mapped_pages(files)
        self.findings.extend(coverage.missing(self.coverage, self.options.require.records))
        if self._site_option("coverage_page"):
            self._add_coverage_page(files, config)
        if self._site_option("registry_page"):
            self._add_registry_page(files, config)
        if self._site_option("timeline_page"):
            self._add_timeline_page(files, config)
        self.records = self._records(files)
        self._decisions = {r.src_uri: r for r in self.records if r.kind == records.DECISION}
        for option, register in registers.REGISTERS.items():
            if self._site_option(option):
                self._add_register(option, register, files, config)

    def read_facts(self) -> None:
        """Read git, DVC and registry facts for a site without MkDocs' files (the Markdown
        extension)."""
        self.reader.read_git()
        self.reader.read_dvc()
        self.reader.join_history()
        self.reader.read_registry()

    # ------------------------------------------------------------------ 2. pages

    def page_markdown(self, markdown: str, page: Page) -> str:
        """The page's Markdown with its references resolved; its binding checked."""
        facts = self._page_facts(page.file)
        self.sources[page.file.src_uri] = facts.src
        if page.is_homepage:
            self.home = page.file.src_uri
        if not page.meta and page.file.abs_src_path in self._body_first:
            first_line = 1  # as _first_line finds it, without reading the page again
        else:
            first_line = _first_line(page, markdown)
        front = self._front(page.file, page)
        meta = front.meta
        at = self._where(page, facts, front)
        self._bind(page, facts, front)
        self._title_until_converted(page, markdown)
        record = records.record_kind(meta) is not None  # a record is no model card
        card = facts.artifact is not None and facts.artifact.type == "model" and not record
        if card:
            self._check_card(page, facts, front, at, markdown, first_line)
        elif not facts.binding_failed and cards.asks_model_index(meta):
            what = (
                f"artifact '{facts.artifact.name}' is of type '{facts.artifact.type or 'none'}'"
                if facts.artifact is not None
                else "the page is bound to no artifact"
            )
            self.findings.add(
                Finding(
                    "card_schema",
                    f"front matter '{cards.GENERATED}': only a model card (a page bound to an "
                    f"artifact of type model) gets a model-index, and {what}.",
                    *at("ml.model_index"),
                )
            )
        self._check_record(page, facts, front, at, markdown, first_line, card)
        page_links: list[dict[str, Any]] = []  # the page's verified links, for the manifest
        markdown, record_box = self._link_page(
            page, facts, front, at, markdown, first_line, page_links
        )
        links = _Links(self.documented, page.file)
        hub = bool(self.options.hf_export) and card
        result, refs, plain = self.render_page(
            markdown, facts, first_line, links, self.stash, hub=hub
        )
        if record_box is not None:  # kept out of Python-Markdown's HTML parser, as blocks are
            source = Source(facts.src, first_line, "the record's header")
            result = record_pages.with_header(result, _kept(record_box, self.stash, source))
        site = self._site_of(facts)
        if self._git_meta[0] is not site.repo:  # one mapping for every page of the build
            self._git_meta = (site.repo, site.repo.as_dict() if site.repo else None)
        facts.meta, row = publish.publish(
            site,
            facts,
            page.url,
            refs,
            docs_version=self.docs_version,
            git_meta=self._git_meta[1],
            uncommitted=publish.page_uncommitted(
                facts,
                self.site.repo,
                self.site.history,
                self._uncommitted,
                bool(page.file.abs_src_path),
            ),
            front=meta,
        )
        self.published[page.file.src_uri] = facts.meta
        if page_links:
            row["links"] = page_links
        self.pages.append(row)
        if card and facts.artifact is not None:
            metadata = cards.hub_metadata(meta, self._measured(facts), _model_name(facts))
            row["hub"] = metadata
            if plain is not None:
                self.cards[facts.artifact.name] = (metadata, plain)
        return result

    def text(self, text: str, file: File) -> str:
        """TEXT, written on the page FILE (a title another plugin reads before the page is
        built, to derive a slug from), with each inline reference as its value reads, as plain
        text (not escaped for any markup). A reference that does not resolve stays as
        written: the page reports it when it is built."""
        if "{ml" not in text:
            return text
        facts = self._page_facts(file, report=False)
        matches = references.scan(text, facts.src)
        rendered: list[str] = []
        for match in matches:
            written, ref = text[match.start : match.end], match.reference
            if ref is None or match.problem is not None or ref.block:
                rendered.append(written)
                continue
            ref, site = self._answering(ref, facts)
            try:
                rendered.append(render.printable(self._inline(ref, facts, site)[1]))
            except FindingError:
                rendered.append(written)
        return references.replace(text, matches, rendered)

    def variables(self) -> dict[str, Any]:
        """The site's facts for templates outside this plugin's (mkdocs-macros' variable
        ``ml``), in the shapes the README gives elsewhere: each artifact and stage as
        ``page.meta.ml`` shows the one a page is bound to, git as ``page.meta.ml.git``, the
        current params and metrics, and the registry, as the manifest has them (the first DVC
        project of ``dvc_root``)."""
        site, project = self.site, self.site.project
        git_meta = site.repo.as_dict() if site.repo else None

        def published(**bound: Any) -> dict[str, Any]:
            """page.meta.ml of a page bound to BOUND (artifact=..., stage=...)."""
            facts = PageFacts(src="", repo_path=None, **bound)
            return publish.page_meta(
                site, facts, docs_version=self.docs_version, git_meta=git_meta, uncommitted=None
            )

        return {
            "docs_version": self.docs_version,
            "git": git_meta,
            "artifacts": {n: published(artifact=a)["artifact"] for n, a in site.artifacts.items()},
            "stages": {n: published(stage=s)["stage"] for n, s in project.stages.items()}
            if project
            else {},
            "params": project.params if project else {},
            "metrics": project.metrics if project else {},
            "registry": manifest.registry_manifest(site),
        }

    def _title_until_converted(self, page: Page, markdown: str) -> None:
        """Until a page is converted, MkDocs takes its title (without a 'title:' in front
        matter) from the first line of its Markdown when that is a '# ' heading, as written:
        plugins that read ``page.title`` before then (mkdocs-macros' ``page.title``, Material's
        social cards) would read ``{ml ...}``. The heading with its values, as plain text,
        stands in until MkDocs takes the title from the converted page."""
        first = _FIRST_LINE.match(markdown)
        heading = first.group(1).strip() if first else ""
        if "{ml" in heading and heading.startswith("# ") and "title" not in page.meta:
            page._title_from_render = self.text(heading.lstrip("# "), page.file)

    def converted(self, page: Page) -> None:
        """Put the facts back into page.markdown as HTML once it is converted: plugins that
        read it later (RSS descriptions, excerpts rendered again) see values, not tokens, and
        image plots at addresses relative to the page."""
        from mkdocs_mlplugin.pages.plots import put_images

        page.markdown = put_images(self.stash.expand(page.markdown or ""), page.url)
        self.findings.extend(self.stash.take_refused())  # made while the page was converted

    def meta(self, page: Page) -> dict[str, Any] | None:
        """The facts published as the page's ``page.meta.ml``; None for a page without them."""
        return self.published.get(page.file.src_uri)

    # ------------------------------------------------------------------ 3. finish

    def defer_plots(self) -> None:
        """Draw plots in the background while pages are converted, each put in its page by
        ``put_plots`` (the plugin: MkDocs renders every page's template after ``finish``)."""
        from mkdocs_mlplugin.pages.plots import Drawer

        self.site.plot_drawer = Drawer(self.session.plots, self.site.plot_timeout)
        self.site.plot_images = {}
        for view in self.reader.views.values():
            view.plot_drawer = self.site.plot_drawer
            view.plot_images = self.site.plot_images

    def put_plots(self, html: str, url: str) -> str:
        """HTML (a page's content, the page at URL) with its plots drawn in place of their
        placeholders and its image plots' addresses relative to the page."""
        from mkdocs_mlplugin.pages.plots import put_images

        drawer = self.site.plot_drawer
        return put_images(drawer.put(html) if drawer is not None else html, url)

    def finish(self) -> list[tuple[Finding, str]]:
        """Run the checks across pages; every finding once, with its severity."""
        if self.site.plot_drawer is not None:
            self.findings.extend(self.site.plot_drawer.finish())
        self.check_docs()
        return self.findings.graded(self.options.checks)

    def changed_since(self, base: str) -> tuple[git.Range, list[Finding]]:
        """The pull-request gate (``mkdocs-ml check --since BASE``, ``checks.gate``), once
        every page went through page_markdown: what changed since BASE, and a finding for
        each page bound to a stage (or to an artifact a stage makes) whose deps or used
        params changed, or mapped by ``documented_by`` to changed paths, that did not change
        itself. FindingError when BASE cannot be compared with HEAD."""
        from mkdocs_mlplugin.checks import gate  # the gate's alone, as in _stage_watches

        repo, root = self.repo, self.git_root
        if repo is None or root is None:
            why = self.site.git_problem or "no git repository"
            raise FindingError(Finding("git_history", f"--since needs git history: {why}"))
        span = repo.changed_since(base)
        watches: list[gate.Watch] = []
        for view in self.sites:
            if view.project is not None:
                watches += self._stage_watches(view, view.project, repo, span)
        for pattern, pages in self.mapped.items():
            what = f"documented_by '{pattern}'"
            watches.append(gate.Watch(what, gate.matching(pattern, span.paths), pages))
        config_dir = relative(self.config_dir, root) or "."
        return span, gate.undocumented(watches, span.paths, span.label(), config_dir)

    def _mapped_pages(self, files: Files) -> dict[str, list[gate.Page]]:
        """The pages ``documented_by`` maps each pattern to, as the gate names them; a page
        that is not in the site is a finding at mkdocs.yml (in every build, not only the
        gate's)."""
        if not self.options.documented_by:
            return {}
        from mkdocs_mlplugin.checks import gate  # only for documented_by, or the gate

        pages = {f.src_uri: f for f in files.documentation_pages()}
        mapped: dict[str, list[gate.Page]] = {}
        for pattern, targets in self.options.documented_by.items():
            found = mapped.setdefault(pattern, [])
            for target in targets:
                file = pages.get(target)
                if file is None or not file.abs_src_path:
                    guess = did_you_mean(target, pages)
                    message = (
                        f"option 'documented_by': '{target}' (for '{pattern}') is no page of "
                        f"docs_dir.{guess}"
                    )
                    self.findings.add(Finding("missing_reference", message, "mkdocs.yml"))
                    continue
                src, repo_path, _other = self._place(file.abs_src_path)
                found.append(gate.Page(src or file.src_uri, repo_path))
        return mapped

    def _stage_watches(
        self, view: SiteFacts, project: dvc.Project, repo: git.GitRepo, span: git.Range
    ) -> list[gate.Watch]:
        """The stages of PROJECT that pages of VIEW document, each with its changed deps and
        params (``gate.stage_changes``) and those pages."""
        from mkdocs_mlplugin.checks import gate  # the gate's alone, as in changed_since

        documenting: dict[str, list[gate.Page]] = {}
        for bound in self.bound:
            facts = bound.page
            if not bound.drift or self._site_of(facts) is not view:
                continue  # a record that does not document what it is bound to: a decision
            stage = facts.stage.name if facts.stage is not None else None
            path = facts.artifact.path if facts.artifact is not None else None
            for name in coverage.stages_made(project, stage, (path, facts.data)):
                documenting.setdefault(name, []).append(
                    gate.Page(facts.src, facts.repo_path, bound.line)
                )
        prefix = repo_prefix(project, repo)
        used = {f for name in documenting for f in project.stages[name].params}
        locks = {
            posixpath.join(posixpath.dirname(project.stages[name].dvcfile), dvc.LOCK_FILE)
            for name in documenting
        }
        files = sorted(f for f in used if prefix + f in span.paths)
        old = sorted(f for f in {*files, *locks} if prefix + f in span.paths)
        before = _data_at(repo, span.merge_base, prefix, old)
        now = {f: project.params[f] for f in files if f in project.params}
        texts: dict[str, str | None] = {}

        def line_of(file: str, key: str) -> int | None:
            if file not in texts:
                try:
                    texts[file] = structured.read_text(project.root, file)
                except (FindingError, OSError):
                    texts[file] = None
            text = texts[file]
            return dvc.key_line(text, key.split(".")) if text is not None else None

        return [
            gate.Watch(
                f"stage '{name}'",
                gate.stage_changes(project.stages[name], prefix, span.paths, before, now, line_of),
                pages,
            )
            for name, pages in documenting.items()
        ]

    def show_findings(self, graded: list[tuple[Finding, str]]) -> None:
        """Show GRADED's errors and warnings at the top of the pages they are about (the site's
        home page for the others), as ``mkdocs serve`` does instead of failing the build."""
        self.page_findings = findings_by_page(graded, self.sources, self.home)

    def findings_html(self, page: Page) -> str:
        """The admonition listing the findings shown on PAGE; empty when it has none."""
        return render.findings_box(
            [
                (severity, f.where(), f.message, f.kind)
                for f, severity in self.page_findings.get(page.file.src_uri, ())
            ]
        )

    def write(self, site_dir: str) -> None:
        """Write the manifest, the Hub model cards and the image plots' copies, each through
        guards.write_file: only inside SITE_DIR."""
        target = self._outputs.get("manifest")
        if target:
            record = manifest.manifest(self)
            guards.write_file(site_dir, target, lambda out: manifest.write_manifest(record, out))
        folder = self._outputs.get("hf_export")
        for name, (metadata, body) in self.cards.items() if folder else ():
            path = f"{folder}/{name.replace(':', '/')}/README.md"
            guards.write_file(site_dir, path, cards.hub_readme(metadata, body))
        for path, image in (self.site.plot_images or {}).items():
            guards.write_file(site_dir, path, image)

    def close(self) -> None:
        """End what the build started and did not finish (a failed build)."""
        self.reader.close_blobs()
        if self.site.plot_drawer is not None:
            self.site.plot_drawer.close()

    def _site_option(self, option: str) -> str | None:
        """The value of OPTION, a path in the site, when it is one (not absolute, no '..'
        part); else None and a finding naming mkdocs.yml."""
        value = self.options.get(option)
        if not value:
            return None
        try:
            guards.site_path(str(value))
        except ValueError as exc:
            self.findings.add(
                Finding(
                    "invalid_project_file",
                    f"option '{option}: {value}' {exc}: it must name a path inside the site "
                    "directory.",
                    "mkdocs.yml",
                )
            )
            return None
        return str(value)

    def _reading(self, path: str) -> tuple[guards.Root, str]:
        """(root, PATH relative to it) for guards.open_file: the files a site names (pages,
        mermaid_js) must be inside the git work tree (mkdocs.yml's directory outside git) or
        inside docs_dir (which a plugin such as mkdocs-monorepo may put elsewhere). Each root
        is a guards.Root of this build: resolved once, not once per file."""
        roots = [r for r in (self.git_root or self.config_dir, self.docs_dir) if r is not None]
        for root in roots:
            rel = guards.relative(path, root)
            if self._root(root).inside(rel) is not None:
                return self._root(root), rel
        return self._root(roots[0]), guards.relative(path, roots[0])

    def _root(self, root: Path) -> guards.Root:
        if root not in self._roots:
            self._roots[root] = guards.Root(root)
        return self._roots[root]

    def _add_mermaid(self, files: Files, config: MkDocsConfig) -> None:
        """Serve the site's Mermaid build: the bundled one, copied as it is, or the
        ``mermaid_js`` one, read through guards.read_file."""
        if files.get_file_from_path(MERMAID_JS) is not None:
            return  # docs_dir has one there: the site's own
        if not self.options.mermaid_js:
            files.append(_generated(config, MERMAID_JS, BUNDLED_MERMAID))
            return
        try:
            content = guards.read_file(*self._reading(str(self.options.mermaid_js)))
        except FindingError as exc:
            message = f"option 'mermaid_js': {exc.finding.message}"
            self.findings.add(Finding(exc.finding.kind, message, "mkdocs.yml"))
            return
        files.append(_generated(config, MERMAID_JS, content))

    def _documented(self, files: Files) -> dict[str, Any]:
        """Which page documents which stage or data path, from every page's front matter,
        so that a diagram on any page can link to pages built after it."""
        project = self.site.project
        found: dict[str, Any] = {}
        self.card_pages = {}
        self._page_bindings = []
        for file in files.documentation_pages():
            binding = self._front(file).meta.get("ml")
            if not isinstance(binding, dict):
                continue
            self._page_bindings.append((file, binding))
            if project is None and not self.site.artifacts:
                continue
            kind = records.RECORDS.get(str(binding.get("record", "")))
            if kind is not None and not kind.documents:
                continue  # a decision about a stage does not document it
            data = binding.get("data")  # a datasheet's: the data page of that path
            if project is not None and isinstance(data, str) and project.producer(data):
                found.setdefault(data, file)
            stage = str(binding.get("stage", ""))
            if project is not None and stage in project.stages:
                found.setdefault(stage, file)
            artifact = self.site.artifacts.get(str(binding.get("artifact", "")))
            if artifact is not None and kind is None:  # a datasheet is no model card
                self.card_pages.setdefault(artifact.name, file)
            if artifact is not None and artifact.path is not None and project is not None:
                found.setdefault(artifact.path, file)
                producer = project.producer(artifact.path)
                if producer is not None:
                    found.setdefault(producer[0], file)
        return found

    def _survey(self) -> coverage.Coverage:
        """The documentation coverage of the site's DVC projects (``checks.coverage``), from
        the pages' ``ml:`` bindings, each page counted for the project that answers it."""
        docs: dict[Path | None, list[coverage.Doc]] = {}
        for file, binding in self._page_bindings:
            root, foreign = self._page_project(file.abs_src_path)
            if foreign is not None:
                continue
            view = self._views.get(root, self.site) if root is not None else self.site
            src = self._place(file.abs_src_path)[0] if file.abs_src_path else None
            doc = coverage.doc_of(src or file.src_uri, binding, view.project, view.artifacts)
            docs.setdefault(view.project.root if view.project else None, []).append(doc)
        surveyed = []
        for view in self.sites:
            project = view.project
            root = project.root if project is not None else None
            surveyed.append(
                coverage.Surveyed(
                    project, view.artifacts, docs.get(root, []), self._declared(project)
                )
            )
        require = self.options.require
        required = [k for k in coverage.KINDS if k != "records" and require.get(k)]
        return coverage.survey(
            surveyed, require.records, [*required, "records"] if require.records else required
        )

    def _declared(
        self, project: dvc.Project | None
    ) -> Callable[[dvc.Artifact | dvc.Stage], tuple[str | None, int | None]]:
        """Where an artifact or a stage of PROJECT is declared: the file (as findings name
        it) and the line."""

        def place(what: dvc.Artifact | dvc.Stage) -> tuple[str | None, int | None]:
            if isinstance(what, dvc.Stage):
                return self.reader.shown(project, what.dvcfile) if project else None, what.line
            if what.source == "dvc.yaml" and project is not None and what.dvcfile:
                try:
                    text = structured.read_text(project.root, what.dvcfile)
                except (FindingError, OSError):
                    text = None
                name = what.name.rpartition(":")[2]
                line = dvc.key_line(text, ["artifacts", name]) if text is not None else None
                return self.reader.shown(project, what.dvcfile), line
            if what.source == "artifacts.yaml" and self.git_root is not None:
                where = os.path.relpath(self.git_root / what.dvcfile, self.config_dir)
                return where.replace(os.sep, "/"), None
            return None, None

        return place

    def _guard_docs(self, files: Files, config: MkDocsConfig) -> None:
        """Take out of the site, with a finding, each file of docs_dir that guards.open_file
        refuses (outside the git work tree through a symbolic link, not a regular file), so
        that MkDocs neither blocks on a named pipe nor publishes a file from elsewhere. A page
        is looked at in the same open: its stat and first bytes are what _front_matter needs."""
        docs = os.path.abspath(config.docs_dir)
        for file in list(files):
            path = file.abs_src_path
            if not path or file.generated_by or os.path.abspath(file.src_dir or "") != docs:
                continue
            shown = guards.relative(path, self.config_dir)
            try:
                with guards.open_file(*self._reading(path), shown) as fh:
                    if file.is_documentation_page():
                        self._openings[path] = (os.fstat(fh.fileno()), _starts(fh))
            except FindingError as exc:
                what = "page" if file.is_documentation_page() else "file"
                self.findings.add(Finding(exc.finding.kind, f"{what} {exc.finding.message}", shown))
                files.remove(file)

    def _front_matter(self, file: File) -> dict[str, Any]:
        """The page's own front matter ({} for none, or one MkDocs cannot read: the page
        reports its own problem when it is built); read again only when the file changed since
        the last build of this process. A page of docs_dir is not opened again: the docs
        guard's open told its stat and how it starts."""
        from mkdocs.utils.meta import get_data

        key: tuple[int, int, int] | None = None
        path = file.abs_src_path
        if path and not file.generated_by:
            looked = self._openings.pop(path, None)
            if looked is not None:
                st, opening = looked
            else:
                try:
                    st, opening = os.stat(path), None
                except OSError:
                    return {}
            if st.st_mtime_ns < time.time_ns() - dvc.RACY_NS:
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                known = self.session.fronts.get(path)
                if known is not None and known[0] == key:
                    if known[2]:
                        self._body_first.add(path)
                    return known[1]
            if opening is None:
                opening = _opening(*self._reading(path))
            if opening != FRONT_MATTER:
                # most pages: the first bytes say there is no front matter
                if opening == BODY_FIRST:
                    self._body_first.add(path)
                if key is not None:
                    self.session.fronts[path] = (key, {}, opening == BODY_FIRST)
                return {}
        try:
            if path and not file.generated_by:
                source = guards.read_file(*self._reading(path)).decode("utf-8-sig")
            else:
                source = file.content_string
            _, meta = get_data(source)
        except (OSError, UnicodeDecodeError, ValueError, FindingError):
            return {}
        meta = meta if isinstance(meta, dict) else {}
        if key is not None and path:
            self.session.fronts[path] = (key, meta, False)
        return meta

    def _front(self, file: File, page: Page | None = None) -> metafiles.Front:
        """The front matter of the page FILE as Material's meta plugin makes it appear to the
        page (``metafiles.merged``): computed once a build, from the file before the pages are
        built, and again from PAGE's own meta only where that differs (another plugin changed
        it, or Material's blog merged meta files into a post's) or cannot be merged."""
        known = self._fronts.get(file.src_uri)
        if known is not None and (
            page is None or (known.problem is None and known.own == page.meta)
        ):
            return known
        own = page.meta if page is not None else self._front_matter(file)
        # a page this build generates (a register) is what it says it is: Material matches a
        # meta file's directory as a prefix of the path, so that docs/decisions/.meta.yml
        # would make the decision log, docs/decisions.md, a decision record
        meta_files = self.meta_files if file.generated_by != "mlplugin" else []
        path = file.abs_src_path if meta_files else None  # named only where it cannot merge
        src = self._place(path)[0] if path else None
        lines = _front_matter_lines(page) if page is not None and page.meta and path else {}
        front = metafiles.merged(meta_files, file.src_path, own, src or file.src_uri, lines)
        self._fronts[file.src_uri] = front
        return front

    def _where(self, page: Page, facts: PageFacts, front: metafiles.Front) -> Where:
        """Where each front matter key of PAGE is written: on the page, at the line of its
        top-level key, or in the meta file that gave it to the page, at its line there."""
        lines: dict[str, int] | None = None  # read on first use: most pages need none

        def at(key: str) -> tuple[str, int | None]:
            nonlocal lines
            if lines is None:
                lines = _front_matter_lines(page) if page.meta else {}
            return front.at(key, facts.src, lines)

        return at

    # Run before other plugins (mkdocs-macros, i18n, ...) change the Markdown, so that line
    # numbers still match the source file.
    def render_page(
        self,
        markdown: str,
        facts: PageFacts,
        first_line: int,
        links: Mapping[str, str],
        stash: Stash,
        hub: bool = False,
    ) -> tuple[str, list[dict[str, Any]], str | None]:
        """MARKDOWN with every reference resolved (or marked, with a finding), the record
        of each reference for the manifest, and, with HUB, the page written as plain Markdown
        for a Hugging Face Hub README (else None). Shared by the plugin and the Markdown
        extension. Inline facts are tokens of STASH, which its Markdown extension turns into
        HTML; the Hub's Markdown gets every fact as text (``render.markdown``)."""
        matches = references.scan(markdown, facts.src, first_line)
        rendered: list[str] = []
        plain: list[str] = []  # with HUB: each reference as plain Markdown
        refs: list[dict[str, Any]] = []
        notes: list[Finding] = []  # warnings from drawing blocks, after the page's errors
        for match in matches:
            ref = match.reference
            written = markdown[match.start : match.end]
            if ref is None or match.problem is not None:
                problem = match.problem or Finding("malformed_reference", "unreadable", facts.src)
                self.findings.append(problem)
                marker = render.missing(written, problem.message)
                rendered.append(stash.token(marker, written))
                if hub:
                    plain.append(MARKDOWN.missing(written, problem.message))
                refs.append({"line": problem.line, "ref": written, "value": None})
                continue
            ref, site = self._answering(ref, facts)
            try:
                lines, indent = None, match.indent
                if ref.block:
                    lines = _draw(ref, site, facts, links, notes, render.HTML)
                elif ref.kind == "param" and (alone := _alone(markdown, match)) is not None:
                    lines, indent = _draw(ref, site, facts, links, notes, render.HTML), alone
                if lines is not None:  # a block, or a group of params (not a single value)
                    source = Source(facts.src, ref.line, ref.text)
                    rendered.append(render.indent(_kept(lines, stash, source), indent))
                    if hub:  # its warnings were noted with the site's drawing
                        hub_lines = _draw(ref, site, facts, links, [], MARKDOWN) or []
                        plain.append(render.indent(hub_lines, indent))
                    refs.append(
                        {"line": ref.line, "ref": ref.label(), "value": None, "block": True}
                    )
                else:
                    html, value, label, shown = self._inline(ref, facts, site)
                    source = Source(facts.src, ref.line, ref.text)
                    rendered.append(stash.token(html, value, source))
                    if hub:
                        plain.append(MARKDOWN.inline(value, label))
                    refs.append({"line": ref.line, "ref": label, "value": shown})
            except FindingError as exc:
                self.findings.append(exc.finding)
                marker = render.missing(ref.text, exc.finding.message)
                source = Source(facts.src, ref.line, ref.text)
                rendered.append(stash.token(marker, ref.text, source))
                if hub:
                    plain.append(MARKDOWN.missing(ref.text, exc.finding.message))
                refs.append({"line": ref.line, "ref": ref.label(), "value": None})
        self.findings.extend(notes)
        result = references.replace(markdown, matches, rendered)
        return result, refs, references.replace(markdown, matches, plain) if hub else None

    def _answering(
        self, ref: references.Reference, facts: PageFacts
    ) -> tuple[references.Reference, SiteFacts]:
        """REF as the DVC project that answers it names things, and that project's facts. A
        name that starts with one of the site's projects' directories from the git root
        (``b/dvc.yaml:train``, ``b/data/raw.csv``) is that project's; any other is the page's
        own project's (the first of 'dvc_root' for a page outside all of them)."""
        if self._views and ref.name and self.git_root is not None:
            for view in (self.site, *self._views.values()):
                where = relative(view.project.root, self.git_root) if view.project else None
                if where and where != "." and ref.name.startswith(where + "/"):
                    name = ref.name[len(where) + 1 :]
                    # the project's own top dvc.yaml names its stages and artifacts bare
                    name = name.removeprefix("dvc.yaml:")
                    return ref._replace(name=name), view
        return ref, self._site_of(facts)

    def _site_of(self, facts: PageFacts) -> SiteFacts:
        """The facts as the page's own DVC project sees them."""
        if facts.project_root is None:
            return self.site
        return self._views.get(facts.project_root, self.site)

    def _inline(
        self, ref: references.Reference, facts: PageFacts, site: SiteFacts
    ) -> tuple[str, Any, str, Any]:
        """(HTML, value, label, value for the manifest) of an inline reference. Only page facts
        differ from page to page: the others are resolved once per build and project, kind,
        name and field (a failure, which names the page and line, is never kept)."""
        key = (ref.kind, ref.name, ref.field, site.project.root if site.project else None)
        known = self._resolved_inline.get(key) if facts.foreign_project is None else None
        if known is not None:
            return known
        value = value_of(ref, site, facts)
        label = ref.label()
        # values of params and metrics files read as DVC prints them: false, null, [5]
        shown = render.Value(value) if ref.kind in ("param", "metric") else value
        result = (render.inline(shown, label), shown, label, manifest.jsonable(value))
        if ref.kind != "page" and facts.foreign_project is None:
            self._resolved_inline[key] = result
        return result

    @property
    def sites(self) -> list[SiteFacts]:
        """The facts of the site, then those of each other DVC project it reads (as that
        project's pages see them)."""
        return [self.site, *self._views.values()]

    def watched(self) -> list[Path]:
        """The files whose changes change the facts."""
        paths: list[Path] = []
        for view in (self.site, *self._views.values()):
            project = view.project
            if project is None:
                continue
            # every file the project was read from: vars files and .dvc/config among them
            names = [*project.files_read, *project.params, *project.metrics, *project.consulted]
            paths += [project.root / name for name in names]
            paths += [
                project.root / stage.dvcfile.replace("dvc.yaml", "dvc.lock")
                for stage in project.stages.values()
            ]
        if self.repo is not None:  # HEAD of this worktree, refs shared by all worktrees
            git_dir = Path(self.repo.git_dir)
            paths += [self.repo.head_dir / "HEAD", git_dir / "refs", git_dir / "packed-refs"]
        return sorted({p for p in paths if p.exists()})

    # ------------------------------------------------------------------ generated pages

    def _taken(self, option: str, src: str, files: Files) -> bool:
        """Whether a generated page's path is a page of docs_dir already (then a finding)."""
        if files.get_file_from_path(src) is None:
            return False
        message = f"{option} '{src}' exists in docs_dir already; choose another path."
        self.findings.add(Finding("malformed_reference", message, "mkdocs.yml"))
        return True

    def _add_timeline_page(self, files: Files, config: MkDocsConfig) -> None:
        src = str(self.options.timeline_page)
        if self._taken("timeline_page", src, files):
            return
        project, repo, history = self.site.project, self.repo, self.site.history
        found: list[Any] = []
        problem = None
        if project is not None and repo is not None and history is not None:
            unreadable: dict[str, drift.Unreadable] = {}
            try:
                prefix = repo_prefix(project, repo)
                records = repo.history(timeline.record_pathspecs(prefix), renames=False)
                nested = timeline.nested_projects(history, prefix)
                found = timeline.changes(records, prefix, repo.blobs, nested, unreadable)
                self.timeline = found
            except FindingError as exc:
                self.findings.add(exc.finding)
                problem = exc.finding.message
            self.reader.unreadable_versions(repo, unreadable, "the timeline")
        from mkdocs_mlplugin.pages.generated import timeline_page  # only with the option

        page = timeline_page(self.site, found, problem)
        files.append(_generated(config, src, page))

    def _records(self, files: Files) -> list[registers.Record]:
        """Every record page of FILES, with its front matter and title: the registers list
        them before the pages are built (a page's own checks report what is wrong with it)."""
        from mkdocs.utils.meta import get_data

        found = []
        commits: list[str] = []  # the commits their links name: asked of git at once
        for file in files.documentation_pages():
            meta = self._front(file).meta
            kind = records.record_kind(meta)
            if kind is None or kind not in records.RECORDS:
                continue
            try:
                if file.abs_src_path and not file.generated_by:
                    raw = guards.read_file(*self._reading(file.abs_src_path))
                    source = raw.decode("utf-8-sig")
                else:
                    source = file.content_string
                body, _own = get_data(source)
            except (OSError, UnicodeDecodeError, ValueError, FindingError):
                continue
            heading = next((t[2:].strip() for t in body.splitlines() if t.startswith("# ")), "")
            title = str(meta.get("title") or heading or file.name)
            shown = self._place(file.abs_src_path)[0] if file.abs_src_path else None
            record = registers.Record(file.src_uri, shown or file.src_uri, kind, title, dict(meta))
            found.append(record)
            targets = (target for _, target in records.link_targets(meta.get("links")))
            commits += links.commits_named(body, targets)
        self._ask_commits(commits)
        return found

    def _add_register(
        self,
        option: str,
        register: Callable[[list[registers.Record], registers.Url], str],
        files: Files,
        config: MkDocsConfig,
    ) -> None:
        """The generated page of OPTION (decisions_page, debt_page, runbooks_page)."""
        src = str(self.options[option])
        if self._taken(option, src, files):
            return
        page_file = _generated(config, src, "")
        pages = {r.src_uri: files.get_file_from_path(r.src_uri) for r in self.records}

        def url(src_uri: str) -> str | None:
            target = pages.get(src_uri)
            return target.url_relative_to(page_file) if target is not None else None

        page_file.content_string = register(self.records, url)
        files.append(page_file)

    def _add_coverage_page(self, files: Files, config: MkDocsConfig) -> None:
        src = str(self.options.coverage_page)
        if self._taken("coverage_page", src, files):
            return
        page_file = _generated(config, src, "")
        urls = {}
        for file, _binding in self._page_bindings:
            shown = self._place(file.abs_src_path)[0] if file.abs_src_path else None
            urls[shown or file.src_uri] = file.url_relative_to(page_file)
        from mkdocs_mlplugin.pages.generated import coverage_page  # only with the option

        page_file.content_string = coverage_page(self.coverage, urls)
        files.append(page_file)

    def _add_registry_page(self, files: Files, config: MkDocsConfig) -> None:
        src = str(self.options.registry_page)
        if self._taken("registry_page", src, files):
            return
        page_file = _generated(config, src, "")
        cards = {
            self.site.registry_names.get(name, name): target.url_relative_to(page_file)
            for name, target in self.card_pages.items()
        }
        from mkdocs_mlplugin.pages.generated import registry_page  # only with the option

        page_file.content_string = registry_page(self.site, cards)
        files.append(page_file)
        self._registry_file = page_file

    # ------------------------------------------------------------------ pages

    def _page_facts(self, file: File, report: bool = True) -> PageFacts:
        """The facts of the page FILE; with REPORT, a finding when git has none for it."""
        src, repo_path, other = self._place(file.abs_src_path or file.src_path)
        src = src or file.src_uri
        history = (
            self.site.history.get(repo_path)
            if self.site.history is not None and repo_path
            else None
        )
        no_history = None
        if other is not None:
            no_history = (
                f"the page belongs to another git repository (a submodule or nested repository "
                f"at {relative(other, self.config_dir) or other}): its dates and authors are not read."
            )
            if report:
                self.findings.add(Finding("uncommitted_page", no_history, src))
            repo_path, history = None, None
        elif report and self.site.history is not None and history is None and file.abs_src_path:
            self.findings.add(
                Finding(
                    "uncommitted_page",
                    "the page is not committed yet, so it has no git dates.",
                    src,
                )
            )
        root, foreign = self._page_project(file.abs_src_path)
        return PageFacts(
            src=src,
            repo_path=repo_path,
            history=history,
            no_history=no_history,
            foreign_project=foreign,
            project_root=root,
        )

    def _page_project(self, path: str | None) -> tuple[Path | None, str | None]:
        """Which of the site's DVC projects answers the references of the page at PATH: the
        root of another one than the first (dvc_root: [a, b]) when the page lies inside it,
        else None; and why the page gets no DVC fact at all when it lies inside a DVC project
        the site does not read (as when mkdocs-monorepo-plugin includes the docs of several
        projects), whose stages, params and metrics are none of the site's."""
        git_root = self.git_root
        if not path or git_root is None:
            return None, None
        directory = os.path.dirname(os.path.abspath(path))
        known = self._dir_projects.get(directory)
        if known is None:  # once per directory: asked once the facts are read
            known = self._dir_projects[directory] = self._directory_project(directory, git_root)
        return known

    def _directory_project(self, directory: str, git_root: Path) -> tuple[Path | None, str | None]:
        root = dvc.enclosing_project(Path(directory), git_root)
        project = self.site.project
        if root is None or project is None or root == project.root:
            return None, None  # without a project, every reference says why there is none
        if root in self._views:
            return root, None
        shown = relative(root, git_root) or str(root)
        reads = f"reads the DVC project in {relative(project.root, git_root) or '.'}"
        return None, (
            f"this page lies in the DVC project in {shown}, but this site {reads}: add "
            f"'{os.path.relpath(root, self.config_dir)}' to the plugin's 'dvc_root' list, or "
            "build that project's docs with a mkdocs.yml of its own."
        )

    def _repo_places(self, files: Files) -> Iterator[tuple[str | None, Path | None]]:
        """Each page's path from the git root and the nested repository holding it (see
        _place), looked up only as far as the reader asks."""
        for file in files.documentation_pages():
            if file.abs_src_path:
                yield self._place(file.abs_src_path)[1:]

    def _place(self, path: str) -> tuple[str | None, str | None, Path | None]:
        """Where the file at PATH is, symbolic links resolved: its path relative to mkdocs.yml's
        directory and to the git root (None outside them), and the root of a nested git
        repository (submodule, clone) holding it below the git root. Each directory is looked
        up once per build."""
        if os.path.islink(path):
            real = Path(path).resolve()
            directory, name = str(real.parent), real.name
        else:
            directory, name = os.path.split(os.path.abspath(path))
        place = self._dirs.get(directory)
        if place is None:
            real_dir = Path(directory).resolve()
            in_repo = self.git_root is not None
            place = self._dirs[directory] = (
                _prefix(relative(real_dir, self.config_dir, resolved=True)),
                _prefix(relative(real_dir, self.git_root, resolved=True)) if in_repo else None,
                _other_repository(real_dir, self.git_root) if in_repo else None,
            )
        src, repo_path, other = place
        return (
            None if src is None else src + name,
            None if repo_path is None else repo_path + name,
            other,
        )

    def _meta_files(self, files: Files, config: MkDocsConfig) -> list[metafiles.MetaFile]:
        """The meta files of Material's meta plugin, when it is enabled, as it finds them: the
        files of FILES with its ``meta_file`` name, in their order. Each is read through
        guards.read_file; one that cannot be read, or is not valid YAML, is a finding naming it
        and its line, and gives no page anything."""
        name = metafiles.meta_file_name(config)
        found: list[metafiles.MetaFile] = []
        for file in files if name else ():
            path = file.abs_src_path
            if os.path.basename(file.src_uri) != name or not path or file.generated_by:
                continue
            shown = self._place(path)[0] or file.src_uri
            try:
                text = structured.read_text(*self._reading(path), "malformed_reference", shown)
                found.append(metafiles.parse(text, file.src_path, shown))
            except FindingError as exc:
                kind = "malformed_reference"  # it holds front matter of the pages below it
                self.findings.add(dataclasses.replace(exc.finding, kind=kind))
        return found

    def _bind(self, page: Page, facts: PageFacts, front: metafiles.Front) -> None:
        """Bind the page to what its ``ml:`` front matter names (``checks.bindings``), merged
        with what Material's meta files say of ``ml:`` for it, as Material merges them (FRONT).
        What is wrong with a binding is said at the meta file's line when the page's own
        ``ml:`` (if any) binds on its own."""
        if front.problem is not None:
            facts.binding_failed = True
            found: bindings.Bound | Finding = front.problem
        elif front.meta.get("ml") is None:
            return
        else:
            line = _front_matter_line(page, "ml")
            site, source = self._site_of(facts), front.last_with("ml")
            found = bindings.bind(front.meta.get("ml"), facts, site, line)
            if (
                isinstance(found, Finding)
                and source is not None
                and (
                    line is None
                    or not isinstance(
                        bindings.bind(front.own.get("ml"), dataclasses.replace(facts), site, line),
                        Finding,
                    )
                )
            ):
                why = found.message.removeprefix(f"{bindings.WHERE}: ").removeprefix("'ml:': ")
                message = f"'ml:' for {facts.src}: {why}"
                found = Finding(found.kind, message, source.shown, source.line_of("ml"))
        if isinstance(found, Finding):
            self.findings.add(
                found, root=f"binding:{facts.src}"
            )  # what needs the binding follows it
        else:
            self.bound.append(found)

    def _report(self, found: Iterable[Finding], src: str, front: metafiles.Front) -> None:
        """Add FOUND, the findings about the front matter of the page SRC; one placed in a meta
        file of FRONT (where the key it is about was set) says which page it is about."""
        shown = {f.shown for f in front.files}
        for finding in found:
            if finding.file in shown and finding.file != src:
                what = finding.message.removeprefix("front matter ")
                finding = dataclasses.replace(finding, message=f"for {src}: {what}")
            self.findings.add(finding)

    def _check_card(
        self,
        page: Page,
        facts: PageFacts,
        front: metafiles.Front,
        at: Where,
        markdown: str,
        first_line: int,
    ) -> None:
        """Hugging Face metadata and required sections of a model card."""
        meta, src = front.meta, facts.src
        self._report(cards.check_metadata(meta, at), src, front)
        written = (_source(page) or "").splitlines()
        end = next((n for n, t in enumerate(written[1:], 2) if t.strip() in ("---", "...")), 1)

        def named_on(key: str, start: int, tied: Callable[[str], bool]) -> int | None:
            """The first front matter line from START that names the DVC metric KEY (and that
            TIED says ties it to a value)."""
            for number in range(start, end):
                text = written[number - 1]
                if re.search(rf"(?<![\w.-]){re.escape(key)}(?![\w.-])", text) and tied(text):
                    return number
            return None

        # a model-index written in a meta file: its findings at its line there
        index_src, index_at = at("model-index")
        typed_here = index_src == src

        def line_of(key: str) -> int | None:
            """The front matter line that ties a model-index value to the DVC metric KEY."""
            if not typed_here:
                return index_at
            tied = named_on(key, 2, lambda text: cards.DVC_METRIC in text or "{ml" in text)
            return tied or index_at

        measured = self._measured(facts)
        self._report(cards.check_metric_values(meta, index_src, line_of, measured), src, front)
        # ml: {model_index: ...}: its line, and the line of each DVC metric under it
        asked_src, asked_at = at("ml.model_index")
        asked_here = asked_src == src
        index = asked_at
        if asked_here:
            model_index = re.compile(r"\s+model_index\s*:")
            index = next((n for n in range(2, end) if model_index.match(written[n - 1])), index)

        def index_line_of(key: str) -> int | None:
            if not asked_here:
                return index
            return named_on(key, index or 2, lambda _text: True) or index

        name = _model_name(facts)
        self._report(
            cards.check_model_index(meta, name, asked_src, index, index_line_of, measured),
            src,
            front,
        )
        required = self.options.card_sections
        if isinstance(required, str):
            required = cards.PRESETS[required]  # the config allows only the presets' names
        titles = [str(r) for r in required] if isinstance(required, (list, tuple)) else []
        self.findings.extend(cards.check_sections(markdown, first_line, titles, src))

    def _check_record(
        self,
        page: Page,
        facts: PageFacts,
        front: metafiles.Front,
        at: Where,
        markdown: str,
        first_line: int,
        card: bool,
    ) -> None:
        """A record page's front matter and sections (``checks.records``); its review date,
        and a model card's."""
        meta, src = front.meta, facts.src
        kind = records.RECORDS.get(records.record_kind(meta) or "")
        if kind is None and not card:
            return
        if kind is not None:
            page_at = (src, _front_matter_line(page, "ml"))
            self._report(records.check_fields(kind, meta, at, page_at), src, front)
            self._report(self._check_superseding(page, meta, at), src, front)
            required = records.sections_of(kind, self.options.record_sections)
            self.findings.extend(records.check_sections(kind, markdown, first_line, required, src))
            artifact = facts.artifact
            if kind.name == records.DATASHEET and artifact is not None and artifact.type == "model":
                message = (
                    f"a datasheet documents a dataset, and artifact '{artifact.name}' is of type "
                    "model: bind the dataset it was trained on ('artifact:' or 'data:'), or make "
                    "this page its model card."
                )
                self._report([Finding("record_schema", message, *at("ml.artifact"))], src, front)
        else:
            self._report(records.check_review_fields(meta, at), src, front)
        interval = self.options.review_interval
        on = records.today()
        self._report(records.review_due(meta, at, interval, on), src, front)

    def _check_superseding(self, page: Page, meta: Mapping[str, Any], at: Where) -> list[Finding]:
        """``supersedes:`` and ``superseded_by:`` of a decision name decision records."""
        mine = self._decisions.get(page.file.src_uri)
        if mine is None:
            return []
        decisions = self._decisions
        found = []
        for key in ("supersedes", "superseded_by"):
            for named, written in zip(
                mine.pages(key), records.strings(meta.get(key)), strict=False
            ):
                if named in decisions:
                    continue
                hint = did_you_mean(named, decisions)
                message = (
                    f"front matter '{key}': '{visible(written)}' is no decision record of this site "
                    f"(a page with 'ml: {{record: decision}}', named from this page).{hint}"
                )
                found.append(Finding("record_schema", message, *at(key)))
        return found

    def _link_page(
        self,
        page: Page,
        facts: PageFacts,
        front: metafiles.Front,
        at: Where,
        markdown: str,
        first_line: int,
        log: list[dict[str, Any]],
    ) -> tuple[str, list[str] | None]:
        """MARKDOWN with its links to commits, artifacts, stages, data and experiments
        checked and made real links (``pages.links``); for a record page, the header box that
        shows its fields and its ``links:``."""
        meta = front.meta
        kind = records.RECORDS.get(records.record_kind(meta) or "")
        resolver = links.Links(self._site_of(facts), self._commit, self.repo_url)

        def pages(markdown: bool) -> record_pages.SitePages:
            return record_pages.SitePages(
                page.file, self.documented, self._registry_file, self._pipeline_file, markdown
            )

        markdown, found = record_pages.rewrite(
            markdown, first_line, resolver, pages(True), facts.src, kind is not None, log
        )
        self.findings.extend(found)
        if kind is None:
            return markdown, None
        written = (_source(page) or "").splitlines()

        def placed(index: int) -> tuple[str, int | None, list[str]]:
            given = front.item_from("links", index)  # a link a meta file gave: on its lines
            if given is not None:
                return given.shown, given.line_of("links"), given.text.splitlines()
            return *at("links"), written

        shown, found = record_pages.front_links(
            meta, placed, resolver, pages(False), log, facts.src
        )
        self._report(found, facts.src, front)
        return markdown, record_pages.header(kind, meta, shown, self._superseding(page.file))

    def _superseding(self, file: File) -> dict[str, list[tuple[str, str | None]]]:
        """The decision records FILE's ``supersedes:`` and ``superseded_by:`` name, as (title,
        URL from FILE) pairs; a page that is no decision record of the site is its path as
        written, without a link (``_check_superseding`` reports it)."""
        mine = self._decisions.get(file.src_uri)
        if mine is None:
            return {}
        related: dict[str, list[tuple[str, str | None]]] = {}
        for key in ("supersedes", "superseded_by"):
            named = zip(mine.pages(key), records.strings(mine.meta.get(key)), strict=False)
            pairs: list[tuple[str, str | None]] = []
            for src_uri, written in named:
                target = None
                if src_uri in self._decisions and self._files is not None:
                    target = self._files.get_file_from_path(src_uri)
                if target is None:
                    pairs.append((written, None))
                else:
                    pairs.append((self._decisions[src_uri].title, target.url_relative_to(file)))
            if pairs:
                related[key] = pairs
        return related

    def _commit(self, sha: str) -> str | None:
        """The full SHA of the commit SHA (hexadecimal, checked) names, or None."""
        if sha not in self._commits:
            self._ask_commits([sha])
        return self._commits[sha]

    def _ask_commits(self, shas: list[str]) -> None:
        """The full SHA of each commit SHAS name (hexadecimal, checked) into ``_commits``:
        asked of git in one go (a round trip per link is most of what a link costs)."""
        asked = [sha for sha in dict.fromkeys(shas) if sha not in self._commits]
        repo = self.repo
        if not asked or repo is None:
            self._commits.update(dict.fromkeys(asked))
            return
        try:
            self._commits.update(self.reader.commits(repo, asked))
            return
        except FindingError:  # git stopped: each asked alone, as far as git answers
            pass
        for sha in asked:
            try:
                self._commits[sha] = self.reader.commit(repo, sha)
            except FindingError as exc:
                self.findings.add(exc.finding)
                self._commits[sha] = None

    def _pipeline_file(self) -> File | None:
        """The first page that draws the pipeline (``{ml pipeline}``), looked for once per
        build, only when a link to a stage no page is bound to asks."""
        if self._pipeline_page is _UNSET:
            self._pipeline_page = None
            for file in self._files.documentation_pages() if self._files else ():
                path = file.abs_src_path
                if not path or file.generated_by:
                    continue
                try:
                    text = guards.read_file(*self._reading(path)).decode("utf-8", "replace")
                except FindingError:
                    continue
                if "{ml pipeline" in text:
                    self._pipeline_page = file
                    break
        return self._pipeline_page if isinstance(self._pipeline_page, File) else None

    def _measured(self, facts: PageFacts) -> cards.Measured:
        """The value of a DVC metric, resolved as ``{ml metric KEY}`` on the page's line."""

        def measured(key: str, line: int | None) -> Any:
            text = f"{{ml metric {key}}}"
            ref = references.Reference("metric", key, None, line or 1, text, False)
            return value_of(*self._answering(ref, facts), facts)

        return measured

    def check_docs(self) -> None:
        """Doc drift and pins for every bound page, with one ``git cat-file`` for all of them."""
        repo, history = self.repo, self.site.history
        try:
            if repo is None or history is None or not self.bound:
                return
            blobs = self.reader.blobs(repo)
            for view in (self.site, *self._views.values()):
                project = view.project
                bound = [b for b in self.bound if self._site_of(b.page) is view]
                if project is not None and bound:
                    prefix, grace = repo_prefix(project, repo), self.options.drift_grace
                    checked = bindings.check_bound(
                        project, prefix, history, blobs, bound, self.site, grace, self._uncommitted
                    )
                    self.findings.extend(checked)
        except FindingError as exc:
            self.findings.add(exc.finding)
        else:
            # the versions the model card headers read too (SiteReader.trained): one report for both
            self.reader.unreadable_versions(repo, blobs.unreadable(), "doc drift")
        finally:
            self.reader.close_blobs()


def _parse_data(text: str, shown: str, suffix: str) -> Any:
    if suffix == ".lock":  # dvc.lock: YAML
        return structured.parse_yaml(text, shown)
    return structured.parse_structured(text, suffix, shown)


def _data_at(repo: git.GitRepo, commit: str, prefix: str, files: list[str]) -> dict[str, Any]:
    """The data of each params or dvc.lock file of FILES (from the DVC project root, PREFIX
    from the git root) at COMMIT, from one ``git cat-file``; a file that did not exist or
    cannot be read there is left out."""
    blobs = repo.blobs([f"{commit}:{prefix}{file}" for file in files])
    found: dict[str, Any] = {}
    for file in files:
        blob = blobs.get(f"{commit}:{prefix}{file}")
        if blob is None:
            continue
        suffix = posixpath.splitext(file)[1].lower()
        try:
            found[file] = structured.parse_blob(
                blob, file, functools.partial(_parse_data, suffix=suffix)
            )
        except FindingError:
            continue
    return found


def _other_repository(directory: Path, git_root: Path | None) -> Path | None:
    """The root of a git repository (submodule, nested clone) at or above DIRECTORY (resolved),
    below GIT_ROOT."""
    for parent in (directory, *directory.parents):
        if parent == git_root:
            return None
        if (parent / ".git").exists():
            return parent
    return None


def _prefix(directory: str | None) -> str | None:
    """What a relative DIRECTORY puts before the names of its files: "" for ".", "a/b/" for
    "a/b"."""
    if directory is None:
        return None
    return "" if directory == "." else directory + "/"


def _model_name(facts: PageFacts) -> str:
    """The name a card's generated model-index gives its model: the artifact's name, without
    the dvc.yaml path of an artifact addressed as ``path/dvc.yaml:name``."""
    return facts.artifact.name.rpartition(":")[2] if facts.artifact else ""


def _draw(
    ref: references.Reference,
    site: SiteFacts,
    facts: PageFacts,
    links: Mapping[str, str],
    notes: list[Finding],
    out: render.Writer,
) -> list[str] | None:
    """The lines OUT writes for a block reference, or for a param reference alone on its line
    that names a group of params (None when it names a single value)."""
    if ref.block:
        return render_block(ref, site, facts, links, notes, out)
    return param_group(ref, site, facts, out)


def _kept(lines: list[str], stash: Stash, source: Source) -> list[str]:
    """A block's LINES as one token of STASH, so Python-Markdown does not parse its HTML;
    as they are when they hold Markdown (the fence of a Mermaid diagram)."""
    if any(line.lstrip().startswith(("```", "~~~")) for line in lines):
        return lines
    return [stash.block("\n".join(lines), source)]


def _alone(markdown: str, match: references.Match) -> str | None:
    """The indentation of a reference that stands alone on its line, else None."""
    start = markdown.rfind("\n", 0, match.start) + 1
    end = markdown.find("\n", match.end)
    before = markdown[start : match.start]
    after = markdown[match.end : len(markdown) if end == -1 else end]
    return before if not before.strip() and not after.strip() else None


def _source(page: Page) -> str | None:
    try:
        return page.file.content_string
    except (OSError, UnicodeDecodeError):
        return None


class _Links(Mapping[str, str]):
    """Stage or path -> URL of the page documenting it, relative to PAGE; worked out on first
    use only (a diagram or provenance block), not for every page."""

    def __init__(self, documented: dict[str, File], page: File) -> None:
        self._documented, self._page = documented, page
        self._urls: dict[str, str] | None = None

    def _all(self) -> dict[str, str]:
        if self._urls is None:
            self._urls = {
                name: f.url_relative_to(self._page)
                for name, f in self._documented.items()
                if f is not self._page
            }
        return self._urls

    def __getitem__(self, name: str) -> str:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _generated(config: MkDocsConfig, src_uri: str, content: str | bytes | Path) -> File:
    """A file the build adds to the site, as ``File.generated`` makes one (which a caller
    outside MkDocs' events cannot use: it asks which plugin's event runs); CONTENT a Path: a
    file MkDocs copies as it is."""
    file = File(
        src_uri,
        src_dir=None,
        dest_dir=config.site_dir,
        use_directory_urls=config.use_directory_urls,
    )
    file.generated_by = "mlplugin"
    if isinstance(content, Path):
        file.abs_src_path = str(content)
    elif isinstance(content, bytes):
        file.content_bytes = content
    else:
        file.content_string = content
    return file


FRONT_MATTER, BODY_FIRST, OTHER = "front matter", "body first", "other"
_FIRST_LINE = re.compile(r"\s*([^\r\n]*)")  # the first line that holds text, as MkDocs finds it


def _opening(root: guards.Root, path: str) -> str:
    """How the file PATH (relative to ROOT, read through guards.open_file) starts (_starts)."""
    try:
        with guards.open_file(root, path) as fh:
            return _starts(fh)
    except (OSError, FindingError):
        return FRONT_MATTER  # let the full read say what is wrong


def _starts(fh: BinaryIO) -> str:
    """How the file open as FH starts, from its first bytes: FRONT_MATTER ('---' after a byte
    order mark: it may hold front matter), BODY_FIRST (a first line that holds text, so MkDocs
    takes no blank line away before the body), or OTHER."""
    try:
        start = fh.read(256).removeprefix(b"\xef\xbb\xbf")
    except OSError:
        return FRONT_MATTER  # let the full read say what is wrong
    if start.startswith(b"---"):
        return FRONT_MATTER
    line, newline, _ = start.partition(b"\n")
    try:
        return BODY_FIRST if newline and line.decode("utf-8").strip() else OTHER
    except UnicodeDecodeError:
        return OTHER


def _first_line(page: Page, markdown: str) -> int:
    """The source line of the Markdown body's first character (front matter comes before)."""
    source = _source(page)
    if source is None or not source.endswith(markdown):
        return 1
    return source[: len(source) - len(markdown)].count("\n") + 1


def _front_matter_lines(page: Page) -> dict[str, int]:
    """The line of each top-level key of the page's front matter."""
    source = _source(page) or ""
    if not source.startswith("---"):
        return {}
    return metafiles.key_lines(source.splitlines()[1:], start=2)


def _front_matter_line(page: Page, key: str) -> int | None:
    source = _source(page)
    if source is None:
        return None
    for number, line in enumerate(source.splitlines()[1:], start=2):
        if line.startswith(f"{key}:"):
            return number
        if line.strip() == "---":
            break
    return None
