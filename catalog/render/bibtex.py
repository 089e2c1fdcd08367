"""BibTeX export: what ``python -m catalog export --bibtex`` writes and each site page shows.

Each entry carries what its venue's own proceedings print (`FORMS`): NeurIPS "Advances in Neural
Information Processing Systems" with its volume; PMLR venues "Proceedings of the Nth International
Conference on ..." with series, volume and publisher; ICLR and COLM their OpenReview booktitles ("The Twelfth
International Conference on Learning Representations"); ACL Anthology venues their Anthology booktitles and
publisher; AAAI its proceedings with the volume; journals journal and volume. Only standard fields are
written: ``origdate`` (biblatex: the first public appearance; the arXiv first-version date when that is the
paper's year) and ``eventtitle`` (the workshop) besides BibTeX's own. ``add --bibtex`` reads all of them
back: export then import gives the same key, title, authors, year, venue, DOI, arXiv id and first version
(except when the paper's year precedes its arXiv version), and paper link.
"""

from __future__ import annotations

import re
import unicodedata

import bibtexparser
from bibtexparser import BibtexFormat
from bibtexparser.library import Library
from bibtexparser.middlewares import LatexEncodingMiddleware, default_unparse_stack
from bibtexparser.model import Block, Field
from bibtexparser.model import Entry as BibEntry

from catalog.load import Catalog
from catalog.registry import VenueIndex, ordinal, spelled_ordinal
from catalog.render.markdown import venue_label
from catalog.schema import Paper

_ACL = "Association for Computational Linguistics"
_PMLR = {"series": "Proceedings of Machine Learning Research", "volume": "{pmlr}", "publisher": "PMLR"}

# venue id (or (venue id, first edition year it applies to)) -> fields; {nth} "41st", {Nth} "Forty-first",
# {number} the edition's number (volume), {pmlr} its PMLR volume, {year}, {acronym}, {acl_volume} the
# Anthology volume a DOI names (" (Volume 1: Long Papers)"). A form whose placeholder has no value for an
# edition is not used (the generic form is).
FORMS: dict[str | tuple[str, int], dict[str, str]] = {
    "neurips": {
        "booktitle": "Advances in Neural Information Processing Systems",
        "volume": "{number}",
        "publisher": "Curran Associates, Inc.",
    },
    "icml": {"booktitle": "Proceedings of the {nth} International Conference on Machine Learning", **_PMLR},
    "aistats": {
        "booktitle": "Proceedings of the {nth} International Conference on Artificial Intelligence and Statistics",
        **_PMLR,
    },
    "colt": {"booktitle": "Proceedings of the {nth} Conference on Learning Theory", **_PMLR},
    "iclr": {"booktitle": "The {Nth} International Conference on Learning Representations"},
    "colm": {"booktitle": "{Nth} Conference on Language Modeling"},
    "aaai": {"booktitle": "Proceedings of the AAAI Conference on Artificial Intelligence", "volume": "{number}"},
    "acl": {"booktitle": "Proceedings of the {nth} Annual Meeting of the " + _ACL + "{acl_volume}", "publisher": _ACL},
    "emnlp": {
        "booktitle": "Proceedings of the {year} Conference on Empirical Methods in Natural Language Processing",
        "publisher": _ACL,
    },
    "naacl": {
        "booktitle": "Proceedings of the {year} Conference of the North American Chapter of the "
        + _ACL
        + ": Human Language Technologies{acl_volume}",
        "publisher": _ACL,
    },
    ("naacl", 2025): {
        "booktitle": "Proceedings of the {year} Conference of the Nations of the Americas Chapter of "
        "the " + _ACL + ": Human Language Technologies{acl_volume}",
        "publisher": _ACL,
    },
    "eacl": {
        "booktitle": "Proceedings of the {nth} Conference of the European Chapter of the " + _ACL + "{acl_volume}",
        "publisher": _ACL,
    },
    "coling": {
        "booktitle": "Proceedings of the {nth} International Conference on Computational Linguistics",
        "publisher": _ACL,
    },
    ("coling", 2024): {
        "booktitle": "Proceedings of the 2024 Joint International Conference on Computational "
        "Linguistics, Language Resources and Evaluation (LREC-COLING 2024)"
    },
    ("coling", 2025): {
        "booktitle": "Proceedings of the {nth} International Conference on Computational Linguistics",
        "publisher": _ACL,
    },
    "findings": {"booktitle": "Findings of the " + _ACL + ": {acronym} {year}", "publisher": _ACL},
}
_ACL_VOLUMES = {"long": " (Volume 1: Long Papers)", "short": " (Volume 2: Short Papers)"}
_ANTHOLOGY_DOI = re.compile(r"^10\.18653/v1/\d{4}\.[a-z]+-(?P<kind>[a-z]+)\.\d+$", re.I)


