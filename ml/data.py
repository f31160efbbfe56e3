"""Reading rows and turning them into labelled examples.

A *row* is a mapping from column name to value (a ``csv.DictReader`` row, or a dict the Django
side builds from a Review). Values may be strings or already-typed (int rating, datetime).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ml.config import TrainConfig
from ml.labels import LabelError, label_maps, parse_human_label, parse_rating, weak_label

# Real review exports carry long free text; the stdlib default (128 KiB) is too small for some.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class DataError(ValueError):
    """Input data that cannot be used, with a message that says where and why."""


@dataclass(frozen=True)
class Example:
    index: int  # position in the input rows (0-based)
    text: str  # title and body joined by compose_text
    label_id: int
    human: bool  # label came from the human label column
    timestamp: datetime | None


@dataclass(frozen=True)
class DataSummary:
    rows_total: int
    rows_labelled: int
    rows_human_labelled: int
    rows_without_label: int  # no rating and no human label: left out
    rows_without_text: int  # no text and no title: left out (nothing to learn from)

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def compose_text(text: object, title: object = None) -> str:
    """The model input for one review: ``"<title>. <text>"``, or whichever of the two is present.

    Used identically by training and scoring. Returns "" when both are empty; the Scorer turns
    that into a single space (the model then sees only ``[CLS] [SEP]``).
    """
    body = "" if text is None else str(text).strip()
    head = "" if title is None else str(title).strip()
    if head and body:
        return f"{head}{'' if head[-1] in '.!?' else '.'} {body}"
    return body or head


def parse_timestamp(value: object) -> datetime | None:
    """ISO 8601 -> aware datetime. Naive values are UTC; a bare date is midnight UTC; blank is None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise DataError(f"timestamp {value!r} is not ISO 8601") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_csv_rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """All rows of a UTF-8 CSV with a header. Raises DataError naming the columns present."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [name for name in required if name not in columns]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(map(repr, missing))}; "
                f"the file has {', '.join(map(repr, columns)) or 'no header'}."
            )
        return list(reader)


def required_columns(config: TrainConfig) -> list[str]:
    names = [config.text_column, config.title_column, config.rating_column, config.label_column]
    return [name for name in [*names, config.timestamp_column] if name]


def build_examples(rows: Iterable[Mapping[str, Any]], config: TrainConfig) -> tuple[list[Example], DataSummary]:
    """Label every usable row. Raises DataError with the CSV line number (header = line 1)."""
    _, label2id = label_maps(config.task)
    examples: list[Example] = []
    total = human_count = no_label = no_text = 0
    for index, row in enumerate(rows):
        total += 1
        line = index + 2
        try:
            text = compose_text(row.get(config.text_column), row.get(config.title_column) if config.title_column else None)
            human = parse_human_label(row.get(config.label_column), config.task) if config.label_column else None
            rating = parse_rating(row.get(config.rating_column)) if config.rating_column else None
            label = human or weak_label(config.task, rating)
            stamp = parse_timestamp(row.get(config.timestamp_column)) if config.timestamp_column else None
        except (LabelError, DataError) as exc:
            raise DataError(f"line {line}: {exc}") from exc
        if config.timestamp_column and stamp is None:
            raise DataError(f"line {line}: {config.timestamp_column!r} is empty; a time split needs every timestamp.")
        if not text:
            no_text += 1
            continue
        if label is None:
            no_label += 1
            continue
        human_count += human is not None
        examples.append(Example(index, text, label2id[label], human is not None, stamp))
    summary = DataSummary(total, len(examples), human_count, no_label, no_text)
    if not examples:
        raise DataError(f"none of the {total} rows has both text and a label (rating or human label).")
    return examples, summary
