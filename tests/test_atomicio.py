"""atomicio: the one atomic-write helper. File modes as a plain open() gives them, and a process killed with
SIGKILL mid-write leaves the old file intact and no temporary file behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import atomicio

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["tmpfile", "named"])
def variant(request, monkeypatch):
    """Both ways of making the temporary file: unnamed (O_TMPFILE) and the named fallback."""
    monkeypatch.setattr(atomicio, "_no_link", set())  # each test finds out afresh whether linking works
    if request.param == "named":
        monkeypatch.setattr(atomicio, "_O_TMPFILE", None)
    elif atomicio._O_TMPFILE is None:
        pytest.skip("this platform has no O_TMPFILE; the named variant covers it")
    return request.param


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_file_gets_the_mode_a_plain_open_gives(tmp_path, variant, umask):
    old = os.umask(umask)
    try:
        atomicio.atomic_write(tmp_path / "atomic.txt", "x\n")
        with open(tmp_path / "plain.txt", "w") as fh:
            fh.write("x\n")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "atomic.txt") == _mode(tmp_path / "plain.txt") == 0o666 & ~umask


@pytest.mark.parametrize("durable", [True, False])
def test_replaced_file_keeps_its_mode(tmp_path, variant, durable):
    path = tmp_path / "script.sh"
    path.write_text("old\n")
    path.chmod(0o750)
    atomicio.atomic_write(path, "new\n", durable=durable)
    assert path.read_text() == "new\n" and _mode(path) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["script.sh"]


def test_text_and_bytes_are_written_exactly(tmp_path, variant):
    atomicio.atomic_write(tmp_path / "a" / "b" / "t.md", "línea 1\nline 2\r\n")  # parents created
    assert (tmp_path / "a" / "b" / "t.md").read_bytes() == "línea 1\nline 2\r\n".encode()
    atomicio.atomic_write(tmp_path / "b.bin", b"\x00\xff\n")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff\n"
    with atomicio.atomic_open(tmp_path / "f.bin", "wb") as fh:
        fh.write(b"one")
        fh.write(b"two")
    assert (tmp_path / "f.bin").read_bytes() == b"onetwo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b.bin", "f.bin"]


def test_an_exception_while_writing_keeps_the_old_file(tmp_path, variant):
    path = tmp_path / "data.json"
    path.write_text("old\n")
    with pytest.raises(RuntimeError), atomicio.atomic_open(path) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


CHILD = textwrap.dedent("""
    import os, sys, time
    import atomicio
    if {named!r}:
        atomicio._O_TMPFILE = None
    target, where = sys.argv[1], sys.argv[2]

    def stop(*_):
        print("ready", flush=True)
        time.sleep(60)

    if where == "before-rename":  # everything written and flushed, the rename not yet done
        os.fsync = stop
        atomicio.atomic_write(target, "new content\\n" * 100_000)
    else:  # half of the data written
        with atomicio.atomic_open(target) as fh:
            fh.write("new content\\n" * 50_000)
            fh.flush()
            stop()
""")


@pytest.mark.parametrize("where", ["mid-write", "before-rename"])
def test_sigkill_mid_write_leaves_old_file_and_no_litter(tmp_path, variant, where):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "results.md"
    target.write_text("old content\n")
    script = CHILD.format(named=variant == "named")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(target), where],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == "old content\n"
    if variant == "named":
        # a named temporary file cannot vanish with a killed process: the next write into the folder sweeps it
        atomicio._swept.discard(folder)
        atomicio.atomic_write(folder / "other.md", "x\n")
        assert sorted(p.name for p in folder.iterdir()) == ["other.md", "results.md"]
    else:
        assert [p.name for p in folder.iterdir()] == ["results.md"]


def test_temporaries_of_live_processes_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(atomicio, "_O_TMPFILE", None)
    live = tmp_path / f".atomicio.{atomicio._HOST}.{os.getppid()}.0123abcd.tmp"  # our parent process: alive
    live.write_text("in progress")
    other_host = tmp_path / ".atomicio.otherhost.999999999.0123abcd.tmp"  # a pid we cannot see: not ours
    other_host.write_text("in progress elsewhere")
    atomicio.atomic_write(tmp_path / "y.md", "y\n")
    assert live.exists() and other_host.exists()
