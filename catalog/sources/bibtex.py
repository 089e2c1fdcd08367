"""BibTeX intake (bibtexparser 2); the export is catalog.render.bibtex.

LaTeX is decoded (middleware), names become "First Last", the booktitle/journal is mapped to a venue and
edition through the registry (a DOI's proof wins over the text; disagreeing signals give a warning), the
citation key is kept when valid. ``origdate`` (biblatex: the first public appearance; a full date is the
arXiv first version) and the older ``eprintdate`` give the arXiv first-version date when present.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    MergeNameParts,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock
from bibtexparser.model import Entry as BibEntry
from pylatexenc import latexwalker

from catalog.entries import build_paper, make_key, valid_key
from catalog.load import Catalog, display_path
from catalog.registry import VenueIndex, VenueMatch
from catalog.schema import ARXIV_ID_RE
from catalog.sources import Candidate
from catalog.sources.evidence import evidence_for, url_conflict, venue_from_doi

_WS = re.compile(r"\s+")
_ARXIV_IN = re.compile(r"(\d{4}\.\d{4,5})(?:v\d+)?")
_DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.I)


_NEEDS_DECODER = re.compile(r"[\\$%&~`]|--|''|[!?]`")  # macros, math, comments, specials, ligatures
_WHOLE_VALUE = re.compile(r"[$%]|\\(?:\s|\\|$)")  # math and comments span words; so may a control space
_ENDS_IN_MACRO = re.compile(r"\\(?:(?:[^\W\d_]|@)+|.)?$", re.S)  # its argument may be the next word


class _LatexDecoding(LatexDecodingMiddleware):
    """``LatexDecodingMiddleware()`` with the same output, much cheaper.

    pylatexenc parses a value into nodes at about 0.1 ms a character: most of the time of importing
    thousands of records. Here a value (and then each word of it) without macros, math, comments or special
    characters (`_NEEDS_DECODER`) and with balanced braces decodes to itself without the braces; a value is
    otherwise decoded word by word (split at whitespace outside braces, a word ending in a macro kept with
    the next one, the whitespace kept), each distinct word through pylatexenc once; values with math or
    comments go through whole. tests/test_catalog_bibtex.py checks the equivalence on arbitrary text."""

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)
        self._values: dict[str, tuple[str, str]] = {}
        self._words: dict[str, str] = {}
        self._context = latexwalker.get_default_latex_context_db()  # what LatexWalker builds on every call

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        done = self._values.get(python_string)
        if done is None:
            done = self._decode(python_string)
            self._values[python_string] = done
        return done

    def _decode(self, text: str) -> tuple[str, str]:
        plain = _plain(text)
        if plain is not None:
            return plain, ""
        words = None if _WHOLE_VALUE.search(text) else _words(text)
        if words is None:
            return super()._transform_python_value_string(text)
        out: list[str] = []
        try:
            for word, space in words:
                done = self._words.get(word)
                if done is None:
                    done = _plain(word)
                    if done is None:
                        done = self._decoder.latex_to_text(word, latex_context=self._context)
                    self._words[word] = done
                out += (done, space)
        except Exception:  # as the middleware: keep the value, report the error
            return super()._transform_python_value_string(text)
        return "".join(out), ""


def _plain(text: str) -> str | None:
    """What pylatexenc decodes `text` to when that is only dropping its braces, else None."""
    if _NEEDS_DECODER.search(text):
        return None
    if "{" not in text and "}" not in text:
        return text
    return text.replace("{", "").replace("}", "") if _balanced(text) else None


_BRACE = {"{": 1, "}": -1}  # how a character changes the brace depth


def _balanced(text: str) -> bool:
    """Every closing brace of `text` closes an open one, and every one opened is closed."""
    depth = 0
    for ch in text:
        depth += _BRACE.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _words(text: str) -> list[tuple[str, str]] | None:
    """[(word, the whitespace after it)] split at whitespace outside braces; a word ending in a macro (which
    may take the next word as its argument) or a word with a macro before one starting with a brace stays
    with the next one. None when the braces do not balance."""
    parts: list[list[str]] = []
    depth = start = i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        depth += _BRACE.get(ch, 0)
        if depth < 0:
            return None
        if depth == 0 and ch.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            parts.append([text[start:i], text[i:j]])
            start = i = j
            continue
        i += 1
    if depth:
        return None
    parts.append([text[start:], ""])
    merged: list[list[str]] = []
    for word, space in parts:
        if merged:
            prev, gap = merged[-1]
            if prev == "" or _ENDS_IN_MACRO.search(prev) or ("\\" in prev and word[:1] in ("{", "[")):
                merged[-1] = [prev + gap + word, space]
                continue
        merged.append([word, space])
    return [(w, sp) for w, sp in merged]


def parse(text: str) -> Library:
    """Parse BibTeX with LaTeX decoding and names split into "First von Last, Jr" order."""
    return bibtexparser.parse_string(
        text,
        append_middleware=[
            _LatexDecoding(),
            SeparateCoAuthors(),
            SplitNameParts(),
            MergeNameParts(style="first"),
        ],
    )


def clean(value: object) -> str:
    return _WS.sub(" ", str(value)).strip() if value is not None else ""


def field_text(entry: BibEntry, *names: str) -> str:
    fields = {k.lower(): v for k, v in entry.fields_dict.items()}
    for n in names:
        f = fields.get(n)
        if f is not None and clean(f.value):
            return clean(f.value)
    return ""


def doi_of(entry: BibEntry) -> str | None:
    """The record's DOI without a https://doi.org/ or doi: prefix."""
    return _DOI_URL.sub("", field_text(entry, "doi")) or None


