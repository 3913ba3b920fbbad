"""The ``{ml plots}`` block: the plots the project's dvc.yaml files declare, drawn as SVG.

Where this sits: Markdown reference (``references``) → block (``blocks.render_block``) →
**plots**. ``{ml plots}`` draws every plot ``dvc plots show`` would, ``{ml plots NAME}`` the
one it names NAME. Each plot is found and read by ``facts.plots``, filled into DVC's template
and drawn by ``render.plots``; the SVG is kept in the site's ``drawn_plots`` (the Session's),
so a plot is drawn once while its data stays the same. A plot whose data is not in the work
tree is a visible marker and a ``missing_value`` finding, as a metric is.
"""

from __future__ import annotations

import atexit
import importlib.util
import re
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.facts.compare import Side
from mkdocs_mlplugin.facts.dvc import Project
from mkdocs_mlplugin.facts.plots import Plot, PlotData, is_image, plots, read, read_at, template
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.findings import Finding, FindingError, did_you_mean, log
from mkdocs_mlplugin.pages.references import Reference
from mkdocs_mlplugin.pages.values import blocked, broken_pipeline, unanswered

if TYPE_CHECKING:
    from mkdocs_mlplugin.vega import Painter

#: the modules drawing needs: DVC's converter, dvc-render's templates, vl-convert
_NEEDED = ("dvc", "dvc_render", "vl_convert")
_KEPT = 256  # drawn plots the Session keeps across serve rebuilds


def plots_block(
    project: Project,
    site: SiteFacts,
    ref: Reference,
    page: PageFacts,
    notes: list[Finding],
    out: render.Writer = render.HTML,
) -> list[str]:
    """The HTML of ``{ml plots}`` (every plot) or ``{ml plots NAME}``. A named plot that cannot
    be drawn raises FindingError; in ``{ml plots}`` such a plot is a marker in its place, with
    its finding appended to NOTES."""
    sides = _sides(site, ref, page) if out is render.HTML else None
    versions = _versions(project, site, ref, page, sides)
    names = list(dict.fromkeys(p.name for _, _, declared in versions for p in declared))
    chosen = [ref.name] if ref.name in names else [] if ref.name else names
    if not chosen and (broken := broken_pipeline(project)) is not None:
        what = f"no plot '{ref.name}' is known" if ref.name else "no plot is known"
        raise blocked(ref, page, broken, what)
    if ref.name:
        if not chosen:
            listed = ", ".join(names) or "none"
            where = " at any of the revisions" if sides else ""
            raise unanswered(
                "missing_reference",
                ref,
                page,
                f"no plot '{ref.name}' in dvc.yaml{where}.{did_you_mean(ref.name, names)} "
                f"Plots: {listed}.",
            )
    elif not chosen:
        raise unanswered(
            "missing_reference",
            ref,
            page,
            "the DVC project declares no plots (dvc.yaml's 'plots:', or a stage's "
            "'plots:' outputs).",
        )
    if out is not render.HTML:  # a Hub README: the plots are on the site
        return [out.note(f"Plot {name}: drawn on the documentation site.") for name in chosen]
    absent = [m for m in _NEEDED if not _installed(m)]
    if absent:
        from mkdocs_mlplugin.render.plots import EXTRA

        raise unanswered(
            "missing_value",
            ref,
            page,
            f"drawing plots needs {', '.join(absent)}, which {'is' if len(absent) == 1 else 'are'} "
            f"not installed: {EXTRA}.",
        )
    lines: list[str] = []
    for name in chosen:
        at = [(label, side, _named(declared, name)) for label, side, declared in versions]
        try:
            lines.extend(_figure(project, site, name, at, (page.src, ref.line, ref.text), notes))
        except FindingError as exc:
            if ref.name:
                raise unanswered(
                    exc.finding.kind, ref, page, exc.finding.message, exc.finding.cause
                ) from None
            notes.append(
                Finding(
                    exc.finding.kind,
                    f"'{ref.text}': {exc.finding.message}",
                    page.src,
                    ref.line,
                    exc.finding.cause,
                )
            )
            lines.append(f"<p>{render.missing(name, exc.finding.message)}</p>")
    return ['<div class="ml-block ml-plots">', *lines, "</div>"]


def _sides(site: SiteFacts, ref: Reference, page: PageFacts) -> list[Side] | None:
    """The revisions ``versions=`` names (registered versions, GTO stages, git refs,
    ``workspace``, as a metrics-diff takes them), or None: the work tree alone."""
    versions = ref.option("versions")
    if not versions:
        return None
    from mkdocs_mlplugin.pages import compare

    written = dict.fromkeys(v.strip() for v in versions.split(",") if v.strip())
    return [compare.resolve(site, ref, page, v) for v in written]


#: a revision a plot is drawn at: as written, the side (None: the work tree alone), and the
#: plots declared there
_Version = tuple[str, Side | None, list[Plot]]


