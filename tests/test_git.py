"""Git facts as a reader of the built site sees them.

Every test makes a real git repository with fixed author and committer dates (conftest's
``Repo``), and either reads it through ``mkdocs_mlplugin.facts.git`` or runs a real ``mkdocs build``
in a subprocess. Expected values come from the dates the test itself committed, or from git
run by the test (a differential check against git's own answer). Nothing is mocked.

Covered: per-file created/updated dates, commits and authors (renames, deletions, merges,
author names that are not UTF-8); that git work does not grow with the number of pages;
commit, branch, describe, tags and dirty facts, including detached and unborn HEAD, shallow
clones and directories outside git; author e-mails kept private by default; builds never
change git state; the Material provenance footer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ADA, Build, Repo, init_repo, snapshot

from mkdocs_mlplugin.facts.git import FileHistory, open_repo
from mkdocs_mlplugin.findings import FindingError

BOB = ("Bob Babbage", "bob@example.com")
CAROL = ("Carol Hopper", "carol@example.com")


# --------------------------------------------------------------------------- helpers


def dated_env(date: str, author: tuple[str, str] = ADA) -> dict[str, str]:
    """Environment that fixes author, committer and their dates (for merge, tag, ...)."""
    return {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0],
        "GIT_COMMITTER_EMAIL": author[1],
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }


def history(repo: Repo) -> dict[str, FileHistory]:
    """What a build reads for the site's pages: one ``git log`` over the docs directory."""
    return open_repo(repo.path).history(["docs"])


def values(page: str, label: str) -> list[str]:
    """The texts of the resolved ``{ml LABEL}`` references on a built page, as a reader sees them."""
    pattern = re.compile(rf'<span class="ml-value" title="{re.escape(label)}">(.*?)</span>', re.S)
    return [html.unescape(v) for v in pattern.findall(page)]


def value(page: str, label: str) -> str:
    found = values(page, label)
    assert len(found) == 1, f"expected one resolved {{ml {label}}} on the page, got {found}"
    return found[0]


def footer(page: str) -> str | None:
    """The provenance footer as text (tags removed, whitespace collapsed), or None."""
    m = re.search(r'<aside class="ml-footer"[^>]*>(.*?)</aside>', page, re.S)
    if m is None:
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())


def git_file_dates(repo: Repo, rel: str) -> tuple[str, str]:
    """(created, updated) of REL as git itself answers for that one file."""
    updated = repo.git("log", "-1", "--format=%aI", "--", rel)
    added = repo.git("log", "--diff-filter=A", "--follow", "--format=%aI", "--", rel)
    return added.splitlines()[-1], updated


def traced_build(repo: Repo, trace: Path, *args: str) -> tuple[Build, list[str]]:
    """``mkdocs build`` with GIT_TRACE on: the build and every git process it started."""
    site = repo.home / "built-site"
    result = repo.run(
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-f",
        "mkdocs.yml",
        "-d",
        str(site),
        *args,
        check=False,
        env={"GIT_TRACE": str(trace)},
    )
    lines = trace.read_text("utf-8").splitlines() if trace.exists() else []
    processes = [
        line.split("trace: built-in: ", 1)[1] for line in lines if "trace: built-in: git " in line
    ]
    return Build(result.returncode, result.stdout + result.stderr, site), processes


def raw_commit(repo: Repo, author: bytes, epoch: int, message: str = "raw") -> str:
    """Commit the staged tree with AUTHOR written byte for byte (no encoding header, no
    conversion by ``git commit``), the way old or foreign tools left commits behind."""
    repo.git("add", "-A")
    tree = repo.git("write-tree")
    parent = repo.git("rev-parse", "HEAD")
    body = (
        f"tree {tree}\nparent {parent}\n".encode()
        + b"author "
        + author
        + f" {epoch} +0100\n".encode()
        + b"committer "
        + author
        + f" {epoch} +0100\n\n{message}\n".encode()
    )
    made = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo.path,
        env=repo.env,
        input=body,
        capture_output=True,
        check=True,
    )
    sha = made.stdout.decode().strip()
    repo.git("update-ref", "HEAD", sha)
    return sha


def committed_site(
    tmp_path: Path,
    pages: dict[str, str],
    plugin: dict[str, Any] | None = None,
    date: str = "2024-03-05T10:00:00+00:00",
) -> Repo:
    """A repository holding a site with PAGES, all committed by Ada at DATE."""
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.site(pages, plugin=plugin)
    repo.commit("Site", date=date)
    return repo


# --------------------------------------------------------------------------- 1. history


