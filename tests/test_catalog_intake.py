"""Intake refusals and messages (issue 10, items 2, 7, 11): one clear line each, nothing half-written."""

from __future__ import annotations

import arxiv
import requests
from test_catalog_checks import make_root

from catalog.commands import add


def _bib(tmp_path, text: str):
    path = tmp_path / "refs.bib"
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path, capsys, text: str) -> tuple[int, str, str, set[str]]:
    root = make_root(tmp_path)
    before = {p.name for p in (root / "papers").iterdir()}
    rc = add.main(["--bibtex", str(_bib(tmp_path, text)), "--papers", str(root / "papers")])
    out, err = capsys.readouterr()
    return rc, out, err, {p.name for p in (root / "papers").iterdir()} - before


RECORD = (
    "@article{{{key},\n  title = {{{title}}},\n  author = {{{author}}},\n  journal = {{CoRR}},\n  year = {{2024}}\n}}\n"
)


def test_empty_or_blank_title_or_authors_are_refused(tmp_path, capsys):
    text = "\n".join(
        [
            RECORD.format(key="a2024blank", title="   ", author="Ann Author"),
            RECORD.format(key="b2024none", title="A Title", author=""),
            RECORD.format(key="c2024blank", title="A Title Again", author="{ }"),
            "@article{d2024notitle,\n  author = {Ann Author},\n  journal = {CoRR},\n  year = {2024}\n}\n",
        ]
    )
    rc, _out, err, written = _run(tmp_path, capsys, text)
    assert rc == 1 and written == set()
    lines = err.strip().splitlines()
    assert len(lines) == 4, err
    assert "a2024blank: no title" in lines[0] and "d2024notitle: no title" in lines[3]
    assert "b2024none: no authors" in lines[1]
    assert "c2024blank: no authors" in lines[2]


def test_unbalanced_braces_say_what_and_where_without_parser_logs(tmp_path, capsys):
    text = (
        "% header\n"
        + RECORD.format(key="a2024open", title="Unbalanced {braces", author="Ann Author")
        + "\n"
        + RECORD.format(key="b2024fine", title="Fine", author="Bo Bee")
    )
    rc, _out, err, written = _run(tmp_path, capsys, text)
    assert rc == 1
    assert err.strip().splitlines() == [
        f"error: {tmp_path / 'refs.bib'}:2: BibTeX syntax: the @article entry starting at line 2 is still open at the "
        "next entry, where reading resumed: unbalanced braces or quotes in one of its fields"
    ]
    assert written == {"bee2024fine.yaml"} or len(written) == 1


def test_unclosed_last_entry(tmp_path, capsys):
    rc, _out, err, written = _run(tmp_path, capsys, RECORD.format(key="a2024open", title="Open", author="A B")[:-2])
    assert rc == 1 and written == set()
    assert err.strip().splitlines() == [
        f"error: {tmp_path / 'refs.bib'}:1: BibTeX syntax: the @article entry starting at line 1 is still open at the "
        "end of the file: unbalanced braces or quotes in one of its fields"
    ]


def test_empty_bib_is_an_error(tmp_path, capsys):
    for i, text in enumerate(("", "% only a comment\n\n")):
        (tmp_path / str(i)).mkdir()
        rc, _out, err, written = _run(tmp_path / str(i), capsys, text)
        assert rc == 1 and written == set()
        assert (
            err.strip()
            == f"error: {tmp_path / str(i) / 'refs.bib'}: no BibTeX entries in this file (expected records such as @article{{key, ...}})"
        )


class _NoNetwork:
    def get(self, url, **kw):
        raise requests.ConnectionError("offline")


def _offline_client() -> arxiv.Client:
    c = arxiv.Client(page_size=10, delay_seconds=0, num_retries=0)
    c._session = _NoNetwork()
    return c


def test_add_arxiv_id_already_in_catalog_needs_no_network(tmp_path, capsys):
    root = make_root(tmp_path)
    rc = add.main(["arxiv:2312.09390", "--papers", str(root / "papers")], client=_offline_client())
    out, err = capsys.readouterr()
    assert rc == 0 and err == ""
    assert out.strip() == "skip arXiv:2312.09390: already in the catalog as burns2023weak"


def test_add_arxiv_offline_suggests_bibtex(tmp_path, capsys):
    root = make_root(tmp_path)
    rc = add.main(["arxiv:2401.00001", "--papers", str(root / "papers")], client=_offline_client())
    err = capsys.readouterr().err
    assert rc == 1
    assert "cannot reach the arXiv API" in err and "python -m catalog add --bibtex FILE" in err


def test_a_key_used_twice_says_so_and_where(tmp_path, capsys):
    text = (
        RECORD.format(key="a2024same", title="First", author="Ann Author")
        + "\n"
        + RECORD.format(key="a2024same", title="Second", author="Bo Bee")
    )
    rc, _out, err, written = _run(tmp_path, capsys, text)
    assert rc == 1 and len(written) == 1
    assert err.strip() == (
        f"error: {tmp_path / 'refs.bib'}:8: BibTeX: the key 'a2024same' is used twice in this file "
        "(first at line 1); give one of the two records another key"
    )
