"""``mkdocs-ml``: the plugin's checks without rendering a site, for CI and pre-commit.

    mkdocs-ml check [-f mkdocs.yml] [--format text|json|github] [--strict] [--since BASE]
    mkdocs-ml manifest [-f mkdocs.yml]
    mkdocs-ml report --base REF [-f mkdocs.yml] [--format markdown|json]
    mkdocs-ml init [DIR] [--write] [--docs-dir docs]

``check`` reads the same facts and runs the same checks as ``mkdocs build`` (every page's
references, bindings, pipeline staleness, doc drift and pins) but renders no HTML and writes
nothing. It exits 1 when there is an error (or, with --strict, a warning), 2 when it cannot run.
With ``--since BASE`` it is also the pull-request gate (``checks.gate``): each page whose
documented code changed since BASE while the page did not is a finding.
``report`` prints what a pull request changes against the revision REF names (pipeline
verdicts, metrics and params diffs, changed outputs, the docs' findings) as one Markdown
comment or as JSON (``mkdocs_mlplugin.report``); it exits 0 whatever it reports.
``init`` plans a docs skeleton for the repository around DIR (``scaffold``) and prints it;
with --write it creates the files that do not exist yet, and never changes one that does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import posixpath
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from mkdocs_mlplugin.build import Build, Session
from mkdocs_mlplugin.config import MLConfig, extension_options
from mkdocs_mlplugin.facts.git import Range
from mkdocs_mlplugin.findings import Finding, FindingError, visible
from mkdocs_mlplugin.manifest import manifest, write_manifest


class UsageError(Exception):
    """The check cannot run: no config, no plugin in it, an invalid config."""


class _Collector(logging.Handler):
    """Holds what MkDocs says while it loads the config, to be said once, our way."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


