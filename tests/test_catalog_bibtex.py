"""BibTeX intake (real DBLP exports + hand-written cases) and the export round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from test_catalog_checks import make_root

from catalog.__main__ import main
from catalog.load import SCHEMA_COMMENT, load_catalog
from catalog.render import bibtex as bibtex_out
from catalog.sources import bibtex

FIX = Path(__file__).parent / "fixtures" / "bibtex"


def _add(tmp_path, capsys, *files: str) -> tuple[int, str, str, Path]:
    root = make_root(tmp_path)
    args = ["add", "--papers", str(root / "papers")]
    for f in files:
        args += ["--bibtex", str(FIX / f)]
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err, root


def test_dblp_import(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err, root = _add(tmp_path, capsys, "dblp-real.bib")
    assert rc == 0, err
    papers = root / "papers"
    so = yaml.safe_load((papers / "so2019evolved.yaml").read_text())
    assert so["authors"] == ["David R. So", "Quoc V. Le", "Chen Liang"]
    assert so["venue"] == {"id": "icml", "year": 2019, "track": "main"}
    assert so["venue_evidence"] == {"kind": "proceedings", "url": "http://proceedings.mlr.press/v97/so19a.html"}
    assert (papers / "so2019evolved.yaml").read_text().startswith(SCHEMA_COMMENT + "\n")
    # the CoRR twin of the ICML MetAug paper is merged, not written twice
    assert "merge" in out and "li2022metaug" in out
    assert not any("corr" in p.name.lower() for p in papers.iterdir())
    assert [p.name for p in papers.glob("li2022metaug*.yaml")] == ["li2022metaug.yaml"]
    # a valid citation key is kept
    assert (papers / "petrenko2020sf.yaml").exists()
    filtra = yaml.safe_load((papers / "li2021filtra.yaml").read_text())
    assert filtra["title"] == "FILTRA: Rethinking Steerable CNN by Filter Transform"
    sf = yaml.safe_load((papers / "petrenko2020sf.yaml").read_text())
    assert "  " not in sf["title"] and "\n" not in sf["title"]
    # everything written validates
    assert main(["validate", "--root", str(root), "--errors-only"]) == 0


def test_intake_cases(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err, root = _add(tmp_path, capsys, "intake-cases.bib")
    papers = root / "papers"
    assert rc == 1  # some entries could not be imported...
    assert "Journal of Nowhere in Particular" in err and "is not in catalog/venues.yaml" in err
    assert "BibTeX syntax" in err
    assert "Traceback" not in err
    # ...and the rest were written
    j = yaml.safe_load((papers / "jukic2024disentangling.yaml").read_text())
    assert j["authors"] == ["Josip Jukić", "Jan Šnajder"]
    assert j["venue"] == {"id": "neurips", "year": 2025, "track": "main"}
    assert j["venue_evidence"]["kind"] == "openreview"
    f = yaml.safe_load(
        (papers / "muller2024uber.yaml").read_text()
    )  # 'findings2024' is no valid key: a new one is made
    assert f["venue"] == {"id": "emnlp", "year": 2024, "track": "findings"}
    assert f["authors"] == ["Hans Müller", "François Dupont"]
    assert f["title"] == "Über Findings: A Test Entry"
    aaai = yaml.safe_load((papers / "li2025strong.yaml").read_text())
    assert aaai["venue"] == {"id": "aaai", "year": 2025, "track": "main"}
    assert aaai["venue_evidence"] == {"kind": "doi", "url": "https://doi.org/10.1609/aaai.v39i26.34955"}
    # colliding key: the existing entry is untouched, the new one gets a fresh key
    assert yaml.safe_load((papers / "burns2023weak.yaml").read_text())["authors"][0] == "Collin Burns"
    assert (papers / "burns2023weakb.yaml").exists()
    assert "taken" in out
    pre = yaml.safe_load((papers / "preprint2024only.yaml").read_text())
    assert pre["venue"] == {"id": "arxiv", "track": "preprint"} and pre["venue_evidence"]["kind"] == "none"
    assert "first-version date unknown" in out


def test_reimport_is_skipped(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _out, err, root = _add(tmp_path, capsys, "dblp-real.bib")
    assert rc == 0, err
    before = sorted(p.name for p in (root / "papers").iterdir())
    assert main(["add", "--papers", str(root / "papers"), "--bibtex", str(FIX / "dblp-real.bib")]) == 0
    assert "already in the catalog as so2019evolved" in capsys.readouterr().out
    assert sorted(p.name for p in (root / "papers").iterdir()) == before


def _fields(p):
    return (
        p.key,
        p.title,
        p.authors,
        p.year,
        p.venue,
        p.doi,
        p.arxiv and (p.arxiv.id, p.arxiv.first_version),
        p.links.paper and str(p.links.paper),
    )


def test_export_round_trip(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    out_bib = tmp_path / "all.bib"
    assert main(["export", "--bibtex", str(out_bib), "--papers", str(root / "papers")]) == 0
    text = out_bib.read_text()
    assert "@inproceedings{burns2023weak," in text and "origdate = {2023-12-14}" in text and "eprintdate" not in text
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(root / "venues.yaml", fresh / "venues.yaml")
    shutil.copy(root / "topics.yaml", fresh / "topics.yaml")
    (fresh / "papers").mkdir()
    assert main(["add", "--papers", str(fresh / "papers"), "--bibtex", str(out_bib)]) == 0
    a = {e.paper.key: _fields(e.paper) for e in load_catalog(root).entries}
    b = {e.paper.key: _fields(e.paper) for e in load_catalog(fresh).entries}
    assert a == b


def test_export_is_deterministic_and_latex_safe(tmp_path):
    root = make_root(tmp_path)
    cat = load_catalog(root)
    assert bibtex_out.export(cat) == bibtex_out.export(load_catalog(root))
    text = bibtex_out.export(cat)
    assert "Kacz\\'er" in text or "Kacz{\\'e}r" in text  # Unicode encoded for LaTeX


# ---------------------------------------------------------------------------------------------------------
# Export at scale: one encoder and one write for every entry, byte for byte the single-entry texts
# ---------------------------------------------------------------------------------------------------------
import dataclasses  # noqa: E402

from bibtexparser.middlewares import LatexEncodingMiddleware  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TRICKY = st.sampled_from(
    [
        *"$\\{}&%#_^~ \t\n'\"",
        "é",
        "e\u0301",
        "\u0301",
        "Å",
        "\u212b",
        "ß",
        "李",
        "–",
        "𝔸",
        "\x00",
        "\x1e",
        "a",
        "Z",
        "1",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12) | st.lists(_TRICKY, max_size=12).map("".join), min_size=1, max_size=6))
@example(["Proof that $x^2 \\geq 0$ & more", "Café – naïve", "A $ sign", "\\$5 and $10$"])
def test_latex_encoding_is_the_stock_middleware(values):
    """The memoised, per-character encoder gives pylatexenc's output for any text, in any order of values."""
    stock = LatexEncodingMiddleware(keep_math=True, enclose_urls=False)
    fast = bibtex_out._LatexEncoding()
    for v in values + values[::-1]:
        assert fast._transform_python_value_string(v) == stock._transform_python_value_string(v), repr(v)


