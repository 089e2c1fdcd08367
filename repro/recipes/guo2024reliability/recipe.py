"""Guo & Yang (2024), Improving Weak-to-Strong Generalization with Reliability-Aware Alignment (arXiv 2406.19032):
query the weak supervisor under several answer-preserving variations, and filter or reweight its labels by how
consistent its answers are.

The method, stage by stage (``run`` calls them in this order, for every seed):
1. split, train the weak supervisor on half A and label half B: the burns2023 stages, same cache keys;
2. ask the weak supervisor about every example of half B ``k`` times under answer-preserving variations
   (``variations.py``). Model side (frozen features): bootstrap heads and/or feature dropout (the default).
   With ``--finetune``, ``bootstrap`` is ``k`` weak finetunes on resamples of half A.
   Input side, as in the paper (heads or finetuned LMs, ``--finetune``): the weak model reads every example
   under ``k`` prompts (answer-option orders, paraphrased instructions) or word-dropped copies; then steps 1 and 2
   are one stage: the weak model trains on the first view of half A and answers every view of the pool;
3. uncertainty of an example = entropy of its ``k`` answers (``reliability.py``);
4. method 1, ``filter``: train the student only on the examples at or below the entropy quantile (paper: the
   median), on the variations' answers;
5. method 2, ``reweight``: train on every (example, answer) pair weighted by softmax_j(freq_j / T) over the
   example's observed answers (paper: T = 0.2 with 5 options, 1 for two-way tasks), folded into one row per
   example (``reliability.collapse_rows``: exact for cross-entropy);
6. beside them the burns2023 baselines (naive soft labels, confidence loss) from the same weak model, seeds,
   splits and strong model, and the ground-truth ceiling; evaluate on test.
Evaluation only: how well the reliability separates correct from wrong weak labels (AUROC against half B's
ground truth). That ground truth is read in :func:`reliability_auroc` and nowhere on the student's path.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ...cache import fingerprint
from ...config import LossSpec, ModelConfig
from ...learners import LEARNER_VERSION
from ...losses import make_loss
from ...metrics import auroc, format_mean_std, mean_std, pgr
from ...pipeline import Context, Stage
from ...report import MethodRuns, RunResult
from ...tasks import Splits, WeakLabelled
from ..burns2023 import recipe as burns
from . import DESCRIPTIONS, INPUT_SIDE, Config
from . import reliability as rel
from .variations import bootstrap_index, input_views, variant_probs, word_dropout

XENT = burns.XENT


# ---- stages ---------------------------------------------------------------------------------------------------
def query_weak_variations(ctx: Context, cfg: Config, s: Splits, weak: Stage, seed: int) -> Stage:
    """P(class 1) from the weak supervisor for every half-B example (train, then val) under each variation.

    Trained on half A's ground truth, exactly like the weak supervisor; half B's labels are not an input."""
    query = torch.cat([s.b_train, s.b_val])
    y = ctx.task().labels.float()
    # the variations vary the data and inputs, not model selection: every head uses the weak model's L2
    heads = cfg.head.model_copy(update={"l2_grid": [weak.info.get("l2", cfg.head.l2_grid[0])]})
    key = fingerprint("variants/v1", LEARNER_VERSION, weak.key, cfg.variation, heads, query=query, seed=seed)

    def compute() -> dict:
        x = ctx.features([cfg.weak])[0]["x"]
        x_variants = None
        if cfg.variation.kind == "token_dropout":  # re-encode word-dropped texts (shared features cache)
            texts = ctx.task().texts
            x_variants = [
                ctx.features([cfg.weak], word_dropout(texts, cfg.variation.p, v))[0]["x"][query]
                for v in range(cfg.variation.k)
            ]
        probs = variant_probs(
            x,
            s.a_train,
            y[s.a_train],
            s.a_val,
            y[s.a_val],
            query,
            cfg.variation,
            heads,
            make_loss(XENT),
            seed=seed,
            x_variants=x_variants,
        )
        return {"prob": probs, "info": {"query": query}}

    out = ctx.cache.stage("variants", key, compute)
    return Stage(key, out["prob"], out["info"])


def input_side(cfg: Config) -> bool:
    """Whether the variations change the weak model's input text and run through its own training stage."""
    return cfg.variation.kind == "prompts" or (cfg.finetune and cfg.variation.kind in INPUT_SIDE)