def arxiv_id_of(entry: BibEntry) -> str | None:
    eprint = field_text(entry, "eprint")
    prefix = field_text(entry, "archiveprefix", "eprinttype").lower()
    for text in (
        eprint if (not prefix or prefix == "arxiv") else "",
        field_text(entry, "volume"),
        field_text(entry, "journal"),
    ):
        m = _ARXIV_IN.search(text)
        if m and ARXIV_ID_RE.match(m.group(1)):
            return m.group(1)
    doi = field_text(entry, "doi")
    m = re.match(r"^10\.48550/arxiv\.(\d{4}\.\d{4,5})$", doi, re.I)
    return m.group(1) if m else None


def venue_of(
    ix: VenueIndex, entry: BibEntry, doi: str | None, arxiv: str | None
) -> tuple[VenueMatch | None, str, list[str]]:
    """(venue, the text it came from, warnings). When the record's signals disagree on the venue or edition,
    the strongest wins and a warning says which: a DOI's proof, then a year the venue string states, then an
    edition number or volume in it, then the `volume` field, then the `year` field."""
    field = next((f for f in ("booktitle", "journal", "howpublished") if field_text(entry, f)), "publisher")
    text = field_text(entry, field) if field != "publisher" or entry.entry_type == "misc" else ""
    by_doi = venue_from_doi(ix, doi)
    readings = ix.match_all(text) if text else []
    by_text = readings[0] if readings else None
    warnings: list[str] = []
    if by_text and not ix.is_preprint(by_text.venue):
        signals = [
            (r.year, f"the {field}'s {'edition number' if r.basis == 'number' else 'stated year'}")
            for r in sorted(readings, key=lambda r: r.basis == "number")
            if r.venue == by_text.venue and r.year
        ]
        vol, year_field = field_text(entry, "volume"), field_text(entry, "year")
        vol_year = ix.year_of_volume(by_text.venue, int(vol)) if vol.isdigit() else None
        if vol_year:
            signals.append((vol_year, f"volume {vol}"))
        if year_field.isdigit():
            signals.append((int(year_field), "the year field"))
        if by_doi and by_doi.venue == by_text.venue and by_doi.year:
            signals.insert(0, (by_doi.year, f"DOI {doi}"))
        if signals:
            won = signals[0]
            lost = [f"{what} says {y}" for y, what in signals[1:] if y != won[0]]
            if lost and not (by_text.track == "journal" and all("year field" in w for w in lost)):
                warnings.append(
                    f"{ix.venues[by_text.venue].acronym} edition: {won[1]} says {won[0]} but "
                    f"{'; '.join(dict.fromkeys(lost))}; using {won[0]}"
                )
            by_text = VenueMatch(by_text.venue, won[0], by_text.track, by_text.workshop, by_text.basis)
    if by_text and by_text.track == "workshop":
        name = field_text(entry, "eventtitle") or by_text.workshop
        by_text = VenueMatch(by_text.venue, by_text.year, "workshop", name)
    if by_doi and (by_text is None or by_text.venue != by_doi.venue or by_text.track != "workshop"):
        if by_text and by_text.venue != by_doi.venue:
            warnings.append(
                f"venue: the {field} {text!r} reads as {ix.venues[by_text.venue].acronym} but DOI {doi} "
                f"is {ix.venues[by_doi.venue].acronym}'s; using the DOI"
            )
        return by_doi, f"DOI {doi}", warnings
    if by_text:
        return by_text, text, warnings
    if not text and arxiv:
        return VenueMatch("arxiv", None, "preprint"), "eprint", warnings
    return None, text, warnings


