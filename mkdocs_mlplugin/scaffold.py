"""``mkdocs-ml init``: a documentation skeleton for an existing git + DVC repository.

``survey`` reads the repository the way a build reads it (``facts.reader.SiteReader``: the same
guards, the same findings) and looks at what the docs already hold; ``plan`` (pure) decides,
from that survey alone, which files the skeleton has and what each says: a model card per
model artifact, a data page per dataset artifact and one for the data ``.dvc`` files track, a
pipeline page, the registry and timeline pages as options, an mkdocs.yml and a GitHub Actions
workflow.
``write`` creates the planned files that do not exist yet, and nothing else: a file that exists
is never opened for writing.

Every page references only facts that exist now (a hash DVC recorded, metrics in the work
tree, params a stage reads), so the skeleton builds with ``mkdocs build --strict`` at once.
Names from the repository are untrusted: they reach paths only as slugs of safe characters,
YAML only as double-quoted escaped scalars, Markdown only as ``render.text``.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from mkdocs_mlplugin import REQUIREMENT, guards
from mkdocs_mlplugin.checks.cards import PLACEHOLDER, PRESETS
from mkdocs_mlplugin.config import MLConfig
from mkdocs_mlplugin.facts import dvc
from mkdocs_mlplugin.findings import Finding, FindingError, Findings
from mkdocs_mlplugin.pages import references
from mkdocs_mlplugin.render import text as md

MODEL_TYPES = ("model",)
DATA_TYPES = ("dataset", "data")
WORKFLOW = ".github/workflows/docs.yml"
#: what each section of the presets asks for, in the placeholder under its heading
GUIDANCE = {
    "model details": "who developed the model and when, its version, its type and "
    "architecture, how it was trained, the licence, and where to send questions.",
    "intended use": "the primary uses and users the model was made for, and uses it is not "
    "fit for.",
    "factors": "the groups, instruments and environments whose differences may change how "
    "well the model works, and which of them were evaluated.",
    "metrics": "which measures of performance are reported and why, the decision thresholds, "
    "and how uncertainty was estimated.",
    "evaluation data": "the data sets the model was evaluated on, why they were chosen, and "
    "how they were prepared.",
    "training data": "the data the model was trained on and how it was prepared (or why that "
    "cannot be shared).",
    "quantitative analyses": "the results, overall and for each factor above, with "
    "confidence intervals where they exist.",
    "ethical considerations": "sensitive data used, risks and harms the model may cause, "
    "and what was done to reduce them.",
    "caveats and recommendations": "what was not tested, and what users should know before "
    "relying on the model.",
    "uses": "direct and downstream uses, and uses that are out of scope.",
    "bias risks and limitations": "the technical and sociotechnical limits of the model and "
    "what users should do about them.",
    "how to get started with the model": "the shortest code that loads the model and runs it "
    "on one input.",
    "training details": "the training data, the preprocessing and the training procedure "
    "and its hyperparameters.",
    "evaluation": "the testing data, factors and metrics, and the results.",
}


@dataclasses.dataclass(frozen=True)
class Planned:
    """One file of the skeleton: PATH relative to BASE ("site": the directory of mkdocs.yml,
    "git": the git root); TEXT to write, or None when it is kept as it is (NOTE says why and
    what to do instead); WHAT it is."""

    base: str
    path: str
    what: str
    text: str | None
    note: str = ""


@dataclasses.dataclass
class Survey:
    """What ``plan`` needs to know of the repository and its docs."""

    site_name: str
    docs_dir: str  # relative to the site directory
    project: dvc.Project | None
    artifacts: dict[str, dvc.Artifact]
    dvc_root: str | None  # relative to the site directory, when the build would not find it
    site_in_git: str | None  # the site directory relative to the git root; None: no git
    git_root: Path | None
    has_commits: bool
    card_sections: list[str]
    config_exists: bool
    configured: bool  # the existing mkdocs.yml already lists the plugin
    generated: dict[str, str]  # its registry_page and timeline_page options, when set
    existing: set[str]  # files (relative to the site directory) that exist
    workflow_exists: bool
    bound: dict[str, str]  # artifact -> a page (relative to docs) bound to it
    pipeline_page: str | None  # a page drawing the pipeline
    outs_pages: dict[str, str]  # tracked path -> a page referring to it
    data_bound: dict[str, str] = dataclasses.field(default_factory=dict)  # path -> page bound
    notes: list[str] = dataclasses.field(default_factory=list)  # findings of the reading


# ---------------------------------------------------------------------------- escaping


def yaml_string(value: str) -> str:
    """VALUE as one double-quoted YAML scalar, every character outside printable ASCII
    escaped: it cannot end the document, open a tag or a key, or break the line."""
    dumped = yaml.safe_dump(value, default_style='"', width=float("inf"), allow_unicode=False)
    return dumped.removesuffix("\n...\n").strip()


def ref_name(name: str) -> str | None:
    """NAME as a reference writes it (quoted when it has a blank), or None when no reference
    can name it; checked by parsing it back with the reference syntax."""
    written = name if re.fullmatch(r"[^\s\"'#{}\\]+", name) else f'"{name}"'
    try:
        ref = references.parse(f"stage {written}", 1, False, "", f"{{ml stage {written}}}")
    except FindingError:
        return None
    return written if ref.name == name and "\n" not in name and "}" not in name else None


def slug(name: str, taken: set[str]) -> str:
    """A file name (without .md) for NAME: letters, digits, '-' and '_' only, not in TAKEN
    (compared case-insensitively); added to TAKEN."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")[:64].strip("-_") or "artifact"
    candidate, n = base, 2
    while candidate.lower() in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate


