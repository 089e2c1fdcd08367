"""Losses for training on (soft) labels. Pure functions of tensors; no paper-specific state.

Every loss here has the trainer's signature ``loss(logits, batch, state) -> scalar`` once built by
:func:`make_loss`; ``batch["target"]`` is the probability of class 1 (hard labels are 0./1.), optional
``batch["weight"]`` weights examples, and ``state.progress`` is the fraction of training done (0..1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import torch
import torch.nn.functional as F

from .config import ConfidenceSettings, LossSpec, Prior

if TYPE_CHECKING:
    from .trainer import TrainState

__all__ = [
    "BatchStatisticLoss",
    "ConfidenceLoss",
    "LossFn",
    "ThresholdPrior",
    "alpha_schedule",
    "confidence_loss",
    "harden",
    "make_loss",
    "product_loss",
    "soft_cross_entropy",
]


def _two_class(p_pos: torch.Tensor) -> torch.Tensor:
    p_pos = p_pos.float()
    return torch.stack([1.0 - p_pos, p_pos], dim=-1)


def soft_cross_entropy(
    logits: torch.Tensor, target_pos: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of 2-class ``logits`` (``(batch, 2)``) against target probabilities of class 1, averaged
    (weighted) over the batch. Logits with leading dimensions (``(heads, batch, 2)``) give one value per head."""
    logp = F.log_softmax(logits.float(), dim=-1)
    per = -(_two_class(target_pos) * logp).sum(-1)
    if weight is None:
        return per.mean(-1)
    weight = weight.float()
    return (per * weight).sum(-1) / weight.sum().clamp_min(1e-12)


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
    logits: torch.Tensor,
    weak_pos: torch.Tensor,
    alpha: float,
    threshold: float | torch.Tensor,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Burns et al. auxiliary confidence loss.

    target = (1 - alpha) * weak soft label + alpha * hardened student prediction (detached), and the loss is
    the cross-entropy of the student against that target.
    """
    p_student = torch.softmax(logits.detach().float(), dim=-1)[:, 1]
    target = (1.0 - alpha) * weak_pos.float() + alpha * harden(p_student, threshold)
    return soft_cross_entropy(logits, target, weight)


def product_loss(
    logits: torch.Tensor, weak_pos: torch.Tensor, alpha: float, weight: torch.Tensor | None = None, eps: float = 1e-6
) -> torch.Tensor:
    """Product loss: cross-entropy to the product of experts of the weak label and the student's prediction.

    target ∝ weak ** 1 * student ** alpha (per class, renormalised; the student's prediction is detached), so
    where the student is confident and the weak label is not, the target leans towards the student. ``alpha`` 0
    is plain cross-entropy to the weak labels; 1 is the full product.
    """
    logp_student = F.log_softmax(logits.detach().float(), dim=-1)
    log_weak = _two_class(weak_pos).clamp_min(eps).log()
    target = torch.softmax(log_weak + alpha * logp_student, dim=-1)[:, 1]
    return soft_cross_entropy(logits, target, weight)


class ThresholdPrior:
    """Chooses the hardening threshold so the share of hardened positives matches a prior.

    ``p_student`` and ``weak_pos`` are the whole logical batch (every micro-batch and rank of the step; the
    trainer gathers them, see :class:`ConfidenceLoss`), as in the paper's code, which computes one loss per
    batch of 32:

    balanced:        threshold 0.5 quantile of the batch predictions (half positives);
    weak_mean:       share of positives = mean of the weak soft labels in the batch;
    rolling_median:  threshold = median of the student's last ``window`` predictions (across batches).
    """

    def __init__(self, prior: Prior, window: int = 512) -> None:
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


LossFn = Callable[[torch.Tensor, dict, "TrainState"], torch.Tensor]


class BatchStatisticLoss(Protocol):
    """A loss that needs a statistic of the whole logical batch, which the trainer gathers before the step
    (see :class:`ConfidenceLoss`)."""

    def __call__(self, logits: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor: ...

    def batch_statistic(self, logits: torch.Tensor, batch: dict) -> torch.Tensor: ...


class ConfidenceLoss:
    """The trainer loss for :func:`confidence_loss`: alpha from the schedule, the hardening threshold from the
    prior over the *logical batch*.

    ``batch_statistic`` tells the trainer what to gather over all micro-batches and ranks of a step before any
    gradient is taken: the student's detached probability of class 1 and the weak label of every example. The
    threshold is computed once per step from that (``state.batch_stats``), so 1 process x 1 micro-batch, 1 x 4
    micro-batches and N ranks harden the same examples.
    """

    def __init__(self, settings: ConfidenceSettings) -> None:
        self.settings = settings
        self.chooser = ThresholdPrior(settings.prior)
        self._stats: torch.Tensor | None = None  # the step's gathered statistic the cached threshold is for
        self._threshold: torch.Tensor | None = None

    @staticmethod
    def batch_statistic(logits: torch.Tensor, batch: dict) -> torch.Tensor:
        p = torch.softmax(logits.detach().float(), dim=-1)[:, 1]
        return torch.stack([p, batch["target"].float()], dim=-1)

    def threshold(self, logits: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor:
        stats = getattr(state, "batch_stats", None)
        if stats is None:  # called outside the trainer: this batch is the logical batch
            stats = self.batch_statistic(logits, batch)
        elif stats is self._stats and self._threshold is not None:
            # the same step's next micro-batch: same threshold (the rolling prior records each step's predictions once)
            return self._threshold
        thr = self.chooser(stats[:, 0], stats[:, 1])
        self._stats, self._threshold = stats, thr
        return thr

    def __call__(self, logits: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor:
        c = self.settings
        alpha = alpha_schedule(state.progress, c.alpha_max, c.warmup_frac)
        thr = self.threshold(logits, batch, state).to(logits.device)
        return confidence_loss(logits, batch["target"], alpha, thr, batch.get("weight"))


def make_loss(spec: LossSpec) -> LossFn:
    """Build the trainer loss a :class:`~repro.config.LossSpec` names: ``xent`` (soft or hard targets),
    ``confidence`` (its settings: :class:`~repro.config.ConfidenceSettings`) or ``product``
    (:class:`~repro.config.ProductSettings`; the student's exponent ramps like the confidence loss's alpha)."""
    if spec.name == "xent":

        def xent(logits: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor:
            return soft_cross_entropy(logits, batch["target"], batch.get("weight"))

        xent.stacks = True  # type: ignore[attr-defined]  # stateless: stacked heads' logits give one loss per head
        return xent
    if spec.name == "confidence":
        assert spec.confidence is not None  # LossSpec fills in the default settings of the loss it names
        return ConfidenceLoss(spec.confidence)
    if spec.name == "product":
        c = spec.product
        assert c is not None  # LossSpec fills in the default settings of the loss it names

        def product(logits: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor:
            alpha = alpha_schedule(state.progress, c.alpha_max, c.warmup_frac)
            return product_loss(logits, batch["target"], alpha, batch.get("weight"))

        return product
    raise ValueError(f"unknown loss {spec.name!r}; use xent, confidence or product")
