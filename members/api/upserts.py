"""The API side of upserts: validate with a serializer, call the service, shape the answer."""

from collections import Counter
from collections.abc import Callable, Sequence

from rest_framework import serializers

from members.api.exceptions import flatten_errors
from members.api.serializers.bulk import BulkRequestSerializer
from members.core.services.api_upserts import UpsertResult


def validate_put(*, serializer_class, data, key_field: str, key: str) -> dict:
    """The validated body of a PUT to .../<key>/; the body may repeat the key but not contradict it."""
    if isinstance(data, dict):
        if key_field in data and data[key_field] != key:
            raise serializers.ValidationError({key_field: ["Does not match the URL."]})
        data = {**data, key_field: key}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def upsert_one(*, upsert_many: Callable[..., list[UpsertResult]], record: dict) -> UpsertResult:
    """Run one record through the batch service; a rejection becomes a 400 with its field errors."""
    (result,) = upsert_many(records=[record])
    if result.status == "rejected":
        raise serializers.ValidationError(result.errors)
    return result


def bulk_upsert(*, data, record_serializer, key_field: str,
                upsert_many: Callable[..., list[UpsertResult]]) -> dict:
    """{"counts": {...}, "results": [{"index", "external_id", "status", "errors"}]} for a bulk body.

    The envelope (not an object, no records, over the limit) is a 400 for the whole request; each
    record is validated alone and a bad one is rejected without touching the others.
    """
    envelope = BulkRequestSerializer(data=data)
    envelope.is_valid(raise_exception=True)
    raw_records: Sequence = envelope.validated_data["records"]
    results: list[dict | None] = [None] * len(raw_records)
    valid_indexes, valid_records = [], []
    for index, raw in enumerate(raw_records):
        serializer = record_serializer(data=raw)
        if serializer.is_valid():
            valid_indexes.append(index)
            valid_records.append(serializer.validated_data)
            continue
        key = raw.get(key_field) if isinstance(raw, dict) else None
        results[index] = _result(index, key if isinstance(key, str) else None, "rejected",
                                 flatten_errors(serializer.errors))
    if valid_records:
        for index, outcome in zip(valid_indexes, upsert_many(records=valid_records), strict=True):
            results[index] = _result(index, outcome.external_id, outcome.status, outcome.errors)
    counts = Counter(result["status"] for result in results)
    return {
        "counts": {status: counts.get(status, 0) for status in ("created", "updated", "unchanged", "rejected")},
        "results": results,
    }


def _result(index: int, external_id: str | None, status: str, errors: dict) -> dict:
    return {"index": index, "external_id": external_id, "status": status, "errors": errors}
