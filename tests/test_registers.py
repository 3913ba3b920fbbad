"""The registers of record pages (decision log, tech-debt register, runbook index) and the
manifest's records, from real builds."""

from __future__ import annotations

import re
from html import unescape

from conftest import Repo

from mkdocs_mlplugin.checks import records

EPOCH = {"SOURCE_DATE_EPOCH": "1709294400"}  # 2024-03-01
PLUGIN = {"decisions_page": "decisions.md", "debt_page": "debt.md", "runbooks_page": "runbooks.md"}


def sections(kind: str) -> str:
    return "".join(f"## {title}\n\nText.\n\n" for title in records.RECORDS[kind].sections)


def decision(title: str, status: str, date: str, extra: str = "") -> str:
    return (
        f"---\nml:\n  record: decision\nstatus: {status}\ndate: {date}\ndeciders: [Ada]\n{extra}"
        f"---\n# {title}\n\n{sections('decision')}"
    )


def debt(title: str, status: str, priority: str, extra: str = "") -> str:
    return (
        f"---\nml:\n  record: debt\n{extra}status: {status}\npriority: {priority}\n"
        f"impact: [velocity, cost]\neffort: 2 days\nowner: Grace\n---\n# {title}\n\n"
        f"{sections('debt')}"
    )


def runbook(title: str, alerts: str, extra: str = "") -> str:
    return (
        f"---\nml:\n  record: runbook\n{extra}alerts: {alerts}\nowner: Ops\n---\n# {title}\n\n"
        f"{sections('runbook')}"
    )


def rows(html: str, css: str) -> list[list[str]]:
    """The text of each cell of each body row of the table in the div of class CSS."""
    block = re.search(rf'<div class="ml-block {css}">(.*?)</div>', html, re.S)
    assert block is not None, css
    body = block.group(1).split("<tbody>")[1]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_registers_list_the_records(pipeline: Repo) -> None:
    pages = {
        "index.md": "# Home\n",
        "adr/1.md": decision("Rules", "superseded", "2024-01-01", "superseded_by: 2.md\n"),
        "adr/2.md": decision(
            "Bag of words", "superseded", "2024-01-15", "supersedes: 1.md\nsuperseded_by: 3.md\n"
        ),
        "adr/3.md": decision("Bigrams", "accepted", "2024-02-01", "supersedes: 2.md\n"),
        "adr/4.md": decision("GPU", "proposed", "2024-02-10"),
        "debt/a.md": debt("Hard-coded split", "open", "low", "  stage: prepare\n"),
        "debt/b.md": debt("No tests for train", "in-progress", "critical", "  stage: train\n"),
        "debt/c.md": debt("Old CSV reader", "resolved", "high", "  stage: prepare\n"),
        "ops/train.md": runbook(
            "Training fails", "[TrainingFailed, Disk full]", "  stage: train\n"
        ),
        "ops/disk.md": runbook("Disk", "Disk full"),
    }
    pipeline.site(pages, PLUGIN)
    pipeline.commit("Records")
    built = pipeline.build("--strict", env=EPOCH)
    assert built.ok, built.output

    log = built.page("decisions")
    assert rows(log, "ml-decision-log ml-decisions-accepted") == [
        ["2024-02-01", "Bigrams", "Ada", "Bag of words", ""]
    ]
    assert rows(log, "ml-decision-log ml-decisions-superseded") == [
        ["2024-01-15", "Bag of words", "Ada", "Rules", "Bigrams"],
        ["2024-01-01", "Rules", "Ada", "", "Bag of words"],
    ]
    assert rows(log, "ml-decision-log ml-decisions-proposed")[0][1] == "GPU"
    assert rows(log, "ml-decision-chains") == [["Rules → Bag of words → Bigrams", "accepted"]]
    assert 'href="../adr/3/"' in log

    # a decision's own header links the decisions it supersedes and is superseded by, by title
    header = built.page("adr/2").split('<div class="admonition info ml-block ml-record')[1]
    header = header.split("</div>")[0]
    assert re.search(r'<th>Supersedes</th><td><a href="\.\./1/">Rules</a></td>', header)
    assert re.search(r'<th>Superseded by</th><td><a href="\.\./3/">Bigrams</a></td>', header)

    register = built.page("debt")
    assert [r[:2] + r[5:] for r in rows(register, "ml-debt-open")] == [
        ["critical", "No tests for train", "in-progress", "stage train"],
        ["low", "Hard-coded split", "open", "stage prepare"],
    ]
    assert rows(register, "ml-debt-open")[0][2:5] == ["velocity, cost", "2 days", "Grace"]
    assert rows(register, "ml-debt-status") == [
        ["open", "1"],
        ["in-progress", "1"],
        ["resolved", "1"],
        ["wont-fix", "0"],
    ]
    assert rows(register, "ml-debt-concerns") == [
        ["stage prepare", "1", "0", "1", "0"],
        ["stage train", "0", "1", "0", "0"],
    ]
    assert [r[1] for r in rows(register, "ml-debt-closed")] == ["Old CSV reader"]

    index = built.page("runbooks")
    assert rows(index, "ml-runbook-index") == [
        ["Disk full", "Disk, Training fails", "stage train", "Ops"],
        ["TrainingFailed", "Training fails", "stage train", "Ops"],
    ]

    manifest = built.manifest()["records"]
    by_page = {r["page"]: r for r in manifest}
    assert by_page["docs/adr/3.md"] == {
        "page": "docs/adr/3.md",
        "kind": "decision",
        "title": "Bigrams",
        "ml": {"record": "decision"},
        "fields": {
            "status": "accepted",
            "date": "2024-02-01",
            "deciders": ["Ada"],
            "supersedes": "2.md",
        },
    }
    assert sorted(r["kind"] for r in manifest) == ["debt"] * 3 + ["decision"] * 4 + ["runbook"] * 2


