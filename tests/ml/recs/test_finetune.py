import json
import random

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from ml.device import bf16_autocast, cpu_has_bf16
from ml.recs import finetune
from ml.recs.finetune import (
    RecsTrainConfig,
    RecsTrainingCancelled,
    contrastive_loss,
    false_negatives,
    fine_tune,
    length_grouped_batches,
)
from ml.scoring import Encoder

PAIRS = [(f"bought: {a} mug; {a} plate", f"{a} bowl") for a in ("red", "blue", "green", "black", "white", "pink", "grey", "gold")]
COLOURS = ("red", "blue", "green", "black", "white", "pink", "grey", "gold")


def _histories_of_every_length(n: int = 64) -> list[tuple[str, str]]:
    """Pairs whose history texts hold 1 to 8 titles, so random batches carry a lot of padding."""
    rng = random.Random(5)
    pairs = []
    for i in range(n):
        titles = [f"{rng.choice(COLOURS)} mug" for _ in range(1 + i % 8)]
        pairs.append(("bought: " + "; ".join(titles), f"{COLOURS[i % 8]} bowl number {i}"))
    return pairs


def test_in_batch_loss_is_low_when_each_history_matches_its_own_item():
    eye = torch.eye(4)
    no_duplicates = torch.zeros(4, 4, dtype=torch.bool)
    matched = contrastive_loss(eye, eye, 20.0, no_duplicates)
    shuffled = contrastive_loss(eye, eye[[1, 0, 3, 2]], 20.0, no_duplicates)
    assert float(matched) < 0.01 < float(shuffled)


def test_a_duplicate_item_in_the_batch_is_not_a_negative():
    anchors = torch.eye(2)
    positives = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # both pairs bought the same item
    duplicate = torch.tensor([[False, True], [True, False]])
    assert float(contrastive_loss(anchors, positives, 20.0, duplicate)) < float(
        contrastive_loss(anchors, positives, 20.0, torch.zeros(2, 2, dtype=torch.bool)))


def test_the_same_item_or_another_item_of_the_same_order_is_masked():
    mask = false_negatives(["tea", "mug", "tea", "pot"], ["h1", "h2", "h3", "h2"])
    assert mask.tolist() == [
        [False, False, True, False],  # pair 2 bought tea too
        [False, False, False, True],  # pair 3 is another item of the same order (same history)
        [True, False, False, False],
        [False, True, False, False],
    ]


def test_length_grouped_batches_use_every_pair_once_and_pad_less_than_random_ones():
    rng = random.Random(0)
    lengths = [rng.randint(5, 120) for _ in range(1000)]

    def padding(batches):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)

    grouped = length_grouped_batches(lengths, 32, random.Random(1), group_batches=10)
    plain = length_grouped_batches(lengths, 32, random.Random(1), group_batches=1)
    for batches in (grouped, plain):
        assert sorted(i for b in batches for i in b) == list(range(1000))
        assert sorted(len(b) for b in batches)[1:] == [32] * (len(batches) - 1)  # one short batch at most
    assert padding(grouped) < padding(plain) / 5


def test_history_and_item_texts_have_their_own_token_caps(tiny_base_model, tmp_path, monkeypatch):
    widths = []
    load = finetune.AutoModel.from_pretrained

    def load_and_watch(*args, **kwargs):
        model = load(*args, **kwargs)
        model.register_forward_pre_hook(lambda module, args, kwargs: widths.append(kwargs["input_ids"].shape[1]),
                                        with_kwargs=True)
        return model

    monkeypatch.setattr(finetune.AutoModel, "from_pretrained", load_and_watch)
    config = RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "v1"), batch_size=8,
                             history_max_length=12, item_max_length=40)
    pairs = _histories_of_every_length()
    fine_tune(pairs, config)
    history_widths, item_widths = widths[0::2], widths[1::2]  # each step embeds histories, then items
    longest_item = max(len(ids) for ids in AutoTokenizer.from_pretrained(tiny_base_model)([p[1] for p in pairs])["input_ids"])
    assert max(history_widths) == 12  # most histories are longer: truncated at the history cap
    assert max(item_widths) == longest_item < 12  # items pad to the longest item, not to a cap


def test_length_grouping_cuts_the_padding_of_history_batches(tiny_base_model, tmp_path):
    padding = {}
    for grouped in (True, False):
        config = RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / str(grouped)), batch_size=8,
                                 group_by_length=grouped)
        result = fine_tune(_histories_of_every_length(), config)
        padding[grouped] = result.history_padding
        assert json.loads((tmp_path / str(grouped) / "metrics.json").read_text())["history_padding"] == round(
            result.history_padding, 4)
    assert padding[True] < padding[False] / 2


def test_bf16_is_used_only_when_asked_for_and_native():
    assert bf16_autocast(torch.device("cpu"), False)[1] == "fp32"
    assert bf16_autocast(torch.device("cpu"), True)[1] == ("bf16" if cpu_has_bf16() else "fp32")


@pytest.mark.parametrize("bf16", [False, True])
def test_fine_tuning_lowers_the_loss_and_saves_an_encoder(tiny_base_model, tmp_path, bf16):
    config = RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "v1"), epochs=15,
                             batch_size=8, learning_rate=2e-3, history_max_length=16, item_max_length=16, bf16=bf16)
    progress = []
    result = fine_tune(PAIRS, config, on_progress=lambda step, total, loss: progress.append((step, total)))
    assert result.steps == 15 and progress[-1] == (15, 15)
    assert result.last_loss < result.first_loss
    metrics = json.loads((tmp_path / "v1" / "metrics.json").read_text())
    assert metrics["steps"] == 15 and metrics["precision"] == result.precision
    vectors = Encoder(str(result.model_dir)).encode(["red bowl", "blue bowl"])
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_fine_tuning_stops_when_cancelled(tiny_base_model, tmp_path):
    config = RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path / "v1"), batch_size=4,
                             history_max_length=16, item_max_length=16)
    with pytest.raises(RecsTrainingCancelled):
        fine_tune(PAIRS, config, should_cancel=lambda: True)
    assert not (tmp_path / "v1" / "metrics.json").exists()


def test_a_batch_of_one_is_refused(tiny_base_model, tmp_path):
    with pytest.raises(ValueError, match="batch_size"):
        fine_tune(PAIRS, RecsTrainConfig(base_model=str(tiny_base_model), output_dir=str(tmp_path), batch_size=1))