# ---------------------------------------------------------------------------- reading


def _tolerant_loader() -> type[yaml.SafeLoader]:
    """A safe YAML loader that reads any tag (``!!python/name:...``, ``!ENV``) as null."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda _loader, _suffix, _node: None)
    return Loader


def read_config(site_dir: Path) -> dict[str, Any] | None:
    """The existing mkdocs.yml as data (tags read as null); None when there is none; a
    FindingError when it cannot be read."""
    try:
        raw = guards.read_file(site_dir, "mkdocs.yml")
    except guards.Missing:
        return None
    try:
        data = yaml.load(raw.decode("utf-8-sig"), Loader=_tolerant_loader())  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FindingError(
            Finding("invalid_project_file", f"mkdocs.yml cannot be read: {exc}", "mkdocs.yml")
        ) from None
    return data if isinstance(data, dict) else {}


def _plugin_options(config: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Whether mkdocs.yml lists the plugin, and its options there."""
    for entry in config.get("plugins") or []:
        if entry == "mlplugin":
            return True, {}
        if isinstance(entry, dict) and "mlplugin" in entry:
            options = entry["mlplugin"]
            return True, options if isinstance(options, dict) else {}
    if isinstance(config.get("plugins"), dict) and "mlplugin" in config["plugins"]:
        options = config["plugins"]["mlplugin"]
        return True, options if isinstance(options, dict) else {}
    return False, {}


def survey(site_dir: Path, docs_dir: str = "docs") -> Survey:
    """Read the repository around SITE_DIR as a build would, and what its docs already hold.
    A FindingError when mkdocs.yml cannot be read."""
    from mkdocs_mlplugin.build import Session
    from mkdocs_mlplugin.facts.reader import SiteReader

    site_dir = site_dir.resolve()
    config = read_config(site_dir)
    configured, plugin = _plugin_options(config or {})
    if config is not None and isinstance(config.get("docs_dir"), str):
        docs_dir = config["docs_dir"]
    options = MLConfig()
    options.load_dict({k: plugin[k] for k in ("dvc_root", "card_sections") if k in plugin})
    errors, _ = options.validate()
    if errors:
        options = MLConfig()
        options.load_dict({})
        options.validate()
    findings = Findings()
    reader = SiteReader(options, Session(), site_dir, site_dir / docs_dir, findings)
    reader.start_git()
    reader.read_git()
    reader.read_dvc()
    reader.join_history()
    reader.read_registry()
    reader.close_blobs()
    site = reader.site
    project = site.project
    severities = dict(options.checks)
    notes = [
        f"{f.where() + ': ' if f.where() else ''}{severity}: {f.message} [{f.kind}]"
        for f, severity in findings.graded(severities)
        if severity in ("error", "warn")
    ]
    dvc_root = None
    if project is not None and dvc.enclosing_project(site_dir, reader.git_root) is None:
        dvc_root = os.path.relpath(project.root, site_dir).replace(os.sep, "/")
    site_in_git = None
    if reader.git_root is not None:
        site_in_git = os.path.relpath(site_dir, reader.git_root).replace(os.sep, "/")
    sections = options.card_sections
    if isinstance(sections, str):
        titles = list(PRESETS[sections])  # the config allows only the presets' names
    else:
        titles = [str(t) for t in sections] if isinstance(sections, list) else []
    bound, pipeline_page, outs_pages, data_bound = _existing_docs(site_dir, docs_dir)
    return Survey(
        site_name=(reader.git_root or site_dir).name or "Documentation",
        docs_dir=docs_dir,
        project=project,
        artifacts=dict(site.artifacts),
        dvc_root=dvc_root,
        site_in_git=site_in_git,
        git_root=reader.git_root,
        has_commits=site.repo is not None and site.repo.commit is not None,
        card_sections=titles,
        config_exists=config is not None,
        configured=configured,
        generated={
            k: v for k in ("registry_page", "timeline_page") if isinstance(v := plugin.get(k), str)
        },
        existing=_docs_files(site_dir, docs_dir),
        workflow_exists=reader.git_root is not None and guards.exists(reader.git_root, WORKFLOW),
        bound=bound,
        pipeline_page=pipeline_page,
        outs_pages=outs_pages,
        data_bound=data_bound,
        notes=notes,
    )


