"""Model cards: Hugging Face-compatible metadata in front matter, and required sections.

A model card is a page bound to an artifact (front matter ``ml: {artifact: NAME}``). Its front
matter may carry Hugging Face model-card metadata (``license``, ``datasets``, ``model-index``,
...), checked here offline with the key and line of each problem; its headings must include
the configured sections (Mitchell et al. 2019 by default, or the Hugging Face template's).
Pure functions: text in, findings out.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from mkdocs_mlplugin.findings import Finding, FindingError, Where, did_you_mean
from mkdocs_mlplugin.render import literal

#: Sections of "Model Cards for Model Reporting" (Mitchell et al., 2019).
MITCHELL = (
    "Model Details",
    "Intended Use",
    "Factors",
    "Metrics",
    "Evaluation Data",
    "Training Data",
    "Quantitative Analyses",
    "Ethical Considerations",
    "Caveats and Recommendations",
)
#: Top-level sections of the Hugging Face model card template.
HUGGINGFACE = (
    "Model Details",
    "Uses",
    "Bias, Risks, and Limitations",
    "How to Get Started with the Model",
    "Training Details",
    "Evaluation",
)
PRESETS = {"mitchell": MITCHELL, "huggingface": HUGGINGFACE}

_STR = "a string"
_STRS = "a list of strings"
_STR_OR_STRS = "a string or a list of strings"
#: Hugging Face model-card metadata keys and the shape each takes.
HF_KEYS: dict[str, str] = {
    "language": _STR_OR_STRS,
    "license": _STR,
    "license_name": _STR,
    "license_link": _STR,
    "library_name": _STR,
    "tags": _STRS,
    "datasets": _STRS,
    "metrics": _STRS,
    "base_model": _STR_OR_STRS,
    "base_model_relation": _STR,
    "pipeline_tag": _STR,
    "thumbnail": _STR,
    "inference": "true or false",
    "model-index": "a list of models",
    "co2_eq_emissions": "a mapping or a number",
    "new_version": _STR,
}
#: how a placeholder paragraph of a model card written by ``mkdocs-ml init`` starts
PLACEHOLDER = "**To write:**"
#: the SPDX identifiers of licences the Hub lists, whose Hub identifier is the SPDX one in
#: lower case (apache-2.0 is Apache-2.0): a card's licence links to its SPDX page only then
SPDX = {
    spdx.lower(): spdx
    for spdx in (
        "AFL-3.0", "AGPL-3.0", "Apache-2.0", "Artistic-2.0", "BSD-2-Clause", "BSD-3-Clause",
        "BSD-3-Clause-Clear", "BSL-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0",
        "CC-BY-NC-2.0", "CC-BY-NC-3.0", "CC-BY-NC-4.0", "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0",
        "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0", "CC-BY-SA-3.0",
        "CC-BY-SA-4.0", "CC0-1.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0",
        "CDLA-Sharing-1.0", "ECL-2.0", "EPL-1.0", "EPL-2.0", "etalab-2.0", "EUPL-1.1",
        "EUPL-1.2", "GPL-2.0", "GPL-3.0", "ISC", "LGPL-2.1", "LGPL-3.0", "LPPL-1.3c", "MIT",
        "MPL-2.0", "MS-PL", "NCSA", "OFL-1.1", "OSL-3.0", "PostgreSQL", "Unlicense", "WTFPL",
        "Zlib",
    )
}  # fmt: skip
#: a Hub repository id with its owner (``org/name``), as the Hub's URLs name it; a bare name
#: may be a dataset of one's own, so it is never linked
_HUB_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_]|[.-](?=[A-Za-z0-9_]))*"  # no '--', '..', no . or - last
HUB_ID = re.compile(f"{_HUB_NAME}/{_HUB_NAME}")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _is(value: Any, shape: str) -> bool:
    strings = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return {
        _STR: isinstance(value, str),
        _STRS: strings,
        _STR_OR_STRS: isinstance(value, str) or strings,
        "true or false": isinstance(value, bool),
        "a mapping or a number": isinstance(value, (dict, int, float))
        and not isinstance(value, bool),
        "a list of models": isinstance(value, list),
    }[shape]


def check_metadata(meta: Mapping[str, Any], at: Where) -> list[Finding]:
    """Hugging Face metadata in front matter: each known key has the right shape, and
    ``model-index`` follows the Hub's structure. AT says where a key is written."""
    findings = []
    for key, shape in HF_KEYS.items():
        if key in meta and not _is(meta[key], shape):
            findings.append(
                Finding(
                    "card_schema",
                    f"front matter '{key}' must be {shape} (Hugging Face model-card metadata), "
                    f"not {_kind(meta[key])}.",
                    *at(key),
                )
            )
    index = meta.get("model-index")
    if isinstance(index, list):
        for problem in _model_index(index):
            findings.append(Finding("card_schema", f"front matter {problem}", *at("model-index")))
    return findings


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def _model_index(index: list[Any]) -> list[str]:
    problems = []
    for i, model in enumerate(index):
        where = f"model-index[{i}]"
        if not isinstance(model, dict) or not isinstance(model.get("name"), str):
            problems.append(f"'{where}' needs 'name:' (a string).")
            continue
        results = model.get("results")
        if not isinstance(results, list):
            problems.append(f"'{where}' needs 'results:' (a list).")
            continue
        for j, result in enumerate(results):
            at = f"{where}.results[{j}]"
            if not isinstance(result, dict):
                problems.append(f"'{at}' must be a mapping.")
                continue
            # the Hub reads a result's task type, and its dataset's type and name
            for part, keys in (("task", ("type",)), ("dataset", ("type", "name"))):
                if not isinstance(result.get(part), dict) or not all(
                    isinstance(result[part].get(k), str) for k in keys
                ):
                    needs = " and ".join(f"'{k}:'" for k in keys)
                    strings = "a string" if len(keys) == 1 else "strings"
                    problems.append(f"'{at}' needs '{part}:' with {needs} ({strings}).")
            metrics = result.get("metrics")
            if not isinstance(metrics, list) or not metrics:
                problems.append(f"'{at}' needs 'metrics:' (a list).")
                continue
            for k, metric in enumerate(metrics):
                if not isinstance(metric, dict) or "type" not in metric or "value" not in metric:
                    problems.append(f"'{at}.metrics[{k}]' needs 'type:' and 'value:'.")
    return problems


