"""Hostile and broken input: what a user sees when the repository, the DVC project or a page is
broken, odd or hostile.

Every scenario builds a copy of the ``pipeline`` fixture (a real three-stage DVC project in a
real git repository) with a real ``mkdocs build --strict`` in a subprocess, with the network
blocked (tests/nonet), and asserts what the user sees:

- the exit status: 1 when there is an ERROR (and no page is written) or a WARNING (``--strict``
  fails, the pages are written), 0 when there are only INFO findings;
- every finding the plugin logs, at its severity, as ``FILE:LINE: message [kind]``: naming the
  file and line (and key path where there is one) and saying what to do. A finding that is not
  listed fails the scenario, so a misleading follow-up finding is caught too;
- never a Python traceback.

A scenario whose expectation is written as a pattern states what a correct message must say
where the exact wording is the maintainer's choice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import html
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ADA, Build, Repo, init_repo, snapshot

ERROR, WARNING, INFO = "ERROR", "WARNING", "INFO"
Expected = tuple[str, "str | re.Pattern[str]"]


# --------------------------------------------------------------------------- what the user sees


def E(text: str | re.Pattern[str]) -> Expected:
    return (ERROR, text)


def W(text: str | re.Pattern[str]) -> Expected:
    return (WARNING, text)


def I(text: str | re.Pattern[str]) -> Expected:  # noqa: E743
    return (INFO, text)


def rx(pattern: str) -> re.Pattern[str]:
    """A finding whose wording is the maintainer's choice: what it must say, as a regex that
    must match the whole 'FILE:LINE: message [kind]' text."""
    return re.compile(pattern, re.DOTALL)


_RECORD = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) +-  (.*)$")
_SUMMARY = re.compile(
    r"^(\d+ references resolved on \d+ pages, .*|\d+ errors? \(listed above\); the site was not built\.)$"
)


def findings(output: str) -> list[tuple[str, str]]:
    """Every finding the plugin logged, as (LEVEL, 'FILE:LINE: message [kind]'); a message
    that spans lines (git's own stderr) is kept whole. The two summary lines are left out."""
    records: list[list[str]] = []
    for line in output.splitlines():
        m = _RECORD.match(line)
        if m:
            records.append([m.group(1), m.group(2)])
        elif line.startswith("Aborted with"):
            records.append(["", line])
        elif records:
            records[-1][1] += "\n" + line
    found = []
    for level, text in records:
        text = text.rstrip()
        if level and text.startswith("mlplugin: "):
            text = text[len("mlplugin: ") :]
            if not _SUMMARY.match(text):
                found.append((level, text))
    return found


def _matches(found: tuple[str, str], expected: Expected, root: str) -> bool:
    level, text = expected
    if found[0] != level:
        return False
    if isinstance(text, re.Pattern):
        return (
            re.fullmatch(text.pattern.replace("<ROOT>", re.escape(root)), found[1], text.flags)
            is not None
        )
    return found[1] == text.replace("<ROOT>", root)


def expect(
    build: Build,
    *required: Expected,
    allowed: tuple[Expected, ...] = (),
    root: Path | str = "",
) -> None:
    """The build logged exactly the REQUIRED findings (and maybe some ALLOWED ones), and its
    exit status and output follow from their severities (the build ran with --strict)."""
    assert "Traceback" not in build.output, build.output
    found = findings(build.output)
    left = list(found)
    missing = []
    for item in required:
        hit = next((f for f in left if _matches(f, item, str(root))), None)
        if hit is None:
            missing.append(item)
        else:
            left.remove(hit)
    extra = [f for f in left if not any(_matches(f, item, str(root)) for item in allowed)]
    assert not missing and not extra, (
        "findings differ from what the user should see\n"
        + "".join(
            f"  MISSING {lvl}: {txt if isinstance(txt, str) else txt.pattern}\n"
            for lvl, txt in missing
        )
        + "".join(f"  UNEXPECTED {lvl}: {txt}\n" for lvl, txt in extra)
        + f"--- output ---\n{build.output}"
    )
    errors = sum(1 for level, _ in found if level == ERROR)
    warnings = sum(1 for level, _ in found if level == WARNING)
    if errors:
        assert build.returncode == 1, build.output
        plural = "s" if errors != 1 else ""
        assert (
            f"mlplugin: {errors} error{plural} (listed above); the site was not built."
            in build.output
        )
        assert not (build.site / "index.html").exists(), "no page is written when there is an error"
    elif warnings:
        assert build.returncode == 1, build.output
        assert "in strict mode!" in build.output, build.output
        assert (build.site / "index.html").exists(), "pages are written; --strict fails the build"
    else:
        assert build.returncode == 0, build.output


def values(page: str, label: str) -> list[str]:
    """The resolved ``{ml LABEL}`` values on a built page, as a reader sees them."""
    found = re.findall(r'<span class="ml-value" title="([^"]*)">(.*?)</span>', page, re.S)
    return [html.unescape(v) for title, v in found if html.unescape(title) == label]


def value(page: str, label: str) -> str:
    found = values(page, label)
    assert len(found) == 1, f"expected one resolved {{ml {label}}} on the page, got {found}"
    return found[0]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def site_files_containing(build: Build, *needles: str) -> list[str]:
    """Files of the built site holding any NEEDLE, as written or once HTML character
    references (``&#N;``, ``&amp;``) or Mermaid ones (``#N;``) are decoded."""

    def readings(data: bytes) -> list[str]:
        raw = data.decode("utf-8", "replace")
        mermaid = re.sub(r"#(\d{1,6});", lambda m: chr(min(int(m.group(1)), 0x10FFFF)), raw)
        return [raw, html.unescape(raw), mermaid]

    return sorted(
        f.relative_to(build.site).as_posix()
        for f in build.site.rglob("*")
        if f.is_file()
        and any(needle in reading for reading in readings(f.read_bytes()) for needle in needles)
    )


# --------------------------------------------------------------------------- editing the project


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def edit(repo: Repo, rel: str, old: str, new: str) -> str:
    text = repo.read(rel)
    assert old in text, f"{old!r} not in {rel}"
    text = text.replace(old, new, 1)
    (repo.path / rel).write_text(text, "utf-8")
    return text


def add_stage(repo: Repo, stage: str, lock: str | None = None) -> None:
    """Add a stage to dvc.yaml (before 'artifacts:', so at line 30) and its dvc.lock entry."""
    edit(repo, "dvc.yaml", "artifacts:\n", stage.lstrip("\n") + "artifacts:\n")
    if lock is not None:
        (repo.path / "dvc.lock").write_text(repo.read("dvc.lock") + lock.lstrip("\n"), "utf-8")


def relock(repo: Repo, path: str, text: str) -> None:
    """Rewrite a git-kept output as its stage would, and record its new hash in dvc.lock, so
    the pipeline stays current."""
    target = repo.path / path
    target.write_text(text, "utf-8")
    md5 = hashlib.md5(target.read_bytes()).hexdigest()  # noqa: S324 - DVC's content hash
    lock = yaml.safe_load(repo.read("dvc.lock"))
    for entry in lock["stages"].values():
        for item in [*(entry.get("outs") or []), *(entry.get("deps") or [])]:
            if item["path"] == path:
                item["md5"], item["size"] = md5, target.stat().st_size
    (repo.path / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False), "utf-8")


def raw_commit(repo: Repo, message: bytes, epoch: int = 1709900000) -> str:
    """Commit the work tree with MESSAGE written byte for byte (no encoding header), as old or
    foreign tools left commits behind."""
    repo.git("add", "-A")
    tree = repo.git("write-tree")
    parent = repo.git("rev-parse", "HEAD")
    who = f"{ADA[0]} <{ADA[1]}> {epoch} +0000".encode()
    body = (
        f"tree {tree}\nparent {parent}\n".encode()
        + b"author "
        + who
        + b"\ncommitter "
        + who
        + b"\n\n"
        + message
        + b"\n"
    )
    made = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo.path,
        env=repo.env,
        input=body,
        capture_output=True,
        check=True,
    )
    sha = made.stdout.decode().strip()
    repo.git("update-ref", "HEAD", sha)
    return sha