def weak_under_input_variations(ctx: Context, cfg: Config, s: Splits, seed: int) -> tuple[Stage, Stage]:
    """The weak supervisor and its answers under input-side variations, from one training stage.

    The weak model trains on half A's ground truth in its first view (``variations.input_views``) and predicts
    every view of the pool: its prediction on the first view is the weak label, on the variation views its
    answers (half B only). Half B's labels are not an input."""
    texts = ctx.task().texts
    n = len(texts)
    views, which = input_views(texts, cfg.variation)
    y = ctx.task().labels.float()
    st = ctx.train(
        "weak",
        cfg.weak,
        s.a_train,
        y[s.a_train],
        XENT,
        s.a_val,
        y[s.a_val],
        seed=seed,
        texts=[t for v in views for t in v],
    )
    query = torch.cat([s.b_train, s.b_val])
    answers = torch.stack([st.prob[v * n + query] for v in which], dim=1)
    return Stage(st.key, st.prob[:n], st.info), Stage(st.key, answers, {"query": query})


def bootstrap_weak_finetunes(ctx: Context, cfg: Config, s: Splits, weak: Stage, seed: int) -> Stage:
    """Model-side variations for finetuned weak models: ``k`` weak finetunes, each on a bootstrap resample of half
    A (same seeds and resamples as the heads' ``bootstrap``), answer half B. Half B's labels are not an input."""
    y = ctx.task().labels.float()
    query = torch.cat([s.b_train, s.b_val])
    answers = []
    for v in range(cfg.variation.k):
        rows = s.a_train[bootstrap_index(len(s.a_train), seed * 1009 + v)]
        st = ctx.train(
            "weak", cfg.weak, rows, y[rows], XENT, s.a_val, y[s.a_val], seed=seed * 31 + v, upstream=("bootstrap",)
        )
        answers.append(st.prob[query])
    return Stage(fingerprint("variants/finetune", weak.key, cfg.variation), torch.stack(answers, 1), {"query": query})


def reliability(cfg: Config, variants: Stage) -> dict:
    """Answers, entropy, the filter mask and the per-answer weights: functions of the weak answers only."""
    answers = (variants.prob > 0.5).long()
    entropy = rel.answer_entropy(answers)
    scores = rel.answer_scores(answers, cfg.reliability.temperature)
    return {
        "answers": answers,
        "entropy": entropy,
        "keep": rel.quantile_keep(entropy, cfg.reliability.quantile),
        "scores": scores,
    }


def student_data(cfg: Config, r: dict, train: WeakLabelled) -> dict[str, tuple[WeakLabelled, torch.Tensor | None]]:
    """What each reliability method trains on: (examples and targets, per-example loss weights)."""
    n = len(train.index)
    answers, keep, scores = r["answers"][:n], r["keep"][:n], r["scores"][:n]
    votes, _ = rel.collapse_rows(answers, torch.ones_like(scores))
    filt = votes if cfg.reliability.filter_target == "votes" else train.soft
    rw_target, rw_weight = rel.collapse_rows(answers, scores)
    return {
        "naive_votes": (WeakLabelled(train.index, votes), None),
        "filter": (WeakLabelled(train.index[keep], filt[keep]), None),
        "reweight": (WeakLabelled(train.index, rw_target), rw_weight / answers.shape[1]),
    }


def train_weighted_student(
    ctx: Context,
    model: ModelConfig,
    data: WeakLabelled,
    weights: torch.Tensor | None,
    val: WeakLabelled,
    seed: int,
    upstream: tuple[str, ...],
) -> Stage:
    """Like burns2023's student (weak labels only, weak-labelled validation), with optional loss weights."""
    return ctx.train(
        "student",
        model,
        data.index,
        data.soft,
        XENT,
        val.index,
        val.soft,
        seed=seed,
        weights=weights,
        upstream=upstream,
    )


def reliability_auroc(ctx: Context, r: dict, weak_prob: torch.Tensor, query: torch.Tensor, cfg: Config) -> dict:
    """Evaluation only: does reliability separate correct from wrong weak labels on half B? (ground truth)"""
    hard = (weak_prob > 0.5).long()
    correct = (hard == ctx.task().labels[query]).long()
    keep = r["keep"]
    return {
        "neg_entropy": auroc(-r["entropy"], correct),
        "label_score": auroc(rel.label_score(r["answers"], hard, cfg.reliability.temperature), correct),
        "weak_confidence": auroc((weak_prob - 0.5).abs(), correct),
        "kept": float(keep.float().mean()),
        "acc_kept": float(correct[keep].float().mean()),
        "acc_dropped": float(correct[~keep].float().mean()) if (~keep).any() else float("nan"),
    }


