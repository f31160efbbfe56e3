"""Reviews as rows for training the review models (ml/data.py turns them into examples)."""

from collections.abc import Iterator
from typing import Any

from members.models import Review

ROW_CHUNK_SIZE = 2_000  # server-side cursor chunk when reading reviews for a dataset


def review_training_rows() -> Iterator[dict[str, Any]]:
    """Every review as an ml row: body, title, rating, human_label (sentiment correction), created_at."""
    fields = ("body", "title", "rating", "sentiment_label_human", "created_at")
    for body, title, rating, human, created_at in (
        Review.objects.order_by("created_at", "id").values_list(*fields).iterator(chunk_size=ROW_CHUNK_SIZE)
    ):
        yield {"body": body, "title": title, "rating": rating, "human_label": human, "created_at": created_at}
