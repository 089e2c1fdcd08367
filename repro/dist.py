"""Processes started by ``torchrun``: joining the group, each rank's device, and the few collectives the harness uses.

Every place that needs a device or the rank asks here, so the order is always right: the process group is
joined and ``torch.cuda.set_device(LOCAL_RANK)`` is called *before* any CUDA device is chosen (otherwise every
rank lands on GPU 0). One process (no ``WORLD_SIZE``) is rank 0 of 1 and every collective is the identity.
"""

from __future__ import annotations

import atexit
import os
from typing import Any

import torch

__all__ = [
    "all_gather_cat",
    "all_gather_objects",
    "backend",
    "barrier",
    "broadcast_object",
    "can_run_on",
    "device",
    "init",
    "rank_world",
    "shutdown",
]


def init() -> tuple[int, int]:
    """Join the process group that ``torchrun`` describes in the environment (NCCL with CUDA, else gloo), after
    pinning this rank to its own GPU; a no-op for one process or when already joined."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and torch.distributed.is_available() and not torch.distributed.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        torch.distributed.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        atexit.register(shutdown)
    return rank_world()


def shutdown() -> None:
    """Leave the process group before the interpreter exits. Without it, a rank that finishes first can tear
    down gloo's threads during interpreter shutdown and abort ("terminate called without an active exception",
    SIGABRT), failing a run whose work was done."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def rank_world() -> tuple[int, int]:
    """(rank, world size) of this process under ``torch.distributed``; (0, 1) when not distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def device() -> torch.device:
    """Where models run: this rank's own GPU (``LOCAL_RANK``) when CUDA is present, else the CPU."""
    init()
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


def backend() -> str | None:
    """The process group's backend (``"nccl"``, ``"gloo"``), or None for one process."""
    if rank_world()[1] == 1:
        return None
    return str(torch.distributed.get_backend())


def can_run_on(dev: torch.device | str) -> bool:
    """Whether the process group can reduce tensors on ``dev`` (NCCL has no CPU backend; gloo does both)."""
    b = backend()
    return b is not None and (b != "nccl" or torch.device(dev).type == "cuda")


def all_gather_cat(t: torch.Tensor) -> torch.Tensor:
    """Concatenation over ranks (rank order) of each rank's ``t`` along dim 0; sizes may differ. Detached."""
    t = t.detach()
    world = rank_world()[1]
    if world == 1:
        return t
    dev = t.device if can_run_on(t.device) else device()
    local = t.to(dev).contiguous()
    sizes = [torch.zeros(1, dtype=torch.long, device=dev) for _ in range(world)]
    torch.distributed.all_gather(sizes, torch.tensor([len(local)], dtype=torch.long, device=dev))
    n = int(max(s.item() for s in sizes))
    pad = torch.zeros((n - len(local), *local.shape[1:]), dtype=local.dtype, device=dev)
    parts = [torch.empty((n, *local.shape[1:]), dtype=local.dtype, device=dev) for _ in range(world)]
    torch.distributed.all_gather(parts, torch.cat([local, pad]))
    return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes, strict=True)]).to(t.device)


def all_gather_objects(obj: Any) -> list[Any]:
    """Every rank's (picklable) ``obj``, in rank order."""
    world = rank_world()[1]
    if world == 1:
        return [obj]
    out: list[Any] = [None] * world
    torch.distributed.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every rank."""
    if rank_world()[1] == 1:
        return obj
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=src)
    return box[0]


def barrier() -> None:
    """Wait for every rank (no-op in one process)."""
    if rank_world()[1] > 1:
        torch.distributed.barrier()
