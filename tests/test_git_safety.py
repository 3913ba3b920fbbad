"""git as untrusted input: a build never fetches, and what a commit or tag says cannot steer
how git's output is read.

Every test makes real repositories: a partial clone served over ``file://`` from a repository
that allows filters, commits and tags written byte for byte with ``git hash-object``,
``git mktree`` and ``git mktag`` (no porcelain normalises them), a linked worktree served by
``mkdocs serve``, and ``GIT_DIR`` set alone. What the tests compare with is what git, DVC and
the user see: the built pages, the findings, the exit status, ``git log`` and ``dvc root``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import Build, Repo, snapshot
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_drift import CARD, retrain

from mkdocs_mlplugin.facts.git import open_repo

DATES = "# Home\n\nCreated {ml page created}, updated {ml page updated}.\n"


def text_of(page: str) -> str:
    """A built page's text as a reader sees it."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def value_of(page: str, start: str, end: str = ".") -> str:
    """The text between START and END on a built page."""
    return text_of(page).split(start, 1)[1].split(end, 1)[0]


# --------------------------------------------------------------------------- partial clones

UPLOAD_PACK_TRAP = """#!/bin/sh
echo "upload-pack $*" >> "{log}"
exit 1
"""


def partial_clone(source: Repo, home: Path) -> Repo:
    """A blob-less clone of SOURCE made the way CI makes one (served over file://), whose
    promisor remote then runs a program that records every fetch and fails it."""
    source.git("config", "uploadpack.allowFilter", "true")
    dest = home / "clone"
    source.run(
        "git", "clone", "-q", "--filter=blob:none", f"file://{source.path}", str(dest), cwd=home
    )
    clone = Repo(dest, home)
    trap = home / "upload-pack"
    trap.write_text(UPLOAD_PACK_TRAP.format(log=home / "fetches.log"))
    trap.chmod(0o755)
    clone.git("config", "remote.origin.uploadpack", str(trap))
    return clone


def fetches(home: Path) -> str:
    log = home / "fetches.log"
    return log.read_text() if log.exists() else ""


