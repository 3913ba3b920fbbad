"""What one build knows (``SiteFacts``) and what it knows of one page (``PageFacts``).

Where this sits: the build's reader (``facts.reader.SiteReader``: git, DVC, the registry)
fills a SiteFacts once per build (one per DVC project the site reads), and the build a
PageFacts per page; everything downstream (``pages.values``, ``pages.blocks``,
``pages.generated``) answers references from them and reads nothing else. Three facts are read
only when a page asks, because reading them is costly and most builds never do; each is asked
of a named reader object, never of a bare function the build installs:

- ``past_metrics`` (``facts.timeline.PastMetrics``): the metrics of past commits, the one place
  pages read past commits (only a metrics-history block needs them);
- ``revisions`` (``facts.compare.Revisions``): the metrics, params and outputs of the
  revisions a metrics-diff or params-diff block (or ``mkdocs-ml report``) compares;
- ``experiments`` (``facts.experiments.Experiments``): DVC's experiments, from the git refs
  ``dvc exp run`` keeps (only an experiments block reads them);
- ``artifact_history`` (``ArtifactHistory``, the build's ``SiteReader``): ``trained``, when
  the artifact the work tree records was trained, and ``model_version``, which registered
  version the model in the work tree is; both read old dvc.lock and .dvc files from git.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Protocol

from mkdocs_mlplugin.checks.pipeline import Verdict
from mkdocs_mlplugin.facts.compare import Revisions
from mkdocs_mlplugin.facts.dvc import Artifact, Project, Stage
from mkdocs_mlplugin.facts.experiments import Experiments
from mkdocs_mlplugin.facts.git import Commit, FileHistory, GitRepo, RepoFacts
from mkdocs_mlplugin.facts.registry import Registry
from mkdocs_mlplugin.facts.timeline import PastMetrics


@dataclasses.dataclass(frozen=True)
class Trained:
    """When the artifact the work tree records was trained: the commit that gave dvc.lock (or
    its .dvc file) the hash it records now, or, when that hash is not the one HEAD records, the
    work tree itself (a retrain not committed yet)."""

    commit: Commit | None
    uncommitted: bool


class ArtifactHistory(Protocol):
    """What the work tree's artifacts are in git's history, read from old dvc.lock and .dvc
    files once per artifact and build (``facts.reader.SiteReader`` is the one there is)."""

    def trained(self, artifact: Artifact, /) -> Trained | None:
        """When the artifact the work tree records was trained (None: unknown: no hash
        recorded, no git history)."""
        ...

    def model_version(self, site: SiteFacts, artifact: Artifact, /) -> dict[str, Any] | None:
        """Which registered version the model in the work tree is, as SITE's project and
        registry name it (``registry.model_version``: its md5 against the one recorded at
        each registered version's commit); None when unknown."""
        ...


@dataclasses.dataclass
class SiteFacts:
    """What the build knows: git state and history, the DVC project, the registry, and the
    readers of what is read only when a page asks (see the module's docstring)."""

    repo: RepoFacts | None = None
    git_problem: str | None = None  # why git facts are missing, when they are
    history: dict[str, FileHistory] | None = None  # None: history unknown (no git, shallow)
    history_problem: str | None = None
    project: Project | None = None
    project_problem: str | None = None
    verdicts: dict[str, Verdict] = dataclasses.field(default_factory=dict)
    registry: Registry | None = None
    registry_problem: str | None = None
    registry_names: dict[str, str] = dataclasses.field(default_factory=dict)  # ours -> GTO's
    # every artifact a page may name: dvc.yaml's, then those only GTO knows (artifacts.yaml, tags)
    artifacts: dict[str, Artifact] = dataclasses.field(default_factory=dict)
    # the metrics files each past commit's dvc.yaml files declared, with their values
    past_metrics: PastMetrics | None = None
    # revisions to compare (metrics-diff, params-diff, the pull-request report): their metrics,
    # params and outputs, each (commit, file) read once per build
    revisions: Revisions | None = None
    # DVC's experiments (refs/exps), with their params and metrics, read when a page asks
    experiments: Experiments | None = None
    artifact_history: ArtifactHistory | None = None  # None: nothing can tell
    # plots drawn as SVG, by the hash of their Vega-Lite specification (``render.plots.key``):
    # the Session's, so that a serve rebuild draws only the plots whose data changed
    drawn_plots: dict[str, str] = dataclasses.field(default_factory=dict)
    # draws plots in the background while pages are converted (``pages.plots.Drawer``); None:
    # a plot is drawn where its block is (the Markdown extension, mkdocs-ml check)
    plot_drawer: Any = None
    # image plots to copy into the site, by their path there (``pages.plots.IMAGE_DIR``); None:
    # no site is written (the Markdown extension, ``mkdocs-ml check``)
    plot_images: dict[str, bytes] | None = None
    plot_timeout: float = 60.0  # seconds a plot may take to be drawn (``plots_timeout``)
    date_format: str = "%Y-%m-%d"
    show_emails: bool = False
    co_authors: bool = True  # Co-authored-by: trailers count as authors


@dataclasses.dataclass
class PageFacts:
    """One page: its source file, its git history and what its front matter binds it to."""

    src: str  # shown in findings, relative to mkdocs.yml's directory
    repo_path: str | None  # relative to the git root, to look up history
    history: FileHistory | None = None
    artifact: Artifact | None = None
    stage: Stage | None = None
    data: str | None = None  # a datasheet's data path (ml: {data: PATH}), from the project
    meta: dict[str, Any] | None = None  # what page.meta['ml'] holds, once published
    no_history: str | None = None  # why the page's git history is not read, when it is not
    # why no DVC fact can be given on this page: it lies in a DVC project the site does not read
    foreign_project: str | None = None
    project_root: Path | None = None  # the DVC project holding the page, if any
    binding_failed: bool = False  # the page's 'ml:' binding names what does not exist


def relative(path: Path, base: Path | None, resolved: bool = False) -> str | None:
    """PATH relative to BASE (a resolved directory), or None when it is not inside it: where
    a page or a DVC project sits from the git root or mkdocs.yml's directory."""
    if base is None:
        return None
    try:
        return (path if resolved else path.resolve()).relative_to(base).as_posix()
    except ValueError:
        return None


def repo_prefix(project: Project, repo: GitRepo) -> str:
    """How project-relative paths start from the git root: "" or "sub/dir/"."""
    base = relative(project.root, repo.root) or "."
    return "" if base == "." else base + "/"