def _versions(
    project: Project, site: SiteFacts, ref: Reference, page: PageFacts, sides: list[Side] | None
) -> list[_Version]:
    """Each revision of SIDES (None: the work tree) with the plots its dvc.yaml files declare
    there, as ``dvc plots diff`` reads each revision's definitions."""
    if sides is None:
        return [("workspace", None, plots(project))]
    found: list[_Version] = []
    for side in sides:
        if side.commit is None or site.revisions is None:
            found.append((side.written, side, plots(project)))
            continue
        try:
            definitions = site.revisions.plot_definitions(side.commit)
        except FindingError as exc:
            message = f"the plots of {side.label} cannot be read: {exc.finding.message}"
            raise unanswered(exc.finding.kind, ref, page, message) from None
        found.append((side.written, side, plots(project, definitions)))
    return found


def _named(declared: list[Plot], name: str) -> Plot | None:
    return next((p for p in declared if p.name == name), None)


def _data(project: Project, site: SiteFacts, plot: Plot, side: Side | None) -> PlotData:
    """PLOT's data at SIDE (None: the work tree), read with the definitions declared there."""
    if side is None or side.commit is None or site.revisions is None:
        return read(project, plot)
    reader = site.revisions
    definitions = reader.plot_definitions(side.commit)
    return read_at(project, plot, side.commit, reader.prefix, reader.blobs, definitions)


def _figure(
    project: Project,
    site: SiteFacts,
    name: str,
    versions: list[tuple[str, Side | None, Plot | None]],
    where: tuple[str, int | None, str],
    notes: list[Finding],
) -> list[str]:
    """The plot NAME as a figure: its SVG, and a caption naming its data files when its name
    does not. VERSIONS: (revision as written, its side, the plot as declared there: None when
    it is not). With several, each revision's data in one plot, as ``dvc plots diff`` draws
    it: the data files each revision's own definition names, drawn with the properties of
    the first revision that declares the plot (DVC's ``_squash_plots_properties``); a
    revision that does not declare it, or whose data is not there, is left out, with a note
    and a finding appended to NOTES."""
    from mkdocs_mlplugin.render import plots as draw

    declared = [p for _, _, p in versions if p is not None]
    plot = declared[0]
    props: dict[str, Any] = {}
    for each in reversed(declared):  # the first revision's properties win, key by key
        props |= each.props
    several = len(versions) > 1
    if is_image(plot):
        raise _problem(
            "missing_value",
            f"plot '{name}' is an image file; image plots are not drawn here "
            "(link or embed the image in the page).",
        )
    revisions: dict[str, dict[str, Any]] = {}
    absent: list[str] = []
    for label, side, at in versions:
        if at is None:
            absent.append(f"{label}: the plot is not declared there (nor drawn by dvc plots diff).")
            continue
        found = _data(project, site, at, side)
        if found.problems:
            first = found.problems[0]
            cause = f"file:{first.file}" if first.file and first.file != plot.dvcfile else None
            raise _problem(first.kind, f"plot '{name}': {first.message}", cause)
        if found.missing:
            said = " ".join(found.missing.values())
            absent.append(f"{label}: {said}" if several else said)
            continue
        revisions[label] = found.data
    if not revisions:
        raise _problem("missing_value", f"plot '{name}': " + " ".join(absent))
    note = []
    if absent:
        message = f"plot '{name}' leaves out " + "; ".join(absent)
        src, line, text = where
        notes.append(Finding("missing_value", f"'{text}': {message}", src, line))
        note = [f'<p class="ml-note">{render.text(message)}</p>']
    try:
        chosen = template(project, _template_name(props))
    except FindingError as exc:
        message = f"plot '{name}': {exc.finding.message}"
        raise _problem("invalid_project_file", message) from None
    try:
        spec = draw.spec(name, plot.inner, props, revisions, chosen)
    except draw.PlotError as exc:
        place = f"{plot.dvcfile}:{plot.line}" if plot.line else plot.dvcfile
        raise _problem(
            "invalid_project_file", f"DVC cannot draw plot '{name}' ({place}): {exc}"
        ) from None
    if not spec:
        raise _problem(
            "missing_value", f"plot '{name}': {', '.join(plot.sources)} hold no datapoints."
        )
    cache_key = draw.key(spec)
    drawn = site.drawn_plots.get(cache_key)
    if drawn is None and site.plot_drawer is not None:
        # drawn in the background while the build converts the other pages; the SVG takes
        # the placeholder's place before the page's template is rendered (Drawer.put)
        drawn = site.plot_drawer.submit(cache_key, spec, name, where)
    elif drawn is None:
        try:
            drawn = _svg(_inline_painter(site.plot_timeout), spec, cache_key)
        except draw.PlotError as exc:
            raise _problem("invalid_project_file", f"plot '{name}': {exc}") from None
        log.debug("plot '%s' drawn (%s)", name, cache_key[:12])
        _keep(site.drawn_plots, cache_key, drawn)
    files = ", ".join(dict.fromkeys(source for p in declared for source in p.sources))
    # the plot's title names it; the caption says which files it was drawn from, if others
    caption = [] if files == name else [f"<figcaption>{render.text(files)}</figcaption>"]
    return [
        f'<figure class="ml-plot" data-plot="{render.attribute(name)}">',
        drawn,
        *caption,
        "</figure>",
        *note,
    ]


