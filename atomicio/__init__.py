"""Atomic file writes for the whole project: a reader (or a process killed mid-write) sees the old file or the
new one, never a part, and no temporary file is left behind.

    atomic_write(path, data)            # str (UTF-8, "\\n" newlines) or bytes
    with atomic_open(path, "wb") as f:  # for writers that want a file object (torch.save, json.dump, ...)
        ...

How: the data goes to an unnamed file in the target's directory (Linux ``O_TMPFILE``), which is given the
target's name only when complete (``linkat`` to a temporary name, then ``rename`` over the target): a kill
-9 while writing leaves nothing, since an unnamed file vanishes with its last descriptor. Where the
filesystem has no ``O_TMPFILE`` (or refuses the link) a named temporary ``.atomicio.<host>.<pid>.<random>.tmp``
is used instead, and the first write of a process into that directory removes such files left there by
processes of this host that no longer run (files of other hosts sharing the folder are left alone).

Permissions are those of a plain ``open(path, "w")``: a new file gets 0o666 minus the umask, a replaced file
keeps its mode. With ``durable=True`` (the default) the data is flushed to disk (fsync) before the rename and
the folder after it, so even a power loss cannot leave an empty file under the target's name; files that can
be regenerated (``python -m catalog build``) pass ``durable=False`` and skip the two fsyncs (several ms each).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

__all__ = ["atomic_open", "atomic_write"]

_O_TMPFILE = getattr(os, "O_TMPFILE", None)
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"
_TMP_RE = re.compile(r"^\.atomicio\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def atomic_write(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8", durable: bool = True) -> None:
    """Replace `path` with `data` atomically (parent folders are created). ``str`` is encoded with
    `encoding` and written without newline translation."""
    with atomic_open(path, "w" if isinstance(data, str) else "wb", encoding=encoding, durable=durable) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, mode: Literal["w", "wb"] = "w", *, encoding: str = "utf-8", durable: bool = True
) -> Iterator[IO]:
    """A file object whose content replaces `path` when the ``with`` block ends without an exception; on an
    exception the target is left as it was."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', not {mode!r}")
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        keep_mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        keep_mode = None
    fd, named = _open_temp(folder)
    try:
        with os.fdopen(fd, "wb", closefd=False) as raw:
            fh: IO = raw if mode == "wb" else io.TextIOWrapper(raw, encoding=encoding, newline="\n", write_through=True)
            yield fh
            fh.flush()
        if keep_mode is not None:
            os.fchmod(fd, keep_mode)
        if durable:
            os.fsync(fd)
        if named is None:
            named = _name_unnamed(fd, folder, durable)
        os.replace(named, target)
        named = None
    finally:
        os.close(fd)
        if named is not None:
            named.unlink(missing_ok=True)
    if durable:
        _fsync_dir(folder)


def _temp_name() -> str:
    return f".atomicio.{_HOST}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


_no_link: set[int] = set()  # devices where an O_TMPFILE file cannot be linked (some kernels, sandboxes)


def _open_temp(folder: Path) -> tuple[int, Path | None]:
    """An open descriptor to write to: unnamed (O_TMPFILE) where that works, else a named temporary file
    (returned as the second item). Mode 0o666 minus the umask, as open() gives."""
    if _O_TMPFILE is not None and folder.stat().st_dev not in _no_link:
        try:
            return os.open(folder, _O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o666), None
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
            _no_link.add(folder.stat().st_dev)
    return _open_named(folder)


def _open_named(folder: Path) -> tuple[int, Path]:
    if folder not in _swept:
        _swept.add(folder)
        _remove_dead_temps(folder)
    while True:
        tmp = folder / _temp_name()
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue


def _name_unnamed(fd: int, folder: Path, durable: bool) -> Path:
    """A name in `folder` for the complete unnamed file `fd` (to be renamed over the target at once). Where
    linking is refused, the data is copied to a named temporary file instead, and later writes to that
    device use named files from the start."""
    name = folder / _temp_name()
    try:
        os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)
        return name
    except OSError:
        _no_link.add(os.fstat(fd).st_dev)
    out, name = _open_named(folder)
    try:
        offset = 0
        while chunk := os.pread(fd, 1 << 20, offset):
            offset += len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view) :]
        st = os.fstat(fd)
        os.fchmod(out, stat.S_IMODE(st.st_mode))
        if durable:
            os.fsync(out)
    except BaseException:
        name.unlink(missing_ok=True)
        raise
    finally:
        os.close(out)
    return name


_swept: set[Path] = set()  # folders already cleaned by this process (one scan per folder, not per write)


def _remove_dead_temps(folder: Path) -> None:
    """Temporary files left in `folder` by processes that were killed before they could remove them."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            m = _TMP_RE.match(entry.name)
            if m and m.group("host") == _HOST and not _alive(int(m.group("pid"))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
