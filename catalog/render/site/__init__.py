"""Generate the site's pages (MkDocs Material) from the catalog and the committed reproduction results.

``outputs(cat, repo_root)`` is a pure function of the catalog and of files on disk (``results/<recipe>/``,
``CONTRIBUTING.md``): it returns every generated file as ``{repo-relative path: content}``, ``str`` for
Markdown and ``bytes`` for copied images. ``python -m catalog build`` writes them; ``build --check`` compares.
Everything under ``GENERATED_DIRS`` and every path in ``GENERATED_FILES`` belongs to this package, so a file
there that ``outputs`` no longer returns (a removed paper) is stale.

One module per page kind (``use_directory_urls: true``, so ``docs/papers/<key>.md`` is served at
``/papers/<key>/``), each with ``pages(site) -> {path: content}``:
  papers.py         docs/papers/index.md (filterable, sortable table) and docs/papers/<key>.md
  topics.py         docs/topics/index.md and <id>.md: the taxonomy and the papers under each topic
  venues.py         docs/venues/index.md and <id>.md: the venues and their papers by edition
  reproductions.py  docs/reproductions/index.md: each recipe's command, results table and plot (copied)
  leaderboard.py    docs/reproductions/leaderboard.md: methods x tasks of each recipe's suite (and the README's)
  notes.py          docs/unresolved.md and docs/contributing.md
common.py holds what pages share (``Site``: the catalog with shared lookups computed once per build, front
matter, anchors, fences); embed.py adapts hand-written Markdown (results fragments, CONTRIBUTING.md).

Escaping: every text from the catalog goes through catalog.render.escape (``md()`` in Markdown, ``h()`` in
raw HTML and in the front-matter title and description, which Material inserts into the HTML as they are).
A fixture catalog in tests/fixtures/site/ has titles with ``| * _ < & #`` and non-ASCII names. Labels (venue,
authors, order) come from catalog.render.markdown, shared with the README; BibTeX is what ``python -m
catalog export --bibtex`` writes for that entry.

Cost: linear in the catalog.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.render.site import leaderboard, notes, papers, reproductions, topics, venues
from catalog.render.site.common import DOCS, Site

if TYPE_CHECKING:  # pragma: no cover
    from catalog.load import Catalog

GENERATED_DIRS = (DOCS / "papers", DOCS / "topics", DOCS / "venues", DOCS / "reproductions")
GENERATED_FILES = (DOCS / "unresolved.md", DOCS / "contributing.md")
PAGE_KINDS = (papers, topics, venues, reproductions, leaderboard, notes)


def outputs(cat: Catalog, repo_root: Path) -> dict[Path, str | bytes]:
    """Every generated site file, repo-relative path -> content (str: UTF-8 text, bytes: copied image)."""
    site = Site(cat, repo_root)
    out: dict[Path, str | bytes] = {}
    for kind in PAGE_KINDS:
        out.update(kind.pages(site))
    return dict(sorted(out.items(), key=lambda kv: kv[0].as_posix()))


def stale(repo_root: Path, generated: Iterable[Path]) -> list[Path]:
    """Files under GENERATED_DIRS that `generated` no longer contains (e.g. the page of a removed paper)."""
    keep = {Path(p).as_posix() for p in generated}
    root = Path(repo_root)
    found = []
    for d in GENERATED_DIRS:
        if (root / d).is_dir():
            found += [f.relative_to(root) for f in (root / d).rglob("*") if f.is_file()]
    return sorted(f for f in found if f.as_posix() not in keep)


def stage(cat: Catalog, repo_root: Path, dest: Path, project_root: Path | None = None) -> Path:
    """Write a complete MkDocs project into `dest` without touching the repository: mkdocs.yml and the
    hand-written docs/ files from `project_root` (default `repo_root`), the pages generated from `cat` and
    `repo_root` (results/, CONTRIBUTING.md). Returns dest/mkdocs.yml. Tests build the site from this."""
    project = Path(project_root if project_root is not None else repo_root)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(project / "mkdocs.yml", dest / "mkdocs.yml")
    for f in sorted((project / DOCS).rglob("*")):
        rel = f.relative_to(project)
        if f.is_file() and not is_generated(rel):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest / rel)
    for rel, content in outputs(cat, Path(repo_root)).items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return dest / "mkdocs.yml"


def is_generated(rel: Path) -> bool:
    """Whether the repo-relative path belongs to this generator (under GENERATED_DIRS or in GENERATED_FILES)."""
    rel = Path(rel)
    return rel in GENERATED_FILES or any(d in rel.parents for d in GENERATED_DIRS)
