"""The pipeline as a graph for diagrams: views, grouping, reduction and focus. Pure functions.

A Diagram is what mermaid.flowchart draws: named nodes with a state class and a group (the
dvc.yaml they come from), and edges between node names.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from mkdocs_mlplugin.checks.pipeline import Verdict
from mkdocs_mlplugin.facts.dvc import Project

#: Mermaid's defaults: above these, mermaid refuses to draw ("Maximum text size in diagram
#: exceeded", "Edge limit exceeded").
MAX_TEXT = 50_000
MAX_EDGES = 500
_RANK = {"stale": 0, "unverifiable": 1, "unknown": 2, "frozen": 3, "current": 4, "data": 5}


@dataclasses.dataclass(frozen=True)
class Node:
    name: str  # what it is called in DVC: a stage, a .dvc file, or a path in the outs view
    label: str
    css: str  # a key of mermaid.STATE_CLASSES
    group: str  # the dvc.yaml (or .dvc file's directory) it belongs to


@dataclasses.dataclass
class Diagram:
    nodes: list[Node]
    edges: list[tuple[str, str]]

    def subset(self, keep: set[str]) -> Diagram:
        return Diagram(
            [n for n in self.nodes if n.name in keep],
            [e for e in self.edges if e[0] in keep and e[1] in keep],
        )


def state_class(verdict: Verdict | None) -> str:
    if verdict is None:
        return "unknown"
    if verdict.state == "stale":
        return "stale"
    if verdict.frozen:
        return "frozen"
    return "current" if verdict.state == "current" else "unverifiable"


def stage_view(project: Project, verdicts: dict[str, Verdict]) -> Diagram:
    """Stages and .dvc files with the edges of ``dvc dag``."""
    nodes = [
        Node(name, name, state_class(verdicts.get(name)), stage.dvcfile)
        for name, stage in project.stages.items()
    ]
    nodes += [Node(name, name, "data", name) for name in project.tracked]
    return Diagram(nodes, list(project.edges))


def outs_view(project: Project) -> Diagram:
    """Data as nodes (``dvc dag --outs``): an edge from each DVC-tracked input of a stage to
    each of its outputs."""
    produced: dict[str, str] = {}  # out path -> its group
    for stage in project.stages.values():
        for out in stage.outs:
            produced[out.path] = stage.dvcfile
    for tracked in project.tracked.values():
        for out in tracked.outs:
            produced[out.path] = tracked.dvcfile
    edges: set[tuple[str, str]] = set()
    for stage in project.stages.values():
        for dep in [*stage.deps, *stage.params]:
            sources = [
                p
                for p in produced
                if p == dep or dep.startswith(p + "/") or p.startswith(dep + "/")
            ]
            edges.update(
                (src, out.path) for src in sources for out in stage.outs if src != out.path
            )
    nodes = [Node(path, path, "data", group) for path, group in produced.items()]
    return Diagram(nodes, sorted(edges))


def collapse(diagram: Diagram) -> Diagram:
    """One node per foreach/matrix group (``train@a``, ``train@b`` -> ``train``), taking the
    worst state of its members."""

    def key(name: str) -> str:
        head, _, tail = name.rpartition(":")
        base = tail.split("@")[0]
        return f"{head}:{base}" if head else base

    members: dict[str, list[Node]] = defaultdict(list)
    for node in diagram.nodes:
        members[key(node.name) if node.css != "data" else node.name].append(node)
    nodes = []
    for name, group in members.items():
        if len(group) == 1 and group[0].name == name:
            nodes.append(group[0])
            continue
        worst = min((n.css for n in group), key=lambda c: _RANK.get(c, 9))
        count = f"{len(group)} stage{'s' if len(group) != 1 else ''}"
        nodes.append(Node(name, f"{name} ({count})", worst, group[0].group))
    owner = {n.name: (key(n.name) if n.css != "data" else n.name) for n in diagram.nodes}
    edges = sorted({(owner[a], owner[b]) for a, b in diagram.edges if owner[a] != owner[b]})
    return Diagram(nodes, edges)


def reduce(diagram: Diagram) -> Diagram:
    """The transitive reduction: drop an edge when another path already connects its ends."""
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in diagram.edges:
        succ[a].add(b)

    def reachable_without(a: str, b: str) -> bool:
        stack = [n for n in succ[a] if n != b]
        seen = set(stack)
        while stack:
            node = stack.pop()
            if node == b:
                return True
            for nxt in succ[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    return Diagram(diagram.nodes, [(a, b) for a, b in diagram.edges if not reachable_without(a, b)])


def focus(diagram: Diagram, name: str) -> Diagram:
    """NAME with everything upstream and downstream of it."""
    keep = (
        {name}
        | _walk(diagram.edges, name, forward=True)
        | _walk(diagram.edges, name, forward=False)
    )
    return diagram.subset(keep)


def _walk(edges: Iterable[tuple[str, str]], start: str, forward: bool) -> set[str]:
    nxt: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        if forward:
            nxt[a].add(b)
        else:
            nxt[b].add(a)
    seen: set[str] = set()
    stack = [start]
    while stack:
        for other in nxt[stack.pop()]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen
