"""The manifest: the machine-readable record of one build (``ml-manifest.json``; the README
gives its shape), made from what the build read and published, and written as strict JSON.

``manifest`` assembles it from a ``Build``; ``write_manifest`` writes it. The plugin writes it
into the site (``Build.write``); ``mkdocs-ml manifest`` prints it. Its keys keep their order:
readers compare it as text too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii as _string
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mkdocs_mlplugin import __version__, render
from mkdocs_mlplugin.checks import pipeline
from mkdocs_mlplugin.facts import dvc, timeline
from mkdocs_mlplugin.facts.site import SiteFacts
from mkdocs_mlplugin.findings import Finding

if TYPE_CHECKING:
    from mkdocs_mlplugin.build import Build


def manifest(build: Build) -> dict[str, Any]:
    """The manifest of BUILD, once its pages are published (see the README for its shape)."""
    return record(
        docs_version=build.docs_version,
        sites=build.sites,
        base=build.git_root or build.config_dir,
        pages=build.pages,
        graded=build.findings.graded(build.options.checks),
        changes=build.timeline,
        records=[r.as_dict() for r in build.records],
        coverage=build.coverage.as_dict(),
    )


def record(
    *,
    docs_version: str | None,
    sites: Iterable[SiteFacts],
    base: Path,
    pages: list[dict[str, Any]],
    graded: list[tuple[Finding, str]],
    changes: list[timeline.Change] | None,
    records: list[dict[str, Any]] | None = None,
    coverage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a build: SITES, the facts of the site and then of each other DVC
    project it reads; BASE, the directory paths are given from; PAGES, each page's row;
    GRADED, the findings with their severities; CHANGES, the timeline when it was read;
    RECORDS, the record pages (decision, debt, runbook, datasheet); COVERAGE, the
    documentation coverage (``checks.coverage``)."""
    site, *others = sites
    return {
        "manifest_version": 1,
        "generator": f"mkdocs-mlplugin {__version__}",
        "docs_version": docs_version,
        "git": site.repo.as_dict() if site.repo else None,
        "projects": [
            _project_manifest(view.project, view, base)
            for view in (site, *others)
            if view.project is not None
        ],
        "registry": registry_manifest(site),
        "timeline": None if changes is None else _timeline_manifest(site, changes),
        "experiments": _experiments_manifest(site),
        "comparisons": comparisons_manifest(site),
        "records": records or [],
        "coverage": coverage,
        "pages": pages,
        "findings": [finding.as_dict(severity) for finding, severity in graded],
    }


def _project_manifest(project: dvc.Project, site: SiteFacts, base: Path) -> dict[str, Any]:
    data = project.as_dict(base)
    _with_status(data["stages"], site.verdicts)
    return data


def registry_manifest(site: SiteFacts) -> dict[str, Any] | None:
    """The registry as ``gto show`` and ``gto history`` give it, per artifact (GTO's names),
    with what artifacts.yaml declares of it; e-mail addresses only with show_emails."""
    reg = site.registry
    if reg is None:
        return None
    hide = () if site.show_emails else ("author_email",)
    histories: dict[str, list[dict[str, Any]]] = {}  # newest first, as reg.history
    for event in reg.history:
        row = event.as_dict()
        for key in hide:
            del row[key]
        histories.setdefault(event.artifact, []).append(row)
    artifacts = {}
    for name, entry in sorted(reg.artifacts.items()):
        history = histories.get(name, [])
        shape = entry.as_dict()
        artifacts[name] = {
            "latest": entry.latest,
            "latest_commit": entry.latest_commit,
            "registered": entry.registered,
            "active": entry.active,
            "stages": shape["stages"],
            "versions": [
                {k: v for k, v in version.items() if k not in hide} for version in shape["versions"]
            ],
            "deprecations": [e for e in history if e["event"] == "deprecation"],
            "declared": reg.declared.get(name),
            "history": history,
        }
    return {"index": reg.index, "stages": reg.stages, "artifacts": artifacts}


def comparisons_manifest(site: SiteFacts) -> list[dict[str, Any]] | None:
    """What each metrics-diff and params-diff block showed, by page and line, as ``dvc
    metrics diff --json`` shapes a diff (with the exact ``change``); None when no page has one."""
    if site.revisions is None or not site.revisions.shown:
        return None
    return [site.revisions.shown[key] for key in sorted(site.revisions.shown)]


