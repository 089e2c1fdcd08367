"""Venue evidence: present, of a kind that fits the venue, with a URL that shows it; verified: false warns."""

from __future__ import annotations

from urllib.parse import unquote

from catalog.load import Catalog
from catalog.problems import Problem

# Evidence kinds whose URL must be on one of these hosts (suffix match).
HOSTS = {
    "doi": ("doi.org",),
    "openreview": ("openreview.net",),
    "anthology": ("aclanthology.org",),
    "arxiv-comment": ("arxiv.org",),
}


def check_evidence(cat: Catalog) -> list[Problem]:
    out = []
    for e in cat.entries:
        p, ev = e.paper, e.paper.venue_evidence
        venue = cat.venues.get(p.venue.id)
        preprint = venue is not None and venue.kind == "preprint"
        if ev.kind == "none":
            if venue is not None and not preprint:
                out.append(
                    e.problem(
                        "venue_evidence.kind",
                        "error",
                        "evidence-missing",
                        f"venue {venue.acronym} needs evidence (kind 'none' is only for preprints)",
                    )
                )
            if not ev.note:
                out.append(
                    e.problem(
                        "venue_evidence.note", "warning", "evidence-note", "kind 'none': say in note what was searched"
                    )
                )
            continue
        if ev.url is None:
            out.append(
                e.problem("venue_evidence.url", "error", "evidence-url", f"evidence kind {ev.kind!r} needs a url")
            )
            continue
        host = (ev.url.host or "").lower()
        allowed = HOSTS.get(ev.kind)
        if allowed and not any(host == h or host.endswith("." + h) for h in allowed):
            out.append(
                e.problem(
                    "venue_evidence.url",
                    "error",
                    "evidence-url",
                    f"{ev.kind} evidence should link to {' or '.join(allowed)}, not {host}",
                )
            )
        if ev.kind == "doi":
            doi = unquote(ev.url.path or "").lstrip("/")
            if p.doi and doi.lower() != p.doi.lower():
                out.append(
                    e.problem(
                        "venue_evidence.url", "error", "evidence-doi", f"evidence DOI {doi} differs from doi {p.doi}"
                    )
                )
            if cat.index.decode_doi(doi).preprint and not preprint:
                out.append(
                    e.problem(
                        "venue_evidence.url",
                        "error",
                        "evidence-doi",
                        f"{doi} is a preprint-server DOI and never evidence of a venue",
                    )
                )
        if ev.kind == "arxiv-comment" and not ev.note:
            out.append(e.problem("venue_evidence.note", "error", "evidence-note", "quote the arXiv comment in note"))
    return out


def check_verified(cat: Catalog) -> list[Problem]:
    return [
        e.problem(
            "verified",
            "warning",
            "unverified",
            "marked verified: false"
            + (
                "; venue_evidence.note says what is missing"
                if e.paper.venue_evidence.note
                else "; say in venue_evidence.note what could not be confirmed"
            ),
        )
        for e in cat.entries
        if not e.paper.verified
    ]
