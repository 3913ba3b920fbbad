"""A DVC plot drawn as static SVG: DVC's own datapoints and Vega-Lite template, vl-convert's
drawing, and the SVG made safe to put in a page.

Where this sits: ``facts.plots`` finds the plots and reads their data; ``spec`` turns the data
into the Vega-Lite specification ``dvc plots show --json`` gives, with DVC's converter
(``dvc.render.converter.vega.VegaConverter``) and dvc-render's renderer and templates
(``dvc_render.vega.VegaRenderer``), as ``dvc.render.match.match_defs_renderers`` calls them;
``mkdocs_mlplugin.vega`` draws it with vl-convert (Vega in an embedded JavaScript engine: no
browser, no network), in a child process; ``clean`` keeps only the SVG elements and
attributes a chart needs, every text and attribute escaped for Markdown and HTML. DVC and
vl-convert are imported on first use: they are the ``plots`` extra, and a site without
plots never loads them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from mkdocs_mlplugin.render import attribute, text
from mkdocs_mlplugin.vega import CONFIG, VEGA_LITE
from mkdocs_mlplugin.vega import PlotError as PlotError  # where the pages catch it

#: what to install for plots, named in the finding a build without it gives
EXTRA = "pip install 'mkdocs-mlplugin[plots]'"
_SVG = "http://www.w3.org/2000/svg"
#: the elements Vega's SVG renderer writes for charts; anything else is dropped
_ELEMENTS = frozenset(
    (
        *("svg", "g", "path", "rect", "line", "circle", "ellipse", "polygon", "polyline"),
        *("text", "tspan", "title", "desc", "defs", "clipPath", "linearGradient"),
        *("radialGradient", "stop"),
    )
)
#: the attributes kept (no event handlers, links, styles or external references)
_ATTRIBUTES = frozenset(
    (
        *("width", "height", "viewBox", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r"),
        *("rx", "ry", "d", "points", "transform", "fill", "stroke", "stroke-width"),
        *("stroke-opacity", "fill-opacity", "opacity", "stroke-dasharray", "stroke-dashoffset"),
        *("stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "font-family", "font-size"),
        *("font-weight", "font-style", "text-anchor", "dominant-baseline", "dx", "dy", "class"),
        *("role", "aria-label", "aria-roledescription", "aria-hidden", "id", "clip-path"),
        *("offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "fx"),
        *("fy", "fr", "display", "pointer-events", "shape-rendering", "text-decoration"),
        *("letter-spacing", "version"),
    )
)
_LOCAL_URL = re.compile(r"^url\(#([A-Za-z0-9_-]+)\)$")


def spec(
    name: str,
    inner: str,
    props: dict[str, Any],
    revisions: dict[str, dict[str, Any]],
    template: tuple[str, dict[str, Any] | None],
) -> dict[str, Any]:
    """The Vega-Lite specification ``dvc plots show --json`` (one revision) or ``dvc plots diff
    --json`` (several) gives for the plot NAME (id INNER in its dvc.yaml, definition PROPS)
    with REVISIONS (revision as written -> data file -> parsed content), filled into TEMPLATE
    ((name, a custom template's JSON or None for DVC's own)); {} when the files hold no
    datapoints. PlotError with DVC's message when DVC cannot draw it."""
    from dvc.exceptions import DvcException
    from dvc.render.converter.vega import VegaConverter
    from dvc_render.exceptions import DvcRenderError
    from dvc_render.vega import VegaRenderer
    from dvc_render.vega_templates import Template, get_template

    try:
        # match_defs_renderers: each revision's datapoints one after the other, the properties
        # of the first revision that has any; only files that hold something are converted
        datapoints: list[dict[str, Any]] = []
        properties: dict[str, Any] = {}
        drawn: list[str] = []
        for rev, data in revisions.items():
            given = {file: content for file, content in data.items() if content}
            converter = VegaConverter(inner, copy.deepcopy(given), dict(props))
            points, found = converter.flat_datapoints(rev)
            if points and rev not in drawn:
                drawn.append(rev)
            if not properties and found:
                properties = found
            datapoints.extend(points)
        if "title" not in properties:
            properties["title"] = name
        if drawn:
            properties["revs_with_datapoints"] = drawn
        named, content = template
        # the template is given as an object, so dvc-render opens no file of its own
        properties["template"] = (
            Template(copy.deepcopy(content), name=named) if content else get_template(named)
        )
        renderer = VegaRenderer(datapoints, name, **properties)
        return renderer.get_filled_template() if renderer.datapoints else {}
    except (DvcException, DvcRenderError) as exc:
        raise PlotError(str(exc)) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        # DVC's converter assumes well-formed data (rows as mappings with the same keys)
        problem = f"DVC cannot read the data as datapoints ({type(exc).__name__}: {exc})"
        raise PlotError(problem) from None


