"""A weak supervisor's answers under answer-preserving variations, on frozen features. Names no paper.

For a classifier on frozen features, the variations that keep the label are:

- ``bootstrap``: ``k`` weak heads, each trained on a bootstrap resample (with replacement) of the weak
  model's training half, answer the clean features (several weak supervisors from different data draws);
- ``feature_dropout``: one weak head answers ``k`` copies of the features with inverted dropout applied
  (what a dropout-active forward pass does to the pooled representation);
- ``bootstrap_dropout`` (default): head ``v`` of the bootstrap family answers dropout copy ``v``;
- ``token_dropout``: one weak head answers features of ``k`` text augmentations that drop words at random
  (the caller encodes the augmented texts with the weak backbone; see :func:`word_dropout`).

Input-side variations (:func:`input_views`) change the text the weak model reads and work the same for heads on
frozen features and for finetuned LMs (they go through the shared trainer as extra rows of the weak stage):

- ``prompts``: the paper's variations: each example rendered under ``k`` prompt templates that keep the answer,
  e.g. the answer options listed in each order (the paper's option permutations; two orders for a two-way
  question) or paraphrased instructions (the paper's paraphrased prompts). The weak model trains on the first;
- ``token_dropout`` (finetuned LMs): the weak model reads the pool as is and answers ``k`` word-dropped copies.

All of this runs in a single :class:`~repro.learners.HeadLearner` over stacked features
``[pool; variant 1 of the query; ...; variant k]``: a head only ever reads the rows it is asked for, so the
perturbed copies never touch training and no private training loop is needed.
"""

from __future__ import annotations

import random

import torch

from ...config import HeadConfig
from ...learners import HeadLearner
from ...losses import LossFn
from . import VariationConfig

__all__ = ["bootstrap_index", "feature_dropout", "input_views", "variant_probs", "word_dropout"]


def bootstrap_index(n: int, seed: int) -> torch.Tensor:
    """Positions ``0..n-1`` drawn with replacement, ``n`` of them, a pure function of ``seed``."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, n, (n,), generator=g)


def feature_dropout(x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
    """Inverted dropout on features: each entry is zeroed with probability ``p``, survivors scaled by 1/(1-p)."""
    if p == 0:
        return x.clone()
    g = torch.Generator().manual_seed(seed)
    keep = (torch.rand(x.shape, generator=g) >= p).to(x.dtype)
    return x * keep / (1.0 - p)


def word_dropout(texts: list[str], p: float, seed: int) -> list[str]:
    """Drop each whitespace-separated word with probability ``p`` (at least one word stays)."""
    out = []
    for i, t in enumerate(texts):
        rng = random.Random(f"{seed}:{i}")
        words = t.split()
        kept = [w for w in words if rng.random() >= p]
        if not kept and words:
            kept = [words[rng.randrange(len(words))]]
        out.append(" ".join(kept))
    return out


def input_views(texts: list[str], cfg: VariationConfig) -> tuple[list[list[str]], list[int]]:
    """Input-side variations of the whole pool: ``(views, which)``. The weak model trains on ``views[0]`` (the
    pool as it reads it) and its answers under variation ``v`` are its predictions on ``views[which[v]]``."""
    if cfg.kind == "prompts":
        return [[p.format(text=t) for t in texts] for p in cfg.prompts], list(range(cfg.k))
    if cfg.kind == "token_dropout":
        return [list(texts), *(word_dropout(texts, cfg.p, v) for v in range(cfg.k))], list(range(1, cfg.k + 1))
    raise ValueError(f"{cfg.kind} is not an input-side variation (prompts or token_dropout)")


def variant_probs(
    x: torch.Tensor,
    a_train: torch.Tensor,
    a_train_y: torch.Tensor,
    a_val: torch.Tensor,
    a_val_y: torch.Tensor,
    query: torch.Tensor,
    cfg: VariationConfig,
    head_cfg: HeadConfig,
    loss: LossFn,
    *,
    seed: int,
    x_variants: list[torch.Tensor] | None = None,
) -> torch.Tensor:
    """Probability of class 1 that the weak supervisor gives each ``query`` example under each variation.

    ``x`` are the weak model's features of the whole pool; ``a_*`` is its training half (ground truth of
    half A, as for the weak model itself). ``x_variants`` (``token_dropout`` only) are ``k`` feature tensors of
    the augmented query texts. Returns a ``(len(query), k)`` tensor.
    """
    n, q, k = len(x), len(query), cfg.k
    if cfg.kind == "token_dropout":
        if x_variants is None or len(x_variants) != k or any(len(v) != q for v in x_variants):
            raise ValueError(f"token_dropout needs {k} feature tensors of the {q} augmented query texts")
        copies = [v.float() for v in x_variants]
    elif cfg.kind == "bootstrap":
        copies = [x[query].float() for _ in range(k)]
    else:  # dropout copies, one mask per variation, tied to the seed
        copies = [feature_dropout(x[query].float(), cfg.p, seed * 7919 + v) for v in range(k)]
    stacked = torch.cat([x.float(), *copies])
    learner = HeadLearner(stacked, head_cfg)
    probs = torch.empty(q, k)
    if cfg.kind in ("bootstrap", "bootstrap_dropout"):
        for v in range(k):
            pos = bootstrap_index(len(a_train), seed * 1009 + v)
            fitted = learner.fit(a_train[pos], a_train_y[pos], loss, a_val, a_val_y, seed=seed * 31 + v)
            probs[:, v] = fitted.predict(torch.arange(n + v * q, n + (v + 1) * q))
    else:
        fitted = learner.fit(a_train, a_train_y, loss, a_val, a_val_y, seed=seed)
        for v in range(k):
            probs[:, v] = fitted.predict(torch.arange(n + v * q, n + (v + 1) * q))
    return probs
