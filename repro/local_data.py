"""Local task data: finding a folder's split files and reading your own CSV/JSONL/parquet table as a task.

Splits use the Hugging Face names ``train``, ``validation`` and ``test``. Under a folder ``path``, a split's
files are found recursively by name: ``<split>.<ext>`` or ``<split>-*.<ext>`` (so the hub's
``data/train-00000-of-00001.parquet`` layout works as downloaded), unless the preset names them::

    task: {name: boolq, path: ~/data/boolq, splits: {train: train.jsonl, validation: dev.jsonl}}

The evaluation split is ``test`` if there is one, else ``validation``; test rows come from it only, never from
the training pool. With no evaluation split (a single file), the test third is drawn by group from the pool
like the other parts. Your own task (``text``, ``label``, ``label_map``, ``group`` in the preset) is read here
too; repro/README.md shows a complete preset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .config import SplitName, TaskConfig
from .tasks import DataError, Task, dedupe, sample

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SUFFIXES", "data_files", "eval_split", "find_splits", "load_own_task", "read_table"]

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}
SPLIT_NAMES: tuple[SplitName, ...] = ("train", "validation", "test")


def data_files(root: Path) -> list[Path]:
    """Data files under ``root`` (recursive, sorted; hidden files and folders skipped)."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _matches(path: Path, split: str) -> bool:
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return stem == split or stem.startswith(split + "-")


def find_splits(cfg: TaskConfig, names: tuple[str, ...] = SPLIT_NAMES) -> dict[str, list[Path]]:
    """``{split: files}`` for each split of ``names`` that the local data has (explicit ``splits:`` first).

    A single file, or a folder whose files carry no split name, is the ``train`` split alone."""
    if cfg.path is None:
        raise DataError(f"task {cfg.name}: no local path")
    root = Path(cfg.path).expanduser()
    if not root.exists():
        raise DataError(f"task {cfg.name}: path {root} does not exist")
    if cfg.splits:
        base = root if root.is_dir() else root.parent
        out: dict[str, list[Path]] = {}
        for split, pattern in cfg.splits.items():
            hits = sorted(base.glob(pattern)) if any(c in pattern for c in "*?[") else [base / pattern]
            hits = [h for h in hits if h.is_file()]
            if not hits:
                raise DataError(f"task {cfg.name}: splits.{split}: no file {pattern!r} under {base}")
            out[split] = hits
        return out
    files = data_files(root)
    if not files:
        raise DataError(f"task {cfg.name}: no {'/'.join(sorted(set(SUFFIXES.values())))} files under {root}")
    out = {s: [f for f in files if _matches(f, s)] for s in names}
    out = {s: fs for s, fs in out.items() if fs}
    if not out:
        if len(files) > 1:
            raise DataError(
                f"task {cfg.name}: {len(files)} files under {root} but none named after a split "
                f"({', '.join(names)}); name them with splits: {{train: FILE, test: FILE}}"
            )
        out = {"train": files}
    return out


def eval_split(found: dict[str, list[Path]], preferred: tuple[str, ...] = ("test", "validation")) -> str | None:
    """The split that provides test rows: the first of ``preferred`` the data has (never ``train``)."""
    return next((s for s in preferred if s in found and s != "train"), None)


