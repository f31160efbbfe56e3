"""List pages without DRF's field machinery: rows read with values(), shaped by plain functions.

A 100-row page through a ModelSerializer calls to_representation field by field (13 fields x 100
rows, each datetime looking up the current time zone again): about half of a list request's CPU.
The lean functions do the same conversions once per value.

Contract: a lean function returns exactly what its ModelSerializer returns for the same row: the
same keys in the same order, decimals as fixed-point strings ("49.90"), times as ISO 8601 in the
current time zone with "Z" for UTC, nulls as null. tests/members/api/test_lean_rows.py holds each
one to that on the same rows. The ModelSerializer stays what the OpenAPI schema is built from and
what detail and write answers use.
"""

from datetime import datetime, tzinfo
from decimal import Decimal


def time_text(value: datetime | None, tz: tzinfo) -> str | None:
    """DRF DateTimeField's output: ISO 8601 in `tz` (the current time zone), "Z" for UTC."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decimal_text(value: Decimal | None) -> str | None:
    """DRF DecimalField's output (COERCE_DECIMAL_TO_STRING): fixed point at the column's scale.

    DRF quantizes to the field's decimal_places; Postgres already returns numeric(p, s) at scale s,
    so formatting is all that is left.
    """
    return None if value is None else f"{value:f}"


def texts(values: list | None) -> list | None:
    """ListField(child=CharField()): each item as a string, nulls kept."""
    if values is None:
        return None
    return [None if item is None else str(item) for item in values]


def floats_by_name(values: dict | None) -> dict | None:
    """DictField(child=FloatField()): string keys, float values, nulls kept."""
    if values is None:
        return None
    return {str(key): None if value is None else float(value) for key, value in values.items()}


def dicts(values: list | None) -> list | None:
    """ListField(child=DictField()): each item a dict with string keys, values as stored."""
    if values is None:
        return None
    return [None if item is None else {str(key): value for key, value in item.items()} for item in values]