def _docs_files(site_dir: Path, docs_dir: str) -> set[str]:
    """Every file below the docs directory, relative to the site directory (links not
    followed)."""
    found: set[str] = set()
    top = guards.inside(site_dir, docs_dir)
    if top is None or not os.path.isdir(top):
        return found
    for directory, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]
        rel = os.path.relpath(directory, site_dir).replace(os.sep, "/")
        found.update(posixpath.normpath(posixpath.join(rel, f)) for f in files)
    # a name that is a link or a directory counts as taken too
    return found


def _existing_docs(
    site_dir: Path, docs_dir: str
) -> tuple[dict[str, str], str | None, dict[str, str], dict[str, str]]:
    """What the pages already document: artifact -> the page bound to it, the page drawing
    the pipeline, tracked path -> a page referring to it, data path -> the page bound to it
    with ``data:`` (a datasheet) (pages relative to docs)."""
    from mkdocs.utils.meta import get_data

    bound: dict[str, str] = {}
    pipeline_page: str | None = None
    outs: dict[str, str] = {}
    data: dict[str, str] = {}
    prefix = posixpath.normpath(docs_dir) + "/"
    for rel in sorted(_docs_files(site_dir, docs_dir)):
        if not rel.endswith(".md"):
            continue
        page = rel.removeprefix(prefix)
        try:
            source = guards.read_file(site_dir, rel).decode("utf-8-sig")
            markdown, meta = get_data(source)
        except (FindingError, UnicodeDecodeError, ValueError):
            continue  # the build reports the page
        binding = meta.get("ml") if isinstance(meta, dict) else None
        if isinstance(binding, dict) and isinstance(binding.get("artifact"), str):
            bound.setdefault(binding["artifact"], page)
        if isinstance(binding, dict) and isinstance(binding.get("data"), str):
            data.setdefault(posixpath.normpath(binding["data"]), page)
        for match in references.scan(markdown, rel):
            ref = match.reference
            if ref is None:
                continue
            if ref.kind == "pipeline" and pipeline_page is None:
                pipeline_page = page
            elif ref.kind == "out" and ref.name:
                outs.setdefault(ref.name, page)
    return bound, pipeline_page, outs, data


# ---------------------------------------------------------------------------- planning