def offline(*command: str) -> tuple[str, ...]:
    """COMMAND in a network namespace of its own, where no other machine is reachable."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], check=False).returncode == 0:
        return (unshare, "-rn", *command)
    return command  # the tests' refused-socket guard (tests/nonet) still applies


def history_with_renames(pipeline: Repo) -> tuple[str, str]:
    """Pages renamed with and without changes, and a retrain: (first commit, retrain)."""
    first = pipeline.git("rev-list", "--max-parents=0", "HEAD")
    pipeline.site(
        {
            "index.md": DATES,
            "card.md": CARD,
            "moved.md": DATES,
            "renamed.md": DATES + "\nA page of its own, renamed later.\n",
        },
        plugin={"timeline_page": "timeline.md"},
    )
    pipeline.commit("Docs", date="2024-02-01T00:00:00+00:00")
    pipeline.git("mv", "docs/moved.md", "docs/still.md")  # unchanged: an exact rename
    pipeline.git("mv", "docs/renamed.md", "docs/edited.md")
    pipeline.write("docs/edited.md", DATES + "\nA page of its own, edited while renamed.\n")
    pipeline.commit("Rename two pages", date="2024-02-03T00:00:00+00:00")
    return first, retrain(pipeline, "0.2", "2024-02-05T00:00:00+00:00")


def test_a_partial_clone_is_built_with_a_warning_and_never_fetches(pipeline: Repo) -> None:
    first, _retrained = history_with_renames(pipeline)
    clone = partial_clone(pipeline, pipeline.home)

    # the trap works: plain git in this clone fetches the blobs rename detection needs
    probe = subprocess.run(
        ["git", "log", "-M", "--name-status", "--format=%H", "HEAD"],
        cwd=clone.path,
        env=clone.env,
        capture_output=True,
        check=False,
    )
    assert probe.returncode != 0 and "upload-pack" in fetches(clone.home)
    (clone.home / "fetches.log").unlink()

    before = snapshot(clone.path / ".git")
    site = clone.home / "built-site"
    done = clone.run(
        *offline(sys.executable, "-m", "mkdocs", "build", "-d", str(site)), check=False
    )
    build = Build(done.returncode, done.stdout + done.stderr, site)
    assert build.ok, build.output
    assert "Traceback" not in build.output
    assert fetches(clone.home) == ""
    assert snapshot(clone.path / ".git") == before  # no new pack, no changed file
    assert (
        "WARNING -  mlplugin: the repository is a partial clone (remote.origin.promisor=true): "
        "it lacks past versions of files, and the build never fetches them, so a page renamed "
        "with changes has its history only from the rename on" in build.output
    )
    assert "Clone without --filter" in build.output
    # the past dvc.lock is missing: said so, not taken for a file that was absent
    missing = f"'{first}:dvc.lock' is not in this partial clone, and the build never fetches"
    assert f"WARNING -  mlplugin: {missing}" in build.output
    assert missing in text_of(build.page("timeline"))
    # what it can show: dates, exact renames followed; an edited rename starts at the rename
    assert value_of(build.page(""), "Created ", ",") == "2024-02-01"
    assert value_of(build.page(""), "updated ") == "2024-02-01"
    assert value_of(build.page("still"), "Created ", ",") == "2024-02-01"
    assert value_of(build.page("edited"), "Created ", ",") == "2024-02-03"


def test_each_switch_alone_stops_this_git_from_fetching(pipeline: Repo) -> None:
    """Each switch the build sets for every git process stops this git from fetching a blob a
    partial clone lacks."""
    from mkdocs_mlplugin.facts import git

    history_with_renames(pipeline)
    clone = partial_clone(pipeline, pipeline.home)
    command, env = git._command(["log"])
    assert command[:3] == ["git", "-c", "protocol.allow=never"]
    switches = [
        {"GIT_NO_LAZY_FETCH": "1"},
        {"GIT_ALLOW_PROTOCOL": ""},
        {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "protocol.allow",
            "GIT_CONFIG_VALUE_0": "never",
        },
    ]
    for switch in switches:
        assert all(env[k] == v for k, v in switch.items() if k in env), switch
        # a rename with changes: git wants a past blob to compare
        done = clone.run("git", "log", "-M", "--name-status", "HEAD", env=switch, check=False)
        assert done.returncode != 0, switch
        assert "promisor remote" in done.stderr, (switch, done.stderr)
        assert fetches(clone.home) == "", switch
    assert env["GIT_OPTIONAL_LOCKS"] == "0" and env["GIT_TERMINAL_PROMPT"] == "0"


# --------------------------------------------------------------------------- parsing git output

GIT_SPACE = b" \t\n\r"  # what git trims around names and subjects
# control characters (U+001E among them), quotes, status letters and hashes as file names
ODD_NAMES = [bytes([c]) for c in range(1, 32) if c != 10] + [
    b"\n",
    b"\nA",
    b'"quoted"',
    b"tab\there",
    b"A",
    b"M",
    b"R100",
    b"0" * 40,
    b"\\",
]


def field(exclude: bytes, trimmed: bool = True, min_size: int = 1) -> st.SearchStrategy[bytes]:
    """Bytes as a commit header field can hold them, where git keeps them as written."""
    allowed = [b for b in range(256) if b not in exclude]
    value = st.lists(st.sampled_from(allowed), min_size=min_size, max_size=12).map(bytes)
    if trimmed:
        value = value.filter(
            lambda v: not v or (v[:1] not in GIT_SPACE and v[-1:] not in GIT_SPACE)
        )
    return value


FILE_NAME = st.one_of(st.sampled_from(ODD_NAMES), field(b"\x00/", trimmed=False)).filter(
    lambda n: n not in (b".", b"..", b".git")
)
COMMIT = st.fixed_dictionaries(
    {
        "name": field(b"\x00\n<>"),
        "email": field(b"\x00\n<>", min_size=0),
        "subject": field(b"\x00\n"),
        "body": st.binary(max_size=40),
        "seconds": st.integers(0, 253402300799 - 24 * 3600),  # within years 1970 to 9999
        "minutes": st.integers(-(23 * 60 + 59), 23 * 60 + 59),
        "files": st.lists(FILE_NAME, max_size=3, unique=True),
    }
)


def write_commits(path: Path, commits: list[dict[str, object]]) -> list[str]:
    """COMMITS written byte for byte, each on the one before, HEAD at the last: their ids."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    env = {k: v for k, v in env.items() if not k.startswith("GIT_DIR")}

    def git(*args: str, data: bytes = b"") -> bytes:
        return subprocess.run(
            ["git", *args], cwd=path, env=env, input=data, capture_output=True, check=True
        ).stdout

    git("init", "-q")
    tree: dict[bytes, bytes] = {}
    ids: list[str] = []
    for number, commit in enumerate(commits):
        for name in commit["files"]:  # type: ignore[attr-defined]
            content = f"{number}:{name!r}\n".encode()
            tree[name] = git("hash-object", "-w", "--stdin", data=content).strip()
        listing = b"".join(
            b"100644 blob " + oid + b"\t" + name + b"\0" for name, oid in tree.items()
        )
        tree_id = git("mktree", "-z", data=listing).strip()
        minutes = int(commit["minutes"])  # type: ignore[call-overload]
        zone = b"%c%02d%02d" % (b"+-"[minutes < 0], abs(minutes) // 60, abs(minutes) % 60)
        when = b"%d " % commit["seconds"] + zone
        raw = (
            b"tree "
            + tree_id
            + b"\n"
            + (b"parent " + ids[-1].encode() + b"\n" if ids else b"")
            + b"author "
            + commit["name"]
            + b" <"
            + commit["email"]
            + b"> "
            + when
            + b"\n"  # type: ignore[operator]
            + b"committer C <c> "
            + when
            + b"\n\n"
            + commit["subject"]
            + b"\n\n"
            + commit["body"]  # type: ignore[operator]
        )
        ids.append(git("hash-object", "-t", "commit", "-w", "--stdin", data=raw).strip().decode())
    git("update-ref", "HEAD", ids[-1])
    return ids


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COMMIT, min_size=1, max_size=3))
@example(
    [
        {
            "name": b"Eve\x1eMallory\x01",
            "email": b"eve\x1e@example.com",
            "subject": b"Retrain\x1e\x00"[:-1] + b"\x7f\x1b[31m",
            "body": b"\x1e\x00\n\x1eforged record\n",
            "seconds": 1700000000,
            "minutes": 0,
            "files": [b"dvc.lock", b"\x1e", b"new\nline"],
        }
    ]
)
def test_any_bytes_in_any_field_of_a_commit_parse_back_to_the_same_fields(
    commits: list[dict[str, object]],
) -> None:
    import datetime as dt
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ids = write_commits(Path(tmp), commits)
        found = open_repo(Path(tmp)).history(["."])
    expected: dict[str, list[str]] = {}
    for number in reversed(range(len(commits))):
        for name in commits[number]["files"]:  # type: ignore[attr-defined]
            expected.setdefault(name.decode("utf-8", "surrogateescape"), []).append(ids[number])
    assert {path: [c.sha for c in h.commits] for path, h in found.items()} == expected
    seen = {c.sha: c for h in found.values() for c in h.commits}
    for number, commit in enumerate(commits):
        if ids[number] not in seen:
            continue  # it changed no file
        got = seen[ids[number]]
        zone = dt.timezone(dt.timedelta(minutes=int(commit["minutes"])))  # type: ignore[call-overload]
        assert got.author == commit["name"].decode("utf-8", "replace")  # type: ignore[attr-defined]
        assert got.email == commit["email"].decode("utf-8", "replace")  # type: ignore[attr-defined]
        assert got.subject == commit["subject"].decode("utf-8", "replace")  # type: ignore[attr-defined]
        assert got.date == dt.datetime.fromtimestamp(commit["seconds"], zone).isoformat()  # type: ignore[call-overload]
        # git log lists only the commits that changed a file: the position among those
        assert got.index == sum(1 for later in commits[number + 1 :] if later["files"])


