"""One guard for every file the build reads, one for every file it writes.

Builds of real repositories (the ``pipeline`` fixture: a real DVC project in a real git
repository) with a hostile change, in a subprocess with a time limit (a build that blocks on a
named pipe or reads /dev/zero fails the test instead of hanging it), asserting what the user
sees: the exit status, the finding naming the file and line, no traceback, nothing from outside
the project published, the work tree and ``.git`` byte-identical. Property tests hold the two
guards (mkdocs_mlplugin.guards) to their promise on arbitrary paths.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Build, Repo, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hostile import SECRET, add_stage, findings, line_of, site_files_containing

from mkdocs_mlplugin import guards
from mkdocs_mlplugin.findings import FindingError

TIMEOUT = 240  # seconds: far more than a build takes; a build that blocks fails instead


def build(repo: Repo, *args: str) -> Build:
    """``mkdocs build --strict`` as a user runs it, killed (and the test failed) when it does
    not finish in TIMEOUT seconds."""
    site = repo.home / "built-site"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site), *args],
            cwd=repo.path,
            env=repo.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the build did not finish in {TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
    return Build(result.returncode, result.stdout + result.stderr, site)


def outside(repo: Repo) -> Path:
    """A directory next to the repository, holding a params file and a README."""
    place = repo.home / "outside"
    place.mkdir(exist_ok=True)
    (place / "x.yaml").write_text(f"key: {SECRET}\n")
    (place / "README.md").write_text("a file outside the project\n")
    return place


def checked_build(repo: Repo, *args: str) -> Build:
    """A build whose work tree, .git and neighbouring directory are the same after it."""
    around = outside(repo)
    before = (snapshot(repo.path), snapshot(around))
    result = build(repo, *args)
    assert "Traceback" not in result.output, result.output
    assert (snapshot(repo.path), snapshot(around)) == before, "the build wrote outside its site"
    return result


def site_build(repo: Repo, page: str, plugin: dict[str, object] | None = None) -> Build:
    """checked_build of a site whose one page is PAGE, committed."""
    repo.site({"index.md": page}, plugin=plugin)
    repo.commit("Docs")
    return checked_build(repo)


def logged(result: Build, level: str, pattern: str) -> bool:
    """Whether the build logged a finding at LEVEL matching PATTERN (a whole 'FILE:LINE:
    message [kind]' text)."""
    return any(
        lvl == level and re.fullmatch(pattern, text) for lvl, text in findings(result.output)
    )


def fails_with(result: Build, pattern: str) -> None:
    """The build logged an ERROR finding matching PATTERN, failed and wrote no page."""
    assert logged(result, "ERROR", pattern), result.output
    assert result.returncode == 1, result.output
    assert not (result.site / "index.html").exists()


def no_leak(result: Build) -> None:
    assert SECRET not in result.output, result.output
    if result.site.exists():
        assert site_files_containing(result, SECRET) == []


# =========================================================================== 1. writes


def _model_card(repo: Repo, name: str, plugin: dict[str, object] | None = None) -> str:
    """An artifact NAME of type model in dvc.yaml and a page that is its model card."""
    text = repo.read("dvc.yaml").replace("  classifier:\n", f"  '{name}':\n", 1)
    (repo.path / "dvc.yaml").write_text(text)
    page = f"---\nml:\n  artifact: '{name}'\n---\n# Card\n\n## Model Details\n\nText.\n"
    repo.site({"card.md": page}, plugin={"hf_export": "hf", **(plugin or {})})
    repo.commit("Card")
    return text


@pytest.mark.parametrize(
    ("name", "why"),
    [("../..", "has a '..' part"), ("/{outside}/pwned", "is an absolute path")],
    ids=["dotdot", "absolute"],
)
def test_artifact_names_that_are_no_path_are_a_finding(pipeline: Repo, name: str, why: str) -> None:
    name = name.format(outside=outside(pipeline).as_posix().lstrip("/"))
    text = _model_card(pipeline, name)
    result = checked_build(pipeline)
    line = line_of(text, f"'{name}':")
    fails_with(
        result,
        rf"dvc\.yaml:{line}: artifact name '{re.escape(name)}' {re.escape(why)}, so it cannot "
        r"name a folder of the site: .* \[invalid_project_file\]",
    )


def test_the_write_guard_stands_when_the_finding_is_ignored(pipeline: Repo) -> None:
    # the finding turned off: hf_export still cannot write README.md above the site
    _model_card(pipeline, "../..", {"checks": {"invalid_project_file": "ignore"}})
    result = checked_build(pipeline)
    assert result.returncode == 1, result.output
    assert "mlplugin: hf/../../README.md has a '..' part: it is not written." in result.output


@pytest.mark.parametrize("option", ["manifest", "hf_export", "registry_page", "timeline_page"])
def test_options_naming_a_path_outside_the_site_are_a_finding(pipeline: Repo, option: str) -> None:
    result = site_build(pipeline, "# Home\n", {option: "../../README.md"})
    fails_with(
        result,
        rf"mkdocs\.yml: option '{option}: \.\./\.\./README\.md' has a '\.\.' part: it must name "
        r"a path inside the site directory\. \[invalid_project_file\]",
    )


def test_a_symlink_left_in_the_site_directory_is_not_written_through(pipeline: Repo) -> None:
    # a stale site directory (committed, or left by an earlier build) with a link out of it:
    # MkDocs does not remove a link to a directory when it cleans the site
    place = outside(pipeline)
    _model_card(pipeline, "classifier")
    site = pipeline.home / "built-site"
    site.mkdir()
    os.symlink(place, site / "hf")
    result = checked_build(pipeline)
    assert result.returncode == 1, result.output
    assert (
        "mlplugin: hf/classifier/README.md would go through 'hf', which is not a directory of "
        "the site (a symbolic link?): it is not written." in result.output
    )
    assert sorted(p.name for p in place.iterdir()) == ["README.md", "x.yaml"]


# =========================================================================== 2. reads


def _vars(where: str) -> Callable[[Repo], str]:
    """A stage interpolating a key of a vars file outside the project, named WHERE: at the
    top of dvc.yaml or in the stage, by '..' or by an absolute path."""

    def setup(repo: Repo) -> str:
        place = outside(repo)
        name = "../outside/x.yaml" if "dotdot" in where else f"{place}/x.yaml"
        if where.startswith("top"):
            text = repo.read("dvc.yaml")
            (repo.path / "dvc.yaml").write_text(f"vars:\n- {name}\n{text}")
            add_stage(repo, "  peek:\n    cmd: echo ${key}\n")
        else:
            add_stage(repo, f"  peek:\n    vars:\n    - {name}\n    cmd: echo ${{key}}\n")
        return name

    return setup


@pytest.mark.parametrize("where", ["top_dotdot", "top_absolute", "stage_dotdot", "stage_absolute"])
def test_vars_files_outside_the_project_are_not_read(pipeline: Repo, where: str) -> None:
    name = _vars(where)(pipeline)
    result = site_build(pipeline, "# H\n\n{ml stage peek cmd}\n\n{ml pipeline}\n")
    no_leak(result)
    line = line_of(pipeline.read("dvc.yaml"), name)
    why = (
        "leaves the project \\('\\.\\.'\\)"
        if "dotdot" in where
        else "is an absolute path, outside the project"
    )
    fails_with(
        result,
        rf"dvc\.yaml:{line}: 'vars' names a file DVC would read: {re.escape(name)} {why}: it is "
        r"not read\.(?: It blocks .*)? \[invalid_project_file\]",
    )


def test_params_yaml_symlinked_out_of_the_project_is_not_interpolated(pipeline: Repo) -> None:
    place = outside(pipeline)
    (pipeline.path / "params.yaml").unlink()
    os.symlink(place / "x.yaml", pipeline.path / "params.yaml")
    add_stage(pipeline, "  peek:\n    cmd: echo ${key}\n")
    result = site_build(pipeline, "# H\n\n{ml stage peek cmd}\n\n{ml params-table}\n")
    no_leak(result)
    fails_with(result, r"dvc\.yaml:\d+: dvc\.yaml needs params\.yaml .* \[invalid_project_file\]")


def _fifo(rel: str) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        path = repo.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        os.mkfifo(path)

    return setup


def _with_matrix(setup: Callable[[Repo], None]) -> Callable[[Repo], None]:
    """SETUP, and a stage only DVC's own resolver reads (a matrix), which reads .dvc/config."""

    def both(repo: Repo) -> None:
        add_stage(repo, "  grid:\n    matrix:\n      n: [1, 2]\n    cmd: echo ${item.n}\n")
        setup(repo)

    return both


def _zero(rel: str) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        path = repo.path / rel
        path.unlink()
        os.symlink("/dev/zero", path)

    return setup


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        (
            _fifo("params.yaml"),
            r"params\.yaml: params\.yaml is a named pipe \(FIFO\), not a regular file: it is not read\.",
        ),
        (
            _fifo("sub/dvc.yaml"),
            r"sub/dvc\.yaml: sub/dvc\.yaml is a named pipe \(FIFO\), not a regular file: it is not read\.",
        ),
        (
            _fifo("data/extra.csv.dvc"),
            r"data/extra\.csv\.dvc: data/extra\.csv\.dvc is a named pipe \(FIFO\), not a regular "
            r"file: it is not read\.",
        ),
        (
            _fifo("metrics.json"),
            r"metrics\.json: metrics\.json is a named pipe \(FIFO\), not a regular file: it is not read\.",
        ),
        (
            _with_matrix(_fifo(".dvc/config")),
            r"\.dvc/config: \.dvc/config is a named pipe \(FIFO\), not a regular file: it is not read\.",
        ),
        (
            _fifo(".dvcignore"),
            r"\.dvcignore: \.dvcignore is a named pipe \(FIFO\), not a regular file: it is not read\.",
        ),
        (
            _zero("params.yaml"),
            r"dvc\.yaml:2: stage 'prepare' declares the params file 'params\.yaml', which is "
            r"outside the DVC project .*",
        ),
    ],
    ids=["params", "sub_dvc_yaml", "dvc_file", "metrics", "dvc_config", "dvcignore", "dev_zero"],
)
def test_files_that_are_not_regular_files_are_refused(
    pipeline: Repo, setup: Callable[[Repo], None], says: str
) -> None:
    pipeline.site({"index.md": "# H\n\n{ml pipeline}\n"})
    pipeline.commit("Docs")
    setup(pipeline)
    result = checked_build(pipeline)
    fails_with(result, rf"{says} \[invalid_project_file\]")


