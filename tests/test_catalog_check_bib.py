"""``python -m catalog check-bib`` on bibliographies as Google Scholar, DBLP, the ACL Anthology and Semantic
Scholar export them (tests/fixtures/bibtex/exports, written by hand; no network)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bibtexparser
import pytest

from catalog.__main__ import main

EXPORTS = Path(__file__).parent / "fixtures" / "bibtex" / "exports"
GOOD = Path(__file__).parent / "fixtures" / "catalog" / "good"


def _check(tmp_path, capsys, name: str, *extra: str) -> tuple[int, str, str, Path]:
    bib = tmp_path / name
    shutil.copy(EXPORTS / name, bib)
    rc = main(["check-bib", str(bib), "--papers", str(GOOD), *extra])
    out, err = capsys.readouterr()
    return rc, out, err, bib


def _codes(out: str) -> list[tuple[int, str]]:
    """(line, code) of each finding line 'file:line: warning code field: message'."""
    rows = []
    for line in out.strip().splitlines():
        loc, rest = line.split(": ", 1)
        rows.append((int(loc.rsplit(":", 1)[1]), rest.split()[1].rstrip(":")))
    return rows


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "scholar.bib",
            [(1, "published"), (18, "published"), (25, "venue-unknown"), (33, "duplicate"), (33, "published")],
        ),
        ("dblp.bib", [(26, "published"), (43, "venue-contradicts-record")]),
        ("anthology.bib", [(1, "venue-contradicts-record"), (18, "text-mojibake")]),
        ("semanticscholar.bib", [(10, "published"), (18, "text-accent-residue")]),
    ],
)
def test_findings_on_real_export_forms(tmp_path, capsys, monkeypatch, name, expected):
    monkeypatch.chdir(tmp_path)
    rc, out, err, _ = _check(tmp_path, capsys, name)
    assert rc == 1
    assert _codes(out) == expected
    assert all(line.startswith(f"{name}:") for line in out.splitlines())
    assert "Traceback" not in err


def test_messages_name_the_venue_its_evidence_and_the_closest_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = _check(tmp_path, capsys, "scholar.bib")[1]
    assert (
        "scholar.bib:1: warning published journal: cited as a preprint, but published: ICML 2024 (evidence: "
        "https://proceedings.mlr.press/v235/burns24b.html) [catalog: burns2023weak]"
    ) in out
    assert "scholar.bib:33: warning duplicate: same arXiv id as burns2023weak (line 1)" in out
    assert "unknown venue 'Proceedings of the Conference on Weakly Supervised Things'; closest known: " in out
    out = _check(tmp_path, capsys, "dblp.bib")[1]
    assert "the booktitle's stated year says 2024 but the booktitle's edition number says 2025; using 2024" in out


def test_clean_file_exits_0(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.bib").write_text((EXPORTS / "dblp.bib").read_text().split("@article{DBLP:journals/corr")[0])
    assert main(["check-bib", "clean.bib", "--papers", str(GOOD)]) == 0
    assert capsys.readouterr().out == ""


def test_json_format(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _err, _ = _check(tmp_path, capsys, "anthology.bib", "--format", "json")
    rows = json.loads(out)
    assert rc == 1 and [(r["line"], r["code"]) for r in rows] == [
        (1, "venue-contradicts-record"),
        (18, "text-mojibake"),
    ]
    assert rows[0]["file"] == "anthology.bib" and rows[0]["key"] == "yao-etal-2025-revisiting"
    assert rows[0]["fix"]["booktitle"] == "Findings of the Association for Computational Linguistics: ACL 2025"
    assert rows[1]["fix"] == {"title": "Reading {COLING} Booktitles: A Müller Study"}


def test_fix_writes_a_corrected_copy_and_never_the_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = (EXPORTS / "scholar.bib").read_bytes()
    _rc, _out, err, bib = _check(tmp_path, capsys, "scholar.bib", "--fix")
    assert bib.read_bytes() == before
    fixed = tmp_path / "scholar.fixed.bib"
    assert "wrote scholar.fixed.bib (3 record(s) corrected; scholar.bib unchanged)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scholar.bib", "scholar.fixed.bib"]  # no temp file left
    lib = bibtexparser.parse_string(fixed.read_text(encoding="utf-8"))
    burns = lib.entries_dict["burns2023weak"]
    assert burns.entry_type == "inproceedings"
    assert {k: burns[k] for k in ("booktitle", "series", "volume", "publisher", "year")} == {
        "booktitle": "Proceedings of the 41st International Conference on Machine Learning",
        "series": "Proceedings of Machine Learning Research",
        "volume": "235",
        "publisher": "PMLR",
        "year": "2024",
    }
    assert "journal" not in burns.fields_dict
    assert burns["title"].startswith("Weak-to-strong generalization")  # the user's own fields are kept
    # records without a fix are byte for byte as they were
    text = fixed.read_text(encoding="utf-8")
    original = before.decode("utf-8")
    lang = original[original.index("@inproceedings{lang2025debate") : original.index("@article{yao2025revisiting")]
    assert lang in text
    # checked again, the corrected copy has only what needs a person (unknown venue, duplicate)
    assert main(["check-bib", str(fixed), "--papers", str(GOOD)]) == 1
    assert [c for _, c in _codes(capsys.readouterr().out)] == ["venue-unknown", "duplicate"]


def test_fix_mends_mojibake_in_place(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _check(tmp_path, capsys, "anthology.bib", "--fix")
    text = (tmp_path / "anthology.fixed.bib").read_text(encoding="utf-8")
    assert "A Müller Study" in text and "Ã" not in text


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read"),
        ("", "no BibTeX entries in this file"),
    ],
)
def test_unreadable_or_empty_file_is_one_line_exit_2(tmp_path, capsys, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        (tmp_path / "refs.bib").write_text(content)
    assert main(["check-bib", "refs.bib", "--papers", str(GOOD)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: refs.bib: ") and message in err[0]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_BITS = st.sampled_from(
    [
        "@article{",
        "@inproceedings{",
        "x2024y,",
        "}",
        "{",
        "title = ",
        "author = ",
        "year = {2024}",
        "booktitle = ",
        "journal = ",
        "doi = {10.1609/aaai.v39i1.1}",
        "eprint = {2312.09390}",
        "{ICML} 2024",
        "Forty-first",
        "arXiv preprint arXiv:2312.09390",
        "\\'e",
        "Ã¼",
        "Mu¨ller",
        " and ",
        ",",
        '"',
        "=",
        "\n",
        " ",
        "%",
        "\\",
        "$x$",
        "Weak-to-Strong Generalization: Eliciting Strong Capabilities With Weak Supervision",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_BITS, max_size=40).map("".join))
def test_random_bibtex_never_raises_and_fix_never_touches_the_file(tmp_path_factory, capsys, text):
    d = tmp_path_factory.mktemp("cb")
    bib = d / "refs.bib"
    bib.write_text(text, encoding="utf-8")
    rc = main(["check-bib", str(bib), "--papers", str(GOOD), "--fix"])
    out, err = capsys.readouterr()
    assert rc in (0, 1, 2) and "Traceback" not in err
    assert bib.read_text(encoding="utf-8") == text
    assert all(line.count(": ") >= 1 for line in out.splitlines())
