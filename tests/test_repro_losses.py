"""Losses and metrics against hand-computed values."""

import math

import pytest
import torch

from repro.config import ConfidenceSettings, LossSpec
from repro.losses import ThresholdPrior, alpha_schedule, confidence_loss, harden, make_loss, soft_cross_entropy
from repro.metrics import accuracy, auroc, mean_std, pgr
from repro.trainer import TrainState


def test_soft_cross_entropy_hand_computed():
    logits = torch.tensor([[0.0, math.log(3.0)]])  # p(class 1) = 3/4
    # target 0.2: -(0.8*log(1/4) + 0.2*log(3/4))
    expected = -(0.8 * math.log(0.25) + 0.2 * math.log(0.75))
    assert soft_cross_entropy(logits, torch.tensor([0.2])).item() == pytest.approx(expected, rel=1e-6)


def test_alpha_ramps_linearly_over_first_fifth_then_holds():
    assert alpha_schedule(0.0, 0.75) == 0.0
    assert alpha_schedule(0.1, 0.75) == pytest.approx(0.375)  # half-way through the warm-up: half of alpha_max
    assert alpha_schedule(0.2, 0.75) == pytest.approx(0.75)
    assert alpha_schedule(0.9, 0.75) == pytest.approx(0.75)  # no jump, no 0.1*alpha_max plateau
    assert alpha_schedule(0.05, 0.5, warmup_frac=0.1) == pytest.approx(0.25)


def test_confidence_loss_hand_computed():
    # two examples; student p1 = [0.75, 0.25]; weak soft labels [0.4, 0.6]; alpha 0.5; threshold 0.5
    logits = torch.tensor([[0.0, math.log(3.0)], [math.log(3.0), 0.0]])
    weak = torch.tensor([0.4, 0.6])
    # hardened student = [1, 0]; targets = 0.5*[0.4, 0.6] + 0.5*[1, 0] = [0.7, 0.3]
    t = [0.7, 0.3]
    p = [0.75, 0.25]
    expected = sum(-(ti * math.log(pi) + (1 - ti) * math.log(1 - pi)) for ti, pi in zip(t, p, strict=True)) / 2
    got = confidence_loss(logits, weak, alpha=0.5, threshold=0.5)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    # alpha 0 is plain cross-entropy to the weak labels
    assert confidence_loss(logits, weak, 0.0, 0.5).item() == pytest.approx(soft_cross_entropy(logits, weak).item())


def test_confidence_target_is_detached():
    logits = torch.tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)
    loss = confidence_loss(logits, torch.tensor([0.5, 0.5]), 1.0, 0.5)
    loss.backward()
    # with alpha=1 the target is the hardened prediction, a constant: gradient = (softmax - onehot)/n
    p = torch.softmax(logits.detach(), -1)
    onehot = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert torch.allclose(logits.grad, (p - onehot) / 2, atol=1e-6)


def test_made_loss_uses_ramp_and_prior():
    loss = make_loss(
        LossSpec(name="confidence", confidence=ConfidenceSettings(alpha_max=0.5, warmup_frac=0.2, prior="balanced"))
    )
    logits = torch.tensor([[0.0, 2.0], [0.0, 1.0], [0.0, -1.0], [0.0, -2.0]])
    batch = {"target": torch.tensor([0.5, 0.5, 0.5, 0.5])}
    at_start = loss(logits, batch, TrainState(step=0, total_steps=10))
    assert at_start.item() == pytest.approx(soft_cross_entropy(logits, batch["target"]).item())
    later = loss(logits, batch, TrainState(step=5, total_steps=10))
    # balanced prior: threshold is the batch median, top two hardened to 1
    expected = soft_cross_entropy(logits, 0.5 * batch["target"] + 0.5 * torch.tensor([1.0, 1.0, 0.0, 0.0]))
    assert later.item() == pytest.approx(expected.item(), rel=1e-6)


def test_threshold_priors():
    p = torch.tensor([0.9, 0.8, 0.3, 0.2, 0.1])
    assert harden(p, ThresholdPrior("balanced")(p, torch.zeros(5))).sum() == 2  # strictly above the median
    weak = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0])  # 80% positive by the weak labels
    thr = ThresholdPrior("weak_mean")(p, weak)
    assert harden(p, thr).sum() == 4  # 80% of 5 above the 20% quantile
    roll = ThresholdPrior("rolling_median", window=4)
    roll(torch.tensor([0.1, 0.2]), weak)
    assert float(roll(torch.tensor([0.3, 0.4]), weak)) == pytest.approx(0.2)  # median of the last four (lower)
    with pytest.raises(ValueError):
        ThresholdPrior("median")


