"""Pydantic v2 models for catalog data: one paper entry, the venue registry, the topic registry.

This module is the single source of truth for the shape of the data. It only describes shape and
field-local rules (formats); rules that need the whole catalog or a registry live in ``catalog.checks``.
The JSON Schema in ``catalog/schema.json`` is exported from these models by ``python -m catalog build``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, field_validator

from catalog.problems import clip

KEY_RE = re.compile(r"^[a-z][a-z0-9]*\d{4}[a-z0-9]+$")
"""Citation keys: lowercase first-author surname, year, first title word, e.g. ``burns2023weak``."""
ARXIV_ID_RE = re.compile(r"^\d{4}\.\d{4,5}$")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RECIPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,99}$")
"""Recipe ids name a folder repro/recipes/<id>/ and a Python module: nothing like '../x'."""


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty or only whitespace")
    return v


# Bounds on free text (characters), so that one bad value cannot bloat the README and site. Generous for real
# data: the longest catalogued title is about 150.
MAX_TITLE = 500
MAX_NAME = 200  # one author, a venue or topic name
MAX_AUTHORS = 1000
MAX_LINE = 500  # one-line fields: setting, weak source, workshop, seed venue string, unresolved row
MAX_PARAGRAPH = 5000  # summary, evidence note, descriptions, reasons
MAX_ID = 100  # keys, ids, DOIs

_NOT_BLANK = AfterValidator(_not_blank)
_NOT_BLANK_JSON = Field(json_schema_extra={"pattern": r"\S"})  # the same rule for schema.json's users
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE), _NOT_BLANK, _NOT_BLANK_JSON]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME), _NOT_BLANK, _NOT_BLANK_JSON]
Line = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINE), _NOT_BLANK, _NOT_BLANK_JSON]
Paragraph = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PARAGRAPH), _NOT_BLANK, _NOT_BLANK_JSON]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID), _NOT_BLANK, _NOT_BLANK_JSON]
Verbatim = Annotated[str, StringConstraints(max_length=MAX_LINE)]  # kept as a seed gave it, even blank


def _shaped(pattern: re.Pattern[str], message: str) -> AfterValidator:
    """A validator: the value (None passes) is at most MAX_ID long and matches `pattern`; else a ValueError
    with `message`, its {} the value (clipped)."""

    def check(v: str | None) -> str | None:
        if v is not None and (len(v) > MAX_ID or not pattern.match(v)):
            raise ValueError(message.format(clip(v)))
        return v

    return AfterValidator(check)


class Strict(BaseModel):
    """Base for every model: unknown keys are errors, values are not coerced across types (strict mode:
    ``year: "2023"`` and ``verified: "yes"`` are errors; unquoted YAML dates load as dates)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, strict=True)


# --------------------------------------------------------------------------------------------
# Paper entries: catalog/papers/<key>.yaml
# --------------------------------------------------------------------------------------------
Track = Literal["main", "findings", "workshop", "journal", "preprint"]
EvidenceKind = Literal[
    "doi",  # a DOI resolving to the published version
    "openreview",  # an OpenReview forum page showing the acceptance decision
    "anthology",  # an ACL Anthology page
    "proceedings",  # an official proceedings page (PMLR, NeurIPS proceedings, CVF open access, AAAI OJS, ...)
    "arxiv-comment",  # the arXiv comment field stating acceptance (quote it in `note`)
    "publisher",  # another publisher page (IEEE Xplore, SPIE, Springer, ...)
    "none",  # preprint: no venue found; `note` says what was searched
]


class VenueRef(Strict):
    """Where the paper was published. ``id`` is a venue registry id; ``arxiv`` means preprint only."""

    id: Ident = Field(description="Venue registry id from catalog/venues.yaml, e.g. 'icml'; 'arxiv' for a preprint.")
    year: int | None = Field(default=None, description="Edition year (required unless the venue is a preprint).")
    track: Track = Field(description="main, findings, workshop, journal, or preprint.")
    workshop: Line | None = Field(default=None, description="Workshop name when track is 'workshop'.")


class ArxivRef(Strict):
    id: str = Field(description="Version-less arXiv id, e.g. '2312.09390'.")
    first_version: dt.date = Field(description="Date of the v1 submission (an unquoted YAML date: 2023-12-14).")
    title: Title | None = Field(default=None, description="The arXiv title when it differs from the published title.")

    @field_validator("id")
    @classmethod
    def _arxiv_id(cls, v: str) -> str:
        if not ARXIV_ID_RE.match(v):
            raise ValueError(f"arXiv id {clip(v)} is not of the form YYMM.NNNNN (no version suffix)")
        return v


class Links(Strict):
    paper: HttpUrl | None = None
    code: HttpUrl | None = None
    project: HttpUrl | None = None


