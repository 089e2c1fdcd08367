"""Check a researcher's bibliography against the catalog: what ``python -m catalog check-bib`` reports.

Each record of the .bib file is read as intake reads it (LaTeX decoded, venue and edition through the
registry) and matched to the catalog by arXiv id, DOI or normalised title. Every check is a small function
``check_<name>(rec, ctx) -> list[Finding]`` (or, over the whole file, ``check_<name>(recs, ctx)`` in
`FILE_CHECKS`); a finding is a Problem (file, line, field, code, message) plus, where the catalog or the
text itself says what is right, the fields that fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import ftfy
from bibtexparser.model import Entry as BibEntry

from catalog.checks.duplicates import norm_title
from catalog.load import Catalog, display_path
from catalog.problems import Problem
from catalog.registry import VenueMatch
from catalog.render.bibtex import latex, venue_fields
from catalog.render.markdown import venue_label
from catalog.schema import Paper
from catalog.sources import Candidate
from catalog.sources import bibtex as bib

TEXT_FIELDS = ("title", "author", "booktitle", "journal")
VENUE_FIELDS = (
    "booktitle",
    "journal",
    "series",
    "volume",
    "number",
    "publisher",
    "howpublished",
    "eventtitle",
    "year",
    "archiveprefix",
    "eprinttype",
)
# A spacing accent next to a letter ("Mu¨ller", "Jukic´"): text copied from a PDF; backslash commands left
# after LaTeX decoding ("Juki\'c" written as "Juki\\'c"): accent residue.
_SPACING_ACCENT = re.compile(
    r"(?<=\w)[\u00a8\u00b4\u02c7\u02dc\u02d8\u00b8\u02da\u02dd]|[\u00a8\u00b4\u02c7\u02dc\u02d8\u02da\u02dd](?=\w)"
)
_LATEX_LEFT = re.compile(r"\\[A-Za-z'\"`^~=.]")


@dataclass
class Finding:
    problem: Problem
    fix: dict[str, str] = field(default_factory=dict)  # field -> corrected value ("" removes it); "@type" too


@dataclass
class Record:
    """One BibTeX record as read for checking."""

    entry: BibEntry  # LaTeX-decoded, names split (as intake reads it)
    raw: BibEntry | None  # the same record as written (values not decoded): what a fix edits
    file: str
    line: int
    arxiv: str | None
    doi: str | None
    venue: VenueMatch | None
    venue_text: str
    warnings: list[str]
    known: Paper | None  # the catalog's entry for the same paper

    @property
    def key(self) -> str:
        return self.entry.key

    def get(self, name: str) -> str:
        return bib.field_text(self.entry, name)

    def finding(self, fld: str | None, code: str, message: str, fix: dict[str, str] | None = None) -> Finding:
        return Finding(Problem(self.key, self.file, self.line, fld, "warning", code, message), fix or {})


@dataclass
class Context:
    cat: Catalog
    by_id: dict[str, Paper]  # "a:<arxiv id>", "d:<doi>", "t:<normalised title>" -> catalog entry


def context(cat: Catalog) -> Context:
    by_id: dict[str, Paper] = {}
    for e in cat.entries:
        p = e.paper
        ids = [f"t:{norm_title(p.title)}"] + ([f"t:{norm_title(p.arxiv.title)}"] if p.arxiv and p.arxiv.title else [])
        ids += [f"a:{p.arxiv.id}"] if p.arxiv else []
        ids += [f"d:{p.doi.lower()}"] if p.doi else []
        for i in ids:
            by_id.setdefault(i, p)
    return Context(cat, by_id)


def _ids(arxiv: str | None, doi: str | None, title: str) -> list[str]:
    return (
        ([f"a:{arxiv}"] if arxiv else [])
        + ([f"d:{doi.lower()}"] if doi else [])
        + ([f"t:{norm_title(title)}"] if norm_title(title) else [])
    )


def read(path: Path, ctx: Context) -> tuple[list[Record], list[Problem]]:
    """The records of `path` (problems for blocks that do not parse or a file that cannot be read)."""
    shown = display_path(path)
    lib = bib.read_library(path)
    if isinstance(lib, Candidate):  # saying why there is nothing to read (its error is always set)
        return [], [Problem(None, shown, None, None, "error", "bibtex", str(lib.error))]
    problems = [
        Problem(None, shown, (b.start_line or 0) + 1, None, "error", "bibtex-syntax", bib.syntax_error(b))
        for b in lib.failed_blocks
    ]
    raw = {e.start_line: e for e in bib.parse_raw(Path(path).read_text(encoding="utf-8")).entries}
    records = []
    for entry in lib.entries:
        doi = bib.doi_of(entry)
        arxiv = bib.arxiv_id_of(entry)
        venue, text, warnings = bib.venue_of(ctx.cat.index, entry, doi, arxiv)
        known = next((ctx.by_id[i] for i in _ids(arxiv, doi, bib.field_text(entry, "title")) if i in ctx.by_id), None)
        records.append(
            Record(
                entry,
                raw.get(entry.start_line),
                shown,
                (entry.start_line or 0) + 1,
                arxiv,
                doi,
                venue,
                text,
                warnings,
                known,
            )
        )
    return records, problems


def _where(p: Paper, ctx: Context) -> str:
    ev = p.venue_evidence
    proof = f" (evidence: {ev.url})" if ev.url else ""
    return f"{venue_label(p, ctx.cat.venues)}{proof} [catalog: {p.key}]"


def _catalog_fix(rec: Record, p: Paper, ctx: Context) -> dict[str, str]:
    """The record's venue fields replaced by the catalog's (its other fields kept)."""
    etype, fields = venue_fields(p, ctx.cat)
    fix = {name: "" for name in VENUE_FIELDS if rec.get(name)}
    fix.update({name: latex(value) for name, value in fields})
    if rec.get("volume").startswith("abs/"):
        fix.setdefault("volume", "")
    if p.doi and not rec.doi:
        fix["doi"] = p.doi
    if rec.doi and rec.doi.lower().startswith("10.48550/") and p.doi:
        fix["doi"] = p.doi
    fix["@type"] = etype
    return fix


def _is_preprint(rec: Record, ctx: Context) -> bool:
    return (rec.venue is None and bool(rec.arxiv)) or (
        rec.venue is not None and ctx.cat.index.is_preprint(rec.venue.venue)
    )


# ---- per-record checks -----------------------------------------------------------------------------------
def _published_known(rec: Record, ctx: Context) -> Paper | None:
    """The catalog's entry for the record's paper when the catalog has it at a venue that is no preprint."""
    p = rec.known
    return p if p is not None and not ctx.cat.index.is_preprint(p.venue.id) else None


def _catalog_finding(rec: Record, p: Paper, ctx: Context, code: str, message: str) -> list[Finding]:
    """A finding on the record's venue field whose fix is the catalog's venue for `p`."""
    return [rec.finding(_venue_field(rec), code, message, _catalog_fix(rec, p, ctx))]


def check_published(rec: Record, ctx: Context) -> list[Finding]:
    """Cited as arXiv/CoRR, but the catalog knows where it was published."""
    p = _published_known(rec, ctx)
    if p is None or not _is_preprint(rec, ctx):
        return []
    return _catalog_finding(rec, p, ctx, "published", f"cited as a preprint, but published: {_where(p, ctx)}")


def check_venue_matches_catalog(rec: Record, ctx: Context) -> list[Finding]:
    """A venue, edition or track that contradicts the catalog's (checked) one."""
    p, v = _published_known(rec, ctx), rec.venue
    if p is None or v is None or _is_preprint(rec, ctx):
        return []
    if (v.venue, v.year, v.track) == (p.venue.id, p.venue.year, p.venue.track):
        return []
    said = f"{ctx.cat.venues[v.venue].acronym} {v.year or ''}".strip() + (f" ({v.track})" if v.track != "main" else "")
    return _catalog_finding(
        rec, p, ctx, "venue-contradicts-catalog", f"says {said}, but the catalog has {_where(p, ctx)}"
    )