def test_pgr_and_stats():
    assert pgr(0.7, 0.8, 0.9) == pytest.approx(0.5)
    assert pgr(0.7, 0.65, 0.8) == pytest.approx(-0.5)
    assert math.isnan(pgr(0.7, 0.7, 0.7))
    m, s = mean_std([0.2, 0.4, 0.6])
    assert m == pytest.approx(0.4) and s == pytest.approx(0.2)
    assert mean_std([0.5]) == (0.5, 0.0)


def test_accuracy_and_auroc():
    y = torch.tensor([0, 0, 1, 1])
    assert accuracy(torch.tensor([0.1, 0.6, 0.7, 0.4]), y) == 0.5
    assert auroc(torch.tensor([0.1, 0.2, 0.3, 0.4]), y) == 1.0
    assert auroc(torch.tensor([0.1, 0.35, 0.3, 0.4]), y) == pytest.approx(0.75)
    assert auroc(torch.tensor([0.5, 0.5, 0.5, 0.5]), y) == pytest.approx(0.5)  # ties count half


def test_confidence_defaults_agree_everywhere():
    """One default: a bare confidence LossSpec, the recipes' configs and the committed default preset agree."""
    from repro.config import load_config
    from repro.recipes import burns2023, guo2024reliability, preset_path

    bare = LossSpec(name="confidence").confidence
    assert bare == ConfidenceSettings() and bare.prior == "weak_mean"  # the value behind results/
    assert burns2023.Config().confidence == bare == guo2024reliability.Config().confidence
    assert load_config(burns2023.Config, preset_path("burns2023", "default")).confidence == bare
    with pytest.raises(ValueError, match="no confidence settings"):
        LossSpec(name="xent", confidence=ConfidenceSettings())


# ---- the confidence loss's threshold spans the logical batch (all micro-batches, all ranks) ------------------
def _confidence_targets(grad_accum: int, rank: int = 0, world: int = 1, prior: str = "balanced") -> dict:
    """Train a head with the confidence loss; return {(step, example id): the target the loss trained on}."""
    import repro.losses as losses
    from repro.models import LinearHead
    from repro.trainer import Trainer, TrainerConfig

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 6, generator=g)
    data = {"x": x, "target": torch.sigmoid(2 * x[:, 0] + torch.randn(64, generator=g)), "id": torch.arange(64)}
    seen: dict = {}
    current: dict = {}
    original = losses.confidence_loss

    def recording(logits, weak_pos, alpha, threshold, weight=None):
        p = torch.softmax(logits.detach().float(), -1)[:, 1]
        target = (1 - alpha) * weak_pos + alpha * harden(p, threshold)
        for i, t in zip(current["batch"]["id"].tolist(), target.tolist(), strict=True):
            seen[(current["state"].step, i)] = t
        return original(logits, weak_pos, alpha, threshold, weight)

    inner = make_loss(
        LossSpec(name="confidence", confidence=ConfidenceSettings(alpha_max=1.0, warmup_frac=0.0, prior=prior))
    )

    def loss(logits, batch, state):
        current.update(batch=batch, state=state)
        return inner(logits, batch, state)

    if hasattr(inner, "batch_statistic"):
        loss.batch_statistic = inner.batch_statistic
    losses.confidence_loss = recording
    try:
        torch.manual_seed(0)
        head = LinearHead(6)
        torch.nn.init.normal_(head.linear.weight, std=0.5)  # predictions spread from the first step
        Trainer(
            TrainerConfig(lr=0.05, epochs=2, batch_size=16, grad_accum=grad_accum, warmup_frac=0.0, max_grad_norm=None),
            device="cpu",
        ).fit(head, data, loss, seed=1)
    finally:
        losses.confidence_loss = original
    return seen


