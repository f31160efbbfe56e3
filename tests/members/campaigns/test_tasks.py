"""The daily task advances campaigns by date, measures completed ones, and is safe to repeat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.campaigns.services.campaigns import campaign_approve
from members.campaigns.tasks import campaigns_daily, measure_campaign
from members.models import Campaign, CampaignStatus
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


def test_daily_run_completes_a_finished_campaign_and_measure_stores_its_results(staff_user, consenting_members):
    today = timezone.localdate()
    campaign = CampaignFactory(starts_on=today, ends_on=today + timedelta(days=2))
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)

    assert campaigns_daily(today=today.isoformat())["started"] == 1
    later = campaigns_daily(today=(today + timedelta(days=3)).isoformat())
    assert later["completed"] == 1 and later["measuring"] == 1
    assert campaigns_daily(today=(today + timedelta(days=3)).isoformat())["completed"] == 0

    result = measure_campaign(campaign.pk)  # queued on commit in production; called here directly
    stored = Campaign.objects.get(pk=campaign.pk)
    assert stored.status == CampaignStatus.COMPLETED and stored.actual_results["target"]["members"] > 0
    assert result["campaign_id"] == campaign.pk
