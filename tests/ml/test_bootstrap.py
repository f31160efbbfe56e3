"""ml.bootstrap: one resampling engine behind the macro-F1, statistic, mean and recs intervals."""

import numpy as np
import pytest

from ml import bootstrap
from ml.bootstrap import paired_bootstrap_macro_f1, paired_bootstrap_mean, paired_bootstrap_statistic
from ml.recs.metrics import paired_bootstrap


def _mean(truth, scores):
    return float(np.mean(scores))


def test_the_vectorised_mean_draws_the_same_resamples_as_the_generic_statistic():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 301), rng.normal(0.2, 1, 301)
    vectorised = paired_bootstrap_mean(a, b, resamples=400, seed=7)
    generic = paired_bootstrap_statistic(_mean, np.zeros(301), a, b, resamples=400, seed=7)
    assert vectorised.low == pytest.approx(generic.low) and vectorised.high == pytest.approx(generic.high)
    assert vectorised.difference == pytest.approx(generic.difference)


def test_the_block_size_never_changes_an_interval(monkeypatch):
    rng = np.random.default_rng(1)
    a, b = rng.random(997), rng.random(997)
    whole = paired_bootstrap_mean(a, b, resamples=300, seed=3)
    monkeypatch.setattr(bootstrap, "MEAN_BLOCK_CELLS", 997 * 7)  # 7 resamples per block
    assert paired_bootstrap_mean(a, b, resamples=300, seed=3) == whole


def test_the_recs_helper_is_the_mean_interval_as_a_tuple():
    a, b = [0.5] * 50 + [0.4] * 50, [0.3] * 100
    interval = paired_bootstrap_mean(np.asarray(a), np.asarray(b), resamples=2000, seed=0)
    assert paired_bootstrap(a, b) == (interval.difference, interval.low, interval.high)


def test_macro_f1_interval_keeps_its_stored_form():
    y = [0, 1, 2] * 40
    result = paired_bootstrap_macro_f1(y, y, [0] * 120, 3, resamples=200)
    assert set(result) == {"delta", "low", "high", "a", "b", "n", "resamples", "confidence"}
    assert result["a"] == 1.0 and result["n"] == 120 and result["resamples"] == 200 and result["low"] > 0


def test_unequal_lengths_are_refused():
    with pytest.raises(ValueError):
        paired_bootstrap_macro_f1([0, 1], [0], [1], 2)
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])
