"""The reference syntax: what is a reference, what is left alone, and what is malformed."""

from __future__ import annotations

import pytest

from mkdocs_mlplugin.pages.references import Reference, replace, scan


def refs(markdown: str) -> list[Reference]:
    return [m.reference for m in scan(markdown, "page.md") if m.reference is not None]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("{ml git short}", ("git", None, "short", False)),
        ("{ml git}", ("git", None, "commit", False)),
        ("x {ml page updated} y", ("page", None, "updated", False)),
        ("{ml stage train}", ("stage", "train", "cmd", False)),
        ("{ml stage sub/dvc.yaml:train@a deps}", ("stage", "sub/dvc.yaml:train@a", "deps", False)),
        ("{ml out data/model.pkl}", ("out", "data/model.pkl", "md5", False)),
        ('{ml out "data/my model.pkl" size}', ("out", "data/my model.pkl", "size", False)),
        ("{ml param params.yaml:train.lr}", ("param", "params.yaml:train.lr", None, False)),
        ("{ml metric acc}", ("metric", "acc", None, False)),
        ("{ml artifact clf labels}", ("artifact", "clf", "labels", False)),
        ("{ml pipeline}", ("pipeline", None, None, True)),
        ("{ml pipeline view=outs collapse}", ("pipeline", None, None, True)),
        ("   {ml params-table train}  ", ("params-table", "train", None, True)),
        ("{ml provenance}", ("provenance", None, None, True)),
        ("{ml metrics-table eval/m.json}", ("metrics-table", "eval/m.json", None, True)),
    ],
)
def test_references_are_read(markdown: str, expected: tuple[object, ...]) -> None:
    (ref,) = refs(markdown)
    assert (ref.kind, ref.name, ref.field, ref.block) == expected


@pytest.mark.parametrize(
    ("markdown", "says"),
    [
        ("{ml}", "say what to show"),
        ("{ml gti short}", "Did you mean 'git'?"),
        ("{ml git sha}", "has no field 'sha'"),
        ("{ml stage}", "name the stage"),
        ("{ml out}", "name the path"),
        ("{ml param a b}", "too many words"),
        ("{ml out 'unclosed}", "quote"),
        ("text {ml pipeline} text", "alone on its own line"),
        ("{ml pipeline extra}", "'pipeline' has no option 'extra'"),
        ("{ml pipeline focus}", "write focus=NAME"),
        ("{ml pipeline view=data}", "write view=stages or view=outs"),
        ("{ml pipeline colapse}", "Did you mean 'collapse'?"),
        ("{ml params-table a b}", "at most one name"),
        ("{ml artifact clf colour}", "Fields: path, type"),
    ],
)
def test_malformed_references_say_what_is_wrong(markdown: str, says: str) -> None:
    (match,) = scan(markdown, "docs/page.md", first_line=5)
    assert match.reference is None
    assert match.problem is not None
    assert match.problem.kind == "malformed_reference"
    assert says in match.problem.message
    assert (match.problem.file, match.problem.line) == ("docs/page.md", 5)


def test_line_numbers_count_from_the_first_line_of_the_body() -> None:
    markdown = "# Title\n\ntext\n\n{ml git short} and\n{ml stage x}\n"
    lines = [m.reference.line for m in scan(markdown, "p.md", first_line=4) if m.reference]
    assert lines == [8, 9]


@pytest.mark.parametrize(
    "markdown",
    [
        "```\n{ml git short}\n```\n",
        "~~~python\n{ml git short}\n~~~\n",
        "````md\n```\n{ml git short}\n```\n````\n",
        "- item\n\n    ```\n    {ml git short}\n    ```\n",
        "`{ml git short}`",
        "``a ` {ml git short}``",
        "{{ml git short}}",
    ],
)
def test_code_and_macros_are_left_alone(markdown: str) -> None:
    matches = scan(markdown, "p.md")
    assert matches == []
    assert replace(markdown, matches, []) == markdown


def test_references_after_a_fence_are_found_again() -> None:
    markdown = "```\n{ml git x}\n```\n{ml git short}\n"
    (ref,) = refs(markdown)
    assert ref.line == 4


def test_an_unclosed_fence_hides_the_rest_of_the_page_like_markdown_does() -> None:
    assert refs("```\n{ml git short}\n") == []


def test_a_backslash_makes_a_reference_literal() -> None:
    markdown = "Write \\{ml git short} to show the commit; `\\{ml x}` stays.\n"
    matches = scan(markdown, "p.md")
    assert matches == []
    assert (
        replace(markdown, matches, [])
        == "Write {ml git short} to show the commit; `\\{ml x}` stays.\n"
    )


def test_replace_keeps_everything_around_references() -> None:
    markdown = "a {ml git short} b `{ml git}` c {ml page updated}\n"
    matches = scan(markdown, "p.md")
    assert replace(markdown, matches, ["X", "Y"]) == "a X b `{ml git}` c Y\n"


def test_pipeline_options_are_read() -> None:
    (ref,) = refs("{ml pipeline view=outs focus=sub/dvc.yaml:train@a reduce direction=LR}")
    assert ref.options == (
        ("view", "outs"),
        ("focus", "sub/dvc.yaml:train@a"),
        ("reduce", ""),
        ("direction", "LR"),
    )
    assert ref.option("collapse") is None
