"""The plots a DVC project declares, and their data read from the work tree or from git.

Where this sits: ``facts.dvc`` keeps each plot definition as a dvc.yaml writes it (top-level
``plots:`` entries and the stages' plots outputs); ``plots`` turns them into the plots
``dvc plots show`` draws, named as it names them (``repo/plots/__init__.py``:
``_collect_definitions``, and ``utils/plots.py``: ``group_definitions_by_id``); ``read``
loads one plot's data files through the guards, parsed as DVC's ``parse`` parses them (CSV and
TSV rows of text, JSON, YAML, TOML). Turning the data into datapoints and a Vega-Lite
specification is DVC's own code (``render.plots``).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import os
import posixpath
from collections.abc import Callable
from typing import Any

from mkdocs_mlplugin.facts.dvc import PlotDefinition, Project
from mkdocs_mlplugin.facts.structured import parse_blob, parse_structured, read_text
from mkdocs_mlplugin.findings import Finding, FindingError
from mkdocs_mlplugin.guards import Missing, open_file

#: the data files DVC's ``plots.parse`` reads as data (images are drawn by another renderer)
DATA_SUFFIXES = (".json", ".yaml", ".yml", ".toml", ".csv", ".tsv")
#: image plots: DVC shows the file itself (dvc-render's ``ImageRenderer.EXTENSIONS``)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".gif", ".png", ".svg")
#: the most bytes an image plot may have to be copied into the site (DVCLive's step images
#: are kilobytes; a plot of megabytes is a photograph or a mistake, and a page shows 20)
IMAGE_MAX_BYTES = 5 * 1024 * 1024
#: what each raster image format starts with, and the suffix the site writes it with
_MAGIC = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
}
_FORMATS = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".gif": ".gif"}


@dataclasses.dataclass(frozen=True)
class Plot:
    """One plot ``dvc plots show`` draws: NAME as it names it (the plot id, prefixed with its
    dvc.yaml when two files define the same id), INNER the id within its file, PROPS the
    definition with data files project-relative, SOURCES the data files it reads."""

    name: str
    inner: str
    props: dict[str, Any]
    sources: tuple[str, ...]
    dvcfile: str  # the dvc.yaml that declares it
    line: int | None
    folder: str | None = None  # the directory declared, when the plot is a file inside it


@dataclasses.dataclass
class PlotData:
    """What one plot's data files hold: SOURCE -> parsed content; MISSING: files not in the
    work tree, with why; PROBLEMS: files that cannot be read, as findings."""

    data: dict[str, Any]
    missing: dict[str, str]
    problems: list[Finding]


#: a lister of plot ids at a past revision: paths -> the files each stands for (see
#: ``Revisions.unpack_at``)
Unpack = Callable[[list[str]], dict[str, list[str]]]


def plots(
    project: Project, definitions: list[PlotDefinition] | None = None, unpack: Unpack | None = None
) -> list[Plot]:
    """Every plot of PROJECT, in the order ``dvc plots show`` lists them; of DEFINITIONS
    (another revision's, see ``Revisions.plot_definitions``) when given, an id that is a
    directory then unpacked by UNPACK (that revision's files, as git keeps them), not from the
    work tree."""
    by_config: dict[str, dict[str, tuple[str, dict[str, Any], str, int | None, str | None]]] = {}
    chosen = project.plots if definitions is None else definitions
    files: Callable[[str], list[str]] = functools.partial(_unpack, project)
    if unpack is not None:
        paths = [_id_path(d) for d in chosen if not isinstance(d.props.get("y"), dict)]
        listed = unpack([p for p in paths if project.contains(p) and not p.startswith("../")])

        def files(path: str) -> list[str]:
            return listed.get(path) or [path]

    for definition in chosen:
        for plot_id, props, folder in _resolve(definition, files):
            config = definition.dvcfile
            by_config.setdefault(plot_id, {})[config] = (
                plot_id,
                props,
                definition.source,
                definition.line,
                folder,
            )
    result = []
    for plot_id, configs in by_config.items():
        for config, (inner, props, dvcfile, line, folder) in configs.items():
            # DVC's get_plot_id: the file's name only where two files define the same id
            name = f"{config}::{plot_id}" if len(configs) > 1 and config else plot_id
            sources = _sources(inner, props)
            result.append(Plot(name, inner, props, sources, dvcfile, line, folder))
    return result


def _id_path(definition: PlotDefinition) -> str:
    """The plot id of DEFINITION as a path from the project's root."""
    directory = posixpath.dirname(definition.dvcfile)
    return posixpath.normpath(posixpath.join(directory, definition.id))


def _resolve(
    definition: PlotDefinition, files: Callable[[str], list[str]]
) -> list[tuple[str, dict[str, Any], str | None]]:
    """(plot id, props, the directory it was found in or None) of DEFINITION as DVC's
    ``_resolve_definitions`` gives them: an id that is a path is taken from the project's root
    (a directory stands for each file in it, as FILES lists them); an id whose ``y`` names
    files keeps its name, and the files of ``x`` and ``y`` are made project-relative."""
    props = dict(definition.props)
    if not isinstance(props.get("y"), dict):
        path = _id_path(definition)
        found = files(path)
        folder = path if found != [path] else None
        return [(file, dict(props), folder) for file in found]
    directory = posixpath.dirname(definition.dvcfile)
    for axis in ("x", "y"):
        value = props.get(axis)
        if isinstance(value, dict):
            props[axis] = {
                posixpath.normpath(posixpath.join(directory, str(file))): fields
                for file, fields in value.items()
            }
    return [(definition.id, props, None)]


def _unpack(project: Project, path: str) -> list[str]:
    """PATH, or the files inside it when it is a directory of the project (DVC's
    ``unpack_if_dir``), sorted as DVC's file system lists them."""
    if not project.contains(path) or not (project.root / path).is_dir():
        return [path]
    found = []
    base = project.root / path
    for entry in sorted(base.rglob("*")):
        relative = entry.relative_to(project.root).as_posix()
        if entry.is_file() and not entry.is_symlink() and project.contains(relative):
            found.append(relative)
    return found or [path]


def _sources(inner: str, props: dict[str, Any]) -> tuple[str, ...]:
    """The data files a plot reads (DVC's ``infer_data_sources``): the files ``y`` names, or
    the plot id itself, then the first file ``x`` names."""
    y, x = props.get("y"), props.get("x")
    sources = list(y) if isinstance(y, dict) else [inner]
    if isinstance(x, dict) and x:
        sources.append(next(iter(x)))
    return tuple(dict.fromkeys(sources))


def record(project: Project) -> list[dict[str, Any]]:
    """The plots of PROJECT for the manifest: each one's name, where it is declared, its
    template and axes as written (no template for an image), and its data sources: the file, the stage or .dvc file that
    produces it (None: a file of the work tree no DVC file names), the MD5 recorded for it, and
    whether DVC caches it (False: git keeps it, 'cache: false')."""
    entries = []
    for plot in plots(project):
        sources = []
        for source in plot.sources:
            found = project.producer(source)
            sources.append(
                {
                    "path": source,
                    "producer": found[0] if found else None,
                    "md5": found[1].md5 if found else None,
                    "cache": found[1].cache if found else None,
                }
            )
        entries.append(
            {
                "name": plot.name,
                "dvcfile": plot.dvcfile,
                # an image plot is shown as it is: no template draws it
                "template": None if is_image(plot) else plot.props.get("template") or "linear",
                "x": plot.props.get("x"),
                "y": plot.props.get("y"),
                "sources": sources,
            }
        )
    return entries


def is_image(plot: Plot) -> bool:
    return posixpath.splitext(plot.inner)[1].lower() in IMAGE_SUFFIXES


def read_image(project: Project, source: str) -> bytes:
    """The bytes of the image plot file SOURCE in the work tree, read through the guards.
    Missing, saying why as for a data file, when it is not there (DVC-tracked and not pulled,
    or a stage that has not run); a FindingError when it cannot be read or is larger than
    IMAGE_MAX_BYTES."""
    if not project.contains(source) or source.startswith("../"):
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{source} is outside the DVC project: it is not read.",
                source,
            )
        )
    try:
        with open_file(project.root, source) as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(IMAGE_MAX_BYTES + 1) if size <= IMAGE_MAX_BYTES else b""
    except Missing:
        raise Missing(Finding("missing_value", project.why_absent(source), source)) from None
    return checked_size(source, data, max(size, len(data)))


