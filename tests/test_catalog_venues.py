"""The venue registry: it validates, and its aliases, patterns and DOI rules map what BibTeX, DBLP, arXiv
and Semantic Scholar print to venue + edition."""

from __future__ import annotations

import re

import pytest

from catalog.load import load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture(scope="module")
def ix(cat):
    return cat.index


def test_registry_loads_clean(cat):
    registry_problems = [p for p in cat.problems if p.key is None]
    assert registry_problems == []
    required = [
        "arxiv",
        "neurips",
        "icml",
        "iclr",
        "acl",
        "emnlp",
        "naacl",
        "coling",
        "eacl",
        "aacl",
        "aaai",
        "ijcai",
        "cvpr",
        "iccv",
        "eccv",
        "tmlr",
        "jmlr",
        "colm",
        "aistats",
        "colt",
        "uai",
        "kdd",
        "www",
        "ieee-access",
        "spie-mi",
        "tacl",
        "icassp",
        "miccai",
        "corl",
        "nature",
        "ieee-tpami",
        "tnnls",
    ]
    assert set(required) <= set(cat.venues)


def test_patterns_compile_and_number_groups_have_editions(cat):
    for v in cat.venues.values():
        for pat in v.alias_patterns:
            r = re.compile(pat)
            if "number" in r.groupindex:
                assert any(e.number for e in v.editions), v.id
        for d in v.doi_patterns:
            r = re.compile(d.regex)
            if "volume" in r.groupindex:
                assert d.volume_offset is not None, v.id
        years = [e.year for e in v.editions]
        assert years == sorted(set(years)), v.id
        for e in v.editions:
            if e.start and e.end:
                assert e.start <= e.end and e.start.year == e.year


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Advances in Neural Information Processing Systems 36", ("neurips", 2023, "main")),
        ("Proceedings of the 40th International Conference on Machine Learning", ("icml", 2023, "main")),
        (
            "Proceedings of the 36th International Conference on Machine Learning, ICML 2019, 9-15 June 2019, Long Beach",
            ("icml", 2019, "main"),
        ),
        (
            "International Conference on Machine Learning, {ICML} 2022, 17-23 July 2022, Baltimore",
            ("icml", 2022, "main"),
        ),
        ("Findings of the Association for Computational Linguistics: EMNLP 2024", ("emnlp", 2024, "findings")),
        (
            "The Twelfth International Conference on Learning Representations, {ICLR} 2024, Vienna, Austria",
            ("iclr", 2024, "main"),
        ),
        ("International Conference on Learning Representations", ("iclr", None, "main")),
        ("NIPS", ("neurips", None, "main")),
        ("ArXiv", ("arxiv", None, "preprint")),
        ("arXiv.org Machine Learning", ("arxiv", None, "preprint")),
        ("arXiv.org Artificial Intelligence", ("arxiv", None, "preprint")),
        ("CoRR", ("arxiv", None, "preprint")),
        ("arXiv preprint arXiv:2312.09390", ("arxiv", None, "preprint")),
        ("ICLR 2024", ("iclr", 2024, "main")),
        ("2024 ICLR", ("iclr", 2024, "main")),
        ("2023 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", ("cvpr", 2023, "main")),
        (
            "Proceedings of the 2023 Conference on Empirical Methods in Natural Language Processing",
            ("emnlp", 2023, "main"),
        ),
        ("Medical Imaging 2025: Digital and Computational Pathology", ("spie-mi", 2025, "main")),
        ("IEEE Access", ("ieee-access", None, "journal")),
        ("Computer Vision – ECCV 2024", ("eccv", 2024, "main")),
        ("Transactions on Machine Learning Research", ("tmlr", None, "journal")),
        ("Proceedings of the 29th ACM SIGKDD Conference on Knowledge Discovery and Data Mining", ("kdd", 2023, "main")),
        ("NeurIPS 2023 Workshop on Socially Responsible Language Modelling Research", ("neurips", 2023, "workshop")),
    ],
)
def test_match(ix, text, expected):
    m = ix.match(text)
    assert m is not None and (m.venue, m.year, m.track) == expected


def test_unknown_venue_and_suggestion(ix):
    assert ix.match("Journal of Nowhere") is None
    assert ix.suggest("Internatonal Conference on Machine Learnig") == "icml"


@pytest.mark.parametrize(
    "doi, venue, year, track, preprint",
    [
        ("10.1609/aaai.v39i26.34955", "aaai", 2025, None, False),
        ("10.1609/aaai.v38i16.29700", "aaai", 2024, None, False),
        ("10.18653/v1/2023.findings-acl.123", "acl", 2023, "findings", False),
        ("10.18653/v1/2024.emnlp-main.5", "emnlp", 2024, "main", False),
        ("10.18653/v1/P19-1001", "acl", 2019, "main", False),
        ("10.1109/CVPR52729.2023.00123", "cvpr", 2023, "main", False),
        ("10.1109/ICASSP49357.2023.10095969", "icassp", 2023, None, False),
        ("10.1109/ACCESS.2025.3546605", "ieee-access", 2025, None, False),
        ("10.24963/ijcai.2024/512", "ijcai", 2024, None, False),
        ("10.48550/arXiv.2312.09390", "arxiv", None, None, True),
        ("10.2139/ssrn.1234", None, None, None, True),
        ("10.1117/12.3047492", None, None, None, False),
    ],
)
def test_decode_doi(ix, doi, venue, year, track, preprint):
    info = ix.decode_doi(doi)
    assert (info.venue, info.year, info.track, info.preprint) == (venue, year, track, preprint)


def test_spie_prefix_is_known(ix):
    assert ix.decode_doi("10.1117/12.3047492").venues == ("spie-mi",)


@pytest.mark.parametrize(
    "comment, expected",
    [
        ("Accepted at ICML 2024", ("icml", 2024, "main")),
        ("AAAI-25 oral", ("aaai", 2025, "main")),
        ("Findings of ACL 2024", ("acl", 2024, "findings")),
        ("Submitted to NeurIPS 2024", None),
        ("Under review at ICLR 2025", None),
        ("8 pages, 3 figures. Published version", None),
    ],
)
def test_find_in_comment(ix, comment, expected):
    m = ix.find_in_comment(comment)
    assert (m and (m.venue, m.year, m.track)) == expected
