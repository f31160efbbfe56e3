"""The TF-IDF + LR baseline as a stored, servable model, and the serving rule between models."""

import json

import pytest

from ml.baseline import BaselineScorer, train_baseline
from ml.bootstrap import paired_bootstrap_macro_f1
from ml.scoring import Scorer, load_scorer
from ml.selection import ACTIVE, BASELINE, BASELINE_SERVED_MESSAGE, CHALLENGER, decide_serving
from tests.ml.conftest import make_reviews


@pytest.fixture
def baseline_artifact(tiny_config, tmp_path):
    config = tiny_config
    config.title_column = "title"
    config.output_dir = str(tmp_path / "baseline")
    return train_baseline(config, make_reviews(120, seed=3))


def test_the_baseline_is_a_complete_artifact_with_its_test_predictions(baseline_artifact):
    root = baseline_artifact.artifact_dir
    for name in ("baseline.joblib", "config.json", "metrics.json", "label_map.json"):
        assert (root / name).is_file(), name
    config = json.loads((root / "config.json").read_text())
    metrics = json.loads((root / "metrics.json").read_text())
    assert config["kind"] == "tfidf_logreg" and config["data"]["test_rows"] == 24
    assert len(metrics["test_labels"]) == len(metrics["test_predictions"]["tfidf_logreg"]) == metrics["test_size"]
    # the words follow the stars: keyword statistics beat the majority class by far
    assert metrics["test"]["tfidf_logreg"]["macro_f1"] > metrics["test"]["majority"]["macro_f1"] + 0.3


def test_the_baseline_scores_through_the_same_interface_as_a_fine_tune(baseline_artifact, trained_artifact):
    scorer = load_scorer(baseline_artifact.artifact_dir)
    assert isinstance(scorer, BaselineScorer) and isinstance(load_scorer(trained_artifact), Scorer)

    results = scorer.score(["love perfect gorgeous", "terrible awful ripped", None], ["", "", "okay fine"])

    assert [r.label for r in results[:2]] == ["positive", "negative"]
    for result in results:
        assert set(result.probabilities) == {"negative", "neutral", "positive"}
        assert sum(result.probabilities.values()) == pytest.approx(1.0)
        assert result.embedding is None  # no encoder behind a baseline


def test_paired_bootstrap_interval_contains_zero_for_equal_models_and_not_for_a_clear_win():
    y = [0, 1, 2] * 100
    same = paired_bootstrap_macro_f1(y, y, y, 3)
    assert same["delta"] == 0 and same["low"] <= 0 <= same["high"]

    half_wrong = [label if i % 2 else (label + 1) % 3 for i, label in enumerate(y)]
    clear = paired_bootstrap_macro_f1(y, y, half_wrong, 3)
    assert clear["delta"] > 0.4 and clear["low"] > 0.3 and clear["n"] == 300


def test_a_weak_challenger_loses_to_the_baseline_which_is_served_and_says_so():
    y = [0, 1, 2] * 50
    weak = [2] * len(y)  # a fine-tune that learnt only the majority class

    decision = decide_serving(y, weak, num_labels=3, baseline=y)

    assert decision.served == BASELINE and not decision.challenger_wins
    assert decision.vs_baseline["high"] < 0
    assert decision.reason.startswith(BASELINE_SERVED_MESSAGE)


def test_promotion_is_refused_when_the_interval_includes_zero():
    y = [0, 1, 2] * 20
    one_better = list(y)
    one_better[0] = 1  # the active model misses one row more than the challenger: not a clear win
    decision = decide_serving(y, y, num_labels=3, baseline=[2] * len(y), active=one_better)

    assert decision.vs_active["delta"] > 0 and decision.vs_active["low"] <= 0
    assert decision.served == ACTIVE and "not clearly better" in decision.reason


def test_a_clear_winner_over_both_is_served_with_its_margins():
    y = [0, 1, 2] * 100
    decision = decide_serving(y, y, num_labels=3, baseline=[2] * len(y), active=[0] * len(y), active_name="sentiment-v1")

    assert decision.served == CHALLENGER
    assert "vs TF-IDF + LR +" in decision.reason and "vs sentiment-v1 +" in decision.reason