def headings(markdown: str, first_line: int) -> list[tuple[int, str, int, bool]]:
    """(level, title, line, has content) of every ATX heading outside code fences."""
    found: list[tuple[int, str, int, bool]] = []
    fence: str | None = None
    body: list[bool] = []
    for number, line in enumerate(markdown.splitlines(), start=first_line):
        m = _FENCE.match(line)
        if m:
            mark = m.group(1)[0]
            fence = None if fence == mark else (fence or mark)
            if body:
                body[-1] = True
            continue
        heading = None if fence else _HEADING.match(line)
        if heading:
            found.append((len(heading.group(1)), heading.group(2), number, False))
            body.append(False)
        elif line.strip() and body:
            body[-1] = True
    # a heading has content when text follows before the next heading at its level or above
    result = []
    for i, (level, title, number, _) in enumerate(found):
        has = body[i]
        for j in range(i + 1, len(found)):
            if found[j][0] <= level:
                break
            has = has or body[j] or True  # a subsection counts as content
        result.append((level, title, number, has))
    return result


def check_sections(
    markdown: str,
    first_line: int,
    required: tuple[str, ...] | list[str],
    src: str,
    kind: str = "card_section",
    what: str = "model card",
    option: str = "card_sections",
) -> list[Finding]:
    """Missing, empty and duplicated sections of a model card (or of WHAT, whose sections
    OPTION sets, as findings of KIND)."""
    found = headings(markdown, first_line)
    wanted = {_norm(r) for r in required}
    findings = []
    seen: dict[str, int] = {}
    for _level, title, line, has_content in found:
        key = _norm(title)
        if key in seen:
            findings.append(
                Finding(
                    kind,
                    f"section '{title}' appears twice (also on line {seen[key]}).",
                    src,
                    line,
                )
            )
        seen.setdefault(key, line)
        if key in wanted and not has_content:
            findings.append(Finding(kind, f"section '{title}' is empty: fill it in.", src, line))
    waiting = placeholders(markdown, first_line)
    if waiting:
        titles = ", ".join(dict.fromkeys(f"'{title}'" for _, title in waiting))
        findings.append(
            Finding(
                kind,
                f"{len(waiting)} placeholder{'s' if len(waiting) != 1 else ''} that 'mkdocs-ml "
                f"init' wrote ({PLACEHOLDER} ...) still stand in {titles}: replace each with "
                "what the card says.",
                src,
                waiting[0][0],
            )
        )
    for name in required:
        if _norm(name) not in seen:
            findings.append(
                Finding(
                    kind,
                    f"the {what} has no '{name}' section: add a heading '## {name}' "
                    f"(required sections are set by the plugin's '{option}' option).",
                    src,
                    None,
                )
            )
    return findings


