from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.core.admin.members import RECENT_ROWS
from tests.factories import MemberFactory, OrderFactory, ReviewFactory, TierChangeFactory, tier

pytestmark = pytest.mark.django_db


def _page(client, member):
    response = client.get(f"/admin/members/member/{member.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_member_page_shows_lifetime_spend_order_count_and_last_order(superuser_client, member):
    last = timezone.now() - timedelta(days=1)
    OrderFactory(member=member, total=Decimal("100.00"), status="delivered", placed_at=last)
    OrderFactory(member=member, total=Decimal("50.50"), status="paid", placed_at=last - timedelta(days=3))
    OrderFactory(member=member, total=Decimal("999.00"), status="returned", placed_at=last - timedelta(days=9))
    html = _page(superuser_client, member)
    assert "150.50" in html  # the returned order is not spend
    assert "999" not in html.split("Recent orders")[0]
    assert "See all 3 orders" in html
    assert f"?member__id__exact={member.pk}" in html
    assert timezone.localtime(last).strftime("%Y") in html


def test_member_page_lists_only_the_most_recent_orders_with_a_link_to_all(superuser_client, member):
    now = timezone.now()
    for day in range(RECENT_ROWS + 5):
        OrderFactory(member=member, external_id=f"ORD-{day:03d}", placed_at=now - timedelta(days=day))
    html = _page(superuser_client, member)
    assert "ORD-000" in html
    assert f"ORD-{RECENT_ROWS - 1:03d}" in html
    assert f"ORD-{RECENT_ROWS:03d}" not in html
    assert f"See all {RECENT_ROWS + 5} orders" in html


def test_member_page_shows_reviews_and_tier_history(superuser_client, member, superuser):
    ReviewFactory(member=member, title="Runs small", rating=2)
    TierChangeFactory(
        member=member, from_tier=tier("basic"), to_tier=tier("gold"), status="applied",
        decided_by=superuser, decided_at=timezone.now(), reason="Loyal since 2019",
    )
    html = _page(superuser_client, member)
    assert "Runs small" in html
    assert "See all 1 reviews" in html
    assert "Loyal since 2019" in html
    assert "Gold" in html


def test_member_tier_is_read_only_on_the_change_form(superuser_client, member):
    response = superuser_client.get(f"/admin/members/member/{member.pk}/change/")
    assert "tier" not in response.context["adminform"].form.fields
    data = {
        "external_id": member.external_id, "name": "Renamed", "email": member.email,
        "joined_at_0": "2024-01-02", "joined_at_1": "10:00:00", "status": "active",
        "country": "France", "city": "", "birth_year": "", "gender": "", "tier": tier("platinum").pk,
    }
    response = superuser_client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.name == "Renamed"
    assert member.tier == tier("basic")  # the posted tier was ignored


def test_a_member_added_in_the_admin_starts_in_the_entry_tier(superuser_client):
    data = {
        "external_id": "NEW-1", "name": "New Person", "email": "new@example.com",
        "joined_at_0": "2024-01-02", "joined_at_1": "10:00:00", "status": "active",
        "country": "", "city": "", "birth_year": "", "gender": "",
    }
    response = superuser_client.post("/admin/members/member/add/", data)
    assert response.status_code == 302
    from members.models import Member

    assert Member.objects.get(external_id="NEW-1").tier == tier("basic")


@pytest.mark.parametrize("rows", [1, 25])
def test_member_page_query_count_is_bounded(superuser_client, django_assert_num_queries, rows):
    member = MemberFactory()
    OrderFactory.create_batch(rows, member=member)
    ReviewFactory.create_batch(rows, member=member, order=None)
    TierChangeFactory.create_batch(rows, member=member)
    # session, user, member + tier, lifetime stats aggregate, recent orders, review count, recent reviews
    # (+ product), tier history (+ tiers, decider).
    with django_assert_num_queries(8):
        _page(superuser_client, member)
