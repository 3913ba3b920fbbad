"""Fixtures that build real git repositories and real DVC projects, and run real builds.

git commits get fixed author and committer dates; DVC projects are made with the dvc CLI
(``dvc init``, ``dvc add``, ``dvc stage add``, ``dvc repro``). The template project is built
once per test session and copied for each test.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

# In CI every run explores the same examples, so a red build is reproducible; locally each
# run explores new ones.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
DATE = "2024-03-01T12:00:00+00:00"
ADA = ("Ada Lovelace", "ada@example.com")


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_"))}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(tmp / "gitconfig"),
        DVC_NO_ANALYTICS="1",
        NO_MKDOCS_2_WARNING="1",
        DVC_SITE_CACHE_DIR=str(tmp / "dvc-site-cache"),
        DVC_GLOBAL_CONFIG_DIR=str(tmp / "dvc-global"),
        DVC_SYSTEM_CONFIG_DIR=str(tmp / "dvc-system"),
        # tests/nonet/sitecustomize.py refuses outgoing connections in every Python process
        # started with this environment and logs each attempt to MLPLUGIN_NET_LOG
        PYTHONPATH=os.pathsep.join(
            p
            for p in (
                str(Path(__file__).resolve().parent / "nonet"),
                os.environ.get("PYTHONPATH", ""),
            )
            if p
        ),
        MLPLUGIN_NET_LOG=str(tmp / "net.log"),
    )
    return env


@dataclasses.dataclass
class Build:
    """What a user sees from ``mkdocs build``."""

    returncode: int
    output: str
    site: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def page(self, name: str) -> str:
        path = self.site / name / "index.html" if name else self.site / "index.html"
        return path.read_text("utf-8")

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.site / "ml-manifest.json").read_text("utf-8"))


class Repo:
    """A real git work tree (optionally a DVC project) in a temporary directory."""

    def __init__(self, path: Path, home: Path) -> None:
        self.path = path
        self.home = home
        self.env = _env(home)

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            args,
            cwd=cwd or self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def git(self, *args: str, **kwargs: Any) -> str:
        return self.run("git", *args, **kwargs).stdout.strip()

    def dvc(self, *args: str, cwd: Path | None = None) -> str:
        return self.run(sys.executable, "-m", "dvc", *args, cwd=cwd).stdout

    def write(self, rel: str, text: str) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
        return path

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text("utf-8")

    def commit(
        self,
        message: str,
        date: str = DATE,
        author: tuple[str, str] = ADA,
        paths: tuple[str, ...] = ("-A",),
    ) -> str:
        self.git("add", *paths)
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        self.run("git", "commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD")

    def site(
        self,
        pages: dict[str, str],
        plugin: dict[str, Any] | None = None,
        where: str = ".",
        **extra: Any,
    ) -> Path:
        """Write mkdocs.yml (Material, this plugin, Mermaid) and PAGES under WHERE/docs."""
        config: dict[str, Any] = {
            "site_name": "Test site",
            "theme": {"name": "material"},
            "markdown_extensions": [
                "attr_list",
                "admonition",
                "tables",
                {
                    "pymdownx.superfences": {
                        "custom_fences": [{"name": "mermaid", "class": "mermaid"}]
                    }
                },
            ],
            "plugins": [{"mlplugin": plugin or {}}],
        }
        config.update(extra)
        base = self.path / where
        self.write(f"{where}/mkdocs.yml", yaml.safe_dump(config, sort_keys=False))
        for name, text in pages.items():
            self.write(f"{where}/docs/{name}", text)
        return base / "mkdocs.yml"

    def build(
        self,
        *args: str,
        config: str = "mkdocs.yml",
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> Build:
        """Run ``mkdocs build`` as a user would, in a subprocess."""
        site = self.home / "built-site"
        result = self.run(
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-f",
            config,
            "-d",
            str(site),
            *args,
            cwd=cwd,
            env=env,
            check=False,
        )
        return Build(result.returncode, result.stdout + result.stderr, site)


def init_repo(path: Path, home: Path) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo(path, home)
    (home / "gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.com\n"
    )
    repo.git("init", "-q")
    return repo


PIPELINE_PARAMS = """
prepare:
  split: 0.25
  seed: 7
train:
  lr: 0.05
  epochs: 3
