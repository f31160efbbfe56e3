"""A returned or cancelled order re-checks its member's tier, whichever door the change came in by."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.imports.services.csv_import import import_csv_file
from members.models import TierChange
from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import api_key_create
from tests.factories import MemberFactory, OrderFactory, tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def silver_member():
    """Silver needs 500.00 and 3 orders in 365 days; this member has exactly 600.00 over 3 orders."""
    member = MemberFactory(tier=tier("silver"))
    placed = timezone.now() - timedelta(days=20)
    for n in range(3):
        OrderFactory(external_id=f"RT-{n}", member=member, total=Decimal("200.00"), placed_at=placed, status="delivered")
    return member


def _open_downgrades(member):
    return TierChange.objects.filter(member=member, status="proposed", to_tier__code="basic")


def test_importing_a_returned_status_proposes_the_downgrade(silver_member, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "orders.csv"
    placed = (timezone.now() - timedelta(days=20)).isoformat()
    path.write_text(
        "external_id,member_external_id,placed_at,status,channel,currency,total\n"
        f"RT-0,{silver_member.external_id},{placed},returned,web,USD,200.00\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = import_csv_file(kind="orders", path=path)

    assert report.updated == 1
    assert _open_downgrades(silver_member).count() == 1


def test_an_import_that_changes_nothing_rechecks_nobody(silver_member, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "orders.csv"
    path.write_text(
        "external_id,member_external_id,placed_at,status,channel,currency,total\n"
        f"NEW-1,{silver_member.external_id},2024-01-01,returned,web,USD,10.00\n"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_csv_file(kind="orders", path=path)
    assert callbacks == []  # a new refunded order never counted, so nothing to re-check
    assert not _open_downgrades(silver_member).exists()


def test_an_api_cancellation_proposes_the_downgrade(silver_member, client, django_capture_on_commit_callbacks):
    key = api_key_create(name="shop", scopes=list(ALL_SCOPES)).raw_key
    order = silver_member.orders.get(external_id="RT-1")
    record = {
        "external_id": "RT-1",
        "member": silver_member.external_id,
        "placed_at": order.placed_at.isoformat(),
        "status": "cancelled",
        "currency": "USD",
        "total": "200.00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            "/api/v1/orders/RT-1/", record, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
    assert response.status_code == 200, response.content
    assert _open_downgrades(silver_member).count() == 1
