"""Lookups over the venue registry: names and aliases to venue ids, edition numbers to years, DOIs to what
they prove. Built once per catalog from ``venues.yaml``; all matching rules live in the data, this module
only applies them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property

from catalog.schema import Edition, Track, Venue

_WS = re.compile(r"\s+")
_BRACES = re.compile(r"[{}]")
_ORDINAL_PREFIX = re.compile(
    r"^(?:the\s+)?(?:proceedings\s+of\s+)?(?:the\s+)?(?:(?P<number>\d{1,3})(?:st|nd|rd|th)\s+)?", re.I
)
_YEAR_PREFIX = re.compile(r"^(?P<year>(?:19|20)\d{2})\s+")
_TRAILING_YEAR = re.compile(r"^(?P<name>.+?)[\s,'’-]*(?P<year>(?:19|20)\d{2})$")
_TRAILING_NUMBER = re.compile(r"^(?P<name>.+?)\s+(?:vol(?:ume)?\.?\s*)?(?P<number>\d{1,3})$", re.I)
_FINDINGS = re.compile(
    r"findings\s+of\s+(?:the\s+)?(?:association\s+for\s+computational\s+linguistics\s*[:,]?\s*)?"
    r"(?:(?P<host>[a-z][a-z-]*)\s*'?(?P<year>(?:19|20)\d{2})|(?P<year_only>(?:19|20)\d{2}))",
    re.I,
)
_LEAD = re.compile(
    r"^(?:(?:accepted|published|presented|appears?|to\s+appear|oral|poster|spotlight)\b[\w\s]*?\b(?:at|in|to)\s+|(?:at|in)\s+)?(?:the\s+)?",
    re.I,
)
_PMLR = re.compile(r"^https?://proceedings\.mlr\.press/v(\d+)/?$")
_NEGATIVE = re.compile(
    r"\b(submitted|under\s+review|in\s+submission|rejected|withdrawn|preprint\s+version\s+of)\b", re.I
)


_UNITS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_TENS = ["twent", "thirt", "fort", "fift", "sixt", "sevent", "eight", "ninet"]  # twenty..ninety: + "y" or "ieth"
_SPELLED_ORDINAL = re.compile(
    rf"\b(?:(?P<tens>{'|'.join(_TENS)})(?:y[\s-]*(?P<unit>{'|'.join(_UNITS[:9])})|ieth)|(?P<small>{'|'.join(_UNITS)}))\b",
    re.I,
)


def ordinal(n: int) -> str:
    """41 -> '41st'."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def spelled_ordinal(n: int) -> str | None:
    """41 -> 'Forty-first', 12 -> 'Twelfth' (as OpenReview writes editions); None outside 1..99."""
    if not 1 <= n <= 99:
        return None
    if n < 20:
        return _UNITS[n - 1].capitalize()
    tens, unit = divmod(n, 10)
    return (_TENS[tens - 2] + (f"y-{_UNITS[unit - 1]}" if unit else "ieth")).capitalize()


def _ordinal_digits(m: re.Match) -> str:
    if m.group("small"):
        n = _UNITS.index(m.group("small").casefold()) + 1
    else:
        n = 10 * (_TENS.index(m.group("tens").casefold()) + 2)
        n += _UNITS.index(m.group("unit").casefold()) + 1 if m.group("unit") else 0
    return ordinal(n)


def numeric_ordinals(text: str) -> str:
    """Spelled-out ordinals as digits, as OpenReview and Google Scholar write editions:
    'The Twelfth International ...' -> 'The 12th International ...', 'Forty-first ...' -> '41st ...'."""
    return _SPELLED_ORDINAL.sub(_ordinal_digits, text)


def norm(text: str) -> str:
    """Case-folded, brace-free, single-spaced text with numeric ordinals, used for alias comparison."""
    return numeric_ordinals(_WS.sub(" ", _BRACES.sub("", text)).strip()).casefold()


