import dataclasses
import json
from pathlib import Path

import pytest
from safetensors.torch import load_file
from transformers import AutoConfig

from ml.callbacks import TrainingCancelled
from ml.data import DataError
from ml.train import train
from tests.ml.conftest import make_reviews

METRIC_KEYS = {"accuracy", "macro_f1", "per_class", "confusion_matrix"}


def test_training_writes_a_complete_artifact(trained_artifact):
    root = trained_artifact
    assert root.name == "sentiment-v1" and not root.with_name("sentiment-v1.partial").exists()
    for name in ("config.json", "metrics.json", "label_map.json", "model/config.json", "model/model.safetensors",
                 "model/tokenizer.json", "model/vocab.txt"):
        assert (root / name).is_file(), name
    assert not (root / "checkpoints").exists()
    assert "classifier.weight" in load_file(root / "model" / "model.safetensors")


def test_metrics_cover_the_finetune_and_both_baselines(trained_artifact):
    metrics = json.loads((trained_artifact / "metrics.json").read_text())
    # finetuned_head is there when the stacked head won on validation (it is then "finetuned")
    assert {"finetuned", "tfidf_logreg", "majority"} <= set(metrics["test"]) <= {
        "finetuned", "tfidf_logreg", "majority", "finetuned_head"}
    for report in metrics["test"].values():
        assert set(report) == METRIC_KEYS
        assert set(report["per_class"]) == {"negative", "neutral", "positive"}
        assert set(report["per_class"]["neutral"]) == {"precision", "recall", "f1", "support"}
        matrix = report["confusion_matrix"]["matrix"]
        assert len(matrix) == 3 and sum(map(sum, matrix)) == metrics["test_size"] == 24
    # the words follow the stars, so the bag-of-words baseline must beat predicting the majority
    assert metrics["test"]["tfidf_logreg"]["macro_f1"] > metrics["test"]["majority"]["macro_f1"]
    assert metrics["best_validation_macro_f1"] is not None


def test_run_config_records_data_sizes_seed_base_model_and_versions(trained_artifact, tiny_base_model):
    config = json.loads((trained_artifact / "config.json").read_text())
    assert config["seed"] == 42 and config["title_joined"] and config["training"]["learning_rate"] == pytest.approx(1e-3)
    assert config["data"]["rows_total"] == 120
    assert (config["data"]["train_rows"], config["data"]["validation_rows"], config["data"]["test_rows"]) == (72, 24, 24)
    assert config["base_model"]["location"] == str(tiny_base_model.resolve())
    assert {"torch", "transformers", "scikit-learn", "python"} <= set(config["versions"])
    assert config["precision"] == "fp32" and config["device"] == "cpu"


def test_label_map_is_written_into_the_model_config_and_round_trips(trained_artifact):
    root = trained_artifact
    model_config = AutoConfig.from_pretrained(root / "model")
    label_map = json.loads((root / "label_map.json").read_text())
    assert model_config.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    assert model_config.label2id == label_map["label2id"]
    assert {int(k): v for k, v in label_map["id2label"].items()} == model_config.id2label


def test_max_train_samples_caps_the_training_split(tiny_config, reviews):
    config = dataclasses.replace(tiny_config, max_train_samples=30, epochs=1)
    run = json.loads((train(config, reviews).artifact_dir / "config.json").read_text())
    assert run["data"]["train_rows"] == 72 and run["data"]["train_rows_used"] == 30


def test_progress_hook_sees_steps_losses_and_validation_metrics(tiny_config, reviews):
    calls = []
    train(tiny_config, reviews, on_progress=lambda *args: calls.append(args))
    assert calls[0][:2] == (0, 18)  # 72 rows / batch 8 = 9 steps per epoch, 2 epochs
    assert any(loss is not None for _, _, _, loss, _ in calls)
    assert any("eval_macro_f1" in metrics for *_, metrics in calls)
    assert max(step for step, *_ in calls) == 18


def test_cancel_stops_training_within_a_step_and_leaves_no_artifact(tiny_config, reviews):
    steps = []
    config = dataclasses.replace(tiny_config, logging_steps=1)
    with pytest.raises(TrainingCancelled):
        train(config, reviews, on_progress=lambda step, *rest: steps.append(step),
              should_cancel=lambda: bool(steps) and steps[-1] >= 2)
    assert max(steps) <= 3
    out = Path(tiny_config.output_dir)
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()


def test_a_finished_artifact_is_never_overwritten(tiny_config, reviews, trained_artifact):
    config = dataclasses.replace(tiny_config, output_dir=str(trained_artifact))
    with pytest.raises(FileExistsError, match="not empty"):
        train(config, reviews)
    assert (trained_artifact / "model" / "model.safetensors").is_file()


def test_timestamps_make_the_test_set_the_newest_reviews(tiny_config):
    rows = make_reviews(120, with_timestamps=True)
    config = dataclasses.replace(tiny_config, timestamp_column="created_at", epochs=1)
    run = json.loads((train(config, rows).artifact_dir / "config.json").read_text())
    assert run["data"]["split_strategy"].startswith("by time")


def test_too_few_rows_is_a_data_error(tiny_config):
    with pytest.raises(DataError, match="split is empty"):
        train(tiny_config, make_reviews(2))
