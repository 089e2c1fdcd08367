"""Malformed YAML and BibTeX give Problems / one-line errors, never a traceback."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_catalog_checks import FIX, make_root

from catalog.checks import run_checks
from catalog.commands import add
from catalog.entries import to_yaml
from catalog.load import load_catalog, load_entry
from catalog.problems import Problem
from catalog.schema import Paper
from catalog.sources import bibtex
from catalog.yamlio import load_with_lines

GOOD = (FIX / "good" / "burns2023weak.yaml").read_text(encoding="utf-8")
YAML_BITS = st.sampled_from(
    [
        "key:",
        " ",
        "\n",
        "- ",
        ":",
        "[",
        "]",
        "{",
        "}",
        "'",
        '"',
        "&a",
        "*a",
        "!!python/object",
        "\t",
        "#",
        "?",
        "year: 2023",
        "venue:\n  id: icml",
        "authors: []",
        "title: x",
        "2023-02-30",
        "%YAML 1.1\n---\n",
        "---",
        "...",
        "\x00",
        "\ufeff",
        "é",
        "@",
        "|",
        ">",
        "\\",
        "!",
        "%",
    ]
)
BIB_BITS = st.sampled_from(
    [
        "@article{",
        "@inproceedings{",
        "@misc{",
        "x2024y,",
        "}",
        "{",
        "title = ",
        "author = ",
        "year = ",
        "booktitle = ",
        "journal = ",
        "doi = ",
        "eprint = ",
        "{ICML} 2024",
        "NeurIPS",
        "\\'e",
        '{\\"u}',
        " and ",
        ",",
        '"',
        "=",
        "\n",
        " ",
        "@string{a = {b}}",
        "#",
        "%",
        "10.1609/aaai.v39i1.1",
        "2401.00001",
        "Juki{\\'c}",
        "Last, First",
        "@comment{",
        "\\",
        "$x$",
    ]
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check_problems(problems: list[Problem]) -> None:
    for p in problems:
        assert isinstance(p, Problem)
        line = p.format()
        assert "\n" not in line and "Traceback" not in line
        assert p.severity in ("error", "warning")


@SETTINGS
@given(st.lists(YAML_BITS, max_size=30).map("".join) | st.text(max_size=200))
def test_random_yaml_never_raises(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("y")
    path = d / "x2024fuzz.yaml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    entry, problems = load_entry(path)
    _check_problems(problems)
    assert entry is not None or any(p.severity == "error" for p in problems)


@SETTINGS
@given(st.integers(min_value=0, max_value=len(GOOD)), st.integers(min_value=0, max_value=40), st.text(max_size=20))
def test_mutated_entry_in_catalog_never_raises(tmp_path_factory, pos, cut, insert):
    """Corrupt a valid entry in place (cut and insert), then load and run every check."""
    tmp = tmp_path_factory.mktemp("m")
    root = make_root(tmp)
    path = root / "papers" / "burns2023weak.yaml"
    path.write_bytes((GOOD[:pos] + insert + GOOD[pos + cut :]).encode("utf-8", errors="replace"))
    cat = load_catalog(root)
    _check_problems(cat.problems)
    _check_problems(run_checks(cat))


_CAT = None


def _cat():
    global _CAT
    if _CAT is None:
        _CAT = load_catalog()
    return _CAT


@SETTINGS
@given(st.lists(BIB_BITS, max_size=40).map("".join) | st.text(alphabet=string.printable, max_size=300))
def test_random_bibtex_never_raises(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("b") / "in.bib"
    path.write_text(text, encoding="utf-8")
    cands = bibtex.read_file(path, _cat())
    for cand in cands:
        assert (cand.paper is None) != (cand.error is None)
        if cand.error:
            assert "\n" not in cand.error and "Traceback" not in cand.error
    todo, _ = add.plan(cands, [], set())
    for cand in todo:  # what `add` would write: valid, and loads back as the same paper
        data, _, _ = load_with_lines(to_yaml(cand.paper))
        assert Paper.model_validate(data) == cand.paper


def test_not_utf8_file(tmp_path):
    p = tmp_path / "x2024latin.yaml"
    p.write_bytes("title: Jukić".encode("latin-1", errors="replace") + b"\xff\xfe")
    entry, problems = load_entry(p)
    assert entry is None and problems[0].code == "encoding"


def test_non_utf8_bibtex(tmp_path):
    p = tmp_path / "x.bib"
    p.write_bytes(b"@article{a2024b, title={\xff}}")
    [cand] = bibtex.read_file(p, _cat())
    assert cand.error and "cannot read" in cand.error


FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFF), min_size=1, max_size=40
)


@SETTINGS
@given(
    FIELD_TEXT,
    st.lists(FIELD_TEXT, min_size=1, max_size=4),
    st.sampled_from(
        [
            "ICML 2024",
            "Advances in Neural Information Processing Systems 36",
            "Findings of the Association for Computational Linguistics: EMNLP 2024",
            "CoRR",
            "Unknown Venue 2024",
            "",
        ]
    ),
    st.integers(1900, 2100),
)
def test_structured_bibtex_entries(title, authors, booktitle, year):
    text = (
        f"@inproceedings{{k,\n  title = {{{title}}},\n  author = {{{' and '.join(authors)}}},\n"
        f"  booktitle = {{{booktitle}}},\n  year = {{{year}}},\n  eprint = {{2401.00001}}\n}}\n"
    )
    cands = bibtex.to_candidates(bibtex.parse(text), _cat(), "fuzz.bib")
    for cand in cands:
        assert (cand.paper is None) != (cand.error is None)
        if cand.error:
            assert "\n" not in cand.error
    for cand in add.plan(cands, [], set())[0]:
        data, _, _ = load_with_lines(to_yaml(cand.paper))
        assert Paper.model_validate(data) == cand.paper
