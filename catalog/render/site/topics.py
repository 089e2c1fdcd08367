"""docs/topics/index.md (the taxonomy) and docs/topics/<id>.md (the papers under each topic, sub-topics
included)."""

from __future__ import annotations

from pathlib import Path

from catalog.render.escape import link, md
from catalog.render.site.common import DOCS, Site, anchor, page_head
from catalog.schema import Topic


def index(s: Site) -> str:
    out = page_head(
        "Topics",
        "Topics",
        "The taxonomy: research areas and their sub-topics. A paper counts under every topic it lists and "
        "under each parent area.",
    )
    for t in s.topics_in_order:
        depth = len(s.ancestors(t.id)) - 1
        n = len(s.papers_under.get(t.id, []))
        if depth == 0:
            out += ["", f"## {md(t.name)} {{ #{anchor(t.id)} }}", ""]
            if t.description:
                out += [md(t.description), ""]
        out.append(f"{'    ' * depth}- {link(t.name, f'{t.id}.md')} — {n} paper{'s' if n != 1 else ''}")
    return "\n".join(out) + "\n"


def page(s: Site, t: Topic) -> str:
    papers = s.papers_under.get(t.id, [])
    out = page_head(t.name, md(t.name))
    if t.description:
        out += [md(t.description), ""]
    chain = s.ancestors(t.id)[1:]
    if chain:
        out += ["Part of " + " › ".join(s.topic_link(a, "../") for a in reversed(chain)) + ".", ""]
    children = [c for c in s.topics.values() if c.parent == t.id]
    if children:
        out += ["Sub-topics: " + ", ".join(s.topic_link(c.id, "../") for c in children) + ".", ""]
    out += [
        f"{len(papers)} paper{'s' if len(papers) != 1 else ''} "
        f"([filter the papers table by this topic](../papers/index.md?topic={t.id})).",
        "",
    ]
    if papers:
        out.append(s.paper_table(papers, "../"))
    return "\n".join(out)


def pages(s: Site) -> dict[Path, str | bytes]:
    out: dict[Path, str | bytes] = {DOCS / "topics" / "index.md": index(s)}
    for t in s.topics.values():
        out[DOCS / "topics" / f"{t.id}.md"] = page(s, t)
    return out
