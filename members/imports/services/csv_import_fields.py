"""Parsers for CSV values: text in, a typed value out, or ValueRejected with a reason for a person.

Each factory returns a function `parse(text) -> value`. The text is already stripped of surrounding
whitespace; an empty string means "blank". A reason is phrased to follow the column name, so the
importer can report "rating 7 is not between 1 and 5" or "placed_at '31/12/2024' is not ...".
Limits (max_length, max_digits, decimal_places) are read from the model fields so that the
importer and the database never disagree.

Each parser also carries `parse.sql`, a SqlRule: the same check and conversion as SQL over a text
column, so the Postgres importer can check a whole staging table at once instead of calling
parse() per value. A rule's check may be stricter than parse() (a value it refuses is handed to
parse(), which has the final word and the words for the reason), never laxer: a value the check
accepts must be one parse() accepts, and the rule's value must be the one parse() returns.
tests/members/imports/test_csv_import_sql.py holds the two to that.
"""

import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from members.core.services.input_rules import (
    BIDI_CONTROLS,
    TIMESTAMP_MAX_YEAR,
    TIMESTAMP_MIN_YEAR,
    external_id_problem,
    text_problem,
    timestamp_problem,
)

Parser = Callable[[str], object]


class ValueRejected(ValueError):
    """One CSV value that cannot be stored; the message follows the column name."""


@dataclass(frozen=True)
class SqlRule:
    """parse() in SQL, over `{v}`: the stripped text (never NULL). `check` is a boolean that is
    true only for values parse() accepts; `value` is what parse() returns, evaluated only where
    `check` is true (so its casts cannot fail)."""

    check: str
    value: str


def _with_sql(parse: Parser, *, check: str, value: str) -> Parser:
    parse.sql = SqlRule(check=check, value=value)  # type: ignore[attr-defined]
    return parse


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _length_ok(limit: int | None) -> str:
    return "true" if limit is None else f"char_length({{v}}) <= {limit}"


# Text that parse() would refuse for direction controls (input_rules.BIDI_CONTROLS), as a bracket expression.
_BIDI_CLASS = "[" + "".join(sorted(BIDI_CONTROLS)) + "]"
# ASCII text (one byte per character in the UTF-8 database): holds no direction control, and is
# much cheaper to test than a regular expression, which Postgres runs at a few microseconds a value.
_ASCII = "octet_length({v}) = char_length({v})"


def _shape_in(shapes: Iterable[str]) -> str:
    """The text, with every digit written as 9, is one of `shapes`: a hashed IN list, several
    times cheaper in Postgres than the regular expression it replaces."""
    listed = ", ".join(_literal(shape) for shape in shapes)
    return f"translate({{v}}, '0123456789', '9999999999') IN ({listed})"


def _digits_shapes(most: int, *, signs: Iterable[str] = ("",), places: int = 0) -> list[str]:
    """1 to `most` digits, after one of `signs`, with up to `places` decimals after a "."."""
    fractions = [""] + ["." + "9" * n for n in range(1, places + 1)]
    return [sign + "9" * n + fraction for sign in signs for n in range(1, most + 1) for fraction in fractions]


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

    blank_ok = "false" if required else "true"
    return _with_sql(
        parse,
        check=f"CASE WHEN {{v}} = '' THEN {blank_ok} ELSE {_length_ok(limit)} AND ({_ASCII} OR {{v}} !~ '{_BIDI_CLASS}') END",
        value=f"CASE WHEN {{v}} = '' THEN {_literal(default)} ELSE {{v}} END",
    )


def external_id(model: type[models.Model], field: str) -> Parser:
    """A record's own external id: required text that can appear in a page or API address."""
    as_text = text(model, field, required=True)

    def parse(value: str) -> str:
        value = as_text(value)
        if problem := external_id_problem(value):
            raise ValueRejected(f"{value!r} {problem}")
        return value

    # Printable ASCII without "/": no control, formatting or direction characters. Other ids go to parse().
    limit = _field(model, field).max_length
    return _with_sql(parse, check=f"{{v}} COLLATE \"C\" ~ '^[ -.0-~]+$' AND {_length_ok(limit)}", value="{v}")


def optional_key(model: type[models.Model], field: str) -> Parser:
    """A reference to another row's natural key that may be blank (blank -> None)."""
    limit = _field(model, field).max_length

    def parse(value: str) -> str | None:
        return _check_length(value, limit) if value else None

    return _with_sql(parse, check=f"{{v}} = '' OR {_length_ok(limit)}", value="NULLIF({v}, '')")


