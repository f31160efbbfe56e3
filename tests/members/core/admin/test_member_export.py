import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.admin import helpers

from members.core.selectors.member_export import MEMBER_EXPORT_COLUMNS, member_export_csv
from members.models import Member
from tests.factories import MemberFactory, OrderFactory, tier

pytestmark = pytest.mark.django_db


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_columns_are_the_import_contract_then_spend_and_order_count():
    assert MEMBER_EXPORT_COLUMNS[:11] == (
        "external_id", "email", "name", "joined_at", "country", "city", "birth_year", "gender", "status",
        "marketing_consent", "tier",
    )
    assert MEMBER_EXPORT_COLUMNS[11:] == ("lifetime_spend", "order_count")


def test_export_writes_each_member_with_spend_from_kept_orders_only():
    ada = MemberFactory(
        external_id="A1", email="ada@example.com", name="Ada, Countess", country="United Kingdom", city="London",
        birth_year=1985, gender="f", marketing_consent=True, tier=tier("gold"),
        joined_at=datetime(2020, 5, 1, 12, 30, tzinfo=UTC),
    )
    OrderFactory(member=ada, total=Decimal("10.50"), status="paid")
    OrderFactory(member=ada, total=Decimal("5.00"), status="delivered")
    OrderFactory(member=ada, total=Decimal("100.00"), status="cancelled")
    MemberFactory(external_id="B2", birth_year=None, marketing_consent=False)
    rows = _rows("".join(member_export_csv(members=Member.objects.all())))
    assert rows[0] == {
        "external_id": "A1", "email": "ada@example.com", "name": "Ada, Countess",
        "joined_at": "2020-05-01T12:30:00+00:00", "country": "United Kingdom", "city": "London",
        "birth_year": "1985", "gender": "f", "status": "active", "marketing_consent": "true", "tier": "gold",
        "lifetime_spend": "15.50", "order_count": "3",
    }
    assert (rows[1]["external_id"], rows[1]["birth_year"], rows[1]["marketing_consent"]) == ("B2", "", "false")
    assert (rows[1]["lifetime_spend"], rows[1]["order_count"]) == ("0.00", "0")


@pytest.mark.parametrize("members", [2, 20])
def test_export_is_one_query_whatever_the_number_of_members(django_assert_num_queries, members):
    for member in MemberFactory.create_batch(members):
        OrderFactory.create_batch(2, member=member)
    with django_assert_num_queries(1):
        lines = list(member_export_csv(members=Member.objects.all()))
    assert len(lines) == members + 1


def test_export_action_streams_only_the_selected_members(superuser_client):
    chosen, _other = MemberFactory(external_id="PICK"), MemberFactory(external_id="SKIP")
    response = superuser_client.post(
        "/admin/members/member/",
        {"action": "export_csv", "index": 0, helpers.ACTION_CHECKBOX_NAME: [chosen.pk]},
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(b"".join(response.streaming_content).decode())
    assert [row["external_id"] for row in rows] == ["PICK"]
