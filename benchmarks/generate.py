"""Synthetic but realistic repositories for the benchmarks: Material sites on a DVC project.

    python benchmarks/generate.py SIZE DEST        # SIZE: a, b, c, pipeline500, pipeline5000, tags1000

Each repository is a git work tree whose whole history is written with one ``git
fast-import`` (no ``git commit`` per commit, no dvc CLI), so that even 20,000 commits take
seconds. Everything is deterministic: the same size gives the same files, the same commit
dates (fixed author and committer dates in the stream) and so the same commit ids.

What a repository holds:

- a DVC project at the root: ``.dvc/config``, ``.dvc/.gitignore``, ``.dvcignore``; a pipeline
  of 10-stage groups (prepare -> a 6-way ``foreach`` featurize fan-out -> train (fan-in) ->
  evaluate (git-tracked metrics, ``cache: false``) -> report); every group's prepare also
  depends on group 0's output (a fan-out across groups); the first 5 groups live in the root
  dvc.yaml, the others in ``pipelines/gNN/dvc.yaml`` with their own params.yaml; raw data
  added with ``dvc add`` (``data/raw/gNN.csv.dvc``, data itself absent and git-ignored);
  ``artifacts:`` with one model per group. dvc.yaml, dvc.lock, params.yaml and .dvc files are
  written in DVC's own format, with hashes of the source files that really are in the tree,
  so ``dvc status`` agrees that every stage is up to date (only data is absent);
- a docs/ tree: an index, one model card per group (front matter ``ml: artifact:``,
  provenance, params table, a focused pipeline diagram) and plain pages in sections; every
  page uses ``{ml page updated}``, ``{ml page created}``, ``{ml param ...}``,
  ``{ml out ... md5}`` and ``{ml stage ... cmd}``;
- three MkDocs configs on the same docs: ``mkdocs-plain.yml`` (Material only),
  ``mkdocs-ml.yml`` (+ mlplugin) and ``mkdocs-revdate.yml`` (+ git-revision-date-localized
  with creation dates);
- a history in which pages are added over the first 40% of commits, each commit edits a few
  pages, about one commit in ten reruns a group's pipeline (params.yaml, dvc.lock, metrics
  and the group's model card change together, as after ``dvc repro``), a few commits change
  the training code (every lock and model card changes), and a few rename a page;
- GTO-style annotated tags (``model-g03@v1.2.0``, ``model-g03#prod#4``), written as
  fast-import ``tag`` commands;
- with ``pages_with`` (run.py's ``--pages-with``): records or comparisons on a tenth of the
  pages, or five plots declared in dvc.yaml and drawn by one page (``PAGES_WITH``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import posixpath
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO


@dataclasses.dataclass(frozen=True)
class Size:
    pages: int
    commits: int
    stages: int  # a multiple of 10
    tags: int
    stale: bool = False  # leave two stages stale (for the dvc status comparison)
    root_groups: int = 5  # groups of ten stages in the root dvc.yaml; the others get their own


SIZES = {
    "a": Size(pages=100, commits=500, stages=10, tags=10),
    "b": Size(pages=1000, commits=5000, stages=100, tags=1000),
    "c": Size(pages=3000, commits=20000, stages=500, tags=1000),
    # not sites to build, but projects for the pipeline and tags benchmarks
    "pipeline500": Size(pages=20, commits=200, stages=500, tags=0, stale=True),
    "tags1000": Size(pages=10, commits=1200, stages=10, tags=1000),
    # 2,500 stages in the root dvc.yaml, the rest in 250 dvc.yaml files of ten
    "pipeline5000": Size(pages=20, commits=200, stages=5000, tags=0, stale=True, root_groups=250),
}

#: bump when the output changes, so run.py regenerates cached repositories
VERSION = "7"

ROOT_GROUPS = 5  # groups in the root dvc.yaml by default; the others get pipelines/gNN/dvc.yaml
FEATURES = ["tfidf", "bow", "hashing", "chars", "words", "lengths"]
LRS = [0.1, 0.05, 0.02, 0.01, 0.005, 0.001]
AUTHORS = [
    ("Ada Lovelace", "ada@example.com", "+0000"),
    ("Grace Hopper", "grace@example.com", "-0500"),
    ("Alan Turing", "alan@example.com", "+0100"),
    ("Katherine Johnson", "kj@example.com", "-0400"),
    ("Edsger Dijkstra", "ewd@example.com", "+0200"),
    ("Barbara Liskov", "liskov@example.com", "-0800"),
    ("Donald Knuth", "knuth@example.com", "-0700"),
    ("Frances Allen", "fran@example.com", "-0500"),
    ("Tim Berners-Lee", "tbl@example.com", "+0000"),
    ("Margaret Hamilton", "mh@example.com", "-0600"),
    ("Hedy Lamarr", "hedy@example.com", "+0100"),
    ("Claude Shannon", "shannon@example.com", "-0500"),
]
START = 1609750800  # 2021-01-04T09:00:00Z
WORDS = [
    "model",
    "data",
    "training",
    "evaluation",
    "feature",
    "pipeline",
    "metric",
    "baseline",
    "experiment",
    "validation",
    "accuracy",
    "recall",
    "precision",
    "threshold",
    "dataset",
    "split",
    "sample",
    "batch",
    "epoch",
    "learning",
    "rate",
    "regularisation",
    "drift",
    "label",
    "annotation",
    "review",
    "release",
    "stage",
    "artifact",
    "registry",
    "inference",
    "latency",
    "throughput",
    "calibration",
    "bias",
    "fairness",
    "robustness",
    "ablation",
    "tokenizer",
    "vocabulary",
]

MKDOCS_BASE = """\
site_name: Benchmark site {size}
site_url: https://example.com/bench/
docs_dir: docs
theme:
  name: material
  features:
    - navigation.sections
    - navigation.prune
