"""Losses for training on (soft) labels. Pure functions of tensors; no paper-specific state.

Every loss here has the trainer's signature ``loss(logits, batch, state) -> scalar`` once built by
:func:`make_loss`; ``batch["target"]`` is the probability of class 1 (hard labels are 0./1.), optional
``batch["weight"]`` weights examples, and ``state.progress`` is the fraction of training done (0..1).
"""
from __future__ import annotations

from collections import deque
from typing import Callable

import torch
import torch.nn.functional as F

from .config import LossSpec, Prior

__all__ = [
    "soft_cross_entropy", "alpha_schedule", "harden", "confidence_loss", "make_loss", "ThresholdPrior", "LossFn",
]



def _two_class(p_pos: torch.Tensor) -> torch.Tensor:
    p_pos = p_pos.float()
    return torch.stack([1.0 - p_pos, p_pos], dim=-1)


def soft_cross_entropy(logits: torch.Tensor, target_pos: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of 2-class ``logits`` against target probabilities of class 1, averaged (weighted)."""
    logp = F.log_softmax(logits.float(), dim=-1)
    per = -(_two_class(target_pos) * logp).sum(-1)
    if weight is None:
        return per.mean()
    weight = weight.float()
    return (per * weight).sum() / weight.sum().clamp_min(1e-12)


def alpha_schedule(progress: float, alpha_max: float, warmup_frac: float = 0.2) -> float:
    """Confidence-loss weight: linear ramp 0 -> ``alpha_max`` over the first ``warmup_frac`` of training.

    (The public reference code ramps to 0.1*alpha_max and then jumps; this is the ramp the paper describes.)
    """
    if warmup_frac <= 0:
        return float(alpha_max)
    return float(alpha_max) * min(max(progress, 0.0) / warmup_frac, 1.0)


def harden(p_pos: torch.Tensor, threshold: float | torch.Tensor) -> torch.Tensor:
    """Hardened predictions: 1. where ``p_pos > threshold`` else 0."""
    return (p_pos > threshold).float()


def confidence_loss(
    logits: torch.Tensor, weak_pos: torch.Tensor, alpha: float, threshold: float | torch.Tensor,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Burns et al. auxiliary confidence loss.

    target = (1 - alpha) * weak soft label + alpha * hardened student prediction (detached), and the loss is
    the cross-entropy of the student against that target.
    """
    p_student = torch.softmax(logits.detach().float(), dim=-1)[:, 1]
    target = (1.0 - alpha) * weak_pos.float() + alpha * harden(p_student, threshold)
    return soft_cross_entropy(logits, target, weight)


class ThresholdPrior:
    """Chooses the hardening threshold so the share of hardened positives matches a prior.

    balanced:        threshold 0.5 quantile of the batch predictions (half positives);
    weak_mean:       share of positives = mean of the weak soft labels in the batch;
    rolling_median:  threshold = median of the student's last ``window`` predictions (across batches).
    """

    def __init__(self, prior: Prior, window: int = 512):
        if prior not in ("balanced", "weak_mean", "rolling_median"):
            raise ValueError(f"unknown prior {prior!r}; use balanced, weak_mean or rolling_median")
        self.prior = prior
        self.recent: deque[float] = deque(maxlen=window)

    def __call__(self, p_student: torch.Tensor, weak_pos: torch.Tensor) -> torch.Tensor:
        p = p_student.detach().float()
        if self.prior == "balanced":
            return torch.quantile(p, 0.5)
        if self.prior == "weak_mean":
            share = float(weak_pos.float().mean())
            return torch.quantile(p, min(max(1.0 - share, 0.0), 1.0))  # that share of predictions lies above
        self.recent.extend(p.tolist())
        return torch.tensor(sorted(self.recent)[(len(self.recent) - 1) // 2])


LossFn = Callable[[torch.Tensor, dict, object], torch.Tensor]


def make_loss(spec: LossSpec) -> LossFn:
    """Build the trainer loss a :class:`~repro.config.LossSpec` names: ``xent`` (soft or hard targets) or
    ``confidence`` (its settings: :class:`~repro.config.ConfidenceSettings`)."""
    if spec.name == "xent":
        def xent(logits, batch, state):
            return soft_cross_entropy(logits, batch["target"], batch.get("weight"))
        return xent
    if spec.name == "confidence":
        c = spec.confidence
        chooser = ThresholdPrior(c.prior)

        def conf(logits, batch, state):
            alpha = alpha_schedule(state.progress, c.alpha_max, c.warmup_frac)
            p = torch.softmax(logits.detach().float(), dim=-1)[:, 1]
            thr = chooser(p, batch["target"])
            return confidence_loss(logits, batch["target"], alpha, thr, batch.get("weight"))
        return conf
    raise ValueError(f"unknown loss {spec.name!r}; use xent or confidence")
