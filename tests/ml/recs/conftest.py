"""Fixtures for the recommendation tests: the tiny random BERT from tests/ml, and a bag-of-words
encoder whose similarities are easy to reason about (shared words = similar)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
import pytest
import torch

DIMENSION = 64


@pytest.fixture(autouse=True, scope="session")
def _modest_threads():
    # Overrides tests/ml's two threads: the tiny model gains nothing from a second thread, and on
    # the shared box the other core is usually someone else's fine-tune.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


class BagOfWordsEncoder:
    """Each word hashes to one of DIMENSION axes; a text is the L2-normalised sum of its words."""

    dimension = DIMENSION

    def encode(self, texts: Sequence[str | None], *, batch_size: int = 64) -> np.ndarray:
        rows = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", (text or "").lower()):
                if word not in {"bought", "liked", "category", "brand", "nothing", "yet"}:
                    rows[i, zlib.crc32(word.encode()) % DIMENSION] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1.0, norms)


@pytest.fixture
def bag_encoder() -> BagOfWordsEncoder:
    return BagOfWordsEncoder()
