"""Label sets per task and the weak-labelling rules.

Sentiment weak labels come from the star rating: 1-2 negative, 3 neutral, 4-5 positive.
A human label (``label_column``) overrides the stars for that row. Rows with neither a usable
rating nor a human label carry no label and are left out of training.

Gold test rule: when at least ``MIN_HUMAN_TEST_ROWS`` (200) rows carry a human label, those rows
form the test set and never enter training or validation, so the reported test metrics measure
agreement with people rather than with the star heuristic. Below that, human labels simply
override the weak labels and every labelled row is split the usual way (200 is where a 3-class
macro-F1 stops swinging by several points between resamples).
"""

from __future__ import annotations

import math

SENTIMENT_LABELS = ("negative", "neutral", "positive")
TASK_LABELS: dict[str, tuple[str, ...]] = {"sentiment": SENTIMENT_LABELS}
MIN_HUMAN_TEST_ROWS = 200


class LabelError(ValueError):
    """A label or rating value that cannot be understood."""


def label_maps(task: str) -> tuple[dict[int, str], dict[str, int]]:
    """``(id2label, label2id)`` for a task; ids follow the order in TASK_LABELS."""
    labels = TASK_LABELS[task]
    return dict(enumerate(labels)), {label: i for i, label in enumerate(labels)}


def parse_rating(value: object) -> int | None:
    """A 1-5 star rating, or None for blank. Raises LabelError for anything else."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError as exc:
            raise LabelError(f"rating {value!r} is not a number") from exc
    if math.isnan(number):
        return None
    if number != int(number) or not 1 <= number <= 5:
        raise LabelError(f"rating {value!r} is not a whole number from 1 to 5")
    return int(number)


def sentiment_from_rating(rating: int) -> str:
    if rating <= 2:
        return "negative"
    if rating == 3:
        return "neutral"
    return "positive"


def parse_human_label(value: object, task: str) -> str | None:
    """A human label normalised to the task's label set, or None for blank."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text not in TASK_LABELS[task]:
        raise LabelError(f"label {value!r} is not one of {', '.join(TASK_LABELS[task])}")
    return text


def weak_label(task: str, rating: int | None) -> str | None:
    if task == "sentiment":
        return None if rating is None else sentiment_from_rating(rating)
    raise LabelError(f"task {task!r} has no weak-labelling rule")  # pragma: no cover


def class_weights(label_ids: list[int], num_labels: int) -> list[float]:
    """Inverse-frequency weights ``n / (k * count_c)`` (scikit-learn's "balanced").

    ``k`` counts only classes present in the data; an absent class gets weight 1.0 (it never
    appears as a target, so its weight does not enter the loss).
    """
    counts = [0] * num_labels
    for label_id in label_ids:
        counts[label_id] += 1
    present = sum(1 for c in counts if c)
    total = len(label_ids)
    return [total / (present * c) if c else 1.0 for c in counts]
