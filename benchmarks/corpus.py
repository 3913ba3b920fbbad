"""Compare what the site says with what DVC, GTO and git say, on real repositories.

    python benchmarks/corpus.py CLONE [CLONE ...] [--out benchmarks/CORPUS.md]

Each CLONE is a local git clone of a public DVC project, made beforehand: the script itself
never opens the network (DVC commands that would, such as the status of an imported stage,
fail and are reported as "dvc failed"). Every clone is copied to a temporary directory, and in
each DVC project of it (a directory holding ``.dvc/``) a site is generated outside the project's
own files: one page with the pipeline, the registry page, and one page per artifact with
``{ml metrics-history NAME}``. Every check is set to ``warn`` so that the build finishes and
every finding is kept. Then, item by item:

dag       the manifest's edges against ``dvc dag --dot``
status    each stage's state against ``dvc status --json STAGE``, leaving out what only absent
          data decides (outs and deps that are ``deleted`` or ``not in cache``): a stage the
          site calls current must have nothing else; a stale one must have something; one
          the site cannot verify is counted apart
params    the manifest's params against ``dvc params diff --all --json``'s values
metrics   the manifest's workspace metrics against ``dvc metrics show --json``
history   each registered version's row of ``{ml metrics-history}`` against
          ``dvc metrics show --all-tags --json`` at that version's tag
registry  the manifest's registry (latest version and stage assignments per artifact)
          against ``gto show --json``; its events against ``gto history --json``

The table it writes (``--out``) has one row per project and check: agreed, differed or not
applicable, with every difference listed below it. CI cannot reach these projects; the cases
they showed are carried into fixture tests.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
KINDS = (
    "missing_reference",
    "malformed_reference",
    "invalid_project_file",
    "stale_pipeline",
    "stale_doc",
    "pinned_behind",
    "card_schema",
)
ABSENT = ("deleted", "not in cache")


@dataclass
class Check:
    """One comparison: how many items agreed, and each difference in words."""

    name: str
    agreed: int = 0
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def same(self, what: str, site: object, tool: object) -> None:
        if site == tool:
            self.agreed += 1
        else:
            self.differences.append(f"{what}: site {site!r}, tool {tool!r}")

    @property
    def verdict(self) -> str:
        if self.differences:
            return f"{self.agreed} agreed, {len(self.differences)} differed"
        return f"{self.agreed} agreed" if self.agreed else "n/a"


def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.update(DVC_NO_ANALYTICS="1", GTO_NO_ANALYTICS="1", GIT_TERMINAL_PROMPT="0")
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    return done.returncode, done.stdout, done.stderr


def tool_json(args: list[str], cwd: Path) -> Any:
    code, out, err = run(args, cwd)
    try:
        return json.loads(out)
    except ValueError:
        last = (err.strip().splitlines() or [f"exit {code}"])[-1]
        return {"__failed__": f"{' '.join(args[:3])} failed: {last[:200]}"}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys, as ``dvc params diff`` and ``dvc metrics show`` list them."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}{key}." if prefix or key else ""))
            if not isinstance(item, dict):
                flat[f"{prefix}{key}"] = item
        return {k: v for k, v in flat.items() if not k.endswith(".")}
    return {prefix.rstrip("."): value} if prefix else {}


def dvc_roots(clone: Path) -> list[Path]:
    return sorted(p.parent for p in clone.rglob(".dvc") if p.is_dir() and ".git" not in p.parts)


def artifact_names(clone: Path, manifest: dict[str, Any], gto: Any) -> list[str]:
    names = [a["name"] for p in manifest.get("projects", []) for a in p.get("artifacts", [])]
    if isinstance(gto, dict) and "__failed__" not in gto:
        names += [n for n in gto if n not in names]
    return names


def write_site(root: Path, artifacts: list[str]) -> Path:
    docs = root / "_corpus_docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Pipeline\n\n{ml pipeline}\n")
    for i, name in enumerate(artifacts):
        (docs / f"history-{i}.md").write_text(
            f"# {name}\n\n{{ml metrics-history {json.dumps(name)}}}\n"
        )
    checks = "".join(f"        {k}: warn\n" for k in KINDS)
    config = root / "_corpus_mkdocs.yml"
    config.write_text(
        "site_name: corpus\ndocs_dir: _corpus_docs\ntheme: {name: material}\n"
        "plugins:\n  - mlplugin:\n      registry_page: registry.md\n"
        f"      checks:\n{checks}"
    )
    return config


class Tables(html.parser.HTMLParser):
    """The cells of every table in a page, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def compare_dag(manifest: dict[str, Any], root: Path) -> Check:
    check = Check("dag")
    code, out, err = run(["dvc", "dag", "--dot"], root)
    if code:
        check.notes.append(f"dvc dag failed: {err.strip()[-200:]}")
        return check
    tool = set(re.findall(r'"([^"]+)" -> "([^"]+)"', out))
    site = {tuple(e) for p in manifest["projects"] for e in p["edges"]}
    for edge in sorted(site | tool):
        check.same(f"edge {edge[0]} -> {edge[1]}", edge in site, edge in tool)
    return check


