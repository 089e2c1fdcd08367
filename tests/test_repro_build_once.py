"""A folder built into the cache (an unpacked model, a generative finetune) has the permissions of any folder
the user creates, not a temporary directory's private 0o700, and a half-built folder is never used."""

from __future__ import annotations

import os
import stat

import pytest

from repro.cache import build_once


def test_built_folder_has_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        dest = build_once(tmp_path / "models" / "m", lambda tmp: (tmp / "w.bin").write_bytes(b"x"))
        plain = tmp_path / "plain"
        plain.mkdir()
    finally:
        os.umask(old)
    assert stat.S_IMODE(dest.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o755
    assert (dest / "w.bin").read_bytes() == b"x"


def test_a_failed_build_leaves_nothing_and_the_next_call_builds(tmp_path):
    def broken(tmp):
        (tmp / "half").write_text("partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        build_once(tmp_path / "m", broken)
    assert not (tmp_path / "m").exists() and not list(tmp_path.iterdir())
    assert (build_once(tmp_path / "m", lambda tmp: (tmp / "ok").write_text("1")) / "ok").read_text() == "1"
