"""Fine-tuning the multi-label topic head end to end on a tiny random BERT, and predicting with it."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from ml.topic_train import TopicPredictor, TopicTrainConfig, train_topics, tune_thresholds, weak_rows
from ml.topics import TopicSpec, WeakTopicLabeller

TOPICS = [
    TopicSpec("size_fit", "Size and fit", "How it fits", ("fit", "size")),
    TopicSpec("delivery_logistics", "Delivery", "Shipping", ("shipping", "arrived late")),
    TopicSpec("price_value", "Price", "Worth the money", ("price", "expensive")),
]
PHRASES = {
    "size_fit": ["runs small, size up", "the fit is snug", "order one size larger"],
    "delivery_logistics": ["shipping was slow", "it arrived late", "shipping took two weeks"],
    "price_value": ["too expensive", "great price", "the price is fair"],
}
FILLER = ["lovely colour", "nice dress", "soft and pretty", "wore it today"]


def tiny_rows(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = [rng.choice(FILLER)]
        for code in rng.sample(list(PHRASES), rng.randint(0, 2)):
            parts.append(rng.choice(PHRASES[code]))
        rng.shuffle(parts)
        texts.append(". ".join(parts))
    return texts


@pytest.fixture(scope="module")
def topic_artifact(tiny_base_model, tmp_path_factory):
    labeller = WeakTopicLabeller(TOPICS)
    rows = weak_rows(tiny_rows(90), labeller)
    out = tmp_path_factory.mktemp("topics") / "topics-v1"
    config = TopicTrainConfig(base_model=str(tiny_base_model), max_length=32, epochs=3, batch_size=8,
                              learning_rate=1e-3, logging_steps=2, output_dir=str(out))
    progress = []
    result = train_topics(config, rows, TOPICS, on_progress=lambda *a: progress.append(a))
    return result, progress


def test_training_writes_model_tokenizer_topics_thresholds_and_metrics(topic_artifact):
    result, progress = topic_artifact
    folder = result.artifact_dir
    for name in ("model/model.safetensors", "model/config.json", "model/tokenizer.json", "topics.json",
                 "thresholds.json", "metrics.json", "config.json"):
        assert (folder / name).is_file(), name
    assert not folder.with_name(folder.name + ".partial").exists()
    model_config = json.loads((folder / "model" / "config.json").read_text())
    assert model_config["problem_type"] == "multi_label_classification"
    assert [t["code"] for t in json.loads((folder / "topics.json").read_text())] == [t.code for t in TOPICS]
    assert progress, "on_progress was never called"


def test_thresholds_lie_in_the_unit_interval_for_every_topic(topic_artifact):
    result, _ = topic_artifact
    thresholds = json.loads((result.artifact_dir / "thresholds.json").read_text())
    assert set(thresholds) == {t.code for t in TOPICS}
    assert all(0.0 <= value <= 1.0 for value in thresholds.values())


def test_metrics_report_each_topic_and_micro_macro_f1(topic_artifact):
    metrics = json.loads((topic_artifact[0].artifact_dir / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test["per_topic"]) == {t.code for t in TOPICS}
    for scores in test["per_topic"].values():
        assert {"precision", "recall", "f1", "support"} <= set(scores)
    assert 0.0 <= test["micro_f1"] <= 1.0 and 0.0 <= test["macro_f1"] <= 1.0


def test_predictor_restores_input_order_for_texts_of_mixed_length(topic_artifact):
    predictor = TopicPredictor(topic_artifact[0].artifact_dir, device="cpu")
    texts = ["shipping was slow " * 30, "", "price", "😀", "the fit is snug. great price", None]
    batched = predictor.predict(texts, batch_size=2)
    one_by_one = [predictor.predict([t])[0] for t in texts]
    assert len(batched) == len(texts)
    for a, b in zip(batched, one_by_one):
        assert set(a.scores) == {t.code for t in TOPICS}
        for code in a.scores:
            assert a.scores[code] == pytest.approx(b.scores[code], abs=1e-4)
        assert a.topics == b.topics


def test_training_refuses_a_non_empty_output_directory(tiny_base_model, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    config = TopicTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "out"))
    with pytest.raises(FileExistsError):
        train_topics(config, weak_rows(tiny_rows(20), WeakTopicLabeller(TOPICS)), TOPICS)


def test_unknown_topic_codes_in_rows_are_rejected(tiny_base_model, tmp_path):
    rows = [{"text": f"text {i}", "topics": ["nonsense"]} for i in range(10)]
    config = TopicTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "out"))
    with pytest.raises(ValueError, match="nonsense"):
        train_topics(config, rows, TOPICS)


def test_threshold_tuning_picks_the_cut_that_separates_validation_labels():
    y = np.array([[1.0], [1.0], [0.0], [0.0]])
    p = np.array([[0.30], [0.25], [0.10], [0.05]])
    threshold = tune_thresholds(y, p, ["a"])["a"]
    assert 0.1 < threshold <= 0.25
