"""The reading of one build: git, DVC and the GTO registry, once for the whole site
(``SiteReader``). It fills the build's ``SiteFacts`` (and one view of it per other DVC
project of the site), adds what it cannot read as findings, and answers the two costly
questions pages ask only sometimes (when an artifact was trained, which registered version
the model in the work tree is; see ``facts.site.ArtifactHistory``).

Git runs in threads of its own (``start_git``) while MkDocs collects the files and the
reader reads the DVC files; ``read_git``, ``join_history`` and ``read_registry`` wait for
them. What a serve rebuild may reuse is kept in the build's ``Session``.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mkdocs.plugins import get_plugin_logger

from mkdocs_mlplugin.checks import drift, pipeline
from mkdocs_mlplugin.config import MLConfig
from mkdocs_mlplugin.facts import compare, dvc, experiments, git, registry, timeline
from mkdocs_mlplugin.facts.site import SiteFacts, Trained, relative, repo_prefix
from mkdocs_mlplugin.findings import Finding, FindingError, Findings

if TYPE_CHECKING:
    from mkdocs_mlplugin.build import Session

T = TypeVar("T")
log = get_plugin_logger("mlplugin")
# the repository and what threads read of it: facts, tag listing, history (None: reused)
_GitStart = tuple[
    "git.GitRepo",
    "Future[git.RepoFacts]",
    "Future[bytes]",
    "Future[git.Histories] | None",
]


class SiteReader:
    """Reads git, DVC and the registry for one build into SITE, in the order ``Build.read``
    calls: ``start_git`` (threads), ``read_git``, ``read_dvc``, ``join_history``,
    ``docs_dirty``, ``read_registry``. Findings go to FINDINGS (the build's). Its
    ``trained`` and ``model_version`` are the site's ``artifact_history``; ``blobs`` is the
    build's one ``git cat-file`` for old DVC files, which ``close_blobs`` ends."""

    def __init__(
        self,
        options: MLConfig,
        session: Session,
        config_dir: Path,
        docs_dir: Path | None,
        findings: Findings,
    ) -> None:
        self.options, self.session = options, session
        self.config_dir, self.docs_dir = config_dir, docs_dir
        self.findings = findings
        self.site = SiteFacts(
            date_format=options.date_format,
            show_emails=options.show_emails,
            co_authors=options.co_authors,
            artifact_history=self,
            drawn_plots=session.plots,
            plot_timeout=options.plots_timeout,
        )
        # the site's other DVC projects (dvc_root: [a, b]): root -> the facts as that project's
        # pages see them
        self.views: dict[Path, SiteFacts] = {}
        self.repo: git.GitRepo | None = None
        self.git_root: Path | None = None
        # paths (from the git root) that differ from HEAD, untracked ones included
        self.uncommitted: frozenset[str] = frozenset()
        self._git_start: _GitStart | FindingError | None = None
        self._history_job: tuple[Any, Future[git.Histories]] | None = None
        self._tags_job: Future[bytes] | None = None
        # the registry, read while git log runs (join_history): read_registry takes it
        self._registry: registry.Registry | FindingError | None = None
        # the build's git cat-file process for old dvc.lock and .dvc files, once started
        self._blob_reader: tuple[git.BlobReader, drift.Blobs] | None = None
        # old DVC files parsed, by content and path: each artifact's versions share them
        self._parsed_blobs: dict[tuple[bytes, str], Any] = {}
        self._trained: dict[str, Trained | None] = {}  # artifact -> when it was trained
        # (project root, artifact) -> registry.model_version
        self._model_versions: dict[tuple[Path, str], dict[str, Any] | None] = {}

    # ------------------------------------------------------------------ git

    def start_git(self) -> None:
        """Open the git repository and start reading it in threads (git runs in processes of
        its own) while MkDocs collects the files and the reader reads the DVC files: the
        facts (commit, branch, tags, status), the tag listing for the registry, and the
        history unless a serve rebuild of this repository may reuse it. read_git,
        read_registry and join_history wait for them."""
        try:
            repo = git.open_repo(self.config_dir)
        except FindingError as exc:
            self._git_start = exc
            return
        tags = _in_background(registry.list_tags, repo)
        facts = _in_background(repo.facts)
        reusable = self.session.history is not None and self.session.history[0][0] == repo.root
        history = None if reusable else _in_background(repo.history, ["."])
        self._git_start = repo, facts, tags, history

    def read_git(self) -> None:
        site = self.site
        if self._git_start is None:
            self.start_git()
        started, self._git_start = self._git_start, None
        try:
            if isinstance(started, FindingError):
                raise started
            assert started is not None  # noqa: S101  # start_git has just set it
            repo, facts, tags, history = started
            site.repo = facts.result()  # git cannot read the repository: the threads fail too
        except FindingError as exc:
            site.git_problem = site.history_problem = exc.finding.message
            self.findings.add(exc.finding)
            return
        self.repo, self.git_root, self._tags_job = repo, repo.root, tags
        self.uncommitted = frozenset(site.repo.changed)
        if repo.partial:
            self.findings.add(Finding("git_history", git.partial_clone_problem(repo.partial)))
        if site.repo.shallow:
            site.history_problem = (
                "the git checkout is shallow, so page dates and authors would be wrong; they are "
                "shown as unknown. Fetch the full history (actions/checkout: 'fetch-depth: 0')."
            )
            self.findings.add(Finding("git_history", site.history_problem))
            return
        if site.repo.commit is None:
            site.history = {}
            return
        # The whole repository, not just docs_dir: a page moved into docs/ from elsewhere keeps
        # its history only if git sees both sides of the rename.
        key = (repo.root, site.repo.commit)
        if self.session.history is not None and self.session.history[0] == key:
            site.history = self.session.history[1]  # mkdocs serve: nothing was committed since
            self.findings.extend(self.session.history[1].problems())
            return
        self._history_job = (key, history or _in_background(repo.history, ["."]))

    def join_history(self) -> None:
        """Wait for the git history started by read_git, if it still runs; the registry is
        read meanwhile (its tags are listed by then, and git log runs in a process of its
        own)."""
        if self._history_job is None:
            return
        self._read_registry_ahead()
        key, job = self._history_job
        self._history_job = None
        try:
            found = job.result()
            self.site.history, self.session.history = found, (key, found)
            self.findings.extend(found.problems())
        except FindingError as exc:
            self.site.history_problem = exc.finding.message
            self.findings.add(exc.finding)

    def docs_dirty(self, pages: Iterable[tuple[str | None, Path | None]]) -> None:
        """Count the docs as uncommitted changes too: the site is dirty when docs_dir holds a
        file that differs from HEAD (untracked ones included), or a page git has never
        committed (one git ignores). PAGES: each page's path from the git root and the root
        of the nested repository holding it (see Build._place), asked only when needed."""
        site = self.site
        if site.repo is None or site.repo.dirty or self.git_root is None:
            return
        docs = relative(self.docs_dir, self.git_root, resolved=True) if self.docs_dir else None
        if docs is None:
            return
        under = "" if docs == "." else docs + "/"
        dirty = any(path.startswith(under) for path in self.uncommitted)
        if not dirty and site.history is not None:
            for path, other in pages:
                if other is None and path is not None and path not in site.history:
                    dirty = True
                    break
        if dirty:
            site.repo = dataclasses.replace(site.repo, dirty=True)

    # ------------------------------------------------------------------ DVC

    def read_dvc(self) -> None:
        site = self.site
        roots = self.options.dvc_root
        roots = [roots] if isinstance(roots, str) else list(roots or [])
        if not all(isinstance(r, str) and r for r in roots):
            site.project_problem = (
                "the plugin's 'dvc_root' option must be a directory, or a list of directories, "
                f"relative to mkdocs.yml; it is {roots!r}."
            )
            self.findings.add(Finding("invalid_project_file", site.project_problem, "mkdocs.yml"))
            return
        configured = self.config_dir / roots[0] if roots else None
        try:
            root = dvc.find_project(self.config_dir, self.git_root, configured)
            others = [
                dvc.find_project(self.config_dir, None, self.config_dir / r) for r in roots[1:]
            ]
        except FindingError as exc:
            site.project_problem = exc.finding.message
            self.findings.add(exc.finding)
            return
        if root is None:
            site.project_problem = (
                f"no DVC project was found at or above {self.config_dir} (no .dvc directory): "
                "run 'dvc init', or set the plugin's 'dvc_root' option."
            )
            log.debug(site.project_problem)
            return
        project = self.session.project = self._load_project(root, self.session.project)
        site.project = project
        self.join_history()  # the verdicts of directory deps look at their history
        site.verdicts = self._check_pipeline(project)
        for other in others:
            if other is None or other.resolve() in (project.root, *self.views):
                continue
            loaded = self.session.others[other.resolve()] = self._load_project(
                other, self.session.others.get(other.resolve())
            )
            # the rest of the view (registry names, metrics history) once the registry is read
            self.views[loaded.root] = dataclasses.replace(
                site, project=loaded, verdicts=self._check_pipeline(loaded)
            )

    def _load_project(self, root: Path, previous: dvc.Project | None) -> dvc.Project:
        """The DVC project at ROOT (PREVIOUS reused where its files did not change), its
        problems added as findings."""
        project = dvc.load_project(root.resolve(), previous=previous)
        for finding in project.findings:
            file = finding.file
            # the finding of a file that cannot be read is the root of what that file blocks
            broken = file in project.unreadable and project.unreadable[file] == finding.message
            self.findings.add(
                Finding(finding.kind, finding.message, self.shown(project, file), finding.line),
                root=f"file:{file}" if broken else None,
            )
        log.debug("read %d DVC files in %s", len(project.files_read), root)
        return project

    def shown(self, project: dvc.Project, file: str | None) -> str | None:
        """A project-relative path as findings show it: relative to mkdocs.yml's directory."""
        if file is None:
            return None
        return os.path.relpath(project.root / file, self.config_dir).replace(os.sep, "/")

    def _check_pipeline(self, project: dvc.Project) -> dict[str, pipeline.Verdict]:
        """Decide, from metadata alone, which stages are stale."""
        try:
            verdicts = pipeline.check_pipeline(
                project, self.repo, self.site.repo, self.site.history, self.session.hasher
            )
        except FindingError as exc:
            self.findings.add(exc.finding)
            return {}
        for verdict in verdicts.values():
            stage = project.stages[verdict.stage]
            where = self.shown(project, stage.dvcfile)
            if verdict.state == pipeline.STALE:
                self.findings.add(
                    Finding(
                        "stale_pipeline",
                        f"stage '{stage.name}' is stale: {'; '.join(verdict.reasons())}. "
                        f"{_repro_advice(project, stage)}",
                        where,
                        stage.line,
                    )
                )
            elif verdict.state == pipeline.UNVERIFIABLE:
                self.findings.add(
                    Finding(
                        "unverifiable_stage",
                        f"stage '{stage.name}' cannot be fully checked without its data: "
                        f"{'; '.join(verdict.unverifiable)}.",
                        where,
                        stage.line,
                    )
                )
        return verdicts

    # ------------------------------------------------------------------ registry

    def read_registry(self) -> None:
        """GTO versions and stages from the repository's tags (one git process) and GTO's
        artifacts.yaml; then every artifact a page may name."""
        self._read_tags()
        for site in (self.site, *self.views.values()):
            self._gather_artifacts(site)

    def _read_registry_ahead(self) -> None:
        """Read the registry from the listed tags now, for _read_tags (which reports it)."""
        if self.repo is None or self._tags_job is None or self._registry is not None:
            return
        tags, self._tags_job = self._tags_job, None
        try:
            self._registry = registry.read(self.repo, self.session.registry, tags.result())
        except FindingError as exc:
            self._registry = exc

    def _read_tags(self) -> None:
        site, repo, project = self.site, self.repo, self.site.project
        if repo is None:
            site.registry_problem = site.git_problem
            return
        self._read_registry_ahead()
        read, self._registry = self._registry, None
        try:
            if isinstance(read, FindingError):
                raise read
            if read is None:  # no tag listing was started
                read = registry.read(repo, self.session.registry)
            site.registry = reg = self.session.registry = read
        except FindingError as exc:
            site.registry_problem = exc.finding.message
            self.findings.add(exc.finding)
            return
        for name, date in reg.undated:
            message = (
                f"GTO tag '{name}' has the tagger date '{date}', which is no calendar date (a zone "
                "beyond +/-23:59, or a year after 9999): the registry leaves the tag out. Tag "
                "again with a real date."
            )
            self.findings.add(Finding("registry", message))
        for problem in reg.problems:
            shown = os.path.relpath(repo.root / (problem.file or ""), self.config_dir)
            self.findings.add(dataclasses.replace(problem, file=shown.replace(os.sep, "/")))
        log.debug(
            "registry: %d tags, %d GTO events, %d not GTO tags, %d lightweight (ignored by GTO)",
            reg.tags,
            len(reg.history),
            len(reg.ignored),
            len(reg.lightweight),
        )
        if site.repo is not None and site.repo.shallow:
            site.registry_problem = (
                "the checkout is shallow and has no tags, so the model registry (GTO tags) is "
                "empty here: fetch them (actions/checkout: 'fetch-depth: 0', or 'git fetch --tags')."
                if not reg.history
                else "the checkout is shallow, so it has only the tags of the commits it fetched and "
                "the model registry (GTO tags) may be incomplete: fetch the full history and tags "
                "(actions/checkout: 'fetch-depth: 0', or 'git fetch --tags')."
            )
            if project is not None and project.artifacts:
                self.findings.add(Finding("registry", site.registry_problem))
        if project is not None:
            _name_artifacts(site, project, repo)
        for root, view in self.views.items():
            self.views[root] = dataclasses.replace(
                site, project=view.project, verdicts=view.verdicts, registry_names={}
            )
            _name_artifacts(self.views[root], self.session.others[root], repo)

    def _gather_artifacts(self, site: SiteFacts) -> None:
        """Every artifact a page of SITE's project may name: its dvc.yaml artifacts, then
        those only GTO knows (artifacts.yaml, tags)."""
        project, repo = site.project, self.repo
        site.artifacts = dict(project.artifacts) if project else {}
        if site.registry is None or repo is None:
            return
        prefix = repo_prefix(project, repo) if project else None
        taken = set(site.registry_names.values()) | set(site.artifacts)
        for name in sorted(site.registry.artifacts):
            if name not in taken:
                site.artifacts[name] = gto_artifact(name, site.registry, project, prefix)
                site.registry_names[name] = name

    # ------------------------------------------------------------------ old versions

    def trained(self, artifact: dvc.Artifact) -> Trained | None:
        """When the artifact as the work tree records it was trained (see facts.site.Trained);
        None when that is unknown: no hash recorded, no git history. Once per artifact and
        build."""
        if artifact.name not in self._trained:
            self._trained[artifact.name] = self._read_trained(artifact)
        return self._trained[artifact.name]

    def _read_trained(self, artifact: dvc.Artifact) -> Trained | None:
        repo, history = self.repo, self.site.history
        projects = [v.project for v in (self.site, *self.views.values()) if v.project]
        owning = [p for p in projects if p.artifacts.get(artifact.name) is artifact]
        if not owning or repo is None or history is None:
            return None
        project = owning[0]
        subject = drift.subject_of(project, artifact, None)
        if subject is None or subject.current is None:
            return None
        repo_path = repo_prefix(project, repo) + subject.file
        try:
            blobs = self.blobs(repo)
            head = blobs.get(f"HEAD:{repo_path}")
            if isinstance(head, drift.Unreadable):
                return None  # reported by check_docs with the other unreadable versions
            if subject.extract(head) != subject.current:
                return Trained(None, uncommitted=True)
            file_history = history.get(repo_path)
            commits = file_history.commits if file_history else []
            versions = drift.versions(subject, commits, blobs, repo_path)
            return Trained(drift.last_change(versions), uncommitted=False)
        except FindingError as exc:  # git stopped answering (a partial clone lacks a version)
            self.findings.add(exc.finding)
            self.close_blobs()  # what it would answer now is nothing: the next start afresh
            return None

    def model_version(self, site: SiteFacts, artifact: dvc.Artifact) -> dict[str, Any] | None:
        """Which registered version the artifact in the work tree is, as SITE's project and
        registry name it (None without them): by its md5 against the md5 that dvc.lock (or
        its .dvc file) records at each registered version's commit, read by the build's one
        ``git cat-file --batch`` (see blobs)."""
        project, repo, reg = site.project, self.repo, site.registry
        if project is None or repo is None or reg is None:
            return None
        key = (project.root, artifact.name)
        if key in self._model_versions:
            return self._model_versions[key]
        entry = reg.artifact(site.registry_names.get(artifact.name, artifact.name))
        subject = drift.subject_of(project, artifact, None)
        found = None
        if entry is not None and subject is not None:
            prefix = repo_prefix(project, repo)
            commits = [v.commit for v in entry.versions if v.registered]
            specs = [f"{c}:{prefix}{subject.file}" for c in commits]
            self.blobs(repo)  # the build's reader, shared with the headers and doc drift
            assert self._blob_reader is not None  # noqa: S101  # blobs has just started it
            reader = self._blob_reader[0]
            raw: dict[str, bytes | None] = {}

            def read(spec: str) -> bytes | None:
                if spec not in raw:
                    try:
                        raw[spec] = reader.get(spec)
                    except FindingError as exc:  # git stopped: the reader answers None now
                        self.findings.add(exc.finding)
                        raw[spec] = None
                return raw[spec]

            # parsed apart from the shared cache, so that its unreadable versions are its own
            blobs = drift.Blobs(read, self._parsed_blobs)
            md5_at: dict[str, str | None] = {}
            for commit, spec in zip(commits, specs, strict=True):
                if commit != entry.latest_commit and not _may_record(read(spec), subject.current):
                    md5_at[commit] = registry.OTHER_MD5  # only whether it is HEAD's is asked
                    continue
                data = blobs.get(spec)
                md5 = None if isinstance(data, drift.Unreadable) else subject.extract(data)
                md5_at[commit] = md5 if isinstance(md5, str) else None
            self.unreadable_versions(repo, blobs.unreadable(), "the registered versions' hashes")
            found = registry.model_version(entry, subject.current, md5_at)
        self._model_versions[key] = found
        return found

    def blobs(self, repo: git.GitRepo) -> drift.Blobs:
        """Old dvc.lock and .dvc files, parsed, from one ``git cat-file --batch`` that the
        model card headers and the doc drift checks of this build share."""
        if self._blob_reader is None:
            reader = repo.blob_reader()
            self._blob_reader = (reader, drift.Blobs(reader.get, self._parsed_blobs))
        return self._blob_reader[1]

    def commit(self, repo: git.GitRepo, rev: str) -> str | None:
        """The full id of the commit REV names, asked of the build's git cat-file (one
        process for all of a build's commit links, not one git per link); None when none."""
        return self.commits(repo, [rev])[rev]

    def commits(self, repo: git.GitRepo, revs: Iterable[str]) -> dict[str, str | None]:
        """``commit`` of each of REVS, asked of git at once."""
        self.blobs(repo)
        assert self._blob_reader is not None  # noqa: S101  # blobs has just started it
        try:
            return self._blob_reader[0].commits(revs)
        except FindingError as exc:  # git stopped: the next asks start another
            self.close_blobs()
            raise exc from None

    def close_blobs(self) -> None:
        """End the build's git cat-file for old DVC files, if one was started."""
        reader, self._blob_reader = self._blob_reader, None
        if reader is not None:
            reader[0].close()

    def unreadable_versions(
        self, repo: git.GitRepo, unreadable: dict[str, drift.Unreadable], what: str
    ) -> None:
        """A finding for each old version of a DVC file that could not be read (specs
        'commit:path', the path from the git root)."""
        for spec, bad in sorted(unreadable.items()):
            commit, path = spec.split(":", 1)
            where = f" (line {bad.line} there)" if bad.line else ""
            self.findings.add(
                Finding(
                    "git_history",
                    f"{path} as committed in {commit[:12]} cannot be read{where}, so {what} "
                    f"skips that version: {bad.reason}",
                    os.path.relpath(repo.root / path, self.config_dir).replace(os.sep, "/"),
                )
            )


def gto_artifact(
    name: str, reg: registry.Registry, project: dvc.Project | None, prefix: str | None
) -> dvc.Artifact:
    """An artifact only GTO knows: from its artifacts.yaml (type, path, description, labels,
    as ``gto`` reads them), else from its tags alone. Its path is made relative to the DVC
    project (PREFIX: the project's directory from the git root), so that DVC's hash and size
    of that output are found as for a dvc.yaml artifact; None outside the project."""
    declared = reg.declared.get(name)
    if declared is None:
        return dvc.Artifact(name, "", None, source="gto tags")
    gto_path = declared["path"]
    path = None
    if isinstance(gto_path, str) and gto_path.strip() and project is not None:
        normal = posixpath.normpath(gto_path.replace("\\", "/"))
        inside = normal[len(prefix or "") :] if normal.startswith(prefix or "") else None
        if inside and not inside.startswith(("/", "../")) and inside != "..":
            path = inside if project.contains(inside) else None
    custom = declared["custom"]
    return dvc.Artifact(
        name,
        reg.index,
        path,
        type=declared["type"],
        desc=declared["description"] or None,
        labels=list(declared["labels"]),
        meta=custom if isinstance(custom, dict) else {},
        source="artifacts.yaml",
        gto_path=gto_path,
    )


def _name_artifacts(site: SiteFacts, project: dvc.Project, repo: git.GitRepo) -> None:
    """What GTO calls PROJECT's artifacts (names from the git root), and how to read the
    metrics its dvc.yaml files declared at any commit, into SITE."""
    prefix = repo_prefix(project, repo)
    registered = site.registry.artifacts if site.registry else {}
    for artifact in project.artifacts.values():
        bare = artifact.name.rsplit(":", 1)[-1]
        path = prefix + artifact.dvcfile  # GTO names from the git root
        if path == "dvc.yaml":
            site.registry_names[artifact.name] = bare
            continue
        # DVC (dvc artifacts get, Artifacts.get_rev) and Studio name an artifact of
        # path/to/dvc.yaml 'path/to:name' (tags 'path/to=name@v1.0.0'); GTO also takes
        # 'path/to/dvc.yaml:name', which only GTO finds: the name tags use where only it is
        dvc_name = f"{posixpath.dirname(path)}:{bare}"
        gto_only = f"{path}:{bare}"
        use_gto = gto_only in registered and dvc_name not in registered
        site.registry_names[artifact.name] = gto_only if use_gto else dvc_name
    site.past_metrics = timeline.PastMetrics(project, site.history, prefix, repo)
    site.revisions = compare.Revisions(site.past_metrics)
    site.experiments = experiments.Experiments(site.revisions)


def _may_record(data: bytes | None, md5: object) -> bool:
    """Whether DATA, a dvc.lock or .dvc file, may record MD5: only then is it parsed. A file
    that does not hold MD5's text cannot, unless YAML escapes (a backslash) spell it."""
    if data is None or not isinstance(md5, str) or not md5:
        return False
    return md5.encode("utf-8", "surrogateescape") in data or b"\\" in data


def _in_background(work: Callable[..., T], *args: Any) -> Future[T]:
    """WORK(*ARGS) in a thread of its own: git runs while Python reads the DVC files."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="mlplugin-git")
    try:
        return pool.submit(work, *args)
    finally:
        pool.shutdown(wait=False)


def _repro_advice(project: dvc.Project, stage: dvc.Stage) -> str:
    """How to bring STAGE up to date: 'dvc repro', after 'dvc pull' when some of its inputs
    are DVC-tracked data with a recorded hash that is not in the workspace (never pulled),
    where 'dvc repro' alone fails on missing data."""
    absent = [
        dep
        for dep in stage.deps
        if _pullable(project, dep) and not os.path.lexists(project.root / dep)
    ]
    if absent:
        shown = ", ".join(absent[:3]) + (", ..." if len(absent) > 3 else "")
        return (
            f"Run 'dvc pull' ({shown} {'is' if len(absent) == 1 else 'are'} not in the "
            f"workspace), then 'dvc repro {stage.name}', and commit dvc.lock."
        )
    return f"Run 'dvc repro {stage.name}' and commit dvc.lock."


def _pullable(project: dvc.Project, dep: str) -> bool:
    """Whether DEP is DVC-tracked data that 'dvc pull' can bring: an output of a .dvc file or
    a stage that recorded its hash, or a path inside a tracked directory."""
    if project.external(dep):
        return False
    found = project.producer(dep)
    if found is not None:
        return found[1].md5 is not None
    return project.containing_out(dep) is not None
