"""Text hygiene in titles, authors and other display text: LaTeX residue, mojibake, stray whitespace."""

from __future__ import annotations

import re

from catalog.load import Catalog, Entry
from catalog.problems import Problem, clip

_LATEX = re.compile(r"\\[a-zA-Z'`^\"~=.]|[{}]|\$")  # \'e  {\"u}  \c{c}  braces  math
# A LaTeX acute that lost its backslash: Juki'c (apostrophe + one letter ending the word) or Kacz'er
# (consonant before, lower-case letter after). O'Brien, D'Amour (capital after) and Ya'acov, Sa'id (a vowel
# before: transliteration) are names, not residue.
_NAME_APOSTROPHE = re.compile(r"[a-zà-ž]['’´`][a-zà-ž]\b|[b-df-hj-np-tv-xzß]['’´`][a-zà-ž]")
_TITLE_APOSTROPHE = re.compile(r"[A-Za-z]['´`](?!(?:s|t|d|ll|re|ve|m)\b)[a-zA-Z]")  # Teacher's, Don't are fine
_BAD_SPACE = re.compile(r"^\s|\s$|\s{2,}|[\t\n\r\u00a0\u200b\u2009\u202f\ufeff]")
_ET_AL = re.compile(r"^(et\.? al\.?|others|and others)$", re.I)
# Several names in one: "Collin Burns - Pavel Izmailov" is what YAML makes of an over-indented list item
# ("  - Pavel Izmailov" under "- Collin Burns" continues the first scalar); commas, semicolons, "and", "&"
# and a newline come from pasted author strings.
_FOLDED = re.compile(r"\s-\s|[,;&\n]|\sand\s", re.I)


def mojibake(text: str) -> str | None:
    """The intended text when `text` is UTF-8 decoded as cp1252/latin-1 (e.g. 'Ã©' for 'é'), else None."""
    if text.isascii():
        return None
    if "\ufffd" in text:
        return "?"
    for enc in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return None


_SUSPECT = re.compile(r"[\\{}$'`´’\t\n\r\u00a0\u200b\u2009\u202f\ufeff]|  |^\s|\s$")


def _text_problems(e: Entry, field: str, text: str, name: bool) -> list[Problem]:
    if not _SUSPECT.search(text) and (text.isascii() or mojibake(text) is None):
        return []  # the common case: one regex instead of four
    out = []
    if _LATEX.search(text):
        out.append(e.problem(field, "error", "text-latex", f"LaTeX residue in {text!r}: write proper Unicode"))
    elif (_NAME_APOSTROPHE if name else _TITLE_APOSTROPHE).search(text):
        out.append(
            e.problem(
                field,
                "error",
                "text-latex",
                f"broken accent in {text!r} (a LaTeX \\' that lost its backslash?): write proper Unicode",
            )
        )
    fixed = mojibake(text)
    if fixed:
        out.append(
            e.problem(
                field,
                "error",
                "text-mojibake",
                f"mojibake in {text!r}" + (f" (meant {fixed!r}?)" if fixed != "?" else ""),
            )
        )
    if _BAD_SPACE.search(text):
        out.append(e.problem(field, "error", "text-whitespace", f"stray whitespace in {text!r}"))
    return out


def check_text(cat: Catalog) -> list[Problem]:
    out = []
    for e in cat.entries:
        p = e.paper
        out += _text_problems(e, "title", p.title, name=False)
        if p.arxiv and p.arxiv.title:
            out += _text_problems(e, "arxiv.title", p.arxiv.title, name=False)
        if p.venue.workshop:
            out += _text_problems(e, "venue.workshop", p.venue.workshop, name=False)
        for i, a in enumerate(p.authors):
            if _ET_AL.match(a.strip()):
                out.append(e.problem(f"authors.{i}", "error", "authors-truncated", "give every author, not 'et al.'"))
                continue
            if _FOLDED.search(a):
                out.append(
                    e.problem(
                        f"authors.{i}",
                        "error",
                        "authors-folded",
                        f"{clip(a)} looks like several names in one (an author list item indented "
                        "under the previous one?): give one name per '- ' line",
                    )
                )
                continue
            out += _text_problems(e, f"authors.{i}", a, name=True)
        if len(set(p.authors)) != len(p.authors):
            out.append(e.problem("authors", "error", "authors-duplicate", "an author is listed twice"))
    return out
