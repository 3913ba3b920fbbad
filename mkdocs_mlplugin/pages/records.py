"""A record page as built: its verified links (in ``links:`` and in its Markdown, or the
Markdown links of any page) and the header that shows its fields.

Where this sits: the page's front matter and Markdown → **links resolved** (``pages.links``)
and a header box (HTML) → the page's Markdown. Findings name the page and the line.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mkdocs.structure.files import File

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks import records
from mkdocs_mlplugin.findings import Finding, visible
from mkdocs_mlplugin.pages import links

#: what a URL keeps as it is in a Markdown link's <...>: all but spaces, quotes and <>
_URL_SAFE = ":/#?&=@+!$'()*,;~%.-_"


class SitePages:
    """The pages links lead to, addressed from PAGE: as .md paths (MARKDOWN, for Markdown
    links, which MkDocs turns into the pages' addresses and checks) or as URLs (for HTML)."""

    def __init__(
        self,
        page: File,
        documented: Mapping[str, File],
        registry_file: File | None,
        pipeline_file: Callable[[], File | None],
        markdown: bool,
    ) -> None:
        self._page, self._documented, self._registry = page, documented, registry_file
        self._pipeline, self._markdown = pipeline_file, markdown

    def _url(self, file: File | None) -> str | None:
        if file is None:
            return None
        if self._markdown:
            return posixpath.relpath(file.src_uri, posixpath.dirname(self._page.src_uri) or ".")
        return file.url_relative_to(self._page)

    @property
    def registry(self) -> str | None:
        return self._url(self._registry)

    def documenting(self, name: str) -> str | None:
        return self._url(self._documented.get(name))

    def pipeline(self) -> str | None:
        return self._url(self._pipeline())


def _finding_for(
    resolved: links.Resolved | str,
    target: links.Target | str,
    src: str,
    line: int | None,
    record: bool,
) -> Finding | None:
    if isinstance(resolved, str):
        return links.finding(target, resolved, src, line)
    if resolved.review and record:
        message = (
            f"link '{visible(target)}': {resolved.review}: review the record, then link the "
            "version it is about now."
        )
        return Finding("superseded_link", message, src, line)
    return None


def logged(
    log: list[dict[str, Any]],
    target: links.Target,
    resolved: links.Resolved | str,
    line: int | None,
    file: str | None = None,
) -> None:
    """Note a link for the manifest: its line, target, URL (null: none) and whether it
    resolves; FILE when it is written in another file than the page (a meta file)."""
    ok = isinstance(resolved, links.Resolved)
    url = resolved.url if isinstance(resolved, links.Resolved) else None
    entry = {"line": line, "target": str(target), "url": url, "resolved": ok}
    log.append({**entry, "file": file} if file else entry)


def rewrite(
    markdown: str,
    first_line: int,
    resolver: links.Links,
    pages: links.Pages,
    src: str,
    record: bool,
    log: list[dict[str, Any]],
) -> tuple[str, list[Finding]]:
    """MARKDOWN with each link to a target of ``links.LINK_SCHEMES`` made a real link (its
    text alone where there is nothing to link to, or the target does not resolve), and the
    findings: a ``broken_link`` for each target that does not resolve, and on a RECORD a
    ``superseded_link`` for a model version since superseded or deprecated. Each link is
    noted in LOG (``logged``)."""
    found = list(links.scan(markdown, first_line))
    if not found:
        return markdown, []
    findings: list[Finding] = []
    parts: list[str] = []
    unlinked: set[str] = set()  # reference-style definitions taken out
    pos = 0
    for written in found:
        resolved = resolver.resolve(written.target, pages)
        logged(log, written.target, resolved, written.line)
        problem = _finding_for(resolved, written.target, src, written.line, record)
        if problem is not None:
            findings.append(problem)
        parts.append(markdown[pos : written.start])
        if isinstance(resolved, links.Resolved) and resolved.url:
            title = (written.title or resolved.title).replace('"', "'")
            url = urllib.parse.quote(resolved.url, safe=_URL_SAFE)
            if written.indent is None:
                parts.append(f'[{written.text}](<{url}> "{title}")')
            else:
                parts.append(f'{written.indent}[{written.text}]: <{url}> "{title}"')
        elif written.indent is None:
            parts.append(written.text)
        else:  # the definition goes (its line stays, empty); its links become their text
            unlinked.add(written.text.lower())
        pos = written.end
    parts.append(markdown[pos:])
    return links.unlink("".join(parts), unlinked), findings


def front_links(
    meta: Mapping[str, Any],
    where: Callable[[int], tuple[str, int | None, Sequence[str]]],
    resolver: links.Links,
    pages: links.Pages,
    log: list[dict[str, Any]],
    page: str,
) -> tuple[list[tuple[str, str | None]], list[Finding]]:
    """The record's ``links:`` as (title, URL or None) pairs, and their findings, each at the
    line that names the link: WHERE gives, for the link at an index, the file that gave it
    (the PAGE, or a meta file), the line of its ``links:`` and that file's lines; each noted
    in LOG (with the meta file that gave it)."""
    shown: list[tuple[str, str | None]] = []
    findings: list[Finding] = []
    for index, (title, written) in enumerate(records.link_targets(meta.get("links"))):
        if not isinstance(written, str):
            continue  # the schema's finding says it
        src, start, source = where(index)
        line = start
        if start is not None:
            line = next(
                (n for n, t in enumerate(source[start - 1 :], start) if written in t), start
            )
        target = links.parse(written)
        if target is None:
            safe = render.unsafe_url("href", written) is None and ":" in written
            shown.append((title or written, written if safe else None))
            continue
        resolved = resolver.resolve(target, pages)
        logged(log, target, resolved, line, src if src != page else None)
        problem = _finding_for(resolved, target, src, line, True)
        if problem is not None:
            findings.append(problem)
        url = resolved.url if isinstance(resolved, links.Resolved) else None
        label = title or (resolved.title if isinstance(resolved, links.Resolved) else written)
        shown.append((label, url))
    return shown, findings


def header(
    kind: records.RecordKind,
    meta: Mapping[str, Any],
    shown: list[tuple[str, str | None]],
    related: Mapping[str, list[tuple[str, str | None]]] | None = None,
) -> list[str]:
    """The box at the top of a record page: its kind, fields and links (HTML lines). RELATED
    gives, for a field that names pages (``supersedes:``), each page's title and URL."""
    rows: list[tuple[str, object]] = []
    for field in kind.fields:
        if field.name == "links" or field.name not in meta:
            continue
        value = meta[field.name]
        date = records.as_date(value) if field.shape == records.DATE else None
        if related and field.name in related:
            value = render.Links(related[field.name])
        elif date is not None:
            value = date.isoformat()
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        rows.append((field.name.replace("_", " ").capitalize(), value))
    if shown:
        rows.append(("Links", render.Links(shown)))
    return render.box(kind.title, rows, f"ml-record ml-record-{kind.name}")


def with_header(markdown: str, box: list[str]) -> str:
    """MARKDOWN with BOX after its first line when that is the page's title (``# ...``),
    else before it."""
    block = "\n".join(box)
    lead = markdown[: len(markdown) - len(markdown.lstrip("\n"))]
    first, newline, rest = markdown[len(lead) :].partition("\n")
    if first.startswith("# "):
        return f"{lead}{first}\n\n{block}\n\n{rest}" if newline else f"{lead}{first}\n\n{block}\n"
    return f"{block}\n\n{markdown}"
