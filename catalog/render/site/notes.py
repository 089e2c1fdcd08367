"""The two single pages: docs/unresolved.md (seed rows that name no single paper) and docs/contributing.md
(a copy of CONTRIBUTING.md, links to files outside the site turned into text)."""

from __future__ import annotations

from pathlib import Path

from catalog.render.escape import link, md
from catalog.render.site.common import DOCS, Site, page_head
from catalog.render.site.embed import rewrite_links
from catalog.schema import Unresolved


def unresolved(s: Site) -> str:
    items: list[Unresolved] = sorted(s.cat.unresolved, key=lambda u: (u.seed, u.row))
    keys = {p.key for p in s.papers}
    out = page_head(
        "Unresolved",
        "Unresolved seed rows",
        "Rows of the seed lists that name no single identifiable paper, with the reason. Candidates are "
        "catalog entries the row may refer to.",
    )
    if not items:
        return "\n".join([*out, "None.", ""])
    out += ["| Seed | Row | Reason | Candidates |", "|------|-----|--------|------------|"]
    for u in items:
        cands = ", ".join(link(c, f"papers/{c}.md") if c in keys else md(c) for c in u.candidates)
        out.append(f"| {md(u.seed)} | {md(u.row)} | {md(u.reason)} | {cands} |")
    return "\n".join(out) + "\n"


def contributing(s: Site) -> str:
    src = s.root / "CONTRIBUTING.md"
    head = page_head("Contributing")
    if src.is_file():
        return "\n".join([*head, rewrite_links(src.read_text(encoding="utf-8").strip(), {}), ""])
    return "\n".join(
        [
            *head,
            "# Contributing",
            "",
            "1. Add the paper: `python -m catalog add arxiv:<id>` or `python -m catalog add --bibtex FILE` writes "
            "`catalog/papers/<key>.yaml`.",
            "2. Fill in `venue`, `venue_evidence` (a link a reader can follow), `topics` and a short `summary`.",
            "3. Run `python -m catalog validate`, then `python -m catalog build` to regenerate the README tables "
            "and this site.",
            "4. Open a pull request.",
            "",
        ]
    )


def pages(s: Site) -> dict[Path, str | bytes]:
    return {DOCS / "unresolved.md": unresolved(s), DOCS / "contributing.md": contributing(s)}
