"""The installed numerical stack is the one in constraints.txt (the committed results belong to it)."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement

LOCK = Path(__file__).resolve().parents[1] / "constraints.txt"


def pins() -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in LOCK.read_text(encoding="utf-8").splitlines())
    return [Requirement(line) for line in lines if line]


def test_lock_pins_the_numerical_stack_exactly():
    names = {req.name.lower().replace("_", "-") for req in pins()}
    assert {"torch", "transformers", "tokenizers", "safetensors", "numpy", "datasets", "peft"} <= names
    assert all(str(req.specifier).startswith("==") for req in pins())


def test_installed_versions_match_the_lock():
    wrong = []
    for req in pins():
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            wrong.append(f"{req.name}: not installed (lock {req.specifier})")
            continue
        if not req.specifier.contains(installed, prereleases=True):
            wrong.append(f"{req.name}: installed {installed}, lock {req.specifier}")
    assert not wrong, "install with `pip install -c constraints.txt -e '.[dev]'`: " + "; ".join(wrong)