class Evidence(Strict):
    """What a reader can follow to confirm the venue."""

    kind: EvidenceKind
    url: HttpUrl | None = Field(default=None, description="The page that shows it (required unless kind is 'none').")
    note: Paragraph | None = Field(default=None, description="E.g. the arXiv comment quoted, or what was searched.")


class SeedClaim(Strict):
    """What a seed document said about this paper, kept so corrections are visible and reviewable."""

    seed: Ident = Field(description="Seed document prefix, e.g. '000'.")
    venue: Verbatim | None = Field(default=None, description="The venue string the seed gave, verbatim.")
    year: int | None = Field(default=None, description="The year the seed gave.")


class Paper(Strict):
    key: Annotated[str, _shaped(KEY_RE, "key {} must look like 'burns2023weak' (lowercase surname, year, word)")] = (
        Field(description="Citation key; equals the file name without .yaml.")
    )
    title: Title
    authors: list[Name] = Field(
        min_length=1, max_length=MAX_AUTHORS, description="Full names in proper Unicode, in paper order."
    )
    year: int = Field(ge=1950, le=2100, description="Year of first public appearance.")
    venue: VenueRef
    venue_evidence: Evidence
    verified: bool = Field(
        default=True,
        description="False when the venue or metadata could not be confirmed; `venue_evidence.note` says what is missing.",
    )
    arxiv: ArxivRef | None = None
    doi: Annotated[
        Ident | None, _shaped(DOI_RE, "DOI {} must look like '10.NNNN/suffix' (no https://doi.org/ prefix)")
    ] = None
    links: Links = Field(default_factory=Links)
    topics: list[Ident] = Field(default_factory=list, description="Topic ids from catalog/topics.yaml.")
    setting: Line | None = Field(default=None, description="Seed 001's 'Setting' column.")
    weak_source: Line | None = Field(default=None, description="Seed 001's 'Weak Source' column.")
    summary: Paragraph | None = Field(default=None, description="A short summary in our own words.")
    seeds: list[SeedClaim] = Field(
        default_factory=list, description="Which seed documents list this paper and what they said."
    )
    repro: Annotated[
        str | None, _shaped(RECIPE_RE, "recipe id {} must be a folder name: letters, digits, '_' and '-'")
    ] = Field(
        default=None,
        description="Recipe id: the folder repro/recipes/<id>/ (or file <id>.py) "
        "that reproduces this paper; its PAPER names this entry's key.",
    )


# --------------------------------------------------------------------------------------------
# Registries: catalog/venues.yaml, catalog/topics.yaml, catalog/unresolved.yaml
# --------------------------------------------------------------------------------------------
VenueKind = Literal["conference", "journal", "workshop", "preprint"]


class Edition(Strict):
    year: int
    number: int | None = Field(
        default=None, description="Ordinal or volume, e.g. 36 for NeurIPS 2023, 39 for AAAI 2025."
    )
    start: dt.date | None = Field(default=None, description="First day of the meeting (conferences).")
    end: dt.date | None = None
    proceedings: HttpUrl | None = None


class DoiPattern(Strict):
    """A regular expression over a DOI that identifies this venue; named group ``year`` (or ``volume``
    with ``volume_offset``: year = volume + offset, or ``yy``: year = 2000 + yy) tells the edition."""

    regex: str
    volume_offset: int | None = None
    year_slack: int = Field(
        default=0, ge=0, description="The DOI's year may precede the edition year by this many years (journals)."
    )
    track: Track | None = Field(default=None, description="The track a matching DOI proves, e.g. 'findings'.")


class Venue(Strict):
    id: Annotated[str, _shaped(ID_RE, "venue id {} must be lowercase letters, digits and '-'")]
    acronym: Name
    name: Name
    kind: VenueKind
    aliases: list[str] = Field(
        default_factory=list, description="Other spellings seen in BibTeX, arXiv, DBLP, Semantic Scholar."
    )
    alias_patterns: list[str] = Field(
        default_factory=list,
        description="Regexes for long forms with numbers; named group 'number' (edition ordinal/volume) or 'year'.",
    )
    doi_prefixes: list[str] = Field(default_factory=list)
    doi_patterns: list[DoiPattern] = Field(default_factory=list)
    editions: list[Edition] = Field(default_factory=list)
    url: HttpUrl | None = None


class VenueRegistry(Strict):
    venues: list[Venue]


class Topic(Strict):
    id: Ident
    name: Name
    description: Paragraph | None = None
    parent: str | None = Field(default=None, description="Parent topic id (the seed taxonomy's areas).")


class TopicRegistry(Strict):
    topics: list[Topic]


class Unresolved(Strict):
    """A seed row that names no single identifiable paper. Shown in the README and site with the reason."""

    seed: Ident
    row: Line = Field(description="The row as the seed gives it.")
    reason: Paragraph
    candidates: list[str] = Field(default_factory=list, description="Keys of catalog entries the row may refer to.")


class UnresolvedList(Strict):
    unresolved: list[Unresolved]