def checked_size(shown: str, data: bytes, size: int | None = None) -> bytes:
    """DATA, the image SHOWN, when it is at most IMAGE_MAX_BYTES; else a ``missing_value``
    finding naming it (it is not copied into the site)."""
    size = len(data) if size is None else size
    if size > IMAGE_MAX_BYTES:
        raise FindingError(
            Finding(
                "missing_value",
                f"{shown} is {size} bytes, over the {IMAGE_MAX_BYTES} bytes an image plot may "
                "have: it is not copied into the site.",
                shown.split(" at commit ")[0],
            )
        )
    return data


def image_format(shown: str, data: bytes) -> str:
    """The suffix the image plot SHOWN (a path, perhaps followed by ' at commit ...') is
    written into the site with ('.png', '.jpg', '.gif'), once DATA is checked to be the format
    its suffix names. An SVG is a ``missing_value`` finding: it is not copied (see below); a
    file whose bytes are not its format is an ``invalid_project_file`` finding."""
    path = shown.split(" at commit ")[0]
    suffix = posixpath.splitext(path)[1].lower()
    if suffix == ".svg":
        # An SVG from the repository is a document that may hold scripts, and one copied into
        # the site runs them for a reader who opens its address, on the site's origin. The
        # cleaner of drawn plots (render.plots.clean) keeps only the elements and attributes
        # Vega writes: other tools' SVGs (matplotlib's inline 'style' attributes, glyphs drawn
        # with <use>) would lose their colours and text, a wrong picture. So none is copied.
        raise FindingError(
            Finding(
                "missing_value",
                f"{shown} is an SVG image: SVG images from the repository are not copied into "
                "the site (an SVG can hold scripts); save the plot as PNG to show it.",
                path,
            )
        )
    written = _FORMATS.get(suffix)
    if written is None or not data.startswith(_MAGIC[written]):
        what = suffix.lstrip(".").upper() or "image"
        raise FindingError(
            Finding(
                "invalid_project_file",
                f"{shown} is not a {what} image (its first bytes are not a {what} file's): "
                "it is not shown.",
                path,
            )
        )
    return written


