"""Required documents and documentation coverage: which of what the project holds has the page
the standard asks for.

The ``require:`` option is the standard: every artifact of type model has a model card (a page
bound to it that is no record), every dataset (an artifact of type ``dataset`` or ``data``) a
datasheet (``ml: {record: datasheet}`` bound to it, or to its path with ``data:``), every stage
a page that documents it (bound to it, or to an artifact or data it makes), and the project a
record page of each kind listed (the coverage's ``records``: those kinds, or without any
listed, the kinds the site has). ``survey`` counts what is documented from the pages' ``ml:``
bindings, whether required or not; ``missing`` turns what the standard requires and is not
there into ``missing_document`` findings. Pure: facts and bindings in, coverage and findings
out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from mkdocs_mlplugin.checks import records
from mkdocs_mlplugin.facts.dvc import Artifact, Project, Stage
from mkdocs_mlplugin.findings import Finding

MODEL_TYPES = ("model",)
DATASET_TYPES = ("dataset", "data")

#: the kinds of documents counted, in the order every summary lists them: key -> title
KINDS = {
    "model_cards": "model cards",
    "datasheets": "datasheets",
    "stage_pages": "stage pages",
    "records": "records",
}


@dataclasses.dataclass(frozen=True)
class Doc:
    """A page bound to something, as its ``ml:`` names it: its path (from mkdocs.yml's
    directory), its kind of record (None: a page that is no record, a model card if bound to
    a model), the artifact it is bound to, the stages it documents, the data path it is
    bound to, and whether it documents what it is bound to (a decision record does not)."""

    page: str
    record: str | None = None
    artifact: str | None = None
    stages: frozenset[str] = frozenset()
    data: str | None = None
    documents: bool = True


@dataclasses.dataclass
class Item:
    """One thing the standard asks a document for: an artifact, a stage, a kind of record;
    the pages that document it; where it is declared (a project file, a line), for the
    finding when it has none."""

    name: str
    pages: list[str] = dataclasses.field(default_factory=list)
    file: str | None = None
    line: int | None = None


@dataclasses.dataclass
class Coverage:
    """What is documented, per kind (``KINDS``), and which kinds the standard requires."""

    items: dict[str, list[Item]]
    required: frozenset[str] = frozenset()

    def counts(self, kind: str) -> tuple[int, int]:
        """(documented, total) of KIND."""
        found = self.items.get(kind, [])
        return sum(1 for item in found if item.pages), len(found)

    def summary(self) -> str:
        """``model cards 1/1, datasheets 0/1, stage pages 2/3, records 1/2``."""
        return ", ".join(
            f"{title} {'/'.join(map(str, self.counts(kind)))}" for kind, title in KINDS.items()
        )

    def as_dict(self) -> dict[str, Any]:
        """The manifest's ``coverage``."""
        shown: dict[str, Any] = {}
        for kind in KINDS:
            documented, total = self.counts(kind)
            shown[kind] = {
                "required": kind in self.required,
                "documented": documented,
                "total": total,
                "items": [{"name": i.name, "pages": i.pages} for i in self.items.get(kind, [])],
            }
        return shown


def stages_made(
    project: Project | None, stage: str | None, paths: Iterable[str | None]
) -> set[str]:
    """The stages a page bound to STAGE and to PATHS (an artifact's path, a datasheet's data)
    documents: STAGE, and each stage of PROJECT that makes one of PATHS."""
    if project is None:
        return set()
    found = {stage} if stage is not None and stage in project.stages else set()
    for path in paths:
        made = project.producer(path) if path is not None else None
        if made is not None and made[0] in project.stages:
            found.add(made[0])
    return found


def doc_of(
    page: str,
    binding: Mapping[str, Any],
    project: Project | None,
    artifacts: Mapping[str, Artifact],
) -> Doc:
    """What the page PAGE documents, from its ``ml:`` BINDING, with the names it gives checked
    against PROJECT and ARTIFACTS (a name that is not there binds nothing: the page's own
    finding says so)."""
    kind = binding.get("record")
    record = kind if isinstance(kind, str) and kind in records.RECORDS else None
    if kind is not None and record is None:
        return Doc(page, documents=False)  # no kind of record: the page's finding says so
    artifact = artifacts.get(str(binding.get("artifact", "")))
    data = binding.get("data")
    data = data if isinstance(data, str) and data else None
    stage = binding.get("stage")
    stages = stages_made(
        project,
        str(stage) if stage is not None else None,
        (artifact.path if artifact is not None else None, data),
    )
    return Doc(
        page,
        record,
        artifact.name if artifact is not None else None,
        frozenset(stages),
        data,
        record is None or records.RECORDS[record].documents,
    )


