"""docs/papers/index.md (every paper in one filterable, sortable raw-HTML table, driven by
docs/assets/js/papers-table.js) and docs/papers/<key>.md (one page per paper: metadata, evidence, links,
summary, results, BibTeX)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from catalog.render.escape import h, link, md, md_text
from catalog.render.markdown import authors_short, venue_label
from catalog.render.site.common import DOCS, NOTICE, Site, anchor, fence, front_matter, order, topic_name
from catalog.render.site.reproductions import results_block

if TYPE_CHECKING:  # pragma: no cover
    from catalog.load import Entry

EVIDENCE_LABEL = {
    "doi": "DOI",
    "openreview": "OpenReview decision",
    "anthology": "ACL Anthology page",
    "proceedings": "proceedings page",
    "arxiv-comment": "arXiv comment",
    "publisher": "publisher page",
    "none": "no venue found",
}


def index(s: Site) -> str:
    papers = order(s.papers)
    years = sorted({p.year for p in papers}, reverse=True)
    used_venues = sorted(
        {p.venue.id for p in papers}, key=lambda v: s.venues[v].acronym.casefold() if v in s.venues else v
    )
    used_topics = {a for p in papers for t in p.topics for a in s.ancestors(t)}
    n_verified = sum(p.verified for p in papers)
    n_repro = sum(bool(p.repro) for p in papers)

    opts_year = "".join(f'<option value="{y}">{y}</option>' for y in years)
    opts_venue = "".join(
        f'<option value="{h(v)}">{h(s.venues[v].acronym if v in s.venues else v)}</option>' for v in used_venues
    )
    opts_topic = ""
    for t in s.topics_in_order:
        if t.id not in used_topics:
            continue
        indent = "\u00a0\u00a0\u00a0" * (len(s.ancestors(t.id)) - 1)
        opts_topic += f'<option value="{h(t.id)}">{indent}{h(t.name)}</option>'

    rows = []
    for p in papers:
        tids = p.topics
        all_tids = sorted({a for t in tids for a in s.ancestors(t)})
        label = venue_label(p, s.venues)
        search = " ".join([p.title, *p.authors, label, *(topic_name(t, s.topics) for t in all_tids), p.key]).casefold()
        title = f'<a href="{h(p.key)}/">{h(p.title)}</a>'
        if not p.verified:
            title += ' <span class="w2s-pill w2s-pill--unverified" title="venue not verified">unverified</span>'
        pills = "".join(f'<span class="w2s-pill">{h(topic_name(t, s.topics))}</span>' for t in tids)
        repro = (
            f'<a class="w2s-pill w2s-pill--repro" href="../reproductions/#{anchor(p.repro)}">{h(p.repro)}</a>'
            if p.repro
            else ""
        )
        rows.append(
            f'<tr data-year="{p.year}" data-venue="{h(p.venue.id)}" data-topics="{h(" ".join(all_tids))}" '
            f'data-repro="{"yes" if p.repro else "no"}" data-search="{h(search)}">'
            f'<td class="w2s-title" data-sort="{h(p.title.casefold())}">{title}</td>'
            f'<td class="w2s-authors" title="{h(", ".join(p.authors))}">{h(authors_short(p.authors))}</td>'
            f'<td class="w2s-year">{p.year}</td>'
            f'<td class="w2s-venue" data-sort="{h(label.casefold())}">{h(label)}</td>'
            f'<td class="w2s-topics">{pills}</td>'
            f'<td class="w2s-repro" data-sort="{"0" if p.repro else "1"}">{repro}</td></tr>'
        )
    head = ""
    for name, kind in [
        ("Title", "text"),
        ("Authors", "text"),
        ("Year", "number"),
        ("Venue", "text"),
        ("Topics", None),
        ("Reproduction", "text"),
    ]:
        head += f'<th data-type="{kind}"><button type="button">{name}</button></th>' if kind else f"<th>{name}</th>"
    return "\n".join(
        [
            front_matter(title="Papers", hide=["navigation", "toc"]),
            NOTICE,
            "",
            "# Papers",
            "",
            f"{len(papers)} papers; {n_verified} with a verified venue, {n_repro} with a reproduction in this "
            "repository. Filter by year, venue, topic or reproduction, search within the table, and click a "
            "column header to sort. Each title opens the paper's page with its BibTeX.",
            "",
            '<form id="w2s-filters" class="w2s-filters" autocomplete="off">'
            '<label>Search <input type="search" name="q" placeholder="Title, author, venue, topic"></label>'
            f'<label>Year <select name="year"><option value="">All years</option>{opts_year}</select></label>'
            f'<label>Venue <select name="venue"><option value="">All venues</option>{opts_venue}</select></label>'
            f'<label>Topic <select name="topic"><option value="">All topics</option>{opts_topic}</select></label>'
            '<label class="w2s-check"><input type="checkbox" name="repro" value="1"> Has reproduction</label>'
            '<button type="reset">Clear</button>'
            f'<span id="w2s-count" class="w2s-count" aria-live="polite">{len(papers)} papers</span>'
            "</form>",
            "",
            f'<table id="w2s-papers"><thead><tr>{head}</tr></thead><tbody>',
            *rows,
            "</tbody></table>",
            "",
            '<p id="w2s-empty" class="w2s-empty" hidden>No paper matches these filters.</p>',
            "",
        ]
    )


def page(s: Site, entry: Entry) -> str:
    p = entry.paper
    v = s.venues.get(p.venue.id)
    tags = [topic_name(t, s.topics) for t in p.topics]
    desc = f"{p.title}. {authors_short(p.authors).removesuffix('.')}. {venue_label(p, s.venues)}."
    fm = {"title": p.title, "description": desc, "hide": ["navigation"]}
    if tags:
        fm["tags"] = tags
    out = [
        front_matter(**fm),
        NOTICE,
        "",
        f"# {md(p.title)}",
        "",
        md(", ".join(p.authors)),
        "{ .w2s-authors-line }",
        "",
    ]
    if not p.verified:
        note = p.venue_evidence.note or "The venue and metadata of this entry have not been confirmed yet."
        out += ['!!! warning "Not verified"', f"    {md_text(note)}", ""]

    meta = []
    venue = s.venue_link(p, "../")
    if v is not None and v.name != v.acronym and p.venue.track != "preprint" and v.kind != "preprint":
        venue += f" — {md(v.name)}"
    if p.venue.track not in ("main", "preprint"):
        venue += f" · {md(p.venue.track)}"
    if p.venue.workshop:
        venue += f": {md(p.venue.workshop)}"
    meta.append(f"- **Venue** {venue}")
    ev = p.venue_evidence
    evidence = link(EVIDENCE_LABEL[ev.kind], str(ev.url)) if ev.url else md(EVIDENCE_LABEL[ev.kind])
    if ev.note:
        evidence += f" — {md_text(ev.note)}"
    meta.append(f"- **Evidence** {evidence}")
    meta.append(f"- **First public** {p.year}")
    if p.arxiv:
        a = f"{link(p.arxiv.id, f'https://arxiv.org/abs/{p.arxiv.id}')} · v1 {p.arxiv.first_version.isoformat()}"
        if p.arxiv.title:
            a += f" · arXiv title: {md(p.arxiv.title)}"
        meta.append(f"- **arXiv** {a}")
    if p.doi:
        meta.append(f"- **DOI** {link(p.doi, f'https://doi.org/{p.doi}')}")
    links = [
        link(name, str(u))
        for name, u in (("paper", p.links.paper), ("code", p.links.code), ("project", p.links.project))
        if u
    ]
    if links:
        meta.append(f"- **Links** {' · '.join(links)}")
    if p.topics:
        meta.append(f"- **Topics** {', '.join(s.topic_link(t, '../') for t in p.topics)}")
    if p.setting:
        meta.append(f"- **Setting** {md(p.setting)}")
    if p.weak_source:
        meta.append(f"- **Weak source** {md(p.weak_source)}")
    if p.repro:
        meta.append(
            f"- **Reproduction** [`python -m repro run {p.repro}`](../reproductions/index.md#{anchor(p.repro)})"
        )
    out += ['<div class="w2s-meta" markdown>', "", *meta, "", "</div>", ""]

    if p.summary:
        out += ["## Summary", "", md_text(p.summary), ""]
    if p.repro:
        out += [
            "## Reproduction",
            "",
            f"Recipe `{p.repro}`; rerun it with `python -m repro run {p.repro}`. "
            f"Latest committed results ([all reproductions](../reproductions/index.md#{anchor(p.repro)})):",
            "",
            results_block(s.root, p.repro, f"../reproductions/{p.repro}/", 3),
        ]
    out += ["## BibTeX", "", fence(s.bibtex(entry), "bibtex")]
    return "\n".join(out)


def pages(s: Site) -> dict[Path, str | bytes]:
    out: dict[Path, str | bytes] = {DOCS / "papers" / "index.md": index(s)}
    for e in s.cat.entries:
        out[DOCS / "papers" / f"{e.paper.key}.md"] = page(s, e)
    return out
