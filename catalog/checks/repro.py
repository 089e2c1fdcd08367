"""The link between a catalog entry and the recipe that reproduces it, checked both ways: ``repro: <id>`` in
the entry names a recipe on disk, and that recipe's ``PAPER`` constant names the entry back.

A recipe is a folder ``repro/recipes/<id>/`` whose ``recipe.py`` or ``__init__.py`` defines ``PAPER``, or a
module ``repro/recipes/<id>.py`` (the older layout). Recipes are parsed, never imported (no torch here)."""

from __future__ import annotations

import ast
from pathlib import Path

from catalog.load import Catalog, display_path
from catalog.problems import Problem, clip


def recipe_sources(recipes_dir: Path) -> dict[str, Path]:
    """Recipe id -> the file that should define PAPER, for every recipe under `recipes_dir`."""
    found: dict[str, Path] = {}
    if not recipes_dir.is_dir():
        return found
    for path in sorted(recipes_dir.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.is_dir():
            files = [f for f in (path / "recipe.py", path / "__init__.py") if f.is_file()]
            if files:
                found[path.name] = next((f for f in files if _defines_paper(f)), files[0])
        elif path.suffix == ".py":
            found[path.stem] = path
    return found


def _assigned_paper(path: Path) -> tuple[str | None, str | None]:
    """(the string assigned to PAPER at module level, None) or (None, why not)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
        return None, f"cannot read it ({type(exc).__name__})"
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "PAPER" for t in targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value, None
            return None, "its PAPER is not a string literal"
    return None, "it defines no PAPER = '<catalog key>'"


def _defines_paper(path: Path) -> bool:
    return _assigned_paper(path)[0] is not None


def check_repro_link(cat: Catalog) -> list[Problem]:
    recipes_dir = cat.repo_root / "repro" / "recipes"
    sources = recipe_sources(recipes_dir)
    papers = {rid: _assigned_paper(path) for rid, path in sources.items()}
    out = []
    for e in cat.entries:
        rid = e.paper.repro
        if rid is None:
            continue
        if rid not in sources:
            known = ", ".join(sources) or "none"
            out.append(
                e.problem(
                    "repro",
                    "error",
                    "repro-unknown",
                    f"no recipe {clip(rid)} (repro/recipes/{rid}/ or {rid}.py); recipes: {known}",
                )
            )
            continue
        paper, why = papers[rid]
        where = display_path(sources[rid])
        if paper is None:
            out.append(e.problem("repro", "error", "repro-paper", f"recipe {where}: {why}"))
        elif paper != e.paper.key:
            out.append(
                e.problem(
                    "repro", "error", "repro-paper", f"recipe {where} says PAPER = {clip(paper)}, not {e.paper.key!r}"
                )
            )
    # The other way: a recipe's paper links back to it. Only on the full catalog (a --papers subset may
    # leave the paper out).
    if cat.papers_dir is not None and cat.papers_dir != cat.root / "papers":
        return out
    by_key = {e.paper.key: e for e in cat.entries}
    failed = {p.key for p in cat.problems if p.severity == "error"}  # reported already, by check_schema
    for rid, (paper, _) in papers.items():
        if paper is None or paper in failed:
            continue
        linked = by_key.get(paper)
        if linked is None:
            out.append(
                Problem(
                    None,
                    display_path(sources[rid]),
                    None,
                    "PAPER",
                    "error",
                    "repro-paper",
                    f"recipe {rid!r} names PAPER = {clip(paper)}, which is not a catalog key",
                )
            )
        elif linked.paper.repro != rid:
            have = f"repro: {linked.paper.repro}" if linked.paper.repro else "no repro:"
            where = display_path(sources[rid])
            out.append(
                linked.problem(
                    "repro" if linked.paper.repro else None,
                    "error",
                    "repro-paper",
                    f"recipe {where} reproduces this paper, but the entry has {have}; add repro: {rid}",
                )
            )
    return out
