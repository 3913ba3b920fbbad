"""serve-paired: the serve-style rebuild made as the paired section makes builds: both sites
in one process, built once untimed, the page edited, then each site rebuilt from a fresh
load_config, step by step and in alternating chunks of pages. The child and the section's
steps are those of sections/paired.py.

JUDGES: the serve rebuild <= 10% over plain, paired (at any size).
"""

from __future__ import annotations

from harness import Bench

from sections.paired import section_paired

JUDGES: str | None = "serve rebuild <= 10% over plain, paired"


def section_serve_paired(bench: Bench, size: str) -> None:
    """The paired steps of serve-style rebuilds."""
    section_paired(bench, size, serve=True)