def plan(s: Survey) -> list[Planned]:
    """The skeleton's files for the survey S, in the order they are listed."""
    project = s.project
    docs = posixpath.normpath(s.docs_dir)
    pages: list[Planned] = []
    nav: list[tuple[str, str, str]] = []  # (section title, page relative to docs, label)

    def add(rel: str, what: str, text: str | None, note: str = "") -> None:
        path = f"{docs}/{rel}"
        if text is not None and path in s.existing:
            text, note = None, "exists"
        pages.append(Planned("site", path, what, text, note))

    models = {n: a for n, a in s.artifacts.items() if (a.type or "").lower() in MODEL_TYPES}
    datasets = {n: a for n, a in s.artifacts.items() if (a.type or "").lower() in DATA_TYPES}
    for group, title, folder, render in (
        (models, "Model cards", "models", _model_card),
        (datasets, "Data", "data", _data_page),
    ):
        taken = {
            posixpath.basename(p).removesuffix(".md").lower()
            for p in s.existing
            if posixpath.dirname(p) == f"{docs}/{folder}"
        }
        for name, artifact in sorted(group.items()):
            what = f"{'model card' if group is models else 'data page'} of '{name}'"
            existing = s.bound.get(name)
            if existing is None and group is datasets and artifact.path:  # a datasheet
                existing = s.data_bound.get(posixpath.normpath(artifact.path))
            if existing is not None:
                add(existing, what, None, f"{docs}/{existing} documents it already")
                nav.append((title, existing, name))
                continue
            rel = f"{folder}/{slug(name, taken)}.md"
            text, summary = render(s, name, artifact)
            add(rel, f"{what}: {summary}", text)
            nav.append((title, rel, name))
    tracked = _tracked_data(s, datasets)
    if tracked:
        what = f"data tracked by .dvc files: {len(tracked)} path{'s' if len(tracked) != 1 else ''}"
        add("data.md", what, _tracked_page(tracked))
        nav.append(("Data", "data.md", "data tracked by .dvc files"))
    if project is not None and project.stages:
        if s.pipeline_page is not None:
            add(
                s.pipeline_page, "pipeline page", None, f"{docs}/{s.pipeline_page} draws it already"
            )
            nav.append(("Pipeline", s.pipeline_page, "the DVC pipeline"))
        else:
            text, summary = _pipeline_page(project)
            add("pipeline.md", f"pipeline page: {summary}", text)
            nav.append(("Pipeline", "pipeline.md", "the DVC pipeline"))
    generated = _generated_pages(s)
    index_at = len(pages)
    add("index.md", "home page: links to every page", _index_page(s, nav, generated))
    pages.insert(0, pages.pop(index_at))
    if s.config_exists:
        pages.append(
            Planned("site", "mkdocs.yml", "MkDocs config", None, _config_advice(s, generated))
        )
    else:
        what = "MkDocs config: Material, Mermaid, the plugin" + "".join(
            f", {option}" for option, _ in generated
        )
        pages.append(Planned("site", "mkdocs.yml", what, _mkdocs_yml(s, nav, generated)))
    if s.git_root is not None:
        what = "GitHub Actions: mkdocs-ml check, strict build, GitHub Pages"
        if s.workflow_exists:
            pages.append(Planned("git", WORKFLOW, what, None, "exists"))
        else:
            pages.append(Planned("git", WORKFLOW, what, _workflow(s)))
    return pages


def _tracked_data(s: Survey, datasets: dict[str, dvc.Artifact]) -> list[tuple[str, str | None]]:
    """(path, its reference name) of data a ``.dvc`` file tracks (``dvc add``, ``dvc import``)
    that no dataset artifact and no existing page covers."""
    if s.project is None:
        return []
    covered = {a.path for a in datasets.values()} | set(s.outs_pages)
    found = []
    for tracked in s.project.tracked.values():
        for out in tracked.outs:
            if out.path not in covered and not s.project.external(out.path):
                found.append((out.path, ref_name(out.path)))
    return sorted(found)


def _generated_pages(s: Survey) -> list[tuple[str, str]]:
    """(option, page) of the generated pages the site gets: those its mkdocs.yml sets, when it
    lists the plugin; else the registry when there are artifacts, the timeline when there is
    git history."""
    if s.configured:  # the site's own choice, which init does not change
        return [(o, s.generated[o]) for o in ("registry_page", "timeline_page") if o in s.generated]
    pages = []
    if s.artifacts and s.git_root is not None:
        pages.append(("registry_page", "registry.md"))
    if s.project is not None and s.has_commits:
        pages.append(("timeline_page", "timeline.md"))
    return pages


def _placeholder(title: str) -> str:
    asks = GUIDANCE.get(re.sub(r"[^a-z0-9]+", " ", title.lower()).strip())
    asks = asks or "what this section says of the model."
    return f"{PLACEHOLDER} {asks[0].upper()}{asks[1:]}"