def test_each_page_gets_the_dates_and_commits_of_the_commits_that_touched_it(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/index.md", "# Home\n")
    repo.write("docs/guide.md", "# Guide\n")
    first = repo.commit("Add pages", date="2024-01-05T09:00:00+01:00")
    repo.write("docs/guide.md", "# Guide\n\nMore.\n")
    second = repo.commit("Extend guide", date="2024-02-10T17:30:00-05:00", author=BOB)
    repo.write("README.md", "Not a page.\n")
    repo.commit("Readme", date="2024-03-01T12:00:00+00:00")

    found = history(repo)

    assert set(found) == {"docs/index.md", "docs/guide.md"}
    index, guide = found["docs/index.md"], found["docs/guide.md"]
    assert index.created == index.updated
    assert index.updated is not None
    assert (index.updated.sha, index.updated.date) == (first, "2024-01-05T09:00:00+01:00")
    assert [c.sha for c in guide.commits] == [second, first]
    assert guide.updated is not None and guide.created is not None
    assert guide.updated.date == "2024-02-10T17:30:00-05:00"  # the author's own offset is kept
    assert guide.created.date == "2024-01-05T09:00:00+01:00"
    assert guide.updated.short == second[:7]


def test_authors_are_listed_once_each_most_recent_first(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/model.md", "v1\n")
    repo.commit("v1", date="2024-01-01T00:00:00+00:00", author=ADA)
    repo.write("docs/model.md", "v2\n")
    repo.commit("v2", date="2024-01-02T00:00:00+00:00", author=BOB)
    repo.write("docs/model.md", "v3\n")
    repo.commit("v3", date="2024-01-03T00:00:00+00:00", author=("A. Lovelace", "ADA@example.com"))
    repo.write("docs/other.md", "Carol's page.\n")
    repo.commit("other", date="2024-01-04T00:00:00+00:00", author=CAROL)

    authors = history(repo)["docs/model.md"].authors()

    # The same address in another case is the same person, shown as her latest commit names her.
    assert authors == [("A. Lovelace", "ADA@example.com"), BOB]


def test_renamed_page_keeps_its_creation_date_from_before_the_rename(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/setup.md", "# Setup\n\nInstall the package with pip.\n")
    created = repo.commit("Add setup", date="2023-11-20T08:00:00+00:00")
    repo.write("docs/setup.md", "# Setup\n\nInstall the package with pip or uv.\n")
    repo.commit("Mention uv", date="2023-12-01T08:00:00+00:00")
    (repo.path / "docs/guide").mkdir()
    repo.git("mv", "docs/setup.md", "docs/guide/install.md")
    moved = repo.commit("Move setup under guide", date="2024-01-15T08:00:00+00:00")

    found = history(repo)

    assert "docs/setup.md" not in found  # the old name is not a page any more
    page = found["docs/guide/install.md"]
    assert page.created is not None and page.updated is not None
    assert (page.created.sha, page.created.date) == (created, "2023-11-20T08:00:00+00:00")
    assert (page.updated.sha, page.updated.date) == (moved, "2024-01-15T08:00:00+00:00")
    assert len(page.commits) == 3
    assert (page.created.date, page.updated.date) == git_file_dates(repo, "docs/guide/install.md")


def test_moving_the_docs_folder_keeps_page_creation_dates_and_authors(tmp_path: Path) -> None:
    """Renaming ``documentation/`` to ``docs/`` is a rename of every page: the pages were not
    created on the day of the move, and the people who wrote them are still their authors."""
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write(
        "documentation/index.md", "# Home\n\nCreated {ml page created} by {ml page authors}.\n"
    )
    repo.commit("Write the docs", date="2023-06-01T08:00:00+00:00", author=BOB)
    repo.git("mv", "documentation", "docs")
    repo.site({})  # mkdocs.yml, using docs/ as MkDocs expects
    repo.commit("Adopt MkDocs", date="2024-02-01T08:00:00+00:00", author=ADA)
    created, _ = git_file_dates(repo, "docs/index.md")
    assert created == "2023-06-01T08:00:00+00:00"

    build = repo.build("--strict")

    assert build.ok, build.output
    (page,) = build.manifest()["pages"]
    assert page["created"] == created
    assert page["authors"] == [ADA[0], BOB[0]]
    assert value(build.page(""), "page created") == "2023-06-01"


def test_page_renamed_and_renamed_back_is_read_without_hanging(tmp_path: Path) -> None:
    """Renaming a page and then reverting the rename is ordinary; reading that history must
    finish (it is what every ``mkdocs build`` of the site does) and keep all three commits."""
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/setup.md", "# Setup\n\nInstall the package with pip.\n")
    repo.commit("Add setup", date="2024-01-01T08:00:00+00:00")
    repo.git("mv", "docs/setup.md", "docs/install.md")
    repo.commit("Rename setup to install", date="2024-01-02T08:00:00+00:00")
    repo.git("mv", "docs/install.md", "docs/setup.md")
    repo.commit("Revert the rename", date="2024-01-03T08:00:00+00:00")

    # In a child process, so that a hang fails this test instead of stalling the suite.
    code = (
        "import json, sys\nfrom pathlib import Path\nfrom mkdocs_mlplugin.facts.git import open_repo\n"
        "found = open_repo(Path(sys.argv[1])).history(['docs'])\n"
        "print(json.dumps({k: [c.date for c in v.commits] for k, v in found.items()}))\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(repo.path)],
            env=repo.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            "GitRepo.history() did not finish within 10 s for a page renamed A -> B -> A "
            "(parse_log follows its rename map in a cycle); mkdocs build hangs on this repository."
        )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["docs/setup.md"] == [
        "2024-01-03T08:00:00+00:00",
        "2024-01-02T08:00:00+00:00",
        "2024-01-01T08:00:00+00:00",
    ]


def test_deleted_then_recreated_page_is_updated_by_the_recreation(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/index.md", "# Home\n")
    repo.write("docs/notes.md", "# Notes\n\nFirst notes.\n")
    first = repo.commit("Add notes", date="2024-01-01T08:00:00+00:00")
    repo.git("rm", "-q", "docs/notes.md")
    deleted = repo.commit("Drop notes", date="2024-02-01T08:00:00+00:00")
    repo.write("docs/notes.md", "# Notes\n\nWritten again from scratch.\n")
    again = repo.commit("Notes are back", date="2024-03-01T08:00:00+00:00", author=BOB)

    notes = history(repo)["docs/notes.md"]

    assert [c.sha for c in notes.commits] == [again, first]  # the deletion changed nothing shown
    assert deleted not in [c.sha for c in notes.commits]
    assert notes.updated is not None and notes.created is not None
    assert notes.updated.date == "2024-03-01T08:00:00+00:00"
    assert (notes.created.date, notes.updated.date) == git_file_dates(repo, "docs/notes.md")


def test_page_changed_on_a_merged_branch_has_a_sensible_updated_date(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/shared.md", "top\n\n" + "middle\n" * 10 + "\nbottom\n")
    repo.write("docs/feature.md", "# Feature\n")
    repo.commit("Start", date="2024-01-01T08:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("docs/shared.md", "TOP (feature)\n\n" + "middle\n" * 10 + "\nbottom\n")
    repo.write("docs/feature.md", "# Feature\n\nDone.\n")
    repo.commit("Feature work", date="2024-02-02T08:00:00+00:00", author=BOB)
    repo.git("checkout", "-q", "main")
    repo.write("docs/shared.md", "top\n\n" + "middle\n" * 10 + "\nBOTTOM (main)\n")
    repo.commit("Main work", date="2024-02-03T08:00:00+00:00")
    repo.run(
        "git",
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge feature",
        "feature",
        env=dated_env("2024-02-04T08:00:00+00:00"),
    )
    assert "TOP (feature)" in repo.read("docs/shared.md")
    assert "BOTTOM (main)" in repo.read("docs/shared.md")

    found = history(repo)

    feature = found["docs/feature.md"]
    assert feature.updated is not None
    assert feature.updated.date == "2024-02-02T08:00:00+00:00"
    assert feature.updated.date == git_file_dates(repo, "docs/feature.md")[1]
    shared = found["docs/shared.md"]
    assert shared.updated is not None and shared.created is not None
    # Changed on both sides: the update is the later side or the merge itself, never older.
    assert shared.updated.date in ("2024-02-03T08:00:00+00:00", "2024-02-04T08:00:00+00:00")
    assert shared.created.date == "2024-01-01T08:00:00+00:00"
    assert {name for name, _ in shared.authors()} == {ADA[0], BOB[0]}


def test_author_name_declared_latin1_is_shown_correctly(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("docs/index.md", "# Home\n")
    repo.git("add", "-A")
    # "José Martí" in ISO-8859-1 bytes; the commit records 'encoding latin-1'.
    name = os.fsdecode("Jos\xe9 Mart\xed".encode("latin-1"))
    env = dated_env("2024-01-01T08:00:00+00:00", (name, "jose@example.com"))
    repo.run("git", "-c", "i18n.commitEncoding=latin-1", "commit", "-q", "-m", "Inicio", env=env)

    page = history(repo)["docs/index.md"]

    assert page.authors() == [("José Martí", "jose@example.com")]


def test_author_name_that_is_not_utf8_does_not_break_the_build(tmp_path: Path) -> None:
    repo = committed_site(
        tmp_path, {"index.md": "Written by {ml page authors} on {ml page updated}.\n"}
    )
    repo.write("docs/index.md", "Written by {ml page authors} on {ml page updated}, edited.\n")
    epoch = int(dt.datetime(2024, 4, 2, 9, 0, tzinfo=dt.UTC).timestamp())
    raw_commit(repo, b"Bj\xf6rn \xff\xfeSvensson <bjorn@example.com>", epoch)

    page = history(repo)["docs/index.md"]
    name, email = page.authors()[0]
    assert name.startswith("Bj") and name.endswith("Svensson")
    assert "\ufffd" in name  # unreadable bytes are marked, not dropped silently
    assert email == "bjorn@example.com"
    assert page.updated is not None and page.updated.date == "2024-04-02T10:00:00+01:00"

    build = repo.build("--strict")
    assert build.ok, build.output
    shown = value(build.page(""), "page authors")
    assert shown.startswith("Bj") and "Svensson" in shown and "Ada Lovelace" in shown
    assert value(build.page(""), "page updated") == "2024-04-02"


# --------------------------------------------------------------------------- 2. bounded work

FORTY_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def page_text(i: int, extra: str = "") -> str:
    """Page I: mostly text of its own, so git never takes one page for a copy of another."""
    own = "\n".join(hashlib.sha256(f"{i}-{n}".encode()).hexdigest() for n in range(8))
    return f"# Page {i}\n\n{own}\n\n{extra}\n\nUpdated {{ml page updated}}; created {{ml page created}}.\n"


@pytest.fixture(scope="module")
def forty_pages(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A 40-page site with a varied history: several authors and time zones, edits, a
    rename into a subdirectory, a page deleted and written again."""
    home = tmp_path_factory.mktemp("forty")
    repo = init_repo(home / "repo", home)
    repo.site(
        {f"p{i:02}.md": page_text(i) for i in range(20)}, plugin={"date_format": FORTY_FORMAT}
    )
    repo.commit("First half", date="2024-01-01T08:00:00+00:00", author=ADA)
    for i in range(20, 40):
        repo.write(f"docs/p{i:02}.md", page_text(i))
    for i in range(5):
        repo.write(f"docs/p{i:02}.md", page_text(i, " Revised."))
    repo.commit("Second half", date="2024-01-15T10:00:00+02:00", author=BOB)
    (repo.path / "docs/moved").mkdir()
    repo.git("mv", "docs/p05.md", "docs/moved/p05.md")
    repo.write("docs/p21.md", page_text(21, " Corrected."))
    repo.commit("Move p05, fix p21", date="2024-02-01T12:00:00-07:00", author=ADA)
    for i in range(10, 15):
        repo.write(f"docs/p{i:02}.md", page_text(i, " Reviewed by Carol."))
    repo.git("rm", "-q", "docs/p15.md")
    repo.commit("Review, drop p15", date="2024-02-20T18:45:00+05:30", author=CAROL)
    repo.write("docs/p15.md", page_text(15, " Rewritten."))
    repo.commit("Bring p15 back", date="2024-03-03T07:15:00+00:00", author=BOB)
    return repo


def test_git_work_does_not_grow_with_the_number_of_pages(tmp_path: Path, forty_pages: Repo) -> None:
    one_page = committed_site(
        tmp_path, {"p00.md": page_text(0)}, plugin={"date_format": FORTY_FORMAT}
    )
    pages_40 = sorted(
        p.relative_to(forty_pages.path).as_posix()
        for p in (forty_pages.path / "docs").rglob("*.md")
    )
    assert len(pages_40) == 40

    # The API the build uses: a fixed handful of git processes, and ONE for all the history.
    small, large = open_repo(one_page.path), open_repo(forty_pages.path)
    small.facts()
    large.facts()
    assert small.calls == large.calls
    before = (small.calls, large.calls)
    assert set(small.history(["docs/p00.md"])) == {"docs/p00.md"}
    assert len(large.history(pages_40)) == 40
    assert (small.calls - before[0], large.calls - before[1]) == (1, 1)

    # The real build: count every git process it starts.
    build_1, git_1 = traced_build(one_page, tmp_path / "trace-1.txt", "--strict")
    build_40, git_40 = traced_build(forty_pages, tmp_path / "trace-40.txt", "--strict")
    assert build_1.ok, build_1.output
    assert build_40.ok, build_40.output
    assert len(build_40.manifest()["pages"]) == 40
    assert git_1, "GIT_TRACE recorded no git process: the count below would prove nothing"
    assert len(git_40) == len(git_1), f"1 page: {git_1}\n40 pages: {git_40}"
    assert sum(cmd.startswith("git log") for cmd in git_40) == 1


def test_dates_on_each_of_40_pages_match_what_git_log_says_for_that_file(forty_pages: Repo) -> None:
    build = forty_pages.build("--strict")
    assert build.ok, build.output
    manifest = {p["src"]: p for p in build.manifest()["pages"]}
    assert len(manifest) == 40

    for src, entry in manifest.items():
        created, updated = git_file_dates(forty_pages, src)
        assert (entry["created"], entry["updated"]) == (created, updated), src
        url = src.removeprefix("docs/").removesuffix(".md")
        page = build.page(url)
        shown_updated = dt.datetime.fromisoformat(updated).strftime(FORTY_FORMAT)
        shown_created = dt.datetime.fromisoformat(created).strftime(FORTY_FORMAT)
        assert value(page, "page updated") == shown_updated, src
        assert value(page, "page created") == shown_created, src

    # The history really is varied, so the comparison above covers each kind of change.
    assert manifest["docs/moved/p05.md"]["created"] == "2024-01-01T08:00:00+00:00"
    assert manifest["docs/moved/p05.md"]["updated"] == "2024-02-01T12:00:00-07:00"
    assert manifest["docs/p15.md"]["updated"] == "2024-03-03T07:15:00+00:00"
    assert manifest["docs/p12.md"]["updated"] == "2024-02-20T18:45:00+05:30"
    assert manifest["docs/p12.md"]["authors"] == [CAROL[0], ADA[0]]
    assert len({p["updated"] for p in manifest.values()}) == 5  # every commit is someone's latest


def test_commits_asked_at_once_are_what_git_rev_parse_says_of_each(tmp_path: Path) -> None:
    """A build asks git for all its commit links in batches; each answer is still the one
    ``git rev-parse --verify REV^{commit}`` gives, past what one write to git holds."""
    repo = init_repo(tmp_path / "repo", tmp_path)
    shas = []
    for i in range(3):
        repo.write("docs/index.md", page_text(i))
        shas.append(repo.commit(f"Change {i}", date=f"2024-01-0{i + 1}T08:00:00+00:00"))
    repo.git("tag", "v1", shas[0])
    blob = repo.git("rev-parse", "HEAD:docs/index.md")
    asked = [sha[:n] for sha in shas for n in (4, 7, 12, 40)]
    asked += [blob[:10], "v1", "HEAD~1", "no-such-ref", "abc\ndef", "feed" * 10]
    expected = {}
    for rev in asked:
        said = repo.run("git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        expected[rev] = said.stdout.strip() if said.returncode == 0 and "\n" not in rev else None
    absent = [hashlib.sha1(f"absent {i}".encode()).hexdigest() for i in range(150)]  # noqa: S324
    assert sum(len(a) + 10 for a in absent) > 4000  # more than one write's worth

    with open_repo(repo.path).blob_reader() as reader:
        found = reader.commits([*asked, *absent, *asked])
        one = {rev: reader.commit(rev) for rev in asked}

    assert found == {**expected, **dict.fromkeys(absent)}
    assert one == expected
    assert expected[shas[1][:7]] == shas[1] and expected["v1"] == shas[0]
    assert expected["HEAD~1"] == shas[1] and expected[blob[:10]] is None


# --------------------------------------------------------------------------- 3. repo facts

FACTS_PAGE = (
    "commit {ml git commit}\n\nshort {ml git short}\n\nbranch {ml git branch}\n\n"
    "describe {ml git describe}\n\ntags {ml git tags}\n\ndirty {ml git dirty}\n"
)


def test_site_shows_commit_branch_describe_and_tags_of_head(tmp_path: Path) -> None:
    repo = committed_site(tmp_path, {"index.md": FACTS_PAGE}, date="2024-03-01T08:00:00+00:00")
    repo.run(
        "git",
        "tag",
        "-a",
        "v1.0",
        "-m",
        "First release",
        env=dated_env("2024-03-01T09:00:00+00:00"),
    )
    repo.write("docs/more.md", "# More\n")
    head = repo.commit("More", date="2024-03-02T08:00:00+00:00")
    repo.git("tag", "nightly")  # lightweight
    repo.run(
        "git",
        "tag",
        "-a",
        "v1.1",
        "-m",
        "Second release",
        env=dated_env("2024-03-10T09:00:00+00:00"),
    )

    build = repo.build("--strict")

    assert build.ok, build.output
    page = build.page("")
    assert value(page, "git commit") == head
    assert value(page, "git short") == head[:7]
    assert value(page, "git branch") == "main"
    assert value(page, "git describe") == "v1.1"  # annotated tag preferred, as git does
    assert value(page, "git describe") == repo.git("describe", "--tags", "--always", "--abbrev=7")
    assert value(page, "git tags") == "v1.1, nightly"  # newest first
    assert value(page, "git dirty") == "no"
    facts = build.manifest()["git"]
    assert facts["commit"] == head and facts["branch"] == "main" and facts["detached"] is False
    assert facts["tags"] == ["v1.1", "nightly"]
    assert facts["dirty"] is False and facts["shallow"] is False


def test_a_linked_worktree_is_read_as_git_reads_it(tmp_path: Path) -> None:
    """A build in a linked worktree ('git worktree add') shows that worktree's branch, commit
    and page dates; its refs live in the main repository's git directory."""
    repo = committed_site(tmp_path, {"index.md": FACTS_PAGE}, date="2024-03-01T08:00:00+00:00")
    tree = tmp_path / "tree"
    repo.git("worktree", "add", "-q", "-b", "docs-wt", str(tree))
    linked = Repo(tree, repo.home)
    linked.write("docs/more.md", "# More\n")
    head = linked.commit("More in the worktree", date="2024-03-05T08:00:00+00:00")

    opened = open_repo(tree / "docs")
    assert opened.root == tree.resolve()
    assert opened.git_dir == (repo.path / ".git").resolve()
    build = linked.build("--strict")
    assert build.ok, build.output
    page = build.page("")
    assert value(page, "git branch") == "docs-wt"
    assert value(page, "git commit") == head != repo.git("rev-parse", "HEAD")
    dates = {p["src"]: p["updated"] for p in build.manifest()["pages"]}
    assert dates == {
        "docs/index.md": "2024-03-01T08:00:00+00:00",
        "docs/more.md": "2024-03-05T08:00:00+00:00",
    }


def test_a_bare_repository_is_named_as_such(tmp_path: Path) -> None:
    """A directory of a bare repository has no work tree to date pages from: the finding says
    so, not that there is no repository or that git failed."""
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    with pytest.raises(FindingError) as raised:
        open_repo(bare)
    assert raised.value.finding.message == f"{bare} is in a bare git repository."
    assert raised.value.finding.kind == "git_history"


def test_describe_counts_commits_since_the_nearest_tag_lightweight_or_annotated(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.write("a.txt", "1\n")
    repo.commit("one", date="2024-01-01T00:00:00+00:00")
    repo.run(
        "git", "tag", "-a", "v1.0", "-m", "release", env=dated_env("2024-01-01T01:00:00+00:00")
    )
    repo.write("a.txt", "2\n")
    repo.commit("two", date="2024-01-02T00:00:00+00:00")
    assert open_repo(repo.path).facts().describe == repo.git(
        "describe", "--tags", "--always", "--abbrev=7"
    )
    repo.git("tag", "rc1")
    repo.write("a.txt", "3\n")
    head = repo.commit("three", date="2024-01-03T00:00:00+00:00")

    facts = open_repo(repo.path).facts()

    assert facts.describe == f"rc1-1-g{head[:7]}"
    assert facts.tags == ()  # no tag points at HEAD itself
    assert facts.commit == head


def test_untracked_file_is_not_dirty_but_a_changed_tracked_file_is(tmp_path: Path) -> None:
    repo = committed_site(tmp_path, {"index.md": "dirty {ml git dirty}\n"})
    repo.write("scratch.txt", "not tracked\n")

    clean = repo.build("--strict")

    assert clean.ok, clean.output
    assert value(clean.page(""), "git dirty") == "no"
    assert "uncommitted" not in (footer(clean.page("")) or "")
    assert clean.manifest()["git"]["dirty"] is False

    repo.write("docs/index.md", "dirty {ml git dirty}\n\nA change not committed yet.\n")
    dirty = repo.build("--strict")

    assert dirty.ok, dirty.output
    assert value(dirty.page(""), "git dirty") == "yes"
    assert "with uncommitted changes" in (footer(dirty.page("")) or "")
    assert dirty.manifest()["git"]["dirty"] is True


@pytest.mark.parametrize(
    "change", ["untracked_page", "staged_page", "modified_page", "untracked_image", "ignored_page"]
)
def test_uncommitted_docs_make_the_site_dirty_and_flag_their_pages(
    tmp_path: Path, change: str
) -> None:
    """A page not committed, or a file of docs_dir git does not have yet, is what the site was
    built from: the footer and the manifest say so, site-wide and on the page itself."""
    repo = committed_site(
        tmp_path,
        {"index.md": "dirty {ml git dirty}\n", "about.md": "# About\n"},
        plugin={"checks": {"uncommitted_page": "info"}},
    )
    flagged = {"docs/index.md": False, "docs/about.md": False}
    if change in ("untracked_page", "staged_page", "ignored_page"):
        repo.write("docs/draft.md", "# Draft\n")
        flagged["docs/draft.md"] = True
        if change == "staged_page":
            repo.git("add", "docs/draft.md")
        if change == "ignored_page":
            repo.write(".gitignore", "draft.md\n")
            repo.commit("Ignore drafts")
    elif change == "modified_page":
        repo.write("docs/about.md", "# About\n\nNot committed yet.\n")
        flagged["docs/about.md"] = True
    else:
        repo.write("docs/img/plot.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>\n")

    build = repo.build("--strict")

    assert build.ok, build.output
    manifest = build.manifest()
    assert manifest["git"]["dirty"] is True
    assert value(build.page(""), "git dirty") == "yes"
    assert "with uncommitted changes" in (footer(build.page("")) or "")
    assert {p["src"]: p["uncommitted"] for p in manifest["pages"]} == flagged
    for src, uncommitted in flagged.items():
        text = footer(
            build.page(src.removeprefix("docs/").removesuffix(".md").replace("index", ""))
        )
        assert ("This page is not committed as shown." in (text or "")) is uncommitted, (src, text)


def test_pages_are_flagged_uncommitted_only_where_they_differ_from_head(tmp_path: Path) -> None:
    repo = committed_site(tmp_path, {"index.md": "# Home\n"})
    repo.write("notes.txt", "outside docs_dir, not committed\n")
    build = repo.build("--strict")
    assert build.ok, build.output
    assert build.manifest()["git"]["dirty"] is False
    assert [p["uncommitted"] for p in build.manifest()["pages"]] == [False]
    assert "not committed" not in (footer(build.page("")) or "")


def test_detached_head_shows_as_detached_instead_of_a_branch(tmp_path: Path) -> None:
    repo = committed_site(tmp_path, {"index.md": "branch {ml git branch}, commit {ml git short}\n"})
    head = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "--detach")

    build = repo.build("--strict")

    assert build.ok, build.output
    page = build.page("")
    assert value(page, "git branch") == "(detached HEAD)"
    assert value(page, "git short") == head[:7]
    facts = build.manifest()["git"]
    assert facts["branch"] is None and facts["detached"] is True
    shown = footer(page)
    assert shown is not None and "(detached HEAD)" in shown and "on branch" not in shown


def test_repository_without_commits_warns_instead_of_crashing(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    repo.site({"index.md": "commit {ml git commit}, updated {ml page updated}\n"})

    build = repo.build()

    assert build.ok, build.output
    assert "Traceback" not in build.output
    assert "WARNING" in build.output and "[missing_value]" in build.output
    assert 'class="ml-missing"' in build.page("")
    assert values(build.page(""), "git commit") == []
    assert build.manifest()["git"]["commit"] is None
    # Whatever the footer says, it must not print a Python None where the commit would be.
    assert "None" not in (footer(build.page("")) or "")
    assert not repo.build("--strict").ok


def test_shallow_clone_warns_to_fetch_full_history_and_leaves_dates_unknown(tmp_path: Path) -> None:
    source = committed_site(
        tmp_path,
        {"index.md": "updated {ml page updated}, commit {ml git short}\n"},
        date="2024-01-01T08:00:00+00:00",
    )
    source.write("docs/index.md", "updated {ml page updated}, commit {ml git short}\n\nEdited.\n")
    source.commit("Edit", date="2024-02-01T08:00:00+00:00", author=BOB)
    source.write(
        "docs/index.md", "updated {ml page updated}, commit {ml git short}\n\nEdited twice.\n"
    )
    head = source.commit("Edit again", date="2024-03-01T08:00:00+00:00")
    source.run(
        "git",
        "clone",
        "-q",
        "--depth",
        "1",
        f"file://{source.path}",
        str(tmp_path / "clone"),
        cwd=tmp_path,
    )
    clone = Repo(tmp_path / "clone", tmp_path)
    assert clone.git("rev-parse", "--is-shallow-repository") == "true"

    strict = clone.build("--strict")

    assert not strict.ok
    assert "fetch-depth: 0" in strict.output

    build = clone.build()

    assert build.ok, build.output
    assert "fetch-depth: 0" in build.output
    manifest = build.manifest()
    assert manifest["git"]["shallow"] is True and manifest["git"]["commit"] == head
    (page,) = manifest["pages"]
    # Unknown, not wrong: a shallow history would date the page to the one commit it has.
    assert (page["created"], page["updated"], page["authors"]) == (None, None, [])
    assert values(build.page(""), "page updated") == []
    assert 'class="ml-missing"' in build.page("")
    assert value(build.page(""), "git short") == head[:7]


def test_directory_outside_git_warns_and_marks_page_facts_missing(tmp_path: Path) -> None:
    repo = committed_site(tmp_path, {"index.md": "# Home\n\nUpdated {ml page updated}.\n"})
    plain = tmp_path / "plain"
    shutil.copytree(repo.path, plain, ignore=shutil.ignore_patterns(".git"))
    export = Repo(plain, tmp_path)

    build = export.build()

    assert build.ok, build.output
    assert "is not inside a git repository" in build.output
    page = build.page("")
    assert 'class="ml-missing"' in page
    assert values(page, "page updated") == []
    assert footer(page) is None  # no commit to show
    manifest = build.manifest()
    assert manifest["git"] is None
    assert manifest["pages"][0]["updated"] is None


# --------------------------------------------------------------------------- 4. e-mails


def two_author_site(tmp_path: Path, plugin: dict[str, Any]) -> Repo:
    repo = committed_site(
        tmp_path,
        {"index.md": "By {ml page authors}.\n"},
        plugin=plugin,
        date="2024-01-01T08:00:00+00:00",
    )
    repo.write("docs/index.md", "By {ml page authors}.\n\nEdited by Bob.\n")
    repo.commit("Bob edits", date="2024-01-02T08:00:00+00:00", author=BOB)
    return repo


def test_author_emails_are_not_published_by_default(tmp_path: Path) -> None:
    repo = two_author_site(tmp_path, {})

    build = repo.build("--strict")

    assert build.ok, build.output
    assert value(build.page(""), "page authors") == "Bob Babbage, Ada Lovelace"
    assert build.manifest()["pages"][0]["authors"] == ["Bob Babbage", "Ada Lovelace"]
    assert "by Bob Babbage, Ada Lovelace." in (footer(build.page("")) or "")
    leaks = [
        f.relative_to(build.site).as_posix()
        for f in build.site.rglob("*")
        if f.is_file()
        and any(e.encode() in f.read_bytes() for e in (ADA[1], BOB[1], "test@example.com"))
    ]
    assert leaks == []


def test_show_emails_publishes_author_emails(tmp_path: Path) -> None:
    repo = two_author_site(tmp_path, {"show_emails": True})

    build = repo.build("--strict")

    assert build.ok, build.output
    expected = ["Bob Babbage <bob@example.com>", "Ada Lovelace <ada@example.com>"]
    assert value(build.page(""), "page authors") == ", ".join(expected)
    assert build.manifest()["pages"][0]["authors"] == expected
    assert "bob@example.com" in (footer(build.page("")) or "")


def mailmapped_site(tmp_path: Path, plugin: dict[str, Any]) -> Repo:
    """A page written by Ada under an old name and address, then edited by Bob with Carol
    (under her old address) and Ada as co-authors; a .mailmap names both as they are now."""
    repo = committed_site(tmp_path, {"index.md": "By {ml page authors}.\n"}, plugin=plugin)
    repo.write("docs/index.md", "Draft by {ml page authors}.\n")
    repo.commit("Draft", date="2024-03-06T10:00:00+00:00", author=("ada l", "ADA@old.example"))
    repo.write("docs/index.md", "Written by {ml page authors}.\n")
    repo.commit(
        "Pair on the page\n\nTogether.\n\nCo-authored-by: C. Hopper <carol@old.example>\n"
        "co-authored-by: Ada Lovelace <ada@example.com>\nSigned-off-by: Bob <bob@example.com>\n",
        date="2024-03-07T10:00:00+00:00",
        author=BOB,
    )
    repo.write(
        ".mailmap",
        "Ada Lovelace <ada@example.com> <ADA@old.example>\n"
        "Carol Hopper <carol@example.com> <carol@old.example>\n",
    )
    repo.commit("Mailmap", date="2024-03-08T10:00:00+00:00")
    return repo


def test_authors_are_named_as_mailmap_and_shortlog_name_them_co_authors_included(
    tmp_path: Path,
) -> None:
    repo = mailmapped_site(tmp_path, {"show_emails": True})

    build = repo.build("--strict")

    assert build.ok, build.output
    shown = build.manifest()["pages"][0]["authors"]
    assert shown == [
        "Bob Babbage <bob@example.com>",
        "Carol Hopper <carol@example.com>",
        "Ada Lovelace <ada@example.com>",
    ]
    assert value(build.page(""), "page authors") == ", ".join(shown)
    # what git itself counts as the page's authors, .mailmap applied to trailers too
    shortlog = repo.git(
        "shortlog", "-se", "--group=author", "--group=trailer:co-authored-by", "HEAD",
        "--", "docs/index.md",
    )  # fmt: skip
    assert sorted(line.split("\t", 1)[1] for line in shortlog.splitlines()) == sorted(shown)
    assert "ada l" not in build.page("") and "old.example" not in build.page("")


def test_co_authors_can_be_left_out(tmp_path: Path) -> None:
    repo = mailmapped_site(tmp_path, {"co_authors": False})

    build = repo.build("--strict")

    assert build.ok, build.output
    logged = repo.git("log", "--format=%aN", "--", "docs/index.md").splitlines()
    assert build.manifest()["pages"][0]["authors"] == list(dict.fromkeys(logged))
    assert value(build.page(""), "page authors") == "Bob Babbage, Ada Lovelace"


# --------------------------------------------------------------------------- 5. read-only


def stale_and_dirty(repo: Repo) -> None:
    """Leave a tracked file changed and another one with a new mtime but the same content, so a
    plain ``git status`` would refresh and rewrite .git/index."""
    repo.write("docs/index.md", repo.read("docs/index.md") + "\nUncommitted edit.\n")
    later = (repo.path / "mkdocs.yml").stat().st_mtime + 3600
    os.utime(repo.path / "mkdocs.yml", (later, later))


def assert_git_status_would_have_written(repo: Repo, before: dict[str, bytes]) -> None:
    """The check is meaningful: an ordinary ``git status`` does change .git/index here."""
    repo.git("status", "--porcelain")
    assert snapshot(repo.path)[".git/index"] != before[".git/index"]


def test_successful_build_leaves_the_repository_byte_identical(tmp_path: Path) -> None:
    repo = committed_site(
        tmp_path, {"index.md": "{ml git short} {ml git dirty} {ml page updated}\n"}
    )
    stale_and_dirty(repo)
    before = snapshot(repo.path)

    build = repo.build("--strict")

    assert build.ok, build.output
    assert value(build.page(""), "git dirty") == "yes"
    assert snapshot(repo.path) == before
    assert_git_status_would_have_written(repo, before)


def test_failing_build_leaves_the_repository_byte_identical(tmp_path: Path) -> None:
    repo = committed_site(tmp_path, {"index.md": "{ml git short} {ml page updated}\n"})
    repo.write("docs/broken.md", "# Broken\n\nThis shows {ml page nonsense}.\n")
    repo.commit("Broken page", date="2024-03-06T10:00:00+00:00")
    stale_and_dirty(repo)
    before = snapshot(repo.path)

    build = repo.build("--strict")

    assert not build.ok
    assert "nonsense" in build.output
    assert snapshot(repo.path) == before
    assert_git_status_would_have_written(repo, before)


# --------------------------------------------------------------------------- 6. footer


def test_footer_shows_short_commit_branch_and_last_update_in_the_date_format(
    tmp_path: Path,
) -> None:
    repo = committed_site(
        tmp_path,
        {"index.md": "# Model card\n"},
        plugin={"date_format": "%d %B %Y"},
        date="2024-03-05T10:00:00+00:00",
    )
    repo.write("docs/index.md", "# Model card\n\nNew section.\n")
    head = repo.commit("Update card", date="2024-04-07T23:30:00-04:00", author=BOB)

    build = repo.build("--strict")

    assert build.ok, build.output
    shown = footer(build.page(""))
    assert shown is not None, "no ml-footer on the page"
    assert f"Built from commit {head[:7]} on branch main." in shown
    assert "Page last updated 07 April 2024 by Bob Babbage, Ada Lovelace." in shown
    assert "uncommitted" not in shown
    assert f'title="{head}"' in build.page("")