EVERY_CONTROL = "".join(chr(c) for c in range(1, 32) if c != 10) + "\x7f"


def test_control_characters_in_a_commit_do_not_hide_it_from_drift_dates_or_the_timeline(
    pipeline: Repo,
) -> None:
    """A retrain whose message and author hold U+001E and every other control character is
    still the commit that makes the card stale, dates the page and shows in the timeline."""
    plugin = {"timeline_page": "timeline.md"}
    pipeline.site({"card.md": CARD, "index.md": DATES}, plugin=plugin)
    pipeline.commit("Card", date="2024-02-01T00:00:00+00:00")
    pipeline.write(
        "src/train.py",
        "import pathlib\npathlib.Path('models').mkdir(exist_ok=True)\n"
        "pathlib.Path('models/model.txt').write_text(open('data/prepared.csv').read() + 'x')\n",
    )
    pipeline.dvc("repro", "-q")
    pipeline.write("docs/index.md", DATES + "\nRetrained.\n")
    retrained = pipeline.commit(
        f"Retrain{EVERY_CONTROL}end\n\nbody\x1e{'0' * 40}\x1e",
        date="2024-02-05T00:00:00+00:00",
        author=(f"Eve{EVERY_CONTROL}Mallory", f"eve{EVERY_CONTROL}@example.com"),
    )
    build = pipeline.build()
    assert not build.ok
    assert "Traceback" not in build.output
    assert f"which changed in commit {retrained[:7]} (2024-02-05" in build.output
    assert "[stale_doc]" in build.output

    pipeline.site({"card.md": CARD}, plugin={**plugin, "checks": {"stale_doc": "warn"}})
    build = pipeline.build()
    assert build.ok, build.output
    assert value_of(build.page(""), "updated ") == "2024-02-05"
    assert retrained[:7] in text_of(build.page("timeline"))


