"""``python -m catalog export --bibtex [FILE]``: the whole catalog as BibTeX (stdout without FILE)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog.load import load_catalog
from catalog.render.bibtex import export
from catalog.yamlio import atomic_write


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m catalog export", description=__doc__)
    ap.add_argument(
        "--bibtex", nargs="?", const="-", metavar="FILE", required=True, help="write BibTeX to FILE (default stdout)"
    )
    ap.add_argument("--papers", type=Path, help="papers directory (default: catalog/papers)")
    args = ap.parse_args(argv)
    cat = load_catalog(papers_dir=args.papers)
    text = export(cat)
    if args.bibtex == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(args.bibtex), text)
        print(f"wrote {len(cat.entries)} entries to {args.bibtex}", file=sys.stderr)
    return 0