def _front_matter(name: str) -> str:
    return f"---\nml:\n  artifact: {yaml_string(name)}\n---\n"


#: characters of names that go into a page's heading; any other name is shown below it
_HEADING_SAFE = re.compile(r"[A-Za-z0-9 _./:@+-]+")


def _heading(what: str, name: str) -> list[str]:
    """The page's heading, naming NAME when it is made of plain characters. Themes put the
    heading's text into the page's <title> with HTML entities decoded (Material's
    ``striptags``), so a name with '<' or '&' is said in the text instead, where Markdown
    keeps it text."""
    if _HEADING_SAFE.fullmatch(name):
        return [f"# {what}: {md(name)}", ""]
    return [f"# {what}", "", f"Artifact: {md(name)}", ""]


def _recorded(project: dvc.Project | None, artifact: dvc.Artifact) -> dvc.Hashed | None:
    """The output of the artifact as DVC recorded it (a hash), or None."""
    if project is None or artifact.path is None:
        return None
    producer = project.producer(artifact.path)
    return producer[1] if producer is not None and producer[1].md5 else None


def _producer_stage(project: dvc.Project | None, artifact: dvc.Artifact) -> dvc.Stage | None:
    if project is None or artifact.path is None:
        return None
    producer = project.producer(artifact.path)
    return project.stages.get(producer[0]) if producer is not None else None


def _metrics_files(project: dvc.Project, artifact: dvc.Artifact) -> list[str]:
    """Metrics files of the stage producing the artifact and of the stages that read it (an
    evaluation) that git keeps (``cache: false``: a fresh clone has them) and the work tree
    holds."""
    path = artifact.path
    files: list[str] = []
    for stage in project.stages.values():
        reads = path is not None and any(d == path or path.startswith(d + "/") for d in stage.deps)
        if reads or (path is not None and stage.out(path) is not None):
            files += [
                m
                for m in stage.metrics
                if project.metrics.get(m) is not None and not _cached(stage, m)
            ]
    return sorted(set(files))


def _cached(stage: dvc.Stage, path: str) -> bool:
    out = stage.out(path)
    return out is None or out.cache


def _model_card(s: Survey, name: str, artifact: dvc.Artifact) -> tuple[str, str]:
    """A model card bound to NAME: the sections of card_sections, each with a placeholder;
    the provenance box, params and metrics where DVC has them."""
    project = s.project
    lines = [_front_matter(name), *_heading("Model card", name)]
    summary = [f"{len(s.card_sections)} sections"]
    if _recorded(project, artifact) is not None:
        lines += ["{ml provenance}", ""]
        summary.append("provenance")
    stage = _producer_stage(project, artifact)
    params = stage is not None and bool(stage.params) and stage.locked
    metrics = _metrics_files(project, artifact) if project is not None else []
    blocks: dict[str, list[str]] = {}
    if params:
        assert stage is not None  # noqa: S101  # params says so
        blocks["params"] = [
            f"The params the stage `{md(stage.name)}` ran with:",
            "",
            "{ml params-table}",
        ]
        summary.append(f"params of stage '{stage.name}'")
    refs = [(m, ref_name(m)) for m in metrics]
    if any(r for _, r in refs):
        blocks["metrics"] = [
            line for _, r in refs if r for line in (f"{{ml metrics-table {r}}}", "")
        ][:-1]
        summary.append("metrics of " + ", ".join(m for m, r in refs if r))
    homes = {
        "params": _section_for(s.card_sections, ("training", "details")),
        "metrics": _section_for(s.card_sections, ("metric", "quantitative", "evaluation")),
    }
    for kind, home in homes.items():
        if kind in blocks and home is None:
            lines += [*blocks.pop(kind), ""]
    for title in s.card_sections:
        lines += [f"## {md(title)}", "", _placeholder(title), ""]
        for kind, home in homes.items():
            if home == title and kind in blocks:
                lines += [*blocks.pop(kind), ""]
    return "\n".join(lines).rstrip("\n") + "\n", ", ".join(summary)


def _section_for(titles: list[str], words: tuple[str, ...]) -> str | None:
    for word in words:
        for title in titles:
            if word in title.lower():
                return title
    return None


