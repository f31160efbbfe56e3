import numpy as np
import pytest

from ml.member_models.churn import ChurnConfig, ChurnModel, churn_backtest, churn_fit
from ml.member_models.features import FEATURE_NAMES, feature_matrix, reason_text
from ml.member_models.metrics import lift_at_top, reliability_bins
from tests.ml.member_models.synthetic import synthetic_rows


@pytest.fixture(scope="module")
def windows():
    return synthetic_rows(3000, seed=1), synthetic_rows(3000, seed=2)


def test_churn_model_beats_the_recency_baseline_when_complaints_carry_signal(windows):
    (train_rows, train_y, _), (eval_rows, eval_y, _) = windows
    result = churn_backtest(train_rows=train_rows, train_labels=train_y, eval_rows=eval_rows, eval_labels=eval_y)
    m = result.metrics
    assert m["model"]["roc_auc"] > m["recency"]["roc_auc"] + 0.02
    assert m["model"]["roc_auc"] > 0.75
    assert m["model"]["lift_top_decile"] > 1.2
    assert 0 < m["model"]["brier"] < 0.25
    assert sum(b["count"] for b in m["model"]["reliability"]) == len(eval_rows)
    assert "roc_auc" in m["bgnbd"] or "error" in m["bgnbd"]


def test_bgnbd_baseline_is_fitted_and_scored_on_the_evaluation_window(windows):
    (train_rows, train_y, _), (eval_rows, eval_y, _) = windows
    m = churn_backtest(train_rows=train_rows, train_labels=train_y, eval_rows=eval_rows, eval_labels=eval_y).metrics
    assert set(m["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    assert 0.5 < m["bgnbd"]["roc_auc"] <= 1.0  # recency drives churn here, and BG/NBD sees recency


def test_reasons_name_the_features_that_raise_a_members_risk(windows):
    (train_rows, train_y, _), _ = windows
    model = churn_fit(train_rows, train_y)
    # The median member went about 170 days without an order and made no complaint.
    lapsed = dict(train_rows[0], recency_days=300, tenure_days=1200, negative_service_reviews_90=0, frequency_365=1)
    unhappy = dict(train_rows[0], recency_days=20, tenure_days=1200, negative_service_reviews_90=1, frequency_365=1)
    X = model.matrix([lapsed, unhappy])
    lapsed_reasons, unhappy_reasons = model.explain_matrix(X)
    assert lapsed_reasons[0]["feature"] == "days_without_order"
    assert lapsed_reasons[0]["text"] == "no order for 300 days"
    assert unhappy_reasons[0]["feature"] == "negative_service_reviews_90"
    assert "days_without_order" not in [r["feature"] for r in unhappy_reasons]  # 20 days is not a reason
    assert all(r["effect"] >= ChurnConfig().min_reason_effect for r in lapsed_reasons + unhappy_reasons)


def test_churn_model_survives_a_save_and_load(windows, tmp_path):
    (train_rows, train_y, _), (eval_rows, _, _) = windows
    model = churn_fit(train_rows, train_y)
    loaded = ChurnModel.load(model.save(tmp_path / "churn.joblib"))
    np.testing.assert_allclose(loaded.predict(eval_rows[:50]), model.predict(eval_rows[:50]))


def test_training_with_a_single_class_is_refused_in_words(windows):
    (train_rows, _, _), _ = windows
    with pytest.raises(ValueError, match="both churners and buyers"):
        churn_fit(train_rows[:20], [1] * 20)


def test_lift_and_reliability_bins_on_a_hand_made_example():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    score = np.array([0.9, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15])
    assert lift_at_top(y, score) == pytest.approx(1 / 0.2)  # top 1 of 10 is a churner; base rate 20 %; 0.1 sits in the 0.1-0.2 bin
    bins = reliability_bins(y, score)
    assert [b["count"] for b in bins] == [8, 1, 1] and bins[-1]["observed_rate"] == 1.0


def test_reason_texts_read_as_sentences():
    assert reason_text("days_without_order", 140.0) == "no order for 140 days"
    assert reason_text("return_cancel_rate", 0.4) == "return rate 40%"
    assert reason_text("frequency_365", 1.0) == "1 order in the last year"
    assert reason_text("avg_rating", float("nan")) == "no reviews yet"
    assert len(FEATURE_NAMES) == feature_matrix([]).shape[1]