def test_a_dependency_linked_to_dev_zero_is_not_hashed(pipeline: Repo) -> None:
    _zero("src/train.py")(pipeline)
    result = site_build(pipeline, "# H\n\n{ml stage train status}\n")
    assert logged(
        result,
        "INFO",
        r"dvc\.yaml:\d+: stage 'train' cannot be fully checked without its data: src/train\.py: "
        r"outside the project \(external\), so it is not hashed\. \[unverifiable_stage\]",
    ), result.output


def test_a_named_pipe_in_a_directory_dependency_is_not_hashed(pipeline: Repo) -> None:
    add_stage(
        pipeline,
        "  lint:\n    cmd: ls src\n    deps:\n    - src\n",
        "  lint:\n    cmd: ls src\n    deps:\n    - path: src\n      hash: md5\n"
        "      md5: d41d8cd98f00b204e9800998ecf8427e.dir\n      size: 3\n      nfiles: 3\n",
    )
    pipeline.site({"index.md": "# H\n\n{ml stage lint status}\n"})
    pipeline.commit("Lint")
    os.mkfifo(pipeline.path / "src" / "pipe")  # git keeps no pipe: it is in the work tree only
    result = checked_build(pipeline)
    assert logged(
        result,
        "INFO",
        r"dvc\.yaml:\d+: stage 'lint' cannot be fully checked without its data: src/pipe is a "
        r"named pipe \(FIFO\), not a regular file: it is not read, so it is not hashed\. "
        r"\[unverifiable_stage\]",
    ), result.output


