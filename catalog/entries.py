"""Make and write paper entries: citation keys, the deterministic YAML form, validation before writing."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from atomicio import atomic_write
from catalog.load import SCHEMA_COMMENT
from catalog.schema import KEY_RE, Paper
from catalog.yamlio import dump

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "for",
        "to",
        "with",
        "and",
        "or",
        "is",
        "are",
        "be",
        "by",
        "from",
        "at",
        "as",
        "via",
        "towards",
        "toward",
        "do",
        "does",
        "can",
        "how",
        "what",
        "when",
        "why",
        "which",
        "who",
        "your",
        "our",
        "we",
        "its",
        "it",
        "this",
        "that",
    ]
)


def ascii_fold(text: str) -> str:
    """'Jukić' -> 'jukic' (letters and digits only)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()).lower()


def surname(author: str) -> str:
    parts = author.replace(",", " ").split()
    if "," in author:  # "Last, First"
        return ascii_fold(author.split(",")[0].split()[-1]) if author.split(",")[0].split() else ""
    return ascii_fold(parts[-1]) if parts else ""


def make_key(authors: list[str], year: int, title: str) -> str:
    """surname + year + first non-stopword of the title: ('David R. So', 2019, 'The Evolved Transformer') ->
    'so2019evolved'."""
    name = surname(authors[0]) if authors else ""
    name = re.sub(r"^\d+", "", name) or "anon"
    words = [ascii_fold(w) for w in re.split(r"[\s\-:/]+", title)]
    word = next((w for w in words if w and w not in STOPWORDS), None) or next((w for w in words if w), "paper")
    return f"{name}{year}{word}"


def unique_key(key: str, taken: set[str]) -> str:
    """`key`, or key + b, c, ... when taken."""
    if key not in taken:
        return key
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        if key + suffix not in taken:
            return key + suffix
    n = 2
    while f"{key}{n}" in taken:
        n += 1
    return f"{key}{n}"


def valid_key(key: str | None) -> bool:
    return bool(key) and bool(KEY_RE.match(key or ""))


def paper_data(paper: Paper) -> dict[str, Any]:
    """Plain data in schema field order, None / empty / default values left out."""
    data: dict[str, Any] = _prune(paper.model_dump(mode="python"))
    return data


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _prune(v)
            if v is None or v == [] or v == {}:
                continue
            if k == "verified" and v is True:
                continue  # the default
            out[k] = v
        return out
    if isinstance(value, list):
        return [_prune(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float, dt.date)):
        return value
    return str(value)  # URLs


def to_yaml(paper: Paper) -> str:
    """The entry file's full text: the schema comment, then the fields in schema order."""
    return SCHEMA_COMMENT + "\n" + dump(paper_data(paper))


def build_paper(data: dict[str, Any]) -> tuple[Paper | None, str | None]:
    """Validate `data`; returns (paper, None) or (None, one-line reason)."""
    try:
        return Paper.model_validate(_prune(data)), None
    except ValidationError as exc:
        errs = exc.errors(include_url=False)
        parts = [f"{'.'.join(str(x) for x in e['loc']) or '(entry)'}: {e['msg']}" for e in errs[:3]]
        more = f" (+{len(errs) - 3} more)" if len(errs) > 3 else ""
        return None, "; ".join(parts) + more


def write_entry(paper: Paper, papers_dir: Path, durable: bool = True) -> Path:
    """Write the entry atomically; `durable=False` skips the per-file fsyncs (a batch calls `flush_batch`)."""
    path = Path(papers_dir) / f"{paper.key}.yaml"
    atomic_write(path, to_yaml(paper), durable=durable)
    return path


def flush_batch() -> None:
    """Make a batch of non-durable writes durable with one flush instead of two fsyncs per file (which made
    a 10,000-record import disk-bound). A kill meanwhile still leaves each file whole or absent."""
    os.sync()
