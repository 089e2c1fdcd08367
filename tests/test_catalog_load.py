"""Loading: YAML with line numbers (same data as yaml.safe_load), registries, the entry writer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from test_catalog_checks import FIX, make_root

from catalog.entries import make_key, to_yaml, unique_key
from catalog.load import SCHEMA_COMMENT, load_catalog, load_entry
from catalog.problems import Problem
from catalog.yamlio import YamlError, atomic_write, line_for, load_with_lines


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 2\n",
        "a: &x [1, {b: yes, c: 2023-01-02, d: ~, e: 1.5, f: 's', g: '2024'}]\nb: *x\n",
        "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
        "s: !!set {a, b}\nt: |\n  two\n  lines\n",
        (FIX / "good" / "burns2023weak.yaml").read_text(),
    ],
)
def test_same_data_as_safe_load(text):
    data, _, _ = load_with_lines(text)
    assert data == yaml.safe_load(text)


def test_lines_and_duplicates():
    _data, lines, dups = load_with_lines("a: 1\nb:\n  c: [1, 2]\n  d:\n  - x\n  - y: 2\na: 3\n")
    assert lines["b.c"] == 3 and lines["b.d.1"] == 6 and lines["b.d.1.y"] == 6
    assert dups == [("a", 7)]
    assert line_for(lines, "b.d.1.missing") == 6 and line_for(lines, "zzz") is None


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "? [1, 2]\n: x\n", "a: 2023-02-30\n", "a: [\n", "a: *nope\n"])
def test_bad_yaml_is_one_line_error(text):
    with pytest.raises(YamlError) as exc:
        load_with_lines(text)
    assert "\n" not in exc.value.message


def test_billion_laughs_is_fast():
    doc = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    _data, lines, _ = load_with_lines(doc)
    assert len(lines) < 200  # shared nodes are walked once


def test_load_entry_problems(tmp_path):
    p = tmp_path / "x2024empty.yaml"
    p.write_text("", encoding="utf-8")
    entry, probs = load_entry(p)
    assert entry is None and any(q.severity == "error" for q in probs)
    p.write_text("- a\n- b\n", encoding="utf-8")
    entry, probs = load_entry(p)
    assert entry is None and "expected a mapping" in probs[-1].message


def test_problem_format_and_dict():
    p = Problem("k2024x", "catalog/papers/k2024x.yaml", 7, "venue.id", "error", "venue-unknown", "unknown venue 'x'")
    assert p.format() == "catalog/papers/k2024x.yaml:7: error venue-unknown venue.id: unknown venue 'x'"
    assert p.to_dict() == {
        "key": "k2024x",
        "file": "catalog/papers/k2024x.yaml",
        "line": 7,
        "field": "venue.id",
        "severity": "error",
        "code": "venue-unknown",
        "message": "unknown venue 'x'",
    }


def test_catalog_sorted_and_registries(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    keys = [e.paper.key for e in cat.entries]
    assert keys == sorted(keys)
    assert "icml" in cat.venues and "w2s" in cat.topics and cat.problems == []


def test_unresolved_parts_are_merged(tmp_path):
    root = make_root(tmp_path, unresolved=[{"seed": "000", "row": "r1", "reason": "x"}])
    (root / "unresolved-extra.yaml").write_text("unresolved:\n- {seed: '003', row: r2, reason: y}\n", encoding="utf-8")
    assert [u.row for u in load_catalog(root).unresolved] == ["r1", "r2"]


def test_registry_problem_has_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    (root / "topics.yaml").write_text("topics:\n- id: a\n  name: A\n- id: b\n  nmae: B\n", encoding="utf-8")
    cat = load_catalog(root)
    [p] = [p for p in cat.problems if p.code == "schema-unknown-field"]
    assert p.file == "catalog/topics.yaml" and p.line == 5 and p.field == "topics.1.nmae"
    assert "a" in cat.topics  # the valid items are kept


def test_writer_round_trip_and_determinism(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    for e in cat.entries:
        text = to_yaml(e.paper)
        assert text.startswith(SCHEMA_COMMENT + "\n")
        path = tmp_path / "out" / f"{e.paper.key}.yaml"
        atomic_write(path, text)
        again, probs = load_entry(path)
        assert probs == [] and again.paper == e.paper
        assert to_yaml(again.paper) == text
    assert not list((tmp_path / "out").glob(".*tmp"))


def test_keys():
    assert make_key(["David R. So"], 2019, "The Evolved Transformer") == "so2019evolved"
    assert make_key(["Josip Jukić"], 2024, "Disentangling Latent Shifts") == "jukic2024disentangling"
    assert make_key(["Quan Thoi Minh Nguyen"], 2021, "0") == "nguyen20210"
    assert unique_key("a2024b", {"a2024b", "a2024bb"}) == "a2024bc"


@pytest.mark.parametrize("registry,kind", [("venues.yaml", "venue"), ("topics.yaml", "topic")])
def test_repeated_registry_id_is_reported_and_first_definition_wins(tmp_path, registry, kind):
    root = make_root(tmp_path)
    data = yaml.safe_load((root / registry).read_text(encoding="utf-8"))
    items = data[f"{kind}s"]
    first = items[0]
    items.append({**first, "name": first["name"] + " (again)"})
    (root / registry).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    cat = load_catalog(root)
    dup = [p for p in cat.problems if p.code == "registry-duplicate"]
    assert len(dup) == 1 and dup[0].severity == "error"
    assert f"{kind} id {first['id']!r} is defined twice" in dup[0].message and dup[0].file.endswith(registry)
    registry_map = cat.venues if kind == "venue" else cat.topics
    assert registry_map[first["id"]].name == first["name"]


# ---------------------------------------------------------------------------------------------------------
# The schema: strict types, bounded and non-blank text (issues 10.2-10.4, 11)
# ---------------------------------------------------------------------------------------------------------
def _entry(tmp_path, **changes) -> Path:
    data = yaml.safe_load((FIX / "good" / "burns2023weak.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "burns2023weak.yaml"
    path.write_text(SCHEMA_COMMENT + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_unquoted_yaml_dates_load_as_dates_and_quoted_ones_are_errors(tmp_path):
    path = _entry(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "first_version: 2023-12-14\n" in text  # unquoted in the file
    entry, probs = load_entry(path)
    assert probs == [] and entry.paper.arxiv.first_version == dt.date(2023, 12, 14)
    path.write_text(text.replace("first_version: 2023-12-14", "first_version: '2023-12-14'"), encoding="utf-8")
    entry, probs = load_entry(path)
    assert entry is None and [p.field for p in probs] == ["arxiv.first_version"]


@pytest.mark.parametrize("field, value", [("year", "2023"), ("verified", "yes"), ("verified", 1), ("year", 2023.0)])
def test_values_are_not_coerced(tmp_path, field, value):
    entry, probs = load_entry(_entry(tmp_path, **{field: value}))
    assert entry is None and [(p.field, p.code) for p in probs] == [(field, "schema")]


def test_a_huge_value_is_refused_and_not_echoed(tmp_path, monkeypatch, capsys):
    """A 5 MB title: one short error line, the README and site untouched (the build refuses)."""
    from catalog.__main__ import main

    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    path = root / "papers" / "burns2023weak.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    huge_title = "title: " + "Weak to strong " * 350_000 + "\n"
    lines = [huge_title if line.startswith("title:") else line for line in lines]
    path.write_text("".join(lines) + "doi: 10.1/" + "x" * 100_000 + "\n", encoding="utf-8")
    assert path.stat().st_size > 5_000_000
    assert main(["validate", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "burns2023weak" in line]
    assert {line.split(": error ")[1].split(":")[0] for line in lines} == {"schema title", "schema doi"}
    assert max(len(line) for line in lines) < 300, lines


def test_an_over_indented_author_is_flagged_at_its_line(tmp_path, monkeypatch):
    """YAML folds "  - Pavel Izmailov" under "- Collin Burns" into one author "Collin Burns - Pavel Izmailov"."""
    from catalog import checks

    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    path = root / "papers" / "burns2023weak.yaml"
    text = path.read_text(encoding="utf-8")
    assert "- Collin Burns\n- Pavel Izmailov\n" in text
    path.write_text(
        text.replace("- Collin Burns\n- Pavel Izmailov\n", "- Collin Burns\n  - Pavel Izmailov\n"), encoding="utf-8"
    )
    cat = load_catalog(root)
    [e] = [e for e in cat.entries if e.paper.key == "burns2023weak"]
    assert e.paper.authors[0] == "Collin Burns - Pavel Izmailov"  # what YAML makes of it
    [p] = [p for p in checks.run_checks(cat) if p.code == "authors-folded"]
    assert (p.field, p.severity) == ("authors.0", "error")
    assert text.splitlines()[p.line - 1] == "- Collin Burns"
