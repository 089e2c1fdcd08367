"""The head learner trains its whole L2 grid as one stacked module. Each head must end exactly where it would
if that L2 candidate were trained alone (a LinearHead with its own penalised loss), including stateful losses
and per-head early stopping, and the selection must pick the same candidate."""

from __future__ import annotations

import pytest
import torch

from repro.config import HEAD_TRAINING, ConfidenceSettings, HeadConfig, LossSpec
from repro.learners import HeadLearner, _val_score
from repro.losses import make_loss
from repro.models import LinearHead
from repro.trainer import Trainer, seed_everything

GRID = [0.001, 0.1, 3.0]


def _data(n: int = 240, d: int = 12):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=g) * torch.linspace(0.5, 3, d) + 1.0
    weak = torch.sigmoid(1.5 * x[:, 0] - x[:, 3] + torch.randn(n, generator=g))
    return x, weak


def _alone(x, weak, spec: LossSpec, l2: float, trainer_cfg, early_stopping: bool, tr, va):
    """One L2 candidate trained by itself, the way the head learner did before the grid was stacked."""
    xtr = x[tr]
    mean, std = xtr.mean(0), xtr.std(0).clamp_min(1e-6)
    seed_everything(0)
    head = LinearHead(x.shape[1], mean, std)
    loss = make_loss(spec)

    def penalised(logits, batch, state):
        return loss(logits, batch, state) + 0.5 * l2 * head.linear.weight.pow(2).sum()

    if hasattr(loss, "batch_statistic"):
        penalised.batch_statistic = loss.batch_statistic

    def evaluate(model):
        return {"score": _val_score(model({"x": x[va]}), weak[va])}

    res = Trainer(trainer_cfg, device="cpu").fit(
        head, {"x": xtr, "target": weak[tr]}, penalised, seed=0, evaluate=evaluate if early_stopping else None
    )
    with torch.no_grad():
        score = res.best_score if early_stopping else evaluate(res.model)["score"]
        prob = torch.softmax(res.model({"x": x}), -1)[:, 1]
    return score, prob, res


CASES = [
    (LossSpec(), False, None),
    (LossSpec(name="confidence", confidence=ConfidenceSettings(prior="weak_mean")), False, None),
    (LossSpec(name="confidence", confidence=ConfidenceSettings(prior="rolling_median")), False, None),
    (LossSpec(), True, 3),
    (LossSpec(name="confidence", confidence=ConfidenceSettings(prior="balanced")), True, 2),
]


@pytest.mark.parametrize("spec,early,patience", CASES)
def test_stacked_l2_grid_matches_each_candidate_trained_alone(spec, early, patience):
    x, weak = _data()
    tr, va = torch.arange(0, 180), torch.arange(180, 240)
    trainer = HEAD_TRAINING.model_copy(update={"batch_size": 32, "epochs": 12, "patience": patience, "eval_every": 3})
    alone = [_alone(x, weak, spec, l2, trainer, early, tr, va) for l2 in GRID]
    fitted = HeadLearner(x, HeadConfig(l2_grid=GRID, trainer=trainer, early_stopping=early)).fit(
        tr, weak[tr], make_loss(spec), va, weak[va], seed=0
    )
    scores = [a[0] for a in alone]
    best = scores.index(max(scores))
    assert fitted.info["l2"] == GRID[best]
    assert fitted.info["val_score"] == pytest.approx(scores[best], abs=1e-6)
    assert torch.allclose(fitted.predict(torch.arange(len(x))), alone[best][1], atol=1e-5)
    if early:
        assert fitted.info["best_step"] == alone[best][2].best_step
        assert fitted.info["steps"] == alone[best][2].steps
    curve = fitted.info["history"]
    ref = alone[best][2].history
    assert [h["step"] for h in curve] == [h["step"] for h in ref]
    assert [h["train_loss"] for h in curve] == pytest.approx([h["train_loss"] for h in ref], rel=1e-4)


def test_every_head_of_the_grid_matches_its_candidate_trained_alone():
    """Not only the selected head: force each candidate to be the only one and compare (xent)."""
    x, weak = _data()
    tr, va = torch.arange(0, 180), torch.arange(180, 240)
    trainer = HEAD_TRAINING.model_copy(update={"batch_size": 32, "epochs": 8})
    both = HeadLearner(x, HeadConfig(l2_grid=GRID, trainer=trainer))
    spec = LossSpec()
    for l2 in GRID:
        _, prob, _ = _alone(x, weak, spec, l2, trainer, False, tr, va)
        only = HeadLearner(x, HeadConfig(l2_grid=[l2], trainer=trainer)).fit(
            tr, weak[tr], make_loss(spec), va, weak[va], seed=0
        )
        assert torch.allclose(only.predict(torch.arange(len(x))), prob, atol=1e-5)
    assert both.fit(tr, weak[tr], make_loss(spec), va, weak[va], seed=0).info["l2"] in GRID


def test_clipping_a_stacked_grid_is_refused_in_the_config():
    with pytest.raises(ValueError, match="max_grad_norm"):
        HeadConfig(trainer={"max_grad_norm": 1.0})
