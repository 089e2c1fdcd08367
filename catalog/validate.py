"""Load + run every check: the library entry point behind ``python -m catalog validate``."""

from __future__ import annotations

from pathlib import Path

from catalog.checks import run_checks
from catalog.load import Catalog, load_catalog
from catalog.problems import Problem


def validate(root: Path | None = None, papers_dir: Path | None = None) -> tuple[Catalog, list[Problem]]:
    cat = load_catalog(root, papers_dir)
    return cat, run_checks(cat)
