"""The streaming row pass shared by the Postgres and SQLite paths (no database needed)."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from members.imports.services.csv_import_rows import ImportFileError, ParsedRow, RowError, csv_rows_parse
from members.imports.services.csv_import_specs import ORDERS


def parse(*lines: bytes) -> list:
    return list(csv_rows_parse(spec=ORDERS, raw_lines=iter(line + b"\r\n" for line in lines)))


HEADER = b"external_id,member_external_id,placed_at,status,channel,currency,total"


def test_values_are_parsed_to_python_types_with_defaults_for_blanks():
    rows = parse(HEADER, b"O1, M1 ,2024-05-01T12:00:00+02:00,PAID,web,gbp,12.5", b"O2,M1,2024-05-02,,,,0")

    assert rows == [
        ParsedRow(
            2, ("O1", "M1", datetime(2024, 5, 1, 10, tzinfo=UTC), "paid", "web", "GBP", Decimal("12.50"))
        ),
        ParsedRow(3, ("O2", "M1", datetime(2024, 5, 2, tzinfo=UTC), "placed", "", "USD", Decimal("0.00"))),
    ]


def test_timestamps_are_timezone_aware_and_normalised_to_utc():
    (row,) = parse(HEADER, b"O1,M1,2024-05-01T00:30:00-05:00,,,,1")

    placed_at = row.values[2]
    assert placed_at.utcoffset() == timedelta(0)
    assert placed_at == datetime(2024, 5, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5)))


def test_a_line_that_is_not_utf8_is_rejected_alone():
    rows = parse(HEADER, b"O1,M1,2024-05-01,,,,1", b"O2,M\xe9,2024-05-01,,,,1", b"O3,M1,2024-05-01,,,,1")

    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[1] == RowError(3, "not valid UTF-8 (byte 0xe9 at position 5)")
    assert isinstance(rows[2], ParsedRow)


def test_several_reasons_in_one_row_are_reported_together():
    (row,) = parse(HEADER, b"O1,,yesterday,,,,abc")

    assert row == RowError(
        2,
        "member_external_id is required; placed_at 'yesterday' is not an ISO 8601 date or timestamp; "
        "total 'abc' is not a decimal number",
    )


def test_a_non_utf8_header_rejects_the_file():
    with pytest.raises(ImportFileError, match=r"header \(line 1\) is unreadable: not valid UTF-8"):
        parse(b"external_id\xff," + HEADER)


def test_a_repeated_header_column_rejects_the_file():
    with pytest.raises(ImportFileError, match="names a column twice: total"):
        parse(HEADER + b",total")
