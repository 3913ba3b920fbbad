"""Verified links: ``commit:SHA``, ``artifact:NAME@VERSION`` (or ``artifact:NAME#STAGE``),
``stage:NAME``, ``data:PATH`` and ``experiment:NAME``, in a record's ``links:`` and in the
Markdown links of any page (``[the retrain](commit:9f1c2e7)``).

Each target is checked against git, GTO's registry and the DVC project (a ``broken_link``
finding with the page, the line and a "did you mean" when it does not resolve) and becomes a
real link: a commit to its page on the repository's host (``repo_url``), an artifact version
or stage to its section of the registry page, a stage to the page that documents it (or
draws the pipeline), a path to its data page. A record that links a model version that has
since been superseded or deprecated is a ``superseded_link`` finding: review the record.
"""

from __future__ import annotations

import bisect
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, Protocol

from mkdocs_mlplugin.checks.records import LINK_SCHEMES
from mkdocs_mlplugin.facts.dvc import Hashed, Project
from mkdocs_mlplugin.facts.registry import ArtifactEntry, Registry
from mkdocs_mlplugin.facts.site import SiteFacts
from mkdocs_mlplugin.findings import Finding, did_you_mean, visible
from mkdocs_mlplugin.pages.references import text_ranges
from mkdocs_mlplugin.pages.values import broken_pipeline

#: an inline Markdown link whose target names one of LINK_SCHEMES: [text](scheme:what "title")
MARKDOWN_LINK = re.compile(
    r"(?<!\!)\[(?P<text>[^\]\n]*)\]\(\s*<?(?P<target>(?:"
    + "|".join(LINK_SCHEMES)
    + r"):[^\s)>]*)>?(?P<title>\s+\"[^\"\n]*\")?\s*\)"
)
#: a reference-style link definition whose target names one of LINK_SCHEMES:
#: [id]: scheme:what "title"
DEFINITION = re.compile(
    r"^(?P<indent> {0,3})\[(?P<text>[^\]\n]+)\]:[ \t]*<?(?P<target>(?:"
    + "|".join(LINK_SCHEMES)
    + r"):[^\s>]*)>?(?P<title>[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$",
    re.MULTILINE,
)
#: a reference-style link, full ([text][id]), collapsed ([id][]) or shortcut ([id])
USAGE = re.compile(r"(?<![\]!\\])\[(?P<text>[^\]\n]+)\](?:\[(?P<id>[^\]\n]*)\])?(?![(:\[])")
_SHA = re.compile(r"[0-9a-fA-F]{4,40}")
#: hosts whose commit pages have a known address: host -> path after the repository
COMMIT_PATHS = {"github.com": "commit", "gitlab.com": "-/commit", "bitbucket.org": "commits"}


def anchor(name: str) -> str:
    """The id of an artifact's section on the registry page."""
    return "ml-registry-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower()


class Target(NamedTuple):
    """A link target: its SCHEME, the NAME it names, and an artifact's VERSION or STAGE."""

    scheme: str
    name: str
    version: str | None = None
    stage: str | None = None

    def __str__(self) -> str:
        tail = f"@{self.version}" if self.version else f"#{self.stage}" if self.stage else ""
        return f"{self.scheme}:{self.name}{tail}"


def parse(written: str) -> Target | None:
    """WRITTEN as a Target, or None when it names none of LINK_SCHEMES (a URL, a page)."""
    scheme, sep, rest = written.partition(":")
    if not sep or scheme not in LINK_SCHEMES:
        return None
    rest = urllib.parse.unquote(rest)
    if scheme == "artifact":
        if "@" in rest:
            name, _, version = rest.partition("@")
            return Target(scheme, name, version=version)
        if "#" in rest:
            name, _, stage = rest.partition("#")
            return Target(scheme, name, stage=stage)
    return Target(scheme, rest)


class Resolved(NamedTuple):
    """A target that resolves: the URL it links to (None: nothing to link to), what the
    link's title says, and why the record linking it is to be reviewed (None: no reason)."""

    url: str | None
    title: str
    review: str | None = None


class Pages(Protocol):
    """The addresses, from the page a link is on, of the pages links lead to."""

    @property
    def registry(self) -> str | None:
        """The registry page (registry_page), if the site has one."""

    def documenting(self, name: str) -> str | None:
        """The page documenting the stage or data path NAME (bound to it), if any."""

    def pipeline(self) -> str | None:
        """A page that draws the pipeline, if any."""