@dataclass(frozen=True)
class VenueMatch:
    venue: str
    year: int | None = None
    track: Track = "main"
    workshop: str | None = None
    basis: str | None = None  # how `year` was read: "year" (stated), "number" (edition ordinal or volume)


@dataclass(frozen=True)
class DoiInfo:
    doi: str
    prefix: str
    venues: tuple[str, ...]  # venues whose DOI prefix this is (may be several: 10.1109 is all of IEEE)
    venue: str | None = None  # the venue a DOI pattern identifies
    year: int | None = None  # the edition year a DOI pattern decodes
    year_slack: int = 0  # the decoded year may precede the edition year by this much (journals)
    track: Track | None = None
    preprint: bool = False  # the DOI belongs to a preprint server / repository: never evidence of a venue


class VenueIndex:
    def __init__(self, venues: dict[str, Venue]):
        self.venues = venues
        self._alias: dict[str, str] = {}
        for v in venues.values():
            for name in (v.id, v.acronym, v.name, *v.aliases):
                self._alias.setdefault(norm(name), v.id)
        self._patterns = [(v.id, re.compile(p, re.I)) for v in venues.values() for p in v.alias_patterns]
        self._doi = [(v.id, re.compile(p.regex, re.I), p) for v in venues.values() for p in v.doi_patterns]
        self._prefix: dict[str, list[str]] = {}
        for v in venues.values():
            for pre in v.doi_prefixes:
                self._prefix.setdefault(pre, []).append(v.id)

    # ---- editions ----------------------------------------------------------------------------------
    def edition(self, venue_id: str, year: int | None) -> Edition | None:
        v = self.venues.get(venue_id)
        if v is None or year is None:
            return None
        for e in v.editions:
            if e.year == year:
                return e
        return None

    @cached_property
    def _proceedings_pages(self) -> list[tuple[str, Edition]]:
        return [(v.id, e) for v in self.venues.values() for e in v.editions if e.proceedings]

    def proceedings_pages(self) -> list[tuple[str, Edition]]:
        """(venue id, edition) for every edition with a `proceedings` page."""
        return self._proceedings_pages

    def year_of_volume(self, venue_id: str, volume: int) -> int | None:
        """The edition year a BibTeX `volume` gives: the edition's number, or its PMLR volume."""
        v = self.venues.get(venue_id)
        return self.year_of_number(venue_id, volume) or next(
            (e.year for e in (v.editions if v else ()) if self.pmlr_volume(venue_id, e.year) == volume), None
        )

    def pmlr_volume(self, venue_id: str, year: int | None) -> int | None:
        """The PMLR volume of an edition, read from its `proceedings` page (https://proceedings.mlr.press/vN/)."""
        e = self.edition(venue_id, year)
        m = _PMLR.match(str(e.proceedings)) if e and e.proceedings else None
        return int(m.group(1)) if m else None

    def year_of_number(self, venue_id: str, number: int) -> int | None:
        v = self.venues.get(venue_id)
        for e in v.editions if v else ():
            if e.number == number:
                return e.year
        return None

    def is_preprint(self, venue_id: str) -> bool:
        v = self.venues.get(venue_id)
        return v is not None and v.kind == "preprint"

    def allows_findings(self, venue_id: str) -> bool:
        v = self.venues.get(venue_id)
        return v is not None and any(p.track == "findings" for p in v.doi_patterns)

    # ---- names -------------------------------------------------------------------------------------
    def lookup(self, name: str) -> str | None:
        """Venue id for an exact id, acronym, full name or alias (case-insensitive)."""
        return self._alias.get(norm(name))

    @cached_property
    def _choices(self) -> list[str]:
        return sorted(self._alias)

    def suggest(self, name: str) -> str | None:
        """The venue id whose name or alias is closest to `name` (difflib), or None."""
        close = difflib.get_close_matches(norm(name), self._choices, n=1, cutoff=0.6)
        return self._alias[close[0]] if close else None

    def match(self, text: str) -> VenueMatch | None:
        """Map a venue string as BibTeX, DBLP, arXiv or Semantic Scholar print it to (venue, year, track).

        Tried in order: Findings of ACL-family; workshop wording; the venue's own alias patterns; exact
        aliases; "<name> <year>", "Proceedings of the <n>th <name>", "<name> <number>"; and each
        comma-separated part of a DBLP booktitle.
        """
        found = self.match_all(text)
        return found[0] if found else None

    def match_all(self, text: str) -> list[VenueMatch]:
        """Every reading of `text` with an edition year (best first: the whole string, then each
        comma-separated part), or the one reading without a year; [] when the text names no venue or says
        the paper was only submitted, withdrawn or rejected ("ICLR 2025 Conference Withdrawn Submission")."""
        t = numeric_ordinals(_WS.sub(" ", _BRACES.sub("", text)).strip())
        if not t or _NEGATIVE.search(t):
            return []
        f = self._findings(t)
        if f:
            return [f]
        if re.search(r"\bworkshops?\b", t, re.I):
            host = self._find_host(t)
            if host is None:
                return []
            return [VenueMatch(host.venue, host.year, "workshop", host.workshop or t, "year")]
        dated: list[VenueMatch] = []
        best: VenueMatch | None = None
        for cand in [t, *[p.strip() for p in t.split(",")][1:], t.split(",")[0].strip()]:
            m = self._match_one(cand)
            if m and m.year is not None and m not in dated:
                dated.append(m)
            if m and best is None:
                best = m
        return dated or ([best] if best else [])

    def _findings(self, t: str) -> VenueMatch | None:
        f = _FINDINGS.search(t)
        if not f:
            return None
        if f.group("year_only"):
            return (
                VenueMatch("acl", int(f.group("year_only")), "findings", basis="year") if "acl" in self.venues else None
            )
        vid = self.lookup(f.group("host"))
        return (
            VenueMatch(vid, int(f.group("year")), "findings", basis="year")
            if vid and self.allows_findings(vid)
            else None
        )

    def _match_one(self, t: str) -> VenueMatch | None:
        for pattern_vid, pat in self._patterns:
            m = pat.match(t)
            if m:
                return self._from_groups(pattern_vid, m.groupdict())
        vid = self.lookup(t)
        if vid:
            return VenueMatch(vid, None, self.default_track(vid))
        m = _TRAILING_YEAR.match(t)
        if m:
            vid = self._lookup_loose(m.group("name"))
            if vid:
                return VenueMatch(vid, int(m.group("year")), self.default_track(vid), basis="year")
        y = _YEAR_PREFIX.match(t)
        if y:
            vid = self._lookup_loose(t[y.end() :])
            if vid:
                return VenueMatch(vid, int(y.group("year")), self.default_track(vid), basis="year")
        o = _ORDINAL_PREFIX.match(t)
        if o and o.end():
            rest = t[o.end() :]
            vid = self.lookup(rest)
            if vid:
                num = o.group("number")
                year = self.year_of_number(vid, int(num)) if num else None
                return VenueMatch(vid, year, self.default_track(vid), basis="number" if year else None)
        n = _TRAILING_NUMBER.match(t)
        if n:
            vid = self._lookup_loose(n.group("name"))
            if vid:
                year = self.year_of_number(vid, int(n.group("number")))
                return VenueMatch(vid, year, self.default_track(vid), basis="number" if year else None)
        return None

    def _lookup_loose(self, name: str) -> str | None:
        vid = self.lookup(name)
        if vid:
            return vid
        o = _ORDINAL_PREFIX.match(name)
        return self.lookup(name[o.end() :]) if o and o.end() else None

    def _from_groups(self, vid: str, g: dict) -> VenueMatch:
        """The edition a venue pattern's named groups give: `year`, `yy` (2000 + yy), `number` (an edition's
        ordinal or volume, looked up in its editions) or `ordinal_<base>` (year = ordinal + base, for a
        meeting whose ordinal differs from its proceedings volume, as NeurIPS's)."""
        g = {k: v for k, v in g.items() if v}
        year, basis = None, None
        if "year" in g or "yy" in g:
            year, basis = (int(g["year"]) if "year" in g else 2000 + int(g["yy"])), "year"
        elif "number" in g:
            year, basis = self.year_of_number(vid, int(g["number"])), "number"
        else:
            for k, v in g.items():
                if k.startswith("ordinal_") and k[8:].isdigit():
                    year, basis = int(v) + int(k[8:]), "number"
        return VenueMatch(vid, year, self.default_track(vid), basis=basis if year else None)

    def default_track(self, vid: str) -> Track:
        kind = self.venues[vid].kind
        return {"journal": "journal", "preprint": "preprint"}.get(kind, "main")  # type: ignore[return-value]

    @cached_property
    def _mention_re(self) -> re.Pattern:
        names = sorted(
            {a for v in self.venues.values() if v.kind != "preprint" for a in (v.acronym, *v.aliases) if len(a) >= 3},
            key=len,
            reverse=True,
        )
        alt = "|".join(re.escape(n) for n in names)
        return re.compile(
            rf"(?<![\w-])(?P<name>{alt})\s*(?:['-](?P<yy>\d{{2}})|(?P<year>(?:19|20)\d{{2}}))(?!\d)", re.I
        )

    def _find_host(self, text: str) -> VenueMatch | None:
        """The first "<acronym> <year>" mention; `workshop` holds the text without that mention."""
        for m in self._mention_re.finditer(text):
            vid = self.lookup(m.group("name"))
            if vid:
                year = int(m.group("year")) if m.group("year") else 2000 + int(m.group("yy"))
                rest = _WS.sub(" ", text[: m.start()] + " " + text[m.end() :]).strip(" ,;:-–@")
                rest = _LEAD.sub("", rest).strip(" ,;:-–@")
                if rest.count("(") > rest.count(")"):
                    rest += ")"
                return VenueMatch(vid, year, self.default_track(vid), rest or None)
        return None

    def find_in_comment(self, text: str) -> VenueMatch | None:
        """A venue stated in free text such as an arXiv comment or journal_ref ("Accepted at ICML 2024",
        "Findings of EMNLP 2024", "NeurIPS 2023 Workshop on ..."). Text that says the paper was only
        submitted or is under review yields None."""
        if not text or _NEGATIVE.search(text):
            return None
        t = _WS.sub(" ", text)
        f = self._findings(t)
        if f:
            return f
        for part in (p.strip() for p in re.split(r"[;.]\s", t)):
            host = self._find_host(part)
            if host is None:
                continue
            if re.search(r"\bworkshops?\b", part, re.I):
                return VenueMatch(host.venue, host.year, "workshop", host.workshop)
            return VenueMatch(host.venue, host.year, host.track)
        return None

    # ---- DOIs --------------------------------------------------------------------------------------
    def decode_doi(self, doi: str) -> DoiInfo:
        prefix = doi.split("/", 1)[0]
        venues = tuple(self._prefix.get(prefix, ()))
        preprint = bool(venues) and all(self.is_preprint(v) for v in venues)
        for vid, pat, spec in self._doi:
            m = pat.match(doi)
            if not m:
                continue
            g = m.groupdict()
            year = None
            if g.get("year"):
                year = int(g["year"])
            elif g.get("volume") and spec.volume_offset is not None:
                year = int(g["volume"]) + spec.volume_offset
            elif g.get("yy"):
                year = 2000 + int(g["yy"])
            return DoiInfo(doi, prefix, venues, vid, year, spec.year_slack, spec.track, self.is_preprint(vid))
        return DoiInfo(doi, prefix, venues, preprint=preprint)