def _form(ix: VenueIndex, p: Paper) -> dict[str, str] | None:
    """The venue's own fields for `p`, filled in; None when the venue has no form or the edition lacks a value."""
    v = p.venue
    form: dict[str, str] | None
    if v.track == "findings":
        form = FORMS["findings"]
    else:
        editions = sorted(k[1] for k in FORMS if isinstance(k, tuple) and k[0] == v.id and k[1] <= (v.year or 0))
        form = FORMS.get((v.id, editions[-1])) if editions else FORMS.get(v.id)
    if form is None:
        return None
    edition = ix.edition(v.id, v.year)
    number = edition.number if edition else None
    m = _ANTHOLOGY_DOI.match(p.doi or "")
    values = {
        "year": v.year,
        "acronym": ix.venues[v.id].acronym,
        "number": number,
        "pmlr": ix.pmlr_volume(v.id, v.year),
        "nth": ordinal(number) if number else None,
        "Nth": spelled_ordinal(number) if number else None,
        "acl_volume": _ACL_VOLUMES.get(m.group("kind").lower(), "") if m else "",
    }
    out = {}
    for name, template in form.items():
        needed = re.findall(r"{(\w+)}", template)
        if any(values[k] is None for k in needed):
            return None
        out[name] = template.format(**values)
    return out


def venue_fields(p: Paper, cat: Catalog) -> tuple[str, list[tuple[str, str]]]:
    """(entry type, the fields that say where and when `p` was published, `year` last): what `export`
    writes, and what ``check-bib --fix`` puts into a user's record of the paper."""
    v = p.venue
    venue = cat.venues.get(v.id)
    fields: list[tuple[str, str]] = []
    form = _form(cat.index, p) if venue is not None and v.track in ("main", "findings", "journal") else None
    if venue is None or venue.kind == "preprint":
        etype = "misc"
        year = p.year
        if venue is not None and v.id != "arxiv":
            fields.append(("howpublished", venue.name))
    elif v.track == "journal":
        etype = "article"
        year = v.year or p.year
        fields.append(("journal", venue.name))
        edition = cat.index.edition(v.id, v.year)
        if edition and edition.number:
            fields.append(("volume", str(edition.number)))
    else:
        etype = "inproceedings"
        year = v.year or p.year
        if form:
            fields += list(form.items())
        elif v.track == "workshop":
            fields.append(("booktitle", f"{v.workshop}, {venue.acronym} {v.year} Workshop"))
            fields.append(("eventtitle", v.workshop or ""))
        elif v.track == "findings":
            fields.append(("booktitle", venue_label(p, cat.venues)))
        else:
            fields.append(("booktitle", f"{venue.name}, {venue_label(p, cat.venues)}"))
    fields.append(("year", str(year)))
    return etype, fields


def _entry(p: Paper, cat: Catalog) -> BibEntry:
    etype, where = venue_fields(p, cat)
    fields: list[tuple[str, str]] = [("title", p.title), ("author", " and ".join(p.authors)), *where]
    year = int(where[-1][1])
    if p.arxiv and p.arxiv.first_version.year == p.year:
        fields.append(("origdate", p.arxiv.first_version.isoformat()))
    elif p.year != year:
        fields.append(("origdate", str(p.year)))
    if p.doi:
        fields.append(("doi", p.doi))
    if p.links.paper:
        fields.append(("url", str(p.links.paper)))
    if p.arxiv:
        fields += [("eprint", p.arxiv.id), ("archiveprefix", "arXiv")]
    return BibEntry(etype, p.key, [Field(k, val) for k, val in fields])