def decisive(entries: list[Any]) -> list[Any]:
    """DVC's status entries of a stage without those only absent data causes."""
    kept: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict):
            for kind, changes in entry.items():
                if isinstance(changes, dict):
                    rest = {k: v for k, v in changes.items() if v not in ABSENT}
                    if rest:
                        kept.append({kind: rest})
                else:
                    kept.append({kind: changes})
        else:
            kept.append(entry)
    return kept


def compare_status(manifest: dict[str, Any], root: Path) -> Check:
    check = Check("status")
    for stage in manifest["projects"][0]["stages"]:
        name, state = stage["name"], stage["status"]["state"]
        answer = tool_json(["dvc", "status", "--json", name], root)
        if "__failed__" in answer:
            check.notes.append(f"{name}: {answer['__failed__']}")
            continue
        found = decisive(answer.get(name, []))
        if state == "not verifiable":
            if found:
                check.differences.append(
                    f"{name}: site not verifiable ({'; '.join(stage['status']['unverifiable'])}), "
                    f"DVC decides without data: {found}"
                )
            else:
                check.notes.append(f"{name}: not verifiable; only absent data decides (DVC agrees)")
            continue
        if (state == "stale") == bool(found):
            check.agreed += 1
        else:
            check.differences.append(
                f"{name}: site {state} {stage['status']['reasons']}, DVC {found or 'unchanged'}"
            )
    return check


def compare_params(manifest: dict[str, Any], root: Path) -> Check:
    check = Check("params")
    answer = tool_json(["dvc", "params", "diff", "--all", "--json"], root)
    if "__failed__" in answer:
        check.notes.append(answer["__failed__"])
        return check
    site = manifest["projects"][0]["params"]
    for file, values in answer.items():
        flat = flatten(site.get(file) or {})
        for key, change in values.items():
            site_value, tool_value = flat.get(key, "<absent>"), change.get("new")
            if isinstance(site_value, list) and tool_value == str(site_value):
                site_value = tool_value  # dvc params diff prints a list as Python's str of it
            check.same(f"{file}:{key}", site_value, tool_value)
    return check


def compare_metrics(manifest: dict[str, Any], root: Path) -> Check:
    check = Check("metrics")
    answer = tool_json(["dvc", "metrics", "show", "--json"], root)
    if "__failed__" in answer:
        check.notes.append(answer["__failed__"])
        return check
    site = manifest["projects"][0]["metrics"]
    for rev in answer.values():
        for file, entry in (rev.get("data") or {}).items():
            if "error" in entry:
                check.same(f"{file} (DVC: {entry['error'].get('type')})", site.get(file), None)
                continue
            flat = flatten(site.get(file) or {})
            for key, value in flatten(entry.get("data") or {}).items():
                check.same(f"{file}:{key}", flat.get(key, "<absent>"), value)
    return check


def compare_history(site_dir: Path, artifacts: list[str], root: Path) -> Check:
    check = Check("history")
    answer = tool_json(["dvc", "metrics", "show", "--all-tags", "--json"], root)
    if "__failed__" in answer:
        check.notes.append(answer["__failed__"])
        return check
    by_tag = {tag: rev for revs, rev in answer.items() for tag in revs.split(",")}
    for i, name in enumerate(artifacts):
        page = site_dir / f"history-{i}" / "index.html"
        if not page.is_file():
            continue
        parser = Tables()
        parser.feed(page.read_text("utf-8"))
        table = next((t for t in parser.tables if t and t[0][:1] == ["Version"]), None)
        if table is None:
            text = re.sub(r"<[^>]+>", " ", page.read_text("utf-8"))
            why = re.search(r"⚠[^\n]{0,200}", text)
            check.notes.append(f"{name}: no history table ({why.group(0) if why else 'none'})")
            continue
        header = table[0]
        for row in table[1:]:
            version = row[0]
            tool = by_tag.get(f"{name.split(':')[-1]}@{version}")
            if tool is None:
                continue
            values: dict[str, Any] = {}
            errors = [
                f"{file} ({entry['error'].get('type')})"
                for file, entry in (tool.get("data") or {}).items()
                if "error" in entry
            ]
            if errors:
                check.notes.append(f"{name}@{version}: DVC has no value either: {errors}")
            for file, entry in (tool.get("data") or {}).items():
                for key, value in flatten(entry.get("data") or {}).items():
                    values[key] = value
                    values[f"{file}:{key}"] = value
            for column, cell in zip(header[3:], row[3:], strict=False):
                expected = values.get(column)
                shown = cell if cell not in ("", "—") else None
                check.same(
                    f"{name}@{version} {column}",
                    shown,
                    None if expected is None else _shown(expected),
                )
            missing = [k for k in values if ":" not in k and k not in header]
            if missing and len(header) <= 3:
                check.differences.append(f"{name}@{version}: DVC has {missing}, the page none")
    return check


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def compare_registry(manifest: dict[str, Any], git_root: Path) -> Check:
    check = Check("registry")
    answer = tool_json(["gto", "show", "--json"], git_root)
    if "__failed__" in answer:
        check.notes.append(answer["__failed__"])
        return check
    registry = manifest.get("registry")
    if registry is None:
        check.notes.append("the manifest has no registry")
        return check
    site = registry.get("artifacts") or {}
    for name, entry in answer.items():
        mine = site.get(name)
        if mine is None:
            check.same(f"{name}", "<absent>", "listed")
            continue
        check.same(f"{name} latest", mine.get("latest"), entry.get("version"))
        stages = {k: v for k, v in (entry.get("stage") or {}).items() if v}
        # the manifest lists every version in a stage, newest first; gto show the newest
        shown = {k: v[0] for k, v in (mine.get("stages") or {}).items() if v}
        check.same(f"{name} stages", shown, stages)
    events = tool_json(["gto", "history", "--json"], git_root)
    if isinstance(events, list):
        tool_events = {
            (e["artifact"], e["event"], e.get("version"), e.get("stage")) for e in events
        }
        site_events = {
            (e["artifact"], e.get("event"), e.get("version"), e.get("stage"))
            for a in site.values()
            for e in a.get("history", [])
        }
        check.same("history events", sorted(site_events - tool_events), [])
        check.same("history events missing", sorted(tool_events - site_events), [])
    return check


