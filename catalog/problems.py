"""One problem found in the catalog: what every loader step and check returns (never raises, never asserts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    key: str | None  # the entry key ('' / None for registry-level problems)
    file: str  # path as given to the user (repo-relative where possible)
    line: int | None  # 1-based line in `file`, when known
    field: str | None  # dotted field path, e.g. "venue.id", "authors.2"
    severity: Severity
    code: str  # short stable identifier, e.g. "venue-unknown"
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    def format(self) -> str:
        """``file:line: severity code field: message`` (line and field omitted when unknown)."""
        loc = self.file + (f":{self.line}" if self.line else "")
        fld = f" {self.field}" if self.field else ""
        return f"{loc}: {self.severity} {self.code}{fld}: {self.message}"

    def __str__(self) -> str:
        return self.format()


def clip(value: object, limit: int = 80) -> str:
    """repr(value) for a message, cut to about `limit` characters (a 5 MB title is not echoed whole)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return text[: limit - 1] + "…" + size


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Deterministic order: by file, line, field, code."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.field or "", p.code, p.message))


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
