"""Load the catalog: every ``papers/<key>.yaml`` plus the venue, topic and unresolved registries.

Loading never raises for bad data: a file that fails to parse or validate becomes a Problem (with file, line
and field) and is left out of ``entries``; the checks in ``catalog.checks`` then run on what loaded.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from catalog.problems import Problem, Severity, clip
from catalog.schema import Paper, Topic, TopicRegistry, Unresolved, UnresolvedList, Venue, VenueRegistry
from catalog.yamlio import YamlError, line_for, load_with_lines

if TYPE_CHECKING:
    from catalog.registry import VenueIndex

_Item = TypeVar("_Item", bound=BaseModel)

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema.json"


@dataclass(frozen=True)
class Entry:
    paper: Paper
    path: Path
    lines: dict[str, int]  # dotted field path ("venue.id", "authors.2") -> 1-based line

    def line(self, fieldpath: str) -> int | None:
        return line_for(self.lines, fieldpath)

    def problem(self, field: str | None, severity: Severity, code: str, message: str) -> Problem:
        """A Problem located at `field` of this entry."""
        return Problem(
            self.paper.key, display_path(self.path), self.line(field) if field else None, field, severity, code, message
        )


@dataclass(frozen=True)
class Catalog:
    root: Path
    entries: list[Entry]  # sorted by key
    venues: dict[str, Venue]
    topics: dict[str, Topic]
    unresolved: list[Unresolved]
    papers_dir: Path
    problems: list[Problem] = field(default_factory=list)  # load/schema problems

    @cached_property
    def index(self) -> VenueIndex:
        """A VenueIndex over ``venues`` (aliases, patterns, DOI decoding)."""
        from catalog.registry import VenueIndex

        return VenueIndex(self.venues)

    @property
    def repo_root(self) -> Path:
        return self.root.parent


def display_path(path: Path) -> str:
    """Path relative to the working directory when under it (clickable in editors), else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # different drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


def validation_problems(
    exc: ValidationError, file: Path, lines: dict[str, int], key: str | None, prefix: str = ""
) -> list[Problem]:
    """One Problem per pydantic error, located by the dotted field path."""
    out = []
    for err in exc.errors(include_url=False):
        parts = [str(p) for p in err["loc"]]
        path = ".".join(([prefix] if prefix else []) + parts)
        if err["type"] == "extra_forbidden":
            code, msg = "schema-unknown-field", f"unknown field {parts[-1]!r} (misspelled? see catalog/schema.json)"
        elif err["type"] == "missing":
            code, msg = "schema-missing-field", f"required field {parts[-1]!r} is missing"
        else:
            code = "schema"
            msg = err["msg"]
            if "input" in err and not isinstance(err["input"], (dict, list)):
                msg += f" (got {clip(err['input'])})"
        out.append(Problem(key, display_path(file), line_for(lines, path), path or None, "error", code, msg))
    return out