def collect(config_file: str, strict: bool = False, since: str | None = None) -> Checked:
    """Load mkdocs.yml and run the build core over every page without rendering any; with
    SINCE (a git revision), the pull-request gate too.

    MkDocs' own warnings about the config (an unknown option, say) are shown as MkDocs words
    them and counted in ``Checked.config_warnings``; the findings are not logged here but
    returned, for ``report`` to print once."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    if not Path(config_file).is_file():
        raise UsageError(f"{config_file} does not exist: name the site's config with -f.")
    mkdocs_log = logging.getLogger("mkdocs")
    collector = _Collector()
    mkdocs_log.addHandler(collector)
    mkdocs_log.propagate = False
    try:
        config = load_config(config_file, strict=strict)
    except ConfigurationError as exc:
        raise UsageError(f"{config_file} is not a valid MkDocs config: {exc}") from None
    except Abort:  # MkDocs logged why: an unknown plugin, a bad value
        why = "; ".join(collector.messages(logging.WARNING)) or "see the MkDocs documentation"
        raise UsageError(f"{config_file} is not a valid MkDocs config: {why}") from None
    finally:
        mkdocs_log.removeHandler(collector)
        mkdocs_log.propagate = True
    for message in collector.messages(logging.WARNING):
        print(visible(f"mkdocs-ml: warning: {config_file}: {message}"), file=sys.stderr)
    level = mkdocs_log.level
    mkdocs_log.setLevel(logging.ERROR)  # findings are printed by report(), once
    try:
        warnings = len(collector.messages(logging.WARNING))
        return _check_pages(config, config_file, since, warnings)
    finally:
        mkdocs_log.setLevel(level)  # a caller in the same process logs as before


def _check_pages(config: Any, config_file: str, since: str | None, warnings: int) -> Checked:
    """``collect`` once mkdocs.yml is loaded: the build core over every page, then the gate."""
    from mkdocs.structure.files import get_files
    from mkdocs.structure.pages import Page

    plugin = config.plugins.get("mlplugin")
    options = plugin.config if plugin is not None else _from_extension(config)
    if not isinstance(options, MLConfig):
        raise UsageError(
            f"{config_file} uses neither the plugin nor the Markdown extension: add '- mlplugin' "
            "under 'plugins:' (or 'mkdocs_mlplugin.markdown' under 'markdown_extensions:')."
        )
    build = Build(
        options,
        Session(),
        Path(config.config_file_path or config_file).resolve().parent,
        Path(config.docs_dir).resolve(),
        os.environ.get("MIKE_DOCS_VERSION") or None,
    )
    build.start()
    build.configure(config)
    files = get_files(config)
    build.read(files, config)
    for file in files.documentation_pages():
        page = file.page or Page(None, file, config)
        page.read_source(config)
        markdown = build.page_markdown(page.markdown or "", page)
        if build.stash.may_stand_in_markup(markdown):
            # only converting the page tells whether a value stands in a tag, and which
            page.markdown = markdown
            page.render(config, files)
            build.findings.extend(build.stash.take_refused())
    span = None
    if since is not None:
        try:
            span, found = build.changed_since(since)
        except FindingError as exc:
            raise UsageError(exc.finding.message) from None
        build.findings.extend(found)
    return Checked(build, build.finish(), warnings, span)


class Checked(NamedTuple):
    """What ``collect`` found: the build, its graded findings, MkDocs' config warnings, and
    with ``--since`` what changed since the base."""

    build: Build
    graded: list[tuple[Finding, str]]
    config_warnings: int
    since: Range | None = None


def _from_extension(config: Any) -> MLConfig | None:
    """Options like those of the Markdown extension, for a site built without plugins
    (Zensical): the check then runs on the same options."""
    name = "mkdocs_mlplugin.markdown"
    if name not in config.markdown_extensions:
        return None
    options, errors = extension_options(dict(config.mdx_configs.get(name) or {}))
    if errors:
        raise UsageError(f"markdown extension options: {'; '.join(errors)}")
    return options


def _github(value: str, prop: bool = False) -> str:
    """VALUE made visible (one line, no controls), then escaped as GitHub Actions' workflow
    commands require for data, or for a property value."""
    value = visible(value).replace("%", "%25")  # visible() leaves no line break to escape
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def report(
    checked: Checked, fmt: str, repo_prefix: str, out: TextIO, verbose: bool = False
) -> tuple[int, int]:
    """Write the findings in FMT (information only when VERBOSE, or in JSON); return
    (errors, warnings)."""
    graded = checked.graded
    errors = sum(1 for _, s in graded if s == "error")
    warnings = sum(1 for _, s in graded if s == "warn")
    span = checked.since
    if fmt == "json":
        result: dict[str, object] = {"errors": errors, "warnings": warnings}
        if checked.build.coverage.required:
            result["coverage"] = checked.build.coverage.as_dict()
        if span is not None:
            changed = sorted(posixpath.relpath(p, repo_prefix or ".") for p in span.paths)
            result["since"] = {"base": span.base, "merge_base": span.merge_base, "changed": changed}
        json.dump({**result, "findings": [f.as_dict(s) for f, s in graded]}, out, indent=2)
        out.write("\n")
        return errors, warnings
    for finding, severity in graded:
        if severity == "info" and not verbose:
            continue
        if fmt == "github":
            out.write(_annotation(finding, severity, repo_prefix) + "\n")
            for file, line in finding.also:  # the changed files a page should have followed
                place = dataclasses.replace(finding, file=file, line=line, also=())
                out.write(_annotation(place, severity, repo_prefix) + "\n")
        else:
            where = f"{finding.where()}: " if finding.where() else ""
            out.write(visible(f"{where}{severity}: {finding.message} [{finding.kind}]") + "\n")
    if fmt == "text":
        if checked.build.coverage.required:
            out.write(visible(f"Coverage: {checked.build.coverage.summary()}.") + "\n")
        if span is not None:
            out.write(
                visible(f"Since {span.label()}: {_count(len(span.paths), 'changed file')}.") + "\n"
            )
        pages = len(checked.build.pages)
        out.write(
            f"{_count(errors, 'error')}, {_count(warnings, 'warning')} on {_count(pages, 'page')}.\n"
        )
    return errors, warnings


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _annotation(finding: Finding, severity: str, repo_prefix: str) -> str:
    level = {"error": "error", "warn": "warning"}.get(severity, "notice")
    props = [f"title={_github(f'mlplugin {finding.kind}', prop=True)}"]
    if finding.file:
        path = posixpath.normpath(
            repo_prefix + finding.file
        )  # "docs-site/../dvc.yaml" -> "dvc.yaml"
        props.insert(0, f"file={_github(path, prop=True)}")
        if finding.line:
            props.insert(1, f"line={finding.line}")
    return f"::{level} {','.join(props)}::{_github(finding.message)}"


def _repo_prefix(build: Build) -> str:
    """mkdocs.yml's directory relative to the git root, for annotation paths."""
    if build.git_root is None:
        return ""
    try:
        rel = build.config_dir.relative_to(build.git_root).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mkdocs-ml",
        description="Check a site's references to DVC and git facts without building it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run every check; exit 1 on errors")
    check.add_argument("-f", "--config-file", default="mkdocs.yml", help="the site's mkdocs.yml")
    check.add_argument("--format", choices=("text", "json", "github"), default="text")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument("-v", "--verbose", action="store_true", help="also show information")
    check.add_argument(
        "--since",
        metavar="BASE",
        help="also fail pages whose documented code changed since BASE (a git revision: the "
        "pull request's base) while they did not",
    )
    printing = commands.add_parser("manifest", help="print the manifest a build would write")
    printing.add_argument("-f", "--config-file", default="mkdocs.yml", help="the site's mkdocs.yml")
    reporting = commands.add_parser(
        "report", help="what a pull request changes against a base, as one Markdown comment"
    )
    reporting.add_argument(
        "-f", "--config-file", default="mkdocs.yml", help="the site's mkdocs.yml"
    )
    reporting.add_argument(
        "--base",
        required=True,
        help="the revision to compare with: a git ref (origin/main), NAME@VERSION or NAME#STAGE",
    )
    reporting.add_argument("--format", choices=("markdown", "json"), default="markdown")
    scaffolding = commands.add_parser(
        "init", help="plan a docs skeleton from what DVC and GTO declare; --write writes it"
    )
    scaffolding.add_argument(
        "directory", nargs="?", default=".", help="where mkdocs.yml goes (default: here)"
    )
    scaffolding.add_argument(
        "--write", action="store_true", help="create the planned files that do not exist"
    )
    scaffolding.add_argument(
        "--docs-dir", default="docs", help="the docs directory, relative to DIRECTORY"
    )
    args = parser.parse_args(argv)
    if args.command == "init":
        return init(args.directory, args.write, args.docs_dir, sys.stdout)

    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    try:
        checked = collect(
            args.config_file,
            strict=getattr(args, "strict", False),
            since=getattr(args, "since", None),
        )
    except UsageError as exc:
        print(visible(f"mkdocs-ml: {exc}"), file=sys.stderr)
        return 2
    try:
        if args.command == "manifest":
            write_manifest(manifest(checked.build), sys.stdout)
            return 0
        if args.command == "report":
            return pull_request_report(checked, args.base, args.format, sys.stdout)
        errors, warnings = report(
            checked,
            args.format,
            _repo_prefix(checked.build),
            sys.stdout,
            getattr(args, "verbose", False),
        )
        sys.stdout.flush()
    except BrokenPipeError:  # `mkdocs-ml manifest | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter shutdown quiet
        return 0
    warnings += checked.config_warnings
    return 1 if errors or (args.strict and warnings) else 0