def placeholders(markdown: str, first_line: int) -> list[tuple[int, str]]:
    """(line, title of its section) of each placeholder paragraph outside code fences."""
    found = []
    fence: str | None = None
    title = "(before the first heading)"
    for number, line in enumerate(markdown.splitlines(), start=first_line):
        m = _FENCE.match(line)
        if m:
            mark = m.group(1)[0]
            fence = None if fence == mark else (fence or mark)
            continue
        if fence:
            continue
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(2)
        elif line.lstrip().startswith(PLACEHOLDER):
            found.append((number, title))
    return found


def _norm(title: str) -> str:
    title = re.sub(r"\{:.*?\}|\{ml[^}]*\}", "", title)  # attr_list and references
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


#: a model-index metric's value that is a reference: value: "{ml metric KEY}"
_METRIC_VALUE = re.compile(r'^\s*\{ml\s+metric\s+("[^"]*"|[^\s{}"]+)\s*\}\s*$')
#: the key of a model-index metric that names the DVC metric its value must equal
DVC_METRIC = "dvc_metric"
#: the value of a DVC metric by key (and the front matter line asking), or FindingError
Measured = Callable[[str, int | None], Any]


def metric_links(meta: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any], str, bool]]:
    """(where, entry, DVC metric key, whether the value is a reference) of each model-index
    metric tied to a DVC metric: by ``dvc_metric: KEY``, or by ``value: "{ml metric KEY}"``."""
    index = meta.get("model-index")
    for i, model in enumerate(index if isinstance(index, list) else []):
        results = model.get("results") if isinstance(model, dict) else None
        for j, result in enumerate(results if isinstance(results, list) else []):
            metrics = result.get("metrics") if isinstance(result, dict) else None
            for k, metric in enumerate(metrics if isinstance(metrics, list) else []):
                if not isinstance(metric, dict):
                    continue
                where = f"model-index[{i}].results[{j}].metrics[{k}]"
                value = metric.get("value")
                named = _METRIC_VALUE.match(value) if isinstance(value, str) else None
                if named:
                    yield where, metric, named.group(1).strip('"'), True
                elif metric.get(DVC_METRIC) is not None:
                    yield where, metric, str(metric[DVC_METRIC]), False


def check_metric_values(
    meta: Mapping[str, Any], src: str, line_of: Callable[[str], int | None], measured: Measured
) -> list[Finding]:
    """Model-index metrics tied to a DVC metric: a typed value that differs from what DVC
    measured is a ``card_metric_mismatch`` with both values; a DVC metric that cannot be read
    is that reference's own finding. LINE_OF gives the front matter line of a DVC metric key."""
    findings = []
    for where, metric, key, is_reference in metric_links(meta):
        line = line_of(key)
        try:
            real = measured(key, line)
        except FindingError as exc:
            message = f"front matter '{where}': {exc.finding.message}"
            findings.append(Finding(exc.finding.kind, message, src, line))
            continue
        typed = metric.get("value")
        if is_reference or agrees(typed, real):
            continue
        what = f" ({metric['type']})" if isinstance(metric.get("type"), str) else ""
        findings.append(
            Finding(
                "card_metric_mismatch",
                f"front matter '{where}'{what} says {literal(typed)}, but DVC's metric '{key}' is "
                f"{literal(real)}: write value: {literal(real)}, or value: '{{ml metric {key}}}' to "
                "have it filled in.",
                src,
                line,
            )
        )
    return findings


def agrees(typed: Any, real: Any) -> bool:
    """Whether a value typed into a card says what DVC measured: equal, or the measured
    number rounded to as many decimals as the typed one has (0.975 for 0.97512)."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (typed, real))
    if not numbers:
        return bool(typed == real and type(typed) is type(real))
    if typed == real:
        return True
    written = repr(float(typed))
    if "e" in written or "n" in written:  # 1e-05, nan, inf: only equal values agree
        return False
    decimals = len(written.partition(".")[2].rstrip("0"))
    return bool(round(float(real), decimals) == float(typed))


# --------------------------------------------------------------------------- ml.model_index

#: where a card asks for its model-index to be generated from DVC metrics
GENERATED = "ml.model_index"
_RESULT_KEYS = ("task", "dataset", "metrics")
_INDEX_KEYS = ("name", *_RESULT_KEYS, "results")
_DATASET_KEYS = ("type", "name", "config", "split", "revision", "args")


class IndexMetric(NamedTuple):
    """A metric of a generated model-index: its Hub type, the DVC metric giving its value, and
    the name the Hub shows (optional)."""

    type: str
    key: str
    name: str | None


class IndexResult(NamedTuple):
    """One result of a generated model-index: a task on a dataset, with its metrics."""

    task: dict[str, str]
    dataset: dict[str, Any]
    metrics: list[IndexMetric]


def asks_model_index(meta: Mapping[str, Any]) -> bool:
    """Whether the page's front matter has ``ml: {model_index: ...}``."""
    binding = meta.get("ml")
    return isinstance(binding, dict) and binding.get("model_index") is not None


