"""Burns et al. (2023), Weak-to-Strong Generalization (arXiv 2312.09390): naive finetuning on weak labels,
the auxiliary confidence loss, and bootstrapping along a size ladder.

The method, stage by stage (``run`` calls them in this order, for every seed):
1. split the training data into half A and half B (grouped, so no item's siblings cross a split);
2. train the weak supervisor on half A with ground truth;
3. its soft predictions on half B are the weak labels (the only labels a student ever sees);
4. train the strong ceiling on half B with ground truth;
5. train strong students on half B from the weak labels: naive (hard or soft labels), with the auxiliary
   confidence loss, by generative finetuning first (``gft``: the strong model learns the task's unlabelled
   training texts as a language model, then trains on weak labels; its ceiling is generatively finetuned too,
   so the gain is not a lower ceiling), and by bootstrapping through intermediate sizes. Bootstrapping is cross-fitted: half B's
   training share is cut into two grouped halves, each intermediate rung is trained twice (once per half) and
   each copy labels the half it did not see, so the next rung learns from out-of-sample predictions, never
   from a model's predictions on its own training examples; the strong model, last, trains on all of it;
6. evaluate everything on the test split; PGR of the mean accuracies over seeds (``report.py``).
A method whose student is the same training stage as another's (``confidence_balanced`` when the configured
prior is already balanced; ``bootstrap`` without intermediate rungs) is reported once, with a line saying so.
Model selection (L2 strength / stopping step) uses a validation share of the same half with the same kind of
labels the stage trains on: weak labels for students. ``oracle_stop`` selects with ground truth instead and is
reported as an oracle ablation only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch

from ...cache import fingerprint
from ...config import LossSpec, ModelConfig
from ...pipeline import Context, Stage
from ...report import MethodRuns, RunResult, curve_rows, weak_label_rows
from ...tasks import Splits, WeakLabelled, _group_partition
from . import DESCRIPTIONS, Config

XENT = LossSpec()
LADDER_NAIVE = "naive_soft (weak labels)"  # the ladder's naive series is the naive_soft student at each rung


class NamesWeak(Protocol):
    """A recipe configuration with a weak model (this recipe's, and those that reuse its weak supervisor)."""

    @property
    def weak(self) -> ModelConfig: ...


# ---- stages ---------------------------------------------------------------------------------------------------
def train_weak_supervisor(ctx: Context, cfg: NamesWeak, s: Splits, seed: int) -> Stage:
    y = ctx.task().labels.float()
    return ctx.train("weak", cfg.weak, s.a_train, y[s.a_train], XENT, s.a_val, y[s.a_val], seed=seed)


def weak_labels(weak: Stage, s: Splits) -> tuple[WeakLabelled, WeakLabelled]:
    return WeakLabelled(s.b_train, weak.prob[s.b_train]), WeakLabelled(s.b_val, weak.prob[s.b_val])


def train_ceiling(ctx: Context, model: ModelConfig, s: Splits, seed: int) -> Stage:
    y = ctx.task().labels.float()
    return ctx.train("ceiling", model, s.b_train, y[s.b_train], XENT, s.b_val, y[s.b_val], seed=seed)


def train_student(
    ctx: Context,
    model: ModelConfig,
    train: WeakLabelled,
    val: WeakLabelled,
    loss: LossSpec,
    seed: int,
    upstream: tuple[str, ...],
) -> Stage:
    """A strong student sees only weak labels: its data is a WeakLabelled, which has no ground truth."""
    return ctx.train("student", model, train.index, train.soft, loss, val.index, val.soft, seed=seed, upstream=upstream)


def crossfit_halves(ctx: Context, index: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Half B's training examples in two grouped halves (no item's siblings in both), for cross-fitting."""
    one, two = _group_partition(ctx.task().groups, index.tolist(), [0.5, 0.5], seed + 3)
    if not one or not two:
        raise ValueError(f"task {ctx.task().name}: too few groups in half B to cross-fit the bootstrap ladder")
    return torch.tensor(one, dtype=torch.long), torch.tensor(two, dtype=torch.long)


def crossfit_rung(
    ctx: Context, model: ModelConfig, train: WeakLabelled, val: WeakLabelled, seed: int, upstream: str
) -> Stage:
    """An intermediate rung, cross-fitted: one copy trains on each half of half B and labels the other half,
    so every label it passes on is an out-of-sample prediction. Elsewhere (validation share, test) the two
    copies' predictions are averaged."""
    halves = crossfit_halves(ctx, train.index, seed)
    fits = []
    for part in halves:
        keep = torch.isin(train.index, part)
        fits.append(
            train_student(ctx, model, WeakLabelled(train.index[keep], train.soft[keep]), val, XENT, seed, (upstream,))
        )
    prob = (fits[0].prob + fits[1].prob) / 2
    prob[halves[1]] = fits[0].prob[halves[1]]  # copy 0 never saw half 1
    prob[halves[0]] = fits[1].prob[halves[0]]
    return Stage(fingerprint("crossfit", fits[0].key, fits[1].key), prob, {"crossfit": [f.key for f in fits]})


def bootstrap(
    ctx: Context, chain: list[ModelConfig], train: WeakLabelled, val: WeakLabelled, seed: int, upstream: str
) -> list[Stage]:
    """Each rung learns from the previous rung's soft labels on half B; intermediate rungs are cross-fitted
    (:func:`crossfit_rung`), the last rung, the strong model, trains on all of half B's training share."""
    stages = []
    for i, model in enumerate(chain):
        last = i == len(chain) - 1
        st = (
            train_student(ctx, model, train, val, XENT, seed, (upstream,))
            if last
            else crossfit_rung(ctx, model, train, val, seed, upstream)
        )
        stages.append(st)
        train, val = WeakLabelled(train.index, st.prob[train.index]), WeakLabelled(val.index, st.prob[val.index])
        upstream = st.key
    return stages


def generative_strong(ctx: Context, cfg: Config, s: Splits) -> ModelConfig:
    """Generative finetuning (Sec. 5.2.2): the strong model is first finetuned as a language model on the task's
    texts without labels: every training text of this split (halves A and B with their validation shares),
    never a test text. The ceiling and the weak-label student then both start from it."""
    return ctx.generative_finetune(
        cfg.strong, torch.cat([s.a_train, s.a_val, s.b_train, s.b_val]), cfg.generative_trainer
    )


def oracle_student(ctx: Context, model: ModelConfig, train: WeakLabelled, s: Splits, seed: int, upstream: str) -> Stage:
    """Ablation: weak-label training, but ground-truth selection on half B's validation share."""
    y = ctx.task().labels.float()
    return ctx.train(
        "student", model, train.index, train.soft, XENT, s.b_val, y[s.b_val], seed=seed, upstream=(upstream, "oracle")
    )


def run_seed(ctx: Context, cfg: Config, seed: int) -> dict:
    s = ctx.splits(seed)
    weak = train_weak_supervisor(ctx, cfg, s, seed)
    train, val = weak_labels(weak, s)
    ceiling = train_ceiling(ctx, cfg.strong, s, seed)
    acc = lambda st: ctx.evaluate(st.prob, s.test)  # noqa: E731
    out: dict[str, Any] = {
        "weak": acc(weak),
        "ceiling": acc(ceiling),
        "methods": {},
        "stage": {},
        "ladder": [],
        "weak_labels": weak_label_rows(seed, ctx.task().texts, {"b_train": train, "b_val": val}),
    }
    up = (weak.key,)
    conf = LossSpec(name="confidence", confidence=cfg.confidence)
    balanced = LossSpec(name="confidence", confidence=cfg.confidence.model_copy(update={"prior": "balanced"}))
    runs = {
        "naive_hard": lambda: train_student(ctx, cfg.strong, train.hard(), val.hard(), XENT, seed, up),
        "naive_soft": lambda: train_student(ctx, cfg.strong, train, val, XENT, seed, up),
        "confidence": lambda: train_student(ctx, cfg.strong, train, val, conf, seed, up),
        "confidence_balanced": lambda: train_student(ctx, cfg.strong, train, val, balanced, seed, up),
        "bootstrap": lambda: bootstrap(ctx, [*cfg.ladder, cfg.strong], train, val, seed, weak.key)[-1],
        "oracle_stop": lambda: oracle_student(ctx, cfg.strong, train, s, seed, weak.key),
    }
    if "gft" in cfg.methods:
        gft = generative_strong(ctx, cfg, s)
        runs["gft"] = lambda: train_student(ctx, gft, train, val, XENT, seed, up)
        out["gft_ceiling"] = acc(train_ceiling(ctx, gft, s, seed))
    for m in cfg.methods:
        st = runs[m]()
        out["methods"][m], out["stage"][m] = acc(st), st.key
    # The size ladder for the plot: ceiling, naive_soft (weak labels) and the bootstrapped student at each rung.
    if cfg.ladder and not cfg.finetune:  # the plot's x axis is parameter count of frozen backbones
        chain = [*cfg.ladder, cfg.strong]
        boot = bootstrap(ctx, chain, train, val, seed, weak.key)
        for model, b in zip(chain, boot, strict=True):
            out["ladder"].append(
                {
                    "ceiling": acc(train_ceiling(ctx, model, s, seed))["acc"],
                    LADDER_NAIVE: acc(train_student(ctx, model, train, val, XENT, seed, up))["acc"],
                    "bootstrapped": acc(b)["acc"],
                }
            )
    return out


def coinciding(methods: Sequence[str], stage_of: dict[str, str]) -> dict[str, str]:
    """Methods whose student is the same training stage as an earlier method's (e.g. ``confidence_balanced``
    when the configured prior is already balanced, or ``bootstrap`` with no intermediate rung): method -> the
    method it repeats. They are reported once."""
    first: dict[str, str] = {}
    out = {}
    for m in methods:
        if stage_of[m] in first:
            out[m] = first[stage_of[m]]
        else:
            first[stage_of[m]] = m
    return out


def backbones(cfg: Config) -> list[ModelConfig]:
    """The models whose frozen features the run uses (a suite extracts them for all its tasks at once)."""
    return [cfg.weak, *cfg.ladder, cfg.strong]


def run(cfg: Config, ctx: Context) -> RunResult:
    ctx.task()
    if not cfg.finetune:  # one pass per backbone computes every depth of the ladder
        ctx.features(backbones(cfg))
    per_seed = []
    for seed in range(cfg.seeds):
        per_seed.append(run_seed(ctx, cfg, seed))
        ctx.log(
            f"seed {seed}: weak {per_seed[-1]['weak']['acc']:.3f} ceiling {per_seed[-1]['ceiling']['acc']:.3f} "
            + " ".join(f"{m} {v['acc']:.3f}" for m, v in per_seed[-1]["methods"].items())
        )
    return collect(cfg, ctx, per_seed)


def collect(cfg: Config, ctx: Context, per_seed: list[dict]) -> RunResult:
    same = coinciding(cfg.methods, per_seed[0]["stage"])  # the same for every seed: it depends on the config only
    methods: dict[str, MethodRuns] = {
        m: MethodRuns(
            [r["methods"][m]["acc"] for r in per_seed],
            [r["methods"][m]["auroc"] for r in per_seed],
            DESCRIPTIONS[m],
            oracle=m == "oracle_stop",
        )
        for m in cfg.methods
        if m not in same
    }
    if "gft" in methods:  # PGR of the generatively finetuned student is measured against its own (GFT) ceiling
        g = methods["gft"]
        g.ceiling = [r["gft_ceiling"]["acc"] for r in per_seed]
        g.ceiling_auroc = [r["gft_ceiling"]["auroc"] for r in per_seed]
        g.ceiling_name = f"{cfg.strong.display()} +GFT"
    served: dict[str, list[str]] = {}
    for r in per_seed:
        for m, key in r["stage"].items():
            served.setdefault(key, []).append(m)
    ladder = []
    if cfg.ladder and not cfg.finetune:
        chain = [*cfg.ladder, cfg.strong]
        params = [f["params"] for f in ctx.features(chain)]
        for i, (model, n) in enumerate(zip(chain, params, strict=True)):
            rung = {"model": model.display(), "params": n}
            for k in per_seed[0]["ladder"][i]:
                rung[k] = [r["ladder"][i][k] for r in per_seed]
            ladder.append(rung)
    t = ctx.task()
    mode = "finetuned backbones" if cfg.finetune else "frozen mean-pooled features and logistic heads"
    select = (
        "the stopping step"
        if cfg.finetune
        else "the L2 strength (heads trained to convergence)"
        + (" and stopping step" if cfg.head.early_stopping else "")
    )
    note = (
        f"Setup: {t.name}, {len(t.texts)} examples split by group into weak-train (half A), transfer (half B) and "
        f"test thirds; weak {cfg.weak.display()}, strong {cfg.strong.display()}, {mode}; {cfg.seeds} seeds "
        f"(each a new split and initialisation). Students see only the weak model's labels on half B; "
        f"{select} is chosen by agreement with the weak labels of a held-out validation share of half B, never "
        f"on test (oracle_stop selects with ground truth there and is an ablation). Confidence loss: alpha_max "
        f"{cfg.confidence.alpha_max}, linear warm-up over {cfg.confidence.warmup_frac:.0%} of steps, "
        f"{cfg.confidence.prior} threshold prior. Bootstrapping is cross-fitted: each intermediate rung is "
        f"trained on one half of half B's training share and labels the other half, so no rung relabels the "
        f"examples it was trained on."
        + (
            f" gft: before any label, the strong model is finetuned as a language model on every training text "
            f"of the split ({cfg.generative_trainer.epochs} epoch(s), lr {cfg.generative_trainer.lr:g}; the weights "
            f"with the lowest loss on 5% held-out texts are kept); its ceiling and student start from those "
            f"weights, and its PGR uses that ceiling."
            if "gft" in cfg.methods
            else ""
        )
    )
    return RunResult.from_seeds(
        cfg,
        per_seed,
        methods,
        ladder=ladder,
        note=note,
        coincide=same,
        curves=curve_rows(ctx.trained, served),
        weak_labels=[row for r in per_seed for row in r["weak_labels"]],
    )
