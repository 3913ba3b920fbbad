"""Give the example a past: replay its history into a fresh git repository, then build its site.

    python example_site/replay.py [--into DIR] [--site DIR] [--no-build]

example_site/ is the project as it stands today. HISTORY below is how it got there: a first
model on 200 reviews, registered and promoted; a data refresh; a retrain; a second version
that replaces the first in prod; two experiments on it (``dvc exp run``), kept as DVC keeps
them, in git refs, not in a branch. The script copies the project's sources into DIR (default
example_site/build/, ignored by git), replays HISTORY there with the tools a team would use
(git, ``dvc add``, ``dvc repro``, ``gto register``, ``gto assign``, ``dvc exp run``) and builds the site with
``mkdocs build --strict`` into example_site/site/. The repository it leaves in DIR is an
ordinary one: try ``git log``, ``gto show``, ``gto history``, ``dvc metrics show`` and ``dvc
exp show`` there.

Everything is fixed, so every run gives the same commits and tags, hash for hash: dates,
names and e-mails come from the environment of each command (the user's git configuration
is neither read nor changed), the data from a seeded script, the model from seeded training.
Nothing is pushed or pulled: no network is used. The last commit's files are example_site's,
but for the lines of the model card that name registered versions (see VERSIONS below).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTIFACT = "text-classifier"
ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "grace@example.com")


@dataclass(frozen=True)
class Commit:
    """Do ACTIONS in the work tree, then commit everything as WHO at DATE."""

    date: str
    who: tuple[str, str]
    message: str
    actions: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Tag:
    """``gto register`` (STAGE empty) or ``gto assign`` of VERSION at HEAD, as WHO at DATE."""

    date: str
    who: tuple[str, str]
    version: str
    stage: str = ""


@dataclass(frozen=True)
class Experiment:
    """``dvc exp run -S SET... -n NAME`` on HEAD, as WHO at DATE; the work tree is HEAD's
    again after it. With BRANCH, ``dvc exp branch NAME BRANCH`` promotes it to a branch."""

    date: str
    who: tuple[str, str]
    name: str
    sets: tuple[str, ...]
    branch: str = ""


def raw_data(seed: int, rows: int) -> tuple[str, ...]:
    """Draw a new sample of reviews and track it with ``dvc add``."""
    return ("raw_data", str(seed), str(rows))


def param(key: str, value: object) -> tuple[str, ...]:
    """Set KEY (``section.name``) in params.yaml, keeping its comment."""
    return ("param", key, str(value))


def repro() -> tuple[str, ...]:
    """Run ``dvc repro``: every stage whose code, data or params changed."""
    return ("repro",)


def add(page: str) -> tuple[str, ...]:
    """Copy docs/PAGE from example_site, where it is left out of the first commit (LATER)."""
    return ("add", page)


def edit(page: str, old: str, new: str) -> tuple[str, ...]:
    """Replace OLD (which must be there) by NEW in docs/PAGE."""
    return ("edit", page, old, new)


# The model card's lines about registered versions. They are written by the history, not kept
# in example_site/docs: the mkdocs-mlplugin repository carries no GTO tags, and a card that
# names a version GTO does not know fails a strict build.
VERSIONS = "between them.\n"
VERSIONS_V1 = """between them.

The latest registered version is {ml artifact text-classifier version}. The metrics of every
registered version, read from git at the version's commit:

{ml metrics-history}

Release notes:

- **v1.0.0**: the first model, trained on 200 reviews for 3 epochs.
"""
# What changed between the two versions, added once both are registered.
COMPARED = "- **v1.0.0**: the first model, trained on 200 reviews for 3 epochs.\n"
COMPARED_V1_1 = (
    COMPARED
    + """
What changed from v1.0.0 to v1.1.0, read from git at each version's commit (the params
DVC records as changed, then every metric):

{ml params-diff v1.0.0 v1.1.0}

{ml metrics-diff v1.0.0 v1.1.0}
"""
)
NOTES = "Release notes:\n\n"
NOTES_V1_1 = NOTES + (
    "- **v1.1.0**: trained on the refreshed sample of 300 reviews, for 20 epochs instead of 3.\n"
)

# The model card's section on experiments, added by the history like VERSIONS: example_site's
# own repository keeps no experiments.
EXPERIMENTS = "{ml params-table train}\n"
EXPERIMENTS_TRIED = """{ml params-table train}

