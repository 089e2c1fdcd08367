"""Referential integrity: venue ids, topic ids, unresolved candidates, topic parents (recipe ids: repro.py)."""

from __future__ import annotations

from pathlib import Path

from catalog.load import Catalog, display_path
from catalog.problems import Problem


def _registry_error(file: Path, field: str, code: str, message: str) -> Problem:
    """An error in a registry file (catalog/topics.yaml, unresolved.yaml): no entry key, no line."""
    return Problem(None, display_path(file), None, field, "error", code, message)


def check_venue_known(cat: Catalog) -> list[Problem]:
    """venue.id is a registry id; an alias or unknown name gets the canonical id / closest suggestion."""
    out = []
    for e in cat.entries:
        vid = e.paper.venue.id
        if vid in cat.venues:
            continue
        canon = cat.index.lookup(vid)
        if canon:
            msg = f"{vid!r} is an alias; use the registry id {canon!r}"
        else:
            m = cat.index.match(vid)
            guess = m.venue if m else cat.index.suggest(vid)
            msg = f"unknown venue {vid!r}" + (
                f"; did you mean {guess!r}?" if guess else "; add it to catalog/venues.yaml"
            )
        out.append(e.problem("venue.id", "error", "venue-unknown", msg))
    return out


def check_topics_known(cat: Catalog) -> list[Problem]:
    out = []
    for e in cat.entries:
        for i, tid in enumerate(e.paper.topics):
            if tid not in cat.topics:
                out.append(
                    e.problem(
                        f"topics.{i}", "error", "topic-unknown", f"unknown topic {tid!r} (see catalog/topics.yaml)"
                    )
                )
        if len(set(e.paper.topics)) != len(e.paper.topics):
            out.append(e.problem("topics", "warning", "topic-duplicate", "a topic is listed twice"))
    for t in cat.topics.values():
        if t.parent and t.parent not in cat.topics:
            msg = f"topic {t.id!r} has unknown parent {t.parent!r}"
            out.append(_registry_error(cat.root / "topics.yaml", "topics", "topic-unknown", msg))
    return out


def check_unresolved(cat: Catalog) -> list[Problem]:
    """Candidates named in unresolved*.yaml are catalog keys (only for the catalog's own papers dir)."""
    if cat.papers_dir is not None and cat.papers_dir != cat.root / "papers":
        return []
    keys = {e.paper.key for e in cat.entries}
    out = []
    for u in cat.unresolved:
        for c in u.candidates:
            if c not in keys:
                msg = f"candidate {c!r} (seed {u.seed}) is not a catalog key"
                out.append(
                    _registry_error(cat.root / "unresolved.yaml", "unresolved.candidates", "unresolved-candidate", msg)
                )
    return out