def read_model_index(
    meta: Mapping[str, Any], default_name: str
) -> tuple[str, list[IndexResult], list[str]]:
    """(model name, results, problems) of the card's ``ml: {model_index: ...}``: the
    model-index to generate, its values taken from the DVC metrics it names. A task defaults to
    the card's ``pipeline_tag``, the model's name to DEFAULT_NAME (the artifact's)."""
    binding = meta.get("ml")
    spec = binding.get("model_index") if isinstance(binding, dict) else None
    if spec is None:
        return default_name, [], []
    where = f"'{GENERATED}'"
    if not isinstance(spec, dict):
        return default_name, [], [f"{where} must be a mapping of {', '.join(_INDEX_KEYS)}."]
    problems = [
        f"{where} has no key '{k}'.{did_you_mean(str(k), _INDEX_KEYS)} It takes "
        f"{', '.join(_INDEX_KEYS)}."
        for k in spec
        if k not in _INDEX_KEYS
    ]
    name = spec.get("name", default_name)
    if not isinstance(name, str) or not name:
        problems.append(f"{where} 'name' must be a string (the model's name on leaderboards).")
    if "results" in spec:
        both = [k for k in _RESULT_KEYS if k in spec]
        if both:
            problems.append(
                f"{where} has 'results:' and {', '.join(repr(k) for k in both)}: write each "
                "result's task, dataset and metrics under 'results:', or one result without it."
            )
        entries = spec["results"]
        if not isinstance(entries, list) or not entries:
            problems.append(f"{where} 'results' must be a list of task, dataset and metrics.")
            entries = []
        located = [(f"{GENERATED}.results[{i}]", entry) for i, entry in enumerate(entries)]
    else:
        located = [(GENERATED, spec)]
    results = []
    for at, entry in located:
        result = _index_result(at, entry, meta.get("pipeline_tag"), problems)
        if result is not None:
            results.append(result)
    return str(name), results, problems


def _index_result(
    at: str, entry: Any, pipeline_tag: Any, problems: list[str]
) -> IndexResult | None:
    if not isinstance(entry, dict):
        problems.append(f"'{at}' must be a mapping of {', '.join(_RESULT_KEYS)}.")
        return None
    if at != GENERATED:
        problems += [
            f"'{at}' has no key '{k}'.{did_you_mean(str(k), _RESULT_KEYS)} It takes "
            f"{', '.join(_RESULT_KEYS)}."
            for k in entry
            if k not in _RESULT_KEYS
        ]
    count = len(problems)
    task = entry.get("task", pipeline_tag)
    if isinstance(task, str) and task:
        task = {"type": task}
    elif not (
        isinstance(task, dict)
        and isinstance(task.get("type"), str)
        and all(isinstance(task[k], str) and k in ("type", "name") for k in task)
    ):
        problems.append(
            f"'{at}' needs 'task:', a Hub task type (text-classification) or a mapping of type "
            "and name (or pipeline_tag: in the front matter)."
        )
    dataset = entry.get("dataset")
    if isinstance(dataset, str) and dataset:
        dataset = {"type": dataset, "name": dataset}
    elif not (
        isinstance(dataset, dict)
        and all(isinstance(dataset.get(k), str) and dataset[k] for k in ("type", "name"))
        and all(k in _DATASET_KEYS for k in dataset)
    ):
        problems.append(
            f"'{at}' needs 'dataset:', a mapping with 'type:' (the dataset's Hub id or a "
            f"short name) and 'name:' (as it is shown), and optionally "
            f"{', '.join(_DATASET_KEYS[2:])}."
        )
    metrics = []
    written = entry.get("metrics")
    if not isinstance(written, dict) or not written:
        written = {}
        problems.append(
            f"'{at}' needs 'metrics:', a mapping of Hub metric type to the DVC metric that "
            "gives its value (accuracy: test.accuracy), as {ml metric KEY} names it."
        )
    for kind, named in written.items():
        if isinstance(named, dict) and set(named) <= {"metric", "name"}:
            key, shown = named.get("metric"), named.get("name")
        else:
            key, shown = named, None
        if not isinstance(key, (str, int, float)) or isinstance(key, bool) or key == "":
            problems.append(
                f"'{at}.metrics.{kind}' must name a DVC metric (accuracy: test.accuracy), or be "
                "a mapping of metric and name."
            )
        elif shown is not None and not isinstance(shown, str):
            problems.append(f"'{at}.metrics.{kind}.name' must be a string.")
        else:
            metrics.append(IndexMetric(str(kind), str(key), shown))
    if len(problems) > count or not isinstance(task, dict) or not isinstance(dataset, dict):
        return None
    return IndexResult(task, dataset, metrics)