Experiments tried on v1.1.0 with `dvc exp run`, kept in git refs and not registered: a higher
learning rate, and fewer epochs. Fewer epochs gave the same test metrics with less
overfitting, so that experiment was promoted to the branch `fewer-epochs` (`dvc exp branch`)
for the next version.

{ml experiments}
"""

# The datasheet's lines about the current sample of reviews: the history draws 200 reviews
# first and 300 at the refresh, and the datasheet, bound to the data, changes with it (else
# it would be a stale doc); example_site/docs says what is true now.
SHEET = "records/datasheet-reviews.md"
SAMPLE = ("The current sample has 300 rows;", "The current sample has 200 rows;")
COLLECTED = (
    "(seed 2024, 300 rows for the current sample; the project's first sample used seed\n"
    "2021 and 200 rows)",
    "(seed 2021, 200 rows)",
)
# Records written when what they record happened, so that each page's git dates agree with the
# date it gives: the debt when the refreshed sample changed the test set, the decision with
# the change it decided.
DEBT = "records/debt-test-split.md"
DECISION = "records/decision-20-epochs.md"
LATER = {f"docs/{DEBT}", f"docs/{DECISION}"}

SHEET_FIRST = (edit(SHEET, SAMPLE[0], SAMPLE[1]), edit(SHEET, COLLECTED[0], COLLECTED[1]))
SHEET_REFRESHED = (edit(SHEET, SAMPLE[1], SAMPLE[0]), edit(SHEET, COLLECTED[1], COLLECTED[0]))

HISTORY: list[Commit | Tag | Experiment] = [
    Commit(
        "2024-01-08T09:30:00+01:00",
        ADA,
        "Review sentiment classifier: DVC pipeline, docs and a first sample of 200 reviews",
        (raw_data(seed=2021, rows=200), param("train.epochs", 3), *SHEET_FIRST),
    ),
    Commit("2024-01-08T11:10:00+01:00", ADA, "Train the first model", (repro(),)),
    Tag("2024-01-09T10:00:00+01:00", ADA, "v1.0.0"),
    Tag("2024-01-09T10:01:00+01:00", ADA, "v1.0.0", stage="staging"),
    Commit(
        "2024-01-09T10:30:00+01:00",
        ADA,
        "Model card: the registered version, metrics of every version, release notes",
        (edit("model-card.md", VERSIONS, VERSIONS_V1),),
    ),
    Tag("2024-01-15T14:00:00+01:00", GRACE, "v1.0.0", stage="prod"),
    Commit(
        "2024-02-05T09:00:00+01:00",
        GRACE,
        "Refresh the raw reviews: a new sample of 300",
        (raw_data(seed=2024, rows=300), *SHEET_REFRESHED, add(DEBT)),
    ),
    Commit("2024-02-05T09:40:00+01:00", GRACE, "Retrain on the refreshed reviews", (repro(),)),
    Commit(
        "2024-02-12T16:00:00+01:00",
        ADA,
        "Train for 20 epochs instead of 3 (a decision record); release notes for v1.1.0",
        (
            param("train.epochs", 20),
            repro(),
            edit("model-card.md", NOTES, NOTES_V1_1),
            add(DECISION),
        ),
    ),
    Tag("2024-02-12T16:10:00+01:00", ADA, "v1.1.0"),
    Tag("2024-02-12T16:11:00+01:00", ADA, "v1.1.0", stage="staging"),
    Tag("2024-02-19T10:00:00+01:00", GRACE, "v1.1.0", stage="prod"),
    Commit(
        "2024-02-19T10:30:00+01:00",
        GRACE,
        "Model card: what changed from v1.0.0 to v1.1.0",
        (edit("model-card.md", COMPARED, COMPARED_V1_1),),
    ),
    Commit(
        "2024-02-20T09:00:00+01:00",
        ADA,
        "Model card: the experiments tried on v1.1.0",
        (edit("model-card.md", EXPERIMENTS, EXPERIMENTS_TRIED),),
    ),
    Experiment("2024-02-20T10:00:00+01:00", ADA, "lr-0.3", ("train.lr=0.3",)),
    Experiment("2024-02-20T11:00:00+01:00", GRACE, "epochs-5", ("train.epochs=5",), "fewer-epochs"),
]

# What is copied from example_site/ before the first commit (DVC writes the rest: .dvc/,
# the .gitignore files next to its outputs, dvc.lock, the outputs and metrics).
SOURCES = [
    ".gitignore",
    ".dvcignore",
    "mkdocs.yml",
    "dvc.yaml",
    "params.yaml",
    "scripts",
    "src",
    "docs",
]
LEFT_OUT = {"docs/assets/screenshots", "__pycache__"}  # the README's pictures; bytecode
# (and LATER, added by the history)
MARK = "mlplugin-example-replay"  # a file in DIR/.git: DIR holds an earlier replay


class Replay:
    """The repository being replayed into, and the commands run in it."""

    def __init__(self, into: Path) -> None:
        self.path = into
        bindir = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            # git reads no configuration of the user's or the machine's, so it cannot sign,
            # rewrite line ends or run hooks differently from one machine to the next
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            DVC_NO_ANALYTICS="1",
            PATH=os.pathsep.join([bindir, env.get("PATH", "")]),  # this Python's dvc and gto
        )
        self.env = env

    def run(self, *args: str, who: tuple[str, str] = ADA, date: str = "") -> str:
        env = dict(self.env)
        env.update(
            GIT_AUTHOR_NAME=who[0],
            GIT_AUTHOR_EMAIL=who[1],
            GIT_COMMITTER_NAME=who[0],
            GIT_COMMITTER_EMAIL=who[1],
        )
        if date:
            env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        result = subprocess.run(
            args, cwd=self.path, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            sys.exit(f"replay: {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def dvc(self, *args: str) -> str:
        return self.run(sys.executable, "-m", "dvc", *args)

    def start(self) -> None:
        """An empty repository on branch main, the project's sources copied in, DVC set up."""
        if self.path.exists() and any(self.path.iterdir()):
            if not (self.path / ".git" / MARK).is_file():
                sys.exit(
                    f"replay: {self.path} is not empty and holds no earlier replay; not touched"
                )
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.run("git", "init", "-q", "-b", "main")
        (self.path / ".git" / MARK).write_text("written by example_site/replay.py\n")
        for name in SOURCES:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(source, self.path / name, ignore=_left_out)
            else:
                shutil.copy2(source, self.path / name)
        self.dvc("init", "-q")
        self.dvc("config", "core.analytics", "false")
        self.dvc("config", "core.autostage", "false")

    def commit(self, step: Commit) -> None:
        for action, *args in step.actions:
            if action == "raw_data":
                seed, rows = args
                self.run(sys.executable, "scripts/make_raw_data.py", "--seed", seed, "--rows", rows)
                self.dvc("add", "-q", "data/raw/reviews.csv")
            elif action == "param":
                key, value = args
                set_param(self.path / "params.yaml", key, value)
            elif action == "repro":
                self.dvc("repro", "-q")
            elif action == "add":
                (page,) = args
                shutil.copy2(HERE / "docs" / page, self.path / "docs" / page)
            elif action == "edit":
                page, old, new = args
                path = self.path / "docs" / page
                text = path.read_text("utf-8")
                if old not in text:
                    sys.exit(f"replay: docs/{page} has no {old!r} to replace")
                path.write_text(text.replace(old, new, 1), "utf-8")
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", step.message, who=step.who, date=step.date)

    def tag(self, step: Tag) -> str:
        """Let GTO name and write the tag, then date it: GTO stamps a tag with the clock
        (GIT_COMMITTER_DATE does not reach it), so it is written again, same name, target,
        message and tagger, at the step's date."""
        before = set(self.run("git", "tag").split())
        if step.stage:
            self.run(
                "gto", "assign", ARTIFACT, "--version", step.version, "--stage", step.stage,
                who=step.who,
            )  # fmt: skip
        else:
            self.run("gto", "register", ARTIFACT, "--version", step.version, who=step.who)
        (name,) = set(self.run("git", "tag").split()) - before
        message = self.run("git", "tag", "-l", "--format=%(contents)", name).rstrip("\n")
        target = self.run("git", "rev-parse", f"{name}^{{commit}}").strip()
        self.run(
            "git", "tag", "-f", "-a", name, target, "-m", message, who=step.who, date=step.date
        )
        return name

    def experiment(self, step: Experiment) -> str:
        """Run STEP, then date its commit: DVC stamps an experiment's commit with the clock
        (GIT_COMMITTER_DATE does not reach it), so it is written again, same tree, parent,
        message and author, at the step's date, and its ref moved to it. The short id."""
        base = self.run("git", "rev-parse", "HEAD").strip()
        sets = [arg for value in step.sets for arg in ("-S", value)]
        self.run(
            sys.executable, "-m", "dvc", "exp", "run", "-q", *sets, "-n", step.name,
            who=step.who, date=step.date,
        )  # fmt: skip
        ref = f"refs/exps/{base[:2]}/{base[2:]}/{step.name}"
        made = self.run("git", "rev-parse", ref).strip()
        tree = self.run("git", "rev-parse", f"{made}^{{tree}}").strip()
        message = self.run("git", "log", "-1", "--format=%B", made).strip()
        dated = self.run(
            "git", "commit-tree", tree, "-p", base, "-m", message, who=step.who, date=step.date
        ).strip()
        self.run("git", "update-ref", ref, dated, made)
        if step.branch:
            self.dvc("exp", "branch", step.name, step.branch)
        self.run("git", "reset", "-q", "--hard")  # dvc exp run left its results in the work tree
        self.dvc("checkout", "-q")
        return dated[:7]


