"""Display strings shared by the renderers (README, site, BibTeX): paper link, short author list, venue label,
display order. Escaping lives in catalog.render.escape."""

from __future__ import annotations

from catalog.schema import Paper, Venue


def paper_url(p: Paper) -> str | None:
    """The paper link, else the arXiv abstract page, else the DOI."""
    if p.links.paper:
        return str(p.links.paper)
    if p.arxiv:
        return f"https://arxiv.org/abs/{p.arxiv.id}"
    if p.doi:
        return f"https://doi.org/{p.doi}"
    return None


def authors_short(authors: list[str]) -> str:
    """All names when three or fewer, else the first three and "et al."."""
    return ", ".join(authors) if len(authors) <= 3 else ", ".join(authors[:3]) + " et al."


def venue_label(p: Paper, venues: dict[str, Venue]) -> str:
    """ "ICML 2024", "Findings of EMNLP 2024", "NeurIPS 2024 Workshop (name)", "arXiv preprint"."""
    v = venues.get(p.venue.id)
    acronym = v.acronym if v else p.venue.id
    if p.venue.track == "preprint" or (v is not None and v.kind == "preprint"):
        return "arXiv preprint" if p.venue.id == "arxiv" else acronym
    year = f" {p.venue.year}" if p.venue.year else ""
    if p.venue.track == "findings":
        return f"Findings of {acronym}{year}"
    if p.venue.track == "workshop":
        return f"{acronym}{year} Workshop" + (f" ({p.venue.workshop})" if p.venue.workshop else "")
    return f"{acronym}{year}"


def sort_key(p: Paper) -> tuple:
    """Newest first, then title (case-insensitive), then key."""
    return (-p.year, p.title.casefold(), p.key)
