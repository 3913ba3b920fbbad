"""The blocks that compare two revisions: ``{ml metrics-diff A B}`` and ``{ml params-diff A B}``.

A and B name revisions as ``facts.compare.Revisions.resolve`` reads them (default: ``HEAD``
and ``workspace``, as ``dvc metrics diff``); the rows are ``checks.compare.diff``'s; every
value is escaped by ``render``. metrics-diff lists every metric (``dvc metrics diff --all``),
params-diff the params that changed (``dvc params diff``); ``all`` or ``changed`` says
otherwise, ``precision=N`` rounds numbers to N decimals.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks import compare
from mkdocs_mlplugin.facts.compare import WORKSPACE, Revisions, Side, Snapshot, Unresolved
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.findings import Finding
from mkdocs_mlplugin.pages.references import Reference
from mkdocs_mlplugin.pages.values import unanswered


def revisions(site: SiteFacts, ref: Reference, page: PageFacts) -> Revisions:
    if site.revisions is None:
        why = site.git_problem or site.project_problem or "the site reads no git repository."
        raise unanswered("missing_value", ref, page, f"no revisions to compare: {why}")
    return site.revisions


def resolve(site: SiteFacts, ref: Reference, page: PageFacts, written: str) -> Side:
    """The revision WRITTEN names, for PAGE (its artifact's versions and stages); a
    missing_reference finding at REF's line when it names nothing."""
    reader = revisions(site, ref, page)
    artifact = page.artifact.name if page.artifact is not None else None
    try:
        return reader.resolve(written, site.registry, site.registry_names, artifact)
    except Unresolved as exc:
        raise unanswered("missing_reference", ref, page, str(exc)) from None


def diff_block(
    site: SiteFacts,
    ref: Reference,
    page: PageFacts,
    notes: list[Finding],
    out: render.Writer = render.HTML,
) -> list[str]:
    """The table of a metrics-diff or params-diff block, with notes on what was compared,
    written by OUT (HTML, or plain Markdown for a Hub README). A metrics file the diff cannot
    show because DVC keeps it (cached at a commit, not pulled in the work tree) is also a
    ``missing_value`` finding at REF's line, appended to NOTES, as ``{ml metric}`` gives one."""
    reader = revisions(site, ref, page)
    old = resolve(site, ref, page, ref.name or "HEAD")
    new = resolve(site, ref, page, ref.field or WORKSPACE)
    what = "metrics" if ref.kind == "metrics-diff" else "params"
    # both commits read together: the same git runs as one
    reader.snapshots([side.commit for side in (old, new) if side.commit is not None])
    for side in (old, new):
        for unknown, why in not_known(side.label, reader.snapshot(side), what):
            raise unanswered("missing_value", ref, page, f"{unknown}, so no diff is shown: {why}")
    drawn = (ref.kind, old, new, ref.options, type(out).__name__)
    if drawn not in reader.drawn:  # pages showing the same comparison share its drawing
        reader.drawn[drawn] = draw(reader, ref, old, new, out)
    lines, by_file = reader.drawn[drawn]
    if ref.kind == "metrics-diff":
        for side in dict.fromkeys((old, new)):
            for why in kept_by_dvc(side, reader.snapshot(side)):
                message = f"'{ref.text}': {why}"
                notes.append(Finding("missing_value", message, page.src, ref.line))
    reader.shown[(page.src, ref.line)] = {
        "page": page.src,
        "line": ref.line,
        "block": ref.kind,
        "old": {"revision": old.written, "commit": old.commit, "is": old.what},
        "new": {"revision": new.written, "commit": new.commit, "is": new.what},
        "diff": by_file,
    }
    return lines


def draw(
    reader: Revisions, ref: Reference, old: Side, new: Side, out: render.Writer
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The lines of REF's diff of OLD and NEW, with its notes, and the diff by file and key
    (as ``dvc metrics diff --json`` shapes it) for the manifest."""
    metrics = ref.kind == "metrics-diff"
    everything = ref.option("all") is not None or (metrics and ref.option("changed") is None)
    before, after = reader.snapshot(old), reader.snapshot(new)
    rows = compare.diff(
        before.metrics if metrics else before.params,
        after.metrics if metrics else after.params,
        everything,
    )
    what = "metrics" if metrics else "params"
    by_file: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_file.setdefault(row.file, {})[row.key] = row.as_dict()
    key = "Metric" if metrics else "Param"
    lines = table(rows, old, new, key, ref.option("precision"), f"ml-{what}-diff", out)
    notes = [f"Old: {describe(old)}; new: {describe(new)}."]
    if not rows:
        notes.append(f"No {what} {'changed' if not everything else 'to compare'}.")
    notes += snapshot_notes(old, before, what) + snapshot_notes(new, after, what)
    return lines + [out.note(note) for note in notes], by_file


def table(
    rows: list[compare.Row],
    old: Side,
    new: Side,
    key: str,
    precision: str | None,
    css: str,
    out: render.Writer = render.HTML,
) -> list[str]:
    """The rows of a diff as a table, grouped by file: key, both values, the change and the
    relative change; a value one side lacks is a dash whose tooltip says why."""
    digits = int(precision) if precision is not None else None
    files: dict[str, list[tuple[object, ...]]] = {}
    for row in rows:
        files.setdefault(row.file, []).append(
            (
                render.Key(row.key),
                _value(row.old, row.file, old, digits),
                _value(row.new, row.file, new, digits),
                "" if row.change is None else compare.signed(row.change, digits),
                "" if row.relative is None else compare.percent(row.relative),
            )
        )
    headers = (key, old.label, new.label, "Change", "Change (%)")
    groups = [((render.Path(file),), body) for file, body in files.items()]
    return out.grouped_table(headers, groups, f"ml-diff {css}", group="File")


def _value(value: Any, file: str, side: Side, precision: int | None) -> Any:
    if value is compare.UNKNOWN:
        return render.Empty(f"{file} cannot be read at {side.label} (see the notes).")
    if value is None:
        return render.Empty(f"not in {file} at {side.label}.")
    if precision is not None and compare.number(value) is not None:
        return compare.shown(value, precision)
    return render.Value(value)


def describe(side: Side) -> str:
    if side.commit is None:
        return "the work tree"
    return f"{side.written} = {side.what}, commit {side.commit[:7]}"


def snapshot_notes(side: Side, snap: Snapshot, what: str) -> list[str]:
    """What of WHAT ("metrics" or "params") could not be read at SIDE, in words: only what
    concerns it (a params file's trouble is no note under a metrics diff)."""
    notes = kept_by_dvc(side, snap, what)
    notes += [f"{unknown}: {why}" for unknown, why in not_known(side.label, snap, what)]
    problems = snap.problems if what == "metrics" else snap.param_problems
    notes += [f"{side.label}: {problem}" for problem in problems]
    return notes


def not_known(label: str, snap: Snapshot, what: str) -> list[tuple[str, str]]:
    """(what is not known, why) for each dvc.yaml of SNAP (the revision LABEL names) whose
    WHAT ("metrics", "params") only DVC's resolver tells, and it could not (the dvc extra is
    not installed, DVC refuses the file): a table of its WHAT would lack them."""
    return [
        (f"the {what} {dvcfile} declares at {label} are not known", why)
        for dvcfile, why in sorted(snap.unresolved[what].items())
    ]


def kept_by_dvc(side: Side, snap: Snapshot, what: str = "metrics") -> list[str]:
    """Why, for each metrics (or params: WHAT) file of SIDE that a diff cannot show, it is
    not there: at a commit, a file DVC caches (git has no copy; ``dvc metrics diff`` cannot
    load it either, short of a pulled cache), or a metrics file declared there that neither
    git nor DVC keeps; in the work tree, what the DVC files tell of it."""
    found = []
    files = snap.metrics if what == "metrics" else snap.params
    for file, values in sorted(files.items()):
        if values is not None or file in snap.unreadable:
            continue
        if side.commit is None:
            why = snap.absent.get(file, "it is not there")
            found.append(
                f"{what} file {file} is not in the workspace, so the diff cannot show it: {why}."
            )
        elif file in snap.cached:
            keep = (
                "declare the metrics with 'cache: false' to keep them in git"
                if what == "metrics"
                else "declare the output holding it with 'cache: false' to keep it in git"
            )
            found.append(
                f"{what} file {file} is DVC-tracked at {side.label}: DVC keeps it in its "
                f"cache and git has no copy, so the diff cannot show it (not compared); {keep}."
            )
        elif what == "metrics":
            found.append(
                f"metrics file {file} is declared at {side.label}, but neither git nor DVC "
                "keeps it there (no stage caches it), so the diff cannot show it."
            )
    return found


def changed(row: dict[str, Any], label: str, previous: tuple[dict[str, Any], str]) -> Any:
    """The cell of metric LABEL in a metrics-history ROW: its value, with the change from the
    PREVIOUS row (the values of the version before, and its name) when both are numbers and
    differ."""
    value = render.Value(row[label])
    values, version = previous
    if label not in values:
        return value
    change = compare.Row("", label, values[label], row[label]).change
    if change is None or change == 0:
        return value
    return render.Changed(value, compare.signed(change), f"change from {version}")


def missing_metric(
    files: dict[str, dict[str, Any] | None],
    cached: set[str],
    unreadable: set[str],
    problems: list[str],
    at: str,
) -> render.Empty:
    """The cell of a metric that FILES (metrics file -> its values, None: not read) do not
    hold AT a revision: a dash saying why, naming each file that was not read (CACHED by DVC,
    UNREADABLE, or not in git), which may have held it, else the first of the PROBLEMS met
    reading the revision (a dvc.yaml that cannot be read declares no files)."""
    unread = [f for f, values in files.items() if values is None]
    if not unread:
        if problems:
            return render.Empty(f"not known at {at}: {problems[0]}")
        return render.Empty(f"not in the metrics files declared at {at}.")
    why = {
        f: "cached by DVC, not kept in git"
        if f in cached
        else "cannot be read"
        if f in unreadable
        else "not in git"
        for f in unread
    }
    if len(set(why.values())) == 1:
        return render.Empty(f"{', '.join(unread)}: {why[unread[0]]} at {at}.")
    return render.Empty("; ".join(f"{f}: {w}" for f, w in why.items()) + f" at {at}.")


def metric_cells(rows: list[dict[str, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """Each of ROWS (metrics file -> its flattened values, None: unreadable) as column label
    -> value: a key is its own column, whichever file held it (metrics files move between
    commits), unless one row has it in two files: then each file's is a column."""
    ambiguous = {
        key
        for files in rows
        for key, count in Counter(k for values in files.values() for k in values or {}).items()
        if count > 1
    }
    return [
        {
            (f"{file}:{key}" if key in ambiguous else key): value
            for file, values in sorted(files.items())
            for key, value in (values or {}).items()
        }
        for files in rows
    ]