def _frame(path: Path) -> pd.DataFrame:
    import pandas as pd

    kind = SUFFIXES.get(path.suffix.lower())
    try:
        if kind in ("csv", "tsv"):
            return pd.read_csv(
                path, sep="," if kind == "csv" else "\t", dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
        if kind == "json":
            if path.suffix.lower() == ".json" and path.read_text(encoding="utf-8").lstrip().startswith("["):
                return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
            return pd.read_json(path, lines=True, dtype=False)
        if kind == "parquet":
            return pd.read_parquet(path)
    except (ValueError, OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read as {kind}: {str(e).splitlines()[0]}") from None
    raise DataError(f"{path}: unknown data format (use {', '.join(SUFFIXES)})")


def _line(path: Path, i: int) -> str:
    """Where row ``i`` (0-based) of a table is, for messages: the line of CSV/JSONL files, else the row."""
    kind = SUFFIXES.get(path.suffix.lower())
    return f"{path}:{i + 2}" if kind in ("csv", "tsv") else f"{path}:{i + 1}" if kind == "json" else f"{path}: row {i}"


def read_table(path: Path, columns: list[str]) -> list[tuple[int, dict]]:
    """``(row number, {column: value})`` for every row of a CSV/TSV/JSONL/JSON/parquet file; a missing column
    is one error naming the file, the column and the columns it has."""
    df = _frame(path)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{path}: no column {missing[0]!r} (columns: {', '.join(map(str, df.columns))})")
    return list(enumerate(df[columns].to_dict("records")))


def _label_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _to_label(cfg: TaskConfig, value: object, where: str) -> int | None:
    text = _label_text(value)
    if cfg.label_map is not None:
        if text not in cfg.label_map:
            raise DataError(
                f"{where}: {cfg.label} {text!r} is not in label_map "
                f"({', '.join(map(repr, cfg.label_map))}); map it to 0, 1 or null (drop)"
            )
        return cfg.label_map[text]
    low = text.lower()
    if low in ("0", "false"):
        return 0
    if low in ("1", "true"):
        return 1
    raise DataError(f"{where}: {cfg.label} {text!r} is not 0/1 or true/false; add a label_map to the task")


def _rows(cfg: TaskConfig, files: list[Path]) -> list[tuple[str, int, str]]:
    assert cfg.label is not None  # an own task has a label column (TaskConfig's validator)
    cols = [cfg.text] if isinstance(cfg.text, str) else list(cfg.text or [])
    want = [*cols, cfg.label, *([cfg.group] if cfg.group else [])]
    out = []
    for f in files:
        for i, r in read_table(f, list(dict.fromkeys(want))):
            where = _line(f, i)
            y = _to_label(cfg, r[cfg.label], where)
            if y is None:
                continue
            text = "\n".join(" ".join(str(r[c]).split()) for c in cols)
            if not text.strip():
                continue
            out.append((text, y, str(r[cfg.group]) if cfg.group else text))
    return dedupe(out)


def load_own_task(cfg: TaskConfig) -> Task:
    """Your own task from the preset: ``path`` (+ ``splits``), ``text`` column(s), ``label``, ``label_map``, ``group``."""
    found = find_splits(cfg)
    if "train" not in found:
        raise DataError(f"task {cfg.name}: no train split under {cfg.path} (found {', '.join(found)})")
    test_split = eval_split(found)
    notes: list[str] = []
    if test_split is None:
        pool = sample(_rows(cfg, found["train"]), cfg.n_examples, cfg.data_seed)
        return Task(
            cfg.name, [t for t, _, _ in pool], _tensor([y for _, y, _ in pool]), [g for _, _, g in pool], notes=notes
        )
    n_test = cfg.n_test or cfg.n_examples // 3
    test_rows = _rows(cfg, found[test_split])
    if len(test_rows) < n_test:
        notes.append(
            f"task {cfg.name}: n_test capped at {len(test_rows)} (the {test_split} split has "
            f"{len(test_rows)} usable rows; asked for {n_test})"
        )
    test = sample(test_rows, n_test, cfg.data_seed + 1)
    train = sample(_rows(cfg, found["train"]), cfg.n_examples - len(test), cfg.data_seed)
    rows = [*train, *test]
    return Task(
        cfg.name,
        [t for t, _, _ in rows],
        _tensor([y for _, y, _ in rows]),
        [g for _, _, g in rows],
        test_mask=_tensor([False] * len(train) + [True] * len(test), torch.bool),
        notes=notes,
    )


def _tensor(values: list, dtype: torch.dtype | None = None) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype or torch.long)
