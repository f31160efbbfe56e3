"""TF-IDF + LR per topic, scored on the cells people judged, and the serving rule against the rules."""

import numpy as np
import pytest

from ml.selection import ACTIVE, BASELINE, CHALLENGER
from ml.topic_baseline import (
    UNJUDGED,
    decide_topic_serving,
    fit_topic_baseline,
    judged_macro_f1,
    judged_metrics,
    load_topic_baseline,
    save_topic_baseline,
)

U = UNJUDGED


def test_macro_f1_counts_only_the_cells_people_judged():
    truth = np.array([[1, U], [0, U], [1, 1], [U, 0]])
    predicted = np.array([[1, 1], [1, 1], [0, 1], [1, 1]])
    # topic 0: judged rows 0-2: tp 1 (row 0), fp 1 (row 1), fn 1 (row 2) -> F1 0.5; row 3 unjudged is ignored
    # topic 1: judged rows 2-3: tp 1, fp 1 -> F1 2/3; rows 0-1 predicted but unjudged are ignored
    assert judged_macro_f1(truth, predicted) == pytest.approx((0.5 + 2 / 3) / 2)
    metrics = judged_metrics(truth, predicted, ["a", "b"])
    assert metrics["per_topic"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "judged": 3, "positive": 2}
    assert metrics["per_topic"]["b"]["judged"] == 2


def test_a_topic_without_judged_positives_is_left_out_and_none_at_all_is_undefined():
    truth = np.array([[1, 0], [0, U]])
    assert judged_macro_f1(truth, np.array([[1, 1], [0, 0]])) == 1.0  # topic b has no positive: not averaged
    with pytest.raises(ValueError):
        judged_macro_f1(np.array([[0, U]]), np.array([[1, 1]]))


TEXTS = ["shipping took weeks", "parcel arrived late", "lovely soft fabric", "too tight on the hips",
         "courier lost my parcel", "colour as pictured"] * 5
LABELS = np.array([[1, 0], [1, 0], [0, 0], [0, 1], [1, 0], [0, 0]] * 5)


def test_fit_learns_phrasings_and_survives_a_save_and_load(tmp_path):
    model = fit_topic_baseline(TEXTS, LABELS, ["delivery", "fit"])
    saved = load_topic_baseline(save_topic_baseline(model, tmp_path / "topics", metrics={"x": 1}))

    labelled = saved.label(["the parcel took weeks", "lovely colour"])
    assert labelled[0].topics == ["delivery"] and labelled[1].topics == []
    assert 0.5 <= labelled[0].evidence["delivery"].score <= 1 and saved.encoder is None
    assert (saved.predict(TEXTS) == LABELS.astype(bool)).all()
    assert (tmp_path / "topics" / "topics.json").exists() and not (tmp_path / "topics.partial").exists()


def test_a_topic_with_one_class_in_training_is_a_constant():
    model = fit_topic_baseline(TEXTS, np.c_[LABELS[:, :1], np.zeros(len(TEXTS))], ["delivery", "never"])
    assert model.models["never"] is None and not model.predict(["anything at all"])[0, 1]


def _truth_and_predictions(n=60, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, size=(n, 2))
    perfect = truth.astype(bool)
    noisy = perfect.copy()
    flip = rng.random(noisy.shape) < 0.35
    noisy[flip] = ~noisy[flip]
    return truth, perfect, noisy


def test_a_clearly_better_trained_model_is_served():
    truth, perfect, noisy = _truth_and_predictions()
    decision = decide_topic_serving(truth, perfect, noisy)
    assert decision.served == CHALLENGER and decision.vs_baseline["low"] > 0
    assert "keyword rules" in decision.reason


def test_a_trained_model_that_ties_the_rules_is_refused_and_the_rules_keep_serving():
    truth, perfect, _ = _truth_and_predictions()
    decision = decide_topic_serving(truth, perfect, perfect)
    assert decision.served == BASELINE and decision.vs_baseline["low"] <= 0 <= decision.vs_baseline["high"]
    assert "not yet clearly better than the keyword rules" in decision.reason


def test_rules_that_beat_a_weak_active_model_replace_it_and_a_tie_keeps_it():
    truth, perfect, noisy = _truth_and_predictions()
    replaced = decide_topic_serving(truth, noisy, perfect, noisy, active_name="topics-v1")
    assert replaced.served == BASELINE and replaced.baseline_vs_active["low"] > 0 and "topics-v1" in replaced.reason
    kept = decide_topic_serving(truth, noisy, noisy, noisy, active_name="topics-v1")
    assert kept.served == ACTIVE and "keeping topics-v1" in kept.reason
