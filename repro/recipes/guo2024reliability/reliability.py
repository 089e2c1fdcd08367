"""Reliability of weak labels from answers under answer-preserving variations. Pure tensor math, no paper state.

The weak supervisor answers every example ``k`` times, once per variation (a different prompt order, a
perturbed input, another weak model...). ``answers`` is then an ``(n, k)`` integer tensor of class ids.

- :func:`answer_entropy`: uncertainty of an example = entropy (natural log) of the empirical distribution of
  its ``k`` answers; 0 when all variations agree.
- :func:`quantile_keep`: filtering; keep the examples whose entropy is *at or below* the ``q`` quantile
  (linear interpolation, as ``numpy.percentile``), so ties at the threshold are all kept.
- :func:`answer_scores`: reweighting; each answer gets ``softmax_j(f_j / T)`` over the *distinct answers
  observed* for that example, ``f_j`` being the answer's frequency among the ``k`` variations. A unanimous
  example scores 1; a split one scores below 1 and the minority answer lowest. ``T`` sharpens (small) or
  flattens (large) the scores.
- :func:`collapse_rows`: training on the ``k`` (example, answer) rows with weights ``w_v`` under
  cross-entropy equals training on one row per example with target ``sum_v w_v onehot(a_v) / W`` and weight
  ``W = sum_v w_v``, because cross-entropy is linear in its target. This keeps one row per example, so every
  method sees the same examples, batches and steps.
"""

from __future__ import annotations

import torch

__all__ = ["answer_counts", "answer_entropy", "answer_scores", "collapse_rows", "label_score", "quantile_keep"]


def _check(answers: torch.Tensor) -> torch.Tensor:
    if answers.dim() != 2 or answers.shape[1] < 1:
        raise ValueError(f"answers must be an (n, k) tensor of class ids with k >= 1, got shape {tuple(answers.shape)}")
    if answers.is_floating_point():
        raise ValueError("answers must hold integer class ids, not probabilities")
    if len(answers) and int(answers.min()) < 0:
        raise ValueError("answers must be non-negative class ids")
    return answers.long()


def answer_counts(answers: torch.Tensor, num_classes: int | None = None) -> torch.Tensor:
    """``(n, C)`` counts of each class among an example's ``k`` answers."""
    answers = _check(answers)
    c = num_classes if num_classes is not None else (int(answers.max()) + 1 if answers.numel() else 1)
    counts = torch.zeros(len(answers), c, dtype=torch.long)
    counts.scatter_add_(1, answers, torch.ones_like(answers))
    return counts


def answer_entropy(answers: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of each example's empirical answer distribution over its ``k`` variations; shape ``(n,)``."""
    freq = answer_counts(answers).double() / answers.shape[1]
    logf = torch.where(freq > 0, freq.log(), torch.zeros_like(freq))
    return -(freq * logf).sum(-1)


def quantile_keep(entropy: torch.Tensor, q: float = 0.5) -> torch.Tensor:
    """Boolean mask of examples with entropy at or below the ``q`` quantile (``q=0.5``: the median)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {q}")
    if entropy.numel() == 0:
        return torch.zeros(0, dtype=torch.bool)
    threshold = torch.quantile(entropy.double(), q)  # linear interpolation, like numpy.percentile
    return entropy.double() <= threshold + 1e-12


def answer_scores(answers: torch.Tensor, temperature: float) -> torch.Tensor:
    """Score of each of the ``(n, k)`` answers: softmax over the example's distinct observed answers of
    (answer frequency / ``temperature``), read off at the answer given."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    answers = _check(answers)
    counts = answer_counts(answers)
    freq = counts.double() / answers.shape[1]
    logits = torch.where(counts > 0, freq / temperature, torch.full_like(freq, float("-inf")))
    probs = torch.softmax(logits, dim=-1)  # unobserved answers get exactly 0
    return probs.gather(1, answers)


def collapse_rows(answers: torch.Tensor, weights: torch.Tensor, positive: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold ``k`` weighted (example, answer) rows into one row per example for a two-class loss.

    Returns ``(target, weight)``: ``target`` = weighted share of answers equal to ``positive``, ``weight`` =
    sum of the row weights. ``W * CE(logits, target) == sum_v w_v * CE(logits, onehot(a_v))``.
    """
    answers = _check(answers)
    if weights.shape != answers.shape:
        raise ValueError(f"weights shape {tuple(weights.shape)} must match answers shape {tuple(answers.shape)}")
    w = weights.double()
    total = w.sum(-1)
    target = (w * (answers == positive).double()).sum(-1) / total.clamp_min(1e-300)
    return target.float(), total.float()


def label_score(answers: torch.Tensor, label: torch.Tensor, temperature: float) -> torch.Tensor:
    """Reliability of a given hard ``label`` per example: the softmax-over-frequency score its class gets
    among the variations' answers (0 when no variation gave it)."""
    answers = _check(answers)
    label = label.long().view(-1, 1)
    c = max(int(answers.max()) + 1 if answers.numel() else 1, int(label.max()) + 1 if label.numel() else 1)
    counts = answer_counts(answers, num_classes=c)
    freq = counts.double() / answers.shape[1]
    logits = torch.where(counts > 0, freq / temperature, torch.full_like(freq, float("-inf")))
    return torch.softmax(logits, dim=-1).gather(1, label).squeeze(1)