def pull_request_report(checked: Checked, base: str, fmt: str, out: TextIO) -> int:
    """``mkdocs-ml report``: the report against BASE, in FMT; 2 when it cannot be made."""
    from mkdocs_mlplugin.render.report import markdown
    from mkdocs_mlplugin.report import ReportError, assemble

    try:
        record = assemble(checked.build, base, checked.graded)
    except ReportError as exc:
        print(visible(f"mkdocs-ml: report: {exc}"), file=sys.stderr)
        return 2
    if fmt == "json":
        write_manifest(record, out)  # strict JSON, as the manifest is written
    else:
        out.write(markdown(record))
    return 0


def init(directory: str, write: bool, docs_dir: str, out: TextIO) -> int:
    """``mkdocs-ml init``: print the plan; with WRITE, create what does not exist."""
    from mkdocs_mlplugin import scaffold

    site_dir = Path(directory)
    if not site_dir.is_dir():
        print(visible(f"mkdocs-ml: {directory} is not a directory."), file=sys.stderr)
        return 2
    try:
        survey = scaffold.survey(site_dir, docs_dir)
    except FindingError as exc:
        print(visible(f"mkdocs-ml: {exc.finding.message}"), file=sys.stderr)
        return 2
    project = survey.project
    if project is None:
        print(
            visible(
                f"mkdocs-ml: no DVC project at or below {directory}: run 'dvc init' first "
                "(or name the directory of mkdocs.yml inside the project)."
            ),
            file=sys.stderr,
        )
        return 2
    planned = scaffold.plan(survey)
    kinds = [a.type or "untyped" for a in survey.artifacts.values()]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds)))
    out.write(
        visible(
            f"mkdocs-ml init: DVC project {os.path.relpath(project.root)}: "
            f"{_count(len(project.stages), 'stage')}, "
            f"{_count(len(survey.artifacts), 'artifact')}{f' ({counts})' if counts else ''}."
        )
        + "\n"
    )
    states = scaffold.write(planned, site_dir.resolve(), survey.git_root) if write else {}
    for i, item in enumerate(planned):
        base = site_dir if item.base == "site" else survey.git_root or site_dir
        shown = os.path.relpath(base / item.path)
        state = "exists, kept" if item.text is None else states.get(i, "would write")
        why = ""
        if state.startswith("refused"):
            state, why = state.split(": ", 1)
        out.write(visible(f"  {state:<13}{shown}  ({item.what})") + "\n")
        if why:
            out.write("      " + visible(why) + "\n")
        if item.text is None and item.note not in ("", "exists"):
            for line in item.note.splitlines():
                out.write("      " + visible(line) + "\n")
    for name in scaffold.unplanned(survey):
        out.write(
            visible(
                f"No page for artifact '{name}' (type: {survey.artifacts[name].type or 'none'}): "
                f"write one with 'ml: {{artifact: {name}}}' in its front matter."
            )
            + "\n"
        )
    for note in survey.notes:
        out.write(visible(f"The first build will report: {note}") + "\n")
    new = sum(1 for p in planned if p.text is not None)
    if write:
        wrote = sum(1 for state in states.values() if state == "wrote")
        refused = sum(1 for state in states.values() if state.startswith("refused"))
        out.write(f"Wrote {_count(wrote, 'file')}; nothing else was changed.\n")
        if refused:
            out.write(f"Refused {_count(refused, 'file')}: see above.\n")
            return 1
    elif new:
        out.write(
            f"Dry run: nothing was written. Run again with --write to write "
            f"{_count(new, 'file')}.\n"
        )
    else:
        out.write("Nothing to write: every file of the skeleton exists.\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
