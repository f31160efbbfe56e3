"""Approval freezes the audience: consenting active members only, with a random, stable holdout."""

import pytest

from members.campaigns.services.campaigns import campaign_approve
from members.models import CampaignAudience, CampaignAudienceGroup
from ml.campaigns.stats import holdout_bucket
from tests.factories import MemberFactory, tier
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


def _groups(campaign_id: int) -> dict[int, str]:
    return dict(CampaignAudience.objects.filter(campaign_id=campaign_id).values_list("member_id", "group"))


def test_audience_is_the_consenting_active_members_of_the_target(staff_user, consenting_members):
    campaign = CampaignFactory()
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    assert set(_groups(campaign.pk)) == {m.pk for m in consenting_members}


def test_each_member_is_in_exactly_one_group_decided_by_the_seeded_hash(staff_user, consenting_members):
    campaign = CampaignFactory()
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    campaign.refresh_from_db()
    share = campaign.measurement_plan["holdout_share"]
    groups = _groups(campaign.pk)
    for member_id, group in groups.items():
        expected = "holdout" if holdout_bucket(campaign_id=campaign.pk, member_id=member_id) < share else "target"
        assert group == expected
    held = sum(g == CampaignAudienceGroup.HOLDOUT for g in groups.values())
    assert campaign.measurement_plan["holdout_size"] == held
    assert campaign.measurement_plan["target_size"] == len(groups) - held


def test_holdout_is_random_across_members_and_campaigns(staff_user):
    members = MemberFactory.create_batch(600, marketing_consent=True, tier=tier("silver"))
    first = CampaignFactory(target_tier=tier("silver"))
    second = CampaignFactory(target_tier=tier("silver"))
    for c in (first, second):
        campaign_approve(campaign_id=c.pk, approved_by=staff_user)
    a, b = _groups(first.pk), _groups(second.pk)
    held_a = {m for m, g in a.items() if g == CampaignAudienceGroup.HOLDOUT}
    held_b = {m for m, g in b.items() if g == CampaignAudienceGroup.HOLDOUT}
    first.refresh_from_db()
    share = first.measurement_plan["holdout_share"]
    assert abs(len(held_a) / len(members) - share) < 0.06  # a random draw of about the planned size
    assert held_a != held_b  # each campaign seeds its own draw
    # Not a block of ids: held-out members are spread over the id range.
    ids = sorted(m.pk for m in members)
    assert min(held_a) < ids[len(ids) // 4] and max(held_a) > ids[3 * len(ids) // 4]


def test_holdout_members_are_not_in_the_audience_partners_read(staff_user, consenting_members):
    from members.campaigns.selectors import campaign_api_audience_queryset

    campaign = CampaignFactory()
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    held = {m for m, g in _groups(campaign.pk).items() if g == CampaignAudienceGroup.HOLDOUT}
    assert held, "the plan keeps a holdout even for a small audience"
    sent = set(campaign_api_audience_queryset(campaign_id=campaign.pk).values_list("member_id", flat=True))
    assert sent and not (sent & held)
    assert len(sent) + len(held) == len(consenting_members)