def read(project: Project, plot: Plot) -> PlotData:
    """The data of PLOT's files, from the work tree: what git keeps (``cache: false``) or what
    ``dvc pull`` put there. A file that is not there is missing (DVC-tracked and not pulled,
    or produced by a stage that has not run), never an error of the plot."""
    headers = {d.id: bool(d.props.get("header", True)) for d in project.plots if d.dvcfile == ""}
    result = PlotData({}, {}, [])
    for source in plot.sources:
        suffix = posixpath.splitext(source)[1].lower()
        if not project.contains(source) or source.startswith("../"):
            result.problems.append(
                Finding(
                    "invalid_project_file",
                    f"plot '{plot.name}' reads {source}, which is outside the DVC project.",
                    plot.dvcfile,
                    plot.line,
                )
            )
            continue
        if suffix not in DATA_SUFFIXES and not os.path.lexists(project.root / source):
            # a directory plot (DVC lists its files) or a file not pulled: either way absent
            result.missing[source] = project.why_absent(source)
            continue
        if suffix not in DATA_SUFFIXES:
            result.problems.append(
                Finding(
                    "invalid_project_file",
                    f"plot '{plot.name}': {source} is not a data file DVC plots "
                    "(JSON, YAML, TOML, CSV or TSV).",
                    plot.dvcfile,
                    plot.line,
                )
            )
            continue
        try:
            text = read_text(project.root, source)
        except Missing:
            result.missing[source] = project.why_absent(source)
            continue
        except FindingError as exc:
            result.problems.append(exc.finding)
            continue
        try:
            result.data[source] = parse(text, source, headers.get(source, True))
        except FindingError as exc:
            result.problems.append(exc.finding)
    return result


