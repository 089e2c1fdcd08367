"""docs/venues/index.md (the venues papers appeared at) and docs/venues/<id>.md (a venue's papers by
edition)."""

from __future__ import annotations

from pathlib import Path

from catalog.render.escape import link, md
from catalog.render.site.common import DOCS, Site, page_head
from catalog.schema import Paper, Venue

KIND_ORDER = {"conference": 0, "journal": 1, "workshop": 2, "preprint": 3}


def used(s: Site) -> list[Venue]:
    """The registry's venues that have a paper, conferences first, then by acronym."""
    return sorted(
        (v for v in s.venues.values() if v.id in s.papers_at),
        key=lambda v: (KIND_ORDER.get(v.kind, 9), v.acronym.casefold()),
    )


def index(s: Site) -> str:
    out = page_head(
        "Venues",
        "Venues",
        "Where the catalogued papers appeared. Every venue claim links to its evidence on the paper's page; "
        "papers found only on arXiv are listed as preprints.",
    )
    out += [
        "| Venue | Name | Kind | Papers |",
        "|-------|------|------|-------:|",
    ]
    for v in used(s):
        n = len(s.papers_at.get(v.id, []))
        out.append(f"| {link(v.acronym, f'{v.id}.md')} | {md(v.name)} | {v.kind} | {n} |")
    unknown = sorted(set(s.papers_at) - set(s.venues))
    if unknown:
        out += ["", "Venue ids not in the registry: " + ", ".join(f"`{u}`" for u in unknown) + "."]
    return "\n".join(out) + "\n"


def page(s: Site, v: Venue) -> str:
    papers = s.papers_at.get(v.id, [])
    out = page_head(v.acronym, md(v.acronym))
    line = f"**{md(v.name)}** ({v.kind})"
    if v.url:
        line += f" · {link('website', str(v.url))}"
    out += [
        line,
        "",
        f"{len(papers)} paper{'s' if len(papers) != 1 else ''} "
        f"([filter the papers table by this venue](../papers/index.md?venue={v.id})).",
        "",
    ]
    by_year: dict[int | None, list[Paper]] = {}
    for p in papers:
        by_year.setdefault(p.venue.year, []).append(p)
    for year in sorted(by_year, key=lambda y: -(y or 0)):
        ed = next((e for e in v.editions if e.year == year), None)
        title = str(year) if year else "Undated"
        out += [f"## {title}", ""]
        if ed and (ed.start or ed.proceedings):
            bits = []
            if ed.start:
                bits.append(f"{ed.start.isoformat()}" + (f" to {ed.end.isoformat()}" if ed.end else ""))
            if ed.proceedings:
                bits.append(link("proceedings", str(ed.proceedings)))
            out += [" · ".join(bits), ""]
        out.append(s.paper_table(by_year[year], "../", venue_column=False))
    return "\n".join(out)


def pages(s: Site) -> dict[Path, str | bytes]:
    out: dict[Path, str | bytes] = {DOCS / "venues" / "index.md": index(s)}
    for v in used(s):
        out[DOCS / "venues" / f"{v.id}.md"] = page(s, v)
    return out
