"""The wheel a user installs carries the theme overrides, the bundled Mermaid build with its
licence, the type marker and both entry points."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from conftest import ROOT

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
