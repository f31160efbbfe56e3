"""The Postgres importer checks values in SQL (each parser's SqlRule) and leaves the rest to Python.

The rule may refuse more than the Python parser (those rows go to the parser, which decides), but
must never accept a value the parser refuses, and must convert to the value the parser returns.
"""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from members.imports.services.csv_import import RowError, import_csv_file
from members.imports.services.csv_import_fields import ValueRejected
from members.imports.services.csv_import_specs import SPECS
from members.models import Member, Order
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

# Every sample is tried against every column of every kind: good values, near misses, unusual forms.
SAMPLES = [
    "",
    # timestamps
    "2024-01-01",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-04-31",
    "2024-04-30",
    "2024-12-31",
    "2024-01-31T23:59:59",
    "2024-01-01T24:00",
    "2024-01-01T10:60",
    "2024-01-01T10:00:60",
    "2024-01-01 10:00:00.5",
    "2024-01-01T10:00:00.123456Z",
    "2024-01-01T10:00:00.1234567",
    "2024-01-01T10:00+14:00",
    "2024-01-01T10:00+14:01",
    "2024-01-01T10:00-13:59",
    "2024-01-01T10:00+13:60",
    "2024-05-01T00:30:00-05:00",
    "2024-01-01T23:59:59Z",
    "1899-12-31",
    "1900-01-01T00:00+01:00",
    "2100-12-31T23:00-05:00",
    "2101-01-01",
    "0000-01-01",
    "2024-00-10",
    "2024-13-01",
    "2024-01-00",
    "31/12/2024",
    "20240101",
    "yesterday",
    "2024-1-01",
    "２０２４-01-01",
    "2024-01-01T10:00:00+0200",
    # numbers and money
    "0",
    "1",
    "5",
    "6",
    "+3",
    "-1",
    "-0",
    "007",
    "1_0",
    "٣",
    "3.0",
    "12.5",
    "12.50",
    "1.500",
    "1.005",
    "-4.00",
    "12,50",
    "1e3",
    ".5",
    "5.",
    "999999999999.99",
    "9999999999999.00",
    "0012.5",
    "2147483647",
    "2147483648",
    "99999999999999999999",
    "1900",
    "2100",
    "1850",
    # choices, booleans, currencies
    "paid",
    "PAID",
    "Paid",
    "lost",
    "ＰＡＩＤ",
    "active",
    "true",
    "TRUE",
    "False",
    "yes",
    "f",
    "M",
    "q",
    "gbp",
    "GBP",
    "GB",
    "POUND",
    "£££",
    "ǅab",
    "usd",
    # text, ids, emails
    "x" * 8,
    "x" * 9,
    "x" * 32,
    "x" * 33,
    "x" * 64,
    "x" * 65,
    "x" * 200,
    "x" * 201,
    "a\u202eb",
    "王小明",
    "O1",
    "a/b",
    "a\u200bb",
    "a\x01b",
    "ÄÖ",
    "a b",
    "a@example.com",
    "not-an-email",
    "a.b+c@sub.example.co.uk",
    "a@localhost",
    '"q"@example.com',
    "a@b.c",
    "a..b@example.com",
    "-a@example.com",
    "a@-example.com",
    "a@example.c0m",
]


def sql_check_and_value(rule, samples: list[str]) -> list[tuple[str, bool, object]]:
    check, value = rule.check.replace("{v}", "s.v"), rule.value.replace("{v}", "s.v")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.v, ({check}), CASE WHEN ({check}) THEN ({value}) END FROM unnest(%s::text[]) AS s(v)",
            [samples],
        )
        return cursor.fetchall()


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_sql_accepts_only_what_the_parser_accepts_and_converts_the_same_way(kind):
    if connection.vendor != "postgresql":
        pytest.skip("the SQL checks run on Postgres only")
    accepted_by_sql = 0
    for column in SPECS[kind].columns:
        for text, ok, sql_value in sql_check_and_value(column.parse.sql, SAMPLES):
            if not ok:
                continue
            accepted_by_sql += 1
            try:
                python_value = column.parse(text)
            except (ValueRejected, ArithmeticError) as exc:
                pytest.fail(f"{kind}.{column.name}: SQL accepts {text!r}, the parser refuses it ({exc})")
            assert sql_value == python_value, f"{kind}.{column.name} {text!r}"
    assert accepted_by_sql > len(SPECS[kind].columns)  # the rules do accept the ordinary values


