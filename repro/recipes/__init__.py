"""Recipe registry, derived from the folders on disk.

A recipe is a folder ``repro/recipes/<id>/`` (ids never start with ``_``) holding:

- ``__init__.py``: what the recipe is, without importing torch: ``TITLE`` (one line), ``PAPER`` (the catalog key
  it reproduces) and ``Config`` (a subclass of :class:`repro.config.RecipeConfig`, with the recipe's defaults);
- ``recipe.py``: the method, stage by stage, ending in ``run(cfg, ctx) -> repro.report.RunResult``;
- any helpers that belong to that paper alone (for example ``debate.py``);
- ``presets/<name>.yaml``: its presets; ``default.yaml`` must exist.

Nothing here imports torch: listing recipes and resolving presets stay fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["RECIPES_DIR", "available", "load", "method", "preset_path", "presets"]

RECIPES_DIR = Path(__file__).parent


def available(root: Path = RECIPES_DIR) -> list[str]:
    """Ids of the recipe folders under ``root``: every folder with an ``__init__.py`` not starting with ``_``."""
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "__init__.py").is_file()
    )


def load(recipe: str) -> ModuleType:
    """The recipe's package: ``TITLE``, ``PAPER`` and ``Config`` (cheap: no torch)."""
    if recipe not in available():
        raise KeyError(f"unknown recipe {recipe!r}; available: {', '.join(available())}")
    return importlib.import_module(f"{__name__}.{recipe}")


def method(recipe: str) -> ModuleType:
    """The recipe's method module (``recipe.py``, with ``run``); imports torch and the harness."""
    load(recipe)
    return importlib.import_module(f"{__name__}.{recipe}.recipe")


def presets(recipe: str, root: Path = RECIPES_DIR) -> list[str]:
    """Preset names of a recipe: the YAML files in its ``presets/`` folder."""
    return sorted(p.stem for p in (root / recipe / "presets").glob("*.yaml"))


def preset_path(recipe: str, preset: str, root: Path = RECIPES_DIR) -> Path:
    """A preset name of ``recipe`` (``repro/recipes/<recipe>/presets/<preset>.yaml``), or a YAML file's path."""
    p = Path(preset)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    return root / recipe / "presets" / f"{preset}.yaml"