def check_signals_agree(rec: Record, ctx: Context) -> list[Finding]:
    """The record's own fields disagree (an edition number and a year, a booktitle and what the DOI proves)."""
    p = _published_known(rec, ctx)
    fix = _catalog_fix(rec, p, ctx) if p is not None else {}
    return [rec.finding(_venue_field(rec), "venue-contradicts-record", w, fix) for w in rec.warnings]


def check_known_venue(rec: Record, ctx: Context) -> list[Finding]:
    """A venue string the registry cannot read (with the closest known name)."""
    if rec.venue is not None or not rec.venue_text:
        return []
    close = ctx.cat.index.suggest(rec.venue_text)
    hint = f"; closest known: {ctx.cat.venues[close].name!r}" if close else ""
    return [rec.finding(_venue_field(rec), "venue-unknown", f"unknown venue {rec.venue_text!r}{hint}")]


def check_text(rec: Record, ctx: Context) -> list[Finding]:
    """Mojibake (UTF-8 read as Latin-1: 'MÃ¼ller') and accent residue ('Mu¨ller', leftover LaTeX)."""
    out = []
    for name in TEXT_FIELDS:
        value = rec.get(name) if name != "author" else " and ".join(_authors(rec))
        if not value:
            continue
        fixed = ftfy.fix_encoding(value)
        if fixed != value:
            raw = _raw_value(rec, name)
            out.append(
                rec.finding(
                    name,
                    "text-mojibake",
                    f"mojibake in {name}: {_cut(value)!r} (meant: {_cut(fixed)!r})",
                    {name: ftfy.fix_encoding(raw)} if raw else {},
                )
            )
        elif _SPACING_ACCENT.search(value) or _LATEX_LEFT.search(value):
            out.append(
                rec.finding(
                    name,
                    "text-accent-residue",
                    f'accent residue in {name}: {_cut(value)!r} (write the letter: ü, or LaTeX: {{\\"u}})',
                )
            )
    return out


