"""Content-addressed stage cache.

Every stage result is stored under ``<root>/stages/<stage>/<key>.pt`` where ``key`` is a SHA-256 over a
canonical JSON of *every* input of the stage: its config, data fingerprints, model identity and the keys of
the upstream stages it consumed. Changing any input changes the key, so a rerun (or a new method) reuses
exactly the finished work and nothing stale. Writes are atomic (temp file in the same directory, then
``os.replace``), so a run killed at any point leaves either a complete entry or none, and resumes.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import torch

__all__ = ["Cache", "fingerprint", "default_root", "atomic_write_bytes", "atomic_write_text", "atomic_torch_save",
           "rank_world", "build_once"]


def default_root() -> Path:
    """``$W2S_CACHE`` or ``~/.cache/w2s-hub``: one place for unpacked models, features and stage results."""
    env = os.environ.get("W2S_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "w2s-hub"


def _canonical(obj: Any) -> Any:
    """Turn ``obj`` into JSON-able data whose serialisation identifies its content."""
    if hasattr(obj, "model_dump"):  # pydantic
        return _canonical(obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _canonical(dataclasses.asdict(obj))
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h = hashlib.sha256(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
        return {"tensor": h.hexdigest(), "shape": list(t.shape), "dtype": str(t.dtype)}
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float):
        return repr(obj)  # exact, and distinguishes 1.0 from 1
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    raise TypeError(f"cannot fingerprint object of type {type(obj).__name__}")


def fingerprint(*parts: Any, **named: Any) -> str:
    """SHA-256 (hex, 24 chars) of the canonical JSON of all arguments."""
    payload = json.dumps(_canonical([list(parts), named]), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, _default_mode())  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_torch_save(obj: Any, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_once(dest: Path, build: Callable[[Path], None]) -> Path:
    """The folder ``dest``, built by ``build(tmp)`` into a temporary sibling on first use, then renamed into place.

    A ``.complete`` marker is written last, so a half-built folder (a killed run) is never used: the next call
    builds it again. Used for models unpacked or converted into the cache.
    """
    if (dest / ".complete").exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
    try:
        build(tmp)
        (tmp / ".complete").write_text("ok\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def rank_world() -> tuple[int, int]:
    """(rank, world size) of this process under ``torch.distributed``; (0, 1) when not distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class Cache:
    """A directory of stage results keyed by content hash.

    ``cache.stage(name, key, compute)`` returns the stored result for ``key`` or runs ``compute()`` and stores
    it. ``hits``/``misses`` count what happened (tests and the CLI's summary use them). Under
    ``torch.distributed`` rank 0 decides hit or miss for everyone, so all ranks enter the same collectives,
    and only rank 0 writes.
    """

    def __init__(self, root: Path | str | None = None, enabled: bool = True):
        self.root = Path(root) if root is not None else default_root()
        self.enabled = enabled
        self.hits: list[str] = []
        self.misses: list[str] = []

    def path(self, stage: str, key: str) -> Path:
        return self.root / "stages" / stage / f"{key}.pt"

    def has(self, stage: str, key: str) -> bool:
        return self.enabled and self.path(stage, key).exists()

    def load(self, stage: str, key: str) -> Any:
        return torch.load(self.path(stage, key), map_location="cpu", weights_only=False)

    def store(self, stage: str, key: str, value: Any) -> None:
        if self.enabled and rank_world()[0] == 0:
            atomic_torch_save(value, self.path(stage, key))

    def stage(self, name: str, key: str, compute: Callable[[], Any]) -> Any:
        hit = self.has(name, key)
        rank, world = rank_world()
        if world > 1:
            flag = [hit]
            torch.distributed.broadcast_object_list(flag, src=0)
            hit = bool(flag[0])
        if hit:
            try:
                value = self.load(name, key) if rank == 0 or self.path(name, key).exists() else None
            except Exception:  # a corrupt entry (should not happen with atomic writes): recompute
                value = None
            if value is not None:
                self.hits.append(f"{name}/{key}")
                return value
        self.misses.append(f"{name}/{key}")
        value = compute()
        self.store(name, key, value)
        return value