def test_registers_without_records_say_how_to_add_one(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n"}, PLUGIN)
    pipeline.commit("Site")
    built = pipeline.build("--strict", env=EPOCH)
    assert built.ok, built.output
    assert "No page is a decision record yet" in built.page("decisions")
    assert "No page is a tech-debt record yet" in built.page("debt")
    assert built.manifest()["records"] == []


def test_a_superseding_page_that_is_no_decision_is_named(pipeline: Repo) -> None:
    pages = {
        "index.md": "# Home\n",
        "adr/1.md": decision("Rules", "superseded", "2024-01-01", "superseded_by: 22.md\n"),
        "adr/2.md": decision("Words", "accepted", "2024-01-02"),
    }
    pipeline.site(pages, PLUGIN)
    pipeline.commit("Records")
    built = pipeline.build("--strict", env=EPOCH)
    assert not built.ok
    assert (
        "docs/adr/1.md:7: front matter 'superseded_by': '22.md' is no decision record of this "
        "site (a page with 'ml: {record: decision}', named from this page). Did you mean "
        "'adr/2.md'? [record_schema]"
    ) in built.output


def test_record_values_are_text_on_the_page_and_in_the_registers(pipeline: Repo) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    front = (
        f"---\nml:\n  record: runbook\nalerts: ['{hostile}', '*bold* | pipe']\n"
        f"owner: '<script>alert(1)</script>'\nservice: '[x](javascript:alert(1))'\n"
        "links:\n  - javascript:alert(1)\n  - 'Click: javascript:alert(2)'\n"
        f"---\n# {hostile}\n\n{sections('runbook')}"
    )
    pipeline.site({"index.md": "# Home\n", "r.md": front}, PLUGIN)
    pipeline.commit("Records")
    built = pipeline.build("--strict", env=EPOCH)
    assert built.ok, built.output
    box = re.search(
        r'<div class="admonition info ml-block ml-record.*?</div>', built.page("r"), re.S
    )
    assert box is not None
    index = built.page("runbooks")
    article = index[index.index("<article") : index.index("</article>")]
    for html in (box.group(0), article):  # the page's own heading is its author's Markdown
        assert "<script>alert" not in html and "<img src=x" not in html, html
        assert 'href="javascript:' not in html and "<strong>bold</strong>" not in html, html
    cells = rows(built.page("runbooks"), "ml-runbook-index")
    assert [c[0] for c in cells] == ["*bold* | pipe", hostile]
    assert cells[0][3] == "<script>alert(1)</script>"
