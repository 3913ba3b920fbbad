"""The pull-request gate: what a page documents changed since a base revision, the page did not.

``mkdocs-ml check --since BASE`` hands in the paths that changed between the merge base of BASE
and HEAD (``facts.git.GitRepo.changed_since``) and what each page documents: the stages it is
bound to (directly, or through an artifact a stage makes), whose deps and params are the code
behind it, and the paths the ``documented_by`` option maps to it. Every page whose documented
code changed while the page itself did not is an ``undocumented_change`` finding that names the
page and each changed file. A page reviewed without a text change says so by a change to its
front matter (``reviewed:``): any change to the page's file counts.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pathspec import GitIgnoreSpec

from mkdocs_mlplugin.facts.dvc import LOCK_FILE, Stage, command_text
from mkdocs_mlplugin.facts.structured import flatten, lookup
from mkdocs_mlplugin.findings import Finding

#: how many changed files one part of a message lists before "and N more"
LISTED = 8
#: a params file that does not exist at one end of the range, or cannot be read there
ABSENT: Any = object()


@dataclasses.dataclass(frozen=True)
class Page:
    """A page that documents something."""

    src: str  # as findings name it: its path from mkdocs.yml's directory
    repo_path: str | None  # from the git root; None: git does not keep it
    line: int | None = None  # its 'ml:' line


@dataclasses.dataclass(frozen=True)
class Change:
    """A changed file (from the git root); for a params file, the keys whose values changed
    and the line of the first one."""

    path: str
    keys: tuple[str, ...] = ()
    line: int | None = None

    def shown(self) -> str:
        return f"{self.path} ({', '.join(self.keys)})" if self.keys else self.path


class Watch(NamedTuple):
    """Code and the pages that document it: WHAT names it in a message ("stage
    'train'"), CHANGES are its changed files, PAGES the pages that should follow them."""

    what: str
    changes: list[Change]
    pages: list[Page]


def stage_changes(
    stage: Stage,
    prefix: str,
    changed: frozenset[str],
    before: Mapping[str, Any],
    now: Mapping[str, Any],
    line_of: Callable[[str, str], int | None] = lambda _file, _key: None,
) -> list[Change]:
    """What STAGE depends on among CHANGED (paths from the git root; PREFIX is the DVC
    project's path from there): its command, when the dvc.lock holding it changed and records
    another command than at the merge base; each changed dep, or changed file below a dep
    that is a directory; each params file in which a key the stage uses has another value now
    (any key, for a stage that uses the whole file). BEFORE and NOW: params and dvc.lock
    files (from the project root) -> their data at the merge base and now (missing: ABSENT).
    LINE_OF(file, key) is the line of a params key, for annotations."""
    found: dict[str, Change] = {}
    lock = posixpath.join(posixpath.dirname(stage.dvcfile), LOCK_FILE)
    if prefix + lock in changed and stage.lock_cmd is not None:
        then = locked_command(before.get(lock, ABSENT), stage.name)
        if then is not None and then != stage.lock_cmd:
            path = prefix + stage.dvcfile
            found[path] = Change(path, ("cmd",), stage.line)
    for dep in stage.deps:
        path = prefix + dep
        if path in changed:
            found.setdefault(path, Change(path))
            continue
        below = path.rstrip("/") + "/"
        for name in sorted(p for p in changed if p.startswith(below)):
            found.setdefault(name, Change(name))
    for file, keys in stage.params.items():
        path = prefix + file
        if path not in changed or path in found:
            continue
        differ = changed_keys(before.get(file, ABSENT), now.get(file, ABSENT), keys)
        if differ:
            found[path] = Change(path, tuple(differ), line_of(file, differ[0]))
    return list(found.values())


def locked_command(lock: Any, name: str) -> str | None:
    """The command dvc.lock data LOCK records for the stage NAME, as ``Stage.lock_cmd`` holds
    it (a list of commands one a line, secrets redacted); None when it has no entry for it."""
    stages = lock.get("stages") if isinstance(lock, dict) else None
    entry = stages.get(name.rsplit(":", 1)[-1]) if isinstance(stages, dict) else None
    cmd = entry.get("cmd") if isinstance(entry, dict) else None
    return None if cmd is None else command_text(cmd)


def changed_keys(old: Any, new: Any, keys: Sequence[str] | None) -> list[str]:
    """The KEYS (dotted, as dvc.yaml lists them) whose value differs between the params data
    OLD and NEW; with KEYS None (the stage uses the whole file), every flattened key that
    differs, as ``dvc params diff`` lists them; ``*`` when one side has no data at all."""
    if keys is None:
        if old is ABSENT or new is ABSENT:
            return [] if old is new else ["*"]
        flat_old, flat_new = flatten(old), flatten(new)
        keys = sorted({*flat_old, *flat_new})
        return [k for k in keys if flat_old.get(k, ABSENT) != flat_new.get(k, ABSENT)]
    return [k for k in keys if lookup(old, k) != lookup(new, k)]


def matching(pattern: str, changed: Iterable[str]) -> list[Change]:
    """The paths of CHANGED (from the git root) that PATTERN matches, as a line of a
    .gitignore at the git root would match them (``pathspec``'s GitIgnoreSpec)."""
    spec = GitIgnoreSpec.from_lines([pattern])
    return [Change(path) for path in sorted(changed) if spec.match_file(path)]


def undocumented(
    watches: Iterable[Watch], changed: frozenset[str], since: str, config_dir: str
) -> list[Finding]:
    """One ``undocumented_change`` per page that documents a WATCH with changes while the page
    is not among CHANGED: it names the page (at its 'ml:' line) and, in ``also``, each changed
    file; SINCE says what the range starts from (``Range.label``). CONFIG_DIR is mkdocs.yml's
    directory from the git root ("." or "docs-site"): findings name files from there."""
    per_page: dict[Page, dict[str, list[Change]]] = {}
    for watch in watches:
        if not watch.changes:
            continue
        for page in watch.pages:
            if page.repo_path is None or page.repo_path in changed:
                continue
            per_page.setdefault(page, {}).setdefault(watch.what, watch.changes)
    findings = []
    for page, parts in per_page.items():
        said = "; ".join(f"{_listed(changes)} ({what})" for what, changes in parts.items())
        also = {
            (posixpath.relpath(c.path, config_dir), c.line): None
            for changes in parts.values()
            for c in changes
        }
        message = (
            f"{page.repo_path} did not change since {since}, but what it documents did: "
            f"{said}. Review the page: edit it, or, if it still holds, bump 'reviewed:' in "
            "its front matter to the date of the review."
        )
        findings.append(Finding("undocumented_change", message, page.src, page.line, also=(*also,)))
    return findings


def _listed(changes: list[Change]) -> str:
    shown = [c.shown() for c in changes[:LISTED]]
    more = len(changes) - LISTED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
