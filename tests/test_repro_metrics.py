"""PGR aggregation as the field does it: PGR of mean accuracies, 'gap too small', bootstrap intervals."""

import math

import numpy as np
import pytest

from repro.metrics import TaskRuns, median_pgr, pgr, pgr_summary


def test_tiny_gap_is_not_a_number():
    # ceiling beats weak by 0.2 points: the ratio is noise (old code printed PGR +7.71 for such a pair)
    assert math.isnan(pgr(0.700, 0.715, 0.702))
    assert math.isnan(pgr(0.70, 0.60, 0.69))  # negative gap: no sign flip into a "positive" PGR
    assert pgr(0.70, 0.75, 0.80) == pytest.approx(0.5)
    assert math.isnan(pgr(0.70, 0.705, 0.704, min_gap=0.01))
    assert pgr(0.70, 0.705, 0.71, min_gap=0.005) == pytest.approx(0.5)


def test_pgr_of_means_differs_from_mean_of_per_seed_pgr():
    # seed 2's gap is small, so its per-seed PGR explodes; the field's PGR of means stays sane
    weak, student, ceiling = [0.70, 0.70], [0.75, 0.73], [0.80, 0.715]
    s = pgr_summary(weak, student, ceiling)
    assert s.pgr == pytest.approx((0.74 - 0.70) / (0.7575 - 0.70))
    assert s.per_seed[0] == pytest.approx(0.5)
    assert s.per_seed[1] == pytest.approx(2.0)
    assert np.mean(s.per_seed) != pytest.approx(s.pgr)


def test_summary_reports_gap_too_small_without_interval():
    s = pgr_summary([0.70, 0.71, 0.69], [0.72, 0.70, 0.74], [0.705, 0.712, 0.70])
    assert s.gap_too_small and math.isnan(s.pgr) and math.isnan(s.ci_low)
    assert s.as_dict()["pgr_of_means"] is None and s.as_dict()["gap_too_small"] is True


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible():
    rng = np.random.default_rng(1)
    weak = 0.70 + rng.normal(0, 0.01, 5)
    ceiling = 0.82 + rng.normal(0, 0.01, 5)
    student = 0.76 + rng.normal(0, 0.02, 5)
    a, b = pgr_summary(weak, student, ceiling), pgr_summary(weak, student, ceiling)
    assert a == b
    assert a.ci_low < a.pgr < a.ci_high
    wide = pgr_summary(weak, 0.76 + rng.normal(0, 0.06, 5), ceiling)
    assert (wide.ci_high - wide.ci_low) > (a.ci_high - a.ci_low)


def test_identical_seeds_give_a_zero_width_interval():
    s = pgr_summary([0.7] * 3, [0.75] * 3, [0.8] * 3)
    assert s.pgr == pytest.approx(0.5) and s.ci_low == pytest.approx(0.5) and s.ci_high == pytest.approx(0.5)


def test_median_over_tasks_drops_tasks_without_a_gap():
    tasks = [
        TaskRuns([0.6, 0.6], [0.65, 0.65], [0.7, 0.7]),  # 0.5
        TaskRuns([0.6, 0.6], [0.69, 0.69], [0.7, 0.7]),  # 0.9
        TaskRuns([0.6, 0.6], [0.61, 0.61], [0.7, 0.7]),  # 0.1
        TaskRuns([0.6, 0.6], [0.90, 0.90], [0.603, 0.603]),  # gap too small: left out, not PGR 100
    ]
    med, lo, hi, n = median_pgr(tasks)
    assert n == 3 and med == pytest.approx(0.5)
    assert lo <= med <= hi and lo >= 0.1 - 1e-9 and hi <= 0.9 + 1e-9