def _svg(painter: Painter, spec: dict[str, Any], key: str) -> str:
    """SPEC, the plot cached under KEY, drawn by PAINTER as SVG that is safe in a page."""
    from mkdocs_mlplugin.render import plots as draw

    return draw.clean(painter.draw(draw.static(spec)), draw.ids_for(key))


_INLINE: list[Painter] = []  # the painter of the plots drawn where their block is


def _inline_painter(timeout: float) -> Painter:
    """The painter of the Markdown extension and ``mkdocs-ml check``, which draw each plot
    where its block is: one for the process, its child ended when the process ends."""
    if not _INLINE:
        from mkdocs_mlplugin.vega import Painter

        _INLINE.append(Painter())
        atexit.register(_INLINE[0].close)
    _INLINE[0].timeout = timeout
    return _INLINE[0]


def _keep(drawn: dict[str, str], key: str, svg: str) -> None:
    """SVG kept in DRAWN (the Session's) under KEY, the oldest let go past _KEPT."""
    while len(drawn) >= _KEPT:
        del drawn[next(iter(drawn))]
    drawn[key] = svg


class Drawer:
    """Draws the plots of a build in one background thread while MkDocs converts the other
    pages (the drawing is a child process, ``vega.Painter``, which runs on a core of its own):
    a plot block gets a placeholder (``submit``); ``finish``, once every page is converted,
    waits for the drawings, ends the child, keeps the SVGs in DRAWN (the Session's) and
    returns a finding for each plot that could not be drawn in TIMEOUT seconds or at all;
    ``put`` then writes each SVG where its placeholder is. Only the plugin defers drawing; the
    Markdown extension and ``mkdocs-ml check`` draw as they go."""

    def __init__(self, drawn: dict[str, str], timeout: float) -> None:
        self.drawn = drawn
        self.timeout = timeout
        self._painter: Painter | None = None  # started with the first plot not yet drawn
        self._pool: Any = None
        # cache key -> the drawing, and where each block that shows it is
        self._pending: dict[str, tuple[Future[str], list[tuple[str, str, int | None, str]]]] = {}
        self._failed: dict[str, str] = {}  # cache key -> why it was not drawn

    def submit(
        self, key: str, spec: dict[str, Any], name: str, where: tuple[str, int | None, str]
    ) -> str:
        """The placeholder of the plot NAME whose specification SPEC is cached under KEY,
        drawn in the background; WHERE (page, line, reference) names the block for a finding."""
        from concurrent.futures import ThreadPoolExecutor

        from mkdocs_mlplugin.vega import Painter

        if key not in self._pending:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="mlplugin-plots")
                self._painter = Painter(self.timeout)
            future = self._pool.submit(_svg, self._painter, spec, key)
            self._pending[key] = (future, [])
        self._pending[key][1].append((name, *where))
        return _PLACEHOLDER.format(key=key)

    def finish(self) -> list[Finding]:
        """Wait for every drawing; a finding for each block whose plot could not be drawn."""
        from mkdocs_mlplugin.vega import PlotError

        problems: list[Finding] = []
        for key, (future, blocks) in self._pending.items():
            try:
                svg = future.result()
            except PlotError as exc:
                self._failed[key] = str(exc)
                problems.extend(
                    Finding("invalid_project_file", f"'{text}': plot '{name}': {exc}", src, line)
                    for name, src, line, text in blocks
                )
                continue
            log.debug("plot '%s' drawn (%s)", blocks[0][0], key[:12])
            _keep(self.drawn, key, svg)
        self._pending.clear()
        self._stop()
        return problems

    def put(self, html: str) -> str:
        """HTML with each placeholder replaced by its plot's SVG, or by a marker saying why
        the plot could not be drawn."""
        if "<!--ml-plot " not in html:
            return html

        def svg(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.drawn:
                return self.drawn[key]
            why = self._failed.get(key, "the plot was not drawn")
            return render.missing("plot", why)

        return _PLACEHOLDER_RE.sub(svg, html)

    def close(self) -> None:
        """Stop drawing (a build that failed before ``finish``)."""
        self._stop()
        self._pending.clear()

    def _stop(self) -> None:
        """End the drawing process (a drawing under way is answered with a PlotError) and
        the thread."""
        if self._painter is not None:
            self._painter.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._painter is not None:  # one started meanwhile by the drawing under way
            self._painter.close()
        self._painter = None


_PLACEHOLDER = "<!--ml-plot {key}-->"
_PLACEHOLDER_RE = re.compile(r"<!--ml-plot ([0-9a-f]{64})-->")


def _installed(module: str) -> bool:
    """Whether MODULE can be imported, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _template_name(props: dict[str, Any]) -> str | None:
    value = props.get("template")
    return str(value) if value is not None else None


def _problem(kind: str, message: str, cause: str | None = None) -> FindingError:
    return FindingError(Finding(kind, message, cause=cause))
