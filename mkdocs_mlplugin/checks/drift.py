"""Doc drift and pins: is a page older than the artifact or stage it documents?

A page bound to an artifact or a stage is stale when what it documents (the artifact's hash,
or the stage's dvc.lock entry) changed in a commit after the page's last edit. A page may
instead pin what it documents (an md5 prefix, or the commit it was written against); then it
is behind when the current value differs from the pinned one.

The history of dvc.lock and .dvc files comes from the one ``git log`` pass the plugin already
made; their contents at each commit come from a single ``git cat-file --batch``.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Any

from mkdocs_mlplugin.facts.dvc import LOCK_FILE, Artifact, Project, Stage
from mkdocs_mlplugin.facts.git import Commit, FileHistory
from mkdocs_mlplugin.facts.structured import parse_blob, parse_yaml
from mkdocs_mlplugin.findings import FindingError

_HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")
PIN_KEYS = ("md5", "commit", "version")


@dataclasses.dataclass(frozen=True)
class Subject:
    """What a page documents: an artifact's output hash, or a stage's lock entry."""

    label: str  # "artifact 'text-classifier'" or "stage 'train'"
    file: str  # project-relative dvc.lock or .dvc file holding it
    extract: Callable[[Any], Any]  # parsed file -> the value that matters (None: absent)
    current: Any


def subject_of(
    project: Project, artifact: Artifact | None, stage: Stage | None, data: str | None = None
) -> Subject | None:
    """What a page bound to ARTIFACT, STAGE or the data path DATA (a datasheet's) documents."""
    if artifact is not None:
        if artifact.path is None:
            return None
        return _output(project, artifact.path, f"artifact '{artifact.name}'")
    if data is not None:
        return _output(project, data, f"data '{data}'")
    if stage is not None:
        lock = posixpath.join(posixpath.dirname(stage.dvcfile), LOCK_FILE)
        key = stage.name.rsplit(":", 1)[-1] if ":" in stage.name else stage.name
        return Subject(f"stage '{stage.name}'", lock, lambda d: _lock_stage(d, key), None)
    return None


def _output(project: Project, path: str, label: str) -> Subject | None:
    """The hash of the output PATH, in the dvc.lock or .dvc file that records it."""
    found = project.producer(path)
    if found is None:
        return None
    owner, hashed = found
    if owner in project.stages:
        dvcfile = project.stages[owner].dvcfile
        lock = posixpath.join(posixpath.dirname(dvcfile), LOCK_FILE)
        base = project.stages[owner].wdir  # a lock entry's paths are relative to it
        return Subject(label, lock, lambda d: _lock_out(d, base, path), hashed.md5)
    base = posixpath.dirname(owner)
    return Subject(label, owner, lambda d: _tracked_out(d, base, path), hashed.md5)


def _stages(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    stages = data.get("stages") if "schema" in data else data
    return stages if isinstance(stages, dict) else {}


def _lock_stage(data: Any, name: str) -> Any:
    return _stages(data).get(name)


def _lock_out(data: Any, base: str, path: str) -> Any:
    for entry in _stages(data).values():
        for out in (entry or {}).get("outs") or []:
            if (
                isinstance(out, dict)
                and posixpath.normpath(posixpath.join(base, str(out.get("path")))) == path
            ):
                return out.get("md5")
    return None


def _tracked_out(data: Any, base: str, path: str) -> Any:
    outs = data.get("outs") if isinstance(data, dict) else None
    for out in outs or []:
        if (
            isinstance(out, dict)
            and posixpath.normpath(posixpath.join(base, str(out.get("path")))) == path
        ):
            return out.get("md5")
    return None


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """A file as an old commit has it, which cannot be read: why, and where in it."""

    reason: str
    line: int | None = None


def parse(blob: bytes | None, shown: str = LOCK_FILE) -> Any:
    """An old version of a dvc.lock or .dvc file (None: absent), read with the guards the
    current one is read with; Unreadable when it cannot be read."""
    if blob is None:
        return None
    try:
        return parse_blob(blob, shown, parse_yaml)
    except FindingError as exc:
        return Unreadable(exc.finding.message, exc.finding.line)


def versions(
    subject: Subject, commits: Iterable[Commit], blobs: Blobs, repo_path: str
) -> Iterable[tuple[Commit, Any]]:
    """(commit, the subject's value there) for COMMITS, lazily; versions that cannot be read
    are left out (Blobs keeps them, to be reported)."""
    for commit in commits:
        data = blobs.get(f"{commit.sha}:{repo_path}")
        if not isinstance(data, Unreadable):
            yield commit, subject.extract(data)


def last_change(values: Iterable[tuple[Commit, Any]]) -> Commit | None:
    """The commit that gave the value its current (HEAD) form.

    VALUES are (commit, value) newest first, over the commits that touched the file. The
    value at the newest is current; walking back, the first commit with another value marks
    the change as the commit just after it. VALUES may be lazy: the walk stops there.
    """
    walk = iter(values)
    first = next(walk, None)
    if first is None:
        return None
    changed, head = first
    for commit, value in walk:
        if value != head:
            return changed
        changed = commit
    return changed


class Blobs:
    """File contents at commits, read and parsed on first use only: a drift check walks back
    from HEAD and usually stops after a few commits, and pages share the same lock file.
    PARSED, if given, holds what each content parsed to, shared with other Blobs: the same
    dvc.lock at the same commit is read for several artifacts (the result is only read)."""

    def __init__(
        self,
        read: Callable[[str], bytes | None],
        parsed: dict[tuple[bytes, str], Any] | None = None,
    ) -> None:
        self._read = read
        self._parsed: dict[str, Any] = {}
        self._by_content = parsed

    def get(self, spec: str) -> Any:
        if spec not in self._parsed:
            blob, shown = self._read(spec), spec.split(":", 1)[-1]
            if blob is None or self._by_content is None:
                self._parsed[spec] = parse(blob, shown)
            else:
                if (blob, shown) not in self._by_content:
                    self._by_content[blob, shown] = parse(blob, shown)
                self._parsed[spec] = self._by_content[blob, shown]
        return self._parsed[spec]

    def unreadable(self) -> dict[str, Unreadable]:
        """The versions read so far that could not be read, by 'commit:path'."""
        return {k: v for k, v in self._parsed.items() if isinstance(v, Unreadable)}


def check_drift(
    subject: Subject,
    file_history: FileHistory | None,
    page: FileHistory | None,
    blobs: Blobs,
    repo_path: str,
    grace: int,
    page_src: str,
) -> str | None:
    """A message when the subject changed after the page's last edit (beyond GRACE commits);
    PAGE_SRC is the page's file as findings name it."""
    if file_history is None or page is None or page.updated is None:
        return None
    changed = last_change(versions(subject, file_history.commits, blobs, repo_path))
    if changed is None or changed.index >= page.updated.index:
        return None
    if page.updated.index - changed.index <= grace:
        return None
    edited = page.updated
    return (
        f"the page documents {subject.label}, which changed in commit {changed.short} "
        f'({changed.date[:10]}, "{changed.subject}") after the page was last edited in commit '
        f"{edited.short} ({edited.date[:10]}). Review {page_src} against the new version and "
        "edit it: the saved edit clears this (mkdocs serve shows it before you commit), or pin "
        "what it documents with 'pin:'."
    )


def check_pin(subject: Subject, pin: dict[str, Any], at_commit: Any) -> str | None:
    """A message when the current value differs from the pinned one."""
    if "md5" in pin:
        prefix = str(pin["md5"]).lower()
        current = str(subject.current or "")
        if not current.startswith(prefix):
            return (
                f"the page pins {subject.label} at md5 {prefix}, but dvc.lock now records "
                f"{current[: max(len(prefix), 8)] or 'nothing'}. Update the page and its pin."
            )
    if "commit" in pin:
        current = subject.current if subject.current is not None else at_commit.get("now")
        then = at_commit.get("then")
        if then != current:
            return (
                f"the page pins {subject.label} at commit {pin['commit']}, and it has changed "
                f"since ({_short(then)} then, {_short(current)} now). Update the page and its pin."
            )
    return None


def _short(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, str):
        return value[:8]
    return "a different lock entry"


def validate_pin(pin: Any) -> str | None:
    """Why a ``pin:`` value is malformed, or None."""
    if isinstance(pin, str):
        pin = {"md5": pin}
    if not isinstance(pin, dict) or not pin or not set(pin) <= set(PIN_KEYS):
        return (
            f"'pin:' takes a mapping with {', '.join(PIN_KEYS)} (an md5 prefix, a commit, a "
            "registered GTO version)."
        )
    for key in ("md5", "commit"):
        if key in pin and not _HEX.match(str(pin[key])):
            return f"'pin: {key}' must be 4 to 40 hexadecimal characters, not '{pin[key]}'."
    return None
