"""Venue and evidence from what a record proves: a DOI (decoded offline), a proceedings URL, an arXiv comment."""

from __future__ import annotations

from urllib.parse import urlparse

from catalog.registry import VenueIndex, VenueMatch

# Hosts whose pages show acceptance, by evidence kind.
URL_KINDS = {
    "openreview.net": "openreview",
    "aclanthology.org": "anthology",
    "www.aclweb.org": "anthology",  # the Anthology's older address (www.aclweb.org/anthology/P19-1001)
    "aclweb.org": "anthology",
    "proceedings.iclr.cc": "proceedings",
    "proceedings.mlr.press": "proceedings",
    "papers.nips.cc": "proceedings",
    "proceedings.neurips.cc": "proceedings",
    "openaccess.thecvf.com": "proceedings",
    "ojs.aaai.org": "proceedings",
    "www.ijcai.org": "proceedings",
    "ijcai.org": "proceedings",
    "jmlr.org": "proceedings",
    "www.jmlr.org": "proceedings",
    "ieeexplore.ieee.org": "publisher",
    "dl.acm.org": "publisher",
    "link.springer.com": "publisher",
    "www.spiedigitallibrary.org": "publisher",
    "www.nature.com": "publisher",
    "direct.mit.edu": "publisher",
}


_SAME_SITE = {"papers.nips.cc": "proceedings.neurips.cc", "papers.neurips.cc": "proceedings.neurips.cc"}
ANTHOLOGY_DOI = "10.18653/v1/"  # an ACL Anthology id is the suffix of its paper's DOI


def _site(url: str) -> tuple[str, str]:
    """(host without www., path) with the hosts one publisher serves the same pages under made one."""
    u = urlparse(url)
    host = (u.hostname or "").lower().removeprefix("www.")
    return _SAME_SITE.get(host, host), u.path


def venue_from_url(ix: VenueIndex, url: str | None) -> VenueMatch | None:
    """The venue and edition a paper page proves by its address: an ACL Anthology id (decoded as its DOI),
    or a page under an edition's `proceedings` page in venues.yaml (PMLR volumes, NeurIPS proceedings)."""
    if not url:
        return None
    host, path = _site(url)
    if host == "aclweb.org" and path.startswith("/anthology/"):
        host, path = "aclanthology.org", path.removeprefix("/anthology")
    if host == "aclanthology.org" and path.strip("/"):
        return venue_from_doi(ix, ANTHOLOGY_DOI + path.strip("/").split("/")[0].removesuffix(".pdf"))
    for vid, edition in ix.proceedings_pages():
        e_host, e_path = _site(str(edition.proceedings))
        if host == e_host and path.startswith(e_path.rstrip("/") + "/"):
            return VenueMatch(vid, edition.year, ix.default_track(vid))
    return None


def url_conflict(ix: VenueIndex, venue: VenueMatch, url: str | None) -> str | None:
    """Why `url` cannot be evidence of `venue` (it is another venue's or edition's page), or None."""
    shown = venue_from_url(ix, url)
    if shown is None or (shown.venue, shown.year) == (venue.venue, venue.year):
        return None
    name = ix.venues[shown.venue].acronym
    return (
        f"the url {url} is a page of {name} {shown.year}, not {ix.venues[venue.venue].acronym} {venue.year}; "
        f"not used as evidence"
    )


def venue_from_doi(ix: VenueIndex, doi: str | None) -> VenueMatch | None:
    if not doi:
        return None
    info = ix.decode_doi(doi)
    if info.venue and not info.preprint:
        track = info.track or ix.default_track(info.venue)
        return VenueMatch(info.venue, info.year, track)
    return None


def evidence_for(ix: VenueIndex, venue: VenueMatch, doi: str | None, url: str | None, source: str) -> tuple[dict, bool]:
    """(venue_evidence data, verified) for an imported record whose venue is `venue`."""
    if ix.is_preprint(venue.venue):
        return {
            "kind": "none",
            "note": f"{source}: no venue in the record; search DBLP, OpenReview and the "
            f"ACL Anthology before keeping it a preprint",
        }, True
    if doi and not ix.decode_doi(doi).preprint:
        return {"kind": "doi", "url": f"https://doi.org/{doi}"}, True
    host = (urlparse(url).hostname or "").lower() if url else ""
    if host in URL_KINDS and url_conflict(ix, venue, url) is None:
        return {"kind": URL_KINDS[host], "url": url}, True
    return {
        "kind": "none",
        "note": f"{source}: venue taken from the record, not yet confirmed; add a DOI, "
        f"proceedings or OpenReview URL and set verified: true",
    }, False