markdown_extensions:
  - admonition
  - attr_list
  - tables
  - toc:
      permalink: true
  - pymdownx.highlight
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
"""
PLUGINS = {
    "plain": "plugins: []\n",
    "ml": "plugins:\n  - mlplugin\n",
    "revdate": ("plugins:\n  - git-revision-date-localized:\n      enable_creation_date: true\n"),
}

SOURCES = {
    "prepare": "import sys\n\n# split raw reviews into train/test\nprint('prepare', sys.argv[1:])\n",
    "featurize": "import sys\n\n# turn reviews into features\nprint('featurize', sys.argv[1:])\n",
    "train": "import sys\n\n# fit the classifier\nprint('train', sys.argv[1:])\n",
    "evaluate": "import json, sys\n\n# score the model\nprint('evaluate', sys.argv[1:])\n",
    "report": "import sys\n\n# render the report\nprint('report', sys.argv[1:])\n",
}


def md5(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# --------------------------------------------------------------------------- the DVC project


@dataclasses.dataclass
class Group:
    """Ten stages: prepare, featurize@<6 kinds>, train, evaluate, report."""

    index: int
    params: dict
    versions: dict  # stage kind -> how many times it was rerun
    root_groups: int = ROOT_GROUPS  # groups 0 .. root_groups - 1 are in the root dvc.yaml

    @property
    def name(self) -> str:
        return f"g{self.index:02d}"

    @property
    def sub(self) -> bool:
        return self.index >= self.root_groups

    @property
    def dir(self) -> str:  # the dvc.yaml's directory, relative to the project root
        return f"pipelines/{self.name}" if self.sub else ""

    @property
    def up(self) -> str:  # from that directory back to the project root
        return "../../" if self.sub else ""

    @property
    def dvcfile(self) -> str:
        return f"{self.dir}/dvc.yaml" if self.sub else "dvc.yaml"

    def stage(self, kind: str) -> str:
        """The stage's name as DVC (and the plugin) address it from the project root."""
        local = f"{kind}_{self.name}"
        return f"{self.dvcfile}:{local}" if self.sub else local

    # paths relative to the dvc.yaml's directory (as written in dvc.yaml and dvc.lock)
    def local(self, what: str, item: str = "") -> str:
        n = self.name
        if self.sub:
            return {
                "prepared": "data/prepared",
                "features": f"data/features/{item}",
                "model": "models/model.pkl",
                "metrics": "metrics.json",
                "report": "report.html",
            }[what]
        return {
            "prepared": f"data/prepared/{n}",
            "features": f"data/features/{n}/{item}",
            "model": f"models/{n}/model.pkl",
            "metrics": f"metrics/{n}.json",
            "report": f"reports/{n}.html",
        }[what]

    def project_path(self, what: str, item: str = "") -> str:
        local = self.local(what, item)
        return f"{self.dir}/{local}" if self.dir else local

    @property
    def params_file(self) -> str:
        return f"{self.dir}/params.yaml" if self.dir else "params.yaml"

    def param_ref(self, key: str) -> str:
        """A {ml param ...} name for one of this group's params."""
        full = f"{self.name}.{key}"
        return full if not self.sub else f"{self.params_file}:{full}"

    def metrics_text(self) -> str:
        v = self.versions["train"] + self.versions["evaluate"]
        acc = 0.8 + (int(md5(f"{self.name}:{v}")[:4], 16) % 1500) / 10000
        data = {"accuracy": round(acc, 4), "loss": round(1 - acc, 4), "test": {"n": 2000 + v}}
        return json.dumps(data, indent=2) + "\n"


def out_hash(path: str, version: int, is_dir: bool) -> dict:
    digest = md5(f"{path}@{version}")
    entry = {"md5": digest + (".dir" if is_dir else ""), "size": 1000 + int(digest[:5], 16)}
    if is_dir:
        entry["nfiles"] = 2 + int(digest[5], 16) % 6
    return entry


def yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if text == "" or any(c in text for c in ":#{}[],&*?|<>=!%@`'\"") or text[0] in "-.0123456789":
        return "'" + text.replace("'", "''") + "'"
    return text