def without_git(repo: Repo, dest: Path) -> Repo:
    """A copy of the work tree without .git: an export, a tarball, a CI cache."""
    shutil.copytree(repo.path, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    return Repo(dest, repo.home)


PARAMS_TEXT = "prepare:\n  split: 0.25\n  seed: 7\ntrain:\n  lr: 0.05\n  epochs: 3\n"
HOME = "# Home\n\nlr {ml param train.lr}\n"


# =========================================================================== 1. the DVC project


@dataclasses.dataclass(frozen=True)
class Case:
    """A broken or odd DVC project: how to break it, the page built with it, what the user sees."""

    setup: Callable[[Repo], None]
    page: str
    expected: tuple[Expected, ...]
    allowed: tuple[Expected, ...] = ()
    plugin: dict[str, Any] | None = None
    check: Callable[[Build, Repo], None] | None = None


def _remove(*rels: str) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        for rel in rels:
            (repo.path / rel).unlink()

    return setup


def _write(rel: str, content: str | bytes) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        path = repo.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return setup


def _edit(rel: str, old: str, new: str) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        edit(repo, rel, old, new)

    return setup


def _metrics_not_pulled(repo: Repo) -> None:
    """metrics.json, which dvc.yaml declares with 'cache: false' (git keeps it, DVC does not),
    taken out of git and not in the work tree."""
    repo.git("rm", "-q", "--cached", "metrics.json")
    repo.write(".gitignore", "/metrics.json\n")
    (repo.path / "metrics.json").unlink()


def _stage(
    stage: str, lock: str | None = None, files: dict[str, str] | None = None
) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        for rel, content in (files or {}).items():
            repo.write(rel, content)
        add_stage(repo, stage, lock)

    return setup


CONFLICT_IN_LOCK = (
    "      md5: 640c00ab2e346b6ad8b428c0f72bde51\n",
    "<<<<<<< HEAD\n      md5: 640c00ab2e346b6ad8b428c0f72bde51\n=======\n"
    "      md5: 0cc175b9c0f1b6a831c399e269772661\n>>>>>>> retrain\n",
)

TUNE_STAGE = (
    "  tune:\n    cmd: python3 src/tune.py\n    params:\n    - {file}:\n      - model.depth\n"
)
TUNE_LOCK = (
    "  tune:\n    cmd: python3 src/tune.py\n    params:\n      {file}:\n        model.depth: 4\n"
)

# DVC's resolver reads params.yaml as dvc.yaml's default 'vars', so when params.yaml is broken
# DVC cannot resolve dvc.yaml either: a dvc.yaml finding that names params.yaml is tolerated
PARAMS_CASCADE = E(rx(r"dvc\.yaml(:\d+)?: .*params\.yaml.* \[invalid_project_file\]"))
UNVERIFIABLE = I(
    rx(
        r"dvc\.yaml:\d+: stage '\w+' cannot be fully checked without its data: .* \[unverifiable_stage\]"
    )
)


def _param_ref_names_broken_file(line: int) -> Expected:
    """A reference to a param of a params file that cannot be read may fail, but must say the
    file is broken (see its own finding), never that there is no such params file: the value
    is unknown (a warning; the broken file itself is the error)."""
    return W(
        rx(
            rf"docs/index\.md:{line}: '\{{ml param train\.lr\}}': (?!no params file).*params\.yaml.* \[\w+\]"
        )
    )


NEVER_RUN_STALE = (
    E(
        "dvc.yaml:2: stage 'prepare' is stale: changed deps: modified data/raw.csv; changed deps: "
        "modified src/prepare.py; changed deps: new params.yaml; changed outs: deleted "
        "data/prepared.csv. Run 'dvc repro prepare' and commit dvc.lock. [stale_pipeline]"
    ),
    E(
        "dvc.yaml:12: stage 'train' is stale: changed deps: modified data/prepared.csv; changed "
        "deps: modified src/train.py; changed deps: new params.yaml; changed outs: deleted "
        "models/model.txt. Run 'dvc repro train' and commit dvc.lock. [stale_pipeline]"
    ),
    E(
        "dvc.yaml:22: stage 'evaluate' is stale: changed deps: modified models/model.txt; changed "
        "deps: modified src/evaluate.py; changed outs: deleted metrics.json. Run 'dvc repro "
        "evaluate' and commit dvc.lock. [stale_pipeline]"
    ),
)


def _nan_manifest_is_strict_json(build: Build, repo: Repo) -> None:
    page = build.page("")
    assert value(page, "metric accuracy") == "nan"
    assert value(page, "metric loss") == "inf"
    assert value(page, "metric neg") == "-inf"
    assert "metrics.jsonaccuracynan" in text_of(page).replace(" ", "").replace("\n", "")

    def refuse(constant: str) -> Any:
        raise ValueError(f"ml-manifest.json is not strict JSON: it contains {constant}")

    raw = (build.site / "ml-manifest.json").read_text("utf-8")
    manifest = json.loads(raw, parse_constant=refuse)  # what jq, JavaScript and Go accept
    metrics = manifest["projects"][0]["metrics"]["metrics.json"]
    for key in ("accuracy", "loss", "neg"):
        assert metrics[key] is None or isinstance(metrics[key], str), metrics
    assert metrics["test.n"] == 3


def _three_params_formats(build: Build, repo: Repo) -> None:
    page = build.page("")
    assert value(page, "param conf/a.json:opt.lr") == "0.01"
    assert value(page, "param conf/b.toml:model.depth") == "4"
    assert value(page, "param conf/c.yaml:aug.flip") == "true"  # as dvc params diff --json
    params = build.manifest()["projects"][0]["params"]
    assert params["conf/a.json"] == {"opt": {"lr": 0.01, "name": "adam"}}
    assert params["conf/b.toml"] == {"model": {"depth": 4}}
    assert params["conf/c.yaml"] == {"aug": {"flip": True}}


def _lr_shown(build: Build, repo: Repo) -> None:
    assert value(build.page(""), "param train.lr") == "0.05"


HUGE = 11 * 1024 * 1024
THREE_FORMATS = {
    "conf/a.json": '{"opt": {"lr": 0.01, "name": "adam"}}\n',
    "conf/b.toml": "[model]\ndepth = 4\n",
    "conf/c.yaml": "aug:\n  flip: true\n",
}
# a stage reading one param from each of the three files, run as recorded in its lock
TUNE_THREE_FORMATS = _stage(
    "  tune:\n    cmd: python3 src/tune.py\n    params:\n    - conf/a.json:\n      - opt.lr\n"
    "    - conf/b.toml:\n      - model.depth\n    - conf/c.yaml:\n      - aug.flip\n",
    "  tune:\n    cmd: python3 src/tune.py\n    params:\n      conf/a.json:\n        opt.lr: 0.01\n"
    "      conf/b.toml:\n        model.depth: 4\n      conf/c.yaml:\n        aug.flip: true\n",
    THREE_FORMATS,
)

DVC_CASES: dict[str, Case] = {
    "missing_dvc_yaml": Case(
        # a project made only of 'dvc add'ed data: no dvc.yaml, no dvc.lock
        _remove("dvc.yaml", "dvc.lock"),
        "# Data\n\n{ml out data/raw.csv short}\n\n{ml stage train}\n",
        (
            # 'no stage' alone leaves the user guessing; the project has no dvc.yaml at all
            E(
                rx(
                    r"docs/index\.md:5: '\{ml stage train\}': no stage 'train'.*dvc\.yaml.* \[missing_reference\]"
                )
            ),
        ),
    ),
    "dvc_yaml_never_run_no_lock": Case(
        # 'dvc stage add' done, 'dvc repro' never run: no dvc.lock, no outputs
        _remove("dvc.lock", "data/prepared.csv", "models/model.txt", "metrics.json"),
        "# Model\n\n{ml out models/model.txt md5}\n\n{ml metric accuracy}\n",
        (
            *NEVER_RUN_STALE,
            W(
                "docs/index.md:3: '{ml out models/model.txt md5}': 'models/model.txt' has no hash "
                "yet: stage 'train' has not run. Run 'dvc repro' and commit dvc.lock. [missing_value]"
            ),
            W(
                "docs/index.md:5: '{ml metric accuracy}': metrics file metrics.json is not in the "
                "workspace: stage 'evaluate' has not run ('dvc repro'). [missing_value]"
            ),
        ),
    ),
    "yaml_syntax_error_in_dvc_yaml": Case(
        _edit("dvc.yaml", "    cmd: python3 src/train.py\n", "    cmd: [python3 src/train.py\n"),
        HOME,
        (
            E(
                "dvc.yaml:14: dvc.yaml is not valid YAML: did not find expected ',' or ']' (while "
                "parsing a flow sequence that started on line 13). [invalid_project_file]"
            ),
        ),
    ),
    "yaml_syntax_error_in_dvc_lock": Case(
        _edit(
            "dvc.lock",
            "    cmd: python3 src/train.py\n",
            "    cmd: python3 src/train.py\n   deps: [\n",
        ),
        HOME,
        (
            E(
                "dvc.lock:25: dvc.lock is not valid YAML: did not find expected key (while parsing "
                "a block mapping that started on line 3). [invalid_project_file]"
            ),
        ),
        # the lock cannot be read: what each stage recorded is unknown, not stale
        allowed=(UNVERIFIABLE,),
    ),
    "yaml_syntax_error_in_dvc_file": Case(
        _edit("data/raw.csv.dvc", "  size: 31\n", "  size: 31\n bad\n"),
        "# Data\n\n{ml out data/raw.csv short}\n",
        (
            E(
                "data/raw.csv.dvc:4: data/raw.csv.dvc is not valid YAML: did not find expected key "
                "(while parsing a block mapping that started on line 1). It blocks 1 reference "
                "on 1 page (docs/index.md), not listed on their own. [invalid_project_file]"
            ),
        ),
        allowed=(
            UNVERIFIABLE,
            # the data IS tracked, by the broken .dvc file: say so, not 'DVC does not track it'
            E(
                rx(
                    r"docs/index\.md:3: '\{ml out data/raw\.csv short\}': (?!.*does not track).*data/raw\.csv\.dvc.* \[\w+\]"
                )
            ),
        ),
    ),
    "yaml_tab_indentation_in_params": Case(
        _write("params.yaml", PARAMS_TEXT.replace("  lr:", "\tlr:")),
        "# Home\n",
        (
            E(
                "params.yaml:5: params.yaml is not valid YAML: found character that cannot start "
                "any token. [invalid_project_file]"
            ),
        ),
        allowed=(
            UNVERIFIABLE,
            PARAMS_CASCADE,
        ),
    ),
    "merge_conflict_in_dvc_yaml": Case(
        _edit(
            "dvc.yaml",
            "  train:\n",
            "<<<<<<< HEAD\n  train:\n=======\n  training:\n>>>>>>> rename\n",
        ),
        HOME,
        (
            E(
                "dvc.yaml:12: dvc.yaml has an unresolved git merge conflict (a '<<<<<<<' marker); "
                "resolve the conflict and commit the file. [invalid_project_file]"
            ),
        ),
    ),
    "merge_conflict_in_dvc_lock": Case(
        # the most common broken file after 'git merge' of two training branches: dvc.yaml is
        # fine, so its stages and artifacts still exist; only what the lock records is unknown
        _edit("dvc.lock", *CONFLICT_IN_LOCK),
        "# Model\n\n{ml stage train}\n\n{ml artifact classifier short}\n",
        (
            E(
                "dvc.lock:41: dvc.lock has an unresolved git merge conflict (a '<<<<<<<' marker); "
                "resolve the conflict and commit the file. It blocks 1 reference on 1 page "
                "(docs/index.md), not listed on their own. [invalid_project_file]"
            ),
        ),
        allowed=(
            UNVERIFIABLE,
            W(
                rx(
                    r"docs/index\.md:5: '\{ml artifact classifier short\}': .*dvc\.lock.* \[missing_value\]"
                )
            ),
        ),
    ),
    "merge_conflict_in_dvc_file": Case(
        lambda repo: (repo.path / "data/raw.csv.dvc").write_text(
            "<<<<<<< HEAD\n"
            + repo.read("data/raw.csv.dvc")
            + "=======\n"
            + repo.read("data/raw.csv.dvc").replace("size: 31", "size: 32")
            + ">>>>>>> other\n"
        ),
        "# Home\n",
        (
            E(
                "data/raw.csv.dvc:1: data/raw.csv.dvc has an unresolved git merge conflict (a "
                "'<<<<<<<' marker); resolve the conflict and commit the file. [invalid_project_file]"
            ),
        ),
        allowed=(UNVERIFIABLE,),
    ),
    "merge_conflict_in_params": Case(
        _write(
            "params.yaml",
            PARAMS_TEXT.replace(
                "  lr: 0.05\n", "<<<<<<< HEAD\n  lr: 0.05\n=======\n  lr: 0.1\n>>>>>>> exp\n"
            ),
        ),
        HOME,
        (
            E(
                "params.yaml:5: params.yaml has an unresolved git merge conflict (a '<<<<<<<' "
                "marker); resolve the conflict and commit the file. It blocks 1 reference on 1 "
                "page (docs/index.md), not listed on their own. [invalid_project_file]"
            ),
        ),
        allowed=(UNVERIFIABLE, PARAMS_CASCADE, _param_ref_names_broken_file(3)),
    ),
    "schema_invalid_dvc_yaml": Case(
        _edit(
            "dvc.yaml",
            "    cmd: python3 src/train.py\n",
            "    cmd: python3 src/train.py\n    outz:\n    - x\n",
        ),
        HOME,
        (
            E(
                "dvc.yaml:14: dvc.yaml: extra keys not allowed at 'stages.train.outz' (DVC's schema "
                "for this file). [invalid_project_file]"
            ),
        ),
    ),
    "duplicate_key_in_params": Case(
        _write("params.yaml", PARAMS_TEXT + "  lr: 0.1\n"),
        "# Home\n",
        (
            E(
                "params.yaml:7: params.yaml is not valid YAML: found duplicate key 'lr' (while "
                "constructing a mapping that started on line 5). [invalid_project_file]"
            ),
        ),
        allowed=(
            UNVERIFIABLE,
            PARAMS_CASCADE,
        ),
    ),
    "duplicate_stage_in_dvc_yaml": Case(
        _edit("dvc.yaml", "  evaluate:\n", "  train:\n    cmd: echo\n  evaluate:\n"),
        HOME,
        (
            E(
                "dvc.yaml:22: dvc.yaml is not valid YAML: found duplicate key 'train' (while "
                "constructing a mapping that started on line 2). [invalid_project_file]"
            ),
        ),
    ),
    "duplicate_stage_in_dvc_lock": Case(
        lambda repo: (repo.path / "dvc.lock").write_text(
            repo.read("dvc.lock") + "  train:\n    cmd: python3 src/train.py\n"
        ),
        HOME,
        (
            E(
                rx(
                    r"dvc\.lock:\d+: dvc\.lock is not valid YAML: found duplicate key 'train' \(while "
                    r"constructing a mapping that started on line 3\)\. \[invalid_project_file\]"
                )
            ),
        ),
        # the lock cannot be read: what each stage recorded is unknown, not stale
        allowed=(UNVERIFIABLE,),
    ),
    "lock_with_unknown_schema": Case(
        _edit("dvc.lock", "schema: '2.0'", "schema: '3.0'"),
        HOME,
        (
            E(
                "dvc.lock:1: dvc.lock has schema '3.0', which this plugin does not know (it reads "
                "'2.0', written by DVC 2 and 3). Upgrade mkdocs-mlplugin or regenerate the lock "
                "with the DVC version your project uses. [invalid_project_file]"
            ),
        ),
        # the lock cannot be read: what each stage recorded is unknown, not stale
        allowed=(UNVERIFIABLE,),
    ),
    "interpolation_of_undefined_var": Case(
        _edit(
            "dvc.yaml", "cmd: python3 src/train.py", "cmd: python3 src/train.py --lr ${train.rate}"
        ),
        HOME,
        (
            # DVC names the key path; the line of 'cmd:' is known, so the finding must give it
            E(
                rx(
                    r"dvc\.yaml:13: .*stages\.train\.cmd.*Could not find 'train\.rate'.* \[invalid_project_file\]"
                )
            ),
        ),
    ),
    "foreach_over_a_number": Case(
        _stage("  sweep:\n    foreach: ${train.lr}\n    do:\n      cmd: echo ${item}\n"),
        HOME,
        (
            E(
                rx(
                    r"dvc\.yaml:31: .*stages\.sweep\.foreach.*expected list/dictionary, got float.* \[invalid_project_file\]"
                )
            ),
        ),
    ),
    "foreach_member_named_empty": Case(
        _stage("  sweep:\n    foreach: ['', a]\n    do:\n      cmd: echo ${item}\n"),
        HOME,
        (
            E(
                rx(
                    r"dvc\.yaml:1: DVC's resolver fails on this file \(AssertionError: \), and so "
                    r"do 'dvc repro'.*foreach member whose name is empty.* \[invalid_project_file\]"
                )
            ),
        ),
    ),
    "date_in_params": Case(
        lambda repo: repo.write("params.yaml", repo.read("params.yaml") + "released: 2024-01-01\n"),
        HOME,
        (
            E(
                rx(
                    r"dvc\.yaml:1: DVC's resolver fails on this file \(TypeError: Unsupported value "
                    r"of type 'date' in 'params\.yaml:released'\).*a date: quote it\)\. "
                    r"\[invalid_project_file\]"
                )
            ),
        ),
    ),
    "vars_file_missing": Case(
        lambda repo: (repo.path / "dvc.yaml").write_text(
            "vars:\n  - config/missing.yaml\n" + repo.read("dvc.yaml")
        ),
        HOME,
        (
            E(
                rx(
                    r"dvc\.yaml:[12]: .*'config/missing\.yaml' does not exist.* \[invalid_project_file\]"
                )
            ),
        ),
    ),
    "dvc_yaml_is_a_list": Case(
        _write("dvc.yaml", "- prepare\n- train\n"),
        "# Home\n",
        (E("dvc.yaml:1: dvc.yaml must be a mapping with a 'stages:' key. [invalid_project_file]"),),
    ),
    "empty_dvc_file": Case(
        # a .dvc file truncated by a failed checkout or an editor crash
        _write("data/raw.csv.dvc", ""),
        "# Home\n",
        (E("data/raw.csv.dvc:1: data/raw.csv.dvc has no 'outs:' entry. [invalid_project_file]"),),
        allowed=(UNVERIFIABLE,),
    ),
    "params_file_not_utf8": Case(
        _write("params.yaml", PARAMS_TEXT.encode() + b'  optimizer: "r\xe9sum\xe9"\n'),
        "# Home\n",
        (E("params.yaml:7: params.yaml is not valid UTF-8 (byte 78). [invalid_project_file]"),),
        allowed=(
            UNVERIFIABLE,
            PARAMS_CASCADE,
        ),
    ),
    "params_in_json_toml_and_yaml": Case(
        TUNE_THREE_FORMATS,
        "# Tune\n\n{ml param conf/a.json:opt.lr} {ml param conf/b.toml:model.depth} "
        "{ml param conf/c.yaml:aug.flip}\n\n{ml param conf/a.json:opt.nme}\n",
        (
            E(
                "docs/index.md:5: '{ml param conf/a.json:opt.nme}': no param 'opt.nme' in "
                "conf/a.json. Did you mean 'opt.name'? [missing_reference]"
            ),
        ),
    ),
    "params_in_json_toml_and_yaml_shown": Case(
        TUNE_THREE_FORMATS,
        "# Tune\n\n{ml param conf/a.json:opt.lr} {ml param conf/b.toml:model.depth} "
        "{ml param conf/c.yaml:aug.flip}\n",
        (),
        check=_three_params_formats,
    ),
    "json_params_syntax_error": Case(
        _stage(
            TUNE_STAGE.format(file="conf/m.json"),
            TUNE_LOCK.format(file="conf/m.json"),
            {"conf/m.json": '{\n  "model": {\n    "depth": 4,\n  }\n}\n'},
        ),
        HOME,
        (
            E(
                "conf/m.json:4: conf/m.json is not valid JSON: Expecting property name enclosed in "
                "double quotes. [invalid_project_file]"
            ),
        ),
        # the file cannot be read: 'dvc repro' would fail on it too, so the stage is not
        # 'stale' and the fix is not 'run dvc repro'
        allowed=(UNVERIFIABLE,),
    ),
    "toml_params_syntax_error": Case(
        _stage(
            TUNE_STAGE.format(file="conf/m.toml"),
            TUNE_LOCK.format(file="conf/m.toml"),
            {"conf/m.toml": '[model]\ndepth = 4\nname = "x\nkind = 1\n'},
        ),
        HOME,
        # tomllib says where: "(at line 3, column 10)"; the finding must carry the line
        (E(rx(r"conf/m\.toml:3: conf/m\.toml is not valid TOML: .* \[invalid_project_file\]")),),
        allowed=(UNVERIFIABLE,),
    ),
    "nan_and_infinity_in_metrics": Case(
        lambda repo: relock(
            repo,
            "metrics.json",
            '{"accuracy": NaN, "loss": Infinity, "neg": -Infinity, "test": {"n": 3}}\n',
        ),
        "# Metrics\n\n{ml metric accuracy} {ml metric loss} {ml metric neg}\n\n{ml metrics-table}\n",
        (),
        check=_nan_manifest_is_strict_json,
    ),
    "params_file_over_10_mb": Case(
        lambda repo: (repo.path / "params.yaml").write_text(
            PARAMS_TEXT + "blob: '" + "x" * HUGE + "'\n", "utf-8"
        ),
        HOME,
        (
            E(
                f"params.yaml: params.yaml is {len(PARAMS_TEXT) + HUGE + 9} bytes, over the "
                "10485760 byte limit. It blocks 1 reference on 1 page (docs/index.md), not listed "
                "on their own. [invalid_project_file]"
            ),
        ),
        # the values the stages read did not change; the plugin just refuses to read the file:
        # not 'stale, run dvc repro', and the reference names the refused file
        allowed=(UNVERIFIABLE, _param_ref_names_broken_file(3)),
    ),
    "windows_line_endings_and_bom": Case(
        # params.yaml saved by Notepad (BOM, CRLF), a page with CRLF line endings
        _write("params.yaml", b"\xef\xbb\xbf" + PARAMS_TEXT.replace("\n", "\r\n").encode()),
        "# Home\r\n\r\nlr {ml param train.lr}\r\n\r\n{ml stage trian}\r\n",
        (
            W(
                "docs/index.md:5: '{ml stage trian}': no stage 'trian'. Did you mean 'train'? "
                "[missing_reference]"
            ),
        ),
        plugin={"checks": {"missing_reference": "warn"}},
        check=_lr_shown,
    ),
    "metrics_not_pulled": Case(
        _metrics_not_pulled,
        "# Metrics\n\n{ml metric accuracy}\n",
        (
            I(
                "dvc.yaml:22: stage 'evaluate' cannot be fully checked without its data: "
                "metrics.json: not in the workspace and not kept in git. [unverifiable_stage]"
            ),
            W(
                "docs/index.md:3: '{ml metric accuracy}': metrics file metrics.json is not in the "
                "workspace: DVC does not cache it ('cache: false' in stage 'evaluate'), so 'dvc "
                "pull' cannot restore it: run 'dvc repro evaluate', or keep it in git. "
                "[missing_value]"
            ),
        ),
    ),
    "dvc_root_without_dvc_directory": Case(
        lambda repo: None,
        HOME,
        (
            E(
                "dvc_root '<ROOT>/ml' has no .dvc directory: point it at the directory where 'dvc "
                "init' was run. [invalid_project_file]"
            ),
            E(
                "docs/index.md:3: '{ml param train.lr}': dvc_root '<ROOT>/ml' has no .dvc "
                "directory: point it at the directory where 'dvc init' was run. [missing_reference]"
            ),
        ),
        plugin={"dvc_root": "ml"},
    ),
}


@pytest.mark.parametrize("case", list(DVC_CASES.values()), ids=list(DVC_CASES))
def test_broken_or_odd_dvc_project(pipeline: Repo, case: Case) -> None:
    case.setup(pipeline)
    pipeline.site({"index.md": case.page}, plugin=case.plugin)
    pipeline.commit("Docs", date="2024-02-01T10:00:00+00:00")
    build = pipeline.build("--strict")
    expect(build, *case.expected, allowed=case.allowed, root=pipeline.path)
    if case.check is not None:
        case.check(build, pipeline)


def test_two_dvc_projects_below_the_site_ask_for_dvc_root(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", tmp_path)
    for name in ("vision", "nlp"):
        (repo.path / name / ".dvc").mkdir(parents=True)
        (repo.path / name / ".dvc" / "config").write_text("")
    repo.site({"index.md": HOME})
    repo.commit("Two projects")
    message = (
        "several DVC projects were found below <ROOT> (nlp, vision): set the plugin's 'dvc_root' "
        "option to the one this site documents."
    )
    expect(
        repo.build("--strict"),
        E(f"{message} [invalid_project_file]"),
        E(f"docs/index.md:3: '{{ml param train.lr}}': {message} [missing_reference]"),
        root=repo.path,
    )


def _billion_laughs(levels: int = 9) -> str:
    text = "lol: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for n in range(1, levels + 1):
        text += f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]\n"
    return text


def test_yaml_alias_bomb_in_params_is_refused_quickly(pipeline: Repo) -> None:
    """A 'billion laughs' params.yaml (under 1 KiB, 9**10 nodes when expanded) must be refused
    with a finding, within seconds and without eating memory."""
    (pipeline.path / "params.yaml").write_text(PARAMS_TEXT + _billion_laughs(), "utf-8")
    pipeline.site({"index.md": "# Home\n"})
    pipeline.commit("Docs")

    def limit_memory() -> None:  # a runaway build dies instead of taking the machine with it
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))

    started = time.monotonic()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "--strict",
                "-d",
                str(pipeline.home / "built-site"),
            ],
            cwd=pipeline.path,
            env=pipeline.env,
            capture_output=True,
            text=True,
            timeout=20,
            preexec_fn=limit_memory,  # the child starts no threads before exec
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            "the build was still expanding the YAML alias bomb after 20 s (a build takes 2 s)"
        )
    elapsed = time.monotonic() - started
    build = Build(done.returncode, done.stdout + done.stderr, pipeline.home / "built-site")
    assert elapsed < 20
    assert "Fatal Python error" not in build.output and "MemoryError" not in build.output, (
        build.output
    )
    expect(
        build,
        E(rx(r"params\.yaml(:\d+)?: .*alias.* \[invalid_project_file\]")),
        allowed=(PARAMS_CASCADE, UNVERIFIABLE),
    )


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        pytest.param(
            "https://user:s3cr3t@example.com/data/ext.csv", "s3cr3t", id="user_and_password"
        ),
        pytest.param(
            "https://ghp_s3cr3tT0ken@example.com/data/ext.csv", "s3cr3tT0ken", id="token_as_user"
        ),
        pytest.param(
            "https://user:p@ss-s3cr3t@example.com/data/ext.csv",
            "s3cr3t",
            id="password_with_at_sign",
        ),
        pytest.param(
            "https://acct.blob.core.windows.net/c/ext.csv?sv=2022-11-02&sig=s3cr3tSig",
            "s3cr3tSig",
            id="signed_url_query",
        ),
    ],
)
def test_credentials_in_import_urls_are_not_published(
    pipeline: Repo, url: str, secret: str
) -> None:
    # 'dvc import-url URL', 'dvc import REPO' and a stage downloading URL, all with the secret
    pipeline.write(
        "data/ext.csv.dvc",
        yaml.safe_dump(
            {
                "deps": [{"path": url, "etag": "abc", "size": 10}],
                "outs": [
                    {
                        "md5": "0cc175b9c0f1b6a831c399e269772661",
                        "size": 10,
                        "hash": "md5",
                        "path": "ext.csv",
                    }
                ],
            },
            sort_keys=False,
        ),
    )
    repo_url = url.replace("/data/ext.csv", "/org/data.git")
    pipeline.write(
        "data/imported.csv.dvc",
        yaml.safe_dump(
            {
                "frozen": True,
                "deps": [{"path": "data.csv", "repo": {"url": repo_url, "rev_lock": "a" * 40}}],
                "outs": [
                    {
                        "md5": "0cc175b9c0f1b6a831c399e269772661",
                        "size": 1,
                        "hash": "md5",
                        "path": "imported.csv",
                    }
                ],
            },
            sort_keys=False,
        ),
    )
    add_stage(
        pipeline,
        f"  download:\n    cmd: python3 src/download.py\n    deps:\n    - {url}\n    outs:\n    - data/dl.csv\n",
        f"  download:\n    cmd: python3 src/download.py\n    deps:\n    - path: {url}\n      etag: abc\n"
        "      size: 10\n    outs:\n    - path: data/dl.csv\n      hash: md5\n"
        "      md5: 0cc175b9c0f1b6a831c399e269772661\n      size: 10\n",
    )
    pipeline.site(
        {
            "index.md": "# Sources\n\n{ml stage download deps}\n\n{ml out data/ext.csv stage}\n\n"
            "{ml pipeline view=outs}\n\n{ml pipeline}\n"
        }
    )
    pipeline.commit("Imports")
    build = pipeline.build("--strict")
    expect(build, allowed=(UNVERIFIABLE,))
    assert site_files_containing(build, secret) == []
    manifest = build.manifest()
    project = manifest["projects"][0]
    sources = {t["dvcfile"]: t["source"] for t in project["tracked"]}
    assert sources["data/ext.csv.dvc"] is not None and "ext.csv" in sources["data/ext.csv.dvc"]
    assert (sources["data/imported.csv.dvc"] or "").endswith("data.csv@" + "a" * 40)
    assert "ext.csv" in value(build.page(""), "stage download deps")


