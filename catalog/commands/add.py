"""``python -m catalog add --bibtex FILE [--papers DIR]`` and ``python -m catalog add arxiv:ID [...]``

Scaffolds one ``<key>.yaml`` per paper. An entry that fails the schema is reported and skipped; a paper
already in the catalog (same arXiv id, DOI or title) is skipped; two records of one paper in the input (a
conference paper and its CoRR twin) are merged; a key that is invalid or taken gets a fresh one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.checks.duplicates import norm_title
from catalog.entries import flush_batch, to_yaml, unique_key, write_entry
from catalog.load import display_path, load_catalog
from catalog.schema import Paper
from catalog.sources import Candidate, IntakeError

if TYPE_CHECKING:
    import arxiv


def _ids(p: Paper) -> set[str]:
    ids = {"t:" + norm_title(p.title)}
    if p.arxiv:
        ids.add("a:" + p.arxiv.id)
    if p.doi:
        ids.add("d:" + p.doi.lower())
    return ids


def _merge(keep: Paper, other: Paper) -> Paper:
    """Fill what `keep` lacks from `other` (the same paper from another record, e.g. its CoRR twin)."""
    upd: dict = {}
    if keep.arxiv is None and other.arxiv is not None:
        upd["arxiv"] = other.arxiv
        upd["year"] = min(keep.year, other.arxiv.first_version.year)
    if keep.links.paper is None and other.links.paper is not None:
        upd["links"] = keep.links.model_copy(update={"paper": other.links.paper})
    return keep.model_copy(update=upd) if upd else keep


def plan(cands: list[Candidate], existing: list[Paper], taken: set[str]) -> tuple[list[Candidate], list[str]]:
    """Resolve duplicates and key collisions. Returns (candidates to write, messages)."""
    msgs: list[str] = []
    known: dict[str, str] = {}
    for p in existing:
        for i in _ids(p):
            known[i] = p.key
    kept: list[Candidate] = []
    kept_ids: dict[str, int] = {}  # each id of a kept candidate -> the first kept one with it (no scan of `kept`)
    for c in cands:
        if c.paper is None:
            continue
        ids = _ids(c.paper)
        hit = next((known[i] for i in ids if i in known), None)
        if hit:
            msgs.append(f"skip {c.source}: already in the catalog as {hit}")
            continue
        pos = min((kept_ids[i] for i in ids if i in kept_ids), default=None)
        if pos is not None:
            twin = kept[pos]
            assert twin.paper is not None  # only candidates with a paper are kept
            a, b = twin.paper, c.paper
            if a.venue.track == "preprint" and b.venue.track != "preprint":
                a, b = b, a
                twin.source, twin.notes = c.source, c.notes + twin.notes
            twin.paper = _merge(a, b)
            twin.notes += [n for n in c.notes if "citation key" not in n and n not in twin.notes]
            twin.notes = [
                n for n in twin.notes if not (twin.paper.arxiv and twin.paper.arxiv.id in n and "first-version" in n)
            ]
            msgs.append(f"merge {c.source} into {twin.paper.key} (same paper)")
            for i in _ids(twin.paper):
                kept_ids.setdefault(i, pos)
            continue
        for i in ids:
            kept_ids.setdefault(i, len(kept))
        kept.append(c)
    for c in kept:
        assert c.paper is not None
        key = unique_key(c.paper.key, taken)
        if key != c.paper.key:
            c.notes.append(f"key {c.paper.key!r} is taken; using {key!r}")
            c.paper = c.paper.model_copy(update={"key": key})
        taken.add(key)
    return kept, msgs


def main(argv: list[str], client: arxiv.Client | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m catalog add", description=__doc__.split("\n\n")[1])
    ap.add_argument("ids", nargs="*", metavar="arxiv:ID", help="arXiv ids (arxiv:2312.09390 or the abs URL)")
    ap.add_argument("--bibtex", type=Path, action="append", default=[], metavar="FILE", help="a BibTeX file")
    ap.add_argument("--papers", type=Path, help="papers directory (default: catalog/papers)")
    ap.add_argument("--dry-run", action="store_true", help="print the entries instead of writing them")
    args = ap.parse_args(argv)
    if not args.ids and not args.bibtex:
        ap.error("give --bibtex FILE or arxiv:ID")
    cat = load_catalog(papers_dir=args.papers)
    papers_dir = cat.papers_dir
    cands: list[Candidate] = []
    if args.bibtex:
        from catalog.sources import bibtex  # imported on use: the arXiv path needs neither this nor the reverse

        for f in args.bibtex:
            cands += bibtex.read_file(f, cat)
    if args.ids:
        from catalog.sources import arxiv as arxiv_src

        have = {e.paper.arxiv.id: e.paper.key for e in cat.entries if e.paper.arxiv}
        for raw in args.ids:
            aid = arxiv_src.parse_id(raw)
            if aid is None:
                cands.append(Candidate(raw, error=f"{raw!r} is not an arXiv id (expected arxiv:YYMM.NNNNN)"))
                continue
            if aid in have:  # said before any network access
                print(f"skip arXiv:{aid}: already in the catalog as {have[aid]}")
                continue
            try:
                cands.append(arxiv_src.to_candidate(arxiv_src.fetch(aid, client), cat))
            except IntakeError as exc:
                cands.append(Candidate(f"arXiv:{aid}", error=str(exc)))
    taken = {e.paper.key for e in cat.entries}
    if papers_dir.is_dir():
        taken |= {p.stem for p in papers_dir.glob("*.yaml")}  # files that failed to load keep their names
    todo, msgs = plan(cands, [e.paper for e in cat.entries], taken)
    failed = [c for c in cands if c.paper is None]
    for c in failed:
        print(f"error: {c.source}: {c.error}", file=sys.stderr)
    for c in cands:
        for w in c.warnings:
            print(f"warning: {c.source}: {w}", file=sys.stderr)
    for m in msgs:
        print(m)
    batch = len(todo) > 1  # one flush for the batch instead of two fsyncs per file
    for c in todo:
        assert c.paper is not None  # plan keeps only candidates with a paper
        if args.dry_run:
            print(to_yaml(c.paper))
        else:
            path = write_entry(c.paper, papers_dir, durable=not batch)
            print(f"wrote {display_path(path)} ({c.source})")
        for n in c.notes:
            print(f"  todo: {n}")
    if batch and not args.dry_run:
        flush_batch()
    if todo and not args.dry_run:
        print("next: fill in topics and evidence, then `python -m catalog validate` and `python -m catalog build`")
    return 1 if failed else 0