def key(vega_lite: dict[str, Any]) -> str:
    """What the SVG of a specification is cached under: a hash of the specification and of
    how it is drawn, the same across builds of one process (``build.Session.plots``)."""
    body = json.dumps([vega_lite, CONFIG, VEGA_LITE], sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def static(vega_lite: dict[str, Any]) -> dict[str, Any]:
    """VEGA_LITE as a static image shows it: a checkbox the reader would tick in DVC's HTML
    report (the confusion templates' "showValues", which writes the count in each cell) is
    ticked, since an SVG has no checkbox. Everything else is as DVC filled it."""
    params = vega_lite.get("params")
    if not isinstance(params, list):
        return vega_lite
    shown = dict(vega_lite)
    shown["params"] = [
        {**p, "value": True}
        if isinstance(p, dict)
        and isinstance(p.get("bind"), dict)
        and p["bind"].get("input") == "checkbox"
        and "value" not in p
        else p
        for p in params
    ]
    return shown


def clean(drawn: str, ids: str) -> str:
    """DRAWN, an SVG document, as one line of markup with only the chart elements and
    attributes of ``_ELEMENTS`` and ``_ATTRIBUTES``: no script, style, link, image, foreign
    object or event handler, ids prefixed with IDS, every text and attribute value escaped
    (``render.text``, ``render.attribute``), so that a label from the data is shown as text
    and nothing Markdown or HTML would act on. PlotError when DRAWN is not well-formed."""
    if "<!" in drawn:  # no DTD, entity or CDATA: Vega writes none, and entities could expand
        raise PlotError("the SVG drawn declares a DTD or entities")
    try:
        root = ET.fromstring(drawn)  # noqa: S314 - vl-convert's output, with no DTD (above)
    except ET.ParseError as exc:
        raise PlotError(f"the SVG drawn cannot be read ({exc})") from None
    if _local(root.tag) != "svg":
        raise PlotError("what was drawn is not an SVG image")
    return "".join(_element(root, ids, top=True))


def _local(tag: str) -> str:
    namespace, _, name = tag.rpartition("}")
    return name if namespace in ("", "{" + _SVG) else ""


def _element(node: ET.Element, ids: str, top: bool = False) -> list[str]:
    name = _local(node.tag)
    if name not in _ELEMENTS:
        return []
    attributes = [f' xmlns="{_SVG}"'] if top else []
    for raw, value in node.attrib.items():
        kept = _attribute(raw, value, ids)
        if kept is not None:
            attributes.append(f' {raw}="{attribute(kept)}"')
    parts = [f"<{name}{''.join(attributes)}>"]
    if node.text:
        parts.append(text(node.text))
    for child in node:
        parts.extend(_element(child, ids))
        if child.tail and child.tail.strip():
            parts.append(text(child.tail))
    parts.append(f"</{name}>")
    return parts


def _attribute(name: str, value: str, ids: str) -> str | None:
    """VALUE of the attribute NAME as kept, or None when it is dropped."""
    if name not in _ATTRIBUTES:
        return None
    if name == "id":
        return f"{ids}-{value}"
    local = _LOCAL_URL.match(value.strip())
    if local:  # fill="url(#gradient_2)", clip-path="url(#clip3)": this plot's own element
        return f"url(#{ids}-{local.group(1)})"
    if "url(" in value.lower():  # anything else it would fetch
        return None
    return value


def ids_for(cache_key: str) -> str:
    """The prefix of a plot's SVG ids: from its cache key, so one plot shown twice on a page
    draws the same ids for the same content."""
    return "ml-plot-" + cache_key[:12]