class Links:
    """Resolves link targets against one build's facts (SITE). COMMIT resolves a commit's SHA
    (to the full SHA, or None when the repository has none such); REPO_URL is the site's
    ``repo_url``; the pages a target leads to come from a Pages."""

    def __init__(
        self,
        site: SiteFacts,
        commit: Callable[[str], str | None],
        repo_url: str | None,
    ) -> None:
        self.site, self._commit, self.repo_url = site, commit, repo_url

    def resolve(self, target: Target, pages: Pages) -> Resolved | str:
        """TARGET resolved, or why it does not resolve."""
        if not target.name:
            return f"'{target.scheme}:' names nothing."
        if target.scheme == "commit":
            return self._commit_link(target.name)
        if target.scheme == "artifact":
            return self._artifact_link(target, pages.registry)
        if target.scheme == "stage":
            return self._stage_link(target.name, pages)
        if target.scheme == "data":
            return self._data_link(target.name, pages)
        return self._experiment_link(target.name)

    def _experiment_link(self, name: str) -> Resolved | str:
        """An experiment ``dvc exp run`` made (DVC's refs/exps): its commit's page."""
        reader = self.site.experiments
        if reader is None:
            return self.site.git_problem or "the site is not in a git repository."
        listed = reader.listed()
        found = [e for e in listed if e.name == name]  # newest first, one per baseline
        if not found:
            if reader.problem:
                return f"the experiments cannot be read: {reader.problem}"
            names = sorted({e.name for e in listed})
            known = f"Experiments: {', '.join(names[:10])}." if names else "There is none."
            return f"no experiment '{visible(name)}'.{did_you_mean(name, names)} {known}"
        commit = found[0].commit
        return Resolved(commit_url(self.repo_url, commit), f"experiment {name} ({commit[:7]})")

    def _commit_link(self, sha: str) -> Resolved | str:
        if not _SHA.fullmatch(sha):
            return "a commit is named by 4 to 40 hexadecimal characters of its SHA."
        if self.site.repo is None:
            return self.site.git_problem or "the site is not in a git repository."
        full = self._commit(sha)
        if full is None:
            shallow = self.site.repo.shallow
            why = (
                " (the checkout is shallow: fetch the full history, e.g. fetch-depth: 0)"
                if shallow
                else ""
            )
            return f"no commit {visible(sha)} in this repository{why}."
        return Resolved(commit_url(self.repo_url, full), f"commit {full[:7]}")

    def _artifact_link(self, target: Target, registry: str | None) -> Resolved | str:
        site, reg = self.site, self.site.registry
        gto_names = {site.registry_names.get(n, n): n for n in site.artifacts}
        name = site.registry_names.get(target.name, target.name)
        known = set(gto_names) | set(reg.artifacts if reg else ())
        if name not in known:
            if site.project is not None and (broken := broken_pipeline(site.project)):
                return f"no artifact '{visible(target.name)}' is known: {broken} cannot be read (see its error)."
            listed = ", ".join(sorted(known)) or "none"
            return f"no artifact '{visible(target.name)}'.{did_you_mean(name, known)} Artifacts: {listed}."
        url = f"{registry}#{anchor(name)}" if registry else None
        entry = reg.artifact(name) if reg else None
        if target.version is None and target.stage is None:
            deprecated = _deprecated(reg, entry) if reg and entry else None
            return Resolved(url, f"artifact {name}", deprecated)
        if reg is None or entry is None:
            return site.registry_problem or f"GTO has no registered version of '{name}'."
        if target.stage is not None:
            version = entry.stages.get(target.stage)
            if target.stage not in entry.stages:
                hint = did_you_mean(target.stage, entry.stages)
                return f"no stage '{visible(target.stage)}' in the registry.{hint} Stages: {', '.join(entry.stages) or 'none'}."
            if not version:
                return f"no version of '{name}' is in stage '{target.stage}'."
            return Resolved(url, f"{name} in {target.stage}: {', '.join(version)}")
        versions = [v.version for v in entry.versions]
        if target.version not in versions:
            hint = did_you_mean(str(target.version), versions)
            return (
                f"GTO has no version {visible(target.version)} of '{name}'.{hint} Versions: "
                f"{', '.join(versions) or 'none'}."
            )
        review = _deprecated(reg, entry)
        if review is None and entry.latest != target.version:
            review = f"version {target.version} of '{name}' has been superseded by {entry.latest}"
        return Resolved(url, f"{name} {target.version}", review)

    def _stage_link(self, name: str, pages: Pages) -> Resolved | str:
        project = self.site.project
        if project is None:
            return self.site.project_problem or "no DVC project."
        if name not in project.stages:
            if (broken := broken_pipeline(project, name)) is not None:
                return (
                    f"no stage '{visible(name)}' is known: {broken} cannot be read (see its error)."
                )
            return f"no stage '{visible(name)}'.{did_you_mean(name, project.stages)}"
        return Resolved(pages.documenting(name) or pages.pipeline(), f"stage {name}")

    def _data_link(self, path: str, pages: Pages) -> Resolved | str:
        project = self.site.project
        if project is None:
            return self.site.project_problem or "no DVC project."
        normal = posixpath.normpath(path)
        if normal.startswith("../") or normal == ".." or normal.startswith("/"):
            return "a data path is relative to the DVC project's root, inside it."
        if project.producer(normal) is None:
            inside = project.containing_out(normal)
            found = project.producer(inside) if inside else None
            if inside and found:
                return _inside_link(project, normal, inside, found, pages)
            hint = did_you_mean(normal, project.out_paths())
            return f"no stage or .dvc file outputs '{visible(normal)}'.{hint}"
        return Resolved(pages.documenting(normal), f"data {normal}")


