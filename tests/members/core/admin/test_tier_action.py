"""The "Change tier" action: a confirmation form with a mandatory reason, applied via the audit trail."""

import pytest
from django.contrib.admin import helpers

from members.models import TierChange
from tests.factories import MemberFactory, tier

pytestmark = pytest.mark.django_db

URL = "/admin/members/member/"


def _run(client, members, **form):
    data = {"action": "change_tier", helpers.ACTION_CHECKBOX_NAME: [m.pk for m in members], **form}
    return client.post(URL, data)


def test_first_step_shows_the_form_and_changes_nothing(superuser_client):
    member = MemberFactory()
    response = _run(superuser_client, [member], index=0)
    assert response.status_code == 200
    assert response.templates[0].name == "admin/members/member/change_tier.html"
    assert 'name="reason"' in response.content.decode()
    assert not TierChange.objects.exists()


def test_blank_reason_is_refused_with_a_form_error_and_nothing_changes(superuser_client):
    member = MemberFactory()
    response = _run(superuser_client, [member], apply="1", to_tier=tier("gold").pk, reason="   ")
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    member.refresh_from_db()
    assert member.tier == tier("basic")
    assert not TierChange.objects.exists()


def test_reason_applies_a_tier_change_by_the_staff_user_and_moves_the_members(superuser_client, superuser):
    first, second = MemberFactory.create_batch(2)
    response = _run(superuser_client, [first, second], apply="1", to_tier=tier("gold").pk, reason="VIP event")
    assert response.status_code == 302
    for member in (first, second):
        member.refresh_from_db()
        assert member.tier == tier("gold")
        change = TierChange.objects.get(member=member)
        assert (change.status, change.source, change.decided_by, change.reason) == (
            "applied", "manual", superuser, "VIP event",
        )
        assert change.from_tier == tier("basic")
        assert change.decided_at is not None


def test_staff_can_move_members_down_a_tier(superuser_client):
    member = MemberFactory(tier=tier("platinum"))
    _run(superuser_client, [member], apply="1", to_tier=tier("silver").pk, reason="Fraudulent orders refunded")
    member.refresh_from_db()
    assert member.tier == tier("silver")
    assert TierChange.objects.get(member=member).from_tier == tier("platinum")


def test_members_already_in_the_target_tier_get_no_tier_change(superuser_client):
    already_gold = MemberFactory(tier=tier("gold"))
    basic = MemberFactory()
    _run(superuser_client, [already_gold, basic], apply="1", to_tier=tier("gold").pk, reason="Campaign")
    assert list(TierChange.objects.values_list("member_id", flat=True)) == [basic.pk]


def test_select_all_across_pages_applies_to_the_filtered_list_only(superuser_client):
    france = MemberFactory.create_batch(3, country="France")
    spain = MemberFactory(country="Spain")
    data = {
        "action": "change_tier", helpers.ACTION_CHECKBOX_NAME: [france[0].pk], "select_across": "1",
        "apply": "1", "to_tier": tier("silver").pk, "reason": "French launch",
    }
    superuser_client.post(URL + "?country=France", data)
    assert set(TierChange.objects.values_list("member_id", flat=True)) == {m.pk for m in france}
    spain.refresh_from_db()
    assert spain.tier == tier("basic")
