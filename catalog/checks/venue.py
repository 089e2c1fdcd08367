"""Venue rules: edition exists, track fits the venue, DOI agrees with the venue."""

from __future__ import annotations

from catalog.load import Catalog
from catalog.problems import Problem


def check_edition(cat: Catalog) -> list[Problem]:
    """A non-preprint venue needs an edition year that exists in the registry; the track fits the venue."""
    out = []
    for e in cat.entries:
        v = e.paper.venue
        venue = cat.venues.get(v.id)
        if venue is None:
            continue  # check_venue_known reports it
        if venue.kind == "preprint":
            if v.track != "preprint":
                out.append(
                    e.problem(
                        "venue.track",
                        "error",
                        "venue-track",
                        f"{venue.acronym} is a preprint server: track must be 'preprint'",
                    )
                )
            continue
        if v.track == "preprint":
            out.append(
                e.problem(
                    "venue.track", "error", "venue-track", f"track 'preprint' needs venue id 'arxiv' (not {v.id!r})"
                )
            )
        elif venue.kind == "journal" and v.track != "journal":
            out.append(
                e.problem(
                    "venue.track", "error", "venue-track", f"{venue.acronym} is a journal: track must be 'journal'"
                )
            )
        elif venue.kind != "journal" and v.track == "journal":
            out.append(
                e.problem("venue.track", "error", "venue-track", f"{venue.acronym} is a {venue.kind}, not a journal")
            )
        elif v.track == "findings" and not cat.index.allows_findings(v.id):
            out.append(e.problem("venue.track", "error", "venue-track", f"{venue.acronym} has no Findings track"))
        if v.track == "workshop" and not v.workshop:
            out.append(
                e.problem(
                    "venue.workshop",
                    "error",
                    "venue-workshop",
                    "track 'workshop' needs the workshop name in venue.workshop",
                )
            )
        if v.workshop and v.track != "workshop":
            out.append(
                e.problem(
                    "venue.workshop", "error", "venue-workshop", "venue.workshop is set but track is not 'workshop'"
                )
            )
        if v.year is None:
            out.append(e.problem("venue", "error", "venue-edition", f"{venue.acronym} needs venue.year (the edition)"))
        elif cat.index.edition(v.id, v.year) is None:
            have = ", ".join(str(ed.year) for ed in venue.editions[-6:])
            out.append(
                e.problem(
                    "venue.year",
                    "error",
                    "venue-edition",
                    f"{venue.acronym} has no {v.year} edition in catalog/venues.yaml (latest: {have or 'none'})",
                )
            )
        if v.year is not None and e.paper.year > v.year:
            out.append(
                e.problem(
                    "year",
                    "error",
                    "year-venue",
                    f"year {e.paper.year} (first appearance) is after the venue edition {v.year}",
                )
            )
    return out


def check_doi_venue(cat: Catalog) -> list[Problem]:
    """What a DOI proves offline must agree with the venue (see the DOI facts in catalog/venues.yaml)."""
    out = []
    ix = cat.index
    for e in cat.entries:
        p = e.paper
        if not p.doi:
            continue
        info = ix.decode_doi(p.doi)
        v = p.venue
        venue = cat.venues.get(v.id)
        if venue is None:
            continue
        on_preprint = venue.kind == "preprint"
        if info.preprint:
            if not on_preprint:
                out.append(
                    e.problem(
                        "doi",
                        "warning",
                        "doi-preprint",
                        f"{p.doi} is a preprint-server DOI ({info.prefix}); it proves no venue: give the publisher DOI or none",
                    )
                )
            continue
        if on_preprint:
            what = (
                f"{info.venue} {info.year or ''}".strip()
                if info.venue
                else ("/".join(info.venues) if info.venues else f"registrant {info.prefix}")
            )
            out.append(
                e.problem(
                    "venue.id",
                    "error",
                    "doi-publisher-on-preprint",
                    f"publisher DOI {p.doi} ({what}) but venue is {venue.acronym}: the paper was published; set the venue",
                )
            )
            continue
        if info.venue:
            if info.venue != v.id:
                out.append(
                    e.problem(
                        "venue.id",
                        "error",
                        "doi-venue-mismatch",
                        f"DOI {p.doi} is a {cat.venues[info.venue].acronym} DOI, venue says {venue.acronym}",
                    )
                )
                continue
            if (
                info.year is not None
                and v.year is not None
                and not (info.year <= v.year <= info.year + info.year_slack)
            ):
                out.append(
                    e.problem(
                        "venue.year",
                        "error",
                        "doi-year-mismatch",
                        f"DOI {p.doi} decodes to {venue.acronym} {info.year}, venue.year says {v.year}",
                    )
                )
            if info.track and info.track != v.track and not (info.track == "main" and v.track == "journal"):
                out.append(
                    e.problem(
                        "venue.track",
                        "error",
                        "doi-track-mismatch",
                        f"DOI {p.doi} is a {info.track}-track DOI, venue.track says {v.track}",
                    )
                )
        elif info.venues and v.id not in info.venues:
            out.append(
                e.problem(
                    "doi",
                    "warning",
                    "doi-prefix-unexpected",
                    f"DOI prefix {info.prefix} belongs to {', '.join(info.venues)}, not {venue.acronym}",
                )
            )
    return out
