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
import hashlib
import importlib.util
import posixpath
import re
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.facts.compare import Side
from mkdocs_mlplugin.facts.dvc import Project
from mkdocs_mlplugin.facts.plots import (
    Plot,
    PlotData,
    checked_size,
    image_format,
    is_image,
    plots,
    read,
    read_at,
    read_image,
    template,
)
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.findings import Finding, FindingError, did_you_mean, log
from mkdocs_mlplugin.pages.references import Reference
from mkdocs_mlplugin.pages.values import blocked, broken_pipeline, unanswered

if TYPE_CHECKING:
    from mkdocs_mlplugin.vega import Painter

#: the modules drawing needs: DVC's converter, dvc-render's templates, vl-convert
_NEEDED = ("dvc", "dvc_render", "vl_convert")
_KEPT = 256  # drawn plots the Session keeps across serve rebuilds
#: the images of a directory of image plots shown (the last by name: DVCLive's latest steps)
SHOWN_IMAGES = 20
#: where image plots are copied in the site, each named by the SHA-256 of its bytes
IMAGE_DIR = "assets/images/plots"
#: how an image's address starts in a page until the page's own address is known (put_images)
_SITE = "mlplugin-site:/"


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
    names = list(dict.fromkeys(_shown(p) for _, _, declared in versions for p in declared))
    known = {p.name for _, _, declared in versions for p in declared}
    # a directory a plot id names stands for the plots of its files, as DVC matches a target
    # against the id a dvc.yaml writes (``dvc plots show DIR``)
    below = f"{ref.name.rstrip('/')}/" if ref.name else ""
    inside = [n for n in names if below and n.startswith(below)]
    chosen = names if not ref.name else [ref.name] if {ref.name} & (set(names) | known) else inside
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
    members = {
        name: [(label, side, _members(declared, name)) for label, side, declared in versions]
        for name in chosen
    }
    images = {name for name, at in members.items() if _all_images(at)}
    absent = [m for m in _NEEDED if not _installed(m)]
    if absent and len(images) < len(chosen):
        from mkdocs_mlplugin.render.plots import EXTRA

        raise unanswered(
            "missing_value",
            ref,
            page,
            f"drawing plots needs {', '.join(absent)}, which {'is' if len(absent) == 1 else 'are'} "
            f"not installed: {EXTRA}.",
        )
    lines: list[str] = []
    block = (page.src, ref.line, ref.text)
    for name in chosen:
        try:
            if name in images:
                lines.extend(_images(project, site, name, members[name], block, notes))
                continue
            at = [(label, side, _named(found, name)) for label, side, found in members[name]]
            lines.extend(_figure(project, site, name, at, block, notes))
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
        unpack = site.revisions.unpack_at(side.commit)
        try:
            declared = plots(project, definitions, unpack)
        except FindingError as exc:
            message = f"the plots of {side.label} cannot be listed: {exc.finding.message}"
            raise unanswered(exc.finding.kind, ref, page, message) from None
        found.append((side.written, side, declared))
    return found


def _named(declared: list[Plot], name: str) -> Plot | None:
    return next((p for p in declared if p.name == name), None)


def _shown(plot: Plot) -> str:
    """The name a plot is shown under: the directory it is in for an image of a directory
    plot (DVCLive's ``dvclive/plots/images``: one figure of them all), else its own."""
    return plot.folder if plot.folder and is_image(plot) else plot.name


def _members(declared: list[Plot], name: str) -> list[Plot]:
    """The plots of DECLARED the name NAME shows: the plot so named, or the images of the
    directory plot NAME."""
    return [p for p in declared if p.name == name or (p.folder == name and is_image(p))]


def _all_images(versions: list[tuple[str, Side | None, list[Plot]]]) -> bool:
    found = [p for _, _, members in versions for p in members]
    return bool(found) and all(is_image(p) for p in found)