def _experiments_manifest(site: SiteFacts) -> list[dict[str, Any]] | None:
    """Every experiment, when a page showed experiments (None otherwise)."""
    exps = site.experiments
    if exps is None or not exps.used:
        return None
    # imported here: a site that shows no experiments does not load their pages' module
    from mkdocs_mlplugin.pages.experiments import experiments_manifest

    return experiments_manifest(exps)


def _timeline_manifest(site: SiteFacts, changes: list[timeline.Change]) -> list[dict[str, Any]]:
    """The timeline's changes, newest first, as the timeline page lists them."""
    # imported here: only a site with a timeline page has a timeline
    from mkdocs_mlplugin.pages.generated import model_paths

    models = model_paths(site)
    emails = site.show_emails
    return [
        {
            "commit": c.commit.sha,
            "date": c.commit.date,
            "author": c.commit.author,
            **({"author_email": c.commit.email} if emails else {}),
            "subject": c.commit.subject,
            "path": c.path,
            "file": c.file,
            "kind": "model" if c.path in models else "data",
            "old_md5": c.old_md5,
            "new_md5": c.new_md5,
            "old_size": c.old_size,
            "new_size": c.new_size,
        }
        for c in changes
    ]


def write_manifest(manifest: dict[str, Any], out: TextIO) -> None:
    """MANIFEST as strict JSON, indented, except that each page and each finding is one line:
    they are most of a large site's manifest, and the C encoder (which does not indent)
    writes them several times faster. Streamed, one line at a time."""
    out.write("{")
    for n, (key, value) in enumerate(manifest.items()):
        out.write(f"{',' if n else ''}\n  {json.dumps(key)}: ")
        if key in ("pages", "findings") and value:
            for i, row in enumerate(value):
                out.write(f"{',' if i else '['}\n    {_strict_dumps(row)}")
            out.write("\n  ]")
        else:
            out.write(_indented(value, "\n  "))
    out.write("\n}\n")


class _Unusual(Exception):
    """A value _indented leaves to the json module: a type other than JSON's own, a key
    other than a string, NaN or an infinity."""


def _indented(value: Any, margin: str) -> str:
    """VALUE as ``json.dumps(value, indent=2)`` writes it, each line after the first
    indented by MARGIN (a line feed, then spaces). Walked here with the C string encoder for
    JSON's own types, several times faster than the json module's indenting encoder, which is
    written in Python; any other value is left to that encoder (``_strict_dumps``)."""
    out: list[str] = []
    try:
        _indent_into(value, margin, out)
    except _Unusual:
        return _strict_dumps(value, indent=2).replace("\n", margin)
    return "".join(out)


def _indent_into(value: Any, margin: str, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = margin + "  "
        opening = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            out.append(opening)
            out.append(_string(key))
            out.append(": ")
            _indent_into(item, inner, out)
            opening = "," + inner
        out.append(margin + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = margin + "  "
        opening = "[" + inner
        for item in value:
            out.append(opening)
            _indent_into(item, inner, out)
            opening = "," + inner
        out.append(margin + "]")
    elif value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        out.append(float.__repr__(value))
    else:
        raise _Unusual


def _strict_dumps(value: Any, indent: int | None = None) -> str:
    try:
        return json.dumps(value, indent=indent, default=str, allow_nan=False)
    except (ValueError, TypeError):  # NaN, an infinity, a date as a key: rare, so looked for then
        value = _strict_json(render.json_keys(value))
        return json.dumps(value, indent=indent, default=str, allow_nan=False)


def _with_status(stages: list[dict[str, Any]], verdicts: dict[str, pipeline.Verdict]) -> None:
    for stage in stages:
        verdict = verdicts.get(stage["name"])
        stage["status"] = verdict.as_dict() if verdict else None


def _strict_json(value: Any) -> Any:
    """VALUE with NaN and infinities as the strings "NaN", "Infinity", "-Infinity": the
    manifest is strict JSON, which jq, JavaScript and Go read."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """A reference's VALUE as the manifest holds it: JSON's own types as they are, what
    JSON cannot hold as the page shows it, an empty value as null."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, render.Empty):
        return None  # the page shows a dash and says why; the manifest holds no value
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return render.display(value)
    return value