def _rank_targets(rank: int, world: int, init_file: str, out: str, prior: str) -> None:
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        torch.save(_confidence_targets(1, rank, world, prior), f"{out}.{rank}")
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.parametrize("prior", ["balanced", "weak_mean"])
def test_confidence_targets_identical_for_one_or_four_micro_batches(prior):
    """The paper's hardening threshold is a quantile over the batch of 32; with gradient accumulation each
    micro-batch alone would harden differently (a micro-batch of one example: always 0)."""
    one = _confidence_targets(grad_accum=1, prior=prior)
    four = _confidence_targets(grad_accum=4, prior=prior)
    assert len(one) == 2 * 64 and set(four) == set(one)
    assert all(abs(one[k] - four[k]) < 1e-6 for k in one), "1 x 4 micro-batches hardened differently than 1 x 1"
    assert 0.3 < sum(one.values()) / len(one) < 0.7


def test_confidence_targets_identical_on_two_ranks(tmp_path):
    import torch.multiprocessing as mp

    one = _confidence_targets(grad_accum=1)
    mp.spawn(_rank_targets, args=(2, str(tmp_path / "init"), str(tmp_path / "t"), "balanced"), nprocs=2)
    two = {**torch.load(tmp_path / "t.0"), **torch.load(tmp_path / "t.1")}
    assert set(two) == set(one)
    assert all(abs(one[k] - two[k]) < 1e-6 for k in one), "2 ranks hardened differently than 1 process"


def test_head_learner_passes_the_logical_batch_to_the_confidence_loss():
    """The L2-penalised wrapper a head trains with must keep the loss's batch statistic (else each micro-batch,
    or each rank's share, hardens on its own)."""
    from repro.config import HEAD_TRAINING, HeadConfig
    from repro.learners import HeadLearner

    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 5, generator=g)
    weak = torch.sigmoid(2 * x[:, 0] + torch.randn(96, generator=g))
    spec = LossSpec(name="confidence", confidence=ConfidenceSettings(alpha_max=1.0, warmup_frac=0.0, prior="balanced"))
    probs = []
    for accum in (1, 4):
        trainer = HEAD_TRAINING.model_copy(update={"batch_size": 32, "grad_accum": accum, "epochs": 3})
        fitted = HeadLearner(x, HeadConfig(l2_grid=[0.01], trainer=trainer)).fit(
            torch.arange(64), weak[:64], make_loss(spec), torch.arange(64, 96), weak[64:], seed=0
        )
        probs.append(fitted.predict(torch.arange(96)))
    assert torch.allclose(probs[0], probs[1], atol=1e-5)


def test_product_loss_hand_computed():
    from repro.config import ProductSettings
    from repro.losses import product_loss

    # student p1 = 3/4, weak soft label 0.4: full product target = 0.4*0.75 / (0.4*0.75 + 0.6*0.25) = 2/3
    logits = torch.tensor([[0.0, math.log(3.0)]])
    weak = torch.tensor([0.4])
    t = 0.3 / (0.3 + 0.15)
    expected = -(t * math.log(0.75) + (1 - t) * math.log(0.25))
    assert product_loss(logits, weak, alpha=1.0).item() == pytest.approx(expected, rel=1e-6)
    assert product_loss(logits, weak, alpha=0.0).item() == pytest.approx(soft_cross_entropy(logits, weak).item())
    # a hard weak label stays hard whatever the student says (0 times anything is 0)
    assert product_loss(logits, torch.tensor([0.0]), 1.0).item() == pytest.approx(-math.log(0.25), rel=1e-4)
    # the target is detached: with alpha 1 the gradient is softmax - target
    lg = logits.clone().requires_grad_(True)
    product_loss(lg, weak, 1.0).backward()
    assert torch.allclose(lg.grad, torch.tensor([[0.25 - (1 - t), 0.75 - t]]), atol=1e-6)
    # built from a LossSpec, the student's exponent ramps over the warm-up
    loss = make_loss(LossSpec(name="product", product=ProductSettings(alpha_max=1.0, warmup_frac=0.5)))
    batch = {"target": weak}
    assert loss(logits, batch, TrainState(step=0, total_steps=10)).item() == pytest.approx(
        soft_cross_entropy(logits, weak).item()
    )
    assert loss(logits, batch, TrainState(step=5, total_steps=10)).item() == pytest.approx(expected, rel=1e-6)
    assert LossSpec(name="product").product == ProductSettings()  # default settings when omitted
    with pytest.raises(ValueError, match="takes no product"):
        LossSpec(name="xent", product=ProductSettings())
