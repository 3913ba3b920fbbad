"""``mkdocs-ml``: the plugin's checks without rendering a site, for CI and pre-commit.

    mkdocs-ml check [-f mkdocs.yml] [--format text|json|github] [--strict]
    mkdocs-ml manifest [-f mkdocs.yml]

``check`` reads the same facts and runs the same checks as ``mkdocs build`` (every page's
references, bindings, pipeline staleness, doc drift and pins) but renders no HTML and writes
nothing. It exits 1 when there is an error (or, with --strict, a warning), 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .findings import Finding
from .plugin import MLPlugin


class UsageError(Exception):
    """The check cannot run: no config, no plugin in it, an invalid config."""


def collect(config_file: str, strict: bool = False) -> MLPlugin:
    """Load mkdocs.yml and run the plugin over every page without rendering any."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError
    from mkdocs.structure.files import get_files
    from mkdocs.structure.pages import Page

    if not Path(config_file).is_file():
        raise UsageError(f"{config_file} does not exist: name the site's config with -f.")
    try:
        config = load_config(config_file, strict=strict)
    except ConfigurationError as exc:
        raise UsageError(f"{config_file} is not a valid MkDocs config: {exc}") from None
    plugin = config.plugins.get("mlplugin")
    if not isinstance(plugin, MLPlugin):
        raise UsageError(
            f"{config_file} does not use the plugin: add '- mlplugin' under 'plugins:'."
        )
    plugin.on_config(config)
    files = get_files(config)
    plugin.on_files(files, config=config)
    for file in files.documentation_pages():
        page = file.page or Page(None, file, config)
        page.read_source(config)
        plugin.on_page_markdown(page.markdown or "", page=page, config=config, files=files)
    plugin.check_docs()
    return plugin


def _github(value: str, prop: bool = False) -> str:
    """Escape for a GitHub Actions workflow command (data, or a property value)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def report(plugin: MLPlugin, fmt: str, repo_prefix: str, out: TextIO) -> tuple[int, int]:
    """Write the findings in FMT; return (errors, warnings)."""
    graded = plugin.graded()
    errors = sum(1 for _, s in graded if s == "error")
    warnings = sum(1 for _, s in graded if s == "warn")
    if fmt == "json":
        json.dump(
            {
                "errors": errors,
                "warnings": warnings,
                "findings": [f.as_dict(s) for f, s in graded],
            },
            out,
            indent=2,
        )
        out.write("\n")
        return errors, warnings
    for finding, severity in graded:
        if fmt == "github":
            out.write(_annotation(finding, severity, repo_prefix) + "\n")
        else:
            where = f"{finding.where()}: " if finding.where() else ""
            out.write(f"{where}{severity}: {finding.message} [{finding.kind}]\n")
    if fmt == "text":
        pages = len(plugin.pages)
        out.write(f"{errors} errors, {warnings} warnings on {pages} pages.\n")
    return errors, warnings


def _annotation(finding: Finding, severity: str, repo_prefix: str) -> str:
    level = {"error": "error", "warn": "warning"}.get(severity, "notice")
    props = [f"title={_github(f'mlplugin {finding.kind}', prop=True)}"]
    if finding.file:
        props.insert(0, f"file={_github(repo_prefix + finding.file, prop=True)}")
        if finding.line:
            props.insert(1, f"line={finding.line}")
    return f"::{level} {','.join(props)}::{_github(finding.message)}"


def _repo_prefix(plugin: MLPlugin) -> str:
    """mkdocs.yml's directory relative to the git root, for annotation paths."""
    if plugin.git_root is None:
        return ""
    try:
        rel = plugin.config_dir.relative_to(plugin.git_root).as_posix()
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
    manifest = commands.add_parser("manifest", help="print the manifest a build would write")
    manifest.add_argument("-f", "--config-file", default="mkdocs.yml", help="the site's mkdocs.yml")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("mkdocs").setLevel(logging.ERROR)  # findings are printed below, once
    try:
        plugin = collect(args.config_file, strict=getattr(args, "strict", False))
    except UsageError as exc:
        print(f"mkdocs-ml: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "manifest":
            json.dump(plugin.manifest(), sys.stdout, indent=2, default=str)
            sys.stdout.write("\n")
            return 0
        errors, warnings = report(plugin, args.format, _repo_prefix(plugin), sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # `mkdocs-ml manifest | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter shutdown quiet
        return 0
    return 1 if errors or (args.strict and warnings) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
