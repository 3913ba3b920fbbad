"""Diagram views against ``dvc dag`` itself, and the pure graph operations behind them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Repo

from mkdocs_mlplugin.facts.dvc import Hashed, Project, Stage, load_project
from mkdocs_mlplugin.render import graph, mermaid
from mkdocs_mlplugin.render.graph import Diagram, Node


def dot_edges(dot: str) -> set[tuple[str, str]]:
    pairs = re.findall(r'("[^"]+"|[^\s";]+) -> ("[^"]+"|[^\s";]+);', dot)
    return {(a.strip('"'), b.strip('"')) for a, b in pairs}


def dot_nodes(dot: str) -> set[str]:
    names = {m.strip('"') for m in re.findall(r'^("[^"]+"|[^\s";{}]+);$', dot, re.MULTILINE)}
    return names | {n for e in dot_edges(dot) for n in e}


FOREACH = """
  sweep:
    foreach: [a, b, c]
    do:
      cmd: python3 -c "open('sweep-${item}.txt','w').write('${item}')"
      deps: [models/model.txt]
      outs:
        - sweep-${item}.txt
  report:
    cmd: cat sweep-a.txt sweep-b.txt > report.txt
    deps: [sweep-a.txt, sweep-b.txt]
    outs: [report.txt]
"""


@pytest.fixture
def sweep(pipeline: Repo) -> Repo:
    text = pipeline.read("dvc.yaml").replace("artifacts:", FOREACH.lstrip("\n") + "artifacts:")
    pipeline.write("dvc.yaml", text)
    return pipeline


def test_outs_view_has_the_nodes_and_edges_of_dvc_dag_outs(sweep: Repo) -> None:
    diagram = graph.outs_view(load_project(sweep.path))
    dot = sweep.dvc("dag", "--outs", "--dot")
    assert set(diagram.edges) == dot_edges(dot)
    assert {n.name for n in diagram.nodes} == dot_nodes(dot)


def test_collapsed_view_merges_foreach_members_like_dvc_dag_collapse(sweep: Repo) -> None:
    project = load_project(sweep.path)
    diagram = graph.collapse(graph.stage_view(project, {}))
    dot = sweep.dvc("dag", "--collapse-foreach-matrix", "--dot")
    assert {n.name for n in diagram.nodes} == dot_nodes(dot)
    assert set(diagram.edges) == dot_edges(dot)
    sweep_node = next(n for n in diagram.nodes if n.name == "sweep")
    assert sweep_node.label == "sweep (3 stages)"


def node(name: str, css: str = "current", group: str = "dvc.yaml") -> Node:
    return Node(name, name, css, group)


def test_collapse_takes_the_worst_state_of_the_group() -> None:
    diagram = Diagram(
        [node("t@a"), node("t@b", "stale"), node("t@c", "unverifiable"), node("u")],
        [("t@a", "u"), ("t@b", "u")],
    )
    collapsed = graph.collapse(diagram)
    assert [(n.name, n.css) for n in collapsed.nodes] == [("t", "stale"), ("u", "current")]
    assert collapsed.edges == [("t", "u")]
    assert collapsed.nodes[0].label == "t (3 stages)"


def test_a_foreach_of_one_member_collapses_to_one_stage() -> None:
    collapsed = graph.collapse(Diagram([node("unzip@kaggle"), node("u")], [("unzip@kaggle", "u")]))
    assert [n.label for n in collapsed.nodes] == ["unzip (1 stage)", "u"]


def test_reduce_drops_only_edges_another_path_implies() -> None:
    names = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("a", "d")]
    reduced = graph.reduce(Diagram([node(n) for n in names], edges))
    assert reduced.edges == [("a", "b"), ("b", "c"), ("c", "d")]


def test_focus_keeps_ancestors_and_descendants_only() -> None:
    names = ["raw", "prep", "train", "eval", "other", "side"]
    edges = [
        ("raw", "prep"),
        ("prep", "train"),
        ("train", "eval"),
        ("other", "side"),
        ("prep", "side"),
    ]
    focused = graph.focus(Diagram([node(n) for n in names], edges), "train")
    assert {n.name for n in focused.nodes} == {"raw", "prep", "train", "eval"}
    assert ("prep", "side") not in focused.edges


def test_several_dvc_yaml_files_are_drawn_as_subgraphs() -> None:
    diagram = Diagram(
        [
            node("prep"),
            node("sub/dvc.yaml:train", group="sub/dvc.yaml"),
            node("data.dvc", "data", "data.dvc"),
        ],
        [("data.dvc", "prep"), ("prep", "sub/dvc.yaml:train")],
    )
    lines = mermaid.flowchart(diagram)
    text = "\n".join(lines)
    assert '    subgraph g0["dvc.yaml"]\n        n0["prep"]\n    end\n    style g0 ' in text
    assert '    subgraph g1["sub/dvc.yaml:train"' not in text
    assert 'subgraph g1["sub/dvc.yaml"]\n        n1["sub/dvc.yaml#58;train"]\n    end' in text
    assert '    n2[("data.dvc")]' in text


def synthetic(stages: int, members: int) -> Project:
    """A pipeline of STAGES foreach groups of MEMBERS each, chained: big enough to hit limits."""
    project = Project(root=Path("."))
    for i in range(stages):
        for m in range(members):
            name = f"stage{i}@{m}"
            deps = [f"out{i - 1}-{m}.bin"] if i else []
            project.stages[name] = Stage(
                name, "dvc.yaml", "run", ".", deps, [Hashed(f"out{i}-{m}.bin")], {}, []
            )
    from mkdocs_mlplugin.facts.dvc import build_edges

    project.edges = build_edges(project)
    return project


def test_a_diagram_over_mermaids_limits_is_collapsed_with_a_warning(pipeline: Repo) -> None:
    from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
    from mkdocs_mlplugin.findings import Finding
    from mkdocs_mlplugin.pages.blocks import render_block
    from mkdocs_mlplugin.pages.references import scan

    project = synthetic(stages=60, members=10)  # 600 stages, 540 edges: over 500
    site = SiteFacts(project=project)
    (match,) = scan("{ml pipeline}", "docs/p.md")
    assert match.reference is not None
    notes: list[Finding] = []
    lines = render_block(match.reference, site, PageFacts("docs/p.md", None), {}, notes)
    assert sum("-->" in line for line in lines) == 59
    (note,) = notes
    assert note.kind == "diagram_too_large"
    assert "foreach/matrix groups were collapsed" in note.message
