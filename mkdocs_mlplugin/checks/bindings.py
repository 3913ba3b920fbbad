"""Page bindings: a page's ``ml:`` front matter, and the checks over the pages it binds.

``ml:`` is validated as a config (``BindingConfig``, a ``mkdocs.config.base.Config``), as
Material's blog validates a post's front matter with its ``PostConfig``: the options and
their ``ValidationError``\\ s are MkDocs' own, and a wrong binding becomes a
``malformed_reference`` finding with the page and the front matter line. ``bind`` then finds
what the binding names among the site's facts; ``check_bound`` checks every bound page for
doc drift and pins (``checks.drift``) once the pages are built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, NamedTuple

from mkdocs.config.base import BaseConfigOption, Config, ValidationError
from mkdocs.config.config_options import Optional

from mkdocs_mlplugin.checks import drift, records
from mkdocs_mlplugin.facts.dvc import Project
from mkdocs_mlplugin.facts.git import FileHistory
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.findings import Finding, FindingError, did_you_mean, visible
from mkdocs_mlplugin.pages.references import Reference
from mkdocs_mlplugin.pages.values import (
    check_path,
    find_artifact,
    find_stage,
    project_of,
    untracked,
)

WHERE = "front matter 'ml:'"
TAKES = (
    "it takes 'artifact: NAME' and/or 'stage: NAME', and optionally 'pin:' (and, on a model "
    "card, 'model_index:'); a record page takes 'record: KIND' (and, on a datasheet, "
    "'data: PATH')."
)


class Name(BaseConfigOption[str]):
    """The name of an artifact or a stage: a string, or a number YAML read from one."""

    def run_validation(self, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError(f"a name, not {type(value).__name__}, is expected.")
        return str(value)


class RecordKind(BaseConfigOption[str]):
    """``record:``: a kind of record page (``checks.records.RECORDS``)."""

    def run_validation(self, value: object) -> str:
        if not isinstance(value, str) or value not in records.RECORDS:
            shown = f"'{visible(value)}'" if isinstance(value, str) else type(value).__name__
            hint = did_you_mean(value, records.RECORDS) if isinstance(value, str) else ""
            raise ValidationError(
                f"{shown} is no kind of record.{hint} Kinds: {', '.join(records.RECORDS)}."
            )
        return value


class Pin(BaseConfigOption[dict[str, Any]]):
    """``pin:``: an md5 prefix, or a mapping with md5, commit and/or version
    (``drift.validate_pin``); always a mapping once validated."""

    def run_validation(self, value: object) -> dict[str, Any]:
        problem = drift.validate_pin(value)
        if problem:
            raise ValidationError(problem)
        return {"md5": value} if isinstance(value, str) else dict(value)  # type: ignore[call-overload]


class Passed(BaseConfigOption[object]):
    """A value another check reads: ``model_index:`` (``checks.cards``, model cards only)."""

    def run_validation(self, value: object) -> object:
        return value


class BindingConfig(Config):
    """A page's ``ml:`` front matter."""

    artifact = Optional(Name())
    stage = Optional(Name())
    pin = Optional(Pin())
    model_index = Optional(Passed())
    record = Optional(RecordKind())
    # 'data:' (a datasheet's path) is read apart: a Config is a UserDict, whose .data it is


@dataclasses.dataclass(frozen=True)
class Binding:
    """What a page's ``ml:`` names, validated: an artifact, a stage, a pin (a mapping)."""

    artifact: str | None = None
    stage: str | None = None
    pin: dict[str, Any] | None = None
    record: str | None = None
    data: str | None = None


class Bound(NamedTuple):
    """A page bound to what exists: its facts (artifact, stage), its ``ml:`` line, its pin,
    and whether it documents what it is bound to (DRIFT: it goes stale when that changes; a
    decision record about a model does not)."""

    page: PageFacts
    line: int | None
    pin: dict[str, Any] | None
    drift: bool = True


def validate(data: object, src: str, line: int | None) -> Binding | Finding:
    """The page's ``ml:`` DATA as a Binding, or the finding that says what is wrong with it."""
    if not isinstance(data, dict):
        return Finding("malformed_reference", f"{WHERE}: {TAKES}", src, line)
    config = BindingConfig(src)
    known = set(config)  # the options, set to their defaults
    path = data.get("data")
    if "data" in data and (not isinstance(path, str) or not path):
        message = f"{WHERE}: 'data': a path (from the DVC project's root) is expected."
        return Finding("malformed_reference", message, src, line)
    config.load_dict({k: v for k, v in data.items() if k != "data"})
    errors, warnings = config.validate()
    extra = sorted(str(key) for key, _ in warnings if key not in known)
    if extra:
        unknown = ", ".join(repr(k) for k in extra)
        return Finding("malformed_reference", f"{WHERE}: unknown key {unknown}; {TAKES}", src, line)
    for key, error in errors:
        message = str(error) if key == "pin" else f"'{key}': {error}"
        return Finding("malformed_reference", f"{WHERE}: {message}", src, line)
    return Binding(config.artifact, config.stage, config.pin, config.record, path)


def bind(data: object, page: PageFacts, site: SiteFacts, line: int | None) -> Bound | Finding:
    """Validate the page's ``ml:`` DATA and find what it names in SITE (the facts as the page's
    DVC project sees them), setting PAGE's artifact and stage. A Finding when it cannot be
    bound; then ``page.binding_failed`` is set, so that what needs the binding on the page is
    reported with that finding."""
    found = _bind(data, page, site, line)
    if isinstance(found, Finding):
        page.binding_failed = True
    return found