def check_model_index(
    meta: Mapping[str, Any],
    default_name: str,
    src: str,
    line: int | None,
    line_of: Callable[[str], int | None],
    measured: Measured,
) -> list[Finding]:
    """The card's ``ml: {model_index: ...}``: its shape (``card_schema`` at LINE, the line of
    ``model_index:``), and every DVC metric it names, read as ``{ml metric KEY}`` reads it (its
    own finding on the line LINE_OF gives for the key when it cannot be)."""
    _name, results, problems = read_model_index(meta, default_name)
    findings = [Finding("card_schema", f"front matter {p}", src, line) for p in problems]
    if "model-index" in meta and (results or problems):
        findings.append(
            Finding(
                "card_schema",
                f"front matter has both 'model-index' and '{GENERATED}': keep '{GENERATED}', "
                "which writes model-index from the DVC metrics, or the typed 'model-index'.",
                src,
                line,
            )
        )
    for result in results:
        for metric in result.metrics:
            at = line_of(metric.key)
            try:
                measured(metric.key, at)
            except FindingError as exc:
                message = (
                    f"front matter '{GENERATED}' metric '{metric.type}': {exc.finding.message}"
                )
                findings.append(Finding(exc.finding.kind, message, src, at))
    return findings


def generated_model_index(
    meta: Mapping[str, Any], default_name: str, measured: Measured
) -> list[dict[str, Any]] | None:
    """The model-index the card's ``ml: {model_index: ...}`` asks for, each value the DVC
    metric it names; None when it asks for none, or for one that cannot be written (the
    build reports why)."""
    name, results, problems = read_model_index(meta, default_name)
    if not results or problems:
        return None
    written = []
    for result in results:
        metrics = []
        for metric in result.metrics:
            try:
                value = measured(metric.key, None)
            except FindingError:
                return None
            entry = {"type": metric.type, "value": value}
            metrics.append(entry | ({"name": metric.name} if metric.name else {}))
        written.append({"task": result.task, "dataset": result.dataset, "metrics": metrics})
    return [{"name": name, "results": written}]


def hub_metadata(
    meta: Mapping[str, Any], measured: Measured | None = None, default_name: str = ""
) -> dict[str, Any]:
    """The Hugging Face metadata keys of a page's front matter, in the Hub's order. With
    MEASURED, model-index values written as ``{ml metric KEY}`` are the DVC values they name,
    ``dvc_metric:`` keys (not the Hub's) are left out, and the model-index that
    ``ml: {model_index: ...}`` asks for is written (named DEFAULT_NAME unless it says)."""
    hub = {key: meta[key] for key in HF_KEYS if key in meta}
    if measured is None:
        return hub
    generated = generated_model_index(meta, default_name, measured)
    if generated is not None and "model-index" not in hub:
        return _in_hub_order(hub | {"model-index": generated})
    if "model-index" not in hub:
        return hub
    hub["model-index"] = copy.deepcopy(hub["model-index"])
    for _where, metric, key, is_reference in metric_links(hub):
        metric.pop(DVC_METRIC, None)
        if is_reference:
            # one that cannot be resolved stays as written: the build reports it
            with contextlib.suppress(FindingError):
                metric["value"] = measured(key, None)
    return hub


def _in_hub_order(hub: dict[str, Any]) -> dict[str, Any]:
    return {key: hub[key] for key in HF_KEYS if key in hub}


def hub_readme(metadata: dict[str, Any], body: str) -> str:
    """A Hub README: YAML metadata between ``---`` lines, then the card's Markdown."""
    import yaml

    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True) if metadata else ""
    return f"---\n{front}---\n\n{body.lstrip()}"
