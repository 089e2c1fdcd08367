"""Every validator rule: a failing fixture (tests/fixtures/catalog/cases.yaml applied to good/) and the
passing catalog good/. The check registry is derived from the package and tested both ways."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from catalog import checks
from catalog.load import SCHEMA_COMMENT, load_catalog
from catalog.problems import Problem

FIX = Path(__file__).parent / "fixtures" / "catalog"
PKG = Path(checks.__file__).resolve().parents[1]
CASES = yaml.safe_load((FIX / "cases.yaml").read_text(encoding="utf-8"))


def make_root(tmp: Path, unresolved: list | None = None) -> Path:
    """A catalog root in tmp: the real registries, the good papers, a recipe repro/recipes/demo.py for
    burns2023weak (repro: demo)."""
    root = tmp / "catalog"
    (root / "papers").mkdir(parents=True)
    for name in ("venues.yaml", "topics.yaml"):
        shutil.copy(PKG / name, root / name)
    (root / "unresolved.yaml").write_text(yaml.safe_dump({"unresolved": unresolved or []}), encoding="utf-8")
    for f in (FIX / "good").glob("*.yaml"):
        shutil.copy(f, root / "papers" / f.name)
    (tmp / "repro" / "recipes").mkdir(parents=True)
    (tmp / "repro" / "recipes" / "demo.py").write_text('"""A recipe."""\nPAPER = "burns2023weak"\n', encoding="utf-8")
    return root


def _set(d: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        d = d[int(p)] if isinstance(d, list) else d.setdefault(p, {})
    last = parts[-1]
    if isinstance(d, list):
        d[int(last)] = value
    else:
        d[last] = value


def _drop(d: dict, dotted: str) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        d = d[p]
    d.pop(parts[-1], None)


def apply_case(root: Path, case: dict) -> Path:
    papers = root / "papers"
    base = papers / f"{case['base']}.yaml"
    if "raw" in case:
        base.write_text(case["raw"], encoding="utf-8")
        return base
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for k, v in (case.get("set") or {}).items():
        _set(data, k, v * case["repeat"][k] if k in case.get("repeat", {}) else v)
    for k in case.get("drop") or []:
        _drop(data, k)
    target = base
    if "as" in case:
        target = papers / f"{case['as']}.yaml"
        if not case.get("keep_key"):
            data["key"] = case["as"]
        if not case.get("copy"):
            base.unlink()
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    header = "" if case.get("header") is False else SCHEMA_COMMENT + "\n"
    target.write_text(header + text, encoding="utf-8")
    return target


def case_id(case: dict) -> str:
    return f"{case['check']}-{case['code']}-{'ok' if case.get('absent') else 'fail'}-{case['base']}"


def test_good_catalog_has_no_problems(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    assert len(cat.entries) == len(list((FIX / "good").glob("*.yaml")))
    assert checks.run_checks(cat) == []


@pytest.fixture(scope="module")
def clean_problems(tmp_path_factory):
    """The problems each check reports on the unchanged good catalog (computed once)."""
    cat = load_catalog(make_root(tmp_path_factory.mktemp("clean")))
    return {name: fn(cat) for name, fn in checks.all_checks().items()}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_rule(tmp_path, case, monkeypatch, clean_problems):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path, case.get("unresolved"))
    path = apply_case(root, case)
    cat = load_catalog(root)
    fn = checks.all_checks()[case["check"]]
    found = [p for p in fn(cat) if p.code == case["code"]]
    if case.get("absent"):
        assert found == [], [p.format() for p in found]
        return
    assert found, f"{case['check']} did not report {case['code']}: {[p.format() for p in fn(cat)]}"
    p = found[0]
    assert isinstance(p, Problem)
    assert p.severity == case.get("severity", "error")
    if case["check"] != "check_unresolved":
        assert Path(p.file).resolve() == path.resolve() or any(Path(q.file).name == path.name for q in found)
    if "message" in case:
        assert any(case["message"] in q.message for q in found), [q.message for q in found]
    # the same rule passes on the unchanged catalog
    assert [q for q in clean_problems[case["check"]] if q.code == case["code"]] == []


def test_every_check_has_a_failing_case():
    found = checks.all_checks()
    tested = {c["check"] for c in CASES if not c.get("absent")}
    assert set(found) == tested, (set(found) - tested, tested - set(found))


def test_a_check_added_to_the_package_runs_without_registration(tmp_path, monkeypatch):
    (tmp_path / "probe_rule.py").write_text(
        "from catalog.problems import Problem\n"
        "def check_probe(cat):\n"
        "    return [e.problem('title', 'warning', 'probe', 'seen') for e in cat.entries[:1]]\n"
        "def helper(cat):\n"
        "    raise AssertionError('not a check')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(checks, "__path__", [*checks.__path__, str(tmp_path)])
    try:
        cat = load_catalog(make_root(tmp_path / "repo"))
        assert [p.code for p in checks.run_checks(cat)] == ["probe"]
    finally:
        import sys

        sys.modules.pop("catalog.checks.probe_rule", None)


def test_problems_carry_line_numbers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    apply_case(
        root, {"base": "burns2023weak", "set": {"venue.booktitle": "ICML", "authors.2": "Jan Hendrik Kirchner "}}
    )
    cat = load_catalog(root)
    [p] = [p for p in cat.problems if p.code == "schema-unknown-field"]
    text = (root / "papers" / "burns2023weak.yaml").read_text().splitlines()
    assert "booktitle" in text[p.line - 1]
    assert p.field == "venue.booktitle"
    assert p.format().startswith(
        f"catalog/papers/burns2023weak.yaml:{p.line}: error schema-unknown-field venue.booktitle: "
    )
    # the entry failed the schema, so it is not in entries
    assert "burns2023weak" not in {e.paper.key for e in cat.entries}


def test_field_line_of_loaded_entry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    apply_case(root, {"base": "lang2025debate", "set": {"authors.2": "Yongbin  Li"}})
    cat = load_catalog(root)
    [p] = [p for p in checks.run_checks(cat) if p.code == "text-whitespace"]
    lines = (root / "papers" / "lang2025debate.yaml").read_text().splitlines()
    assert lines[p.line - 1].strip() == "- Yongbin  Li"
    assert p.field == "authors.2"
