"""Venue strings as real exports print them (ACL Anthology, PMLR, NeurIPS proceedings, OpenReview, AAAI, DBLP,
Google Scholar) resolve to venue + edition; records whose signals disagree say which one won; a proceedings
page or DOI in the record is used as evidence only when it is that venue's."""

from __future__ import annotations

import pytest
import yaml
from test_catalog_checks import make_root

from catalog.commands import add
from catalog.load import load_catalog
from catalog.registry import numeric_ordinals


@pytest.fixture(scope="module")
def ix():
    return load_catalog().index


@pytest.mark.parametrize(
    "text, venue, year, track",
    [
        # ACL Anthology booktitles
        ("Proceedings of the 31st International Conference on Computational Linguistics", "coling", 2025, "main"),
        ("Proceedings of the 29th International Conference on Computational Linguistics", "coling", 2022, "main"),
        (
            "Proceedings of the 2024 Joint International Conference on Computational Linguistics, Language Resources and "
            "Evaluation (LREC-COLING 2024)",
            "coling",
            2024,
            "main",
        ),
        (
            "Proceedings of the 62nd Annual Meeting of the Association for Computational Linguistics (Volume 1: Long Papers)",
            "acl",
            2024,
            "main",
        ),
        (
            "Proceedings of the 2024 Conference on Empirical Methods in Natural Language Processing",
            "emnlp",
            2024,
            "main",
        ),
        (
            "Proceedings of the 2025 Conference of the Nations of the Americas Chapter of the Association for Computational "
            "Linguistics: Human Language Technologies (Volume 1: Long Papers)",
            "naacl",
            2025,
            "main",
        ),
        (
            "Proceedings of the 18th Conference of the European Chapter of the Association for Computational Linguistics "
            "(Volume 1: Long Papers)",
            "eacl",
            2024,
            "main",
        ),
        ("Findings of the Association for Computational Linguistics: NAACL 2025", "naacl", 2025, "findings"),
        ("Findings of the Association for Computational Linguistics: EMNLP 2024", "emnlp", 2024, "findings"),
        # PMLR and NeurIPS proceedings
        ("Proceedings of the 41st International Conference on Machine Learning", "icml", 2024, "main"),
        (
            "Proceedings of The 27th International Conference on Artificial Intelligence and Statistics",
            "aistats",
            2024,
            "main",
        ),
        ("Proceedings of Thirty Seventh Conference on Learning Theory", "colt", 2024, "main"),
        ("Advances in Neural Information Processing Systems 37", "neurips", 2024, "main"),
        # OpenReview: spelled-out ordinals and venue ids
        ("The Twelfth International Conference on Learning Representations", "iclr", 2024, "main"),
        ("The Thirteenth International Conference on Learning Representations", "iclr", 2025, "main"),
        ("Forty-first International Conference on Machine Learning", "icml", 2024, "main"),
        ("Forty-second International Conference on Machine Learning", "icml", 2025, "main"),
        ("The Thirty-eighth Annual Conference on Neural Information Processing Systems", "neurips", 2024, "main"),
        ("Thirty-seventh Conference on Neural Information Processing Systems", "neurips", 2023, "main"),
        ("First Conference on Language Modeling", "colm", 2024, "main"),
        ("Second Conference on Language Modeling", "colm", 2025, "main"),
        ("ICLR 2025 Conference", "iclr", 2025, "main"),
        ("ICLR.cc/2025/Conference", "iclr", 2025, "main"),
        # AAAI and IJCAI
        ("Proceedings of the Thirty-Ninth AAAI Conference on Artificial Intelligence", "aaai", 2025, "main"),
        ("AAAI-25", "aaai", 2025, "main"),
        (
            "Thirty-Eighth AAAI Conference on Artificial Intelligence, AAAI 2024, Thirty-Sixth Conference on Innovative "
            "Applications of Artificial Intelligence, IAAI 2024, Fourteenth Symposium on Educational Advances in Artificial "
            "Intelligence, EAAI 2014, February 20-27, 2024, Vancouver, Canada",
            "aaai",
            2024,
            "main",
        ),
        (
            "Proceedings of the Thirty-Third International Joint Conference on Artificial Intelligence, {IJCAI-24}",
            "ijcai",
            2024,
            "main",
        ),
        # DBLP with a spelled-out ordinal and the year
        (
            "The Twelfth International Conference on Learning Representations, {ICLR} 2024, Vienna, Austria, May 7-11, 2024",
            "iclr",
            2024,
            "main",
        ),
    ],
)
def test_real_venue_strings(ix, text, venue, year, track):
    m = ix.match(text)
    assert m is not None, text
    assert (m.venue, m.year, m.track) == (venue, year, track)


