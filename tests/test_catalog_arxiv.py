"""arXiv intake against recorded real API replies (tests/fixtures/arxiv), served to the `arxiv` client
through a fake requests session: no network."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import arxiv
import pytest
import yaml
from test_catalog_checks import make_root

from catalog.__main__ import main as cli_main
from catalog.commands import add
from catalog.load import load_catalog
from catalog.sources import IntakeError
from catalog.sources import arxiv as src

FIX = Path(__file__).parent / "fixtures" / "arxiv"


class FakeResponse:
    def __init__(self, status_code: int, body: str):
        self.status_code = status_code
        self.content = body.encode("utf-8")
        self.text = body


def recorded(name: str) -> tuple[int, str]:
    path = FIX / name
    if path.suffix == ".json":
        rec = json.loads(path.read_text(encoding="utf-8"))
        return rec["status_code"], rec["body"]
    return 200, path.read_text(encoding="utf-8")


class FakeSession:
    """Answers arXiv API queries from recorded replies, keyed by the id_list parameter."""

    def __init__(self, replies: dict[str, tuple[int, str]]):
        self.replies = replies
        self.urls: list[str] = []

    def get(self, url, headers=None, **kw):
        self.urls.append(url)
        ids = parse_qs(urlparse(url).query).get("id_list", [""])[0]
        status, body = self.replies[ids]
        return FakeResponse(status, body)


REPLIES = {
    "1111.2011": recorded("id_list=1111.2011v2.xml"),
    "2104.12255": recorded("id_2104.12255v1.json"),
    "0000.0000": recorded("id_0000.0000_unknown.json"),
    "abc": recorded("id_abc_malformed.json"),
}


def with_comment(comment: str) -> tuple[int, str]:
    """The real 2104.12255 reply with an arXiv comment added (the only change)."""
    status, body = REPLIES["2104.12255"]
    tag = f"<arxiv:comment>{comment}</arxiv:comment>\n    <arxiv:primary_category"
    return status, body.replace("<arxiv:primary_category", tag, 1)


def client(replies=REPLIES) -> arxiv.Client:
    c = arxiv.Client(page_size=10, delay_seconds=0, num_retries=0)
    c._session = FakeSession(replies)  # the transport the library uses for every request
    return c


def test_parse_id():
    assert src.parse_id("arxiv:2312.09390v2") == "2312.09390"
    assert src.parse_id("https://arxiv.org/abs/2312.09390") == "2312.09390"
    assert src.parse_id("2312.09390") == "2312.09390"
    assert src.parse_id("abc") is None


def test_plain_preprint(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    cand = src.to_candidate(src.fetch("2104.12255", client()), cat)
    p = cand.paper
    assert p is not None, cand.error
    assert p.arxiv.id == "2104.12255" and str(p.arxiv.first_version) == "2021-04-20"
    assert p.authors == ["Quan Thoi Minh Nguyen"] and p.title == "0" and p.year == 2021
    assert p.venue.id == "arxiv" and p.venue.track == "preprint" and p.venue_evidence.kind == "none"
    assert p.key == "nguyen20210"


def test_published_paper_with_doi(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    cand = src.to_candidate(src.fetch("1111.2011", client()), cat)
    p = cand.paper
    assert p.doi == "10.1103/PhysRevB.85.115117"
    assert str(p.arxiv.first_version) == "2011-11-08"
    assert p.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert p.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    # Phys. Rev. B is no registry venue: the entry stays a preprint and the contributor is told why
    assert p.venue.id == "arxiv"
    assert any("publisher DOI 10.1103/PhysRevB.85.115117" in n for n in cand.notes)


@pytest.mark.parametrize(
    "comment, venue",
    [
        ("Accepted at ICML 2024. 12 pages", {"id": "icml", "year": 2024, "track": "main"}),
        ("Findings of EMNLP 2024", {"id": "emnlp", "year": 2024, "track": "findings"}),
        ("NeurIPS 2023 Workshop on Instruction Tuning", {"id": "neurips", "year": 2023, "track": "workshop"}),
        ("Published as a conference paper at ICLR 2025", {"id": "iclr", "year": 2025, "track": "main"}),
    ],
)
def test_comment_names_venue(tmp_path, comment, venue):
    cat = load_catalog(make_root(tmp_path))
    c = client({"2104.12255": with_comment(comment)})
    p = src.to_candidate(src.fetch("2104.12255", c), cat).paper
    got = {"id": p.venue.id, "year": p.venue.year, "track": p.venue.track}
    assert got == venue
    assert p.venue_evidence.kind == "arxiv-comment"
    assert str(p.venue_evidence.url) == "https://arxiv.org/abs/2104.12255"
    assert comment in p.venue_evidence.note


def test_comment_under_review_is_no_venue(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    c = client({"2104.12255": with_comment("Submitted to ICML 2024")})
    p = src.to_candidate(src.fetch("2104.12255", c), cat).paper
    assert p.venue.id == "arxiv"


def test_unknown_and_malformed_ids():
    with pytest.raises(IntakeError, match=r"arXiv has no paper 0000\.0000"):
        src.fetch("0000.0000", client())
    with pytest.raises(IntakeError, match="HTTP 400"):
        src.fetch("abc", client())


def test_cli_add_arxiv(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    papers = root / "papers"
    rc = add.main(["arxiv:2104.12255", "arxiv:0000.0000", "not-an-id", "--papers", str(papers)], client=client())
    _out, err = capsys.readouterr()
    assert rc == 1
    assert "arXiv has no paper 0000.0000" in err and "'not-an-id' is not an arXiv id" in err
    data = yaml.safe_load((papers / "nguyen20210.yaml").read_text())
    assert data["arxiv"] == {"id": "2104.12255", "first_version": __import__("datetime").date(2021, 4, 20)}
    assert cli_main(["validate", "--root", str(root), "--errors-only"]) == 0