# --------------------------------------------------------------------------- dates

ZONE = "1700000000 +9959"  # a zone of 99 hours
YEAR_10000 = "253402300800 +0000"


def git_with_input(repo: Repo, *args: str, data: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo.path, env=repo.env, input=data, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def raw_commit(repo: Repo, message: str, date: str, files: dict[str, str]) -> str:
    """A commit on HEAD with FILES added, author and committer dated DATE exactly as given."""
    for rel, text in files.items():
        repo.write(rel, text)
    repo.git("add", "-A")
    tree = repo.git("write-tree")
    head = repo.git("rev-parse", "HEAD")
    raw = (
        f"tree {tree}\nparent {head}\nauthor Ada <ada@example.com> {date}\n"
        f"committer Ada <ada@example.com> {date}\n\n{message}\n"
    )
    sha = git_with_input(repo, "hash-object", "-t", "commit", "-w", "--stdin", data=raw)
    repo.git("update-ref", "HEAD", sha)
    return sha


def raw_tag(repo: Repo, name: str, date: str) -> None:
    """An annotated tag of HEAD with the tagger date exactly as given."""
    head = repo.git("rev-parse", "HEAD")
    raw = (
        f"object {head}\ntype commit\ntag {name}\ntagger Ada <ada@example.com> {date}\n\nRelease\n"
    )
    tag = git_with_input(repo, "mktag", data=raw)
    repo.git("update-ref", f"refs/tags/{name}", tag)


def test_dates_git_keeps_but_no_calendar_holds_are_findings_not_tracebacks(pipeline: Repo) -> None:
    page = DATES + "\nClassifier {ml artifact classifier version} (registry).\n"
    pipeline.site({"index.md": page})
    pipeline.commit("Docs", date="2024-02-01T00:00:00+00:00")
    pipeline.run(
        "git", "tag", "-a", "-m", "First", "classifier@v1.0.0",
        env={"GIT_COMMITTER_DATE": "2024-02-01T00:00:00+00:00"},
    )  # fmt: skip
    zoned = raw_commit(pipeline, "Zone page", ZONE, {"docs/zone.md": DATES})
    raw_tag(pipeline, "classifier@v1.1.0", ZONE)
    future = raw_commit(pipeline, "Far page", YEAR_10000, {"docs/far.md": DATES})
    raw_tag(pipeline, "classifier@v1.2.0", YEAR_10000)

    build = pipeline.build()
    assert build.ok, build.output
    assert "Traceback" not in build.output
    for commit, date in ((zoned, ZONE), (future, YEAR_10000)):
        assert f"commit {commit[:7]} (" in build.output
        assert f"has the author date '{date}', which is no calendar date" in build.output
    for tag, date in (("classifier@v1.1.0", ZONE), ("classifier@v1.2.0", YEAR_10000)):
        assert f"GTO tag '{tag}' has the tagger date '{date}', which is no calendar date" in (
            build.output
        )
    # the rest of the site: dates of other commits, the registry without the two tags
    assert value_of(build.page(""), "Created ", ",") == "2024-02-01"
    assert value_of(build.page(""), "Classifier ", " (") == "v1.0.0"
    assert f"commit {future[:7]}, which dates it, has no calendar date" in build.output
    assert "Created" in text_of(build.page("far"))


# --------------------------------------------------------------------------- where git looks


def test_git_dir_set_alone_finds_what_git_and_dvc_find_in_the_same_shell(pipeline: Repo) -> None:
    """GIT_DIR without GIT_WORK_TREE makes git take the current directory as the top of the
    work tree; a site whose mkdocs.yml is in a subdirectory, built from the checkout's top
    with GIT_DIR set, finds the DVC project and the pages' commits that ``dvc root`` and
    ``git log`` find there."""
    pipeline.site({"index.md": DATES}, plugin={"manifest": "ml-manifest.json"}, where="site")
    page_commit = pipeline.commit("Docs in a subdirectory", date="2024-02-01T00:00:00+00:00")
    pipeline.commit("Later, elsewhere", date="2024-02-02T00:00:00+00:00")
    shell = {"GIT_DIR": ".git"}

    def said(*command: str) -> str:
        return pipeline.run(*command, env=shell).stdout.strip()

    top = Path(said("git", "rev-parse", "--show-toplevel"))
    assert top == pipeline.path
    dvc_root = (pipeline.path / said(sys.executable, "-m", "dvc", "root")).resolve()
    logged = said("git", "log", "-1", "--format=%H", "--", "site/docs/index.md")
    assert logged == page_commit
    assert said("git", "status", "--porcelain") == ""

    build = pipeline.build("--strict", config="site/mkdocs.yml", env=shell)
    assert build.ok, build.output
    manifest = build.manifest()
    assert (top / manifest["projects"][0]["root"]).resolve() == dvc_root
    (page,) = manifest["pages"]
    assert page["updated"] == "2024-02-01T00:00:00+00:00"
    assert manifest["git"]["dirty"] is False
    assert value_of(build.page(""), "updated ") == "2024-02-01"


def test_serve_in_a_linked_worktree_rebuilds_on_a_commit_made_there(pipeline: Repo) -> None:
    """A linked worktree ('git worktree add') has a HEAD of its own: a commit on its detached
    HEAD changes no ref and no file of the main worktree, and still shows on the next reload."""
    from test_serve import free_port, wait_for

    pipeline.site({"index.md": "# Home\n\nBuilt from {ml git short}.\n"})
    pipeline.commit("Docs", date="2024-02-01T00:00:00+00:00")
    tree = pipeline.home / "tree"
    pipeline.git("worktree", "add", "-q", "--detach", str(tree))
    linked = Repo(tree, pipeline.home)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=tree,
        env=linked.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        head = linked.git("rev-parse", "HEAD")
        wait_for(url, f"Built from {head[:7]}.")
        moved = linked.commit("A commit in the worktree", date="2024-02-02T00:00:00+00:00")
        assert pipeline.git("rev-parse", "HEAD") == head  # the main worktree did not move
        wait_for(url, f"Built from {moved[:7]}.")
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_control_characters_in_a_tag_do_not_forge_or_hide_registry_entries(
    pipeline: Repo,
) -> None:
    """A GTO tag whose tagger and message hold U+001E, every other control character and the
    text of another tag's fields is read as that one tag, with that message."""
    pipeline.site(
        {"index.md": "# Home\n\nClassifier {ml artifact classifier version} (registry).\n"},
        plugin={"registry_page": "registry.md"},
    )
    head = pipeline.commit("Docs", date="2024-02-01T00:00:00+00:00")
    forged = f"\x1eclassifier@v9.0.0\x1etag\x1e{head}\x1e{head}\x1eEve <e> 1 +0000\x1eforged"
    message = f"Release{EVERY_CONTROL}{forged}"
    raw = (
        f"object {head}\ntype commit\ntag classifier@v1.0.0\n"
        f"tagger Eve{EVERY_CONTROL}Mallory <eve@example.com> 1706745600 +0000\n\n{message}\n"
    )
    pipeline.git(
        "update-ref", "refs/tags/classifier@v1.0.0", git_with_input(pipeline, "mktag", data=raw)
    )
    build = pipeline.build("--strict")
    assert build.ok, build.output
    assert value_of(build.page(""), "Classifier ", " (") == "v1.0.0"
    # a forged version would be the latest; the message reaches the page whole
    registry = text_of(build.page("registry"))
    assert "Release" in registry and "Eve <e> 1 +0000" in registry and "forged" in registry