def _natural(path: str) -> list[tuple[int, int | str]]:
    """PATH as it sorts by name with its numbers as numbers (step 10 after step 9)."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", path)]


def _images(
    project: Project,
    site: SiteFacts,
    name: str,
    versions: list[tuple[str, Side | None, list[Plot]]],
    where: tuple[str, int | None, str],
    notes: list[Finding],
) -> list[str]:
    """The image plot NAME, or the images of the directory plot NAME, as ``dvc plots show``
    shows them: each file itself, copied into the site (``site.plot_images``) under the hash
    of its bytes; a directory's images in a grid captioned with their names, at most
    SHOWN_IMAGES of them (the last by name), with a note of the others. VERSIONS: (revision as
    written, its side, the plot's files declared there); with several, each revision's image
    side by side, captioned with the revision, as ``dvc plots diff`` shows them. A file that
    cannot be shown is a marker in its place and a finding appended to NOTES; when none can,
    the first is raised."""
    several = len(versions) > 1
    cells: list[str] = []
    shown_any = False
    said: list[str] = []
    undeclared = False  # at a revision of VERSIONS: a finding, as for a data plot
    problems: list[Finding] = []
    group = any(p.folder == name for _, _, found in versions for p in found)
    for label, side, found in versions:
        if not found:
            undeclared = True
            said.append(f"{label}: the plot is not declared there (nor shown by dvc plots diff).")
            continue
        ordered = sorted(found, key=lambda p: _natural(p.inner))
        shown = ordered[-SHOWN_IMAGES:]
        if len(shown) < len(ordered):
            at = f" at {label}" if several else ""
            said.append(
                f"{len(ordered) - len(shown)} more images in {name}{at} are not shown (the "
                f"{len(shown)} last by name are)."
            )
        contents = _image_bytes(project, site, [p.inner for p in shown], side)
        for plot in shown:
            file = posixpath.relpath(plot.inner, name) if group else plot.inner
            caption = f"{label}: {file}" if several and group else label if several else file
            try:
                image, suffix = contents[plot.inner]()
            except FindingError as exc:
                problems.append(exc.finding)
                cells.append(f"<figure>{render.missing(caption, exc.finding.message)}</figure>")
                continue
            shown_any = True
            cells.append(
                _image_html(site, plot.name, image, suffix, caption if group or several else None)
            )
    if not shown_any:
        first = problems[0] if problems else Finding("missing_value", " ".join(said))
        for other in problems[1:]:
            notes.append(_at(where, other, name))
        raise _problem(first.kind, f"plot '{name}': {first.message}", _cause(first))
    for problem in problems:
        notes.append(_at(where, problem, name))
    note = []
    if said:
        message = f"plot '{name}': " + " ".join(said)
        if undeclared:
            notes.append(Finding("missing_value", f"'{where[2]}': {message}", where[0], where[1]))
        note = [f'<p class="ml-note">{render.text(message)}</p>']
    if not group and not several:
        return [cells[0].replace("<figure>", _figure_open(name), 1), *note]
    return [
        f'<div class="ml-plot-images" data-plot="{render.attribute(name)}" style="display: grid; '
        'grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0.5rem">',
        *cells,
        "</div>",
        *note,
    ]


def _figure_open(name: str) -> str:
    return f'<figure class="ml-plot" data-plot="{render.attribute(name)}">'


def _at(where: tuple[str, int | None, str], finding: Finding, name: str) -> Finding:
    src, line, text = where
    message = f"'{text}': plot '{name}': {finding.message}"
    return Finding(finding.kind, message, src, line, _cause(finding))


def _cause(finding: Finding) -> str | None:
    return f"file:{finding.file}" if finding.file else None


def _image_bytes(
    project: Project, site: SiteFacts, sources: list[str], side: Side | None
) -> dict[str, Any]:
    """For each image file of SOURCES at SIDE (None: the work tree), a function giving its
    bytes and the suffix it is written with, or raising the FindingError that says why it
    cannot be shown. At a commit the files are read from git together."""
    if side is None or side.commit is None or site.revisions is None:

        def tree(source: str) -> Any:
            return lambda: _checked(source, read_image(project, source))

        return {source: tree(source) for source in sources}
    reader, commit = site.revisions, side.commit
    specs = {source: f"{commit}:{reader.prefix}{source}" for source in sources}
    blobs = reader.blobs(list(specs.values()))

    def blob(source: str) -> Any:
        def get() -> tuple[bytes, str]:
            data = blobs.get(specs[source])
            if data is None:
                raise _problem(
                    "missing_value",
                    f"{source} is not in git at commit {commit[:7]} (DVC-tracked there, or not "
                    "made yet).",
                )
            shown = f"{source} at commit {commit[:7]}"
            return _checked(shown, checked_size(shown, data))

        return get

    return {source: blob(source) for source in sources}


def _checked(shown: str, data: bytes) -> tuple[bytes, str]:
    return data, image_format(shown, data)


def _image_html(site: SiteFacts, name: str, image: bytes, suffix: str, caption: str | None) -> str:
    """IMAGE as a figure: copied into the site under the hash of its bytes (never a name from
    the repository), shown lazily at most as wide as the page, NAME (the plot id, as ``dvc
    plots show`` names the file) its alternative text."""
    if site.plot_images is None:  # the Markdown extension, mkdocs-ml check: no site written
        shown = render.text(f"Image plot {name}: shown on the site the MkDocs plugin builds.")
        return f'<figure><p class="ml-note">{shown}</p></figure>'
    path = f"{IMAGE_DIR}/{hashlib.sha256(image).hexdigest()}{suffix}"
    site.plot_images[path] = image
    under = f"<figcaption>{render.text(caption)}</figcaption>" if caption else ""
    return (
        f'<figure><img src="{_SITE}{path}" alt="{render.attribute(name)}" loading="lazy" '
        f'style="max-width: 100%; height: auto">{under}</figure>'
    )


def put_images(html: str, url: str) -> str:
    """HTML (a page's content, the page at URL in the site) with each image plot's address
    made relative to the page, as MkDocs makes a page's links."""
    if _SITE not in html:
        return html
    from mkdocs.utils import get_relative_url

    def address(match: re.Match[str]) -> str:
        return f'src="{get_relative_url(match.group(1), url)}"'

    return _SITE_RE.sub(address, html)


_SITE_RE = re.compile(
    'src="' + re.escape(_SITE) + r"(" + re.escape(IMAGE_DIR) + r'/[0-9a-f]{64}\.(?:png|jpg|gif))"'
)


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
    try:  # the work tree's templates at every revision, as dvc plots diff takes them (from
        # the workspace repo's .dvc/plots: commands/plots.py passes repo.plots.templates_dir)
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
