"""Schema and key rules."""

from __future__ import annotations

import re
import unicodedata

from catalog.load import Catalog
from catalog.problems import Problem


def check_schema(cat: Catalog) -> list[Problem]:
    """Files that failed to parse or validate against catalog/schema.py (found while loading)."""
    return list(cat.problems)


_NOT_LETTER = re.compile(r"[^a-z]+")


def _fold(text: str) -> str:
    """'Jukić' -> 'jukic'."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTER.sub("", text.lower())


def check_key(cat: Catalog) -> list[Problem]:
    """key == file name; key follows surname + year + word (year and surname: warnings)."""
    out = []
    for e in cat.entries:
        p = e.paper
        if e.path.stem != p.key:
            out.append(
                e.problem("key", "error", "key-filename", f"key {p.key!r} differs from the file name {e.path.name!r}")
            )
        m = re.match(r"^([a-z]+)(\d{4})", p.key)
        if not m:
            continue
        if int(m.group(2)) != p.year:
            out.append(
                e.problem("key", "warning", "key-convention", f"key year {m.group(2)} differs from year {p.year}")
            )
        first = p.authors[0]
        tokens = [_fold(t) for t in re.split(r"[\s\-]+", first) if _fold(t)]
        joined = {"".join(tokens[i:]) for i in range(len(tokens))} | set(tokens) | {_fold(first)}
        if m.group(1) not in joined:
            out.append(
                e.problem(
                    "key", "warning", "key-convention", f"key should start with the first author's surname ({first!r})"
                )
            )
    return out
