"""Hugging Face tasks of the GPU presets, converted to binary as in Burns et al.'s code: a question with its
correct answer (1) or a random distractor (0), entailment vs not, sentiment.

Each is read from the hub (``datasets``) or, with ``path``, from a local copy: parquet or JSONL files found by
split name (:mod:`repro.local_data`; the hub's ``data/<split>-*.parquet`` layout works as downloaded). Test rows
come from the dataset's evaluation split only, never from its training split.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .config import TaskConfig
from .data_fetch import DataUnavailable, fetch_command
from .local_data import eval_split, find_splits
from .tasks import DataError, Task, sample

if TYPE_CHECKING:
    import datasets

__all__ = ["HUB_TASKS", "HubSpec", "load_hub_task", "prefetch"]


def _pick(correct: str, wrong: list[str], rng: random.Random) -> tuple[str, int]:
    label = int(rng.random() < 0.5)
    return (correct if label else rng.choice(wrong)), label


def _fmt_sciq(ex: dict, rng: random.Random) -> tuple[str, int]:
    ans, label = _pick(ex["correct_answer"], [ex["distractor1"], ex["distractor2"], ex["distractor3"]], rng)
    return f"Q: {ex['question']} A: {ans}", label


def _fmt_boolq(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"Passage: {ex['passage']}\nQuestion: {ex['question']}", int(bool(ex["answer"]))


def _fmt_cosmos_qa(ex: dict, rng: random.Random) -> tuple[str, int]:
    true = ex[f"answer{ex['label']}"]
    label = 0 if "None of the above choices" in true else int(rng.random() < 0.5)
    ans = true if label else rng.choice([ex[f"answer{i}"] for i in range(4) if ex[f"answer{i}"] != true])
    return f"Context: {ex['context']}\nQuestion: {ex['question']}\nAnswer: {ans}", label


def _fmt_amazon(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"{ex['title']} {ex['content']}", int(ex["label"])


def _fmt_anli(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"{ex['premise']}\n{ex['hypothesis']}", int(ex["label"] == 0)  # entailment vs not


def _choices(ex: dict, key: str) -> tuple[str, list[str]]:
    texts, labels = list(ex["choices"]["text"]), list(ex["choices"]["label"])
    i = labels.index(ex[key])
    return texts[i], [t for j, t in enumerate(texts) if j != i]


def _fmt_openbookqa(ex: dict, rng: random.Random) -> tuple[str, int]:
    right, wrong = _choices(ex, "answerKey")
    ans, label = _pick(right, wrong, rng)
    return f"Q: {ex['question_stem']} A: {ans}", label


def _fmt_quartz(ex: dict, rng: random.Random) -> tuple[str, int]:
    right, wrong = _choices(ex, "answerKey")
    ans, label = _pick(right, wrong, rng)
    return f"{ex['para']}\nQ: {ex['question']} A: {ans}", label


def _fmt_hellaswag(ex: dict, rng: random.Random) -> tuple[str, int]:
    endings, k = list(ex["endings"]), int(ex["label"])
    ans, label = _pick(endings[k], [e for j, e in enumerate(endings) if j != k], rng)
    return f"{ex['ctx']} {ans}", label


def _fmt_sentence(ex: dict, rng: random.Random) -> tuple[str, int]:
    return ex["sentence"], int(ex["label"])


def _fmt_paws(ex: dict, rng: random.Random) -> tuple[str, int]:
    return f"{ex['sentence1']}\n{ex['sentence2']}", int(ex["label"])


@dataclass(frozen=True)
class HubSpec:
    hub_id: str
    config: str | None
    train: str  # split names on the hub
    eval: str
    format: Callable[[dict, random.Random], tuple[str, int]]
    description: str


HUB_TASKS: dict[str, HubSpec] = {
    "sciq": HubSpec(
        "allenai/sciq", None, "train", "test", _fmt_sciq, "SciQ: question + correct answer or a distractor"
    ),
    "boolq": HubSpec("google/boolq", None, "train", "validation", _fmt_boolq, "BoolQ: passage + yes/no question"),
    "cosmos_qa": HubSpec(
        "allenai/cosmos_qa",
        None,
        "train",
        "validation",
        _fmt_cosmos_qa,
        "CosmosQA: context + question + correct answer or a distractor",
    ),
    "amazon_polarity": HubSpec(
        "fancyzhx/amazon_polarity", None, "train", "test", _fmt_amazon, "Amazon polarity: review sentiment"
    ),
    "anli_r2": HubSpec("facebook/anli", None, "train_r2", "test_r2", _fmt_anli, "ANLI round 2: entailment vs not"),
    "openbookqa": HubSpec(
        "allenai/openbookqa",
        "main",
        "train",
        "test",
        _fmt_openbookqa,
        "OpenBookQA: question + correct answer or a distractor",
    ),
    "quartz": HubSpec(
        "allenai/quartz",
        None,
        "train",
        "test",
        _fmt_quartz,
        "QuaRTz: paragraph + question + correct answer or the other",
    ),
    "hellaswag": HubSpec(
        "Rowan/hellaswag",
        None,
        "train",
        "validation",
        _fmt_hellaswag,
        "HellaSwag: context + true ending or a distractor",
    ),
    "sst2": HubSpec("stanfordnlp/sst2", None, "train", "validation", _fmt_sentence, "GLUE SST-2: sentence sentiment"),
    "cola": HubSpec("nyu-mll/glue", "cola", "train", "validation", _fmt_sentence, "GLUE CoLA: grammatical or not"),
    "paws": HubSpec(
        "google-research-datasets/paws", "labeled_final", "train", "test", _fmt_paws, "PAWS: paraphrase or not"
    ),
}


def prefetch(name: str) -> None:
    """Both splits of hub task ``name`` into the ``datasets`` cache (``python -m repro data fetch NAME``)."""
    spec = HUB_TASKS[name]
    for split in (spec.train, spec.eval):
        _from_hub(name, split)


def _from_hub(name: str, split: str) -> datasets.Dataset:
    import datasets

    spec = HUB_TASKS[name]
    try:
        return datasets.load_dataset(spec.hub_id, spec.config, split=split)
    except Exception as e:  # offline, not cached, renamed on the hub...: the task is reported, not the traceback
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise DataUnavailable(
            f"task {name}: {spec.hub_id} ({split}) could not be loaded ({type(e).__name__}: "
            f"{first}); run `{fetch_command(name)}` with network access, or give a local copy "
            "with path:"
        ) from None


def _load_split(name: str, cfg: TaskConfig, split: str, files: list[Path] | None = None) -> datasets.Dataset:
    import datasets

    if files is None:
        return _from_hub(name, split)
    kinds = {f.suffix.lower() for f in files}
    fmt = "parquet" if kinds == {".parquet"} else "json" if kinds <= {".jsonl", ".json"} else None
    if fmt is None:
        raise DataError(f"task {name}: split {split} mixes or uses unsupported formats ({', '.join(map(str, files))})")
    return datasets.load_dataset(fmt, data_files=[str(f) for f in files], split="train")


def _formatted(
    ds: datasets.Dataset, n: int, seed: int, fmt: Callable[[dict, random.Random], tuple[str, int]], rng: random.Random
) -> list[tuple[str, int]]:
    rows, seen = [], set()
    for i in sample(list(range(len(ds))), n, seed):
        text, y = fmt(ds[i], rng)
        if text not in seen:
            seen.add(text)
            rows.append((text, y))
    return rows


def load_hub_task(cfg: TaskConfig) -> Task:
    name, spec = cfg.name, HUB_TASKS[cfg.name]
    notes: list[str] = []
    if cfg.path:
        found = find_splits(cfg, tuple(dict.fromkeys((spec.train, spec.eval, "train", "validation", "test"))))
        train_key = spec.train if spec.train in found else "train"
        if train_key not in found:
            raise DataError(f"task {name}: no {spec.train!r} split under {cfg.path} (found {', '.join(found)})")
        test_key = eval_split(found, (spec.eval, "test", "validation"))
        train_files, test_files = found[train_key], found.get(test_key) if test_key else None
    else:
        train_key, test_key, train_files, test_files = spec.train, spec.eval, None, None
    rng = random.Random(cfg.data_seed)
    if test_key is None:  # a single local file: the test third is drawn by group from the pool
        rows = _formatted(
            _load_split(name, cfg, train_key, train_files), cfg.n_examples, cfg.data_seed, spec.format, rng
        )
        notes.append(f"task {name}: no evaluation split under {cfg.path}; the test third is drawn from the pool")
        return Task(
            name,
            [t for t, _ in rows],
            torch.tensor([y for _, y in rows]),
            [str(i) for i in range(len(rows))],
            notes=notes,
        )
    n_test = cfg.n_test or cfg.n_examples // 3
    test_ds = _load_split(name, cfg, test_key, test_files)
    if len(test_ds) < n_test:
        notes.append(
            f"task {name}: n_test capped at {len(test_ds)} (the {test_key} split has {len(test_ds)} rows; "
            f"asked for {n_test})"
        )
    test = _formatted(test_ds, n_test, cfg.data_seed + 1, spec.format, rng)
    train = _formatted(
        _load_split(name, cfg, train_key, train_files), cfg.n_examples - len(test), cfg.data_seed, spec.format, rng
    )
    rows = [*train, *test]
    return Task(
        name,
        [t for t, _ in rows],
        torch.tensor([y for _, y in rows]),
        [str(i) for i in range(len(rows))],
        test_mask=torch.tensor([False] * len(train) + [True] * len(test)),
        notes=notes,
    )
