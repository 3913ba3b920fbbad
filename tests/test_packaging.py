"""The wheel a user installs carries the theme overrides, the type marker and both entry points."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


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
    shipped = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "theme_overrides").rglob("*") if p.is_file()
    }
    assert shipped, "theme_overrides/ has templates"
    assert {f"mkdocs_mlplugin/{p}" for p in shipped} <= names
    assert "mkdocs_mlplugin/py.typed" in names
    assert "[mkdocs.plugins]\nmlplugin = mkdocs_mlplugin.plugin:MLPlugin" in entries
    assert "[properdocs.plugins]\nmlplugin = mkdocs_mlplugin.plugin:MLPlugin" in entries
