"""The plugin's typed configuration, as written under ``plugins: - mlplugin:`` in mkdocs.yml."""

from __future__ import annotations

from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from mkdocs_mlplugin.checks import records
from mkdocs_mlplugin.checks.cards import PRESETS
from mkdocs_mlplugin.findings import KINDS, SEVERITIES, visible


class _Sections(c.Type[object]):
    """A preset's name or a list of section titles."""

    def run_validation(self, value: object) -> object:
        value = super().run_validation(value)
        if isinstance(value, str) and value not in PRESETS:
            raise base.ValidationError(
                f"card_sections must be {' or '.join(PRESETS)} or a list of section titles, "
                f"not '{visible(value)}'."
            )
        return value


class _RecordSections(c.Type[dict[str, object]]):
    """Kind of record -> a preset's name or a list of section titles."""

    def run_validation(self, value: object) -> dict[str, object]:
        value = super().run_validation(value)
        problem = records.validate_sections(value)
        if problem:
            raise base.ValidationError(problem)
        return value


class _Seconds(base.BaseConfigOption[float]):
    """A number of seconds above 0."""

    def __init__(self, default: float) -> None:
        super().__init__()
        self.default = default

    def run_validation(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise base.ValidationError(
                f"expected a number of seconds above 0, not '{visible(str(value))}'."
            )
        return float(value)


class _Mermaid(c.Choice[str]):
    """``bundled`` or ``cdn``; ``cdn`` with ``mermaid_js`` set asks for two things at once."""

    def post_validation(self, config: base.Config, key_name: str) -> None:
        if config[key_name] == "cdn" and config.get("mermaid_js"):
            raise base.ValidationError(
                "'mermaid: cdn' loads Mermaid from the CDN, 'mermaid_js' serves a local build: "
                "set one of them."
            )


class _DocumentedBy(base.BaseConfigOption[dict[str, list[str]]]):
    """``{PATTERN: PAGE}`` or ``{PATTERN: [PAGE, ...]}``: a gitignore-style pattern (from the
    git root) and the pages (from docs_dir) that document what it matches; always lists of
    pages once validated."""

    def __init__(self) -> None:
        super().__init__()
        self.default = {}

    def run_validation(self, value: object) -> dict[str, list[str]]:
        from pathspec import GitIgnoreSpec

        if value is None:
            return {}
        if not isinstance(value, dict):
            raise base.ValidationError(
                "expected a mapping of path patterns to pages, e.g. "
                "{'serving/**': runbooks/serving.md}."
            )
        found: dict[str, list[str]] = {}
        for pattern, pages in value.items():
            shown = visible(pattern)
            if not isinstance(pattern, str) or not pattern.strip() or pattern[0] in "!#":
                raise base.ValidationError(f"'{shown}' is not a path pattern.")
            try:
                GitIgnoreSpec.from_lines([pattern])
            except ValueError as exc:
                raise base.ValidationError(f"'{shown}' is not a path pattern: {exc}") from None
            listed = [pages] if isinstance(pages, str) else pages
            if (
                not isinstance(listed, list)
                or not listed
                or not all(isinstance(p, str) and p for p in listed)
            ):
                raise base.ValidationError(
                    f"'{shown}' must map to a page (from docs_dir) or a list of pages."
                )
            found[pattern] = list(listed)
        return found


class RequireConfig(base.Config):
    """The documentation standard (``checks.coverage``): what must have a page."""

    model_cards = c.Type(bool, default=False)
    """Every artifact of type ``model`` has a model card (a page bound to it)."""

    datasheets = c.Type(bool, default=False)
    """Every artifact of type ``dataset`` (or ``data``) has a datasheet bound to it."""

    stage_pages = c.Type(bool, default=False)
    """Every stage has a page bound to it, or to an artifact or data it makes."""

    records = c.ListOfItems(c.Choice(tuple(records.RECORDS)), default=[])
    """Kinds of record the site has at least one page of, e.g. ``[runbook, decision]``."""


#: One option per kind of finding (``findings.KINDS``), named after it, its default the kind's
#: severity.
ChecksConfig: type[base.Config] = type(
    "ChecksConfig",
    (base.Config,),
    {
        "__module__": __name__,
        "__doc__": """How seriously each kind of finding is taken: ``error`` fails the build
    whatever ``--strict`` says, ``warn`` fails it under ``--strict``, ``info`` is logged,
    ``ignore`` drops it.""",
        **{kind.name: c.Choice(SEVERITIES, default=kind.severity) for kind in KINDS},
    },
)


class MLConfig(base.Config):
    """Options of the ``mlplugin`` plugin."""

    dvc_root = c.Optional(c.Type((str, list)))
    """The DVC project's directory (the one holding ``.dvc/``), relative to mkdocs.yml, or a
    list of them for a site over several projects: a page inside one of them is answered by
    it, any other page by the first. Unset: the nearest one at or above mkdocs.yml's
    directory, else the only one below it."""

    manifest = c.Type(str, default="ml-manifest.json")
    """Where the machine-readable manifest is written, relative to the site directory.
    An empty string writes none."""

    date_format = c.Type(str, default="%Y-%m-%d")
    """``strftime`` format of page dates shown on pages (the manifest always has ISO 8601)."""

    show_emails = c.Type(bool, default=False)
    """Publish author e-mail addresses in page facts and the manifest."""

    co_authors = c.Type(bool, default=True)
    """Count the people named in ``Co-authored-by:`` trailers of commits as authors of the
    pages those commits changed (as ``git shortlog --group=author --group=trailer:co-authored-by``)."""

    theme_overrides = c.Type(bool, default=True)
    """Add the plugin's Material template overrides (provenance footer, fact styles)."""

    mermaid = _Mermaid(("bundled", "cdn"), default="bundled")
    """Where the pages get Mermaid from. ``bundled``: the Mermaid build this package ships
    (``assets/mermaid/``) is served with a site that draws Mermaid diagrams, so they render with
    no network; ``cdn``: nothing is served, the theme (or mkdocs-mermaid2) loads Mermaid from
    its CDN when a page is viewed."""

    mermaid_js = c.Optional(c.File(exists=True))
    """A Mermaid build of one's own (``mermaid.min.js``, e.g. from the npm package ``mermaid``)
    to serve in place of the bundled one."""

    registry_page = c.Optional(c.Type(str))
    """Generate a model registry page at this path in the site (e.g. ``registry.md``): every
    artifact with its versions, stages and history from GTO tags."""

    card_sections = _Sections((str, list), default="mitchell")
    """Sections every model card (a page bound to an artifact of type ``model``) must have:
    ``mitchell`` (Mitchell et al. 2019), ``huggingface`` (the Hub's template) or a list."""

    decisions_page = c.Optional(c.Type(str))
    """Generate the decision log at this path (e.g. ``decisions.md``): every decision record
    by status, newest first, and the chains of decisions that superseded one another."""

    debt_page = c.Optional(c.Type(str))
    """Generate the tech-debt register at this path (e.g. ``debt.md``): open debts by
    priority with impact and effort, totals per status and per artifact or stage."""

    runbooks_page = c.Optional(c.Type(str))
    """Generate the runbook index at this path (e.g. ``runbooks.md``): each alert with the
    runbooks that answer it."""

    record_sections = _RecordSections(dict, default={})
    """Sections each kind of record page must have (``ml: {record: KIND}``), where they differ
    from the kind's own (``checks.records.RECORDS``): kind -> a list of section titles, or
    ``gebru`` (a datasheet's default)."""

    review_interval = c.Optional(c.Type(int))
    """Days after ``reviewed:`` that a record or model card is due for review again (a page
    with ``review_by:`` is due then). Unset: only ``review_by:`` dates are due."""

    timeline_page = c.Optional(c.Type(str))
    """Generate a data and model timeline page at this path (e.g. ``timeline.md``): every
    commit that changed a tracked dataset's or model's hash."""

    hf_export = c.Optional(c.Type(str))
    """Also write each model card, resolved, as a Hugging Face Hub README (YAML metadata front
    matter + Markdown) under this folder of the site, e.g. ``hf`` -> ``hf/NAME/README.md``."""

    plots_timeout = _Seconds(default=60.0)
    """Seconds one ``{ml plots}`` plot may take to be drawn; a plot that takes longer is
    stopped, and its block is an ``invalid_project_file`` finding."""

    drift_grace = c.Type(int, default=0)
    """How many commits a page may lag behind a change to the artifact or stage it documents
    before it counts as stale (0: a change in a later commit than the page's last edit)."""

    require = c.SubConfig(RequireConfig)
    """The documentation standard: which documents must exist (``missing_document`` names
    each one that does not); the coverage (documented / total per kind) is counted either way."""

    coverage_page = c.Optional(c.Type(str))
    """Generate a documentation coverage page at this path in the site (e.g. ``coverage.md``):
    per kind, what is documented, by which page, and what is missing."""

    documented_by = _DocumentedBy()
    """For ``mkdocs-ml check --since BASE``: paths (gitignore-style patterns, from the git
    root) and the pages (from docs_dir) that document them, e.g.
    ``{"serving/**": runbooks/serving.md}``: a change to a matching file since BASE asks each
    page to change too, as a change to a stage's deps asks the pages bound to the stage."""

    checks = c.SubConfig(ChecksConfig)
    """Severity per kind of finding."""


#: the options the Markdown extension shares with the plugin
EXTENSION_OPTIONS = ("dvc_root", "date_format", "show_emails")


def extension_options(options: dict[str, Any]) -> tuple[MLConfig, list[str]]:
    """The plugin's options from the Markdown extension's OPTIONS (those it shares, when set),
    and what is wrong with them."""
    config = MLConfig()
    config.load_dict({k: options[k] for k in EXTENSION_OPTIONS if options.get(k) not in (None, "")})
    errors, _warnings = config.validate()
    return config, [f"'{name}': {problem}" for name, problem in errors]