# ---- whole-file checks -----------------------------------------------------------------------------------
def check_duplicates(recs: list[Record], ctx: Context) -> list[Finding]:
    """The same paper twice in the file (same arXiv id, DOI or normalised title): each later record."""
    first: dict[str, Record] = {}
    out = []
    for rec in recs:
        ids = _ids(rec.arxiv, rec.doi, rec.get("title"))
        dup = next((first[i] for i in ids if i in first and first[i] is not rec), None)
        for i in ids:
            first.setdefault(i, rec)
        if dup is not None:
            what = {"a": "arXiv id", "d": "DOI", "t": "title"}[next(i for i in ids if first.get(i) is dup)[0]]
            out.append(rec.finding(None, "duplicate", f"same {what} as {dup.key} (line {dup.line})"))
    return out


RECORD_CHECKS = [check_published, check_venue_matches_catalog, check_signals_agree, check_known_venue, check_text]
FILE_CHECKS = [check_duplicates]


def check(records: list[Record], ctx: Context) -> list[Finding]:
    out = [f for rec in records for chk in RECORD_CHECKS for f in chk(rec, ctx)]
    out += [f for chk in FILE_CHECKS for f in chk(records, ctx)]
    return sorted(out, key=lambda f: (f.problem.line or 0, f.problem.code, f.problem.message))


# ---- helpers -------------------------------------------------------------------------------------------
def _venue_field(rec: Record) -> str | None:
    return next((n for n in ("booktitle", "journal", "howpublished") if rec.get(n)), None)


def _authors(rec: Record) -> list[str]:
    f = {k.lower(): v for k, v in rec.entry.fields_dict.items()}.get("author")
    return [bib.clean(a) for a in f.value] if f is not None and isinstance(f.value, list) else []


def _cut(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _raw_value(rec: Record, name: str) -> str | None:
    f = {k.lower(): v for k, v in rec.raw.fields_dict.items()}.get(name) if rec.raw is not None else None
    return f.value if f is not None and isinstance(f.value, str) else None