def test_a_page_that_is_a_named_pipe_is_refused(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# H\n"})
    pipeline.commit("Docs")
    os.mkfifo(pipeline.path / "docs" / "pipe.md")
    result = checked_build(pipeline)
    fails_with(
        result,
        r"docs/pipe\.md: page docs/pipe\.md is a named pipe \(FIFO\), not a regular file: it is "
        r"not read\. \[invalid_project_file\]",
    )


def test_docs_files_linked_out_of_the_repository_are_not_published(pipeline: Repo) -> None:
    place = outside(pipeline)
    # a warning, so that the site is written and a leak would be seen
    pipeline.site({"index.md": "# H\n"}, plugin={"checks": {"invalid_project_file": "warn"}})
    os.symlink(place / "x.yaml", pipeline.path / "docs" / "leak.txt")
    os.symlink(place / "x.yaml", pipeline.path / "docs" / "leak.md")
    pipeline.commit("Docs")
    result = checked_build(pipeline)
    no_leak(result)
    assert (result.site / "index.html").exists()
    for what, name in (("file", "leak.txt"), ("page", "leak.md")):
        assert logged(
            result,
            "WARNING",
            rf"docs/{name}: {what} docs/{name} is a symbolic link out of the project: it is not "
            r"read\. \[invalid_project_file\]",
        ), result.output


def test_a_mermaid_js_outside_the_project_is_not_published(pipeline: Repo) -> None:
    place = outside(pipeline)
    result = site_build(pipeline, "# H\n", {"mermaid_js": str(place / "x.yaml")})
    no_leak(result)
    assert logged(
        result,
        "ERROR",
        r"mkdocs\.yml: option 'mermaid_js': \.\./outside/x\.yaml leaves the project \('\.\.'\): "
        r"it is not read\. \[invalid_project_file\]",
    ), result.output


# =========================================================================== 13. external paths


def test_absolute_deps_and_outs_are_external_never_read(pipeline: Repo) -> None:
    place = outside(pipeline)
    add_stage(
        pipeline,
        f"  ext:\n    cmd: cp {place}/x.yaml out.txt\n    deps:\n    - {place}/x.yaml\n"
        f"    outs:\n    - {place}/copy.yaml:\n        cache: false\n",
        f"  ext:\n    cmd: cp {place}/x.yaml out.txt\n    deps:\n    - path: {place}/x.yaml\n"
        "      hash: md5\n      md5: d41d8cd98f00b204e9800998ecf8427e\n      size: 3\n"
        f"    outs:\n    - path: {place}/copy.yaml\n      hash: md5\n"
        "      md5: d41d8cd98f00b204e9800998ecf8427e\n      size: 3\n",
    )
    result = site_build(pipeline, "# H\n\n{ml pipeline}\n\n{ml stage ext status}\n")
    no_leak(result)
    assert result.ok, result.output
    assert logged(
        result,
        "INFO",
        rf"dvc\.yaml:\d+: stage 'ext' cannot be fully checked without its data: "
        rf"{re.escape(str(place))}/x\.yaml: outside the project \(external\), so it is not hashed; "
        rf"{re.escape(str(place))}/copy\.yaml: outside the project \(external\), so it is not "
        r"hashed\. \[unverifiable_stage\]",
    ), result.output


# =========================================================================== 12a. messages


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda p: p.write_text("{not json"), r"metrics\.json is not valid JSON: .*"),
        (
            lambda p: p.mkdir(),
            r"metrics\.json is a directory, not a regular file: it is not read\.",
        ),
        (
            os.mkfifo,
            r"metrics\.json is a named pipe \(FIFO\), not a regular file: it is not read\.",
        ),
    ],
    ids=["invalid", "directory", "fifo"],
)
def test_a_metrics_file_present_but_unreadable_says_so(
    pipeline: Repo, make: Callable[[Path], None], why: str
) -> None:
    pipeline.site({"index.md": "# H\n\n{ml metric accuracy}\n\n{ml metrics-table}\n"})
    pipeline.commit("Docs")
    (pipeline.path / "metrics.json").unlink()
    make(pipeline.path / "metrics.json")
    result = checked_build(pipeline)
    assert "dvc pull" not in result.output, result.output
    # the file's own finding says why (and counts the references it blocks); a reference
    # listed on its own says that the file cannot be read, not that it was not pulled
    assert logged(
        result,
        "ERROR",
        rf"metrics\.json(?::\d+)?: {why}(?: It blocks .*)? \[invalid_project_file\]",
    ), result.output
    for _, text in findings(result.output):
        assert not text.startswith("docs/") or "cannot be read" in text, text