class _LatexEncoding(LatexEncodingMiddleware):
    """``LatexEncodingMiddleware(keep_math=True, enclose_urls=False)`` with the same output, much cheaper.

    pylatexenc encodes a value position by position: the keep-math rule (a ``$...$`` span, kept as is) is
    tried first, else the character's own replacement (its default rule, or the character itself). So a
    value without ``$`` encodes to the concatenation of its (NFC-normalised) characters' encodings, and
    each distinct character is sent through pylatexenc once; a value with ``$`` goes through whole. Each
    distinct value is encoded once too (venue names, years and "arXiv" recur in every entry). pylatexenc's
    Python loop over every character was most of the time of exporting thousands of entries.
    tests/test_catalog_bibtex.py checks the equivalence on arbitrary text."""

    def __init__(self) -> None:
        super().__init__(keep_math=True, enclose_urls=False, allow_inplace_modification=True)
        self._values: dict[str, tuple[str, str]] = {}
        self._chars: dict[int, str] = {}  # code point -> its encoding, a str.translate table
        self._known: set[str] = set()  # the characters in _chars

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        done = self._values.get(python_string)
        if done is None:
            if "$" in python_string:  # the keep-math rule spans characters
                done = super()._transform_python_value_string(python_string)
            else:
                text = unicodedata.normalize("NFC", python_string)
                try:
                    for ch in set(text) - self._known:
                        self._chars[ord(ch)] = self._encoder.unicode_to_latex(ch)
                        self._known.add(ch)
                except Exception:  # as the middleware: keep the value, report the error
                    done = super()._transform_python_value_string(python_string)
                else:
                    done = text.translate(self._chars), ""
            self._values[python_string] = done
        return done


def latex(value: str) -> str:
    """`value` as a BibTeX field value (LaTeX-encoded as `export` writes it)."""
    return _LatexEncoding()._transform_python_value_string(value)[0]


def _unparse_stack() -> list:
    """LaTeX encoding, then bibtexparser's default unparse stack, all in place: the entries are built by
    `_entry` only to be written, so no middleware needs to deep-copy them (copying was most of the time)."""
    return [_LatexEncoding(), *default_unparse_stack(allow_inplace_modification=True)]


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"


def export(cat: Catalog) -> str:
    """The whole catalog as BibTeX (what ``python -m catalog export --bibtex`` writes)."""
    lib = Library([_entry(e.paper, cat) for e in cat.entries])
    return _tidy(bibtexparser.write_string(lib, unparse_stack=_unparse_stack()))


_SEPARATOR = "\n\x1e\n"  # between entries when export_each writes them all at once (ASCII record separator)


def export_each(cat: Catalog) -> list[str]:
    """One BibTeX text per entry of ``cat.entries`` (same order): for each entry, exactly what `export`
    writes for a catalog holding only that entry; `export(cat)` is these texts joined by a blank line.

    All entries go through one bibtexparser write (one encoder, so a value or character shared by many
    entries is LaTeX-encoded once), separated by `_SEPARATOR`; bibtexparser transforms and writes each
    block on its own, so the pieces are the single-entry texts. The split is used only when it is exact
    (the separator occurs exactly between the entries, and no key repeats); else each entry is written
    alone."""
    entries = [_entry(e.paper, cat) for e in cat.entries]
    stack = _unparse_stack()
    if len({b.key for b in entries}) == len(entries) > 0:
        fmt = BibtexFormat()
        fmt.block_separator = _SEPARATOR
        library = Library(list[Block](entries))
        parts = bibtexparser.write_string(library, unparse_stack=stack, bibtex_format=fmt).split(_SEPARATOR)
        if len(parts) == len(entries):
            return [_tidy(part) for part in parts]
        entries = [_entry(e.paper, cat) for e in cat.entries]  # the write encoded these in place
    return [_tidy(bibtexparser.write_string(Library([b]), unparse_stack=stack)) for b in entries]