def to_candidates(lib: Library, cat: Catalog, source: str) -> list[Candidate]:
    """One Candidate per BibTeX entry (failed blocks become Candidates with an error)."""
    out: list[Candidate] = []
    for block in lib.failed_blocks:
        out.append(Candidate(f"{source}:{(block.start_line or 0) + 1}", error=syntax_error(block)))
    for entry in lib.entries:
        out.append(_candidate(entry, cat, f"{source}:{(entry.start_line or 0) + 1} {entry.key}"))
    return out


def _candidate(entry: BibEntry, cat: Catalog, source: str) -> Candidate:
    ix = cat.index
    notes: list[str] = []
    title = field_text(entry, "title")
    author_field = {k.lower(): v for k, v in entry.fields_dict.items()}.get("author")
    authors = [clean(a) for a in (author_field.value if author_field and isinstance(author_field.value, list) else [])]
    if not title:
        return Candidate(source, error="no title (the title field is missing or empty)")
    authors = [a for a in authors if a]
    if not authors:
        return Candidate(source, error="no authors (the author field is missing or empty)")
    year_text = field_text(entry, "year")
    doi = doi_of(entry)
    arxiv = arxiv_id_of(entry)
    venue, venue_text, warnings = venue_of(ix, entry, doi, arxiv)
    if venue is None:
        if not venue_text:
            return Candidate(source, error="no booktitle, journal or eprint: cannot tell the venue")
        close = ix.suggest(venue_text)
        hint = f"closest known: {ix.venues[close].name!r}; " if close else ""
        return Candidate(source, error=f"venue {venue_text!r} is not in catalog/venues.yaml ({hint}add it or an alias)")
    origdate = field_text(entry, "origdate")
    eprintdate = field_text(entry, "eprintdate") or (origdate if len(origdate) == 10 else "")  # a full date: arXiv v1
    first_version = None
    if arxiv and eprintdate:
        try:
            first_version = dt.date.fromisoformat(eprintdate)
        except ValueError:
            return Candidate(source, error=f"arXiv first-version date {eprintdate!r} is not YYYY-MM-DD")
    elif arxiv:
        notes.append(
            f"arXiv {arxiv}: first-version date unknown in BibTeX; add `arxiv: {{id: '{arxiv}', first_version: YYYY-MM-DD}}`"
        )
    years = [int(y) for y in (origdate[:4], year_text[:4]) if y.isdigit()]
    if first_version:
        years.append(first_version.year)
    if venue.year:
        years.append(venue.year)
    if not years:
        return Candidate(source, error="no year")
    year = int(origdate[:4]) if origdate[:4].isdigit() else min(years)
    if venue.year is None and not ix.is_preprint(venue.venue) and year_text.isdigit():
        venue = VenueMatch(venue.venue, int(year_text), venue.track, venue.workshop)
    url = field_text(entry, "url") or None
    if not url and arxiv and not first_version:
        url = f"https://arxiv.org/abs/{arxiv}"
    conflict = url_conflict(ix, venue, url)
    if conflict:
        warnings.append(conflict)
    evidence, verified = evidence_for(ix, venue, doi, url, "BibTeX")
    if not verified:
        notes.append(f"venue {venue.venue} {venue.year or ''} from {venue_text!r}: add evidence".replace("  ", " "))
    key = entry.key if valid_key(entry.key) else None
    data = {
        "key": key or make_key(authors or ["anon"], year, title or "paper"),
        "title": title,
        "authors": authors,
        "year": year,
        "venue": {
            "id": venue.venue,
            "year": None if ix.is_preprint(venue.venue) else venue.year,
            "track": venue.track,
            "workshop": venue.workshop,
        },
        "venue_evidence": evidence,
        "verified": verified,
        "arxiv": {"id": arxiv, "first_version": first_version} if arxiv and first_version else None,
        "doi": doi,
        "links": {"paper": url},
    }
    paper, err = build_paper(data)
    if paper is None:
        return Candidate(source, error=err)
    if key is None:
        notes.append(f"citation key {entry.key!r} is not valid here; using {paper.key!r}")
    return Candidate(source, paper, notes=notes, warnings=warnings)


