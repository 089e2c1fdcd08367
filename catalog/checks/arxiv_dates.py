"""arXiv id and dates: the id agrees with the first-version date; the year agrees with both; a first version
long after the claimed edition is an error, shortly after a warning."""

from __future__ import annotations

import datetime as dt
import re

from catalog.load import Catalog
from catalog.problems import Problem

_ID = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})$")
LATE_ERROR_DAYS = 365  # first arXiv version this long after the edition: the venue claim is wrong
_SUBMIT_GRACE_DAYS = 4  # a paper submitted in the last days of a month may get the next month's id


def id_month(arxiv_id: str) -> tuple[int, int] | None:
    m = _ID.match(arxiv_id)
    if not m:
        return None
    return 2000 + int(m.group("yy")), int(m.group("mm"))


def id_error(arxiv_id: str) -> str | None:
    """What is wrong with a new-style arXiv id (see check_arxiv_id), or None."""
    m = _ID.match(arxiv_id)
    if not m:
        return f"{arxiv_id!r} is not YYMM.NNNNN"
    yy, mm, num = int(m.group("yy")), int(m.group("mm")), m.group("num")
    if not 1 <= mm <= 12 or (yy, mm) < (7, 4):
        return f"{arxiv_id!r}: no such month (new-style ids start at 0704)"
    if (yy >= 15) != (len(num) == 5):
        return f"{arxiv_id!r}: ids from 2015 on have 5 digits after the dot, earlier ones 4"
    return None


def check_arxiv_id(cat: Catalog) -> list[Problem]:
    """Well-formed: YYMM.NNNNN with a real month, 5 digits from 1501 on, 4 before; not in the future."""
    out = []
    for e in cat.entries:
        a = e.paper.arxiv
        msg = id_error(a.id) if a is not None else None
        if msg is not None:
            out.append(e.problem("arxiv.id", "error", "arxiv-id", msg))
    return out


def check_arxiv_dates(cat: Catalog) -> list[Problem]:
    out = []
    for e in cat.entries:
        p, a = e.paper, e.paper.arxiv
        if a is None:
            continue
        ym = id_month(a.id)
        fv = a.first_version
        if ym is not None:
            nxt = fv + dt.timedelta(days=_SUBMIT_GRACE_DAYS)
            next_month = (fv.year + fv.month // 12, fv.month % 12 + 1)
            if ym in {(fv.year, fv.month), (nxt.year, nxt.month)}:
                pass
            elif ym == next_month:
                out.append(
                    e.problem(
                        "arxiv.first_version",
                        "warning",
                        "arxiv-date",
                        f"first_version {fv} is early for arXiv id {a.id} (announced {ym[0]}-{ym[1]:02d}; held in moderation?)",
                    )
                )
            else:
                out.append(
                    e.problem(
                        "arxiv.first_version",
                        "error",
                        "arxiv-date",
                        f"first_version {fv} does not fit arXiv id {a.id} (announced {ym[0]}-{ym[1]:02d})",
                    )
                )
        if p.year > fv.year:
            out.append(
                e.problem(
                    "year",
                    "error",
                    "year-arxiv",
                    f"year {p.year} is after the first arXiv version ({fv}); year is the first public appearance",
                )
            )
        elif p.year < fv.year and (p.venue.year is None or p.venue.year > p.year):
            out.append(
                e.problem(
                    "year",
                    "warning",
                    "year-arxiv",
                    f"year {p.year} is before the first arXiv version ({fv}) and before the venue edition",
                )
            )
        ed = cat.index.edition(p.venue.id, p.venue.year)
        if ed is None:
            continue
        ref = ed.end or ed.start or dt.date(ed.year, 12, 31)
        late = (fv - ref).days
        label = f"{cat.venues[p.venue.id].acronym} {ed.year}"
        if late > LATE_ERROR_DAYS:
            out.append(
                e.problem(
                    "venue.year",
                    "error",
                    "venue-after-arxiv",
                    f"first arXiv version {fv} is {late} days after {label} ended ({ref}): the edition is wrong",
                )
            )
        elif late > 0:
            out.append(
                e.problem(
                    "venue.year",
                    "warning",
                    "venue-after-arxiv",
                    f"first arXiv version {fv} is {late} days after {label} ({ref}); check the edition",
                )
            )
    return out
