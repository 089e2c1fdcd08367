"""BibTeX export prints what each venue's proceedings print, only standard fields, and reads back the same."""

from __future__ import annotations

import dataclasses
import shutil

import bibtexparser
import pytest
from test_catalog_checks import make_root

from catalog.__main__ import main
from catalog.load import PACKAGE_DIR, load_catalog
from catalog.render.bibtex import export


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    return load_catalog(make_root(tmp_path_factory.mktemp("forms")))


def _export_one(cat, **update) -> dict[str, str]:
    base = cat.entries[0]
    paper = base.paper.model_copy(update=update)
    text = export(dataclasses.replace(cat, entries=[dataclasses.replace(base, paper=paper)]))
    lib = bibtexparser.parse_string(text)
    assert len(lib.entries) == 1 and not lib.failed_blocks
    e = lib.entries[0]
    return {"type": e.entry_type, **{f.key: f.value for f in e.fields}}


def _venue(vid, year, track="main"):
    from catalog.schema import VenueRef

    return VenueRef(id=vid, year=year, track=track)


@pytest.mark.parametrize(
    "venue, doi, expected",
    [
        (
            ("neurips", 2024),
            None,
            {
                "booktitle": "Advances in Neural Information Processing Systems",
                "volume": "37",
                "publisher": "Curran Associates, Inc.",
            },
        ),
        (
            ("icml", 2024),
            None,
            {
                "booktitle": "Proceedings of the 41st International Conference on Machine Learning",
                "series": "Proceedings of Machine Learning Research",
                "volume": "235",
                "publisher": "PMLR",
            },
        ),
        (("iclr", 2024), None, {"booktitle": "The Twelfth International Conference on Learning Representations"}),
        (("iclr", 2025), None, {"booktitle": "The Thirteenth International Conference on Learning Representations"}),
        (("colm", 2024), None, {"booktitle": "First Conference on Language Modeling"}),
        (
            ("acl", 2024),
            "10.18653/v1/2024.acl-long.123",
            {
                "booktitle": "Proceedings of the 62nd Annual Meeting of the Association for Computational Linguistics "
                "(Volume 1: Long Papers)",
                "publisher": "Association for Computational Linguistics",
            },
        ),
        (
            ("naacl", 2025),
            "10.18653/v1/2025.naacl-short.7",
            {
                "booktitle": "Proceedings of the 2025 Conference of the Nations of the Americas Chapter of the Association for "
                "Computational Linguistics: Human Language Technologies (Volume 2: Short Papers)",
                "publisher": "Association for Computational Linguistics",
            },
        ),
        (
            ("emnlp", 2024),
            None,
            {
                "booktitle": "Proceedings of the 2024 Conference on Empirical Methods in Natural Language Processing",
                "publisher": "Association for Computational Linguistics",
            },
        ),
        (
            ("coling", 2025),
            None,
            {
                "booktitle": "Proceedings of the 31st International Conference on Computational Linguistics",
                "publisher": "Association for Computational Linguistics",
            },
        ),
        (
            ("emnlp", 2024, "findings"),
            None,
            {"booktitle": "Findings of the Association for Computational Linguistics: EMNLP 2024"},
        ),
        (
            ("aaai", 2025),
            None,
            {"booktitle": "Proceedings of the AAAI Conference on Artificial Intelligence", "volume": "39"},
        ),
        (
            ("jmlr", 2024, "journal"),
            None,
            {"type": "article", "journal": "Journal of Machine Learning Research", "volume": "25"},
        ),
    ],
)
def test_export_prints_the_proceedings_form(cat, venue, doi, expected):
    fields = _export_one(cat, venue=_venue(*venue), doi=doi, year=venue[1])
    assert {k: fields.get(k) for k in expected} == expected
    assert fields["year"] == str(venue[1])
    assert "eprintdate" not in fields
    if "type" not in expected:
        assert fields["type"] == "inproceedings"


def test_first_version_is_the_standard_origdate(cat):
    fields = _export_one(cat, year=2023, venue=_venue("icml", 2024))
    assert fields["origdate"] == cat.entries[0].paper.arxiv.first_version.isoformat()
    assert set(fields) <= {
        "type",
        "title",
        "author",
        "booktitle",
        "series",
        "volume",
        "publisher",
        "year",
        "origdate",
        "doi",
        "url",
        "eprint",
        "archiveprefix",
        "eventtitle",
        "journal",
        "howpublished",
    }


def _fields(p):
    same_year = p.arxiv is not None and p.arxiv.first_version.year == p.year
    return (
        p.key,
        p.title,
        p.authors,
        p.year,
        p.venue,
        p.doi,
        p.arxiv.id if p.arxiv and same_year else None,
        p.arxiv.first_version if same_year else None,
        p.links.paper and str(p.links.paper),
    )


def test_export_round_trip_of_the_whole_catalog(tmp_path, capsys, monkeypatch):
    """Every entry of the real catalog, exported in its venue's form, is imported back the same."""
    monkeypatch.chdir(tmp_path)
    out_bib = tmp_path / "all.bib"
    assert main(["export", "--bibtex", str(out_bib)]) == 0
    fresh = tmp_path / "fresh"
    (fresh / "papers").mkdir(parents=True)
    for name in ("venues.yaml", "topics.yaml"):
        shutil.copy(PACKAGE_DIR / name, fresh / name)
    assert main(["add", "--papers", str(fresh / "papers"), "--bibtex", str(out_bib)]) == 0
    assert "warning:" not in capsys.readouterr().err
    a = {e.paper.key: _fields(e.paper) for e in load_catalog().entries}
    b = {e.paper.key: _fields(e.paper) for e in load_catalog(fresh).entries}
    assert a == b