"""


def make_pipeline(repo: Repo) -> None:
    """A small real DVC project: raw data added with dvc add, three stages, git-tracked metrics."""
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.write("data/raw.csv", "text,label\ngood,1\nbad,0\nfine,1\n")
    repo.dvc("add", "-q", "data/raw.csv")
    repo.write("params.yaml", PIPELINE_PARAMS)
    repo.write(
        "src/prepare.py", "import shutil\nshutil.copy('data/raw.csv', 'data/prepared.csv')\n"
    )
    repo.write(
        "src/train.py",
        "import pathlib\npathlib.Path('models').mkdir(exist_ok=True)\n"
        "pathlib.Path('models/model.txt').write_text(open('data/prepared.csv').read().upper())\n",
    )
    repo.write(
        "src/evaluate.py",
        "import json\njson.dump({'accuracy': 0.9, 'loss': 0.25, 'test': {'n': 3}}, open('metrics.json', 'w'))\n",
    )
    py = "python3"
    repo.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "prepare",
        "-d",
        "src/prepare.py",
        "-d",
        "data/raw.csv",
        "-p",
        "prepare.split,prepare.seed",
        "-o",
        "data/prepared.csv",
        f"{py} src/prepare.py",
    )
    repo.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "train",
        "-d",
        "src/train.py",
        "-d",
        "data/prepared.csv",
        "-p",
        "train.lr,train.epochs",
        "-o",
        "models/model.txt",
        f"{py} src/train.py",
    )
    repo.dvc(
        "stage",
        "add",
        "-q",
        "-n",
        "evaluate",
        "-d",
        "src/evaluate.py",
        "-d",
        "models/model.txt",
        "-M",
        "metrics.json",
        f"{py} src/evaluate.py",
    )
    with open(repo.path / "dvc.yaml", "a", encoding="utf-8") as fh:
        fh.write(
            "artifacts:\n  classifier:\n    path: models/model.txt\n    type: model\n"
            "    desc: Upper-cases reviews.\n    labels: [nlp]\n"
        )
    repo.dvc("repro", "-q")
    repo.commit("Pipeline", date="2024-01-10T09:00:00+00:00")


_NET_LOGS_SEEN: dict[Path, int] = {}  # network log -> how much of it a test already blamed


@pytest.fixture(autouse=True)
def mkdocs_log_level() -> Any:
    """mkdocs-ml's collect() quiets MkDocs' logger for the rest of its process (the findings are
    printed once, by its report); a test that calls it in this process must not quiet the
    in-process builds of the tests after it."""
    log = logging.getLogger("mkdocs")
    level = log.level
    yield
    log.setLevel(level)


@pytest.fixture(autouse=True)
def no_network(tmp_path: Path) -> Any:
    """Fail the test when any process it ran tried to reach another machine.

    Subprocesses get tests/nonet on PYTHONPATH (see _env), whose sitecustomize refuses
    connections to anything but loopback and logs each attempt to MLPLUGIN_NET_LOG; this
    process is guarded the same way for the duration of the test. The logs checked are the
    ones below tmp_path and the session's other temporary homes (session fixtures such as
    pipeline_template, which run before this fixture); each line is blamed on one test only.
    """
    import importlib.util
    import socket

    def logs() -> dict[Path, int]:
        found = {*tmp_path.parent.glob("*/net.log"), *tmp_path.rglob("net.log")}
        return {p.resolve(): p.stat().st_size for p in found if p.is_file()}

    nonet = Path(__file__).resolve().parent / "nonet" / "sitecustomize.py"
    spec = importlib.util.spec_from_file_location("mlplugin_nonet", nonet)
    assert spec is not None and spec.loader is not None
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    with pytest.MonkeyPatch.context() as mp:
        # subprocesses a test starts with this process's environment are guarded too
        mp.setenv("MLPLUGIN_NET_LOG", str(tmp_path / "net.log"))
        mp.setenv("PYTHONPATH", _env(tmp_path)["PYTHONPATH"])
        for name, wrapper in guard.wrappers().items():
            mp.setattr(socket.socket if name.startswith("connect") else socket, name, wrapper)
        yield
    now = logs()
    grown = {
        path: path.read_bytes()[_NET_LOGS_SEEN.get(path, 0) : size].decode("utf-8", "replace")
        for path, size in now.items()
        if size > _NET_LOGS_SEEN.get(path, 0)
    }
    _NET_LOGS_SEEN.update(now)
    if grown:
        pytest.fail(
            "the test tried to open network connections:\n"
            + "\n".join(f"{path}:\n{text}" for path, text in grown.items()),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def pipeline_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("template-home")
    repo = init_repo(home / "repo", home)
    make_pipeline(repo)
    return repo.path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def empty_repo(tmp_path: Path) -> Repo:
    return init_repo(tmp_path / "repo", tmp_path)


def copy_pipeline(template: Path, home: Path) -> Repo:
    """A copy of the template DVC project in HOME/repo, with its git history, data and cache."""
    dest = home / "repo"
    shutil.copytree(template, dest, symlinks=True)
    repo = Repo(dest, home)
    (home / "gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.com\n"
    )
    return repo


@pytest.fixture
def pipeline(tmp_path: Path, pipeline_template: Path) -> Repo:
    """A copy of the template DVC project, with its git history, data and cache."""
    return copy_pipeline(pipeline_template, tmp_path)


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file below PATH (.git included) with its bytes, for read-only checks."""
    files: dict[str, bytes] = {}
    for item in sorted(path.rglob("*")):
        if item.is_file() and not item.is_symlink():
            files[item.relative_to(path).as_posix()] = item.read_bytes()
    return files


# --------------------------------------------------------------------------- real browser


@pytest.fixture(scope="session")
def mermaid_js() -> Path:
    """The Mermaid build the package ships and serves with every site (its version in VERSION
    beside it)."""
    from mkdocs_mlplugin.build import BUNDLED_MERMAID

    assert BUNDLED_MERMAID.is_file(), BUNDLED_MERMAID
    return BUNDLED_MERMAID


@pytest.fixture(scope="session")
def browser() -> Any:
    """Debian's Chromium driven by Playwright (which downloads no browser), one per session:
    Playwright's sync API allows one running instance per process."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
