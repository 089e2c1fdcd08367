"""Run by tests/test_repro_trainer.py, once as a single process and once under torchrun (2 ranks, gloo).

Trains a logistic head with the shared trainer on fixed synthetic data and writes the metrics (rank 0).
"""

import json
import sys

import torch

from repro.config import LossSpec
from repro.losses import make_loss
from repro.metrics import accuracy
from repro.models import LinearHead
from repro.trainer import Trainer, TrainerConfig, rank_world, seed_everything


def main(out: str) -> None:
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 16, generator=g)
    y = ((x[:, 0] + 0.5 * x[:, 1] + 0.3 * torch.randn(256, generator=g)) > 0).float()
    soft = torch.sigmoid(3 * (x[:, 0] + 0.5 * x[:, 1]))
    trainer = Trainer(TrainerConfig(lr=0.05, epochs=3, batch_size=32, grad_accum=2, warmup_frac=0.1))
    seed_everything(0)
    head = LinearHead(16)
    data = {"x": x[:192], "target": soft[:192]}
    val = {"x": x[192:]}
    res = trainer.fit(
        head,
        data,
        make_loss(LossSpec()),
        seed=3,
        evaluate=lambda m: {"score": accuracy(torch.softmax(m(val), -1)[:, 1], y[192:])},
    )
    p = torch.softmax(trainer.predict(res.model, {"x": x}), -1)[:, 1]
    rank, world = rank_world()
    if rank == 0:
        with open(out, "w") as f:
            json.dump(
                {
                    "world": world,
                    "steps": res.steps,
                    "acc": accuracy(p[192:], y[192:]),
                    "history": [h["score"] for h in res.history],
                    "weight": res.model.linear.weight.flatten().tolist(),
                },
                f,
            )


if __name__ == "__main__":
    main(sys.argv[1])
