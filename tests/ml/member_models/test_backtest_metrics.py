"""The plain-Python pieces of the member backtest: the protocol's metrics and truth, the paired
bootstrap, calibration error, and the seasonal adjustments from last year."""

from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.bootstrap import paired_bootstrap_mean, paired_bootstrap_statistic
from ml.member_models.backtest_metrics import (
    buy_again_top_items,
    ndcg_at_k,
    next_buy_truth,
    recall_at_k,
    recommendation_scores,
)
from ml.member_models.calibration import expected_calibration_error, logit_shift_to_rate, shift_probabilities
from ml.member_models.churn import churn_fit, churn_seasonal_shift
from ml.member_models.forecast import forecast_fit, forecast_seasonal_factor
from ml.member_models.metrics import roc_auc
from tests.ml.member_models.synthetic import synthetic_rows


def test_recall_divides_by_the_smaller_of_k_and_the_items_bought():
    top = [f"i{n}" for n in range(10)]
    assert recall_at_k(top, {"i0", "i1", "x"}, 10) == pytest.approx(2 / 3)
    assert recall_at_k(top, {f"i{n}" for n in range(10)} | {f"x{n}" for n in range(5)}, 10) == 1.0  # 10 slots, 10 hits
    assert recall_at_k(top, set(), 10) == 0.0
    assert ndcg_at_k(["a", "b"], {"a"}, 10) == 1.0 and ndcg_at_k(["b", "a"], {"a"}, 10) == pytest.approx(1 / np.log2(3))


def test_next_buy_truth_keeps_repeats_inside_the_horizon_only():
    at = lambda d: datetime(2010, 9, d, tzinfo=UTC)
    rows = [("m1", "a", at(1)), ("m1", "a", at(2)), ("m1", "b", at(30)), ("m2", "c", at(1))]
    truth = next_buy_truth(rows, start=at(2), end=at(30))
    assert truth == {"m1": {"a"}}  # a was bought before too: a repeat still counts; b falls outside


def test_buy_again_ranks_each_members_items_by_orders_holding_them():
    rows = [("m", "a", "o1"), ("m", "a", "o1"), ("m", "b", "o1"), ("m", "b", "o2"), ("m", "c", "o3"), ("n", "z", "o9")]
    assert buy_again_top_items(rows, members=["m"], k=2) == {"m": ["b", "a"]}  # b in 2 orders; a/c tie by key
    scores = recommendation_scores({"m": ["b", "a"]}, {"m": {"a"}, "n": {"z"}}, k=10)
    assert scores.members == ["m", "n"] and scores.recall == [1.0, 0.0] and scores.mean_recall == 0.5


def test_paired_bootstrap_separates_a_real_gap_from_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    good, bad = y + rng.normal(0, 0.8, 3000), y + rng.normal(0, 3.0, 3000)
    gap = paired_bootstrap_statistic(roc_auc_score, y, good, bad, resamples=200)
    assert gap.low > 0 and gap.difference > 0.1 and gap.excludes_zero_above()
    same = paired_bootstrap_mean(rng.normal(0, 1, 3000), rng.normal(0, 1, 3000))
    assert same.low < 0 < same.high


def test_calibration_error_and_the_logit_shift_to_a_rate():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 20000)
    y = (rng.uniform(0, 1, 20000) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.02
    assert expected_calibration_error(y, np.clip(p + 0.2, 0, 1)) > 0.1
    shift = logit_shift_to_rate(p, 0.3)
    assert shift < 0 and shift_probabilities(p, shift).mean() == pytest.approx(0.3, abs=1e-6)


def test_last_years_seasonal_change_moves_this_years_churn_scores():
    rows, churn, _ = synthetic_rows(3000, seed=4)
    model = churn_fit(rows[:1500], churn[:1500])
    season, before = rows[1500:2250], rows[2250:]
    # Last year, the season's churn was far lower than the model expects, the period before it as expected.
    season_labels = (np.random.default_rng(2).uniform(size=750) < 0.5 * model.predict(season)).astype(int)
    before_labels = (np.random.default_rng(3).uniform(size=750) < model.predict(before)).astype(int)
    shift = churn_seasonal_shift(model, season_rows=season, season_labels=season_labels,
                                 before_rows=before, before_labels=before_labels)  # fmt: skip
    assert shift < -0.3
    unshifted = model.predict(rows[:100])
    model.seasonal_shift = shift
    assert (model.predict(rows[:100]) < unshifted).all()


def test_last_years_seasonal_change_scales_this_years_spend_forecast():
    rows, _, spend = synthetic_rows(2000, seed=5)
    model = forecast_fit(rows[:1000], spend[:1000])
    season, before = rows[1000:1500], rows[1500:]
    season_spend = 2 * model.predict(season)[0]  # last year the season sold twice the usual
    before_spend = model.predict(before)[0]
    factor = forecast_seasonal_factor(model, season_rows=season, season_spend=season_spend,
                                      before_rows=before, before_spend=before_spend)  # fmt: skip
    assert factor == pytest.approx(2.0, rel=1e-6)
    plain = model.predict(rows[:50])[0]
    model.seasonal_factor = factor
    np.testing.assert_allclose(model.predict(rows[:50])[0], 2 * plain)


def test_rank_auc_equals_sklearns_with_ties_and_is_nan_with_one_class():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 300))
        y = rng.integers(0, 2, size=n)
        if y.min() == y.max():
            continue
        score = rng.integers(0, 8, size=n) / 7  # few distinct values: many ties
        assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert np.isnan(roc_auc(np.ones(5), np.arange(5.0)))
    with pytest.raises(ValueError):
        roc_auc(np.array([0, 1]), np.array([0.5, np.nan]))