HOLD_DVC_LOCKS = """
import sys, time
from dvc.fs import LocalFileSystem
from dvc.lock import make_lock
from dvc.rwlock import rwlock

lock = make_lock(".dvc/tmp/lock", tmp_dir=".dvc/tmp")
lock.lock()
with rwlock(".dvc/tmp", LocalFileSystem(), "dvc repro", sys.argv[1:2], sys.argv[2:], False):
    print("holding", flush=True)
    time.sleep(120)
"""


@contextlib.contextmanager
def dvc_repro_running(repo: Repo) -> Iterator[subprocess.Popen[str]]:
    """DVC's own repository lock and read/write locks held, as by a 'dvc repro' in progress."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLD_DVC_LOCKS,
            str(repo.path / "data/prepared.csv"),
            str(repo.path / "models/model.txt"),
            str(repo.path / "metrics.json"),
        ],
        cwd=repo.path,
        env=repo.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip() == "holding", holder.stderr.read() if holder.stderr else line
        yield holder
    finally:
        holder.kill()
        holder.communicate()


def test_build_works_read_only_while_dvc_repro_holds_its_locks(pipeline: Repo) -> None:
    pipeline.site(
        {
            "index.md": "# Model\n\n{ml artifact classifier short}\n\n{ml stage train status}\n\n{ml pipeline}\n"
        }
    )
    pipeline.commit("Docs")
    with dvc_repro_running(pipeline) as holder:
        rwlock = json.loads((pipeline.path / ".dvc/tmp/rwlock").read_text())
        assert str(pipeline.path / "models/model.txt") in rwlock["write"]
        before = snapshot(pipeline.path)
        started = time.monotonic()
        build = pipeline.build("--strict")
        elapsed = time.monotonic() - started
        assert holder.poll() is None, "the lock holder is still running during the build"
        after = snapshot(pipeline.path)
    assert elapsed < 30, "the build waited for DVC's lock"
    expect(build)
    md5 = yaml.safe_load(pipeline.read("dvc.lock"))["stages"]["train"]["outs"][0]["md5"]
    assert value(build.page(""), "artifact classifier short") == md5[:8]
    assert value(build.page(""), "stage train status") == "current"
    assert after == before, "the build touched DVC's lock files or the repository"


# =========================================================================== 2. references


@dataclasses.dataclass(frozen=True)
class Ref:
    page: str
    expected: tuple[Expected, ...]
    check: Callable[[Build], None] | None = None


def _shown_as_written(*literals: str) -> Callable[[Build], None]:
    def check(build: Build) -> None:
        shown = text_of(build.page(""))
        for literal in literals:
            assert literal in shown, (literal, shown)
        assert "ml-value" not in build.page("") and "ml-missing" not in build.page("")

    return check


REFERENCE_CASES: dict[str, Ref] = {
    "unknown_stage": Ref(
        "# H\n\n{ml stage trian}\n",
        (
            E(
                "docs/index.md:3: '{ml stage trian}': no stage 'trian'. Did you mean 'train'? [missing_reference]"
            ),
        ),
    ),
    "unknown_artifact": Ref(
        "# H\n\n{ml artifact clasifier}\n",
        (
            E(
                "docs/index.md:3: '{ml artifact clasifier}': no artifact 'clasifier'. Did you mean "
                "'classifier'? Artifacts: classifier. [missing_reference]"
            ),
        ),
    ),
    "unknown_param": Ref(
        "# H\n\n{ml param train.rl}\n",
        (
            E(
                "docs/index.md:3: '{ml param train.rl}': no param 'train.rl' in params.yaml. Did you "
                "mean 'train.lr'? [missing_reference]"
            ),
        ),
    ),
    "unknown_metric": Ref(
        "# H\n\n{ml metric acuracy}\n",
        (
            E(
                "docs/index.md:3: '{ml metric acuracy}': no metric 'acuracy'. Did you mean 'accuracy'? [missing_reference]"
            ),
        ),
    ),
    "unknown_out": Ref(
        "# H\n\n{ml out models/modle.txt}\n",
        (
            E(
                "docs/index.md:3: '{ml out models/modle.txt}': no stage or .dvc file outputs "
                "'models/modle.txt'. Did you mean 'models/model.txt'? [missing_reference]"
            ),
        ),
    ),
    "unknown_params_file": Ref(
        "# H\n\n{ml param conf/train.yaml:lr}\n",
        (
            E(
                "docs/index.md:3: '{ml param conf/train.yaml:lr}': no params file 'conf/train.yaml' "
                "(params files: params.yaml). [missing_reference]"
            ),
        ),
    ),
    "unknown_kind": Ref(
        "# H\n\n{ml parm train.lr}\n",
        (
            E(
                rx(
                    r"docs/index\.md:3: '\{ml parm train\.lr\}': unknown kind 'parm'\. Did you mean "
                    r"'param'\? Known: git, page, stage, out, artifact, param, metric, params-table, "
                    r"metrics-table, provenance, pipeline[\w, -]*\. \[malformed_reference\]"
                )
            ),
        ),
    ),
    "unknown_field": Ref(
        "# H\n\n{ml stage train cmdd}\n",
        (
            E(
                "docs/index.md:3: '{ml stage train cmdd}': 'stage' has no field 'cmdd'. Did you "
                "mean 'cmd'? Fields: cmd, desc, deps, outs, wdir, dvcfile, status. [malformed_reference]"
            ),
        ),
    ),
    "unclosed_quote": Ref(
        '# H\n\n{ml out "data/raw.csv}\n',
        (
            E(
                "docs/index.md:3: '{ml out \"data/raw.csv}': No closing quotation (quote names with "
                "spaces in double quotes). [malformed_reference]"
            ),
        ),
    ),
    "block_used_inline": Ref(
        "# H\n\nSee {ml pipeline} here.\n",
        (
            E(
                "docs/index.md:3: '{ml pipeline}': 'pipeline' is a block: put it alone on its own line. [malformed_reference]"
            ),
        ),
    ),
    "name_missing": Ref(
        "# H\n\n{ml stage}\n",
        (
            E(
                "docs/index.md:3: '{ml stage}': name the stage: {ml stage <stage>}. [malformed_reference]"
            ),
        ),
    ),
    "too_many_words": Ref(
        "# H\n\n{ml param train lr}\n",
        (
            E(
                "docs/index.md:3: '{ml param train lr}': too many words; quote a name that contains spaces. [malformed_reference]"
            ),
        ),
    ),
    "empty_reference": Ref(
        "# H\n\n{ml}\n",
        (
            E(
                rx(
                    r"docs/index\.md:3: '\{ml\}': say what to show: one of git, page, stage, out, "
                    r"artifact, param, metric, params-table, metrics-table, provenance, pipeline"
                    r"[\w, -]*\. \[malformed_reference\]"
                )
            ),
        ),
    ),
    "pipeline_option_value_missing": Ref(
        "# H\n\n{ml pipeline focus}\n",
        (E("docs/index.md:3: '{ml pipeline focus}': write focus=NAME. [malformed_reference]"),),
    ),
    "pipeline_direction_invalid": Ref(
        "# H\n\n{ml pipeline direction=UP}\n",
        (
            E(
                "docs/index.md:3: '{ml pipeline direction=UP}': write direction=TD or direction=LR "
                "or direction=BT or direction=RL. [malformed_reference]"
            ),
        ),
    ),
    "pipeline_focus_unknown": Ref(
        "# H\n\n{ml pipeline focus=trian}\n",
        (
            E(
                "docs/index.md:3: '{ml pipeline focus=trian}': focus: no node 'trian' in this view. "
                "Did you mean 'train'? [missing_reference]"
            ),
        ),
    ),
    "opening_brace_never_closed": Ref(
        # a typo that would otherwise ship '{ml param train.lr' as text on the published page
        "# H\n\nThe learning rate is {ml param train.lr and that is it.\n",
        (E(rx(r"docs/index\.md:3: '\{ml param train\.lr.*': .*'\}'.* \[malformed_reference\]")),),
    ),
    "dot_dot_path": Ref(
        "# H\n\n{ml out ../../etc/passwd}\n",
        (
            E(
                "docs/index.md:3: '{ml out ../../etc/passwd}': the path leaves the DVC project. [malformed_reference]"
            ),
        ),
    ),
    "dot_dot_in_the_middle": Ref(
        "# H\n\n{ml out data/../../../etc/passwd}\n",
        (
            E(
                "docs/index.md:3: '{ml out data/../../../etc/passwd}': the path leaves the DVC "
                "project. [malformed_reference]"
            ),
        ),
    ),
    "absolute_path": Ref(
        "# H\n\n{ml out /etc/passwd}\n",
        (
            E(
                "docs/index.md:3: '{ml out /etc/passwd}': paths are relative to the DVC project "
                "root, not absolute. [malformed_reference]"
            ),
        ),
    ),
    "windows_drive_path": Ref(
        "# H\n\n{ml out C:/data/raw.csv}\n",
        (
            E(
                "docs/index.md:3: '{ml out C:/data/raw.csv}': paths are relative to the DVC project "
                "root, not absolute. [malformed_reference]"
            ),
        ),
    ),
    "windows_backslash_path": Ref(
        "# H\n\n{ml out C:\\data\\raw.csv}\n",
        (
            E(
                # a log line shows a backslash doubled: it starts the escapes of control characters
                "docs/index.md:3: '{ml out C:\\\\data\\\\raw.csv}': write paths with '/', relative "
                "to the DVC project root. [malformed_reference]"
            ),
        ),
    ),
    "backslash_relative_path": Ref(
        "# H\n\n{ml out data\\raw.csv}\n",
        (
            E(
                "docs/index.md:3: '{ml out data\\\\raw.csv}': write paths with '/', relative to the "
                "DVC project root. [malformed_reference]"
            ),
        ),
    ),
    "params_file_outside": Ref(
        "# H\n\n{ml param ../x.yaml:a}\n",
        (
            E(
                "docs/index.md:3: '{ml param ../x.yaml:a}': the path leaves the DVC project. [malformed_reference]"
            ),
        ),
    ),
    "metrics_file_outside": Ref(
        "# H\n\n{ml metrics-table ../../etc/passwd.json}\n",
        (
            E(
                "docs/index.md:3: '{ml metrics-table ../../etc/passwd.json}': the path leaves the "
                "DVC project. [malformed_reference]"
            ),
        ),
    ),
    "foreach_group_named_without_member": Ref(
        "# H\n\n{ml stage sweep}\n\n{ml stage sweep@b}\n",
        (
            E(
                "docs/index.md:3: '{ml stage sweep}': 'sweep' is a foreach/matrix stage: name one "
                "of sweep@a, sweep@b. [missing_reference]"
            ),
            # a command with no deps or outs: DVC's callback stage, always changed
            *(
                E(
                    f"dvc.yaml:30: stage 'sweep@{m}' is stale: always changed. Run 'dvc repro "
                    f"sweep@{m}' and commit dvc.lock. [stale_pipeline]"
                )
                for m in "ab"
            ),
        ),
    ),
    "references_in_code_are_left_as_written": Ref(
        "# H\n\n```\n{ml param nope}\n```\n\n~~~yaml\nlr: {ml stage nope}\n~~~\n\n"
        "Inline `{ml param nope}` here.\n\n```` markdown\n```\n{ml out nope}\n```\n````\n",
        (),
        check=_shown_as_written(
            "{ml param nope}",
            "lr: {ml stage nope}",
            "Inline {ml param nope} here.",
            "{ml out nope}",
        ),
    ),
    "macros_and_jinja_syntax_left_alone": Ref(
        "# H\n\nMacros {{ml param train.lr}} and {% ml param x %} and {{ ml.x }}.\n\nEscaped \\{ml git short}.\n",
        (),
        check=_shown_as_written(
            "Macros {{ml param train.lr}} and {% ml param x %} and {{ ml.x }}.",
            "Escaped {ml git short}.",
        ),
    ),
    "front_matter_ml_not_a_mapping": Ref(
        "---\nml: [train]\n---\n# H\n",
        (
            E(
                "docs/index.md:2: front matter 'ml:': it takes 'artifact: NAME' and/or "
                "'stage: NAME', and optionally 'pin:' (and, on a model card, 'model_index:'); "
                "a record page takes 'record: KIND' (and, on a datasheet, 'data: PATH'). "
                "[malformed_reference]"
            ),
        ),
    ),
    "front_matter_ml_unknown_key": Ref(
        "---\nml:\n  artefact: classifier\n---\n# H\n",
        (
            E(
                "docs/index.md:2: front matter 'ml:': unknown key 'artefact'; it takes 'artifact: "
                "NAME' and/or 'stage: NAME', and optionally 'pin:' (and, on a model card, "
                "'model_index:'); a record page takes 'record: KIND' (and, on a datasheet, "
                "'data: PATH'). [malformed_reference]"
            ),
        ),
    ),
    "front_matter_bound_to_unknown_stage": Ref(
        "---\ntitle: B\nml:\n  stage: trian\n---\n# H\n",
        (E("docs/index.md:3: 'ml:': no stage 'trian'. Did you mean 'train'? [missing_reference]"),),
    ),
    "front_matter_pin_not_hex": Ref(
        "---\nml:\n  artifact: classifier\n  pin: xyz\n---\n# H\n",
        (
            E(
                "docs/index.md:2: front matter 'ml:': 'pin: md5' must be 4 to 40 hexadecimal "
                "characters, not 'xyz'. [malformed_reference]"
            ),
        ),
    ),
    "front_matter_pin_commit_unknown": Ref(
        "---\nml:\n  stage: train\n  pin:\n    commit: deadbeef\n---\n# H\n",
        (
            E(
                "docs/index.md:2: front matter 'ml:': pin commit deadbeef is not a commit of this "
                "repository that has dvc.lock (fetch the full history, or fix the pin). [malformed_reference]"
            ),
        ),
    ),
}


@pytest.mark.parametrize("case", list(REFERENCE_CASES.values()), ids=list(REFERENCE_CASES))
def test_reference_fault(pipeline: Repo, case: Ref) -> None:
    if "sweep" in case.page:
        add_stage(pipeline, "  sweep:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\n")
    pipeline.site({"index.md": case.page})
    pipeline.commit("Docs", date="2024-02-01T10:00:00+00:00")
    build = pipeline.build("--strict")
    expect(build, *case.expected, root=pipeline.path)
    if case.check is not None:
        case.check(build)


# --------------------------------------------------------------------------- outside the project

SECRET = "TOPSECRET-4f2a"  # noqa: S105 - a marker to look for, not a password


def _outside(repo: Repo) -> Path:
    """A directory next to the repository with a params file and a metrics file."""
    outside = repo.home / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "x.yaml").write_text(f"key: {SECRET}\n")
    (outside / "m.json").write_text(json.dumps({"leak": SECRET}))
    return outside


def _symlinks_in_refs(repo: Repo) -> tuple[str, tuple[Expected, ...]]:
    os.symlink("/etc", repo.path / "secrets")
    os.symlink(_outside(repo), repo.path / "shared")
    page = "# H\n\n{ml out secrets/passwd}\n\n{ml param shared/x.yaml:key}\n\n{ml metrics-table shared/m.json}\n"
    return page, (
        # the path goes through a symlink out of the project: as '../' would, it leaves it
        E(
            rx(
                r"docs/index\.md:3: '\{ml out secrets/passwd\}': .*leaves the DVC project.* \[malformed_reference\]"
            )
        ),
        E(
            "docs/index.md:5: '{ml param shared/x.yaml:key}': the path leaves the DVC project. "
            "[malformed_reference]"
        ),
        E(
            "docs/index.md:7: '{ml metrics-table shared/m.json}': the path leaves the DVC project. "
            "[malformed_reference]"
        ),
    )


def _symlinked_params_declared_in_dvc_yaml(repo: Repo) -> tuple[str, tuple[Expected, ...]]:
    # a pull request adds a stage whose params and metrics files are symlinks out of the repo
    os.symlink(_outside(repo), repo.path / "shared")
    add_stage(
        repo,
        "  peek:\n    cmd: python3 src/peek.py\n    params:\n    - shared/x.yaml:\n      - key\n"
        "    metrics:\n    - shared/m.json:\n        cache: false\n",
    )
    page = "# H\n\n{ml param shared/x.yaml:key}\n\n{ml params-table peek}\n\n{ml metric shared/m.json:leak}\n"
    return page, ()


def _sibling_params_declared_in_dvc_yaml(repo: Repo) -> tuple[str, tuple[Expected, ...]]:
    # the project is <tmp>/repo; '../repo-x' shares its name as a prefix
    sibling = repo.home / "repo-x"
    sibling.mkdir()
    (sibling / "params.yaml").write_text(f"key: {SECRET}\n")
    add_stage(
        repo,
        "  peek:\n    cmd: python3 src/peek.py\n    params:\n    - ../repo-x/params.yaml:\n      - key\n",
    )
    return "# H\n\n{ml params-table peek}\n\n{ml params-table}\n", ()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_symlinks_in_refs, id="symlink_out_of_the_project_in_references"),
        pytest.param(
            _symlinked_params_declared_in_dvc_yaml, id="symlinked_params_and_metrics_in_dvc_yaml"
        ),
        pytest.param(_sibling_params_declared_in_dvc_yaml, id="sibling_prefix_params_in_dvc_yaml"),
    ],
)
def test_nothing_outside_the_project_is_read(
    pipeline: Repo, make: Callable[[Repo], tuple[str, tuple[Expected, ...]]]
) -> None:
    page, expected = make(pipeline)
    # stale or not, the stage must not make the plugin read a file outside the project; a
    # 'warn' keeps the site written so that a leak would be seen
    pipeline.site({"index.md": page}, plugin={"checks": {"stale_pipeline": "warn"}})
    pipeline.commit("Docs")
    build = pipeline.build("--strict")
    assert "Traceback" not in build.output, build.output
    assert SECRET not in build.output
    leaks = site_files_containing(build, SECRET) if build.site.exists() else []
    assert leaks == [], f"a file outside the project was published in {leaks}"
    found = findings(build.output)
    for item in expected:
        assert any(_matches(f, item, str(pipeline.path)) for f in found), (item, build.output)
    if not expected:
        # the stage's params file is outside the project: a finding at its line in dvc.yaml
        # says so (and the build fails, as for any broken project file)
        dvc_yaml = pipeline.read("dvc.yaml")
        name = "shared/x.yaml" if "shared/x.yaml" in dvc_yaml else "../repo-x/params.yaml"
        line = line_of(dvc_yaml, name)
        assert any(
            f[0] == ERROR
            and re.fullmatch(rf"dvc\.yaml:{line}: .*{re.escape(name)}.*outside.*", f[1])
            for f in found
        ), build.output


# =========================================================================== 3. git


def _page_history_site(repo: Repo) -> None:
    repo.site({"index.md": "# Home\n\n{ml git short}\n\n{ml page updated}\n"})
    repo.commit("Docs", date="2024-02-01T10:00:00+00:00")


def test_no_git_repository(pipeline: Repo) -> None:
    _page_history_site(pipeline)
    export = without_git(pipeline, pipeline.home / "export")
    message = (
        "<ROOT> is not inside a git repository: commit, branch and page dates are unknown. Run the "
        "build from a git checkout."
    )
    build = export.build("--strict")
    expect(
        build,
        W(f"{message} [git_history]"),
        W(f"docs/index.md:3: '{{ml git short}}': {message} [missing_value]"),
        W(f"docs/index.md:5: '{{ml page updated}}': {message} [missing_value]"),
        root=export.path,
    )
    assert build.manifest()["git"] is None


def test_git_not_installed(pipeline: Repo) -> None:
    _page_history_site(pipeline)
    # only python's own directory on PATH: no git
    path = os.path.dirname(sys.executable)
    assert shutil.which("git", path=path) is None
    build = pipeline.build("--strict", env={"PATH": path})
    not_installed = r"git is not installed or not on PATH.*"
    expect(
        build,
        W(rx(rf"{not_installed}install git to get commit facts\. \[git_history\]")),
        # the facts are unknown because git is missing, not because nothing was committed
        allowed=(
            W(rx(rf"docs/index\.md:3: '\{{ml git short\}}': {not_installed} \[missing_value\]")),
            W(rx(rf"docs/index\.md:5: '\{{ml page updated\}}': {not_installed} \[missing_value\]")),
        ),
    )
    assert "no commit yet" not in build.output and "not committed yet" not in build.output


def test_shallow_clone_warns_and_leaves_dates_unknown(pipeline: Repo) -> None:
    _page_history_site(pipeline)
    clone = pipeline.home / "clone"
    pipeline.run(
        "git",
        "clone",
        "-q",
        "--depth",
        "1",
        f"file://{pipeline.path}",
        str(clone),
        cwd=pipeline.home,
    )
    shallow = Repo(clone, pipeline.home)
    build = shallow.build("--strict")
    message = (
        "the git checkout is shallow, so page dates and authors would be wrong; they are shown as "
        "unknown. Fetch the full history (actions/checkout: 'fetch-depth: 0')."
    )
    expect(
        build,
        W(f"{message} [git_history]"),
        W(f"docs/index.md:5: '{{ml page updated}}': {message} [missing_value]"),
        allowed=(
            W(
                rx(
                    r"the checkout is shallow and has no tags, so the model registry .* \[registry\]"
                )
            ),
        ),
    )
    assert value(build.page(""), "git short") == pipeline.git("rev-parse", "--short=7", "HEAD")
    assert build.manifest()["git"]["shallow"] is True


def test_clone_without_tags_describes_by_short_sha(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\n{ml git describe} {ml git short}\n"})
    pipeline.commit("Docs")
    pipeline.git("tag", "v1.0")
    clone = pipeline.home / "clone"
    pipeline.run(
        "git", "clone", "-q", "--no-tags", f"file://{pipeline.path}", str(clone), cwd=pipeline.home
    )
    build = Repo(clone, pipeline.home).build("--strict")
    expect(build)
    short = pipeline.git("rev-parse", "--short=7", "HEAD")
    assert value(build.page(""), "git describe") == short
    assert build.manifest()["git"]["tags"] == []
    assert value(pipeline.build("--strict").page(""), "git describe") == "v1.0"  # with the tag


def test_detached_head(pipeline: Repo) -> None:
    pipeline.site(
        {"index.md": "# Home\n\n{ml git branch} {ml git short}\n\n{ml provenance classifier}\n"}
    )
    pipeline.commit("Docs")
    pipeline.git("checkout", "-q", "--detach")
    build = pipeline.build("--strict")
    expect(build)
    assert value(build.page(""), "git branch") == "(detached HEAD)"
    assert "on detached HEAD" in text_of(build.page(""))
    assert build.manifest()["git"]["detached"] is True


def test_unborn_head(pipeline: Repo) -> None:
    fresh = without_git(pipeline, pipeline.home / "fresh")
    fresh.git("init", "-q")
    fresh.site({"index.md": "# Home\n\n{ml git short}\n\n{ml page updated}\n"})
    build = fresh.build("--strict")
    expect(
        build,
        I(
            "docs/index.md: the page is not committed yet, so it has no git dates. [uncommitted_page]"
        ),
        W("docs/index.md:3: '{ml git short}': the repository has no commit yet. [missing_value]"),
        W(
            "docs/index.md:5: '{ml page updated}': the page is not committed yet: commit it. [missing_value]"
        ),
    )
    assert "None" not in text_of(build.page(""))


def test_dirty_tree(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\n{ml git dirty}\n\n{ml provenance classifier}\n"})
    pipeline.commit("Docs")
    pipeline.write(
        "docs/index.md", pipeline.read("docs/index.md") + "\nAn edit not committed yet.\n"
    )
    build = pipeline.build("--strict")
    expect(build)
    assert value(build.page(""), "git dirty") == "yes"
    assert "(uncommitted changes)" in text_of(build.page(""))
    assert build.manifest()["git"]["dirty"] is True


@pytest.mark.parametrize("staged", [False, True], ids=["untracked_page", "staged_page"])
def test_page_not_committed(pipeline: Repo, staged: bool) -> None:
    _page_history_site(pipeline)
    pipeline.write("docs/new.md", "# New\n\n{ml page updated}\n")
    if staged:
        pipeline.git("add", "docs/new.md")
    build = pipeline.build("--strict")
    expect(
        build,
        I("docs/new.md: the page is not committed yet, so it has no git dates. [uncommitted_page]"),
        W(
            "docs/new.md:3: '{ml page updated}': the page is not committed yet: commit it. [missing_value]"
        ),
    )
    assert value(build.page(""), "page updated") == "2024-02-01"


def test_dubious_ownership_is_reported_not_silently_ignored(pipeline: Repo) -> None:
    _page_history_site(pipeline)
    for path in [pipeline.path, *pipeline.path.rglob("*")]:
        os.chown(path, 12345, 12345, follow_symlinks=False)
    assert "dubious ownership" in pipeline.run("git", "status", check=False).stderr
    build = pipeline.build("--strict")
    dubious = r".*detected dubious ownership in repository at '<ROOT>'.*"
    expect(
        build,
        W(rx(rf"{dubious}safe\.directory.* \[git_history\]")),
        # the facts are missing because git refuses the repository, not because it is empty
        allowed=(
            W(rx(rf"docs/index\.md:3: '\{{ml git short\}}': {dubious} \[missing_value\]")),
            W(rx(rf"docs/index\.md:5: '\{{ml page updated\}}': {dubious} \[missing_value\]")),
        ),
        root=pipeline.path,
    )
    assert "no commit yet" not in build.output and "not committed yet" not in build.output


def _pages_of_another_repository(pipeline: Repo, submodule: bool) -> Repo:
    _page_history_site(pipeline)
    if submodule:
        ext = init_repo(pipeline.home / "ext", pipeline.home)
        ext.write("guide.md", "# Guide\n\n{ml page updated}\n")
        ext.commit("Guide", date="2024-04-01T10:00:00+00:00")
        pipeline.git(
            "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(ext.path), "docs/ext"
        )
        pipeline.commit("Submodule", date="2024-04-02T10:00:00+00:00")
    else:
        nested = init_repo(pipeline.path / "docs" / "ext", pipeline.home)
        nested.write("guide.md", "# Guide\n\n{ml page updated}\n")
        nested.commit("Guide", date="2024-04-01T10:00:00+00:00")
    return pipeline


@pytest.mark.parametrize(
    "submodule", [True, False], ids=["submodule_under_docs", "nested_repository_under_docs"]
)
def test_page_from_another_repository(pipeline: Repo, submodule: bool) -> None:
    repo = _pages_of_another_repository(pipeline, submodule)
    build = repo.build("--strict")
    # The page is committed, in another repository: either its dates come from that
    # repository's history, or the user is told that they cannot; never "commit it".
    elsewhere = r"docs/ext/guide\.md(:\d+)?: .*(submodule|nested|another git repository|its own git repository).* \[\w+\]"
    expect(build, allowed=(I(rx(elsewhere)), W(rx(elsewhere))))
    assert "commit it" not in build.output and "not committed yet" not in build.output
    if build.ok:
        assert values(build.page("ext/guide"), "page updated") in ([], ["2024-04-01"])


@pytest.mark.parametrize(
    ("message", "encoding", "shown"),
    [
        pytest.param(
            b"Retrain: caf\xe9 cr\xe8me",
            None,
            "Retrain: caf\ufffd cr\ufffdme",
            id="undeclared_latin1",
        ),
        pytest.param(
            b"Retrain: caf\xe9 cr\xe8me", "ISO-8859-1", "Retrain: café crème", id="declared_latin1"
        ),
    ],
)
def test_commit_message_not_utf8(
    pipeline: Repo, message: bytes, encoding: str | None, shown: str
) -> None:
    pipeline.site({"index.md": "---\nml:\n  stage: evaluate\n---\n# Eval\n"})
    pipeline.commit("Docs", date="2024-02-01T00:00:00+00:00")
    relock(pipeline, "metrics.json", '{"accuracy": 0.95, "loss": 0.2, "test": {"n": 3}}\n')
    if encoding is None:
        sha = raw_commit(pipeline, message)
    else:
        (pipeline.home / "msg").write_bytes(message)
        pipeline.git("add", "-A")
        pipeline.run(
            "git",
            "-c",
            f"i18n.commitEncoding={encoding}",
            "commit",
            "-q",
            "-F",
            str(pipeline.home / "msg"),
            env={
                "GIT_AUTHOR_DATE": "2024-03-08T12:13:20+00:00",
                "GIT_COMMITTER_DATE": "2024-03-08T12:13:20+00:00",
            },
        )
        sha = pipeline.git("rev-parse", "HEAD")
    docs = pipeline.git("rev-parse", "--short=7", "HEAD~1")
    build = pipeline.build("--strict")
    expect(
        build,
        E(
            f"docs/index.md:2: the page documents stage 'evaluate', which changed in commit {sha[:7]} "
            f'(2024-03-08, "{shown}") after the page was last edited in commit {docs} (2024-02-01). '
            "Review docs/index.md against the new version and edit it: the saved edit clears this "
            "(mkdocs serve shows it before you commit), or pin what it documents with 'pin:'. "
            "[stale_doc]"
        ),
    )


@pytest.mark.parametrize(
    "show_emails", [False, True], ids=["emails_hidden_by_default", "show_emails"]
)
def test_author_emails_published_only_when_asked(pipeline: Repo, show_emails: bool) -> None:
    pipeline.site(
        {"index.md": "# Home\n\nBy {ml page authors}.\n"},
        plugin={"show_emails": True} if show_emails else {},
    )
    pipeline.commit("Docs", author=("Bob Babbage", "bob@example.com"))
    build = pipeline.build("--strict")
    expect(build)
    authors = value(build.page(""), "page authors")
    if show_emails:
        assert authors == "Bob Babbage <bob@example.com>"
        assert build.manifest()["pages"][0]["authors"] == ["Bob Babbage <bob@example.com>"]
    else:
        assert authors == "Bob Babbage"
        assert site_files_containing(build, "bob@example.com", ADA[1], "test@example.com") == []


# =========================================================================== 4. serve


def _inprocess_build(config: Any, caplog: pytest.LogCaptureFixture) -> tuple[bool, list[str]]:
    """One build in this process, as ``mkdocs serve`` runs it; what the plugin logged."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort

    caplog.clear()
    try:
        build(config)
        ok = True
    except Abort:
        ok = False
    return ok, [r.getMessage() for r in caplog.records if r.name == "mkdocs.plugins.mlplugin"]


