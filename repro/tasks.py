"""Tasks: binary text classification data and the splits of Burns et al.

A :class:`Task` is a pool of texts with 0/1 labels and a group id per text (all texts of one group land on
the same side of every split). ``test_mask`` marks a fixed test set (a task's own test split); without it the
test third is drawn by group like the other parts. Either way no test text occurs in the training pool:
:func:`load_task` checks it and refuses the data with one line otherwise.

Which tasks exist and where their data comes from is :mod:`repro.task_registry` (``python -m repro data
list``); loaders live in :mod:`repro.offline_tasks` (packaged and fetched files), :mod:`repro.hub_tasks`
(Hugging Face datasets, or local copies of them) and :mod:`repro.local_data` (your own CSV/JSONL/parquet).

The student never needs ground truth: :class:`WeakLabelled` carries only example indices and weak soft
labels; recipes build the student's training data from it alone.
"""

from __future__ import annotations

import importlib.metadata
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .config import TaskConfig

__all__ = [
    "DataError",
    "Splits",
    "Task",
    "TaskConfig",
    "WeakLabelled",
    "check_disjoint",
    "dedupe",
    "load_task",
    "make_splits",
    "packaged_file",
    "sample",
]

log = logging.getLogger(__name__)


class DataError(ValueError):
    """Task data that cannot be used as given: one line naming the task, file and field (shown without a traceback)."""


@dataclass
class Task:
    name: str
    texts: list[str]
    labels: torch.Tensor  # long, 0/1
    groups: list[str]
    test_mask: torch.Tensor | None = None  # bool; fixed test examples
    notes: list[str] = field(default_factory=list)  # what the loader had to decide (capped sizes, ...)

    def __post_init__(self) -> None:
        if not (len(self.texts) == len(self.labels) == len(self.groups)):
            raise ValueError(f"task {self.name}: texts, labels and groups differ in length")

    def fingerprint_data(self) -> dict:
        from .cache import fingerprint

        return {
            "name": self.name,
            "n": len(self.texts),
            "texts": fingerprint(self.texts),
            "labels": fingerprint(self.labels),
            "groups": fingerprint(self.groups),
            "test": fingerprint(self.test_mask) if self.test_mask is not None else None,
        }


@dataclass(frozen=True)
class Splits:
    """Index tensors into the task pool. Half A trains the weak model, half B the students and the ceiling."""

    a_train: torch.Tensor
    a_val: torch.Tensor
    b_train: torch.Tensor
    b_val: torch.Tensor
    test: torch.Tensor


@dataclass(frozen=True)
class WeakLabelled:
    """What a student may see: which examples, and the weak model's probability of class 1 for each.

    There is deliberately no ground-truth field: students are trained from this object alone.
    """

    index: torch.Tensor
    soft: torch.Tensor

    def __post_init__(self) -> None:
        if len(self.index) != len(self.soft):
            raise ValueError("WeakLabelled: index and soft labels differ in length")

    def hard(self) -> WeakLabelled:
        return WeakLabelled(self.index, (self.soft > 0.5).float())


def packaged_file(dist: str, suffix: str) -> Path:
    """Path of a file inside an installed distribution (read by path; the package is never imported)."""
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"package {dist!r} is not installed: run `pip install --no-deps -r requirements-offline.txt`"
        ) from None
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(f.locate())
    raise FileNotFoundError(f"{suffix} not found in installed package {dist!r}")


def sample(rows: list, n: int, seed: int) -> list:
    """``n`` rows drawn without replacement (all of them, in order, when there are at most ``n``)."""
    if len(rows) <= n:
        return rows
    return random.Random(seed).sample(rows, n)


def dedupe(rows: list[tuple], key: Callable[[tuple], object] = lambda r: r[0]) -> list[tuple]:
    """Rows whose text (``key``) was not seen before: the first occurrence of each text wins."""
    seen: set = set()
    out = []
    for r in rows:
        k = key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def check_disjoint(task: Task) -> Task:
    """Refuse a task whose test texts also occur in its training pool (the data's splits overlap)."""
    if task.test_mask is None:
        groups_of: dict[str, set[str]] = {}
        for t, g in zip(task.texts, task.groups, strict=True):
            groups_of.setdefault(t, set()).add(g)
        shared = [t for t, gs in groups_of.items() if len(gs) > 1]
        if shared:
            raise DataError(
                f"task {task.name}: {len(shared)} text(s) occur in more than one group, so a test "
                f"copy could meet a training copy (e.g. {shared[0][:60]!r}); de-duplicate the data"
            )
        return task
    test = {t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if m}
    leaked = sorted({t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if not m and t in test})
    if leaked:
        raise DataError(
            f"task {task.name}: {len(leaked)} test text(s) also occur in the training pool "
            f"(e.g. {leaked[0][:60]!r}); the test split overlaps the training split: check path/splits"
        )
    return task


def load_task(cfg: TaskConfig) -> Task:
    """The task ``cfg`` names (a registered task, or your own table), checked: no test text in the training pool.

    Loader decisions worth knowing (a capped test split, dropped rows) are logged and kept in ``task.notes``."""
    from .task_registry import loader

    task = check_disjoint(loader(cfg)(cfg))
    for note in task.notes:
        log.warning("%s", note)
    return task


def _group_partition(groups: list[str], idx: list[int], fracs: list[float], seed: int) -> list[list[int]]:
    """Split ``idx`` into parts of about ``fracs`` of the examples, never cutting a group.

    Groups are visited in a seeded random order; each goes to the part furthest below its target size,
    so every part gets a group whenever there are enough groups, even when groups are large.
    """
    by: dict[str, list[int]] = {}
    for i in idx:
        by.setdefault(groups[i], []).append(i)
    keys = sorted(by)
    random.Random(seed).shuffle(keys)
    targets = [f * len(idx) for f in fracs]
    parts: list[list[int]] = [[] for _ in fracs]
    for k in keys:
        deficits = [t - len(p) for t, p in zip(targets, parts, strict=True)]
        j = max(range(len(parts)), key=lambda q: (deficits[q], -q))
        parts[j].extend(by[k])
    return [sorted(p) for p in parts]


def make_splits(task: Task, seed: int, val_frac: float = 0.2) -> Splits:
    """Thirds by group (weak-train half A, transfer half B, test), then a validation share of A and of B."""
    n = len(task.texts)
    if task.test_mask is not None:
        pool = [i for i in range(n) if not task.test_mask[i]]
        a, b = _group_partition(task.groups, pool, [0.5, 0.5], seed)
        test = [i for i in range(n) if task.test_mask[i]]
    else:
        a, b, test = _group_partition(task.groups, list(range(n)), [1 / 3, 1 / 3, 1 / 3], seed)
    a_tr, a_va = _group_partition(task.groups, a, [1 - val_frac, val_frac], seed + 1)
    b_tr, b_va = _group_partition(task.groups, b, [1 - val_frac, val_frac], seed + 2)
    t = lambda x: torch.tensor(x, dtype=torch.long)  # noqa: E731
    if not (a_tr and a_va and b_tr and b_va and test):
        raise ValueError(f"task {task.name}: too few examples/groups ({n}) for the splits")
    return Splits(t(a_tr), t(a_va), t(b_tr), t(b_va), t(test))
