"""What every review scorer returns, and the text it scores: shared by ml.scoring (fine-tunes)
and ml.baseline (TF-IDF + LR), which is why it lives in neither (ml.scoring loads baselines and
stacked heads, so a baseline importing ml.scoring would close an import cycle).

ml.scoring re-exports every name here: ``from ml.scoring import ScoreResult, model_input`` keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.data import compose_text

EMPTY_TEXT = " "  # what the model sees when a review has neither text nor title


class ArtifactError(ValueError):
    """The artifact directory is missing or incomplete."""


@dataclass(frozen=True)
class ScoreResult:
    label: str  # the most probable label
    probabilities: dict[str, float]  # every label of the task -> probability (sums to 1)
    embedding: np.ndarray | None  # float32, mean-pooled last hidden state, L2-normalised; None for a baseline
    # Only from Scorer.score(..., sentences=True): one L2-normalised row per ml.topics.split_sentences
    # sentence of the scored text, pooled from the same forward pass (ml.scoring.sentence_pool).
    sentence_embeddings: np.ndarray | None = None


def model_input(text: object, title: object = None, *, join_title: bool = True) -> str:
    """The string a model scores for one review: ``None`` or blank text falls back to the title;
    when both are empty the model sees EMPTY_TEXT (a single space)."""
    body = "" if text is None else str(text).strip()
    if join_title:
        composed = compose_text(body, title)
    else:
        composed = body or ("" if title is None else str(title).strip())
    return composed or EMPTY_TEXT