def _bind(data: object, page: PageFacts, site: SiteFacts, line: int | None) -> Bound | Finding:
    binding = validate(data, page.src, line)
    if isinstance(binding, Finding):
        return binding
    project = site.project
    kind = records.RECORDS.get(binding.record or "")
    drifts = kind is None or kind.documents  # a record about a model does not document it
    if binding.data is not None and (kind is None or "data" not in (kind.binds or ())):
        message = f"{WHERE}: 'data:' binds a datasheet ('record: datasheet') to its data."
        return Finding("malformed_reference", message, page.src, line)
    if kind is not None and binding.artifact is None and binding.stage is None:
        if binding.data is not None:
            data = _find_data(binding.data, page, site, line)
            if isinstance(data, Finding):
                return data
            page.data = data
        return Bound(page, line, binding.pin, drift=drifts and page.data is not None)
    if page.foreign_project is not None or (
        project is None and (binding.stage is not None or binding.artifact is None)
    ):
        why = page.foreign_project or site.project_problem
        return Finding("missing_reference", f"{WHERE}: {why}", page.src, line)
    ref = Reference("front matter", None, None, line or 1, "ml:", False)
    try:
        if binding.artifact is not None:
            page.artifact = find_artifact(site, binding.artifact, ref, page)
        if binding.stage is not None and project is not None:
            page.stage = find_stage(project, binding.stage, ref, page)
    except FindingError as exc:
        return exc.finding
    return Bound(page, line, binding.pin, drift=drifts)


def _find_data(path: str, page: PageFacts, site: SiteFacts, line: int | None) -> str | Finding:
    """PATH of ``ml: {data: PATH}``, a path a stage or a .dvc file tracks, or the finding
    that says why it is none."""
    ref = Reference("front matter", path, None, line or 1, "ml:", False)
    try:
        project = project_of(ref, site, page)
        normal = check_path(path, ref, page, project)
        if project.producer(normal) is None:
            raise untracked(project, normal, ref, page)
    except FindingError as exc:
        return exc.finding
    return normal


def check_bound(
    project: Project,
    prefix: str,
    history: dict[str, FileHistory],
    blobs: drift.Blobs,
    bound: Iterable[Bound],
    registry: SiteFacts,
    grace: int,
    edited: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Doc drift and pins for the pages BOUND to what PROJECT holds. PREFIX is the project's
    path from the git root; HISTORY the git history by path from there; BLOBS the old
    dvc.lock and .dvc files; REGISTRY the facts holding GTO's registry; GRACE how many
    commits a page may lag behind what it documents; EDITED the paths from the git root that
    differ from HEAD: a page edited in the work tree was edited after every commit, so it is
    not stale (the user sees the finding go as they save)."""
    findings: list[Finding] = []
    for facts, line, pin, drifts in bound:
        if not drifts:
            continue
        subject = drift.subject_of(project, facts.artifact, facts.stage, facts.data)
        if subject is None:
            continue
        repo_path = prefix + subject.file
        if pin and "version" in pin:
            findings.extend(check_version_pin(facts, line, pin, registry))
            pin = {k: v for k, v in pin.items() if k != "version"}
        if pin:
            then = blobs.get(f"{pin.get('commit')}:{repo_path}") if "commit" in pin else None
            if isinstance(then, drift.Unreadable):
                continue  # reported with the other versions that cannot be read
            if "commit" in pin and then is None:
                unknown = (
                    f"{WHERE}: pin commit {pin['commit']} is not a commit of this repository "
                    f"that has {repo_path} (fetch the full history, or fix the pin)."
                )
                findings.append(Finding("malformed_reference", unknown, facts.src, line))
                continue
            at = {
                "then": subject.extract(then),
                "now": subject.extract(blobs.get(f"HEAD:{repo_path}")),
            }
            behind = drift.check_pin(subject, pin, at)
            if behind:
                findings.append(Finding("pinned_behind", behind, facts.src, line))
            continue
        if facts.repo_path in edited:
            continue
        stale = drift.check_drift(
            subject, history.get(repo_path), facts.history, blobs, repo_path, grace, facts.src
        )
        if stale:
            findings.append(Finding("stale_doc", stale, facts.src, line))
    return findings


def check_version_pin(
    facts: PageFacts, line: int | None, pin: dict[str, Any], registry: SiteFacts
) -> list[Finding]:
    """A page pinned to a registered version is behind once a newer one is the latest."""
    artifact = facts.artifact
    if artifact is None:
        message = f"{WHERE}: 'pin: version' needs 'artifact:'."
        return [Finding("malformed_reference", message, facts.src, line)]
    gto_name = registry.registry_names.get(artifact.name, artifact.name)
    entry = registry.registry.artifact(gto_name) if registry.registry else None
    latest = entry.latest if entry else None
    pinned = str(pin["version"])
    known = [v.version for v in entry.versions] if entry else []
    if pinned not in known:
        where = registry.registry_problem or f"registered versions: {', '.join(known) or 'none'}"
        message = (
            f"the page pins version {pinned} of '{gto_name}', which GTO does not know ({where})."
        )
    elif latest != pinned:
        message = (
            f"the page pins version {pinned} of '{gto_name}', but the latest registered "
            f"version is {latest}. Update the page and its pin."
        )
    else:
        return []
    return [Finding("pinned_behind", message, facts.src, line)]
