"""What a GPU user watches per stage: wall time, tokens per second and peak GPU memory, as one log line."""

from __future__ import annotations

import time

import torch

__all__ = ["Meter"]


class Meter:
    """Started when created (resets CUDA's peak-memory counter); :meth:`line` describes the time since."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def line(self, tokens: int) -> str:
        secs = time.perf_counter() - self.t0
        mem = (
            f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB"
            if torch.cuda.is_available()
            else "peak GPU memory n/a (CPU)"
        )
        return f"{secs:.1f} s, {tokens / max(secs, 1e-9):,.0f} tokens/s, {mem}"
