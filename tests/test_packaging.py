"""The wheel a user installs carries the theme overrides, the bundled Mermaid build with its
licence, the type marker and both entry points; the version, the install line and the commands
the README gives are the ones the package, the release and CI use."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

from conftest import ROOT

from mkdocs_mlplugin import REQUIREMENT, __version__
from mkdocs_mlplugin.build import BUNDLED_MERMAID

MERMAID_FILES = ("mermaid.min.js", "LICENSE", "VERSION", "README.md")


def build_package(kind: str, dest: Path) -> Path:
    """The package's wheel or sdist (KIND), built offline with hatchling from the test extras."""
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", kind, "-d", str(dest)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = dest.iterdir()
    return built


def test_the_wheel_ships_theme_overrides_and_registers_the_plugin(tmp_path: Path) -> None:
    subprocess.run(
        # no build isolation: the tests run offline, with hatchling from the test extras
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("mkdocs_mlplugin-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        entries = archive.read(entry_points).decode()
        mermaid = archive.read("mkdocs_mlplugin/assets/mermaid/mermaid.min.js")
        licence = archive.read("mkdocs_mlplugin/assets/mermaid/LICENSE").decode()
    shipped = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "theme_overrides").rglob("*") if p.is_file()
    }
    assert shipped, "theme_overrides/ has templates"
    assert {f"mkdocs_mlplugin/{p}" for p in shipped} <= names
    assert "mkdocs_mlplugin/py.typed" in names
    assert "[mkdocs.plugins]\nmlplugin = mkdocs_mlplugin.plugin:MLPlugin" in entries
    assert "[properdocs.plugins]\nmlplugin = mkdocs_mlplugin.plugin:MLPlugin" in entries
    assert {f"mkdocs_mlplugin/assets/mermaid/{name}" for name in MERMAID_FILES} <= names
    assert mermaid == BUNDLED_MERMAID.read_bytes()
    assert licence.startswith("The MIT License (MIT)")


def test_the_sdist_carries_the_bundled_mermaid(tmp_path: Path) -> None:
    sdist = build_package("sdist", tmp_path)
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {f"mkdocs_mlplugin/assets/mermaid/{name}" for name in MERMAID_FILES} <= names


def test_the_bundled_mermaid_is_the_version_its_note_names() -> None:
    folder = BUNDLED_MERMAID.parent
    version = (folder / "VERSION").read_text().strip()
    assert re.fullmatch(r"11\.\d+\.\d+", version), version
    # Mermaid's own getVersion() answers this string
    assert f'{{version:"{version}"}}'.encode() in BUNDLED_MERMAID.read_bytes()
    note = (folder / "README.md").read_text("utf-8")
    assert f"npm pack mermaid@{version}" in note
    assert f"{BUNDLED_MERMAID.stat().st_size:,} bytes" in note


README = (ROOT / "README.md").read_text("utf-8")
CI = (ROOT / ".ci" / "run").read_text("utf-8")


def fenced_bash(text: str) -> list[str]:
    """The one-line commands of TEXT's bash blocks."""
    return re.findall(r"```bash\n(.*)\n```", text)


def test_the_version_is_one_and_the_readme_installs_it_from_its_tag() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["version"] == __version__ == "0.2.0"
    tag = f"v{__version__}"
    assert REQUIREMENT.endswith(f"/OWNER/mkdocs-mlplugin@{tag}")
    assert f'pip install "{REQUIREMENT}"' in fenced_bash(README)
    extra = REQUIREMENT.replace("mkdocs-mlplugin @", "mkdocs-mlplugin[dvc] @")
    assert f'pip install "{extra}"' in fenced_bash(README)
    # the pre-commit snippets name the tag the release workflow publishes
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert re.findall(r"rev: (\S+)", README + hooks) == [tag, tag]
    assert "tags: ['v*']" in (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert f'"generator": "mkdocs-mlplugin {__version__}"' in README
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text("utf-8")


def test_the_python_declared_is_the_one_tested_and_the_workflows_use_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    tested = [c.rsplit(" ", 1)[1] for c in project["classifiers"] if re.search(r"3\.\d+$", c)]
    assert tested == ["3.11"]  # .ci/run: Debian's python3
    assert project["requires-python"] == ">=3.11"
    assert set(re.findall(r'python-version: "([\d.]+)"', README)) == set(tested)


def test_ci_runs_the_readmes_test_commands() -> None:
    """The README's main test command and its TechDocs command are lines of .ci/run, as
    written; the main run leaves the TechDocs tests out by marker, the TechDocs run takes them."""
    lines = CI.splitlines()
    commands = [c for c in fenced_bash(README) if "pytest" in c]
    assert len(commands) == 2
    assert all(command in lines for command in commands)
    for command in commands:  # set -e alone lets a && list that fails midway pass
        assert lines[lines.index(command) + 1].startswith("test $? = 0"), command
    main, techdocs = commands
    assert 'pip install -e ".[test]"' in main and "mkdocs-techdocs-core" not in main
    assert techdocs.endswith("python -m pytest -m techdocs")
    options = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]
    assert "-m 'not techdocs'" in options["ini_options"]["addopts"]
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]["test"]
    assert not [d for d in test_extra if "techdocs" in d]