# =========================================================================== the guards


@contextlib.contextmanager
def deadline(seconds: int = 5) -> Iterator[None]:
    """Fail instead of blocking (a guard that opened a named pipe would wait forever)."""

    def expired(*_: object) -> None:
        raise AssertionError("blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


LIMIT = 64


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/project: regular files, a big one, a pipe, links inside and out; base/outside."""
    base = tmp_path_factory.mktemp("tree")
    project, away = base / "project", base / "outside"
    (project / "d").mkdir(parents=True)
    away.mkdir()
    (project / "a.txt").write_text("inside a\n")
    (project / "d" / "b.txt").write_text("inside b\n")
    (project / "big.txt").write_bytes(b"x" * (LIMIT + 1))
    os.mkfifo(project / "pipe")
    os.symlink("a.txt", project / "in")
    os.symlink("../a.txt", project / "d" / "up")
    os.symlink("d", project / "dirlink")
    os.symlink("../outside/secret.txt", project / "out")
    os.symlink("../outside", project / "outdir")
    os.symlink("/dev/zero", project / "zero")
    os.symlink("loop", project / "loop")
    (away / "secret.txt").write_text(SECRET)
    return project


PARTS = [
    "a.txt", "d", "b.txt", "up", "big.txt", "pipe", "in", "dirlink", "out", "outdir",
    "secret.txt", "zero", "loop", "missing", "..", ".", "", "project", "outside",
]  # fmt: skip


def paths() -> st.SearchStrategy[str]:
    relative = st.lists(st.sampled_from(PARTS), min_size=1, max_size=5).map("/".join)
    return st.one_of(relative, relative.map(lambda p: "/" + p), st.text(max_size=12))


def _regular_inside(root: Path, path: str) -> bool:
    real = os.path.realpath(os.path.join(root, path))
    return (
        not os.path.isabs(path)
        and real.startswith(os.path.realpath(root) + os.sep)
        and Path(real).is_file()
    )


@settings(max_examples=400, deadline=None)
@given(path=paths())
def test_the_read_guard_returns_only_regular_files_inside_and_never_more_than_the_limit(
    tree: Path, path: str
) -> None:
    with deadline():
        try:
            data = guards.read_file(tree, path, limit=LIMIT)
        except FindingError as exc:
            assert exc.finding.message, path
            return
    assert _regular_inside(tree, path), path
    assert len(data) <= LIMIT
    assert data == Path(os.path.realpath(tree / path)).read_bytes()
    assert SECRET.encode() not in data


@settings(max_examples=200, deadline=None)
@given(path=paths())
def test_what_the_read_guard_refuses_is_refused_for_a_reason(tree: Path, path: str) -> None:
    """The refusals are exactly the paths outside, the files that are not regular, the ones
    over the limit, and the missing ones (then guards.Missing)."""
    with deadline():
        try:
            guards.read_file(tree, path, limit=LIMIT)
            refused = None
        except guards.Missing:
            refused = "missing"
        except FindingError as exc:
            refused = exc.finding.message
    if "\x00" in path:
        assert refused is not None and "NUL" in refused
        return
    # as the OS resolves it: a link is followed before '..' goes up from it
    real = os.path.realpath(os.path.join(os.path.realpath(tree), path))
    inside = guards.leaves(path) is None and (
        real == os.path.realpath(tree) or real.startswith(os.path.realpath(tree) + os.sep)
    )
    if refused is None:
        assert inside and Path(real).is_file() and Path(real).stat().st_size <= LIMIT
    elif refused == "missing":
        assert inside and not os.path.lexists(real)
    elif not inside:
        assert re.search(r"outside the project|out of the project|'\.\.'", refused), refused
    else:
        assert re.search(r"not a regular file|byte limit|cannot be read", refused), refused


@pytest.fixture(scope="module")
def tree_root(tree: Path) -> guards.Root:
    """One guards.Root of the tree for every example: its directories found once, as a build
    finds them once for all its pages."""
    return guards.Root(tree)


def _outcome(root: guards.Place, path: str) -> tuple[str, str | bytes]:
    try:
        return "read", guards.read_file(root, path, limit=LIMIT)
    except guards.Missing as exc:
        return "missing", exc.finding.message
    except FindingError as exc:
        return "refused", exc.finding.message


@settings(max_examples=400, deadline=None)
@given(path=paths())
def test_a_root_kept_across_paths_resolves_each_as_realpath_does(
    tree: Path, tree_root: guards.Root, path: str
) -> None:
    """A Root kept for many paths names the file realpath names (resolving everything anew)
    when it is inside, None when not; and it reads, refuses or misses each file as a new Root
    does, with the same finding."""
    expected = None
    if guards.leaves(path) is None:
        base = os.path.realpath(tree)
        real = os.path.realpath(os.path.join(base, path))
        expected = real if real == base or real.startswith(base + os.sep) else None
    with deadline():
        assert tree_root.inside(path) == expected, path
        assert _outcome(tree_root, path) == _outcome(tree, path), path


def test_a_serve_rebuild_refuses_a_page_and_a_docs_directory_turned_into_links_out(
    pipeline: Repo, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mkdocs serve`` rebuilds in one process with one plugin: a page that was a link inside
    the project and now points out, and a directory of docs replaced by a link out, are refused
    by the next build, which resolves its roots and directories anew."""
    from mkdocs.config import load_config
    from test_hostile import _inprocess_build

    for key, val in pipeline.env.items():
        if key.startswith(("GIT_", "DVC_")):
            monkeypatch.setenv(key, val)
    monkeypatch.chdir(pipeline.path)
    caplog.set_level(logging.INFO)
    place = outside(pipeline)
    (place / "guide").mkdir()
    (place / "guide" / "page.md").write_text(f"# Outside\n\n{SECRET}\n")
    (place / "linked.md").write_text(f"---\ntitle: Out\n---\n# Linked out\n\n{SECRET}\n")
    config_file = pipeline.site(
        {"index.md": "# Home\n", "guide/page.md": "# Guide\n\nin the project\n"},
        plugin={"checks": {"invalid_project_file": "warn"}},  # the site is written: no leak
    )
    pipeline.write("notes/real.md", "---\ntitle: Real\n---\n# Real\n\nin the project\n")
    docs = pipeline.path / "docs"
    os.symlink("../notes/real.md", docs / "linked.md")
    pipeline.commit("Docs")
    site = pipeline.home / "served"
    config = load_config(str(config_file), site_dir=str(site))

    ok, messages = _inprocess_build(config, caplog)
    assert ok and not [m for m in messages if "invalid_project_file" in m], messages
    for page in ("linked", "guide/page"):
        assert "in the project" in (site / page / "index.html").read_text()

    (docs / "linked.md").unlink()
    os.symlink(place / "linked.md", docs / "linked.md")
    shutil.rmtree(docs / "guide")
    os.symlink(place / "guide", docs / "guide")
    ok, messages = _inprocess_build(config, caplog)
    assert ok, messages
    for name in ("linked.md", "guide/page.md"):
        refused = (
            rf"docs/{name}: page docs/{name} is a symbolic link out of the project: it is not "
            r"read\. \[invalid_project_file\]"
        )
        assert any(re.search(refused, m) for m in messages), messages
    assert not (site / "linked" / "index.html").exists()
    assert not (site / "guide" / "page" / "index.html").exists()
    assert [p for p in site.rglob("*") if p.is_file() and SECRET in p.read_text("latin-1")] == []


def _digest(base: Path) -> dict[str, str]:
    return {
        p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


WRITE_PARTS = ["sub", "new", "file", "link", "readme", "..", ".", "", "outside", "README.md"]


@settings(max_examples=300, deadline=None)
@given(
    path=st.one_of(
        st.lists(st.sampled_from(WRITE_PARTS), min_size=1, max_size=4).map("/".join),
        st.lists(st.sampled_from(WRITE_PARTS), min_size=1, max_size=4).map(
            lambda p: "/" + "/".join(p)
        ),
        st.text(max_size=10),
    ),
    binary=st.booleans(),
)
def test_the_write_guard_never_writes_outside_the_site(
    tmp_path_factory: pytest.TempPathFactory, path: str, binary: bool
) -> None:
    base = tmp_path_factory.mktemp("write")
    (base / "site" / "sub").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside" / "README.md").write_text("keep\n")
    (base / "site" / "file").write_text("a file\n")
    os.symlink("../outside", base / "site" / "link")
    os.symlink("../outside/README.md", base / "site" / "readme")
    before = _digest(base / "outside")
    # text, or bytes as they are (an image plot's copy: not text, nor UTF-8)
    content: str | bytes = b"\x89PNG\r\n\x00\xff" if binary else "written\n"
    try:
        target = guards.write_file(base / "site", path, content)
    except FindingError as exc:
        assert exc.finding.message
    else:
        real_site = os.path.realpath(base / "site")
        assert os.path.realpath(target).startswith(real_site + os.sep), (path, target)
        expected = content if isinstance(content, bytes) else content.encode()
        assert Path(target).read_bytes() == expected
        assert not Path(target).is_symlink()
    assert _digest(base / "outside") == before
    assert sorted(p.name for p in base.iterdir()) == ["outside", "site"]


@settings(max_examples=150, deadline=None)
@given(
    path=st.one_of(
        st.lists(st.sampled_from([*WRITE_PARTS, "dangling"]), min_size=1, max_size=4).map("/".join),
        st.text(max_size=10),
    )
)
def test_the_create_guard_never_replaces_anything_nor_writes_outside(
    tmp_path_factory: pytest.TempPathFactory, path: str
) -> None:
    base = tmp_path_factory.mktemp("create")
    (base / "root" / "sub").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside" / "README.md").write_text("keep\n")
    (base / "root" / "file").write_text("a file\n")
    os.symlink("../outside", base / "root" / "link")
    os.symlink("../outside/README.md", base / "root" / "readme")
    os.symlink("../outside/new.md", base / "root" / "dangling")
    before, inside = _digest(base / "outside"), _digest(base / "root")
    try:
        created = guards.create_file(base / "root", path, "written")
    except FindingError as exc:
        assert exc.finding.message
        created = False
    after = _digest(base / "root")
    if created:
        new = [p for p in after if p not in inside]
        assert new == [new[0]] and after[new[0]] == hashlib.sha256(b"written").hexdigest(), path
    else:
        assert after == inside, path  # existing: left as it was
    assert _digest(base / "outside") == before
    assert sorted(p.name for p in base.iterdir()) == ["outside", "root"]


PARTS = st.lists(st.sampled_from(["a", "b", "ab", ".", "..", "", "c.md"]), max_size=5)


@settings(max_examples=400, deadline=None)
@given(PARTS, PARTS, st.booleans(), st.booleans())
def test_a_path_relative_to_a_root_is_what_relpath_says(
    start: list[str], below: list[str], absolute: bool, trailing: bool
) -> None:
    """guards.relative, which takes a plain path below a plain root by its prefix, answers as
    os.path.relpath does for paths written any way (dots, doubled or trailing slashes,
    relative ones, ones outside the root)."""
    base = ("/" if absolute else "") + "/".join(start)
    path = base + "/" + "/".join(below) + ("/" if trailing else "")
    for root in (base or "/", Path(base or "/")):
        assert guards.relative(path, root) == os.path.relpath(path, root)
    plain = os.path.normpath("/r/" + "/".join(below))
    assert guards.relative(plain, "/r") == os.path.relpath(plain, "/r")