def _inside_link(
    project: Project, path: str, out: str, found: tuple[str, Hashed], pages: Pages
) -> Resolved | str:
    """PATH inside the tracked directory OUT (FOUND: its stage or .dvc file and recorded
    hash), which DVC takes as a path of its own (``dvc ls``, ``dvc get``, ``dvc status``): a
    link to OUT's page. The file is said to exist only when OUT's listing (its ``.dir``
    object in the cache) names it; git holds only the directory's hash."""
    owner, hashed = found
    by = f"stage {owner}" if owner in project.stages else owner
    files = project.listing(hashed)
    if files is None:
        return Resolved(
            pages.documenting(out),
            f"data {path}: inside DVC-tracked {out} ({by}); its file list is not in the "
            "cache, so the file is not confirmed",
        )
    rel = path[len(out) + 1 :]
    if rel in files or any(f.startswith(rel + "/") for f in files):
        return Resolved(pages.documenting(out), f"data {path}, in {out} ({by})")
    hint = did_you_mean(path, (visible(f"{out}/{f}") for f in files))
    return f"the tracked directory '{out}' ({by}) holds no '{visible(rel)}'.{hint}"


def _deprecated(reg: Registry, entry: ArtifactEntry) -> str | None:
    """Why a record linking ENTRY is to be reviewed: the artifact was deprecated (GTO)."""
    if entry.active:
        return None
    when = next(
        (
            f" on {e.timestamp[:10]}"
            for e in reg.history
            if e.artifact == entry.name and e.event == "deprecation"
        ),
        "",
    )
    return f"artifact '{entry.name}' was deprecated in the registry{when}"


def commit_url(repo_url: str | None, sha: str) -> str | None:
    """The page of commit SHA on the host of REPO_URL (GitHub, GitLab, Bitbucket, or a
    self-hosted GitLab, whose host names it); None for another host or an unsafe URL."""
    if not repo_url:
        return None
    parts = urllib.parse.urlsplit(repo_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    path = COMMIT_PATHS.get(host) or ("-/commit" if "gitlab" in host.split(".") else None)
    if path is None:
        return None
    base = parts.path.rstrip("/").removesuffix(".git").rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{base}/{path}/{sha}", "", ""))


class Written(NamedTuple):
    """A link written in a page's Markdown: where (START, END), its text, target and line."""

    start: int
    end: int
    text: str
    target: Target
    title: str | None
    line: int
    indent: str | None = None  # a reference-style definition's indentation; None: inline


def outside_code(markdown: str) -> Callable[[int], bool]:
    """Whether a position of MARKDOWN is outside fenced and inline code."""
    ranges = text_ranges(markdown)
    starts = [start for start, _ in ranges]

    def outside(pos: int) -> bool:
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and pos < ranges[i][1]

    return outside


def scan(markdown: str, first_line: int) -> Iterator[Written]:
    """The Markdown links of MARKDOWN (outside code) whose target names a LINK_SCHEMES:
    inline links, and reference-style definitions, in order."""
    if not any(f"{scheme}:" in markdown for scheme in LINK_SCHEMES):
        return
    outside = outside_code(markdown)
    # a link stands on one line; its text may hold code (`src/train.py`), its brackets and
    # target may not be in code
    found = [(m, None) for m in MARKDOWN_LINK.finditer(markdown)] + [
        (m, m.group("indent")) for m in DEFINITION.finditer(markdown)
    ]
    for m, indent in sorted(found, key=lambda item: item[0].start()):
        if not (outside(m.start()) and outside(m.start("target"))):
            continue
        target = parse(m.group("target"))
        if target is None:
            continue
        line = first_line + markdown.count("\n", 0, m.start())
        title = m.group("title")
        yield Written(
            m.start(),
            m.end(),
            m.group("text"),
            target,
            title.strip()[1:-1] if title else None,
            line,
            indent,
        )


def commits_named(markdown: str, targets: Iterable[object]) -> list[str]:
    """The commits that MARKDOWN's links and TARGETS (written link targets) name, as they
    name them: those ``Links`` asks its COMMIT for."""
    parsed: list[Target | None] = [w.target for w in scan(markdown, 1)]
    parsed += [parse(t) for t in targets if isinstance(t, str)]
    return [
        t.name for t in parsed if t is not None and t.scheme == "commit" and _SHA.fullmatch(t.name)
    ]


def unlink(markdown: str, ids: set[str]) -> str:
    """MARKDOWN with each reference-style link to one of IDS (lower case: link definitions
    that were taken out) written as its text, outside code."""
    if not ids:
        return markdown
    outside = outside_code(markdown)

    def text(m: re.Match[str]) -> str:
        named = (m.group("id") or m.group("text")).lower()
        return m.group("text") if named in ids and outside(m.start()) else m.group(0)

    return USAGE.sub(text, markdown)


def finding(target: Target | str, why: str, src: str, line: int | None) -> Finding:
    """The ``broken_link`` finding of a link to TARGET that does not resolve (WHY)."""
    return Finding("broken_link", f"link '{visible(target)}': {why}", src, line)
