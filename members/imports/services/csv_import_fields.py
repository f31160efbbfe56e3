"""Parsers for CSV values: text in, a typed value out, or ValueRejected with a reason for a person.

Each factory returns a function `parse(text) -> value`. The text is already stripped of surrounding
whitespace; an empty string means "blank". A reason is phrased to follow the column name, so the
importer can report "rating 7 is not between 1 and 5" or "placed_at '31/12/2024' is not ...".
Limits (max_length, max_digits, decimal_places) are read from the model fields so that the
importer and the database never disagree.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from members.core.services.input_rules import external_id_problem, text_problem, timestamp_problem

Parser = Callable[[str], object]


class ValueRejected(ValueError):
    """One CSV value that cannot be stored; the message follows the column name."""


def _field(model: type[models.Model], name: str) -> models.Field:
    return model._meta.get_field(name)


def _check_length(value: str, limit: int | None) -> str:
    if limit is not None and len(value) > limit:
        raise ValueRejected(f"is {len(value)} characters long; the limit is {limit}")
    return value


def _check_text(value: str) -> str:
    if problem := text_problem(value):
        raise ValueRejected(problem)
    return value


def text(model: type[models.Model], field: str, *, required: bool = False, default: str = "") -> Parser:
    """Free text limited to the model field's max_length (TextField: unlimited), without
    text-direction control characters (the API refuses them too)."""
    limit = _field(model, field).max_length

    def parse(value: str) -> str:
        if not value:
            if required:
                raise ValueRejected("is required")
            return default
        return _check_text(_check_length(value, limit))

    return parse


def external_id(model: type[models.Model], field: str) -> Parser:
    """A record's own external id: required text that can appear in a page or API address."""
    as_text = text(model, field, required=True)

    def parse(value: str) -> str:
        value = as_text(value)
        if problem := external_id_problem(value):
            raise ValueRejected(f"{value!r} {problem}")
        return value

    return parse


def optional_key(model: type[models.Model], field: str) -> Parser:
    """A reference to another row's natural key that may be blank (blank -> None)."""
    limit = _field(model, field).max_length
    return lambda value: _check_length(value, limit) if value else None


def email(model: type[models.Model], field: str) -> Parser:
    limit = _field(model, field).max_length

    def parse(value: str) -> str:
        if not value:
            return ""
        _check_length(value, limit)
        try:
            validate_email(value)
        except ValidationError:
            raise ValueRejected(f"{value!r} is not an email address") from None
        return value

    return parse


def choice(values: Iterable[str], *, default: str) -> Parser:
    """One of `values` (case-insensitive); blank means `default`."""
    allowed = tuple(values)

    def parse(value: str) -> str:
        if not value:
            return default
        lowered = value.lower()
        if lowered not in allowed:
            raise ValueRejected(f"{value!r} is not one of {', '.join(v or 'blank' for v in allowed)}")
        return lowered

    return parse


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def boolean(*, default: bool) -> Parser:
    """true/false/1/0 (case-insensitive); blank means `default`."""

    def parse(value: str) -> bool:
        if not value:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueRejected(f"{value!r} is not true, false, 1 or 0")

    return parse


# A range this narrow (a rating, a year) is worth spelling out; a wide one is a storage limit.
_SMALL_RANGE = 1000


def whole_number(*, minimum: int, maximum: int, required: bool = True) -> Parser:
    """An integer between minimum and maximum inclusive; blank is None unless required."""

    def parse(value: str) -> int | None:
        if not value:
            if required:
                raise ValueRejected("is required")
            return None
        try:
            number = int(value)
        except ValueError:
            raise ValueRejected(f"{value!r} is not a whole number") from None
        if minimum <= number <= maximum:
            return number
        if maximum - minimum <= _SMALL_RANGE:
            raise ValueRejected(f"{number} is not between {minimum} and {maximum}")
        if number < minimum:
            raise ValueRejected(f"{number} is less than {minimum}")
        raise ValueRejected(f"{number} is more than {maximum}")

    return parse


def money(model: type[models.Model], field: str) -> Parser:
    """A non-negative Decimal that fits the model field's max_digits and decimal_places."""
    model_field = _field(model, field)
    places, max_digits = model_field.decimal_places, model_field.max_digits
    step = Decimal(1).scaleb(-places)
    integer_digits = max_digits - places

    def parse(value: str) -> Decimal:
        if not value:
            raise ValueRejected("is required")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValueRejected(f"{value!r} is not a decimal number") from None
        if not amount.is_finite():
            raise ValueRejected(f"{value!r} is not a decimal number")
        if amount < 0:
            raise ValueRejected(f"{value} is negative")
        if amount != amount.quantize(step, rounding="ROUND_DOWN"):
            raise ValueRejected(f"{value} has more than {places} decimal places")
        if amount.adjusted() >= integer_digits:
            raise ValueRejected(f"{value} has more than {integer_digits} digits before the decimal point")
        return amount.quantize(step)

    return parse


def timestamp(*, required: bool = True) -> Parser:
    """ISO 8601 date or timestamp, returned timezone-aware; naive means UTC, a date alone is midnight UTC.

    The API's range applies (members/core/services/input_rules.py): years 1900-2100, offsets within
    ±14:00. Checked before converting to UTC, which overflows at the ends of datetime's range.
    """

    def parse(value: str) -> datetime | None:
        if not value:
            if required:
                raise ValueRejected("is required")
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueRejected(f"{value!r} is not an ISO 8601 date or timestamp") from None
        if problem := timestamp_problem(moment):
            raise ValueRejected(f"{value!r} {problem}")
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    return parse


def currency(*, default: str) -> Parser:
    """A three-letter currency code, upper-cased; blank means `default`."""

    def parse(value: str) -> str:
        if not value:
            return default
        if len(value) != 3 or not value.isascii() or not value.isalpha():
            raise ValueRejected(f"{value!r} is not a three-letter currency code")
        return value.upper()

    return parse
