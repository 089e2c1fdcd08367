"""The same paper twice: by version-less arXiv id, DOI, or normalized title (across the whole catalog)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable

from catalog.load import Catalog, Entry
from catalog.problems import Problem

_VERSION = re.compile(r"v\d+$")


_NON_ALNUM = re.compile(r"[\W_]+")


def norm_title(title: str) -> str:
    """Case, accents, punctuation and spaces removed: 'Weak-to-Strong' == 'weak to strong'."""
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKD", title).casefold())


def _dups(cat: Catalog, keyfn: Callable[[Entry], list[str]], field: str, what: str) -> list[Problem]:
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in cat.entries:
        for k in keyfn(e):
            if k:
                groups[k].append(e)
    out = []
    for es in groups.values():
        uniq = list({id(x): x for x in es}.values())
        if len(uniq) < 2:
            continue
        keys = [x.paper.key for x in uniq]
        for x in uniq:
            others = ", ".join(o for o in keys if o != x.paper.key)
            out.append(x.problem(field, "error", "duplicate", f"same {what} as {others}"))
    return out


def check_duplicate_arxiv(cat: Catalog) -> list[Problem]:
    return _dups(cat, lambda e: [_VERSION.sub("", e.paper.arxiv.id)] if e.paper.arxiv else [], "arxiv.id", "arXiv id")


def check_duplicate_doi(cat: Catalog) -> list[Problem]:
    return _dups(cat, lambda e: [e.paper.doi.lower()] if e.paper.doi else [], "doi", "DOI")


def check_duplicate_title(cat: Catalog) -> list[Problem]:
    def titles(e: Entry) -> list[str]:
        t = [norm_title(e.paper.title)]
        if e.paper.arxiv and e.paper.arxiv.title:
            t.append(norm_title(e.paper.arxiv.title))
        return list(dict.fromkeys(t))

    return _dups(cat, titles, "title", "normalized title")
