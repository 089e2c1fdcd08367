"""Collect every generated file (README block, docs pages, catalog/schema.json) and write the ones whose
content changed, atomically. ``check`` mode writes nothing and reports what is stale.

A renderer is any module of ``catalog.render`` that exposes ``outputs(cat, repo_root) -> {path:
content}`` (content ``str`` for text, ``bytes`` for copied files; paths absolute or repo-relative) and may
expose ``stale(repo_root, generated) -> [path]``: files it owns that it no longer generates (a removed
paper's page). Those are reported by ``--check`` and deleted by ``build``.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

from atomicio import atomic_write
from catalog import render
from catalog.load import Catalog, gc_paused
from catalog.schema import Paper, TopicRegistry, UnresolvedList, VenueRegistry

Content = str | bytes


def schema_json() -> str:
    """JSON Schema of a paper entry, with the registries under ``$defs`` (topics.yaml and venues.yaml point
    at ``schema.json#/$defs/TopicRegistry`` and ``#/$defs/VenueRegistry``)."""
    from pydantic.json_schema import models_json_schema

    _, top = models_json_schema(
        [(m, "validation") for m in (Paper, VenueRegistry, TopicRegistry, UnresolvedList)],
        ref_template="#/$defs/{model}",
    )
    defs = top["$defs"]
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "W2S catalog paper entry",
              **defs["Paper"], "$defs": defs}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def renderer_modules() -> list:
    """Every module of catalog.render that defines ``outputs`` (found on disk, in name order: no hand-kept
    list to mistype). A module that fails to import is an error, never skipped."""
    mods = []
    for info in sorted(pkgutil.iter_modules(render.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{render.__name__}.{info.name}")
        if callable(getattr(mod, "outputs", None)):
            mods.append(mod)
    if not mods:
        raise RuntimeError(f"no renderer found in {render.__name__}")  # programming error
    return mods


@dataclass
class Plan:
    outputs: dict[Path, Content] = field(default_factory=dict)  # absolute path -> content
    orphans: list[Path] = field(default_factory=list)  # generated files no renderer produces any more


def plan(cat: Catalog, repo_root: Path) -> Plan:
    repo_root = Path(repo_root).resolve()
    p = Plan({cat.root / "schema.json": schema_json()})
    for mod in renderer_modules():
        with gc_paused():  # renderers build many strings and no cycles
            produced = mod.outputs(cat, repo_root)
        for path, content in produced.items():
            path = Path(path)
            p.outputs[path if path.is_absolute() else repo_root / path] = content
        if hasattr(mod, "stale"):
            for path in mod.stale(repo_root, list(produced)):
                path = Path(path)
                p.orphans.append(path if path.is_absolute() else repo_root / path)
    p.orphans = sorted(set(p.orphans) - set(p.outputs))
    return p


def collect(cat: Catalog, repo_root: Path) -> dict[Path, Content]:
    """Every generated path (absolute) -> content."""
    return plan(cat, repo_root).outputs


def _same(path: Path, content: Content) -> bool:
    try:
        if isinstance(content, bytes):
            return path.read_bytes() == content
        return path.read_text(encoding="utf-8") == content
    except (OSError, UnicodeDecodeError):
        return False


def stale(outputs: dict[Path, Content]) -> list[Path]:
    """Paths whose content on disk differs from `outputs` (or that do not exist)."""
    return [path for path, content in sorted(outputs.items()) if not _same(path, content)]


def write(outputs: dict[Path, Content], orphans: list[Path] = ()) -> tuple[list[Path], list[Path]]:
    """Write the stale outputs atomically and delete orphans; returns (paths written, paths deleted)."""
    changed = stale(outputs)
    for path in changed:
        atomic_write(path, outputs[path])
    deleted = []
    for path in orphans:
        if path.exists():
            path.unlink()
            deleted.append(path)
    return changed, deleted
