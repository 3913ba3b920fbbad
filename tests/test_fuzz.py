"""Fuzzing: every reader and parser the plugin owns, fed arbitrary input, raises nothing but
the plugin's own FindingError (whose finding names the file)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_registry import GTO_TAG_NAME

from mkdocs_mlplugin.facts import registry
from mkdocs_mlplugin.facts.dvc import load_project, redact, redact_text
from mkdocs_mlplugin.facts.git import parse_log
from mkdocs_mlplugin.facts.structured import parse_structured, parse_yaml
from mkdocs_mlplugin.findings import FindingError
from mkdocs_mlplugin.pages.references import (
    _CODE_SPAN,
    _FENCE_LINE,
    _code_spans,
    _fence_lines,
    _outside_fences,
    replace,
    scan,
    split,
)

MARKDOWNISH = st.text(
    alphabet=st.sampled_from(list("{}ml `~\\\n#|*_-:=\"' abcprgtoutsae.0123")), max_size=200
)
YAMLISH = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(list("abc:- \n[]{}&*!|>'\"#%@`0123.\t<=")), max_size=300),
)
# structured documents shaped like DVC files, with wrong types in every place
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "stages",
        "cmd",
        "deps",
        "outs",
        "params",
        "metrics",
        "plots",
        "artifacts",
        "vars",
        "foreach",
        "do",
        "matrix",
        "wdir",
        "path",
        "md5",
        "size",
        "schema",
        "frozen",
        "always_changed",
        "hash",
        "nfiles",
        "cache",
    ]
)
DVC_DOCS = st.recursive(
    st.dictionaries(KEYS, VALUES, max_size=4),
    lambda inner: st.dictionaries(
        st.one_of(KEYS, st.text(max_size=6)),
        st.one_of(inner, VALUES, st.lists(inner, max_size=2)),
        max_size=4,
    ),
    max_leaves=20,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(MARKDOWNISH)
def test_the_reference_scanner_never_crashes_and_keeps_the_text(markdown: str) -> None:
    matches = scan(markdown, "docs/p.md", first_line=3)
    previous_end = 0
    for match in matches:
        assert previous_end <= match.start < match.end <= len(markdown)
        assert (match.reference is None) != (match.problem is None)
        previous_end = match.end
    # replacing every match with itself gives the page back (escapes aside)
    same = replace(markdown, matches, [markdown[m.start : m.end] for m in matches])
    assert same == markdown or "\\{ml" in markdown


def fenced_text_by_lines(markdown: str) -> list[tuple[int, int]]:
    """The definition the scanner's fence search must agree with: lines as str.splitlines()
    cuts them, each looked at in turn."""
    fence_line = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
    ranges, pos, text_start, fence = [], 0, 0, None
    for line in markdown.splitlines(keepends=True):
        m = fence_line.match(line.rstrip("\r\n"))
        if fence is None and m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
            fence = (m.group(2)[0], len(m.group(2)))
            if pos > text_start:
                ranges.append((text_start, pos))
        elif (
            fence
            and m
            and m.group(2)[0] == fence[0]
            and len(m.group(2)) >= fence[1]
            and not (m.group(3).strip())
        ):
            fence, text_start = None, pos + len(line)
        pos += len(line)
    if fence is None and pos > text_start:
        ranges.append((text_start, pos))
    return ranges


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.sampled_from(["{ml", "{ml ", "{", "}", "\\", " ", "\n", "git", "x"]), max_size=16)
)
def test_references_start_where_the_syntax_says(pieces: list[str]) -> None:
    """'{ml ...}' is a reference unless a '{' or a backslash comes just before it; the scanner
    looks for the literal '{ml' and checks that character itself."""
    markdown = "".join(pieces)
    syntax = re.compile(r"(?<![{\\])\{ml(?:\s+([^{}\n]*?))?\s*\}(?!\})")
    found = [(m.start, m.end) for m in scan(markdown, "p.md") if m.reference or m.problem]
    expected = [m.span() for m in syntax.finditer(markdown)]
    assert [f for f in found if f in expected] == expected
    unclosed = re.compile(r"(?<![{\\])\{ml(?=[\s}]|$)")
    starts = {m.start() for m in unclosed.finditer(markdown)} | {a for a, _ in expected}
    assert {a for a, _ in found} == starts


FENCE_PIECES = ["```", "~~~", "````", "`", "~", "\n", "\n", " ", "\t", "py", "x", "`x`", "{ml a}"]
LINE_ENDS = ["\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\xa0", "\x1f"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(FENCE_PIECES + LINE_ENDS), max_size=20).map("".join))
def test_fenced_code_is_found_as_line_by_line_reading_finds_it(markdown: str) -> None:
    """The scanner looks only at the lines that hold three backticks or tildes; that must give
    the text ranges a line-by-line reading gives, whatever ends the lines."""
    found = [(a, b) for a, b in _outside_fences(markdown) if a < b]
    assert found == fenced_text_by_lines(markdown)


CODE_PIECES = ["`", "``", "```", "x", " ", "\n", "\n\n", "{ml a}", "~~~"]


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.sampled_from(CODE_PIECES), max_size=20).map("".join),
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_code_spans_and_fence_lines_are_what_the_full_searches_find(
    markdown: str, start: int, length: int
) -> None:
    """Code spans and fence lines are looked for only where a backtick or a fence's three
    characters stand; the regular expressions searched over the whole page find the same."""
    end = min(start + length, len(markdown))
    found = [m.span() for m in _code_spans(markdown, start, end)]
    assert found == [m.span() for m in _CODE_SPAN.finditer(markdown, start, end)]
    lines = [m.span() for m in _fence_lines(markdown)]
    assert lines == [m.span() for m in _FENCE_LINE.finditer(markdown)]


@FUZZ
@given(st.text(alphabet=st.sampled_from("ab #'\"\\\t\r\n\x0b\u00a0=.-"), max_size=30))
def test_reference_words_split_exactly_as_shlex_splits_them(body: str) -> None:
    """Plain bodies take a fast path; the words must still be shlex's (POSIX quoting,
    comments), and the same bodies must fail."""
    import shlex

    lexer = shlex.shlex(body, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    try:
        expected: list[str] | str = list(lexer)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: list[str] | str = split(body)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


@FUZZ
@given(YAMLISH, st.sampled_from([".yaml", ".json", ".toml", ".py"]))
def test_structured_readers_raise_only_findings(text: str, suffix: str) -> None:
    try:
        parse_structured(text, suffix, f"params{suffix}")
    except FindingError as exc:
        assert exc.finding.file == f"params{suffix}"


@FUZZ
@given(YAMLISH)
def test_the_yaml_reader_raises_only_findings(text: str) -> None:
    try:
        parse_yaml(text, "dvc.lock")
    except FindingError as exc:
        assert exc.finding.kind == "invalid_project_file"
        assert exc.finding.file == "dvc.lock"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DVC_DOCS, DVC_DOCS, DVC_DOCS, st.booleans())
def test_a_project_of_arbitrary_dvc_files_loads_with_findings_only(
    pipeline: dict[str, Any], lock: dict[str, Any], tracked: dict[str, Any], as_text: bool
) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        (root / ".dvc").mkdir()
        for name, doc in (("dvc.yaml", pipeline), ("dvc.lock", lock), ("data.csv.dvc", tracked)):
            text = yaml.safe_dump(doc) if as_text else str(doc)
            (root / name).write_text(text, "utf-8")
        project = load_project(root)
        for finding in project.findings:
            assert finding.file, finding
        project.as_dict(root)  # the manifest's view of it, too
    finally:
        shutil.rmtree(root)


@FUZZ
@given(st.text(max_size=120), st.text(max_size=40))
def test_redaction_never_crashes_and_never_keeps_a_password(password: str, query: str) -> None:
    from urllib.parse import quote, urlsplit

    url = f"https://user:{quote(password, safe='')}@example.com/x?sig={quote(query, safe='')}"
    redacted = redact(url)
    parts = urlsplit(redacted)
    assert parts.netloc == "***@example.com"
    assert parts.query == "sig=***"
    assert redact_text(f"curl {url} -o out") == f"curl {redacted} -o out"


@FUZZ
@given(st.binary(max_size=400))
def test_the_git_log_parser_takes_any_bytes(raw: bytes) -> None:
    """Any output is read or refused with a finding, never a traceback."""
    try:
        histories = parse_log(raw)
    except FindingError as exc:
        assert exc.finding.kind == "git_history"
        return
    for history in histories.values():
        assert history.commits


@FUZZ
@given(
    st.lists(
        st.tuples(GTO_TAG_NAME, st.integers(0, 2_000_000_000), st.text(max_size=30)), max_size=12
    ),
    st.text(max_size=40),
)
def test_the_registry_takes_any_sequence_of_gto_tags(
    tags: list[tuple[str, int, str]], ident: str
) -> None:
    _name, _email, seconds, _offset = registry._identity(ident)  # never raises
    assert seconds.isdigit()
    objects = [
        registry.Tag(n, f"{i:040x}", who, "e@x", t, 0, "m\n") for i, (n, t, who) in enumerate(tags)
    ]
    try:
        reg = registry.build(objects)
    except FindingError as exc:  # two versions on one commit
        assert "on the same commit" in exc.finding.message
        return
    for entry in reg.artifacts.values():
        assert all(isinstance(v, list) for v in entry.as_dict()["stages"].values())
    timestamps = [dt.datetime.fromisoformat(e.timestamp) for e in reg.history]
    assert timestamps == sorted(timestamps, reverse=True)