@pytest.mark.parametrize(
    "text",
    [
        "ICLR 2025 Conference Withdrawn Submission",
        "Submitted to ICLR 2025",
        "ICLR 2025 Conference Desk Rejected Submission",
    ],
)
def test_openreview_non_acceptances_are_no_venue(ix, text):
    assert ix.match(text) is None


def test_numeric_ordinals():
    assert (
        numeric_ordinals("Forty-first and Thirty Seventh, the Twelfth, Twentieth, First")
        == "41st and 37th, the 12th, 20th, 1st"
    )
    assert numeric_ordinals("firstly secondary") == "firstly secondary"


def test_year_of_volume_reads_pmlr_volumes(ix):
    assert ix.year_of_volume("icml", 235) == 2024 and ix.pmlr_volume("icml", 2024) == 235
    assert ix.year_of_volume("neurips", 37) == 2024 and ix.pmlr_volume("neurips", 2024) is None


RECORDS = r"""
@inproceedings{DBLP:conf/nips/AuthorB24,
  author    = {Ann Author and Bo Bee},
  title     = {Weak Teachers and Strong Students},
  booktitle = {Advances in Neural Information Processing Systems 38: Annual Conference
               on Neural Information Processing Systems 2024, NeurIPS 2024, Vancouver,
               BC, Canada, December 10 - 15, 2024},
  year      = {2024},
  url       = {http://papers.nips.cc/paper\_files/paper/2024/hash/0a1b-Abstract-Conference.html},
}

@inproceedings{author2025coling,
    title = "Easy-to-Hard Reading of {COLING} Booktitles",
    author = "Author, Ann  and Bee, Bo",
    booktitle = "Proceedings of the 31st International Conference on Computational Linguistics",
    year = "2025",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/2025.coling-main.12/",
    pages = "170--185",
}

@inproceedings{author2024aaai,
  title={Weak Supervision at {AAAI}},
  author={Author, Ann and Bee, Bo},
  booktitle={Proceedings of the AAAI Conference on Artificial Intelligence},
  volume={38},
  number={16},
  pages={17505--17513},
  year={2024}
}

@inproceedings{author2024icml,
  title = {A Wrong Proceedings Page},
  author = {Ann Author and Bo Bee},
  booktitle = {Forty-first International Conference on Machine Learning},
  year = {2024},
  url = {https://proceedings.mlr.press/v202/author23a.html}
}
"""


def test_intake_of_real_forms_with_disagreement_and_evidence(tmp_path, capsys):
    root = make_root(tmp_path)
    bib = tmp_path / "refs.bib"
    bib.write_text(RECORDS, encoding="utf-8")
    rc = add.main(["--bibtex", str(bib), "--papers", str(root / "papers")])
    _out, err = capsys.readouterr()
    assert rc == 0, err

    def entry(key):
        return yaml.safe_load((root / "papers" / f"{key}.yaml").read_text(encoding="utf-8"))

    nips = entry("author2024weak")
    assert nips["venue"] == {"id": "neurips", "year": 2024, "track": "main"}
    assert nips["venue_evidence"]["kind"] == "proceedings" and "verified" not in nips
    assert (
        "NeurIPS edition: the booktitle's stated year says 2024 but the booktitle's edition number says 2025; "
        "using 2024"
    ) in err
    coling = entry("author2025coling")
    assert coling["venue"] == {"id": "coling", "year": 2025, "track": "main"}
    assert coling["venue_evidence"] == {"kind": "anthology", "url": "https://aclanthology.org/2025.coling-main.12/"}
    aaai = entry("author2024aaai")
    assert aaai["venue"] == {"id": "aaai", "year": 2024, "track": "main"}
    icml = entry("author2024icml")
    assert icml["venue"] == {"id": "icml", "year": 2024, "track": "main"}
    assert icml["verified"] is False and icml["venue_evidence"]["kind"] == "none"
    assert "is a page of ICML 2023, not ICML 2024; not used as evidence" in err
    assert err.count("warning:") == 2


@pytest.mark.parametrize(
    "url, proves",
    [
        ("https://aclanthology.org/2024.acl-long.123/", ("acl", 2024)),
        ("https://aclanthology.org/2024.findings-emnlp.7.pdf", ("emnlp", 2024)),
        ("https://www.aclweb.org/anthology/P19-1001", ("acl", 2019)),
        ("https://proceedings.mlr.press/v235/burns24b.html", ("icml", 2024)),
        ("http://papers.nips.cc/paper_files/paper/2023/hash/abc-Abstract-Conference.html", ("neurips", 2023)),
        ("https://openreview.net/forum?id=ghNRg2mEgN", None),  # an OpenReview forum names no venue by its address
    ],
)
def test_paper_pages_prove_their_venue_by_address(ix, url, proves):
    from catalog.sources.evidence import venue_from_url

    m = venue_from_url(ix, url)
    assert ((m.venue, m.year) if m else None) == proves
