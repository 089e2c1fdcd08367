"""docs/reproductions/index.md: each recipe linked from the catalog, its command and its committed results
(results/<recipe>/results.md and plots, the plots copied beside the page). ``results_block`` is also what a
paper page with a reproduction embeds."""

from __future__ import annotations

import re
from pathlib import Path

from catalog.render.escape import link, md
from catalog.render.site.common import DOCS, Site, anchor, fence, order, page_head
from catalog.render.site.embed import demote_headings, rewrite_links
from catalog.schema import RECIPE_RE

RESULT_IMAGES = (".png", ".svg")  # files of results/<recipe>/ copied next to the reproductions page


def results_dir(repo_root: Path, recipe: str) -> Path | None:
    """results/<recipe>/ (where the committed results of a recipe live), or None for an id that is no name."""
    return Path(repo_root) / "results" / recipe if RECIPE_RE.match(recipe) else None


def result_images(repo_root: Path, recipe: str) -> list[Path]:
    d = results_dir(repo_root, recipe)
    if d is None or not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in RESULT_IMAGES)


def results_block(repo_root: Path, recipe: str, to_images: str, level: int) -> str:
    """The committed results of `recipe` as Markdown: results.md (headings demoted to `level`) and each plot.
    `to_images`: the relative path from the page to docs/reproductions/<recipe>/."""
    d = results_dir(repo_root, recipe)
    if d is None:
        return f"No results: {md(recipe)} is not a recipe id.\n"
    frag = d / "results.md"
    images = result_images(repo_root, recipe)
    if not frag.is_file() and not images:
        return (
            f"No results yet: run `python -m repro run {recipe} --out results/{recipe}` and commit that "
            "folder (results.json, results.md, plot.png).\n"
        )
    parts = []
    keep = {img.name: f"{to_images}{img.name}" for img in images}
    referenced: set[str] = set()
    if frag.is_file():
        text = frag.read_text(encoding="utf-8").strip()
        referenced = {name for name in keep if re.search(rf"\]\((?:\./)?{re.escape(name)}[)\s#]", text)}
        parts.append(demote_headings(rewrite_links(text, keep), level))
    else:
        parts.append(f"No results table yet (`results/{recipe}/results.md` is missing).")
    for img in images:
        if img.name not in referenced:
            parts.append(f"![{md(recipe)}: {md(img.stem)}]({to_images}{img.name})")
    return "\n\n".join(parts) + "\n"


def index(s: Site) -> str:
    out = page_head(
        "Reproductions",
        "Reproductions",
        "Each recipe in `repro/recipes/` reproduces one paper's method on the shared trainer. The numbers "
        "below are the committed results in `results/<recipe>/` (written by `python -m repro run <recipe> "
        "--out results/<recipe>`); PGR is the fraction of the gap between "
        "the weak supervisor and the strong ceiling that the student recovers (see the "
        "[home page](../index.md#performance-gap-recovered-pgr)).",
    )
    if not s.recipes:
        out += ["No catalog entry links a recipe yet (`repro:` in `catalog/papers/<key>.yaml`).", ""]
    for r in s.recipes:
        papers = order(p for p in s.papers if p.repro == r)
        out += [
            f"## {md(r)} {{ #{anchor(r)} }}",
            "",
            "Reproduces " + "; ".join(link(p.title, f"../papers/{p.key}.md") + f" ({p.year})" for p in papers) + ".",
            "",
            fence(f"python -m repro run {r}", "bash"),
            "### Latest results",
            "",
            results_block(s.root, r, f"{r}/", 4),
        ]
    return "\n".join(out)


def pages(s: Site) -> dict[Path, str | bytes]:
    out: dict[Path, str | bytes] = {DOCS / "reproductions" / "index.md": index(s)}
    for r in s.recipes:
        for img in result_images(s.root, r):
            out[DOCS / "reproductions" / r / img.name] = img.read_bytes()
    return out
