"""python -m catalog validate / build / export / add: exit codes and output formats."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_catalog_checks import apply_case, make_root

from catalog import build, render
from catalog.__main__ import main

REPO = Path(__file__).resolve().parents[1]


def test_validate_good_exit_0(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    assert main(["validate", "--root", str(root)]) == 0
    assert "0 error(s)" in capsys.readouterr().err


def test_validate_json_and_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    apply_case(root, {"base": "lang2025debate", "set": {"venue.id": "nips", "verified": False}})
    assert main(["validate", "--root", str(root), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert {"key", "file", "field", "severity", "code", "message", "line"} <= set(out[0])
    codes = {(o["code"], o["severity"], o["key"], o["field"]) for o in out}
    assert ("venue-unknown", "error", "lang2025debate", "venue.id") in codes
    assert ("unverified", "warning", "lang2025debate", "verified") in codes


def test_validate_warnings_only_exit_0(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    apply_case(root, {"base": "lang2025debate", "set": {"verified": False}})
    assert main(["validate", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "catalog/papers/lang2025debate.yaml:" in out and "warning unverified verified:" in out


def test_validate_papers_dir_option(tmp_path, capsys):
    papers = tmp_path / "p"
    papers.mkdir()
    (papers / "x2024bad.yaml").write_text("key: x2024bad\ntitle: [\n", encoding="utf-8")
    assert main(["validate", "--papers", str(papers)]) == 1
    out = capsys.readouterr().out
    assert "x2024bad.yaml:" in out and "error yaml" in out


def test_unknown_command():
    assert main(["frobnicate"]) == 2


def _repo(tmp_path: Path) -> Path:
    root = make_root(tmp_path)
    (tmp_path / "README.md").write_text(
        "# Title\n\nintro\n\n<!-- BEGIN GENERATED: papers -->\nold\n<!-- END GENERATED: papers -->\n\ntail\n",
        encoding="utf-8",
    )
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> content), to show that a command changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(tmp_path: Path, *extra: str) -> list[str]:
    return ["build", "--root", str(tmp_path / "catalog"), "--repo", str(tmp_path), *extra]


def test_build_writes_readme_site_and_schema_then_check_passes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = _repo(tmp_path)
    assert main(_build(tmp_path, "--check")) == 1
    assert "stale: README.md" in capsys.readouterr().out
    assert main(_build(tmp_path)) == 0
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith("# Title\n\nintro\n\n<!-- BEGIN GENERATED: papers -->")
    assert readme.endswith("<!-- END GENERATED: papers -->\n\ntail\n")
    assert "Debate Helps Weak" in readme
    assert (tmp_path / "docs" / "papers" / "lang2025debate.md").is_file()  # the site renderer ran
    schema = json.loads((root / "schema.json").read_text())
    assert "VenueRegistry" in schema["$defs"] and schema["additionalProperties"] is False
    capsys.readouterr()
    before = _tree(tmp_path)
    assert main(_build(tmp_path)) == 0  # nothing changed: nothing written
    assert "0 of " in capsys.readouterr().out and _tree(tmp_path) == before
    assert main(_build(tmp_path, "--check")) == 0


def test_check_fails_when_the_site_is_missing(tmp_path, monkeypatch, capsys):
    """Renderers are found on disk: no list to mistype, so `--check` cannot pass without the site."""
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path)
    assert main(_build(tmp_path)) == 0
    import shutil

    shutil.rmtree(tmp_path / "docs")
    capsys.readouterr()
    assert main(_build(tmp_path, "--check")) == 1
    assert "stale: docs/papers/lang2025debate.md" in capsys.readouterr().out


def test_a_renderer_that_fails_to_import_is_an_error(monkeypatch, tmp_path):
    (tmp_path / "broken_probe.py").write_text("import no_such_dependency_xyz\n", encoding="utf-8")
    monkeypatch.setattr(render, "__path__", [*render.__path__, str(tmp_path)])
    try:
        with pytest.raises(ModuleNotFoundError):
            build.renderer_modules()
    finally:
        sys.modules.pop("catalog.render.broken_probe", None)


def test_build_refuses_when_an_entry_fails_to_load(tmp_path, monkeypatch, capsys):
    """Issue 10.1: a broken entry must not cost its page (and `--check` must not call that up to date)."""
    monkeypatch.chdir(tmp_path)
    root = _repo(tmp_path)
    assert main(_build(tmp_path)) == 0
    (root / "papers" / "lang2025debate.yaml").write_text("key: lang2025debate\ntitle: [\n", encoding="utf-8")
    before = _tree(tmp_path)
    capsys.readouterr()
    assert main(_build(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "catalog/papers/lang2025debate.yaml:" in err and "nothing written" in err and "Traceback" not in err
    assert _tree(tmp_path) == before
    assert main(_build(tmp_path, "--check")) == 1
    assert "nothing checked" in capsys.readouterr().err


def test_build_refuses_when_the_papers_folder_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path)
    assert main(_build(tmp_path)) == 0
    before = _tree(tmp_path)
    capsys.readouterr()
    assert main(_build(tmp_path, "--papers", str(tmp_path / "nonexistent"))) == 1
    assert "papers directory not found" in capsys.readouterr().err
    assert _tree(tmp_path) == before


def test_build_says_deleted_for_the_page_of_a_removed_paper(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = _repo(tmp_path)
    assert main(_build(tmp_path)) == 0
    (root / "papers" / "liu2024cosupervised.yaml").unlink()
    capsys.readouterr()
    assert main(_build(tmp_path, "--check")) == 1
    assert "stale: docs/papers/liu2024cosupervised.md (no longer generated)" in capsys.readouterr().out
    assert main(_build(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "deleted docs/papers/liu2024cosupervised.md (no longer generated)" in out and " deleted\n" in out
    assert not (tmp_path / "docs" / "papers" / "liu2024cosupervised.md").exists()


def test_generated_files_get_normal_permissions(tmp_path, monkeypatch):
    """Written like a plain open(): 0o666 minus the umask (the old temp-file writer left 0o600)."""
    monkeypatch.chdir(tmp_path)
    root = _repo(tmp_path)
    (tmp_path / "README.md").chmod(0o644)
    old = os.umask(0o022)
    try:
        assert main(_build(tmp_path)) == 0
    finally:
        os.umask(old)
    written = [tmp_path / "README.md", root / "schema.json", *(tmp_path / "docs").rglob("*.md")]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(0o644)}


def test_build_reports_missing_markers(tmp_path, monkeypatch, capsys):
    root = make_root(tmp_path)
    (tmp_path / "README.md").write_text("# no markers\n", encoding="utf-8")
    assert main(["build", "--root", str(root), "--repo", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "markers" in err and "Traceback" not in err


def test_python_m_catalog_without_a_command_lists_the_commands():
    r = subprocess.run([sys.executable, "-m", "catalog"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stdout.startswith("usage: python -m catalog {") and "  validate " in r.stdout


def test_bytes_outputs_and_orphans(tmp_path, monkeypatch):
    """A renderer may return bytes and name files it no longer generates; build writes/deletes them."""
    pkg_extra = tmp_path / "ext"
    pkg_extra.mkdir()
    (pkg_extra / "probe_renderer.py").write_text(
        "from pathlib import Path\n"
        "def outputs(cat, repo_root):\n"
        "    return {Path('gen/a.bin'): b'\\x00\\x01', Path('gen/b.md'): 'text\\n'}\n"
        "def stale(repo_root, generated):\n"
        "    keep = {Path(p).as_posix() for p in generated}\n"
        "    return sorted(f.relative_to(repo_root) for f in (Path(repo_root) / 'gen').glob('*')\n"
        "                  if f.relative_to(repo_root).as_posix() not in keep)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(render, "__path__", [*render.__path__, str(pkg_extra)])
    repo = tmp_path / "repo"
    root = make_root(repo)
    (repo / "README.md").write_text("<!-- BEGIN GENERATED: papers -->\n<!-- END GENERATED: papers -->\n")
    (repo / "gen").mkdir()
    (repo / "gen" / "old.md").write_text("orphan\n")
    from catalog.load import load_catalog

    try:
        p = build.plan(load_catalog(root), repo)  # the probe is found on the package path like any renderer
        assert p.orphans == [repo / "gen" / "old.md"]
        written, deleted = build.write(p.outputs, p.orphans)
        assert repo / "gen" / "a.bin" in written and deleted == [repo / "gen" / "old.md"]
        assert (repo / "gen" / "a.bin").read_bytes() == b"\x00\x01"
        assert not (repo / "gen" / "old.md").exists()
        p2 = build.plan(load_catalog(root), repo)
        assert build.stale(p2.outputs) == [] and p2.orphans == []
    finally:
        sys.modules.pop("catalog.render.probe_renderer", None)
