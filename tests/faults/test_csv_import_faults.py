"""D6, D12, D13: the CSV import reports bad rows by line and keeps every good one.

D6: a timestamp at the end of datetime's range used to raise OverflowError and lose the batch.
D12: an unterminated quote used to swallow the following lines silently.
D13: the CSV accepted dates the API refuses, refused UTF-16 files as "NUL bytes", and accepted
text-direction override characters in names.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.imports.services.csv_import import import_csv_file
from members.models import Member, Order

pytestmark = pytest.mark.django_db

MEMBERS_HEADER = "external_id,email,name,joined_at,country,city,birth_year,gender,status,marketing_consent,tier\n"
ORDERS_HEADER = "external_id,member_external_id,placed_at,status,channel,currency,total\n"


def _member_line(n: int, *, name: str = "", joined_at: str = "2024-01-01") -> str:
    return f"M{n:03d},m{n}@example.com,{name or f'Member {n}'},{joined_at},PT,Lisbon,,,,true,\n"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def two_members(tmp_path):
    import_csv_file(kind="members", path=_write(tmp_path, "m.csv", MEMBERS_HEADER + _member_line(1) + _member_line(2)))


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_an_extreme_timestamp_rejects_its_line_and_keeps_the_others(tmp_path, two_members, moment):
    rows = [f"O-{n},M00{1 + n % 2},2024-05-0{n}T10:00:00Z,paid,web,EUR,10.00\n" for n in range(1, 7)]
    rows.insert(3, f"O-BAD,M001,{moment},paid,web,EUR,10.00\n")
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER + "".join(rows))

    err = StringIO()
    with pytest.raises(CommandError, match="1 of 7 rows were rejected"):
        call_command("import_csv", "orders", str(path), stdout=StringIO(), stderr=err)

    assert f"line 5: placed_at '{moment}' is not between 1900 and 2100" in err.getvalue()
    assert Order.objects.count() == 6


@pytest.mark.parametrize("joined_at", ["0001-06-01", "1899-12-31T23:59:59Z", "2101-01-01", "2024-01-01T00:00+15:00"])
def test_the_csv_refuses_the_dates_the_api_refuses(tmp_path, joined_at):
    path = _write(tmp_path, "m.csv", MEMBERS_HEADER + _member_line(1, joined_at=joined_at) + _member_line(2))

    report = import_csv_file(kind="members", path=path)

    assert [(e.line, "joined_at" in e.reason and "between 1900 and 2100" in e.reason) for e in report.errors] == [
        (2, True)
    ]
    assert list(Member.objects.values_list("external_id", flat=True)) == ["M002"]


def test_the_csv_and_the_api_accept_the_same_edge_years(tmp_path):
    path = _write(tmp_path, "m.csv", MEMBERS_HEADER + _member_line(1, joined_at="1900-01-01")
                  + _member_line(2, joined_at="2099-06-01T12:00:00-05:00"))
    assert import_csv_file(kind="members", path=path).errors == []


def test_an_unterminated_quote_rejects_its_line_and_imports_the_rest(tmp_path):
    lines = [_member_line(n) for n in range(1, 21)]
    lines[2] = 'M003,m3@example.com,"Broken quote,2024-01-01,PT,Lisbon,,,,true,\n'  # line 4 of the file
    path = _write(tmp_path, "m.csv", MEMBERS_HEADER + "".join(lines))

    report = import_csv_file(kind="members", path=path)

    assert [e.line for e in report.errors] == [4]
    assert "quoted field" in report.errors[0].reason and "not closed" in report.errors[0].reason
    assert report.rows_total == 20 and report.created == 19
    assert Member.objects.count() == 19 and not Member.objects.filter(external_id="M003").exists()


def test_a_quoted_field_spanning_lines_is_still_one_record(tmp_path):
    text = MEMBERS_HEADER + 'M001,a@example.com,"Ana\nLima",2024-01-01,PT,Lisbon,,,,true,\n' + _member_line(2)
    report = import_csv_file(kind="members", path=_write(tmp_path, "m.csv", text))
    assert report.errors == [] and Member.objects.get(external_id="M001").name == "Ana\nLima"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_with_a_byte_order_mark_is_imported_and_says_so(tmp_path, encoding):
    text = MEMBERS_HEADER + _member_line(1, name="Zoë Ōtsuka") + _member_line(2, name="Иван ✓")
    if encoding != "utf-16":
        text = "\ufeff" + text  # the explicit-endian codecs write no mark themselves
    path = _write(tmp_path, "m.csv", text, encoding)

    out = StringIO()
    call_command("import_csv", "members", str(path), stdout=out, stderr=StringIO())

    assert "2 created" in out.getvalue() and "UTF-16" in out.getvalue()
    assert sorted(Member.objects.values_list("name", flat=True)) == ["Zoë Ōtsuka", "Иван ✓"]


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u2066", "\u200f"])
def test_text_direction_controls_in_a_name_reject_the_line(tmp_path, control):
    path = _write(tmp_path, "m.csv", MEMBERS_HEADER + _member_line(1, name=f"Eve{control}gpj.exe") + _member_line(2))

    report = import_csv_file(kind="members", path=path)

    [error] = report.errors
    assert error.line == 2 and error.reason.startswith("name contains text-direction control characters")
    assert f"U+{ord(control):04X}" in error.reason
    assert list(Member.objects.values_list("external_id", flat=True)) == ["M002"]
