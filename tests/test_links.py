"""Verified links (commit:, artifact:, stage:, data:, experiment:) in Markdown and in a
record's links:, checked against git, GTO and DVC and rendered as real links; real builds."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
from conftest import Repo
from test_git import traced_build

from mkdocs_mlplugin.checks import records

DECISION = "---\nml:\n  record: decision\nstatus: accepted\ndate: 2024-02-01\ndeciders: [Ada]\n"
BODY = "".join(f"## {title}\n\nText.\n\n" for title in records.RECORDS["decision"].sections)
EPOCH = {"SOURCE_DATE_EPOCH": "1709294400"}  # 2024-03-01


def tag(repo: Repo, name: str, at: str, message: str = "") -> None:
    env = {"GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "a@b", "GIT_COMMITTER_DATE": at}
    repo.run("git", "tag", "-a", name, "-m", message or name, env=env)


@pytest.fixture
def registered(pipeline: Repo) -> Repo:
    """The pipeline with classifier v1.0.0 and v1.1.0 registered, v1.1.0 in prod."""
    tag(pipeline, "classifier@v1.0.0", "2024-01-20T08:00:00+00:00")
    pipeline.commit("Retrain", date="2024-01-21T00:00:00+00:00")
    tag(pipeline, "classifier@v1.1.0", "2024-01-21T08:00:00+00:00")
    tag(pipeline, "classifier#prod#1", "2024-01-22T08:00:00+00:00")
    return pipeline


def build(repo: Repo, pages: dict[str, str], **extra: object):
    config = {"registry_page": "registry.md"}
    repo.site({"index.md": "# Home\n", **pages}, config, **extra)
    repo.commit("Pages", date="2024-02-01T00:00:00+00:00")
    return repo.build("--strict", env=EPOCH)


def test_markdown_links_resolve_to_real_links(registered: Repo) -> None:
    sha = registered.git("rev-parse", "HEAD")
    page = (
        "# Notes\n\n"
        f"See [the pipeline commit](commit:{sha[:8]}), [v1.1.0](artifact:classifier@v1.1.0),\n"
        "[prod](artifact:classifier#prod), [training](stage:train) and [raw](data:data/raw.csv).\n\n"
        "`[not a link](commit:zzzz)`\n"
    )
    sheet = "---\nml:\n  record: datasheet\n  data: data/raw.csv\n---\n# Raw\n\n" + "".join(
        f"## {t}\n\nText.\n\n" for t in records.GEBRU
    )
    built = build(
        registered,
        {"notes.md": page, "train.md": "---\nml:\n  stage: train\n---\n# Train\n", "raw.md": sheet},
        repo_url="https://github.com/acme/reviews.git",
    )
    assert built.ok, built.output
    html = built.page("notes")
    assert f'href="https://github.com/acme/reviews/commit/{sha}"' in html
    assert 'href="../registry/#ml-registry-classifier" title="classifier v1.1.0">v1.1.0</a>' in html
    assert 'title="classifier in prod: v1.1.0">prod</a>' in html
    assert 'href="../train/" title="stage train">training</a>' in html
    assert 'href="../raw/" title="data data/raw.csv">raw</a>' in html
    assert "<code>[not a link](commit:zzzz)</code>" in html  # code is left alone
    assert 'id="ml-registry-classifier"' in built.page("registry")
    row = next(p for p in built.manifest()["pages"] if p["src"] == "docs/notes.md")
    assert row["links"][0] == {
        "line": 3,
        "target": f"commit:{sha[:8]}",
        "url": f"https://github.com/acme/reviews/commit/{sha}",
        "resolved": True,
    }
    assert [(link["target"], link["url"]) for link in row["links"][1:]] == [
        ("artifact:classifier@v1.1.0", "registry.md#ml-registry-classifier"),
        ("artifact:classifier#prod", "registry.md#ml-registry-classifier"),
        ("stage:train", "train.md"),
        ("data:data/raw.csv", "raw.md"),
    ]


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("commit:0123456789abcdef", "no commit 0123456789abcdef in this repository."),
        ("commit:HEAD~1", "a commit is named by 4 to 40 hexadecimal characters of its SHA."),
        (
            "artifact:clasifier@v1.1.0",
            "no artifact 'clasifier'. Did you mean 'classifier'? Artifacts: classifier.",
        ),
        (
            "artifact:classifier@v1.1",
            "GTO has no version v1.1 of 'classifier'. Did you mean 'v1.1.0'? Versions: v1.1.0, "
            "v1.0.0.",
        ),
        (
            "artifact:classifier#staging",
            "no stage 'staging' in the registry. Stages: prod.",
        ),
        ("stage:trian", "no stage 'trian'. Did you mean 'train'?"),
        (
            "data:data/raw.cvs",
            "no stage or .dvc file outputs 'data/raw.cvs'. Did you mean 'data/raw.csv'?",
        ),
        ("experiment:brave-newt", "no experiment 'brave-newt'. There is none."),
    ],
)
def test_a_link_that_does_not_resolve_names_page_and_line(
    registered: Repo, target: str, says: str
) -> None:
    built = build(registered, {"notes.md": f"# Notes\n\nText.\n\nSee [it]({target}).\n"})
    assert not built.ok
    assert f"ERROR   -  mlplugin: docs/notes.md:5: link '{target}': {says}" in built.output
    assert "[broken_link]" in built.output


def test_a_record_links_front_matter_and_flags_a_superseded_version(registered: Repo) -> None:
    sha = registered.git("rev-parse", "HEAD")
    front = (
        f"{DECISION}links:\n  - commit:{sha[:7]}\n  - Old model: artifact:classifier@v1.0.0\n"
        "  - stage:train\n  - https://example.com/paper\n---\n# Use a bag of words\n\n"
    )
    built = build(registered, {"adr.md": front + BODY, "p.md": "# P\n\n{ml pipeline}\n"})
    assert not built.ok
    assert (
        "WARNING -  mlplugin: docs/adr.md:9: link 'artifact:classifier@v1.0.0': version v1.0.0 "
        "of 'classifier' has been superseded by v1.1.0: review the record, then link the version "
        "it is about now. [superseded_link]"
    ) in built.output
    registered.site(
        {"index.md": "# Home\n", "adr.md": front + BODY, "p.md": "# P\n\n{ml pipeline}\n"},
        {"registry_page": "registry.md", "checks": {"superseded_link": "info"}},
    )
    built = registered.build("--strict", env=EPOCH)
    assert built.ok, built.output
    html = built.page("adr")
    box = re.search(
        r'<div class="admonition info ml-block ml-record ml-record-decision">.*?</div>', html, re.S
    )
    assert box is not None
    # right under the title, whole: not in a paragraph
    assert re.search(r"</h1>\s*<div class=\"admonition info ml-block ml-record", html)
    assert not re.search(r"<p>\s*<div|</div>\s*</p>", html)
    shown = box.group(0)
    assert "<th>Status</th><td>accepted</td>" in shown
    assert "<th>Deciders</th><td>Ada</td>" in shown
    assert f"<td>commit {sha[:7]}, " in shown  # no repo_url: the commit is checked, not linked
    assert 'href="../registry/#ml-registry-classifier">Old model</a>' in shown
    assert 'href="../p/">stage train</a>' in shown  # the page that draws the pipeline
    assert '<a href="https://example.com/paper">' in shown


def test_a_deprecated_artifact_flags_its_records(registered: Repo) -> None:
    tag(registered, "classifier@deprecated", "2024-01-25T08:00:00+00:00")
    body = "See [the model](artifact:classifier@v1.1.0) and [it](artifact:classifier).\n"
    built = build(registered, {"adr.md": DECISION + "---\n# ADR\n\n" + BODY + body})
    assert (
        "link 'artifact:classifier@v1.1.0': artifact 'classifier' was deprecated in the "
        "registry on 2024-01-25: review the record" in built.output
    ), built.output
    assert (
        "link 'artifact:classifier': artifact 'classifier' was deprecated in the registry on "
        "2024-01-25: review the record" in built.output
    ), built.output


@pytest.mark.parametrize(
    ("repo_url", "expected"),
    [
        ("https://gitlab.com/acme/reviews", "https://gitlab.com/acme/reviews/-/commit/"),
        ("https://bitbucket.org/acme/reviews/", "https://bitbucket.org/acme/reviews/commits/"),
        ("https://gitlab.acme.org/ml/reviews.git", "https://gitlab.acme.org/ml/reviews/-/commit/"),
        ("javascript:alert(1)//github.com/a/b", None),
        ("https://example.org/acme/reviews", None),
    ],
)
def test_commit_pages_by_host(repo_url: str, expected: str | None) -> None:
    from mkdocs_mlplugin.pages.links import commit_url

    url = commit_url(repo_url, "ab" * 20)
    assert url == (None if expected is None else expected + "ab" * 20)


def test_an_experiment_link_leads_to_its_commit(pipeline: Repo) -> None:
    pipeline.dvc("exp", "run", "-q", "-S", "train.lr=0.1", "-n", "lr-high")
    refs = pipeline.git("for-each-ref", "--format=%(objectname)", "refs/exps/")
    commit = refs.split()[0]
    page = "# Notes\n\n[higher lr](experiment:lr-high) and [typo](experiment:lr-hihg).\n"
    built = build(pipeline, {"notes.md": page}, repo_url="https://github.com/acme/reviews")
    assert not built.ok
    assert (
        "docs/notes.md:3: link 'experiment:lr-hihg': no experiment 'lr-hihg'. Did you mean "
        "'lr-high'? Experiments: lr-high. [broken_link]"
    ) in built.output
    page = page.replace(" and [typo](experiment:lr-hihg)", "")
    built = build(pipeline, {"notes.md": page}, repo_url="https://github.com/acme/reviews")
    assert built.ok, built.output
    assert f'href="https://github.com/acme/reviews/commit/{commit}"' in built.page("notes")


def test_link_text_may_hold_code_and_a_record_is_no_stage_page(pipeline: Repo) -> None:
    """A decision bound to a stage is about it: a link to the stage leads to the page that
    documents it, not to the decision."""
    adr = (
        "---\nml:\n  record: decision\n  stage: train\nstatus: accepted\ndate: 2024-02-01\n"
        "deciders: [Ada]\n---\n# ADR\n\n" + BODY + "See [`src/train.py`](stage:train).\n"
    )
    pages = {"adr.md": adr, "train.md": "---\nml:\n  stage: train\n---\n# Train\n"}
    built = build(pipeline, pages)
    assert built.ok, built.output
    html = built.page("adr")
    assert '<a href="../train/" title="stage train"><code>src/train.py</code></a>' in html


def test_mkdocs_ml_check_reports_the_links_and_records_the_build_does(registered: Repo) -> None:
    import sys
    from pathlib import Path

    front = DECISION.replace("accepted", "acepted") + "---\n# ADR\n\n" + BODY
    pages = {"adr.md": front + "See [v1](artifact:classifier@v1.0.0) and [x](stage:trian).\n"}
    built = build(registered, pages)
    assert not built.ok
    check = registered.run(
        str(Path(sys.executable).parent / "mkdocs-ml"), "check", check=False, env=EPOCH
    )
    assert check.returncode == 1
    for line in (
        "docs/adr.md:4: error: front matter 'status' must be one of proposed, accepted, rejected, "
        "superseded, deprecated, not 'acepted'. Did you mean 'accepted'? [record_schema]",
        "docs/adr.md:26: error: link 'stage:trian': no stage 'trian'. Did you mean 'train'? "
        "[broken_link]",
        "docs/adr.md:26: warn: link 'artifact:classifier@v1.0.0': version v1.0.0 of 'classifier' "
        "has been superseded by v1.1.0: review the record, then link the version it is about "
        "now. [superseded_link]",
    ):
        assert line in check.stdout, check.stdout
        assert line.replace(": error: ", ": ").replace(": warn: ", ": ") in built.output.replace(
            "ERROR   -  mlplugin: ", ""
        ).replace("WARNING -  mlplugin: ", "")


def test_reference_style_links_are_checked_and_made_links(pipeline: Repo) -> None:
    sha = pipeline.git("rev-parse", "HEAD")
    page = (
        "# Notes\n\nSee [the retrain][r], [train][] and [raw]; `[raw]` is code.\n\n"
        f'[r]: commit:{sha[:10]} "The retrain"\n[train]: <stage:train>\n[RAW]: data:data/raw.cvs\n'
    )
    pages = {"notes.md": page, "train.md": "---\nml:\n  stage: train\n---\n# Train\n"}
    built = build(pipeline, pages, repo_url="https://github.com/acme/reviews")
    assert not built.ok
    assert (
        "docs/notes.md:7: link 'data:data/raw.cvs': no stage or .dvc file outputs "
        "'data/raw.cvs'. Did you mean 'data/raw.csv'? [broken_link]"
    ) in built.output
    fixed = pages | {"notes.md": page.replace("raw.cvs", "raw.csv")}
    built = build(pipeline, fixed, repo_url="https://github.com/acme/reviews")
    assert built.ok, built.output
    html = built.page("notes")
    paragraph = html[html.index("<p>See") : html.index("</p>", html.index("<p>See"))]
    commit = f'<a href="https://github.com/acme/reviews/commit/{sha}" title="The retrain">'
    assert commit + "the retrain</a>" in paragraph
    assert '<a href="../train/" title="stage train">train</a>' in paragraph
    assert "and raw; <code>[raw]</code> is code." in paragraph  # no data page: its text


def sheet(data: str) -> str:
    """A datasheet bound to DATA: the data page of that path."""
    body = "".join(f"## {t}\n\nText.\n\n" for t in records.GEBRU)
    return f"---\nml:\n  record: datasheet\n  data: {data}\n---\n# Data\n\n{body}"


def test_a_file_inside_a_tracked_directory_links_to_the_directory(pipeline: Repo) -> None:
    """DVC takes a path inside a tracked directory as a target (``dvc ls``, ``dvc get``): the
    link leads to the directory's page; the file is said to be there only when the cached
    listing of the directory names it."""
    pipeline.write(
        "src/score.py",
        "import json, os\nos.makedirs('eval', exist_ok=True)\n"
        "json.dump({'f1': 0.8}, open('eval/metrics.json', 'w'))\n",
    )
    pipeline.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "score",
        "-d",
        "src/score.py",
        "-o",
        "eval",
        "python3 src/score.py",
    )
    pipeline.write("data/images/cat.txt", "a cat\n")
    pipeline.write("data/images/more/dog.txt", "a dog\n")
    pipeline.dvc("add", "-q", "data/images")
    pipeline.dvc("repro", "-q", "score")
    pipeline.commit("Score and images", date="2024-01-15T09:00:00+00:00")
    for target in ("eval/metrics.json", "data/images/more/dog.txt", "data/images/more"):
        pipeline.dvc("ls", ".", target)  # DVC takes each as a tracked path
    page = (
        "# Notes\n\n[f1](data:eval/metrics.json), [dog](data:data/images/more/dog.txt) and "
        "[eval](data:eval).\n"
    )
    front = f"{DECISION}links:\n  - data:eval/metrics.json\n---\n# Keep eval\n\n" + BODY
    pages = {
        "notes.md": page,
        "adr.md": front,
        "eval.md": sheet("eval"),
        "images.md": sheet("data/images"),
    }
    built = build(pipeline, pages)
    assert built.ok, built.output
    html = built.page("notes")
    assert '<a href="../eval/" title="data eval/metrics.json, in eval (stage score)">f1</a>' in html
    assert (
        '<a href="../images/" title="data data/images/more/dog.txt, in data/images '
        '(data/images.dvc)">dog</a>'
    ) in html
    assert '<a href="../eval/" title="data eval">eval</a>' in html
    shown = unescape(built.page("adr"))  # the record's box escapes every character
    assert '<a href="../eval/">data eval/metrics.json, in eval (stage score)</a>' in shown
    # a file the cached listing does not hold is no file of the directory
    typo = pages | {"notes.md": page.replace("dog.txt", "dgo.txt")}
    built = build(pipeline, typo)
    assert not built.ok
    assert (
        "docs/notes.md:3: link 'data:data/images/more/dgo.txt': the tracked directory "
        "'data/images' (data/images.dvc) holds no 'more/dgo.txt'. Did you mean "
        "'data/images/more/dog.txt'? [broken_link]"
    ) in built.output
    # without the listing (a clone that has not pulled), the link leads to the directory
    # without saying the file is there
    for listing in (pipeline.path / ".dvc" / "cache").rglob("*.dir"):
        listing.unlink()
    built = build(pipeline, typo)
    assert built.ok, built.output
    assert (
        '<a href="../images/" title="data data/images/more/dgo.txt: inside DVC-tracked '
        "data/images (data/images.dvc); its file list is not in the cache, so the file is not "
        'confirmed">dog</a>'
    ) in built.page("notes")
    # outside any tracked directory, a path still gets its "did you mean"
    built = build(pipeline, pages | {"notes.md": "# N\n\n[x](data:evl/metrics.json)\n"})
    assert "no stage or .dvc file outputs 'evl/metrics.json'." in built.output


def test_commit_links_ask_one_git_whatever_their_number(pipeline: Repo, tmp_path: Path) -> None:
    """Every commit: link of a build is answered by the build's one git cat-file, as git
    rev-parse --verify answers it (a short or full id of a commit, an unknown one, an id
    shorter than git can tell apart): one git process for them all."""
    shas = []
    for n in range(6):
        pipeline.write(f"notes/{n}.txt", f"{n}\n")
        pipeline.commit(f"Note {n}", date=f"2024-01-2{n}T00:00:00+00:00")
        shas.append(pipeline.git("rev-parse", "HEAD"))
    tree = pipeline.git("rev-parse", "HEAD^{tree}")
    listed = [f"[c{n}](commit:{sha[: 7 + n]})" for n, sha in enumerate(shas)]
    page = "# Notes\n\n" + ", ".join(listed) + f", [x](commit:{'0' * 12}), [t](commit:{tree})\n"
    url = "https://github.com/acme/reviews"
    checks = {"broken_link": "warn"}

    pipeline.site({"index.md": "# Home\n", "notes.md": "# Notes\n\nNone.\n"}, repo_url=url)
    pipeline.commit("Pages", date="2024-02-01T00:00:00+00:00")
    _, plain = traced_build(pipeline, tmp_path / "plain.trace")
    pipeline.site({"index.md": "# Home\n", "notes.md": page}, {"checks": checks}, repo_url=url)
    pipeline.commit("Links", date="2024-02-02T00:00:00+00:00")
    built, linked = traced_build(pipeline, tmp_path / "linked.trace")

    html = built.page("notes")
    for sha in shas:
        assert f'href="{url}/commit/{sha}"' in html
        assert pipeline.git("rev-parse", "--verify", "--quiet", f"{sha[:7]}^{{commit}}") == sha
    assert len(re.findall(f'href="{url}/commit/', html)) == 6  # not the unknown, not the tree
    # the links add the one git cat-file, whatever their number (a git rev-parse each, before)
    assert Counter(linked) - Counter(plain) == Counter({"git cat-file --batch": 1})
    assert len(linked) == len(plain) + 1
