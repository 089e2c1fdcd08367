"""YAML in and out.

Reading: the shared :mod:`yamllines` (the C loader's node tree, walked once for the data and the 1-based line of
every field; duplicate keys reported), re-exported here.

Writing: a deterministic dump (fields in the model's declaration order, None and empty values omitted, block
style, UTF-8, no line wrapping) so that a file written twice is identical byte for byte.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from atomicio import atomic_write  # noqa: F401  (re-exported for catalog.commands.export)
from yamllines import YamlError, line_for, load_with_lines  # noqa: F401  (the catalog's reading API)

try:  # the C loader is required for speed; fall back only so a broken libyaml build still works
    _Loader = yaml.CSafeLoader
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader  # type: ignore[assignment,misc]  # the pure-Python classes have the same API
    _Dumper = yaml.SafeDumper  # type: ignore[assignment,misc]


def parse_only(text: str) -> Any:
    """Plain C-loader parse (the benchmark's floor)."""
    return yaml.load(text, Loader=_Loader)


# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------
class _Dump(_Dumper):
    pass


def _str_repr(dumper: yaml.representer.SafeRepresenter, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dump.add_representer(str, _str_repr)
_Dump.add_representer(dt.date, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", v.isoformat()))


def dump(data: Any) -> str:
    """Deterministic YAML text of plain data (dict order is kept)."""
    return yaml.dump(
        data, Dumper=_Dump, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000, indent=2
    )