def params_yaml(groups: list[Group]) -> str:
    lines = ["# hyperparameters, one section per model family"]
    for g in groups:
        lines.append(f"{g.name}:")
        for section, values in g.params.items():
            lines.append(f"  {section}:")
            for key, value in values.items():
                lines.append(f"    {key}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def _cmds(g: Group, stale: bool = False) -> dict:
    up, p = g.up, g.params
    return {
        "prepare": (
            f"python {up}src/prepare.py --in {up}data/raw/{g.name}.csv --out "
            f"{g.local('prepared')} --split ${{{g.name}.prepare.split}} --seed "
            f"${{{g.name}.prepare.seed}}",
            f"python {up}src/prepare.py --in {up}data/raw/{g.name}.csv --out "
            f"{g.local('prepared')} --split {p['prepare']['split']} --seed {p['prepare']['seed']}",
        ),
        "featurize": (
            f"python {up}src/featurize.py --kind ${{item}} --ngrams ${{{g.name}.featurize.ngrams}}",
            None,  # per item, below
        ),
        "train": (
            f"python {up}src/train.py --lr ${{{g.name}.train.lr}} --epochs "
            f"${{{g.name}.train.epochs}} --out {g.local('model')}",
            f"python {up}src/train.py --lr {p['train']['lr']} --epochs "
            f"{p['train']['epochs']} --out {g.local('model')}",
        ),
        "evaluate": (
            f"python {up}src/evaluate.py --threshold ${{{g.name}.evaluate.threshold}}",
            f"python {up}src/evaluate.py --threshold {p['evaluate']['threshold']}",
        ),
        "report": (
            f"python {up}src/report.py {g.local('metrics')} {g.local('report')}"
            + (" --html" if stale else ""),
            f"python {up}src/report.py {g.local('metrics')} {g.local('report')}",
        ),
    }


def dvc_yaml(groups: list[Group], stale_cmd: set[str]) -> str:
    out = ["stages:"]
    for g in groups:
        cmds = _cmds(g, stale=g.name in stale_cmd)
        up, n = g.up, g.name
        shared = [] if g.index == 0 else [f"{up}data/prepared/g00"]
        out += [
            f"  prepare_{n}:",
            f"    cmd: {cmds['prepare'][0]}",
            f"    desc: Split the raw {n} reviews",
            "    deps:",
            f"      - {up}src/prepare.py",
            f"      - {up}data/raw/{n}.csv",
            *[f"      - {d}" for d in shared],
            "    params:",
            f"      - {n}.prepare.split",
            f"      - {n}.prepare.seed",
            "    outs:",
            f"      - {g.local('prepared')}",
            f"  featurize_{n}:",
            "    foreach:",
            *[f"      - {k}" for k in FEATURES],
            "    do:",
            f"      cmd: {cmds['featurize'][0]}",
            "      deps:",
            f"        - {up}src/featurize.py",
            f"        - {g.local('prepared')}",
            "      params:",
            f"        - {n}.featurize.ngrams",
            "      outs:",
            f"        - {g.local('features', '${item}')}",
            f"  train_{n}:",
            f"    cmd: {cmds['train'][0]}",
            "    deps:",
            f"      - {up}src/train.py",
            *[f"      - {g.local('features', k)}" for k in FEATURES],
            "    params:",
            f"      - {n}.train.lr",
            f"      - {n}.train.epochs",
            "    outs:",
            f"      - {g.local('model')}",
            f"  evaluate_{n}:",
            f"    cmd: {cmds['evaluate'][0]}",
            "    deps:",
            f"      - {up}src/evaluate.py",
            f"      - {g.local('model')}",
            f"      - {g.local('features', 'tfidf')}",
            "    params:",
            f"      - {n}.evaluate.threshold",
            "    metrics:",
            f"      - {g.local('metrics')}:",
            "          cache: false",
            f"  report_{n}:",
            f"    cmd: {cmds['report'][0]}",
            "    deps:",
            f"      - {up}src/report.py",
            f"      - {g.local('metrics')}",
            "    outs:",
            f"      - {g.local('report')}",
        ]
    out.append("artifacts:")
    for g in groups:
        out += [
            f"  model-{g.name}:",
            f"    path: {g.local('model')}",
            "    type: model",
            f"    desc: Review classifier, family {g.name}",
            "    labels:",
            "      - nlp",
            f"      - {g.name}",
        ]
    return "\n".join(out) + "\n"


class Hashes:
    """The hashes a lock records: of sources (real content) and outputs (per version)."""

    def __init__(self, sources: dict[str, str], raw: dict[str, dict], first: Group) -> None:
        self.sources = sources  # project path -> content
        self.raw = raw  # project path -> .dvc out entry
        self.first = first  # group 0, whose prepared data every other group also reads

    def of(self, g: Group, what: str, item: str = "") -> dict:
        path = g.project_path(what, item)
        if what == "metrics":
            text = g.metrics_text()
            return {"md5": md5(text), "size": len(text.encode())}
        version = {
            "prepared": g.versions["prepare"],
            "features": g.versions["featurize"],
            "model": g.versions["train"],
            "report": g.versions["train"] + g.versions["evaluate"],
        }[what]
        return out_hash(path, version, what in ("prepared", "features"))

    def source(self, name: str) -> dict:
        text = self.sources[f"src/{name}.py"]
        return {"md5": md5(text), "size": len(text.encode())}


def _entry(path: str, h: dict) -> list[str]:
    lines = [
        f"    - path: {path}",
        "      hash: md5",
        f"      md5: {h['md5']}",
        f"      size: {h['size']}",
    ]
    if "nfiles" in h:
        lines.append(f"      nfiles: {h['nfiles']}")
    return lines


def _lock_stage(key: str, cmd: str, deps: list, params: dict, outs: list) -> list[str]:
    lines = [f"  {key}:", f"    cmd: {cmd}", "    deps:"]
    for path, h in sorted(deps):
        lines += _entry(path, h)
    if params:
        lines += ["    params:", "      params.yaml:"]
        for k in sorted(params):
            lines.append(f"        {k}: {yaml_scalar(params[k])}")
    lines.append("    outs:")
    for path, h in sorted(outs):
        lines += _entry(path, h)
    return lines


def dvc_lock(groups: list[Group], hashes: Hashes) -> str:
    """What ``dvc repro`` would write for these groups in their current state."""
    out = ["schema: '2.0'", "stages:"]
    for g in groups:
        up, n, p = g.up, g.name, g.params
        cmds = _cmds(g)
        shared = []
        if g.index != 0:
            shared = [(f"{up}data/prepared/g00", hashes.of(hashes.first, "prepared"))]
        out += _lock_stage(
            f"prepare_{n}",
            cmds["prepare"][1],
            [
                (f"{up}src/prepare.py", hashes.source("prepare")),
                (f"{up}data/raw/{n}.csv", hashes.raw[f"data/raw/{n}.csv"]),
                *shared,
            ],
            {
                f"{n}.prepare.split": p["prepare"]["split"],
                f"{n}.prepare.seed": p["prepare"]["seed"],
            },
            [(g.local("prepared"), hashes.of(g, "prepared"))],
        )
        for kind in FEATURES:
            out += _lock_stage(
                f"featurize_{n}@{kind}",
                f"python {up}src/featurize.py --kind {kind} --ngrams {p['featurize']['ngrams']}",
                [
                    (f"{up}src/featurize.py", hashes.source("featurize")),
                    (g.local("prepared"), hashes.of(g, "prepared")),
                ],
                {f"{n}.featurize.ngrams": p["featurize"]["ngrams"]},
                [(g.local("features", kind), hashes.of(g, "features", kind))],
            )
        out += _lock_stage(
            f"train_{n}",
            cmds["train"][1],
            [(f"{up}src/train.py", hashes.source("train"))]
            + [(g.local("features", k), hashes.of(g, "features", k)) for k in FEATURES],
            {f"{n}.train.lr": p["train"]["lr"], f"{n}.train.epochs": p["train"]["epochs"]},
            [(g.local("model"), hashes.of(g, "model"))],
        )
        out += _lock_stage(
            f"evaluate_{n}",
            cmds["evaluate"][1],
            [
                (f"{up}src/evaluate.py", hashes.source("evaluate")),
                (g.local("model"), hashes.of(g, "model")),
                (g.local("features", "tfidf"), hashes.of(g, "features", "tfidf")),
            ],
            {f"{n}.evaluate.threshold": p["evaluate"]["threshold"]},
            [(g.local("metrics"), hashes.of(g, "metrics"))],
        )
        out += _lock_stage(
            f"report_{n}",
            cmds["report"][1],
            [
                (f"{up}src/report.py", hashes.source("report")),
                (g.local("metrics"), hashes.of(g, "metrics")),
            ],
            {},
            [(g.local("report"), hashes.of(g, "report"))],
        )
    return "\n".join(out) + "\n"


def dvc_file(name: str, entry: dict) -> str:
    return f"outs:\n- md5: {entry['md5']}\n  size: {entry['size']}\n  hash: md5\n  path: {name}\n"


# --------------------------------------------------------------------------- pages


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def paragraph(seed: str, n: int = 60) -> str:
    rng = random.Random(seed)
    text = words(rng, n)
    return text[0].upper() + text[1:] + "."


def page_text(pid: int, revision: int, g: Group, log: list[str], block: str = "") -> str:
    """A plain page: prose, a settings table with DVC references, code, admonitions; with
    BLOCK (a comparison), a section that shows it."""
    kind = FEATURES[pid % len(FEATURES)]
    lines = [
        f"# Experiment note {pid:04d}",
        "",
        "Last updated {ml page updated}, first written {ml page created}.",
        "",
        paragraph(f"p{pid}-intro"),
        "",
        "## Setup",
        "",
        paragraph(f"p{pid}-setup", 45),
        f"This note concerns the [{g.name} model card](../models/{g.name}.md).",
        "",
        "| Setting | Value |",
        "| --- | --- |",
        f"| Learning rate | {{ml param {g.param_ref('train.lr')}}} |",
        f"| Epochs | {{ml param {g.param_ref('train.epochs')}}} |",
        f"| N-grams | {{ml param {g.param_ref('featurize.ngrams')}}} |",
        f"| Model MD5 | {{ml out {g.project_path('model')} md5}} |",
        f"| {kind} features | {{ml out {g.project_path('features', kind)} short}} |",
        "",
        f"Trained with `{{ml stage {g.stage('train')}}}` written literally, which resolves to "
        f"{{ml stage {g.stage('train')} cmd}}.",
        "",
        "```python",
        "import json",
        f"with open('{g.project_path('metrics')}') as fh:",
        "    print(json.load(fh)['accuracy'])",
        "```",
        "",
        "!!! note",
        f"    {paragraph(f'p{pid}-note', 25)}",
        f"    Evaluated by {{ml stage {g.stage('evaluate')}}}.",
        "",
        "## Findings",
        "",
        paragraph(f"p{pid}-find-{revision % 7}", 80),
        "",
        paragraph(f"p{pid}-more", 50),
        "",
        *(["## Comparison", "", block, ""] if block else []),
        "## Revision log",
        "",
        *log[-6:],
        "",
    ]
    return "\n".join(lines)


def model_card(g: Group, revision: int, block: str = "") -> str:
    """A model card bound to the group's model: Hugging Face metadata, Mitchell et al.'s
    sections, provenance, params table, metrics and a focused pipeline diagram; with BLOCK (a
    comparison), a section that shows it."""
    artifact = f"{g.dvcfile}:model-{g.name}" if g.sub else f"model-{g.name}"

    def section(title: str, *body: str) -> list[str]:
        return [f"## {title}", "", *body, ""]

    return "\n".join(
        [
            "---",
            "ml:",
            f"  artifact: {artifact}",
            "license: mit",
            "library_name: sklearn",
            "tags:",
            "  - text-classification",
            f"  - {g.name}",
            "datasets:",
            f"  - reviews-{g.name}",
            "---",
            f"# Model card: {g.name}",
            "",
            "Updated {ml page updated} (created {ml page created}) by {ml page authors}.",
            "",
            *section("Model Details", paragraph(f"card{g.index}", 70), "", "{ml provenance}"),
            *section("Intended Use", paragraph(f"card{g.index}-use", 40)),
            *section("Factors", paragraph(f"card{g.index}-factors", 30)),
            *section(
                "Metrics",
                f"Accuracy {{ml metric {g.project_path('metrics')}:accuracy}}, loss "
                f"{{ml metric {g.project_path('metrics')}:loss}}.",
            ),
            *section(
                "Evaluation Data",
                f"Held-out split of {{ml out data/raw/{g.name}.csv short}} "
                f"({{ml out data/raw/{g.name}.csv size}}), evaluated by "
                f"{{ml stage {g.stage('evaluate')} cmd}}.",
            ),
            *section(
                "Training Data",
                f"Features {{ml out {g.project_path('features', 'tfidf')} short}}, learning rate "
                f"{{ml param {g.param_ref('train.lr')}}}, model "
                f"{{ml out {g.project_path('model')} md5}}, trained by "
                f"{{ml stage {g.stage('train')} cmd}}.",
                "",
                "{ml params-table}",
            ),
            *section("Quantitative Analyses", paragraph(f"card{g.index}-qa", 50)),
            *section("Ethical Considerations", paragraph(f"card{g.index}-ethics", 30)),
            *section(
                "Caveats and Recommendations",
                paragraph(f"card{g.index}-caveats", 30),
                "",
                f"Model revision {revision}.",
            ),
            *section("Pipeline", f"{{ml pipeline focus={g.stage('train')} collapse}}"),
            *(section("Comparison", block) if block else []),
        ]
    )


# --------------------------------------------------------------------------- --pages-with

#: what ``--pages-with`` puts on the site: on a tenth of the pages, records (the documentation
#: standard's benchmark) or comparisons (metrics-diff and params-diff blocks); or plots, one
#: page drawing five (PLOTS_PAGE)
PAGES_WITH = ("records", "compare", "plots")
RECORD_KINDS = ("decision", "debt", "runbook", "datasheet")


def site_with(pages_with: str) -> str:
    """What PAGES_WITH puts on a site, for a section's title ("" for the default site)."""
    if pages_with == "plots":
        return " with a page drawing five plots"
    return f" with {pages_with} on a tenth of the pages" if pages_with else ""


#: the comparisons of plain pages, in turn, and of model cards: the card of a root group's
#: model in prod compares its registry stages (even groups, then odd), another card its model
#: with its recent history
PAGE_COMPARISONS = ("{ml metrics-diff HEAD~100 HEAD}", "{ml params-diff HEAD~300}")
CARD_COMPARISONS = (
    "{ml metrics-diff #prod workspace}",
    "{ml params-diff #dev #prod all}",
    "{ml metrics-diff HEAD~10}",
)
#: with records: commit links go to a forge, and the plugin keeps the standard and its registers
RECORDS_SITE = "repo_url: https://github.com/example/bench\n"
RECORDS_PLUGIN = """\
plugins:
  - mlplugin:
      decisions_page: decisions.md
      debt_page: debt.md
      runbooks_page: runbooks.md
      coverage_page: coverage.md
      review_interval: 3650
      require:
        model_cards: true
        records: [decision, debt, runbook, datasheet]
"""


#: with plots: five plots declared in the root dvc.yaml's top-level ``plots:``, one of each
#: DVC template a team uses most, their data kept in git (PLOT_DATA)
PLOTS = """\
plots:
  - confusion:
      template: confusion
      x: actual
      y:
        eval/predictions.csv: predicted
  - loss:
      x: step
      y:
        eval/loss.json: loss
  - scatter:
      template: scatter
      x: score
      y:
        eval/scores.json: length
  - labels:
      template: bar_horizontal
      x: count
      y:
        eval/labels.csv: label
  - accuracy:
      template: smooth
      x: step
      y:
        eval/train.json: acc
        eval/test.json: acc
"""
PLOT_NAMES = ("confusion", "loss", "scatter", "labels", "accuracy")
#: the page that draws them, and its twin in the sites without the plugin: the same page
#: with the five blocks left out (each site's mkdocs.yml excludes the other's)
PLOTS_PAGE = ("evaluation.md", "evaluation-plain.md")


def plot_data() -> dict[str, str]:
    """The data of PLOTS, by path from the dvc.yaml: fixed, a few hundred points a plot."""
    rows = [(i % 2, (i * 7 + i // 3) % 2) for i in range(600)]
    loss = [{"step": i, "loss": round(2 / (i + 2), 5)} for i in range(300)]
    scores = [{"score": (i * 37) % 101 / 100, "length": (i * 13) % 250} for i in range(400)]
    files = {
        "eval/predictions.csv": "actual,predicted\n" + "".join(f"{a},{p}\n" for a, p in rows),
        "eval/loss.json": json.dumps({"train": loss}),
        "eval/scores.json": json.dumps(scores),
        "eval/labels.csv": "label,count\n"
        + "".join(f"class-{i},{(i * 17) % 90 + 5}\n" for i in range(12)),
    }
    for name, base in (("train", 0.5), ("test", 0.45)):
        acc = [{"step": i, "acc": round(base + i / 800, 4)} for i in range(200)]
        files[f"eval/{name}.json"] = json.dumps(acc)
    return files


def plots_page(with_blocks: bool) -> str:
    """The page that draws the five plots, or its twin without them."""
    body = "\n\n".join(f"{{ml plots {name}}}" for name in PLOT_NAMES)
    return f"# Evaluation\n\n{body if with_blocks else 'No plots on this page.'}\n"


@dataclasses.dataclass(frozen=True)
class RecordFacts:
    """What a record page says that the history decides: the commit it links (an id), the
    latest registered version of its group's model (``NAME@VERSION``, or "" when none is),
    the dates it was written and last changed (reviewed), and the decisions it supersedes
    and is superseded by (paths from the page)."""

    commit: str
    artifact: str
    written: str
    reviewed: str
    supersedes: str = ""
    superseded_by: str = ""


def day(when: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(when))


def record_text(kind: str, pid: int, g: Group, log: list[str], facts: RecordFacts) -> str:
    """A record page of KIND (decision, debt, runbook, datasheet): its fields, its links
    (a commit, a registered model version, a stage, a data path) in front matter and one in
    its text, its required sections with text, and the per-page values plain pages use.
    The kinds' values and sections are the plugin's own table (imported here, not at the top:
    the benchmarks' children import this module before they time the plugin's import)."""
    from mkdocs_mlplugin.checks.records import DEBT_STATUS, IMPACTS, PRIORITIES, RECORDS

    who = [AUTHORS[(pid + i) % len(AUTHORS)][0] for i in range(2)]
    stage = g.stage("train")
    data = f"data/raw/{g.name}.csv"
    links = [f"commit:{facts.commit[:12]}", f"stage:{stage}", f"data:{data}"]
    if facts.artifact:
        links.insert(1, f"artifact:{facts.artifact}")
    key, value = ("data", data) if kind == "datasheet" else ("stage", stage)
    fields: list[str] = []
    if kind == "decision":
        status = "superseded" if facts.superseded_by else "accepted"
        fields = [f"status: {status}", f"date: {facts.written}", f"deciders: [{', '.join(who)}]"]
        fields += [f"supersedes: {facts.supersedes}"] if facts.supersedes else []
        fields += [f"superseded_by: {facts.superseded_by}"] if facts.superseded_by else []
        title = f"Decision {pid:04d}: {FEATURES[pid % len(FEATURES)]} features for {g.name}"
    elif kind == "debt":
        fields = [
            f"status: {DEBT_STATUS[pid % len(DEBT_STATUS)]}",
            f"priority: {PRIORITIES[pid % len(PRIORITIES)]}",
            f"impact: [{IMPACTS[pid % len(IMPACTS)]}, {IMPACTS[(pid + 1) % len(IMPACTS)]}]",
            f"effort: {1 + pid % 9} days",
            f"owner: {who[0]}",
            f"date: {facts.written}",
        ]
        title = f"Debt {pid:04d}: the {g.name} training shortcut"
    elif kind == "runbook":
        fields = [
            f"alerts: [{g.name}-accuracy-drop, {g.name}-latency-{pid % 3}]",
            f"owner: {who[0]}",
            f"service: reviews-{g.name}",
        ]
        value = g.stage("evaluate")
        title = f"Runbook {pid:04d}: {g.name} accuracy drops"
    else:
        fields = [f"owner: {who[1]}"]
        title = f"Datasheet {pid:04d}: the {g.name} reviews"
    front = [
        "---",
        "ml:",
        f"  record: {kind}",
        f"  {key}: {yaml_scalar(value)}",
        *fields,
        "links:",
        *[f"  - {yaml_scalar(link)}" for link in links],
        f"reviewed: {facts.reviewed}",
        "---",
    ]
    body = [
        f"# {title}",
        "",
        "Last updated {ml page updated}, first written {ml page created}; the model is "
        f"{{ml out {g.project_path('model')} short}}, trained by {{ml stage {stage} cmd}}.",
        "",
    ]
    for n, name in enumerate(RECORDS[kind].sections):
        body += [f"## {name}", "", paragraph(f"r{pid}-{n}", 40), ""]
        if n == 0:
            body += [f"Seen since [the change before this record](commit:{facts.commit[:10]}).", ""]
    return "\n".join([*front, *body, "## Revision log", "", *log[-6:], ""])


def index_page(groups: list[Group], revision: int) -> str:
    return "\n".join(
        [
            "# Review classifiers",
            "",
            "Built from commit {ml git short} on {ml git branch} ({ml git describe}). "
            "Page updated {ml page updated}, created {ml page created}.",
            "",
            paragraph("index", 90),
            "",
            "## Models",
            "",
            *[
                f"- [{g.name}](models/{g.name}.md): lr {{ml param {g.param_ref('train.lr')}}}, "
                f"{{ml out {g.project_path('model')} short}}, {{ml stage {g.stage('train')} cmd}}"
                for g in groups[:20]
            ],
            "",
            f"Site revision {revision}.",
            "",
        ]
    )


# --------------------------------------------------------------------------- history


class Stream:
    """A git fast-import stream, written straight to the process."""

    def __init__(self, out, answers: BinaryIO | None = None) -> None:
        self.out = out
        self.answers = answers  # fast-import's --cat-blob-fd, for commit_id
        self.mark = 0

    def commit_id(self, mark: int) -> str:
        """The id git gave the commit of MARK (fast-import's get-mark)."""
        if self.answers is None:
            raise ValueError("the stream was opened without fast-import's answers")
        self.out.write(b"get-mark :%d\n" % mark)
        self.out.flush()
        return self.answers.readline().decode().strip()

    def data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def commit(self, when: int, author: tuple, message: str, changes: list) -> int:
        self.mark += 1
        name, email, tz = author
        who = f"{name} <{email}> {when} {tz}".encode()
        self.out.write(b"commit refs/heads/main\nmark :%d\n" % self.mark)
        self.out.write(b"author " + who + b"\ncommitter " + who + b"\n")
        self.data(message.encode())
        for change in changes:
            if change[0] == "M":
                self.out.write(f"M 100644 inline {change[1]}\n".encode())
                self.data(change[2].encode("utf-8"))
            elif change[0] == "R":
                self.out.write(f"R {change[1]} {change[2]}\n".encode())
            elif change[0] == "D":
                self.out.write(f"D {change[1]}\n".encode())
        self.out.write(b"\n")
        return self.mark

    def tag(self, name: str, mark: int, when: int, author: tuple, message: str) -> None:
        tagger = f"{author[0]} <{author[1]}> {when} {author[2]}".encode()
        self.out.write(f"tag {name}\nfrom :{mark}\n".encode() + b"tagger " + tagger + b"\n")
        self.data(message.encode())  # its trailing LF ends the tag


def tag_plan(size: Size, n_groups: int) -> list[tuple[str, list[tuple[str, int]], int]]:
    """The GTO tags of SIZE, per artifact: its name, its registered versions in order (each
    with the index of the commit it is registered at) and how many stage assignments follow."""
    if not size.tags:
        return []
    n_art = max(2, min(20, size.tags // 50))  # 1,000 tags: 20 artifacts of 50 tags
    plan = []
    for a in range(n_art):
        name = f"model-g{a:02d}" if a < n_groups else f"dataset-{a:02d}"
        count = size.tags // n_art + (1 if a < size.tags % n_art else 0)
        n_versions = max(1, (count * 3 + 4) // 5)
        # versions spread over the history, in order
        step = max(1, (size.commits - 1) // (n_versions + 1))
        offset = (a * 7) % max(1, step)
        versions = []
        major, minor, patch = 0, 1, 0
        for v in range(n_versions):
            index = min(size.commits - 1, 1 + offset + v * step)
            if v % 10 == 9:
                major, minor, patch = major + 1, 0, 0
            elif v % 3 == 2:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            versions.append((f"v{major}.{minor}.{patch}", index))
        plan.append((name, versions, count - n_versions))
    return plan


def git_env(home: Path) -> dict[str, str]:
    """git and DVC isolated from the user's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_"))}
    home.mkdir(parents=True, exist_ok=True)
    (home / "gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n"
        "[gc]\n\tauto = 0\n"
    )
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(home / "dvc-site-cache"),
        DVC_GLOBAL_CONFIG_DIR=str(home / "dvc-global"),
        DVC_SYSTEM_CONFIG_DIR=str(home / "dvc-system"),
        NO_MKDOCS_2_WARNING="1",
        GTO_NO_ANALYTICS="1",
    )
    return env


def generate(size_name: str, dest: Path, home: Path, pages_with: str = "") -> dict:
    """Write the repository for SIZE_NAME into DEST (replaced); return a summary. PAGES_WITH
    (one of PAGES_WITH, or "" for none) puts records or comparisons on a tenth of the pages,
    or five plots on one (which takes the place of a plain page: the sites keep their size)."""
    size = SIZES[size_name]
    if pages_with and pages_with not in PAGES_WITH:
        raise ValueError(f"pages_with is one of {', '.join(PAGES_WITH)}, not {pages_with!r}")
    started = time.perf_counter()
    rng = random.Random(f"mkdocs-mlplugin-bench-{size_name}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    env = git_env(home)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)

    n_groups = size.stages // 10
    groups = [
        Group(
            i,
            {
                "prepare": {"split": 0.2, "seed": 42 + i},
                "featurize": {"ngrams": 1 + i % 3, "max_features": 500 * (1 + i % 4)},
                "train": {"lr": LRS[i % len(LRS)], "epochs": 10 + i % 7},
                "evaluate": {"threshold": 0.5},
            },
            {"prepare": 1, "featurize": 1, "train": 1, "evaluate": 1},
            size.root_groups,
        )
        for i in range(n_groups)
    ]
    root_groups = [g for g in groups if not g.sub]
    sub_groups = [g for g in groups if g.sub]
    sources = {f"src/{k}.py": v for k, v in SOURCES.items()}
    raw = {f"data/raw/{g.name}.csv": out_hash(f"data/raw/{g.name}.csv", 1, False) for g in groups}
    hashes = Hashes(sources, raw, groups[0])

    # files whose content we rewrite as the history goes: path -> text
    def pipeline_files(which: list[Group], stale_cmd: set[str] = frozenset()) -> dict[str, str]:
        files: dict[str, str] = {}
        for g in which:
            files[g.project_path("metrics")] = g.metrics_text()
        roots = [g for g in which if not g.sub]
        if roots or not which:
            files["params.yaml"] = params_yaml(root_groups)
            files["dvc.yaml"] = dvc_yaml(root_groups, stale_cmd) + plots_yaml
            files["dvc.lock"] = dvc_lock(root_groups, hashes)
        for g in which:
            if g.sub:
                files[g.params_file] = params_yaml([g])
                files[f"{g.dir}/dvc.yaml"] = dvc_yaml([g], stale_cmd)
                files[f"{g.dir}/dvc.lock"] = dvc_lock([g], hashes)
        return files

    base = MKDOCS_BASE.format(size=size_name)
    plugins = dict(PLUGINS)
    if pages_with == "records":
        base += RECORDS_SITE
        plugins["ml"] = RECORDS_PLUGIN
    plots_yaml, plot_files = "", {}
    if pages_with == "plots":
        plots_yaml = PLOTS
        drawn, plain = PLOTS_PAGE
        plot_files = {
            **plot_data(),
            f"docs/{drawn}": plots_page(True),
            f"docs/{plain}": plots_page(False),
        }
        plugins = {
            v: f"exclude_docs: /{plain if v == 'ml' else drawn}\n{p}" for v, p in plugins.items()
        }
    n_plain = size.pages - 1 - n_groups - (pages_with == "plots")
    tenth = size.pages // 10
    # the plain pages that carry a record or a comparison: pid -> its ordinal among them
    chosen: dict[int, int] = {}
    if pages_with in ("records", "compare"):
        count = tenth if pages_with == "records" else max(0, tenth - n_groups)
        chosen = {(i * n_plain) // count: i for i in range(min(count, n_plain))}
    plan = tag_plan(size, n_groups)
    latest = {name: versions[-1][0] for name, versions, _ in plan}
    in_prod = {name for name, _, n_assign in plan if n_assign >= 3}  # dev, staging, prod

    def card(g: Group, revision: int) -> str:
        staged = not g.sub and f"model-{g.name}" in in_prod
        block = CARD_COMPARISONS[g.index % 2 if staged else 2] if pages_with == "compare" else ""
        return model_card(g, revision, block)

    initial = {
        ".gitignore": "/site/\n__pycache__/\n",
        ".dvc/config": "[core]\n    autostage = false\n    analytics = false\n",
        ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
        ".dvcignore": (
            "# Add patterns of files dvc should ignore, which could improve\n"
            "# the performance. Learn more at\n"
            "# https://dvc.org/doc/user-guide/dvcignore\n"
        ),
        "README.md": f"# Benchmark repository {size_name}\n\nGenerated by benchmarks/generate.py.\n",
        "data/raw/.gitignore": "".join(f"/{g.name}.csv\n" for g in groups),
        **{
            f"data/raw/{g.name}.csv.dvc": dvc_file(f"{g.name}.csv", raw[f"data/raw/{g.name}.csv"])
            for g in groups
        },
        **sources,
        **{f"mkdocs-{v}.yml": base + p for v, p in plugins.items()},
        **pipeline_files(groups),
        "docs/index.md": index_page(groups, 0),
        **{f"docs/models/{g.name}.md": card(g, 0) for g in groups},
        **plot_files,
    }

    n_sections = max(2, min(30, n_plain // 40))
    page_path: dict[int, str] = {}
    page_rev: dict[int, int] = {}
    page_log: dict[int, list[str]] = {}
    card_rev = {g.index: 0 for g in groups}
    index_rev = 0

    def plain_group(pid: int) -> Group:
        return groups[pid % n_groups]

    # records: the commit each links (the one before it was written), the dates it was
    # written and last changed, and the decisions that supersede one another
    record_commit: dict[int, str] = {}
    written: dict[int, int] = {}
    changed: dict[int, int] = {}
    superseded_by: dict[int, int] = {}

    def render_page(pid: int) -> str:
        g = plain_group(pid)
        if pid not in chosen:
            return page_text(pid, page_rev[pid], g, page_log[pid])
        if pages_with == "compare":
            block = PAGE_COMPARISONS[chosen[pid] % len(PAGE_COMPARISONS)]
            return page_text(pid, page_rev[pid], g, page_log[pid], block)
        changed[pid] = when
        kind = RECORD_KINDS[chosen[pid] % len(RECORD_KINDS)]
        here = posixpath.dirname(page_path[pid])
        newer, older = superseded_by.get(pid), supersedes(pid)
        return record_text(
            kind,
            pid,
            g,
            page_log[pid],
            RecordFacts(
                commit=record_commit[pid],
                artifact=f"model-{g.name}@{latest[f'model-{g.name}']}"
                if f"model-{g.name}" in latest
                else "",
                written=day(written[pid]),
                reviewed=day(changed[pid]),
                superseded_by=posixpath.relpath(page_path[newer], here) if newer else "",
                supersedes=posixpath.relpath(page_path[older], here) if older is not None else "",
            ),
        )

    def supersedes(pid: int) -> int | None:
        """The decision record PID replaces: every second decision replaces the one before."""
        if RECORD_KINDS[chosen[pid] % len(RECORD_KINDS)] != "decision":
            return None
        nth = chosen[pid] // len(RECORD_KINDS)
        if nth % 2 == 0:
            return None
        before = (chosen[pid] - len(RECORD_KINDS)) * n_plain // len(chosen)
        return before if before in page_path else None

    # fast-import answers get-mark (a commit's id, which a record links) on a pipe of its own
    answers, answers_w = os.pipe()
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done", f"--cat-blob-fd={answers_w}"],
        cwd=dest,
        stdin=subprocess.PIPE,
        env=env,
        pass_fds=(answers_w,),
    )
    os.close(answers_w)
    stream = Stream(proc.stdin, os.fdopen(answers, "rb"))
    when = START
    marks: list[tuple[int, int]] = []  # (mark, time) of every commit
    creating_until = max(1, int(size.commits * 0.4))
    next_page = 0
    for k in range(size.commits):
        author = AUTHORS[rng.randrange(len(AUTHORS))]
        changes: list = []
        message = ""
        if k == 0:
            changes = [("M", path, text) for path, text in sorted(initial.items())]
            message = "Initial project: pipeline, site configs, model cards"
        else:
            when += (
                rng.randrange(20 * 60, 240 * 60)
                if size.commits < 10000
                else rng.randrange(10 * 60, 150 * 60)
            )
            # pages created over the first 40% of history
            due = min(n_plain, (k * n_plain + creating_until - 1) // creating_until)
            touched: list[int] = []
            while next_page < due:
                pid = next_page
                section = pid % n_sections
                page_path[pid] = f"docs/s{section:02d}/page-{pid:04d}.md"
                page_rev[pid] = 0
                page_log[pid] = [f"- Created in change {k}."]
                touched.append(pid)
                next_page += 1
                if pages_with == "records" and pid in chosen:
                    record_commit[pid] = stream.commit_id(marks[-1][0])
                    written[pid] = when
                    older = supersedes(pid)
                    if older is not None:  # the decision it replaces says so too
                        superseded_by[older] = pid
                        page_log[older].append(f"- Superseded in change {k}.")
                        if older not in touched:
                            touched.append(older)
            # a few edits of existing pages
            existing = next_page
            for _ in range(rng.choice((1, 1, 2, 2, 3)) if existing else 0):
                pid = rng.randrange(existing)
                if pid in touched:
                    continue
                page_rev[pid] += 1
                page_log[pid].append(f"- Revised in change {k}: {words(rng, 6)}.")
                touched.append(pid)
            # an occasional rename of a page
            renamed = []
            if existing > 10 and rng.random() < 0.005:
                pid = rng.randrange(existing)
                # records link one another by path: they keep theirs
                if pid not in touched and not (pages_with == "records" and pid in chosen):
                    old = page_path[pid]
                    new = (
                        old[: -len(".md")] + "-r.md"
                        if not old.endswith("-r.md")
                        else old.replace("-r.md", ".md")
                    )
                    page_path[pid] = new
                    renamed.append(("R", old, new))
            changes += renamed
            changes += [("M", page_path[pid], render_page(pid)) for pid in touched]
            message = f"Docs: update {len(touched)} page(s)"
            roll = rng.random()
            if roll < 0.002 and k > 10:  # the training code changes, everything is rerun
                name = rng.choice(["train", "featurize", "evaluate"])
                sources[f"src/{name}.py"] += f"# tweak {k}\n"
                for g in groups:
                    g.versions[name] += 1
                    if name == "featurize":
                        g.versions["train"] += 1  # downstream reruns too
                    card_rev[g.index] += 1
                changes.append(("M", f"src/{name}.py", sources[f"src/{name}.py"]))
                changes += [("M", p, t) for p, t in pipeline_files(groups).items()]
                changes += [
                    ("M", f"docs/models/{g.name}.md", card(g, card_rev[g.index])) for g in groups
                ]
                message = f"Rework {name}; dvc repro of every pipeline"
            elif roll < 0.1:  # one group's pipeline is rerun after a params change
                g = groups[rng.randrange(n_groups)]
                what = rng.choice(["train", "train", "featurize", "evaluate"])
                if what == "train":
                    g.params["train"]["lr"] = LRS[
                        (LRS.index(g.params["train"]["lr"]) + 1) % len(LRS)
                    ]
                    g.versions["train"] += 1
                elif what == "featurize":
                    g.params["featurize"]["ngrams"] = 1 + g.params["featurize"]["ngrams"] % 3
                    g.versions["featurize"] += 1
                    g.versions["train"] += 1
                else:
                    g.params["evaluate"]["threshold"] = round(
                        0.4 + (g.versions["evaluate"] % 4) / 20, 2
                    )
                    g.versions["evaluate"] += 1
                card_rev[g.index] += 1
                changes += [("M", p, t) for p, t in pipeline_files([g]).items()]
                changes.append(("M", f"docs/models/{g.name}.md", card(g, card_rev[g.index])))
                message = f"dvc repro {g.name}: {what}"
            if rng.random() < 0.01:
                index_rev += 1
                changes.append(("M", "docs/index.md", index_page(groups, index_rev)))
        if k == size.commits - 1 and size.stale:
            # two stages left stale on purpose: a params change without repro in a
            # subdirectory pipeline, and a changed command in the root dvc.yaml
            g = groups[min(7, n_groups - 1)]
            g.params["train"]["lr"] = 0.123
            changes.append(("M", g.params_file, params_yaml([g] if g.sub else root_groups)))
            stale_yaml = dvc_yaml(root_groups, {groups[min(3, n_groups - 1)].name})
            changes.append(("M", "dvc.yaml", stale_yaml + plots_yaml))
            message += "; tweak params without repro"
        mark = stream.commit(when, author, message, changes)
        marks.append((mark, when))

    # GTO-style tags: registrations model@vX.Y.Z and stage assignments model#stage#N
    tags_written = 0
    if size.tags:
        for a, (name, versions, n_assign) in enumerate(tag_plan(size, n_groups)):
            events = []
            for version, index in versions:
                tagger = AUTHORS[(a + index) % len(AUTHORS)]
                events.append(
                    (
                        marks[index][1] + 60,
                        f"{name}@{version}",
                        marks[index][0],
                        tagger,
                        f"Registering artifact {name} version {version}",
                    )
                )
            counter = 0
            stages = ["dev", "staging", "prod"]
            for s in range(n_assign):
                version, index = versions[
                    min(len(versions) - 1, (s * len(versions)) // max(1, n_assign))
                ]
                counter += 1
                stage = stages[s % 3]
                tagger = AUTHORS[(a + s) % len(AUTHORS)]
                events.append(
                    (
                        marks[index][1] + 120 + 60 * (s % 3),
                        f"{name}#{stage}#{counter}",
                        marks[index][0],
                        tagger,
                        f"Assigning stage {stage} to artifact {name} version {version}",
                    )
                )
            for when_tag, tag, mark, tagger, message in sorted(events):
                stream.tag(tag, mark, when_tag, tagger, message)
                tags_written += 1

    proc.stdin.write(b"done\n")
    proc.stdin.close()
    stream.answers.close()
    if proc.wait() != 0:
        raise SystemExit(f"git fast-import failed in {dest}")
    for args in (["reset", "-q", "--hard", "main"], ["pack-refs", "--all"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=dest, check=True, env=env, capture_output=True, text=True
    ).stdout.strip()
    info = {
        "size": size_name,
        "pages_with": pages_with,
        "chosen": len(chosen)
        + (n_groups if pages_with == "compare" else 0)
        + (pages_with == "plots"),
        "version": VERSION,
        # the pages each site builds (of the plots page and its twin, each site builds one)
        "pages": sum(1 for _ in (dest / "docs").rglob("*.md")) - (pages_with == "plots"),
        "commits": size.commits,
        "stages": n_groups * 10,
        "dvc_yaml_files": 1 + len(sub_groups) if root_groups else len(sub_groups),
        "tags": tags_written,
        "head": head,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (dest / ".git" / "bench-info.json").write_text(json.dumps(info, indent=2))
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    info = generate(args.size, args.dest.resolve(), args.dest.resolve().parent / ".home")
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
