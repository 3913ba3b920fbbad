"""``mkdocs-ml report --base REF``: what a reviewer of a pull request needs, in one record.

``assemble`` gathers it from a checked build (``cli.collect``): the pipeline's verdicts, the
metrics and params of the work tree against those of the base (``dvc metrics diff --all`` and
``dvc params diff`` semantics, ``checks.compare``), every DVC output whose recorded hash
changed (md5 and size, as dvc.lock and the .dvc files record them at the base and now), and
the findings of the docs. The record is what ``--format json`` prints; ``render.report`` writes
it as one Markdown comment. Reading goes through the build's ``facts.compare.Revisions``:
git only, offline, nothing written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mkdocs_mlplugin.checks import compare
from mkdocs_mlplugin.facts.compare import WORKSPACE, Side, Unresolved
from mkdocs_mlplugin.pages.compare import snapshot_notes

if TYPE_CHECKING:
    from mkdocs_mlplugin.build import Build
    from mkdocs_mlplugin.findings import Finding

REPORT_VERSION = 2  # 2: notes by section (metrics, params)


class ReportError(Exception):
    """The report cannot be made: no git, no DVC project, a base that names nothing."""


def assemble(build: Build, base: str, graded: list[tuple[Finding, str]]) -> dict[str, Any]:
    """The report of BUILD's work tree against the revision BASE names; GRADED: the build's
    findings with their severities."""
    site = build.site
    reader = site.revisions
    if reader is None:
        why = site.git_problem or site.project_problem or "no DVC project in a git repository."
        raise ReportError(f"nothing to compare: {why}")
    try:
        old = reader.resolve(base, site.registry, site.registry_names, None)
    except Unresolved as exc:
        raise ReportError(str(exc)) from None
    new = Side(WORKSPACE, None, WORKSPACE)
    before, after = reader.snapshot(old), reader.snapshot(new)
    # what could not be read, said as the comparison blocks say it, for each side
    notes = {
        what: snapshot_notes(old, before, what) + snapshot_notes(new, after, what)
        for what in ("metrics", "params")
    }
    names = {a.path: name for name, a in site.artifacts.items() if a.path}
    repo = site.repo
    return {
        "report_version": REPORT_VERSION,
        "base": {"ref": base, "commit": old.commit, "is": old.what},
        "head": {
            "ref": WORKSPACE,
            "commit": repo.commit if repo else None,
            "dirty": repo.dirty if repo else None,
        },
        "pipeline": [
            {
                "stage": name,
                "state": verdict.state,
                "reasons": verdict.reasons(),
                "frozen": verdict.frozen,
            }
            for name, verdict in site.verdicts.items()
        ],
        "metrics": _rows(compare.diff(before.metrics, after.metrics, True)),
        "params": _rows(compare.diff(before.params, after.params, False)),
        "outputs": outputs(reader.outputs(old), reader.outputs(new), names),
        "notes": notes,
        "errors": sum(1 for _, s in graded if s == "error"),
        "warnings": sum(1 for _, s in graded if s == "warn"),
        "findings": [f.as_dict(s) for f, s in graded if s != "info"],
    }


def _rows(rows: list[compare.Row]) -> list[dict[str, Any]]:
    return [{"file": r.file, "key": r.key, "changed": r.changed, **r.as_dict()} for r in rows]


def outputs(
    old: dict[str, tuple[str | None, int | None]],
    new: dict[str, tuple[str | None, int | None]],
    names: dict[str, str],
) -> list[dict[str, Any]]:
    """Every output whose recorded md5 differs between OLD and NEW (path -> (md5, size)),
    added and removed ones too; NAMES: path -> the artifact declared there."""
    found = []
    for path in sorted({*old, *new}):
        (old_md5, old_size), (new_md5, new_size) = (
            old.get(path, (None, None)),
            new.get(path, (None, None)),
        )
        if old_md5 == new_md5:
            continue
        found.append(
            {
                "path": path,
                "artifact": names.get(path),
                "old_md5": old_md5,
                "new_md5": new_md5,
                "old_size": old_size,
                "new_size": new_size,
            }
        )
    return found
