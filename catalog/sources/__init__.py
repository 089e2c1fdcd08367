"""Importers: BibTeX (bibtexparser 2) and arXiv (the `arxiv` package) to validated Paper entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.schema import Paper


class IntakeError(Exception):
    """An expected failure of an importer: one line, no traceback."""


@dataclass
class Candidate:
    """A paper an importer produced (validated), or the reason it could not."""

    source: str  # e.g. "refs.bib:12 DBLP:conf/icml/SoLL19" or "arXiv:2312.09390"
    paper: Paper | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # what the contributor still has to check or fill in
    warnings: list[str] = field(default_factory=list)  # e.g. two fields of the record that disagree, and which won
