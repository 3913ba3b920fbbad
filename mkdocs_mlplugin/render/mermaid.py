"""The pipeline diagram as Mermaid: labels, the flowchart, its legend and links. Pure functions.

Every name from the repository goes into the diagram through ``mermaid_label``; node and
subgraph ids are generated and classes come from ``STATE_CLASSES`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from mkdocs_mlplugin.render import href, printable, text
from mkdocs_mlplugin.render.graph import Diagram, Node

# Inside a quoted Mermaid label these are plain text; everything else is written as an entity
# code, spaces and ':' included: Mermaid's lexer reads "direction LR" and "style ...:#...;" in
# any line, quoted or not, and trims spaces at the ends of a label.
_MERMAID_SAFE = frozenset("/._-@,+=()")


def mermaid_label(value: object) -> str:
    """A Mermaid node label: quoted, with everything but ASCII letters, digits and a few safe
    marks written as Mermaid entity codes, so no name can close the quote, start a directive,
    add a style or HTML, or lose a character.

    Mermaid uses "ﬂ°" and "¶ß" internally while it decodes entities, so U+FB02 is written "fl"
    and "¶ß" gets a zero-width space between; an empty name is a zero-width space."""
    text = printable(value).replace("\ufb02", "fl").replace("\u00b6\u00df", "\u00b6\u200b\u00df")
    body = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in _MERMAID_SAFE else f"#{ord(ch)};"
        for ch in text or "\u200b"
    )
    return f'"{body}"'


#: node classes of the pipeline diagram: (class, legend text, Mermaid style). Text is dark on
#: light fills in both palettes, so the diagram reads the same in light and dark mode.
STATE_CLASSES: dict[str, tuple[str, str]] = {
    "current": ("current", "fill:#c8e6c9,stroke:#2e7d32,color:#1b1b1b"),
    "stale": ("stale", "fill:#ffcdd2,stroke:#c62828,stroke-width:3px,color:#1b1b1b"),
    "unverifiable": ("not verifiable", "fill:#fff9c4,stroke:#f9a825,color:#1b1b1b"),
    "frozen": ("frozen", "fill:#e0e0e0,stroke:#616161,stroke-dasharray:4 3,color:#1b1b1b"),
    "unknown": ("unknown", "fill:#eeeeee,stroke:#9e9e9e,color:#1b1b1b"),
    "data": ("data (.dvc)", "fill:#e3f2fd,stroke:#1565c0,color:#1b1b1b"),
}


#: a light box in both palettes, so the dark label on it reads in dark mode too
SUBGRAPH_STYLE = "fill:#f5f5f5,stroke:#9e9e9e,color:#1b1b1b"


def flowchart(diagram: Diagram, direction: str = "TD") -> list[str]:
    """A Mermaid flowchart of DIAGRAM, one subgraph per dvc.yaml when there are several.

    Node ids are generated (n0, n1, ...) and subgraph ids likewise (g0, ...), never taken from
    the data; labels are quoted and escaped; classes come from STATE_CLASSES only.
    """
    ids = {node.name: f"n{i}" for i, node in enumerate(diagram.nodes)}
    lines = [f"flowchart {direction}"]
    groups = sorted({n.group for n in diagram.nodes if n.css != "data"})
    nested = len(groups) > 1

    def node_line(node: Node, pad: str) -> str:
        shape = ('[("', '")]') if node.css == "data" else ('["', '"]')
        return f"{pad}{ids[node.name]}{shape[0]}{mermaid_label(node.label)[1:-1]}{shape[1]}"

    for g, group in enumerate(groups if nested else []):
        lines.append(f"    subgraph g{g}[{mermaid_label(group)}]")
        lines.extend(
            node_line(n, "        ") for n in diagram.nodes if n.css != "data" and n.group == group
        )
        lines.append("    end")
        lines.append(f"    style g{g} {SUBGRAPH_STYLE}")
    lines.extend(node_line(n, "    ") for n in diagram.nodes if not nested or n.css == "data")
    lines.extend(f"    {ids[a]} --> {ids[b]}" for a, b in diagram.edges if a in ids and b in ids)
    for css, (_, style) in STATE_CLASSES.items():
        members = [ids[n.name] for n in diagram.nodes if n.css == css]
        if members:
            lines.append(f"    classDef {css} {style}")
            lines.append(f"    class {','.join(members)} {css}")
    return lines


def node_links(links: Sequence[tuple[str, str]]) -> list[str]:
    """Links to the pages that document nodes of the diagram."""
    if not links:
        return []
    items = ", ".join(f'<a href="{href(url)}">{text(name)}</a>' for name, url in links)
    return [f'<p class="ml-node-links">Documented: {items}</p>']


def state_reasons(stages: Sequence[tuple[str, str, Sequence[str]]]) -> list[str]:
    """Under the diagram, in words, why each of STAGES (name, state, reasons) is stale or not
    verifiable: a colour alone does not say what changed."""
    items = []
    for name, state, reasons in stages:
        fix = f" Run <code>{text(f'dvc repro {name}')}</code>." if state == "stale" else ""
        items.append(
            f"<li><code>{text(name)}</code> is {text(state)}: {text('; '.join(reasons))}.{fix}</li>"
        )
    return [f'<ul class="ml-state-reasons">{"".join(items)}</ul>'] if items else []


def legend(classes: Sequence[str]) -> list[str]:
    """The diagram's legend, as HTML that follows the same colours."""
    items = []
    for css in classes:
        text_, style = STATE_CLASSES[css]
        fill = style.split(",")[0].split(":")[1]
        stroke = style.split(",")[1].split(":")[1]
        items.append(
            f'<span class="ml-legend-item ml-{css}" style="background:{fill};border-color:{stroke}">'
            f"{text(text_)}</span>"
        )
    return [f'<p class="ml-legend">{" ".join(items)}</p>'] if items else []
