"""arXiv intake with the `arxiv` package: first-version date, DOI, and the venue the comment or journal_ref
states ("Accepted at ICML 2024" -> ICML 2024, evidence kind arxiv-comment)."""

from __future__ import annotations

import re

import arxiv
import requests

from catalog.entries import build_paper, make_key
from catalog.load import Catalog
from catalog.registry import VenueMatch
from catalog.sources import Candidate, IntakeError
from catalog.sources.evidence import venue_from_doi

_ID = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?(?P<id>\d{4}\.\d{4,5})(?P<v>v\d+)?(?:\.pdf)?/?$",
    re.I,
)
_WS = re.compile(r"\s+")


def parse_id(text: str) -> str | None:
    """'arxiv:2312.09390v2', 'https://arxiv.org/abs/2312.09390' -> '2312.09390'; None if not an arXiv id."""
    m = _ID.match(text.strip())
    return m.group("id") if m else None


def make_client() -> arxiv.Client:
    return arxiv.Client(page_size=10, delay_seconds=3.0, num_retries=2)


def fetch(arxiv_id: str, client: arxiv.Client | None = None) -> arxiv.Result:
    """The arXiv record of `arxiv_id`. Raises IntakeError (one line) when there is none or the API fails."""
    client = client or make_client()
    try:
        results = list(client.results(arxiv.Search(id_list=[arxiv_id], max_results=1)))
    except arxiv.HTTPError as exc:
        raise IntakeError(f"arXiv API refused id {arxiv_id!r} (HTTP {exc.status})") from None
    except arxiv.ArxivError as exc:
        raise IntakeError(f"arXiv API error for {arxiv_id!r}: {exc.message}") from None
    except requests.RequestException as exc:
        raise IntakeError(
            f"cannot reach the arXiv API ({type(exc).__name__}); offline, save the paper's BibTeX "
            f"to a file and run `python -m catalog add --bibtex FILE`"
        ) from None
    if not results:
        raise IntakeError(f"arXiv has no paper {arxiv_id}")
    return results[0]


def to_candidate(result: arxiv.Result, cat: Catalog) -> Candidate:
    ix = cat.index
    arxiv_id = parse_id(result.get_short_id()) or result.get_short_id()
    source = f"arXiv:{arxiv_id}"
    title = _WS.sub(" ", result.title).strip()
    authors = [_WS.sub(" ", a.name).strip() for a in result.authors]
    first_version = result.published.date()
    doi = result.doi or None
    comment = _WS.sub(" ", result.comment or "").strip()
    journal_ref = _WS.sub(" ", result.journal_ref or "").strip()
    abs_url = f"https://arxiv.org/abs/{arxiv_id}"
    notes: list[str] = []

    venue: VenueMatch | None = None
    evidence: dict = {}
    by_doi = venue_from_doi(ix, doi)
    if by_doi:
        venue, evidence = by_doi, {"kind": "doi", "url": f"https://doi.org/{doi}"}
    else:
        for label, text in (("journal_ref", journal_ref), ("comment", comment)):
            if not text:
                continue
            m = ix.match(text) if label == "journal_ref" else None
            m = m if (m and m.year and not ix.is_preprint(m.venue)) else ix.find_in_comment(text)
            if m and m.year:
                venue = m
                evidence = {"kind": "arxiv-comment", "url": abs_url, "note": f'arXiv {label}: "{text}"'}
                break
    if venue is None:
        venue = VenueMatch("arxiv", None, "preprint")
        searched = "; ".join(f'{k}: "{t}"' for k, t in (("comment", comment), ("journal_ref", journal_ref)) if t)
        evidence = {"kind": "none", "note": "no venue in the arXiv record" + (f" ({searched})" if searched else "")}
        if doi and not ix.decode_doi(doi).preprint:
            notes.append(
                f"publisher DOI {doi} but no registry venue matched: set the venue (journal_ref: {journal_ref!r})"
            )
    verified = True
    if evidence["kind"] == "arxiv-comment":
        notes.append(
            f"venue {venue.venue} {venue.year} from the arXiv {evidence['note'].split(':')[0][6:]}: confirm it"
        )
    year = min(first_version.year, venue.year) if venue.year else first_version.year
    data = {
        "key": make_key(authors or ["anon"], year, title or "paper"),
        "title": title,
        "authors": authors,
        "year": year,
        "venue": {"id": venue.venue, "year": venue.year, "track": venue.track, "workshop": venue.workshop},
        "venue_evidence": evidence,
        "verified": verified,
        "arxiv": {"id": arxiv_id, "first_version": first_version},
        "doi": doi,
        "links": {"paper": abs_url},
    }
    paper, err = build_paper(data)
    if paper is None:
        return Candidate(source, error=err)
    return Candidate(source, paper, notes=notes)
