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
from typing import Any

from mkdocs_mlplugin.findings import Finding, FindingError
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


def check_metadata(meta: Mapping[str, Any], src: str, lines: dict[str, int]) -> list[Finding]:
    """Hugging Face metadata in front matter: each known key has the right shape, and
    ``model-index`` follows the Hub's structure. LINES maps a top-level key to its line."""
    findings = []
    for key, shape in HF_KEYS.items():
        if key in meta and not _is(meta[key], shape):
            findings.append(
                Finding(
                    "card_schema",
                    f"front matter '{key}' must be {shape} (Hugging Face model-card metadata), "
                    f"not {_kind(meta[key])}.",
                    src,
                    lines.get(key),
                )
            )
    index = meta.get("model-index")
    if isinstance(index, list):
        for problem in _model_index(index):
            findings.append(
                Finding("card_schema", f"front matter {problem}", src, lines.get("model-index"))
            )
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
            for part in ("task", "dataset"):
                if not isinstance(result.get(part), dict) or not isinstance(
                    result[part].get("type"), str
                ):
                    problems.append(f"'{at}' needs '{part}:' with 'type:' (a string).")
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
    markdown: str, first_line: int, required: tuple[str, ...] | list[str], src: str
) -> list[Finding]:
    """Missing, empty and duplicated sections of a model card."""
    found = headings(markdown, first_line)
    findings = []
    seen: dict[str, int] = {}
    for _level, title, line, has_content in found:
        key = _norm(title)
        if key in seen:
            findings.append(
                Finding(
                    "card_section",
                    f"section '{title}' appears twice (also on line {seen[key]}).",
                    src,
                    line,
                )
            )
        seen.setdefault(key, line)
        if key in {_norm(r) for r in required} and not has_content:
            findings.append(
                Finding("card_section", f"section '{title}' is empty: fill it in.", src, line)
            )
    waiting = placeholders(markdown, first_line)
    if waiting:
        titles = ", ".join(dict.fromkeys(f"'{title}'" for _, title in waiting))
        findings.append(
            Finding(
                "card_section",
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
                    "card_section",
                    f"the model card has no '{name}' section: add a heading '## {name}' "
                    "(required sections are set by the plugin's 'card_sections' option).",
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


def hub_metadata(meta: Mapping[str, Any], measured: Measured | None = None) -> dict[str, Any]:
    """The Hugging Face metadata keys of a page's front matter, in the Hub's order. With
    MEASURED, model-index values written as ``{ml metric KEY}`` are the DVC values they name,
    and ``dvc_metric:`` keys (not the Hub's) are left out."""
    hub = {key: meta[key] for key in HF_KEYS if key in meta}
    if measured is None or "model-index" not in hub:
        return hub
    hub["model-index"] = copy.deepcopy(hub["model-index"])
    for _where, metric, key, is_reference in metric_links(hub):
        metric.pop(DVC_METRIC, None)
        if is_reference:
            # one that cannot be resolved stays as written: the build reports it
            with contextlib.suppress(FindingError):
                metric["value"] = measured(key, None)
    return hub


def hub_readme(metadata: dict[str, Any], body: str) -> str:
    """A Hub README: YAML metadata between ``---`` lines, then the card's Markdown."""
    import yaml

    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True) if metadata else ""
    return f"---\n{front}---\n\n{body.lstrip()}"
