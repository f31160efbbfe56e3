"""Operations staff run the shop's data but only view the tier ladder; superusers do everything."""

import pytest
from django.contrib.admin import helpers

from members.models import Tier, TierChange
from tests.factories import tier

pytestmark = pytest.mark.django_db

TIER_FORM = {
    "code": "diamond", "name": "Diamond", "rank": 9, "min_spend": "9000", "min_orders": 20,
    "qualifying_window_days": 365, "benefits": "",
}


def test_operations_user_can_open_a_member_page(operations_client, member):
    assert operations_client.get(f"/admin/members/member/{member.pk}/change/").status_code == 200


@pytest.mark.parametrize("url", ["/admin/members/member/", "/admin/members/order/", "/admin/members/review/"])
def test_operations_user_can_list_members_orders_and_reviews(operations_client, url):
    assert operations_client.get(url).status_code == 200


def test_operations_user_can_run_the_tier_action(operations_client, operations_user, member):
    response = operations_client.post(
        "/admin/members/member/",
        {"action": "change_tier", helpers.ACTION_CHECKBOX_NAME: [member.pk], "apply": "1",
         "to_tier": tier("silver").pk, "reason": "Goodwill after a late delivery"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.tier == tier("silver")
    assert TierChange.objects.get(member=member).decided_by == operations_user


def test_operations_user_cannot_add_a_tier(operations_client):
    assert operations_client.get("/admin/members/tier/add/").status_code == 403
    assert operations_client.post("/admin/members/tier/add/", TIER_FORM).status_code == 403
    assert not Tier.objects.filter(code="diamond").exists()


def test_operations_user_can_view_but_not_change_a_tier(operations_client):
    gold = tier("gold")
    assert operations_client.get(f"/admin/members/tier/{gold.pk}/change/").status_code == 200  # read-only view
    response = operations_client.post(f"/admin/members/tier/{gold.pk}/change/", {**TIER_FORM, "code": "gold"})
    assert response.status_code == 403
    gold.refresh_from_db()
    assert gold.name == "Gold"


def test_superuser_can_add_and_change_tiers(superuser_client):
    assert superuser_client.post("/admin/members/tier/add/", TIER_FORM).status_code == 302
    diamond = Tier.objects.get(code="diamond")
    response = superuser_client.post(
        f"/admin/members/tier/{diamond.pk}/change/", {**TIER_FORM, "name": "Diamond club"}
    )
    assert response.status_code == 302
    diamond.refresh_from_db()
    assert diamond.name == "Diamond club"