def test_common_forms_are_accepted_by_sql_without_the_parser():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL checks run on Postgres only")
    spec = SPECS["orders"]
    typical = {
        "external_id": "O-000123",
        "member_external_id": "M1",
        "placed_at": "2023-09-09T12:40:48+00:00",
        "status": "delivered",
        "channel": "web",
        "currency": "GBP",
        "total": "386.93",
    }
    for column in spec.columns:
        ((_, ok, _),) = sql_check_and_value(column.parse.sql, [typical[column.name]])
        assert ok, column.name


def write_orders(path: Path, rows: list[str]) -> Path:
    path.write_text(",".join(SPECS["orders"].header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_bad_rows_in_the_middle_of_a_large_file_are_reported_by_line_and_the_rest_kept(tmp_path):
    MemberFactory(external_id="M1")
    rows = [f"O{n},M1,2024-01-01T10:00:00Z,paid,web,GBP,{n}.00" for n in range(1, 2501)]
    rows[1299] = (
        "O1300,M1,2024-01-01T10:00:00Z,paid,web,GBP,12.345"  # line 1301: SQL refuses, parser says why
    )
    rows[1799] = "O1800,M404,2024-01-01,paid,web,GBP,1.00"  # line 1801: unknown member
    rows[2199] = "O17,M1,2024-01-01,paid,web,GBP,1.00"  # line 2201: duplicate of line 18, an earlier batch

    report = import_csv_file(kind="orders", path=write_orders(tmp_path / "orders.csv", rows), batch_size=1000)

    assert report.errors == [
        RowError(1301, "total 12.345 has more than 2 decimal places"),
        RowError(1801, "unknown member 'M404' in member_external_id"),
        RowError(2201, "duplicate of line 18 (external_id 'O17'); a key may appear once per file"),
    ]
    assert (report.rows_total, report.created, report.rejected) == (2500, 2497, 3)
    assert Order.objects.count() == 2497
    assert Order.objects.get(external_id="O17").total == Decimal("17.00")


def test_unusual_forms_the_sql_checks_leave_to_the_parser_are_imported_as_the_parser_reads_them(tmp_path):
    MemberFactory(external_id="M1")
    path = write_orders(
        tmp_path / "orders.csv",
        [
            "O1,M1,2024-05-01T12:00:00.1234567+02:00,PAID,web,gbp,1.500",  # 7 decimals; 3 places, all zero
            "O2,M1,20240502,Shipped,web,usd,.5",  # basic ISO date; no leading digit
            "O3,M1, 2024-05-03 ,paid,web,GBP, 7 ",  # spaces around values are stripped
        ],
    )

    report = import_csv_file(kind="orders", path=path)

    assert report.ok and report.created == 3
    orders = {o.external_id: o for o in Order.objects.all()}
    assert (orders["O1"].placed_at, orders["O1"].status, orders["O1"].currency, orders["O1"].total) == (
        datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC),
        "paid",
        "GBP",
        Decimal("1.50"),
    )
    assert (orders["O2"].placed_at, orders["O2"].status, orders["O2"].total) == (
        datetime(2024, 5, 2, tzinfo=UTC),
        "shipped",
        Decimal("0.50"),
    )
    assert (orders["O3"].placed_at, orders["O3"].total) == (datetime(2024, 5, 3, tzinfo=UTC), Decimal("7.00"))
    assert Member.objects.count() == 1
