"""The shared trainer: early stopping, accumulation, checkpoint/resume, and torchrun (gloo) == one process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from repro.config import LossSpec
from repro.losses import make_loss
from repro.models import LinearHead
from repro.trainer import Trainer, TrainerConfig, seed_everything

ROOT = Path(__file__).resolve().parents[1]


def _data(n=200, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, 0] > 0).float()
    return {"x": x, "target": y}


def _fit(cfg, data, **kw):
    seed_everything(0)
    head = LinearHead(data["x"].shape[1])
    return Trainer(cfg, device="cpu").fit(head, data, make_loss(LossSpec()), seed=1, **kw)


def test_learns_and_restores_best_weights_with_early_stopping():
    data = _data()
    scores = iter([0.5, 0.9, 0.7, 0.6, 0.95])
    res = _fit(
        TrainerConfig(lr=0.1, epochs=20, batch_size=20, eval_every=2, patience=2),
        data,
        evaluate=lambda m: {"score": next(scores)},
    )
    assert res.stopped_early and res.steps == 8 and res.best_step == 4 and res.best_score == 0.9
    full = _fit(TrainerConfig(lr=0.1, epochs=5, batch_size=20), data)
    p = torch.softmax(full.model(data), -1)[:, 1]
    assert ((p > 0.5).float() == data["target"]).float().mean() > 0.95


def test_gradient_accumulation_matches_one_big_batch():
    data = _data()
    a = _fit(TrainerConfig(lr=0.05, epochs=2, batch_size=40, grad_accum=1, max_grad_norm=None), data)
    b = _fit(TrainerConfig(lr=0.05, epochs=2, batch_size=40, grad_accum=4, max_grad_norm=None), data)
    assert torch.allclose(a.model.linear.weight, b.model.linear.weight, atol=1e-5)


def test_resume_after_interruption_is_bit_identical(tmp_path):
    data = _data()
    cfg = TrainerConfig(lr=0.05, epochs=4, batch_size=20, eval_every=3, ckpt_every=3)
    ev = lambda m: {"score": -float(torch.nn.functional.cross_entropy(m(data), data["target"].long()))}  # noqa: E731
    ref = _fit(cfg, data, evaluate=ev)
    calls = {"n": 0}
    xent = make_loss(LossSpec())

    def dying(logits, batch, state):
        calls["n"] += 1
        if calls["n"] == 14:  # killed mid-epoch, after a checkpoint at step 12
            raise KeyboardInterrupt
        return xent(logits, batch, state)

    seed_everything(0)
    head = LinearHead(8)
    with pytest.raises(KeyboardInterrupt):
        Trainer(cfg, device="cpu").fit(head, data, dying, seed=1, evaluate=ev, ckpt_dir=tmp_path)
    assert torch.load(tmp_path / "trainer.pt", weights_only=False)["step"] == 12
    seed_everything(123)  # a different process: init differs, the checkpoint restores everything
    resumed = Trainer(cfg, device="cpu").fit(LinearHead(8), data, xent, seed=1, evaluate=ev, ckpt_dir=tmp_path)
    assert resumed.steps == ref.steps and resumed.best_step == ref.best_step
    assert torch.equal(resumed.model.linear.weight, ref.model.linear.weight)


def test_batch_must_split_evenly():
    with pytest.raises(ValueError, match="divisible"):
        Trainer(TrainerConfig(batch_size=10, grad_accum=3), device="cpu")


def _run_worker(tmp_path, nproc):
    out = tmp_path / f"out{nproc}.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    worker = str(ROOT / "tests" / "repro_ddp_worker.py")
    if nproc == 1:
        cmd = [sys.executable, worker, str(out)]
    else:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc}",
            worker,
            str(out),
        ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_torchrun_two_ranks_gloo_matches_one_process(tmp_path):
    one = _run_worker(tmp_path, 1)
    two = _run_worker(tmp_path, 2)
    assert one["world"] == 1 and two["world"] == 2
    assert one["steps"] == two["steps"]
    assert one["acc"] == two["acc"]
    assert one["history"] == pytest.approx(two["history"], abs=1e-6)
    assert one["weight"] == pytest.approx(two["weight"], abs=1e-5)