class Surveyed(NamedTuple):
    """A DVC project of the site, its artifacts, the DOCS of the pages that it answers, and
    PLACE: where an artifact or a stage is declared, as findings name the file, and the line."""

    project: Project | None
    artifacts: Mapping[str, Artifact]
    docs: Sequence[Doc]
    place: Callable[[Artifact | Stage], tuple[str | None, int | None]]


def survey(
    projects: Sequence[Surveyed],
    required_records: Sequence[str] = (),
    required: Iterable[str] = (),
) -> Coverage:
    """The coverage of each of the site's DVC PROJECTS by what its pages document.
    REQUIRED_RECORDS: the kinds of record the site must have a page of; REQUIRED: the kinds
    (``KINDS``) the standard requires."""
    items: dict[str, list[Item]] = {kind: [] for kind in KINDS}
    for project, artifacts, docs, place in projects:
        for artifact in sorted(artifacts.values(), key=lambda a: a.name):
            if artifact.type in MODEL_TYPES:
                pages = [d.page for d in docs if d.record is None and d.artifact == artifact.name]
                items["model_cards"].append(Item(artifact.name, pages, *place(artifact)))
            elif artifact.type in DATASET_TYPES:
                pages = [
                    d.page
                    for d in docs
                    if d.record == records.DATASHEET
                    and (
                        d.artifact == artifact.name
                        or (d.data is not None and d.data == artifact.path)
                    )
                ]
                items["datasheets"].append(Item(artifact.name, pages, *place(artifact)))
        for name, stage in (project.stages if project is not None else {}).items():
            pages = [d.page for d in docs if d.documents and name in d.stages]
            items["stage_pages"].append(Item(name, pages, *place(stage)))
    every = [d for surveyed in projects for d in surveyed.docs]
    present = sorted({d.record for d in every if d.record is not None})
    for kind in required_records or present:  # without a standard, the kinds there are
        items["records"].append(Item(kind, [d.page for d in every if d.record == kind]))
    return Coverage(items, frozenset(required))


def missing(coverage: Coverage, required_records: Sequence[str]) -> list[Finding]:
    """A ``missing_document`` finding for each item of a required kind with no page, at the
    line that declares it or, for a kind of record the site lacks, at mkdocs.yml."""
    findings: list[Finding] = []
    if "model_cards" in coverage.required:
        for item in coverage.items["model_cards"]:
            if not item.pages:
                findings.append(
                    _missing(
                        item,
                        f"artifact '{item.name}' (type model) has no model card: write a page "
                        f"with 'ml: {{artifact: {item.name}}}' in its front matter "
                        "(require: model_cards).",
                    )
                )
    if "datasheets" in coverage.required:
        for item in coverage.items["datasheets"]:
            if not item.pages:
                findings.append(
                    _missing(
                        item,
                        f"dataset '{item.name}' has no datasheet: write a page with 'ml: "
                        f"{{record: datasheet, artifact: {item.name}}}' in its front matter "
                        "(require: datasheets).",
                    )
                )
    if "stage_pages" in coverage.required:
        for item in coverage.items["stage_pages"]:
            if not item.pages:
                findings.append(
                    _missing(
                        item,
                        f"stage '{item.name}' is documented by no page: bind one with 'ml: "
                        f"{{stage: {item.name}}}' (or to an artifact the stage makes) "
                        "(require: stage_pages).",
                    )
                )
    for item in coverage.items["records"]:
        if item.name in required_records and not item.pages:
            title = records.RECORDS[item.name].title.lower()
            message = (
                f"the site has no {title}: write a page with 'ml: {{record: {item.name}}}' "
                "in its front matter (require: records)."
            )
            findings.append(Finding("missing_document", message, "mkdocs.yml"))
    return findings


def _missing(item: Item, message: str) -> Finding:
    return Finding("missing_document", message, item.file, item.line)
