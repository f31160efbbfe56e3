"""Strict input: unknown fields, read-only fields and wrong JSON types are 400s, never coerced."""

from rest_framework import serializers

from members.core.services.input_rules import (
    TIMESTAMP_RANGE_TEXT,
    external_id_problem,
    text_problem,
    timestamp_problem,
)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning 42 into "42"."""

    default_error_messages = {"invalid": "Expected a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if problem := text_problem(data):
            raise serializers.ValidationError(f"This field {problem}.")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false only."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """JSON integers only (no "5", no 5.0, no true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal given as a JSON string ("19.90", the documented money format) or a number."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInputSerializer(serializers.Serializer):
    """Rejects keys it does not declare as writable, naming each: a typo never passes silently."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            extra = sorted(set(data) - writable)
            if extra:
                errors = {}
                for name in extra:
                    read_only = name in self.fields
                    errors[name] = ["This field is read-only." if read_only else "Unknown field."]
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp between 1900 and 2100 (naive means UTC, the CSV rule too)."""

    default_error_messages = {"range": f"Must be {TIMESTAMP_RANGE_TEXT}."}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            self.fail("range")
        if timestamp_problem(parsed):
            self.fail("range")
        return parsed


def _validate_external_id(value: str) -> None:
    if problem := external_id_problem(value):
        raise serializers.ValidationError(f"An external id {problem}.")


def external_id_field(**kwargs) -> StrictCharField:
    return StrictCharField(max_length=64, allow_blank=False, validators=[_validate_external_id], **kwargs)
