"""Renderers: each module (or package) here that defines

    def outputs(cat: Catalog, repo_root: Path) -> dict[Path, str | bytes]

is a renderer, mapping an output path (absolute, or relative to repo_root) to the file's full content.
``python -m catalog build`` finds them on disk (catalog.build.renderer_modules), collects them all and writes
what changed. Modules without ``outputs`` (markdown, escape) are helpers shared by the renderers.
"""

from __future__ import annotations


class RenderError(Exception):
    """An expected rendering failure (e.g. README markers missing): one line, shown without a traceback."""