def syntax_error(block: ParsingFailedBlock) -> str:
    """One line for a block bibtexparser could not parse: what is wrong and where."""
    if isinstance(block, DuplicateBlockKeyBlock):
        return (
            f"BibTeX: the key {block.key!r} is used twice in this file (first at line "
            f"{(block.previous_block.start_line or 0) + 1}); give one of the two records another key"
        )
    err = block.error
    reason = _WS.sub(" ", getattr(err, "abort_reason", None) or str(err or "")).strip(" .")
    raw = block.raw or ""
    start = (block.start_line or 0) + 1
    head = raw.lstrip().split("{", 1)[0].split("(", 1)[0].strip()[:30] or "block"
    if isinstance(err, BlockAbortedException) and ("Unexpected block start" in reason or "end of file" in reason):
        until = "the end of the file" if "end of file" in reason else "the next entry, where reading resumed"
        return (
            f"BibTeX syntax: the {head} entry starting at line {start} is still open at {until}: "
            f"unbalanced braces or quotes in one of its fields"
        )
    return f"BibTeX syntax: the {head} entry starting at line {start}: {reason[:160] or 'cannot be parsed'}"


@contextlib.contextmanager
def _quiet_parser() -> Iterator[None]:
    """bibtexparser logs each broken block to stderr; `_syntax_error` reports it instead, in one line."""
    log = logging.getLogger("bibtexparser")
    level, log.level = log.level, logging.CRITICAL + 1
    try:
        yield
    finally:
        log.setLevel(level)


def parse_raw(text: str) -> Library:
    """The records as written: values without their enclosing braces or quotes, LaTeX and names untouched
    (what a tool that edits a user's file changes and writes back)."""
    with _quiet_parser():
        return bibtexparser.parse_string(text)


def read_file(path: Path, cat: Catalog) -> list[Candidate]:
    lib = read_library(path)
    if isinstance(lib, Candidate):
        return [lib]
    return to_candidates(lib, cat, display_path(path))


def read_library(path: Path) -> Library | Candidate:
    """The parsed file, or a Candidate saying why there is none (unreadable, not BibTeX, no entries)."""
    shown = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Candidate(shown, error=f"cannot read: {getattr(exc, 'strerror', None) or exc}")
    try:
        with _quiet_parser():
            lib = parse(text)
    except Exception as exc:  # bibtexparser raises a few error types on broken input; report, never crash
        return Candidate(shown, error=f"BibTeX: {_WS.sub(' ', str(exc))[:200]}")
    if not lib.entries and not lib.failed_blocks:
        return Candidate(shown, error="no BibTeX entries in this file (expected records such as @article{key, ...})")
    return lib