def _read(path: Path, key: str | None, header: str | None = None) -> tuple[Any, dict[str, int], list[Problem]]:
    """Read one YAML file; returns data (None on failure), lines and problems. `header`: the first line
    the file should have (a warning otherwise)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return (
            None,
            {},
            [
                Problem(
                    key,
                    display_path(path),
                    None,
                    None,
                    "error",
                    "encoding",
                    f"not UTF-8: {exc.reason} at byte {exc.start}",
                )
            ],
        )
    except OSError as exc:
        return None, {}, [Problem(key, display_path(path), None, None, "error", "io", exc.strerror or str(exc))]
    try:
        data, lines, dups = load_with_lines(text)
    except YamlError as exc:
        return None, {}, [Problem(key, display_path(path), exc.line, None, "error", "yaml", exc.message)]
    probs = [
        Problem(
            key,
            display_path(path),
            line,
            path_,
            "error",
            "yaml-duplicate-key",
            f"key {path_.rpartition('.')[2]!r} appears twice",
        )
        for path_, line in dups
    ]
    if header is not None and not text.startswith(header + "\n"):
        probs.append(
            Problem(
                key,
                display_path(path),
                1,
                None,
                "warning",
                "schema-comment",
                f"first line should be '{header}' (editor autocompletion)",
            )
        )
    return data, lines, probs


def load_entry(path: Path) -> tuple[Entry | None, list[Problem]]:
    """Load and validate one paper file."""
    stem = path.stem
    data, lines, probs = _read(path, stem, SCHEMA_COMMENT)
    if data is None and any(p.severity == "error" for p in probs):
        return None, probs
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        return None, [
            *probs,
            Problem(
                stem,
                display_path(path),
                1,
                None,
                "error",
                "schema",
                f"expected a mapping of fields, the file is {what}",
            ),
        ]
    key = data.get("key") if isinstance(data.get("key"), str) else stem
    try:
        paper = Paper.model_validate(data)
    except ValidationError as exc:
        return None, probs + validation_problems(exc, path, lines, key)
    return Entry(paper, path, lines), probs


def _load_registry(
    path: Path, model: type[BaseModel], item_model: type[_Item], list_key: str
) -> tuple[list[_Item], list[Problem]]:
    """Validate a registry file; on failure keep the items that validate on their own."""
    if not path.exists():
        return [], []
    data, lines, probs = _read(path, None)
    if data is None:
        if not probs:
            probs = [
                Problem(
                    None, display_path(path), 1, None, "error", "schema", f"the file is empty (expected '{list_key}:')"
                )
            ]
        return [], probs
    try:
        return list(getattr(model.model_validate(data), list_key)), probs
    except ValidationError as exc:
        probs += validation_problems(exc, path, lines, None)
    items = []
    raw = data.get(list_key) if isinstance(data, dict) else None
    for item in raw if isinstance(raw, list) else []:
        with contextlib.suppress(ValidationError):  # already reported above
            items.append(item_model.model_validate(item))
    return items, probs


def _index_by_id(items: list, path: Path, kind: str, problems: list[Problem]) -> dict:
    """Registry items by id; the first definition wins and a repeated id is reported."""
    index: dict = {}
    for item in items:
        if item.id in index:
            problems.append(
                Problem(
                    None,
                    display_path(path),
                    None,
                    f"{kind}s",
                    "error",
                    "registry-duplicate",
                    f"{kind} id {item.id!r} is defined twice",
                )
            )
        index.setdefault(item.id, item)
    return index


def load_catalog(root: Path | None = None, papers_dir: Path | None = None) -> Catalog:
    root = Path(root).resolve() if root is not None else PACKAGE_DIR
    papers_dir = Path(papers_dir).resolve() if papers_dir is not None else root / "papers"
    problems: list[Problem] = []

    venue_list, p = _load_registry(root / "venues.yaml", VenueRegistry, Venue, "venues")
    problems += p
    topic_list, p = _load_registry(root / "topics.yaml", TopicRegistry, Topic, "topics")
    problems += p
    unresolved: list[Unresolved] = []
    # unresolved.yaml, plus unresolved-<part>.yaml files so that several contributors can each keep one
    for upath in [root / "unresolved.yaml", *sorted(root.glob("unresolved-*.yaml"))]:
        items, p = _load_registry(upath, UnresolvedList, Unresolved, "unresolved")
        unresolved += items
        problems += p
    venues: dict[str, Venue] = _index_by_id(venue_list, root / "venues.yaml", "venue", problems)
    topics: dict[str, Topic] = _index_by_id(topic_list, root / "topics.yaml", "topic", problems)

    entries: list[Entry] = []
    if papers_dir.is_dir():
        with gc_paused():
            _load_papers(papers_dir, entries, problems)
    else:
        problems.append(
            Problem(None, display_path(papers_dir), None, None, "error", "io", "papers directory not found")
        )
    entries.sort(key=lambda e: e.paper.key)
    return Catalog(root, entries, venues, topics, list(unresolved), papers_dir, problems)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk loading creates many long-lived objects and no cycles: pausing the cyclic GC meanwhile saves
    repeated full scans of everything loaded so far (about a fifth of load time at 10,000 entries)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _load_papers(papers_dir: Path, entries: list[Entry], problems: list[Problem]) -> None:
    for path in sorted(papers_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix != ".yaml":
            if path.suffix in (".yml", ".bib", ".json"):
                problems.append(
                    Problem(
                        path.stem,
                        display_path(path),
                        None,
                        None,
                        "error",
                        "file-name",
                        "paper files must be named <key>.yaml",
                    )
                )
            continue
        entry, p = load_entry(path)
        problems += p
        if entry is not None:
            entries.append(entry)