def _data_page(s: Survey, name: str, artifact: dvc.Artifact) -> tuple[str, str]:
    lines = [_front_matter(name), *_heading("Data", name)]
    summary = []
    if _recorded(s.project, artifact) is not None:
        lines += ["{ml provenance}", ""]
        summary.append("provenance")
    for title, asks in (
        ("Source", "where the data comes from, who collected it and when, and its licence."),
        ("Contents", "what one record is, the fields, their units and the label set."),
        ("Preparation", "how the data is cleaned, filtered and split, and by which stage."),
        ("Known limitations", "gaps, biases and errors known in the data."),
    ):
        lines += [f"## {title}", "", f"{PLACEHOLDER} {asks[0].upper() + asks[1:]}", ""]
    return "\n".join(lines).rstrip("\n") + "\n", ", ".join(summary) or "sections to fill"


def _tracked_page(tracked: list[tuple[str, str | None]]) -> str:
    lines = [
        "# Data",
        "",
        "Data tracked by `.dvc` files (`dvc add`, `dvc import`), with the hash and size DVC "
        "recorded for each.",
        "",
        "| Data | MD5 | Size |",
        "| --- | --- | --- |",
    ]
    for path, name in tracked:
        if name is None:
            lines.append(f"| {md(path)} | — | — |")
        else:
            lines.append(f"| {md(path)} | {{ml out {name} short}} | {{ml out {name} size}} |")
    lines += ["", f"{PLACEHOLDER} Where each data set comes from and how it is refreshed.", ""]
    return "\n".join(lines)


def _pipeline_page(project: dvc.Project) -> tuple[str, str]:
    lines = [
        "# Pipeline",
        "",
        "The DVC pipeline, drawn from `dvc.yaml` and `dvc.lock` at every build, with each "
        "stage coloured by its state.",
        "",
        "{ml pipeline}",
        "",
    ]
    named = [(stage, ref_name(stage)) for stage in project.stages]
    if any(r for _, r in named):
        lines += ["## Stages", "", "| Stage | Command |", "| --- | --- |"]
        lines += [f"| {md(stage)} | {{ml stage {r}}} |" for stage, r in named if r]
        lines.append("")
    summary = [f"diagram of {len(project.stages)} stages"]
    if any(stage.params for stage in project.stages.values()) and project.params:
        lines += ["## Parameters", "", "{ml params-table}", ""]
        summary.append("params")
    return "\n".join(lines).rstrip("\n") + "\n", ", ".join(summary)


def _index_page(
    s: Survey, nav: list[tuple[str, str, str]], generated: list[tuple[str, str]]
) -> str:
    lines = [
        f"# {md(s.site_name)}",
        "",
        "The model cards, data and pipeline of this repository. Hashes, params, metrics, "
        "versions and dates on these pages are read from DVC, GTO and git at every build.",
        "",
    ]
    lines += [f"- {title}: [{md(label)}]({_link(rel)})" for title, rel, label in nav]
    lines += [f"- [{_title(rel)}]({rel})" for _, rel in generated]
    return "\n".join(lines) + "\n"


def _link(rel: str) -> str:
    """A Markdown link target for the page REL (a slug, or a page that exists)."""
    return "<" + re.sub(r"[<>\s\\]", lambda m: f"%{ord(m.group(0)):02X}", rel) + ">"


def _title(rel: str) -> str:
    return rel.removesuffix(".md").capitalize()


def _nav(nav: list[tuple[str, str, str]], generated: list[tuple[str, str]]) -> list[str]:
    """nav: lines of mkdocs.yml. Pages of artifacts have no title here: MkDocs takes their
    heading, which is escaped for Markdown."""
    lines = ["nav:", "  - Home: index.md"]
    groups: dict[str, list[str]] = {}
    for title, rel, _label in nav:
        groups.setdefault(title, []).append(rel)
    for title, pages in groups.items():
        lines.append(f"  - {title}:")
        lines += [f"      - {yaml_string(p)}" for p in pages]
    lines += [f"  - {_title(rel)}: {rel}" for _, rel in generated]
    return lines


def _plugin_lines(s: Survey, generated: Iterable[tuple[str, str]]) -> list[str]:
    options = [f"      {option}: {rel}" for option, rel in generated]
    if s.dvc_root is not None:
        options.insert(0, f"      dvc_root: {yaml_string(s.dvc_root)}")
    return ["  - mlplugin:", *options] if options else ["  - mlplugin"]


