"""Content-addressed stage cache.

Every stage result is stored under ``<root>/stages/<stage>/<key>.pt`` where ``key`` is a SHA-256 over a
canonical JSON of *every* input of the stage: its config, data fingerprints, model identity and the keys of
the upstream stages it consumed. Changing any input changes the key, so a rerun (or a new method) reuses
exactly the finished work and nothing stale. Writes are atomic (:mod:`atomicio`), so a run killed at any
point leaves either a complete entry or none, and resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from atomicio import atomic_open

from .dist import broadcast_object, rank_world

__all__ = ["Cache", "build_once", "default_root", "fingerprint", "rank_world"]


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


def build_once(dest: Path, build: Callable[[Path], None]) -> Path:
    """The folder ``dest``, built by ``build(tmp)`` into a temporary sibling on first use, then renamed into place.

    A ``.complete`` marker is written last, so a half-built folder (a killed run) is never used: the next call
    builds it again. Used for models unpacked or converted into the cache.
    """
    if (dest / ".complete").exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A plain mkdir (mode 0o777 minus the umask, like any folder the user creates), not mkdtemp's private 0o700
    tmp = dest.parent / f".{dest.name}-{secrets.token_hex(8)}"
    tmp.mkdir()
    try:
        build(tmp)
        (tmp / ".complete").write_text("ok\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


class Cache:
    """A directory of stage results keyed by content hash.

    ``cache.stage(name, key, compute)`` returns the stored result for ``key`` or runs ``compute()`` and stores
    it. ``hits``/``misses`` count what happened (tests and the CLI's summary use them). Under
    ``torch.distributed`` rank 0 decides hit or miss for everyone, so all ranks enter the same collectives,
    and only rank 0 writes.
    """

    def __init__(self, root: Path | str | None = None, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.enabled = enabled
        self.hits: list[str] = []
        self.misses: list[str] = []

    def path(self, stage: str, key: str) -> Path:
        return self.root / "stages" / stage / f"{key}.pt"

    def checkpoint_dir(self, key: str) -> Path | None:
        """Where a running stage keeps its one resumable checkpoint; None with the cache off (``--no-cache``
        recomputes from scratch and never resumes from an earlier run's checkpoint)."""
        return self.root / "checkpoints" / key if self.enabled else None

    def drop_checkpoint(self, key: str) -> None:
        """Delete a stage's checkpoint once its result is stored (or not wanted): nothing is left behind."""
        if rank_world()[0] == 0:
            shutil.rmtree(self.root / "checkpoints" / key, ignore_errors=True)

    def has(self, stage: str, key: str) -> bool:
        return self.enabled and self.path(stage, key).exists()

    def load(self, stage: str, key: str) -> Any:
        return torch.load(self.path(stage, key), map_location="cpu", weights_only=False)

    def store(self, stage: str, key: str, value: Any) -> None:
        if self.enabled and rank_world()[0] == 0:
            with atomic_open(self.path(stage, key), "wb") as f:
                torch.save(value, f)

    def stage(self, name: str, key: str, compute: Callable[[], Any]) -> Any:
        hit = self.has(name, key)
        rank, world = rank_world()
        if world > 1:
            hit = bool(broadcast_object(hit))
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