@pytest.mark.parametrize("reload", [True, False], ids=["config_reloaded", "same_plugin_instance"])
@pytest.mark.parametrize("fault", ["broken_dvc_yaml", "missing_reference", "broken_params"])
def test_serve_rebuild_has_no_findings_left_from_the_previous_build(
    pipeline: Repo,
    fault: str,
    reload: bool,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``mkdocs serve`` rebuilds in one process: by default with the config reloaded (MkDocs
    caches a plugin instance across reloads only when it has on_startup/on_shutdown), and hosts
    such as ``properdocs`` or a plugin with ``on_startup`` reuse the instance. Either way, a
    rebuild after the user fixed the file reports nothing from the broken build."""
    from mkdocs.config import load_config

    from mkdocs_mlplugin.plugin import MLPlugin

    for key, val in pipeline.env.items():
        if key.startswith(("GIT_", "DVC_")):
            monkeypatch.setenv(key, val)
    monkeypatch.chdir(pipeline.path)
    caplog.set_level(logging.INFO)
    good_page = "# Home\n\nlr {ml param train.lr}, stage {ml stage train}\n"
    config_file = pipeline.site({"index.md": good_page})
    pipeline.commit("Docs")
    dvc_yaml, params = pipeline.read("dvc.yaml"), pipeline.read("params.yaml")
    if fault == "broken_dvc_yaml":
        edit(
            pipeline,
            "dvc.yaml",
            "    cmd: python3 src/train.py\n",
            "    cmd: [python3 src/train.py\n",
        )
    elif fault == "missing_reference":
        pipeline.write("docs/index.md", good_page.replace("train.lr", "train.rl"))
    else:
        pipeline.write("params.yaml", params + "  lr: 0.1\n")
    site = pipeline.home / "served"

    config = load_config(str(config_file), site_dir=str(site))
    plugin = config.plugins["mlplugin"]
    assert isinstance(plugin, MLPlugin)
    ok, logged = _inprocess_build(config, caplog)
    assert not ok
    assert [m for m in logged if m.endswith("]")], logged

    # the user fixes the file; serve rebuilds
    pipeline.write("dvc.yaml", dvc_yaml)
    pipeline.write("params.yaml", params)
    pipeline.write("docs/index.md", good_page)
    if reload:
        config = load_config(str(config_file), site_dir=str(site))
        plugin = config.plugins["mlplugin"]
    ok, logged = _inprocess_build(config, caplog)
    assert [m for m in logged if m.endswith("]")] == [], (
        f"findings left from the first build: {logged}"
    )
    assert ok, logged
    assert plugin.findings == []
    assert json.loads((site / "ml-manifest.json").read_text())["findings"] == []
    page = (site / "index.html").read_text()
    assert value(page, "param train.lr") == "0.05"
    assert value(page, "stage train cmd") == "python3 src/train.py"
    assert any(
        re.match(r"mlplugin: 2 references resolved on 1 pages, 0 findings \(0 errors\)", m)
        for m in logged
    ), logged


# =========================================================================== 5. read-only


@pytest.mark.parametrize("fails", [False, True], ids=["successful_build", "failing_build"])
def test_build_leaves_the_repository_byte_identical(pipeline: Repo, fails: bool) -> None:
    page = "# Home\n\n{ml pipeline}\n\n{ml param train.lr} {ml git dirty} {ml page updated}\n"
    if fails:
        page += "\n{ml stage trian}\n"
    pipeline.site(
        {
            "index.md": page,
            "train.md": "---\nml:\n  stage: train\n---\n# Train\n\n{ml provenance classifier}\n",
        }
    )
    pipeline.commit("Docs")
    # a real-life tree: an untracked file, an uncommitted edit, a file with a new mtime (a
    # plain 'git status' would rewrite .git/index), and DVC's .dvc/tmp left by 'dvc repro'
    (pipeline.path / "notes.txt").write_text("scratch\n")
    pipeline.write("docs/train.md", pipeline.read("docs/train.md") + "\nDraft.\n")
    later = (pipeline.path / "mkdocs.yml").stat().st_mtime + 3600
    os.utime(pipeline.path / "mkdocs.yml", (later, later))
    before = snapshot(pipeline.path)
    modes = {p: p.stat().st_mtime_ns for p in pipeline.path.rglob("*") if not p.is_symlink()}
    build = pipeline.build("--strict")
    assert build.ok is not fails, build.output
    assert "Traceback" not in build.output
    assert snapshot(pipeline.path) == before
    assert {
        p: p.stat().st_mtime_ns for p in pipeline.path.rglob("*") if not p.is_symlink()
    } == modes
    pipeline.git("status", "--porcelain")  # the check means something: git itself would write
    assert snapshot(pipeline.path)[".git/index"] != before[".git/index"]
