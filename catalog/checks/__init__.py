"""Validator rules. Every module in this package may define functions named ``check_<name>(cat) ->
list[Problem]``; they are discovered from the package (no hand-kept registry), run in name order, and each
returns every problem it finds (no asserts, no exits)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

from catalog.load import Catalog, gc_paused
from catalog.problems import Problem, sort_problems

Check = Callable[[Catalog], list[Problem]]


def all_checks() -> dict[str, Check]:
    """name -> function for every ``check_*`` function defined in a module of this package."""
    found: dict[str, Check] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("check_") and fn.__module__ == mod.__name__:
                if name in found:
                    raise RuntimeError(f"two checks named {name}")  # programming error, not a data problem
                found[name] = fn
    return dict(sorted(found.items()))


def run_checks(cat: Catalog, only: list[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    with gc_paused():  # the checks allocate; no need to rescan the loaded catalog meanwhile
        for name, fn in all_checks().items():
            if only is None or name in only:
                problems += fn(cat)
    return sort_problems(problems)