def _count_writes(monkeypatch) -> list[int]:
    """Record the number of entries of each bibtexparser write (until ``monkeypatch.undo()``)."""
    calls: list[int] = []
    real = bibtex_out.bibtexparser.write_string

    def write_string(lib, **kw):
        calls.append(len(lib.entries))
        return real(lib, **kw)

    monkeypatch.setattr(bibtex_out.bibtexparser, "write_string", write_string)
    return calls


def test_export_each_is_each_single_entry_export(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    assert len(cat.entries) >= 3
    each = bibtex_out.export_each(cat)
    singles = [bibtex_out.export(dataclasses.replace(cat, entries=[e])) for e in cat.entries]
    assert each == singles
    assert "\n".join(each) == bibtex_out.export(cat)
    assert all(
        t.startswith("@") and f"{{{e.paper.key}," in t.splitlines()[0] for t, e in zip(each, cat.entries, strict=True)
    )


def test_export_each_is_exact_when_one_write_cannot_be_split(tmp_path, monkeypatch):
    """A value holding the separator, or a key listed twice: each entry is written on its own instead."""
    cat = load_catalog(make_root(tmp_path))
    first = cat.entries[0]
    odd = dataclasses.replace(first, paper=first.paper.model_copy(update={"title": f"A{bibtex_out._SEPARATOR}title"}))
    for entries in ([odd, *cat.entries[1:]], [*cat.entries, cat.entries[-1]]):
        c = dataclasses.replace(cat, entries=entries)
        singles = [bibtex_out.export(dataclasses.replace(c, entries=[e])) for e in entries]
        calls = _count_writes(monkeypatch)
        assert bibtex_out.export_each(c) == singles
        monkeypatch.undo()
        assert calls[-len(entries) :] == [1] * len(entries)  # the fallback ran


def test_export_each_writes_once(tmp_path, monkeypatch):
    """All entries go through a single bibtexparser write (per-entry writes made the site 5x slower)."""
    cat = load_catalog(make_root(tmp_path))
    calls = _count_writes(monkeypatch)
    bibtex_out.export_each(cat)
    assert calls == [len(cat.entries)]


# ---------------------------------------------------------------------------------------------------------
# Import at scale: the cheap LaTeX decoder is pylatexenc's, value for value
# ---------------------------------------------------------------------------------------------------------
from bibtexparser.middlewares import LatexDecodingMiddleware  # noqa: E402

_LATEX = st.sampled_from(
    [
        *"{}\\'\"`^~c vLo-!?&\n\tae[]1$%_#@",
        "\\v",
        "\\c{c}",
        "\\ss",
        "\\textbf{",
        "\\&",
        " and ",
        "\\emph",
        "\\relax",
        "\\@",
        "\\ ",
        "\\'",
        "\\c ",
        "\\L",
        "{\\o}",
        "\\textit",
        "\\url",
        "\\\\",
        "é",
        "\u0301",
        "\\'{e}",
        '\\"u',
        "--",
        "''",
        "``",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(max_size=12) | st.lists(_LATEX, max_size=14).map("".join), min_size=1, max_size=6))
@example(
    [
        "Fran\\c cois and Jos\\'e M\\\"uller",
        "{\\v{S}}najder, Jan and Juki{\\'c}, Josip",
        "{ICML} 2019",
        "Proof that $x^2 \\geq 0$ & more",
        "5877--5886",
        "a \\L ukasz \\\\",
    ]
)
def test_latex_decoding_is_the_stock_middleware(values):
    """The memoised, word-by-word decoder gives pylatexenc's output for any text, in any order of values."""
    stock = LatexDecodingMiddleware()
    fast = bibtex._LatexDecoding()
    for v in values + values[::-1]:
        assert fast._transform_python_value_string(v) == stock._transform_python_value_string(v), repr(v)


def test_intake_plan_looks_each_record_up_once(tmp_path, monkeypatch):
    """Deduplication indexes the records it keeps: comparing each record with every kept one made
    `add --bibtex` quadratic (10,000 records took 22 minutes)."""
    from catalog.commands import add
    from catalog.sources import Candidate

    cat = load_catalog(make_root(tmp_path))
    base = cat.entries[0].paper
    cands = [
        Candidate(
            f"refs.bib:{i}",
            base.model_copy(update={"key": f"x2024n{i}", "title": f"Paper number {i}", "doi": None, "arxiv": None}),
        )
        for i in range(300)
    ]
    cands.append(Candidate("refs.bib:twin", cands[7].paper.model_copy(update={"key": "y2024twin"})))
    calls = []
    real = add._ids
    monkeypatch.setattr(add, "_ids", lambda p: calls.append(1) or real(p))
    todo, msgs = add.plan(cands, [e.paper for e in cat.entries], set())
    assert len(todo) == 300 and msgs == ["merge refs.bib:twin into x2024n7 (same paper)"]
    assert len(calls) <= 2 * (len(cands) + len(cat.entries))
