"""Fixtures for the ml package: a tiny random BERT as base model and small labelled review sets.

Nothing here touches the database; the tiny model keeps each fine-tune to a second or two on CPU.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from ml.base_model import packaged_model_path
from ml.config import TrainConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
CLOTHING_REVIEWS = REPO_ROOT.parent / "shared" / "datasets" / "womens_clothing_reviews" / "womens_clothing_reviews.csv"

WORDS = {
    1: ["terrible", "awful", "ripped", "returned", "cheap"],
    2: ["poor", "disappointing", "scratchy", "tight"],
    3: ["okay", "fine", "average", "decent"],
    4: ["nice", "good", "comfortable", "pretty"],
    5: ["love", "perfect", "gorgeous", "beautiful"],
}


@pytest.fixture(autouse=True, scope="session")
def _modest_threads():
    # The CI box is shared: two threads is plenty for a 32-wide model.
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer, 32-wide BERT with the packaged MiniLM vocabulary."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(packaged_model_path(), local_files_only=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def make_reviews(n: int, *, seed: int = 0, with_timestamps: bool = False) -> list[dict[str, str]]:
    """Reviews whose words follow their star rating, ratings spread over 1-5."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        rating = rng.choice([1, 2, 3, 4, 5, 5])
        words = rng.choices(WORDS[rating], k=rng.randint(3, 9))
        row = {"body": " ".join(words), "title": words[0], "rating": str(rating)}
        if with_timestamps:
            row["created_at"] = (start + timedelta(days=rng.randint(0, 365))).isoformat()
        rows.append(row)
    return rows


@pytest.fixture
def reviews() -> list[dict[str, str]]:
    return make_reviews(120)


@pytest.fixture
def tiny_config(tiny_base_model, tmp_path) -> TrainConfig:
    return TrainConfig(
        base_model=str(tiny_base_model), text_column="body", rating_column="rating", max_length=32,
        epochs=2, batch_size=8, learning_rate=1e-3, logging_steps=2, output_dir=str(tmp_path / "artifact"),
    )


@pytest.fixture(scope="session")
def trained_artifact(tiny_base_model, tmp_path_factory) -> Path:
    """One tiny fine-tune shared by the scorer tests (trained with titles joined)."""
    from ml.train import train

    out = tmp_path_factory.mktemp("trained") / "sentiment-v1"
    config = TrainConfig(
        base_model=str(tiny_base_model), text_column="body", title_column="title", rating_column="rating",
        max_length=32, epochs=2, batch_size=8, learning_rate=1e-3, output_dir=str(out),
    )
    return train(config, make_reviews(120, seed=1)).artifact_dir
