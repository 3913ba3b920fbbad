"""What a page publishes: the facts templates read as ``page.meta.ml`` (the README documents
its shape) and the page's row in the manifest.

Where this sits: facts of the build (``facts.site``) and of the page (its history, what its
``ml:`` binding names) and the references the page resolved → **published facts** → the
plugin puts them in ``page.meta.ml`` while the page's template renders; the manifest lists
the rows. Pure: each function turns facts already read into plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mkdocs_mlplugin.checks import cards
from mkdocs_mlplugin.facts import dvc, git
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.pages.values import author_names, dated, format_date
from mkdocs_mlplugin.render import url_scheme


def publish(
    site: SiteFacts,
    facts: PageFacts,
    url: str | None,
    refs: list[dict[str, Any]],
    *,
    docs_version: str | None,
    git_meta: dict[str, Any] | None,
    uncommitted: bool | None,
    front: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``page.meta.ml``, the manifest's row) of the page FACTS at URL, from SITE (the facts
    as the page's DVC project sees them) and REFS (its references, as the manifest lists
    them); GIT_META is the repository's facts as a mapping (``git.RepoFacts.as_dict``, one
    for every page of a build), UNCOMMITTED what ``page_uncommitted`` says; FRONT the page's
    front matter (a model card's Hugging Face metadata is shown from it)."""
    meta = page_meta(
        site, facts, docs_version=docs_version, git_meta=git_meta, uncommitted=uncommitted
    )
    card = facts.artifact is not None and facts.artifact.type == "model"
    meta["hub"] = hub_shown(front) if card and front else []
    return meta, page_row(facts, url, refs, meta, uncommitted)


def page_meta(
    site: SiteFacts,
    facts: PageFacts,
    *,
    docs_version: str | None,
    git_meta: dict[str, Any] | None,
    uncommitted: bool | None,
) -> dict[str, Any]:
    """The facts published as the page's ``page.meta.ml``."""
    project = site.project
    meta: dict[str, Any] = {
        "docs_version": docs_version,
        "git": git_meta,
        "page": dated(facts.history, site.date_format)
        | {
            "authors": author_names(facts.history, site) if facts.history else [],
            "uncommitted": uncommitted,
        },
        "artifact": None,
        "stage": None,
    }
    if facts.artifact is not None:
        artifact = facts.artifact.as_dict() | {"source": facts.artifact.source}
        if facts.artifact.path is None:
            artifact["path"] = facts.artifact.gto_path
        found = (
            project.producer(facts.artifact.path)
            if project and facts.artifact.path is not None
            else None
        )
        if found:
            artifact |= {"stage": found[0], "md5": found[1].md5, "size": found[1].size}
        gto_name = site.registry_names.get(facts.artifact.name, facts.artifact.name)
        entry = site.registry.artifact(gto_name) if site.registry else None
        history = site.artifact_history
        artifact |= {
            "registered_as": history.model_version(site, facts.artifact) if history else None,
            "registry_name": gto_name,
            "version": entry.latest if entry else None,
            "stages": {s: list(v) for s, v in entry.stages.items() if v} if entry else {},
        }
        artifact |= training(site, facts.artifact, found)
        meta["artifact"] = artifact
    if facts.stage is not None:
        verdict = site.verdicts.get(facts.stage.name)
        meta["stage"] = facts.stage.as_dict() | {"status": verdict.as_dict() if verdict else None}
    return meta


#: what a model card's header shows of its Hugging Face metadata, in this order
HUB_SHOWN = (
    ("license", "licence"),
    ("language", "language"),
    ("datasets", "datasets"),
    ("base_model", "base model"),
    ("pipeline_tag", "task"),
    ("library_name", "library"),
    ("tags", "tags"),
)


def hub_shown(front: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Hugging Face metadata of a model card's FRONT matter, as its header shows it: each
    key present (of HUB_SHOWN) with its label and entries, each its text and a URL only
    where one is known to be right: a licence with an SPDX identifier to its SPDX page (or the
    card's own http(s) ``license_link``), a dataset or base model named by its Hub id with
    its owner (``org/name``) to its Hub page. Values of the wrong shape are left out (the
    build reports them)."""
    shown = []
    for key, label in HUB_SHOWN:
        value = front.get(key)
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        items = [{"text": v, "url": _hub_url(key, v, front)} for v in values if isinstance(v, str)]
        if items:
            shown.append({"key": key, "label": label, "entries": items})
    return shown


def _hub_url(key: str, value: str, front: Mapping[str, Any]) -> str | None:
    if key == "license":
        link = front.get("license_link")
        if isinstance(link, str) and url_scheme(link) in ("http", "https"):
            return link
        spdx = cards.SPDX.get(value.lower())
        return f"https://spdx.org/licenses/{spdx}.html" if spdx else None
    if key in ("datasets", "base_model") and cards.HUB_ID.fullmatch(value):
        return f"https://huggingface.co/{'datasets/' if key == 'datasets' else ''}{value}"
    return None


def page_row(
    facts: PageFacts,
    url: str | None,
    refs: list[dict[str, Any]],
    meta: dict[str, Any],
    uncommitted: bool | None,
) -> dict[str, Any]:
    """The page's row in the manifest's ``pages``, from its published META."""
    return {
        "src": facts.src,
        "url": url,
        "artifact": facts.artifact.name if facts.artifact else None,
        "stage": facts.stage.name if facts.stage else None,
        "created": meta["page"]["created"],
        "updated": meta["page"]["updated"],
        "authors": meta["page"]["authors"],
        "uncommitted": uncommitted,
        "references": refs,
    } | (
        {
            "trained": {
                "commit": meta["artifact"].get("trained_commit"),
                "uncommitted": meta["artifact"]["trained_uncommitted"],
            },
            "stale": meta["artifact"]["stale"],
        }
        if meta["artifact"]
        else {}
    )


def page_uncommitted(
    facts: PageFacts,
    repo: git.RepoFacts | None,
    history: dict[str, git.FileHistory] | None,
    changed: frozenset[str],
    has_source: bool,
) -> bool | None:
    """Whether the page's source differs from HEAD: modified, staged, or never committed
    (CHANGED: the paths from the git root that differ from HEAD; HISTORY: the site's git
    history). None where git cannot tell: no repository (REPO), a page of another repository,
    or a page generated by a plugin (no source: HAS_SOURCE false)."""
    if repo is None or facts.no_history or not has_source:
        return None
    if facts.repo_path is None:
        return None
    if repo.commit is None:
        return True
    return facts.repo_path in changed or (history is not None and facts.history is None)


def training(
    site: SiteFacts, artifact: dvc.Artifact, found: tuple[str, Any] | None
) -> dict[str, Any]:
    """The card header's facts of how the artifact in the work tree was made: the commit
    that trained it, or that it was trained in the work tree and not committed; and, when
    the stage producing it (FOUND: producer and hash) is stale, what changed since."""
    owner = found[0] if found else None
    history = site.artifact_history  # reads git, once per artifact and build
    trained = history.trained(artifact) if history else None
    facts: dict[str, Any] = {"trained_uncommitted": bool(trained and trained.uncommitted)}
    commit = trained.commit if trained else None
    if commit is not None:
        facts |= {
            "trained_commit": commit.sha,
            "trained_date": commit.date or None,
            "trained_display": format_date(commit.date, site.date_format),
            "trained_subject": commit.subject,
        }
    verdict = site.verdicts.get(owner) if owner else None
    stale = verdict is not None and verdict.state == "stale"
    facts["stale"] = {"stage": owner, "reasons": verdict.reasons()} if verdict and stale else None
    return facts