# A plain address (dot-atom local part, letters-only top-level domain): a subset of what Django's
# EmailValidator accepts. Anything else (quoted local parts, IP literals, IDN) is left to parse().
_EMAIL_RE = (
    "^[A-Za-z0-9_+-]+([.][A-Za-z0-9_+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?[.])+[A-Za-z]{2,63}$"
)
_EMAIL_MAX = 320  # EmailValidator refuses longer addresses whatever the field allows


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

    limit = min(limit or _EMAIL_MAX, _EMAIL_MAX)
    return _with_sql(
        parse, check=f"{{v}} = '' OR ({{v}} ~ '{_EMAIL_RE}' AND char_length({{v}}) <= {limit})", value="{v}"
    )


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

    # lower() in the C collation lowers A-Z only, as Python does for ASCII; a value needing more
    # (the Kelvin sign K lowers to k in Python) is left to parse().
    listed = ", ".join(_literal(v) for v in allowed)
    return _with_sql(
        parse,
        check=f"{{v}} = '' OR lower({{v}} COLLATE \"C\") IN ({listed})",
        value=f"CASE WHEN {{v}} = '' THEN {_literal(default)} ELSE lower({{v}} COLLATE \"C\") END",
    )


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

    return _with_sql(
        parse,
        check="{v} = '' OR lower({v} COLLATE \"C\") IN ('true', '1', 'false', '0')",
        value=f"CASE WHEN {{v}} = '' THEN {str(default).lower()} ELSE lower({{v}} COLLATE \"C\") IN ('true', '1') END",
    )


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

    # At most 18 digits, so the cast to bigint cannot overflow; CASE keeps the cast behind the pattern.
    blank_ok = "false" if required else "true"
    return _with_sql(
        parse,
        check=f"CASE WHEN {{v}} = '' THEN {blank_ok} WHEN NOT {_shape_in(_NUMBER_SHAPES)} THEN false "
        f"ELSE {{v}}::bigint BETWEEN {minimum} AND {maximum} END",
        value="NULLIF({v}, '')::bigint",
    )


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

    # Plain digits only (no sign, exponent or leading "."); the digit counts are the field's limits,
    # counting leading zeros, which only makes the check stricter than parse().
    shapes = _digits_shapes(integer_digits, places=places)
    return _with_sql(parse, check=_shape_in(shapes), value="{v}::numeric")


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

    # The common shapes: a date, optionally a time to the minute, second or microsecond with "T" or a
    # space, optionally "Z" or an offset. Then the ranges, on the text (digits compare as text in the
    # C collation): the year (the local one, as timestamp_problem), month, day (beyond the 28th,
    # against the month's length), hour, minute, second, offset within ±14:00. CASE keeps every cast
    # behind the checks it needs. Naive text is UTC; text with an offset is read with it.
    blank_ok = "false" if required else "true"
    part = lambda start, length: f'substr({{v}}, {start}, {length}) COLLATE "C"'
    month_days = (
        "extract(day from make_date(substr({v}, 1, 4)::int, substr({v}, 6, 2)::int, 1) "
        "+ interval '1 month' - interval '1 day')"
    )
    time_ok = (
        f"{part(12, 2)} <= '23' AND {part(15, 2)} <= '59' AND {part(18, 2)} <= '59' AND "
        f"(NOT {_NUMERIC_OFFSET} OR right({{v}}, 5) COLLATE \"C\" <= '13:59' AND right({{v}}, 2) COLLATE \"C\" <= '59' "
        "OR right({v}, 5) = '14:00')"
    )
    return _with_sql(
        parse,
        check=f"CASE WHEN {{v}} = '' THEN {blank_ok} WHEN NOT {_shape_in(_TIMESTAMP_SHAPES)} THEN false "
        f"WHEN NOT ({part(1, 4)} BETWEEN '{TIMESTAMP_MIN_YEAR}' AND '{TIMESTAMP_MAX_YEAR}' "
        f"AND {part(6, 2)} BETWEEN '01' AND '12' AND {part(9, 2)} BETWEEN '01' AND '31') THEN false "
        f"WHEN {part(9, 2)} <= '28' THEN {time_ok} "
        f"ELSE substr({{v}}, 9, 2)::int <= {month_days} AND {time_ok} END",
        value=f"CASE WHEN {{v}} = '' THEN NULL WHEN {_HAS_OFFSET} THEN {{v}}::timestamptz "
        "ELSE {v}::timestamp AT TIME ZONE 'UTC' END",
    )


_NUMBER_SHAPES = _digits_shapes(18, signs=("", "+", "-"))  # 18 digits: the cast to bigint cannot overflow
_TIMESTAMP_SHAPES = ["9999-99-99"] + [
    f"9999-99-99{separator}99:99{seconds}{offset}"
    for separator in ("T", " ")
    for seconds in ["", ":99", *(":99." + "9" * n for n in range(1, 7))]
    for offset in ("", "Z", "+99:99", "-99:99")
]
# Of a value that has one of _TIMESTAMP_SHAPES: it ends with an offset ("+05:30"), or with that or "Z".
_NUMERIC_OFFSET = "(length({v}) > 16 AND substr({v}, length({v}) - 5, 1) IN ('+', '-'))"
_HAS_OFFSET = f"(right({{v}}, 1) = 'Z' OR {_NUMERIC_OFFSET})"


def currency(*, default: str) -> Parser:
    """A three-letter currency code, upper-cased; blank means `default`."""

    def parse(value: str) -> str:
        if not value:
            return default
        if len(value) != 3 or not value.isascii() or not value.isalpha():
            raise ValueRejected(f"{value!r} is not a three-letter currency code")
        return value.upper()

    return _with_sql(
        parse,
        # Upper-cased in the C collation (A-Z only), three letters read as A by translate().
        check=f"{{v}} = '' OR translate(upper({{v}} COLLATE \"C\"), '{string.ascii_uppercase}', "
        f"'{'A' * 26}') = 'AAA'",
        value=f"CASE WHEN {{v}} = '' THEN {_literal(default)} ELSE upper({{v}} COLLATE \"C\") END",
    )
