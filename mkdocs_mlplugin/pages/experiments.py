"""The ``{ml experiments}`` block: DVC's experiments as ``dvc exp show`` lists them.

The experiments run on the commit the site is built from (``{ml experiments all}``: on every
baseline), a column each (``render.across``), newest first after their baseline's, as
``facts.experiments.Experiments`` reads them from git: name, commit, date, the params that
differ from the baseline (as ``dvc params diff BASELINE EXP`` gives them:
``checks.compare.diff``), every metric, and the branches holding the experiment's commit when
it was promoted. Every value is escaped by
``render``. A metrics file DVC caches instead of git is a dash whose tooltip says so, and a
``missing_value`` finding.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mkdocs_mlplugin import render
from mkdocs_mlplugin.checks import compare
from mkdocs_mlplugin.facts.compare import Snapshot
from mkdocs_mlplugin.facts.experiments import Experiment, Experiments
from mkdocs_mlplugin.facts.site import PageFacts, SiteFacts
from mkdocs_mlplugin.findings import Finding
from mkdocs_mlplugin.pages.compare import metric_cells, missing_metric, not_known
from mkdocs_mlplugin.pages.references import Reference
from mkdocs_mlplugin.pages.values import format_date, unanswered

DEFAULT_PARAMS = "params.yaml"


def reader(site: SiteFacts, ref: Reference, page: PageFacts) -> Experiments:
    if site.experiments is None:
        why = site.git_problem or site.project_problem or "the site reads no git repository."
        raise unanswered("missing_value", ref, page, f"no experiments can be read: {why}")
    return site.experiments


def experiments_block(
    site: SiteFacts,
    ref: Reference,
    page: PageFacts,
    notes: list[Finding],
    out: render.Writer = render.HTML,
) -> list[str]:
    """The table of experiments (see the module's docstring), with notes on what could not
    be read; a DVC-cached metrics file is also a finding appended to NOTES."""
    exps = reader(site, ref, page)
    head = site.repo.commit if site.repo else None
    everything = ref.option("all") is not None
    if not everything and head is None:
        raise unanswered("missing_value", ref, page, "no commit yet: experiments run on a commit.")
    listed = exps.of(None if everything else head)
    if exps.problem:
        raise unanswered("git_history", ref, page, f"experiments cannot be read: {exps.problem}")
    baselines = list(
        dict.fromkeys([*([head] if head and not everything else []), *(e.baseline for e in listed)])
    )
    dates = exps.dates(baselines)
    # HEAD on a branch is named by the branch; any other baseline (HEAD detached, as in a CI
    # checkout, too) by a tag or branch that points to it
    branch = site.repo.branch if site.repo else None
    named = [b for b in baselines if (everything or b == head) and (b != head or not branch)]
    names = exps.names(named) if named else {}
    snaps = exps.snapshots([*baselines, *(e.commit for e in listed)])
    order: list[tuple[str, Experiment | None]] = []
    for baseline in baselines:
        order.append((baseline, None))
        order += [(e.commit, e) for e in listed if e.baseline == baseline]
    cells = metric_cells([snaps[commit].metrics for commit, _ in order])
    columns = list(dict.fromkeys(label for row in cells for label in row))
    # a metrics file no row could read still has its column: of dashes saying why
    read = {f for c, _ in order for f, v in snaps[c].metrics.items() if v}
    columns += sorted({f for c, _ in order for f in snaps[c].metrics if f not in read})
    # a column per experiment, a row per fact and metric (as a run comparison lays them
    # out): many metrics make the table longer, not wider
    items: list[tuple[str, list[Any]]] = []
    for (commit, exp), values in zip(order, cells, strict=True):
        snap = snaps[commit]
        if exp is None:
            name = _baseline_name(site, commit, names)
            facts: list[Any] = [
                render.Hash(commit[:7], commit),
                _date(site, dates.get(commit, "")),
                "",
            ]
        else:
            name = exp.name
            facts = [
                render.Hash(commit[:7], commit),
                _date(site, exp.date),
                changed_params(snaps[exp.baseline], snap),
            ]
        facts += [_metric(values, label, snap, commit) for label in columns]
        facts.append("" if exp is None or not exp.promoted else _promoted(exp))
        items.append((name, facts))
    labels = ["Commit", "Created", "Params changed", *map(render.Key, columns), "Promoted"]
    lines = out.table(*render.across("Experiment", labels, items), "ml-experiments")
    messages = []
    if not listed:
        messages.append(_none_here(exps, head, everything))
    cached = sorted(
        {
            f
            for c, _ in order
            for f in snaps[c].cached
            if f in snaps[c].metrics and snaps[c].metrics[f] is None
        }
    )
    if cached:
        message = (
            f"{', '.join(cached)} {'is' if len(cached) == 1 else 'are'} DVC-tracked in "
            "experiments (cached by DVC, not kept in git), so not shown; declare metrics with "
            "'cache: false' to keep them in git."
        )
        messages.append(message)
        notes.append(Finding("missing_value", f"'{ref.text}': {message}", page.src, ref.line))
    for commit, exp in order:
        label = exp.name if exp is not None else commit[:7]
        for what in ("metrics", "params"):
            for unknown, why in not_known(label, snaps[commit], what):
                messages.append(f"{unknown}: {why}")
                notes.append(
                    Finding("missing_value", f"'{ref.text}': {unknown}: {why}", page.src, ref.line)
                )
        problems = dict.fromkeys([*snaps[commit].problems, *snaps[commit].param_problems])
        messages += [f"{label}: {problem}" for problem in problems]
    return lines + [out.note(m) for m in messages]


def _baseline_name(site: SiteFacts, commit: str, names: dict[str, str]) -> str:
    """How a baseline's row is named, as dvc exp show names it: the current branch for
    HEAD, else a tag or branch that points to it (NAMES), else none."""
    if site.repo is not None and commit == site.repo.commit and site.repo.branch:
        return f"baseline: {site.repo.branch}"
    return f"baseline: {names[commit]}" if commit in names else "baseline"


def _promoted(exp: Experiment) -> str:
    return f"on {', '.join(exp.branches)}" if exp.branches else "on a branch"


def _date(site: SiteFacts, iso: str) -> Any:
    """A commit's date, ISO in its committer's zone, in UTC (``date_format``): the day ``dvc
    exp show`` gives it on a machine (a CI runner) that keeps UTC, whatever the zone the
    commit was made in."""
    utc = dt.datetime.fromisoformat(iso).astimezone(dt.UTC).isoformat() if iso else ""
    shown = format_date(utc, site.date_format)
    return render.Date(shown) if shown else render.Empty("the commit has no calendar date.")


#: no experiment refs at all: most often a clone, which does not fetch them (README: Experiments)
_NONE = (
    "No experiments in this repository: 'dvc exp run' keeps them in git refs (refs/exps), which a "
    "clone does not fetch: git fetch origin 'refs/exps/*:refs/exps/*' (or dvc exp pull) "
    "brings them."
)


def _none_here(exps: Experiments, head: str | None, everything: bool) -> str:
    others = len(exps.of(None))
    if everything or head is None or not others:
        return _NONE
    return (
        f"No experiments were run on this commit ({head[:7]}); {others} "
        f"{'was' if others == 1 else 'were'} run on other commits: "
        "write {ml experiments all} to list them."
    )


def changed_params(base: Snapshot, snap: Snapshot) -> Any:
    """The params of SNAP that differ from BASE, as ``file:key: old -> new``."""
    items = []
    for row in compare.diff(present(base), present(snap), False):
        where = "" if row.file == DEFAULT_PARAMS else f"{row.file}:"
        old, new = _shown(row.old, row.file, base), _shown(row.new, row.file, snap)
        items.append(f"{where}{row.key}: {old} \u2192 {new}")
    return render.Items(", ".join(items)) if items else ""


def present(snap: Snapshot) -> dict[str, dict[str, Any] | None]:
    """The params of SNAP by file, a file that is not there (neither in git nor cached by DVC)
    holding none: its params are absent (DVC's null, a dash), not unknown; None only for a
    file that is there and cannot be read, or that DVC caches."""
    return {
        file: {} if values is None and file not in snap.unreadable | snap.cached else values
        for file, values in snap.params.items()
    }


def _shown(value: Any, file: str, snap: Snapshot) -> str:
    """A param's value on one side (SNAP) of a change; a dash where that side has none (DVC's
    null, shown as a dash by its tables and by params-diff here)."""
    if value is compare.UNKNOWN:  # FILE is there and cannot be read, or DVC caches it
        return "cached by DVC" if file in snap.cached else "unreadable"
    return "\u2014" if value is None else render.literal(value)


def _metric(values: dict[str, Any], label: str, snap: Snapshot, commit: str) -> Any:
    if label in values:
        return render.Value(values[label])
    # the snapshot's problems are its params' too: none of them says why a metric is missing
    at = f"commit {commit[:7]}"
    return missing_metric(snap.metrics, snap.cached, snap.unreadable, [], at)


def experiments_manifest(exps: Experiments) -> list[dict[str, Any]]:
    """Every experiment, with its changed params and its metrics (the manifest asks only
    when a page showed experiments: they are read only for a page)."""
    listed = exps.of(None)
    snaps = exps.snapshots([*(e.baseline for e in listed), *(e.commit for e in listed)])
    found = []
    for e in listed:
        base, snap = snaps[e.baseline], snaps[e.commit]
        params: dict[str, dict[str, Any]] = {}
        for row in compare.diff(present(base), present(snap), False):
            params.setdefault(row.file, {})[row.key] = row.as_dict()
        found.append(
            {
                "name": e.name,
                "ref": e.ref,
                "commit": e.commit,
                "baseline": e.baseline,
                "date": e.date or None,
                "promoted": e.promoted,
                "branches": list(e.branches),
                "params_changed": params,
                "metrics": snap.metrics,
            }
        )
    return found
