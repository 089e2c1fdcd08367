"""Metrics: accuracy, AUROC, performance gap recovered (PGR) and mean ± std over seeds."""
from __future__ import annotations

import math
from typing import Sequence

import torch

__all__ = ["accuracy", "auroc", "pgr", "mean_std", "format_mean_std"]


def accuracy(prob_pos: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of examples where ``prob_pos > 0.5`` matches the 0/1 label."""
    if len(labels) == 0:
        raise ValueError("accuracy of an empty set")
    return float(((prob_pos > 0.5).long() == labels.long()).float().mean())


def auroc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties); NaN if one class is missing."""
    scores = scores.double().flatten()
    labels = labels.long().flatten()
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = torch.argsort(scores, stable=True)
    s = scores[order]
    ranks = torch.empty_like(scores)
    i = 0
    n = len(s)
    while i < n:  # average ranks over ties
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def pgr(weak: float, student: float, ceiling: float) -> float:
    """Performance gap recovered: (student - weak) / (ceiling - weak); NaN when there is no gap."""
    gap = ceiling - weak
    if gap == 0:
        return float("nan")
    return (student - weak) / gap


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0.0 for a single value), ignoring NaNs."""
    vals = [float(v) for v in values if not math.isnan(float(v))]
    if not vals:
        return float("nan"), float("nan")
    m = sum(vals) / len(vals)
    if len(vals) == 1:
        return m, 0.0
    var = sum((v - m) ** 2 for v in vals) / (len(vals) - 1)
    return m, math.sqrt(var)


def format_mean_std(mean: float, std: float, *, pct: bool = False, digits: int = 2) -> str:
    """``mean ± std`` as printed in tables: ``pct`` shows both in percent with one decimal, else ``digits``."""
    if pct:
        return f"{mean * 100:.1f} ± {std * 100:.1f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