def run_seed(ctx: Context, cfg: Config, seed: int) -> dict:
    s = ctx.splits(seed)
    if input_side(cfg):
        weak, variants = weak_under_input_variations(ctx, cfg, s, seed)
    else:
        weak = burns.train_weak_supervisor(ctx, cfg, s, seed)
        variants = (bootstrap_weak_finetunes if cfg.finetune else query_weak_variations)(ctx, cfg, s, weak, seed)
    train, val = burns.weak_labels(weak, s)
    ceiling = burns.train_ceiling(ctx, cfg.strong, s, seed)
    r = reliability(cfg, variants)
    data = student_data(cfg, r, train)
    acc = lambda st: ctx.evaluate(st.prob, s.test)  # noqa: E731
    up = (weak.key,)
    conf = LossSpec(name="confidence", confidence=cfg.confidence)

    def weighted(m: str) -> Callable[[], Stage]:  # method m's student, trained when called
        return lambda: train_weighted_student(ctx, cfg.strong, *data[m], val, seed, (weak.key, variants.key))

    runs: dict[str, Callable[[], Stage]] = {
        "naive_soft": lambda: burns.train_student(ctx, cfg.strong, train, val, XENT, seed, up),
        "confidence": lambda: burns.train_student(ctx, cfg.strong, train, val, conf, seed, up),
        **{m: weighted(m) for m in ("naive_votes", "filter", "reweight")},
    }
    query = torch.cat([s.b_train, s.b_val])
    return {
        "weak": acc(weak),
        "ceiling": acc(ceiling),
        "methods": {m: acc(runs[m]()) for m in cfg.methods},
        "reliability": reliability_auroc(ctx, r, weak.prob[query], query, cfg),
    }


def backbones(cfg: Config) -> list[ModelConfig]:
    """The models whose frozen features the run uses (a suite extracts them for all its tasks at once)."""
    return [cfg.weak, cfg.strong]


def run(cfg: Config, ctx: Context) -> RunResult:
    ctx.task()
    if not cfg.finetune:
        ctx.features(backbones(cfg))
    per_seed = []
    for seed in range(cfg.seeds):
        per_seed.append(run_seed(ctx, cfg, seed))
        rs = per_seed[-1]
        ctx.log(
            f"seed {seed}: weak {rs['weak']['acc']:.3f} ceiling {rs['ceiling']['acc']:.3f} "
            + " ".join(f"{m} {v['acc']:.3f}" for m, v in rs["methods"].items())
            + f" | reliability AUROC {rs['reliability']['neg_entropy']:.3f}, kept {rs['reliability']['kept']:.2f}"
        )
    return collect(cfg, ctx, per_seed)


def _pm(values: list[float], pct: bool = False) -> str:
    return format_mean_std(*mean_std(values), pct=pct, digits=3)


