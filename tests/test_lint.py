"""The code is formatted, lint-clean and type-checks, so CI (the README's test command) enforces it.

What is checked is configured in pyproject.toml alone: ruff runs on the repository root, where [tool.ruff]
`include` (with ruff's default excludes) chooses the files; mypy runs without arguments, on [tool.mypy] `packages`.
"""

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check():
    res = run("ruff", "check", "--output-format=concise")
    assert res.returncode == 0, f"`ruff check` (fix with `ruff check --fix`):\n{res.stdout}{res.stderr}"


def test_ruff_format():
    res = run("ruff", "format", "--check")
    assert res.returncode == 0, f"`ruff format --check` (fix with `ruff format`):\n{res.stdout}{res.stderr}"


def test_mypy():
    res = run("mypy")
    assert res.returncode == 0, f"`mypy`:\n{res.stdout}{res.stderr}"


def test_linters_are_the_pinned_versions_and_pre_commit_runs_the_same_ruff():
    """Another ruff formats differently and another mypy reports differently: the installed tools, the
    `test` extra and the pre-commit hook agree, so a contributor's commit gets CI's verdict."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pins = {req.name: str(req.specifier) for req in map(Requirement, extra["test"])}
    for tool in ("ruff", "mypy"):
        assert pins[tool].startswith("=="), f"the test extra must pin {tool} exactly, not {pins[tool]!r}"
        assert version(tool) == pins[tool][2:], f"{tool} {version(tool)} is installed; pyproject pins {pins[tool]}"
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    revs = [h["rev"] for h in hooks if h["repo"].endswith("/ruff-pre-commit")]
    assert revs == [f"v{pins['ruff'][2:]}"], f".pre-commit-config.yaml runs ruff {revs}; pyproject pins {pins['ruff']}"
