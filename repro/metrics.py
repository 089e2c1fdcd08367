"""Metrics: accuracy, AUROC, performance gap recovered (PGR), and how PGR is aggregated over seeds and tasks.

PGR = (student - weak) / (ceiling - weak). Aggregated as the field does: Burns et al.'s reference notebook
computes PGR of the *mean* accuracies over seeds, only for pairs whose ceiling beats the weak model, and the
paper reports medians over tasks. A ratio whose denominator is within noise is not a number worth printing:
when the ceiling does not beat the weak model by ``min_gap`` (default :data:`MIN_GAP`, one accuracy point),
PGR is NaN and reports say "gap too small". Per-seed PGR is only a spread; intervals are percentile bootstraps
(scipy over seeds; numpy over tasks and seeds for medians).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CONFIDENCE",
    "MIN_GAP",
    "N_RESAMPLES",
    "PgrSummary",
    "TaskRuns",
    "accuracy",
    "auroc",
    "format_mean_std",
    "mean_std",
    "median_pgr",
    "pgr",
    "pgr_summary",
]

MIN_GAP = 0.01  # the ceiling must beat the weak model by one accuracy point for PGR to be reported
CONFIDENCE = 0.95  # level of every bootstrap interval
N_RESAMPLES = 2000  # bootstrap resamples; enough for 2-decimal percentiles
GAP_TOO_SMALL = "gap too small"


def _np(x: npt.ArrayLike) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=float).ravel()


def accuracy(prob_pos: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Share of examples where ``prob_pos > 0.5`` matches the 0/1 label."""
    p, y = _np(prob_pos), _np(labels)
    if len(y) == 0:
        raise ValueError("accuracy of an empty set")
    return float(np.mean((p > 0.5) == (y > 0.5)))


def auroc(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U / (n_pos * n_neg), ties count half); NaN if a class is missing."""
    from scipy import stats  # imported on use: the config imports MIN_GAP and must stay light

    s, y = _np(scores), _np(labels) > 0.5
    if y.all() or not y.any():
        return float("nan")
    u = stats.mannwhitneyu(s[y], s[~y], alternative="two-sided", method="asymptotic").statistic
    return float(u / (y.sum() * (~y).sum()))


def pgr(weak: float, student: float, ceiling: float, min_gap: float = MIN_GAP) -> float:
    """(student - weak) / (ceiling - weak); NaN unless the ceiling beats the weak model by ``min_gap``."""
    gap = ceiling - weak
    if not gap >= min_gap:  # also NaN inputs
        return float("nan")
    return (student - weak) / gap


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0.0 for a single value), ignoring NaNs."""
    v = _np(values)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def format_mean_std(mean: float, std: float, *, pct: bool = False, digits: int = 2) -> str:
    """``mean ± std`` as printed in tables: ``pct`` shows both in percent with one decimal, else ``digits``."""
    if pct:
        return f"{mean * 100:.1f} ± {std * 100:.1f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _ratio(weak: np.ndarray, student: np.ndarray, ceiling: np.ndarray, axis: int = -1) -> np.ndarray:
    """PGR of means along ``axis`` without the gap rule (bootstrap resamples; zero gap gives NaN)."""
    w, s, c = (np.mean(a, axis=axis) for a in (weak, student, ceiling))
    gap = c - w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap != 0, (s - w) / np.where(gap != 0, gap, 1), np.nan)


@dataclass(frozen=True)
class PgrSummary:
    """PGR of mean accuracies over seeds, its bootstrap interval, and the per-seed values (a spread only)."""

    pgr: float  # NaN when the gap is too small
    ci_low: float
    ci_high: float
    per_seed: tuple[float, ...]
    gap: float  # mean ceiling - mean weak
    min_gap: float

    @property
    def gap_too_small(self) -> bool:
        return not self.gap >= self.min_gap

    def as_dict(self) -> dict:
        def r(x: float | None) -> float | None:
            return None if x is None or np.isnan(x) else round(float(x), 4)

        return {
            "pgr_of_means": r(self.pgr),
            "ci": [r(self.ci_low), r(self.ci_high)],
            "per_seed": [r(x) for x in self.per_seed],
            "gap": r(self.gap),
            "min_gap": self.min_gap,
            "gap_too_small": self.gap_too_small,
        }


def pgr_summary(
    weak: Sequence[float],
    student: Sequence[float],
    ceiling: Sequence[float],
    *,
    min_gap: float = MIN_GAP,
    confidence: float = CONFIDENCE,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> PgrSummary:
    """PGR of the mean accuracies over seeds with a paired percentile bootstrap interval over seeds.

    Seeds are resampled jointly (one seed's weak, student and ceiling stay together). No interval with
    fewer than 2 seeds or when the gap is too small.
    """
    w, s, c = _np(weak), _np(student), _np(ceiling)
    if not len(w) == len(s) == len(c):
        raise ValueError(f"per-seed lists differ in length: weak {len(w)}, student {len(s)}, ceiling {len(c)}")
    gap = float(np.mean(c) - np.mean(w)) if len(w) else float("nan")
    point = pgr(float(np.mean(w)), float(np.mean(s)), float(np.mean(c)), min_gap) if len(w) else float("nan")
    lo = hi = float("nan")
    if len(w) >= 2 and not np.isnan(point) and np.ptp(np.stack([w, s, c]), axis=1).any():
        from scipy import stats

        res = stats.bootstrap(
            (w, s, c),
            _ratio,
            paired=True,
            vectorized=True,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    elif len(w) >= 2 and not np.isnan(point):
        lo = hi = point  # every seed identical: no spread to resample
    per_seed = tuple(pgr(a, b, d, min_gap) for a, b, d in zip(w, s, c, strict=True))
    return PgrSummary(point, lo, hi, per_seed, gap, min_gap)


@dataclass(frozen=True)
class TaskRuns:
    """One task's per-seed accuracies for a method (same seeds for weak, student and ceiling)."""

    weak: Sequence[float]
    student: Sequence[float]
    ceiling: Sequence[float]


def median_pgr(
    tasks: Sequence[TaskRuns],
    *,
    min_gap: float = MIN_GAP,
    confidence: float = CONFIDENCE,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float, float, int]:
    """Median over tasks of each task's PGR of means, with a two-level bootstrap interval.

    Tasks whose gap is too small are left out (as the reference notebook does), and the count of tasks that
    entered is returned: ``(median, ci_low, ci_high, n_tasks)``. The interval resamples tasks, then seeds
    within each resampled task, and takes percentiles of the resampled medians (numpy; ``nanmedian`` drops
    resampled tasks whose PGR is undefined).
    """
    kept = [
        t for t in tasks if not np.isnan(pgr_summary(t.weak, t.student, t.ceiling, min_gap=min_gap, n_resamples=1).pgr)
    ]
    if not kept:
        return float("nan"), float("nan"), float("nan"), 0
    arrays = [np.stack([_np(t.weak), _np(t.student), _np(t.ceiling)]) for t in kept]
    point = float(np.median([_ratio(*a) for a in arrays]))
    rng = np.random.default_rng(seed)
    meds = np.empty(n_resamples)
    for b in range(n_resamples):
        picks = rng.integers(0, len(arrays), len(arrays))
        vals = []
        for i in picks:
            a = arrays[i]
            vals.append(_ratio(*a[:, rng.integers(0, a.shape[1], a.shape[1])]))
        meds[b] = np.nanmedian(vals) if not np.all(np.isnan(vals)) else np.nan
    alpha = (1 - confidence) / 2
    lo, hi = np.nanquantile(meds, [alpha, 1 - alpha])
    return point, float(lo), float(hi), len(kept)