def collect(cfg: Config, ctx: Context, per_seed: list[dict]) -> RunResult:
    methods: dict[str, MethodRuns] = {
        m: MethodRuns(
            [r["methods"][m]["acc"] for r in per_seed], [r["methods"][m]["auroc"] for r in per_seed], DESCRIPTIONS[m]
        )
        for m in cfg.methods
    }
    rel_rows = [
        ("reliability = −entropy of the answers (method 1's score)", "neg_entropy", False),
        (
            f"reliability = softmax score of the weak label's answer (method 2, T={cfg.reliability.temperature:g})",
            "label_score",
            False,
        ),
        (
            "reference: the weak model's own confidence, distance of p from 0.5 (no variations)",
            "weak_confidence",
            False,
        ),
        ("share of half B kept by the filter, %", "kept", True),
        ("weak-label accuracy on kept examples, %", "acc_kept", True),
        ("weak-label accuracy on dropped examples, %", "acc_dropped", True),
    ]
    table = "\n".join(
        f"| {label} | {_pm([r['reliability'][k] for r in per_seed], pct)} |" for label, k, pct in rel_rows
    )
    means = {
        m: mean_std([pgr(r["weak"]["acc"], r["methods"][m]["acc"], r["ceiling"]["acc"]) for r in per_seed])
        for m in cfg.methods
    }
    spread = sum(sd for _, sd in means.values()) / len(means)
    reading = (
        f"PGR varies over seeds by about {spread:.2f} (std): with {cfg.seeds} seeds, differences between "
        f"methods smaller than that are not resolved."
    )
    t, v = ctx.task(), cfg.variation
    mode = (
        "finetuned backbones (the shared trainer" + (", LoRA" if cfg.strong.lora else "") + ")"
        if cfg.finetune
        else "frozen mean-pooled features and logistic heads"
    )
    if input_side(cfg):
        shared = (
            "The weak model is trained on the first view of its input and answers every view in one stage, so "
            "it is not the burns2023 weak stage (its labels come from the same data and settings)."
        )
        how = {
            "prompts": f"the weak model reads each example under {v.k} prompts that keep the answer (the paper's "
            f"option permutations and paraphrased prompts): " + "; ".join(f"`{p}`" for p in v.prompts),
            "token_dropout": f"the weak model answers {v.k} copies of each example with {v.p:.0%} of the words dropped",
        }[v.kind]
    else:
        shared = (
            "The weak model, its labels, the ceiling and the naive_soft/confidence students are the burns2023 "
            "stages (same cache keys, same numbers)."
        )
        how = {
            "bootstrap": "weak " + ("finetunes" if cfg.finetune else "heads") + " trained on bootstrap "
            "resamples of half A",
            "feature_dropout": f"one weak head on copies of the weak features with {v.p:.0%} dropout",
            "bootstrap_dropout": f"bootstrap weak heads, each on a copy of the weak features with {v.p:.0%} dropout",
            "token_dropout": f"one weak head on the weak model's features of copies with {v.p:.0%} of the words "
            f"dropped",
        }[v.kind]
    note = f"""Setup: {t.name}, {len(t.texts)} examples split by group into weak-train (half A), transfer (half B) and test
thirds; weak {cfg.weak.display()}, strong {cfg.strong.display()}, {mode}; {cfg.seeds} seeds. Confidence loss:
alpha_max {cfg.confidence.alpha_max}, {cfg.confidence.prior} threshold prior. {shared} Variations: `{v.kind}`,
k={v.k} (answer-preserving: {how}); filter quantile {cfg.reliability.quantile:g}, temperature
{cfg.reliability.temperature:g}. Students never see ground truth of half B; selection uses the weak soft labels of
half B's validation share for every method.

{reading}

**Reliability vs weak-label correctness on half B** (AUROC, evaluation only; mean ± std over seeds):

| measure | value |
|---|---|
{table}

**Paper (Guo & Yang 2024).** LLM weak supervisors (Llama-2-7B, Mistral-7B) and students (Mistral-7B,
Llama-2-13B, Llama-3-8B) on Hellaswag, MMLU, ETHICS-commonsense and GSM8K. In the authors' public code
(github.com/Irenehere/ReliableAlignment), the variations are 5 option permutations with T = 0.2 (MMLU), the two
answer orders with T = 1 (ETHICS), and 5 GPT-4o paraphrases (GSM8K); the filter keeps entropy at or below the
median (`np.percentile(..., 50)`), and the weight of an answer is exp(f/T) over the sum for the example's observed
answers, as implemented and tested here. The paper's accuracy tables could not be retrieved offline for this
page, so no paper numbers are quoted; its abstract reports that both methods identify weak-label quality and
improve weak-to-strong generalization over naive training.

**Where this deviates from the paper.** (1) The default preset (binary sentiment, frozen features) has no options
to permute, so its variations come from the weak side (`variation.kind`: bootstrap heads, feature dropout, both,
or word-dropout text augmentation re-encoded by the weak model); the `lm` preset finetunes LMs with the paper's
input-side variations (`kind: prompts`: answer-option orders and paraphrased prompts, written by hand rather than
by GPT-4o). (2) The paper fine-tunes on each (variation,
answer) text; here the k weighted rows of an example are folded into one soft-target row (identical
cross-entropy), which keeps the step count equal across methods. (3) The public code averages weighted losses
over rows; the shared trainer divides by the batch's weight sum (a per-batch rescaling only). (4) The paper's
naive baseline trains on one hard weak answer; ours is burns2023's soft-label student, and `naive_votes`
is the control that trains on the variations' answers without filtering or weights."""
    return RunResult.from_seeds(
        cfg,
        per_seed,
        methods,
        note=note,
        extras={f"reliability.{k}": [r["reliability"][k] for r in per_seed] for _, k, _ in rel_rows},
    )
