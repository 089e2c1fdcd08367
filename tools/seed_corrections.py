"""Print, as a Markdown table, every catalog entry whose checked venue differs from what a seed document
claimed, with the evidence; then the entries marked unverified. For reviewers and release notes.

    python tools/seed_corrections.py [--all]     # --all: also the entries where the seeds were right
"""

from __future__ import annotations

import argparse
import sys

from catalog.load import load_catalog
from catalog.render.escape import md
from catalog.render.markdown import venue_label


def verdict(cat, claim: str, p) -> str:
    """'corrected' (venue, edition or track differs), 'completed' (the seed gave no edition year), 'confirmed'."""
    m = cat.index.match(claim)
    if m is None or m.venue != p.venue.id or (m.track != p.venue.track and p.venue.track != "journal"):
        return "corrected"
    if m.year is None and p.venue.year is not None:
        return "completed"
    return "confirmed" if m.year == p.venue.year else "corrected"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="list entries whose seed claims were right too")
    args = ap.parse_args(argv)
    cat = load_catalog()
    rows = ["| key | seed claims | catalog venue | verdict | evidence |", "|---|---|---|---|---|"]
    for e in cat.entries:
        p = e.paper
        ours = venue_label(p, cat.venues)
        claims = [f"{c.seed}: {c.venue}" for c in p.seeds if c.venue]
        verdicts = {verdict(cat, c.venue, p) for c in p.seeds if c.venue}
        if not claims or not (verdicts - {"confirmed"} or args.all):
            continue
        ev = p.venue_evidence
        rows.append(
            f"| `{p.key}` | {md('; '.join(claims))} | {md(ours)}{'' if p.verified else ' (unverified)'} "
            f"| {', '.join(sorted(verdicts))} | {ev.kind}{': ' + str(ev.url) if ev.url else ''} |"
        )
    print("\n".join(rows))
    unverified = [e.paper for e in cat.entries if not e.paper.verified]
    print(f"\nUnverified entries ({len(unverified)}):")
    for p in unverified:
        print(f"- `{p.key}`: {md(p.venue_evidence.note or '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