def _mkdocs_yml(
    s: Survey, nav: list[tuple[str, str, str]], generated: list[tuple[str, str]]
) -> str:
    lines = [
        f"site_name: {yaml_string(s.site_name)}",
        *(
            [f"docs_dir: {yaml_string(s.docs_dir)}"]
            if posixpath.normpath(s.docs_dir) != "docs"
            else []
        ),
        "",
        "theme:",
        "  name: material",
        "",
        *_nav(nav, generated),
        "",
        "markdown_extensions:",
        "  - admonition",
        "  - attr_list",
        "  - tables",
        "  - toc:",
        "      permalink: true",
        "  - pymdownx.superfences:",
        "      custom_fences:",
        "        - name: mermaid",
        "          class: mermaid",
        "          format: !!python/name:pymdownx.superfences.fence_code_format",
        "",
        "plugins:",
        "  - search",
        *_plugin_lines(s, generated),
    ]
    return "\n".join(lines) + "\n"


def _config_advice(s: Survey, generated: list[tuple[str, str]]) -> str:
    """What to add to an existing mkdocs.yml, which is never changed."""
    if s.configured:
        return "exists, and lists the plugin"
    return "exists; add the plugin to it:\n" + "\n".join(["plugins:", *_plugin_lines(s, generated)])


def _workflow(s: Survey) -> str:
    """The GitHub Actions workflow of the README's "In CI" section, run in the site's
    directory."""
    where = s.site_in_git or "."
    inside = where != "."
    site = posixpath.join(where, "_site") if inside else "_site"
    lines = [
        "name: docs",
        "on:",
        "  push: {branches: [main]}",
        "  pull_request:",
        "jobs:",
        "  build:",
        "    runs-on: ubuntu-latest",
        "    permissions: {contents: read}",
    ]
    if inside:
        lines += ["    defaults:", "      run:", f"        working-directory: {yaml_string(where)}"]
    lines += [
        "    steps:",
        "      - uses: actions/checkout@v4",
        "        with:",
        "          fetch-depth: 0    # full history: page dates, authors, doc drift",
        "          fetch-tags: true  # tags: the model registry",
        "      - uses: actions/setup-python@v5",
        "        with:",
        '          python-version: "3.11"',
        f'      - run: pip install "{REQUIREMENT}"  # OWNER: the account mkdocs-mlplugin is published under',
        "      - if: github.event_name != 'pull_request'",
        "        run: mkdocs-ml check --format github",
        "      - if: github.event_name == 'pull_request'  # the gate: docs change with their code",
        "        run: mkdocs-ml check --format github --since origin/${{ github.base_ref }}",
        "      - run: mkdocs build --strict -d _site",
        "      - uses: actions/upload-pages-artifact@v3",
        f"        with: {{path: {yaml_string(site)}}}",
        "  deploy:",
        "    if: github.event_name == 'push'",
        "    needs: build",
        "    runs-on: ubuntu-latest",
        "    permissions: {pages: write, id-token: write}",
        "    environment:",
        "      name: github-pages",
        "      url: ${{ steps.deployment.outputs.page_url }}",
        "    steps:",
        "      - id: deployment",
        "        uses: actions/deploy-pages@v4",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- writing


def unplanned(s: Survey) -> list[str]:
    """Artifacts of another type than model or dataset, which get no page of their own."""
    kinds = (*MODEL_TYPES, *DATA_TYPES)
    return sorted(n for n, a in s.artifacts.items() if (a.type or "").lower() not in kinds)


def write(planned: list[Planned], site_dir: Path, git_root: Path | None) -> dict[int, str]:
    """Create each planned file that has text and does not exist yet. The answer, by index in
    PLANNED: "wrote", "exists, kept" (something is there, written meanwhile too: left alone)
    or "refused: WHY" (a path that would leave its directory, e.g. through a link)."""
    states: dict[int, str] = {}
    for i, item in enumerate(planned):
        base = site_dir if item.base == "site" else git_root
        if item.text is None or base is None:
            continue
        try:
            created = guards.create_file(base, item.path, item.text)
        except FindingError as exc:
            states[i] = f"refused: {exc.finding.message}"
            continue
        states[i] = "wrote" if created else "exists, kept"
    return states