def _left_out(directory: str, names: list[str]) -> set[str]:
    """The names in DIRECTORY (a directory of example_site) that are not copied."""
    rel = Path(directory).relative_to(HERE)
    later = LEFT_OUT | LATER
    return {n for n in names if n in LEFT_OUT or (rel / n).as_posix() in later}


def set_param(path: Path, key: str, value: str) -> None:
    """Set SECTION.NAME to VALUE in a params.yaml of sections of scalars, as a person edits
    it: the line changes, its comment and every other line stay."""
    section, name = key.split(".")
    text = path.read_text("utf-8")
    block = re.search(rf"(?ms)^{re.escape(section)}:\n(.*?)(?=^\S|\Z)", text)
    line = block and re.search(
        rf"(?m)^(\s+{re.escape(name)}:[ \t]*)[^#\n]*?([ \t]*#.*)?$", block[1]
    )
    if not block or not line:
        sys.exit(f"replay: no {key} in {path}")
    start = block.start(1) + line.start()
    end = block.start(1) + line.end()
    path.write_text(text[:start] + line[1] + value + (line[2] or "") + text[end:], "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--into", type=Path, default=HERE / "build", help="where to replay (default: %(default)s)"
    )
    parser.add_argument(
        "--site", type=Path, default=HERE / "site", help="where to build (default: %(default)s)"
    )
    parser.add_argument("--no-build", action="store_true", help="replay only")
    args = parser.parse_args()
    started = time.monotonic()
    replay = Replay(args.into.resolve())
    replay.start()
    for step in HISTORY:
        if isinstance(step, Commit):
            replay.commit(step)
            short = replay.run("git", "rev-parse", "--short", "HEAD").strip()
            print(f"{step.date[:10]}  {short}  {step.message}")
        elif isinstance(step, Experiment):
            short = replay.experiment(step)
            print(f"{step.date[:10]}  {short}  experiment {step.name}: {', '.join(step.sets)}")
            if step.branch:
                print(f"{step.date[:10]}  {short}  promoted to the branch {step.branch}")
        else:
            print(f"{step.date[:10]}  tag      {replay.tag(step)}")
    if not args.no_build:
        site = args.site.resolve()
        replay.run(
            sys.executable, "-m", "mkdocs", "build", "--strict",
            "-f", "mkdocs.yml", "-d", str(site),
        )  # fmt: skip
        print(f"built the site into {site}")
    print(f"replayed into {replay.path} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
