"""The repository itself: its catalog validates without errors and every generated file (README tables,
docs pages, catalog/schema.json) is current, run exactly as CI and the pre-commit hook run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from catalog.load import PACKAGE_DIR

REPO = Path(__file__).resolve().parents[1]


def _catalog(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "catalog", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_the_real_catalog_validates():
    r = _catalog("validate", "--errors-only")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-1000:]
    assert " 0 error(s)" in r.stderr


def test_generated_files_of_the_real_repo_are_current():
    r = _catalog("build", "--check")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:] + "\nrun `python -m catalog build` and commit the result"
    assert r.stdout.startswith("up to date: ")


def test_registry_files_point_editors_at_the_schema():
    for name, ref in (
        ("venues.yaml", "VenueRegistry"),
        ("topics.yaml", "TopicRegistry"),
        ("unresolved.yaml", "UnresolvedList"),
    ):
        first = (PACKAGE_DIR / name).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=schema.json#/$defs/{ref}"
