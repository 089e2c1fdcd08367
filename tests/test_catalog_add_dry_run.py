"""`python -m catalog add --dry-run`: shows exactly the entry a real `add` would write, and writes nothing; the real
`add` writes it with normal permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from catalog.__main__ import main
from catalog.load import load_entry

BIB = """@inproceedings{DBLP:conf/icml/Smith24,
  author = {Ann Smith and Bob Jones},
  title = {A Study of Weak Supervision},
  booktitle = {Forty-first International Conference on Machine Learning, {ICML} 2024},
  year = {2024},
  url = {https://openreview.net/forum?id=abc}
}
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_dry_run_prints_the_entry_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bib = tmp_path / "in.bib"
    bib.write_text(BIB, encoding="utf-8")
    dry, real = tmp_path / "dry", tmp_path / "real"
    dry.mkdir()
    real.mkdir()
    (dry / "other2020paper.yaml").write_text("key: other2020paper\n", encoding="utf-8")  # left alone
    before = _files(dry)

    assert main(["add", "--bibtex", str(bib), "--papers", str(dry), "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert _files(dry) == before  # nothing written, no temporary file left

    old = os.umask(0o022)
    try:
        assert main(["add", "--bibtex", str(bib), "--papers", str(real)]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    [written] = list(real.glob("*.yaml"))
    assert written.name == "smith2024study.yaml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644  # as open() makes it (a temp-file writer gave 0o600)
    assert written.read_text(encoding="utf-8") in shown  # the dry run showed exactly this
    entry, problems = load_entry(written)
    assert problems == [] and entry.paper.authors == ["Ann Smith", "Bob Jones"]


def test_a_record_without_title_is_refused_with_a_message(tmp_path, capsys, monkeypatch):
    """Issue 10.2: an empty title used to be written as `title: ''` and accepted; now the schema refuses it."""
    monkeypatch.chdir(tmp_path)
    bib = tmp_path / "in.bib"
    bib.write_text(BIB.replace("  title = {A Study of Weak Supervision},\n", ""), encoding="utf-8")
    papers = tmp_path / "papers"
    papers.mkdir()
    assert main(["add", "--bibtex", str(bib), "--papers", str(papers)]) == 1
    err = capsys.readouterr().err
    assert "in.bib:1" in err and "title" in err and "Traceback" not in err
    assert list(papers.iterdir()) == []