def read_at(
    project: Project,
    plot: Plot,
    commit: str,
    prefix: str,
    blobs: Callable[[list[str]], dict[str, bytes | None]],
    definitions: list[PlotDefinition] | None = None,
) -> PlotData:
    """The data of PLOT's files as git keeps them at COMMIT (PREFIX: the project's directory
    from the git root; BLOBS: the build's reader of ``commit:path`` contents; DEFINITIONS: the
    plots declared there, default the work tree's). A file git does not have there
    (DVC-tracked, or not made yet) is missing."""
    declared = project.plots if definitions is None else definitions
    headers = {d.id: bool(d.props.get("header", True)) for d in declared if d.dvcfile == ""}
    result = PlotData({}, {}, [])
    specs = {source: f"{commit}:{prefix}{source}" for source in plot.sources}
    contents = blobs(list(specs.values()))
    for source, spec in specs.items():
        blob = contents.get(spec)
        if blob is None:
            result.missing[source] = (
                f"{source} is not in git at commit {commit[:7]} (DVC-tracked there, or not "
                "made yet)."
            )
            continue
        shown = f"{source} at commit {commit[:7]}"
        reader = functools.partial(_parse_shown, source=source, header=headers.get(source, True))
        try:
            result.data[source] = parse_blob(blob, shown, reader)
        except FindingError as exc:
            result.problems.append(exc.finding)
    return result


def _parse_shown(text: str, shown: str, *, source: str, header: bool) -> Any:
    del shown  # parse names SOURCE in its findings
    return parse(text, source, header)


def parse(text: str, source: str, header: bool = True) -> Any:
    """The content of a plot's data file as DVC's ``plots.parse`` gives it: CSV and TSV as a
    list of rows, each a mapping of column to text (columns numbered from 0 without a
    header); JSON, YAML and TOML parsed."""
    suffix = posixpath.splitext(source)[1].lower()
    if suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" else ","
        try:
            if header:
                return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
            # DVC counts the columns of the first row split on commas, whatever the file
            first = next(csv.reader(io.StringIO(text)), [])
            names = [str(i) for i in range(len(first))]
            return list(csv.DictReader(io.StringIO(text), delimiter=delimiter, fieldnames=names))
        except csv.Error as exc:
            raise FindingError(
                Finding("invalid_project_file", f"{source} is not valid CSV: {exc}.", source)
            ) from None
    return parse_structured(text, suffix, source)


def template(project: Project, name: str | None) -> tuple[str, dict[str, Any] | None]:
    """The template NAME stands for, found where DVC's ``get_template`` looks: a file in
    .dvc/plots (NAME, then NAME.json), a file at NAME from the project's root, then DVC's
    built-in templates. (name, the custom template's JSON), or (name, None) for a built-in;
    a finding when it is none of them or cannot be read."""
    name = name or "linear"
    candidates = [f".dvc/plots/{name}", f".dvc/plots/{name}.json", name]
    for candidate in candidates:
        path = posixpath.normpath(candidate)
        if path.startswith("../") or path == ".." or posixpath.isabs(path):
            continue
        try:
            text = read_text(project.root, path)
        except Missing:
            continue
        content = parse_structured(text, ".json", path)
        if not isinstance(content, dict):
            raise FindingError(
                Finding("invalid_project_file", f"plot template {path} is not a JSON object.", path)
            )
        return name, content
    return name, None
