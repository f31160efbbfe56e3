"""Bulk request and result envelopes."""

from rest_framework import serializers

MAX_BULK_RECORDS = 1_000


class BulkRequestSerializer(serializers.Serializer):
    """{"records": [...]}; each record is validated on its own so one bad record never sinks the rest."""

    records = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=MAX_BULK_RECORDS,
        help_text=f"Up to {MAX_BULK_RECORDS} records.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and (extra := sorted(set(data) - {"records"})):
            raise serializers.ValidationError({name: ["Unknown field."] for name in extra})
        return super().to_internal_value(data)


class BulkRecordResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in the request.")
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BulkCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class BulkResponseSerializer(serializers.Serializer):
    counts = BulkCountsSerializer()
    results = BulkRecordResultSerializer(many=True)


def bulk_request_serializer(record_serializer, name: str):
    """A request serializer for the schema only: documents records as `record_serializer` items."""
    return type(name, (serializers.Serializer,), {
        "records": record_serializer(many=True, help_text=f"Up to {MAX_BULK_RECORDS} records."),
        "__module__": __name__,
    })
