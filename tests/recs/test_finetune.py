import json

import numpy as np
import pytest

from ml.recs.finetune import RecsTrainConfig, RecsTrainingCancelled, contrastive_loss, fine_tune
from ml.scoring import Encoder

PAIRS = [(f"bought: {a} mug; {a} plate", f"{a} bowl") for a in ("red", "blue", "green", "black", "white", "pink", "grey", "gold")]


def test_in_batch_loss_is_low_when_each_history_matches_its_own_item():
    import torch

    eye = torch.eye(4)
    no_duplicates = torch.zeros(4, 4, dtype=torch.bool)
    matched = contrastive_loss(eye, eye, 20.0, no_duplicates)
    shuffled = contrastive_loss(eye, eye[[1, 0, 3, 2]], 20.0, no_duplicates)
    assert float(matched) < 0.01 < float(shuffled)


def test_a_duplicate_item_in_the_batch_is_not_a_negative():
    import torch

    anchors = torch.eye(2)
    positives = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # both pairs bought the same item
    duplicate = torch.tensor([[False, True], [True, False]])
    assert float(contrastive_loss(anchors, positives, 20.0, duplicate)) < float(
        contrastive_loss(anchors, positives, 20.0, torch.zeros(2, 2, dtype=torch.bool)))


def test_fine_tuning_lowers_the_loss_and_saves_an_encoder(tiny_base_model, tmp_path):
    config = RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "v1"), epochs=15,
                             batch_size=8, learning_rate=2e-3, max_length=16)
    progress = []
    result = fine_tune(PAIRS, config, on_progress=lambda step, total, loss: progress.append((step, total)))
    assert result.steps == 15 and progress[-1] == (15, 15)
    assert result.last_loss < result.first_loss
    assert json.loads((tmp_path / "v1" / "metrics.json").read_text())["steps"] == 15
    vectors = Encoder(str(result.model_dir)).encode(["red bowl", "blue bowl"])
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_fine_tuning_stops_when_cancelled(tiny_base_model, tmp_path):
    config = RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "v1"), batch_size=4, max_length=16)
    with pytest.raises(RecsTrainingCancelled):
        fine_tune(PAIRS, config, should_cancel=lambda: True)
    assert not (tmp_path / "v1" / "metrics.json").exists()