def examine(clone: Path, work: Path) -> Iterator[tuple[str, str, Check]]:
    copy = work / clone.name
    subprocess.run(["git", "clone", "-q", str(clone), str(copy)], check=True)
    commit = run(["git", "rev-parse", "--short", "HEAD"], copy)[1].strip()
    gto = tool_json(["gto", "show", "--json"], copy)
    for root in dvc_roots(copy) or [copy]:
        label = f"{clone.name}/{root.relative_to(copy)}".rstrip("/.")
        config = write_site(root, [])
        code, out, err = run([str(BIN / "mkdocs-ml"), "manifest", "-f", str(config)], root)
        try:
            first = json.loads(out)
        except ValueError:
            failed = Check("build")
            failed.notes.append(f"mkdocs-ml manifest failed: {err.strip()[-300:]}")
            yield label, commit, failed
            continue
        shutil.rmtree(root / "_corpus_docs")
        artifacts = artifact_names(copy, first, gto)
        config = write_site(root, artifacts)
        site_dir = work / f"site-{label.replace('/', '-')}"
        code, out, err = run(
            ["mkdocs", "build", "-q", "-f", str(config), "-d", str(site_dir)], root
        )
        build = Check("build")
        manifest = first
        if code:
            build.differences.append(f"mkdocs build failed: {err.strip()[-300:]}")
        else:
            build.agreed = 1
            manifest = json.loads((site_dir / "ml-manifest.json").read_text("utf-8"))
        build.notes += [
            f"{f['severity']} {f['kind']}: {f['file']}:{f['line']}: {f['message'][:160]}"
            for f in manifest["findings"]
            if f["severity"] != "info"
        ]
        yield label, commit, build
        yield label, commit, compare_registry(manifest, copy)  # GTO needs no DVC project
        if not manifest.get("projects"):
            continue
        yield label, commit, compare_dag(manifest, root)
        yield label, commit, compare_status(manifest, root)
        yield label, commit, compare_params(manifest, root)
        yield label, commit, compare_metrics(manifest, root)
        yield label, commit, compare_history(site_dir, artifacts, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clones", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, Check]] = []
    with tempfile.TemporaryDirectory(prefix="ml-corpus-") as tmp:
        for clone in args.clones:
            for row in examine(clone.resolve(), Path(tmp)):
                rows.append(row)
                print(f"{row[0]} {row[1]} {row[2].name}: {row[2].verdict}", flush=True)
    here = Path(__file__).resolve().parent.parent
    plugin = run(["git", "rev-parse", "--short", "HEAD"], here)[1].strip()
    versions = ", ".join(
        f"{tool} {run([tool, '--version'], here)[1].split()[-1]}" for tool in ("dvc", "gto")
    )
    lines = [
        "# Real repositories: what the site says against what DVC, GTO and git say",
        "",
        f"Made by `python benchmarks/corpus.py` on {time.strftime('%Y-%m-%d')} with the "
        f"plugin at {plugin}, {versions}; what each check compares is at the top of "
        "`benchmarks/corpus.py`. `n/a`: nothing to compare there (no pipeline, no tags, or "
        "the values live in DVC's cache, which neither side reads offline). Notes list "
        "the findings of each build and what DVC could not decide either.",
        "",
        "| project | commit | check | result |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {p} | {c} | {k.name} | {k.verdict} |" for p, c, k in rows]
    lines.append("")
    for project, _commit, check in rows:
        if check.differences or check.notes:
            lines.append(f"**{project} {check.name}**")
            lines += [f"- differs: {d}" for d in check.differences]
            lines += [f"- note: {n}" for n in check.notes]
            lines.append("")
    report = "\n".join(lines).replace(tmp + os.sep, "")
    if args.out:
        args.out.write_text(report + "\n", "utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
