"""YAML read with the line of every field, shared by the catalog (paper entries) and the reproduction harness
(presets), so that both report a mistake as ``file:line: field: message``.

PyYAML's C loader composes the node tree once; the Python data is constructed from that same tree while one
walk records the 1-based line of every field (dotted path: "venue.id", "authors.2", "ladder.0.layers").
Duplicate mapping keys, which YAML loaders silently collapse, are reported.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["YamlError", "line_for", "load_with_lines"]

try:  # the C loader is required for speed; fall back only so a broken libyaml build still works
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader  # type: ignore[assignment,misc]  # the pure-Python class has the same API


class YamlError(Exception):
    """A YAML syntax error with a 1-based line (when the parser gives one) and a one-line message."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line
        self.message = message


def _one_line(exc: yaml.YAMLError) -> tuple[str, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"{context}, {problem}" if context else problem
    return " ".join(str(msg).split()), line


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


def load_with_lines(text: str) -> tuple[Any, dict[str, int], list[tuple[str, int]]]:
    """Parse one YAML document. Returns (data, lines, duplicate_keys) where duplicate_keys lists
    (dotted path, line) of keys that appear twice in one mapping. Raises YamlError.

    The C parser composes the node tree (tags already resolved); one walk then builds the Python data and
    records lines. Plain strings, mappings and sequences are built directly; every other tag (int, bool,
    date, null, merge keys, ...) goes to PyYAML's SafeConstructor, so the result equals ``yaml.safe_load``.
    Shared (aliased) nodes are built once, as PyYAML does; recursive aliases are an error.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines: dict[str, int] = {}
        dups: list[tuple[str, int]] = []
        data = _Builder(loader, lines, dups).build(node, "")
    except yaml.YAMLError as exc:
        msg, line = _one_line(exc)
        raise YamlError(msg, line) from None
    except RecursionError:
        raise YamlError("document nests too deeply", None) from None
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:  # e.g. an impossible date 2023-02-30
        raise YamlError(" ".join(str(exc).split())[:200], None) from None
    finally:
        loader.dispose()
    return data, lines, dups


class _Builder:
    def __init__(self, loader: _Loader, lines: dict[str, int], dups: list[tuple[str, int]]):
        self.loader = loader
        self.lines = lines
        self.dups = dups
        self.done: dict[int, Any] = {}  # id(node) -> value, for aliased collections
        self.active: set[int] = set()

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible date 2023-02-30
            raise YamlError(f"{node.value!r}: " + " ".join(str(exc).split())[:150], node.start_mark.line + 1) from None

    def build(self, node: yaml.Node, prefix: str) -> Any:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            return node.value if tag == _STR else self.scalar(node)
        nid = id(node)
        if nid in self.done:
            return self.done[nid]
        if nid in self.active:
            raise YamlError("recursive alias", node.start_mark.line + 1)
        out: Any
        if isinstance(node, yaml.MappingNode) and tag == _MAP and not any(k.tag == _MERGE for k, _ in node.value):
            self.active.add(nid)
            out = {}
            lines = self.lines
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise YamlError("a mapping key must be a plain value", knode.start_mark.line + 1)
                key = knode.value if knode.tag == _STR else self.scalar(knode)
                k = str(key)
                path = f"{prefix}.{k}" if prefix else k
                line = knode.start_mark.line + 1
                if key in out:
                    self.dups.append((path, line))
                lines[path] = line
                out[key] = self.build(vnode, path)
            self.active.discard(nid)
        elif isinstance(node, yaml.SequenceNode) and tag == _SEQ:
            self.active.add(nid)
            out = []
            for i, item in enumerate(node.value):
                path = f"{prefix}.{i}" if prefix else str(i)
                self.lines[path] = item.start_mark.line + 1
                out.append(self.build(item, path))
            self.active.discard(nid)
        else:  # merge keys, sets, omaps, explicit tags: PyYAML decides (lines of the top only)
            out = self.loader.construct_object(node, deep=True)
        self.done[nid] = out
        return out


def line_for(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, else of its nearest ancestor that has one (a missing key points at its parent)."""
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return None
