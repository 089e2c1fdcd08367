"""Entropy, quantile filtering and softmax-over-frequency weights against hand-computed values."""

import math

import pytest
import torch

from repro.losses import soft_cross_entropy
from repro.recipes.guo2024reliability.reliability import (
    answer_counts,
    answer_entropy,
    answer_scores,
    collapse_rows,
    label_score,
    quantile_keep,
)


def test_entropy_hand_values():
    answers = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 1, 2, 2, 2]])
    h = answer_entropy(answers)
    assert h[0].item() == 0.0
    assert h[1].item() == pytest.approx(-(0.8 * math.log(0.8) + 0.2 * math.log(0.2)))  # 0.500402
    assert h[1].item() == pytest.approx(0.5004024, abs=1e-6)
    assert h[2].item() == pytest.approx(0.6730117, abs=1e-6)
    assert h[3].item() == pytest.approx(-(2 * 0.2 * math.log(0.2) + 0.6 * math.log(0.6)), abs=1e-9)
    # two variations that disagree: ln 2 (the two-way swap of the paper)
    assert answer_entropy(torch.tensor([[0, 1]]))[0].item() == pytest.approx(math.log(2))


def test_entropy_is_invariant_to_label_names_and_order():
    a = torch.tensor([[0, 0, 1, 0, 1]])
    assert answer_entropy(a).item() == pytest.approx(answer_entropy(1 - a).item())
    assert answer_entropy(a).item() == pytest.approx(answer_entropy(a.flip(1)).item())


def test_quantile_keep_median_keeps_ties():
    h = torch.tensor([0.0, 0.0, 0.5, 0.673, 0.693])
    assert quantile_keep(h, 0.5).tolist() == [True, True, True, False, False]
    h = torch.tensor([0.0, 0.0, 0.0, 0.5])  # median 0: every unanimous example kept
    assert quantile_keep(h, 0.5).tolist() == [True, True, True, False]
    h = torch.tensor([0.1, 0.2, 0.3, 0.4])  # median 0.25 (linear interpolation)
    assert quantile_keep(h, 0.5).tolist() == [True, True, False, False]
    assert quantile_keep(h, 1.0).all()
    assert quantile_keep(h, 0.0).tolist() == [True, False, False, False]
    with pytest.raises(ValueError):
        quantile_keep(h, 1.5)


def _reference_score(votes, temperature):
    """The public code's formula, written out: exp(f_a/T) / sum over observed answers b of exp(f_b/T)."""
    counts = {}
    for v in votes:
        counts[v] = counts.get(v, 0) + 1
    z = sum(math.exp(c / len(votes) / temperature) for c in counts.values())
    return [math.exp(counts[v] / len(votes) / temperature) / z for v in votes]


def test_answer_scores_hand_values():
    s = answer_scores(torch.tensor([[1, 1, 1, 1, 0]]), temperature=0.2)[0]
    # exp(0.8/0.2) / (exp(0.8/0.2) + exp(0.2/0.2)) = e^4 / (e^4 + e)
    assert s[0].item() == pytest.approx(math.exp(4) / (math.exp(4) + math.e))
    assert s[0].item() == pytest.approx(0.9525741, abs=1e-6)
    assert s[4].item() == pytest.approx(0.0474259, abs=1e-6)
    s = answer_scores(torch.tensor([[1, 1, 1, 1, 0]]), temperature=1.0)[0]
    assert s[0].item() == pytest.approx(0.6456563, abs=1e-6)
    # multiple choice, 5 permutations: freqs .2 .2 .6 at T=0.2 -> logits 1 1 3
    s = answer_scores(torch.tensor([[0, 1, 2, 2, 2]]), temperature=0.2)[0]
    assert s[2].item() == pytest.approx(math.exp(3) / (2 * math.e + math.exp(3)))
    assert s[0].item() == pytest.approx(0.1065069, abs=1e-6)
    # unanimous: the only observed answer scores 1 (unobserved classes are not in the softmax)
    assert answer_scores(torch.tensor([[0, 0, 0]]), 0.2).tolist() == [[1.0, 1.0, 1.0]]
    # two-way swap that disagrees: 0.5 each
    assert answer_scores(torch.tensor([[0, 1]]), 1.0).tolist() == [[0.5, 0.5]]


def test_answer_scores_match_reference_formula_randomly():
    g = torch.Generator().manual_seed(0)
    answers = torch.randint(0, 4, (50, 5), generator=g)
    for t in (0.2, 1.0, 3.0):
        got = answer_scores(answers, t)
        for row, out in zip(answers.tolist(), got.tolist(), strict=True):
            assert out == pytest.approx(_reference_score(row, t))


def test_temperature_sharpens():
    a = torch.tensor([[1, 1, 1, 0, 0]])
    maj = [answer_scores(a, t)[0, 0].item() for t in (5.0, 1.0, 0.2, 0.05)]
    assert maj == sorted(maj) and maj[-1] > 0.98 and maj[0] < 0.52
    with pytest.raises(ValueError):
        answer_scores(a, 0.0)


def test_label_score():
    a = torch.tensor([[1, 1, 1, 1, 0], [0, 0, 0, 0, 0]])
    s = label_score(a, torch.tensor([0, 1]), temperature=0.2)
    assert s[0].item() == pytest.approx(0.0474259, abs=1e-6)
    assert s[1].item() == 0.0  # no variation gave answer 1


def test_collapse_rows_equals_weighted_expanded_rows():
    g = torch.Generator().manual_seed(1)
    n, k = 7, 5
    answers = torch.randint(0, 2, (n, k), generator=g)
    weights = answer_scores(answers, 1.0)
    logits = torch.randn(n, 2, generator=g)
    target, w = collapse_rows(answers, weights)
    collapsed = soft_cross_entropy(logits, target, w)
    expanded = soft_cross_entropy(logits.repeat_interleave(k, 0), answers.reshape(-1).float(), weights.reshape(-1))
    assert collapsed.item() == pytest.approx(expanded.item(), rel=1e-6)
    # hand case: votes 1,1,0 with weights .6 .6 .3 -> target 1.2/1.5 = 0.8, weight 1.5
    t, ww = collapse_rows(torch.tensor([[1, 1, 0]]), torch.tensor([[0.6, 0.6, 0.3]]))
    assert t.item() == pytest.approx(0.8) and ww.item() == pytest.approx(1.5)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        answer_entropy(torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        answer_entropy(torch.tensor([[0.2, 0.8]]))
    with pytest.raises(ValueError):
        collapse_rows(torch.tensor([[0, 1]]), torch.ones(1, 3))
    assert answer_counts(torch.tensor([[0, 2, 2]])).tolist() == [[1, 0, 2]]
