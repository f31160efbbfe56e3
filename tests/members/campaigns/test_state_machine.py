"""The campaign lifecycle refuses illegal transitions, with reasons a person can read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.campaigns.services.campaigns import (
    CampaignError,
    campaign_advance,
    campaign_approve,
    campaign_reject,
    campaign_transition,
    campaign_update_proposal,
)
from members.models import Campaign, CampaignStatus
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


def test_approving_a_proposed_campaign_schedules_it(staff_user, consenting_members):
    campaign = CampaignFactory()
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.approved_by == staff_user and campaign.approved_at and campaign.scheduled_at


def test_a_campaign_cannot_be_approved_twice(staff_user, consenting_members):
    campaign = CampaignFactory()
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    with pytest.raises(CampaignError, match="is scheduled; only a proposed campaign can become approved"):
        campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)


def test_a_rejected_campaign_cannot_be_approved(staff_user, consenting_members):
    campaign = CampaignFactory()
    campaign_reject(campaign_id=campaign.pk, rejected_by=staff_user, reason="Margin is too thin in December.")
    with pytest.raises(CampaignError, match="is rejected"):
        campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    assert Campaign.objects.get(pk=campaign.pk).rejection_reason == "Margin is too thin in December."


def test_rejecting_needs_a_reason(staff_user):
    campaign = CampaignFactory()
    with pytest.raises(CampaignError, match="Say why"):
        campaign_reject(campaign_id=campaign.pk, rejected_by=staff_user, reason="   ")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PROPOSED


def test_a_scheduled_campaign_cannot_be_rejected_or_completed_early(staff_user, consenting_members):
    campaign = CampaignFactory()
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    with pytest.raises(CampaignError, match="only a proposed or approved campaign can become rejected"):
        campaign_reject(campaign_id=campaign.pk, rejected_by=staff_user, reason="changed my mind")
    with pytest.raises(CampaignError, match="only a running campaign can become completed"):
        campaign_transition(campaign_id=campaign.pk, to_status=CampaignStatus.COMPLETED)


def test_a_proposed_campaign_cannot_start_running():
    campaign = CampaignFactory()
    with pytest.raises(CampaignError, match="is proposed; only a scheduled campaign can become running"):
        campaign_transition(campaign_id=campaign.pk, to_status=CampaignStatus.RUNNING)


def test_only_proposed_campaigns_can_be_edited(staff_user):
    campaign = CampaignFactory()
    campaign_reject(campaign_id=campaign.pk, rejected_by=staff_user, reason="no")
    with pytest.raises(CampaignError, match="only a proposed campaign can be edited"):
        campaign_update_proposal(campaign_id=campaign.pk, offer_value=20)


def test_an_empty_audience_cannot_be_approved_and_nothing_changes(staff_user, db):
    campaign = CampaignFactory()  # no consenting members exist
    with pytest.raises(CampaignError, match="no audience"):
        campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PROPOSED and campaign.approved_at is None


def test_a_campaign_that_already_ended_cannot_be_approved(staff_user, consenting_members):
    today = timezone.localdate()
    campaign = CampaignFactory(starts_on=today - timedelta(days=20), ends_on=today - timedelta(days=6))
    with pytest.raises(CampaignError, match="change its dates"):
        campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)


def test_the_daily_advance_starts_and_completes_campaigns_by_date(staff_user, consenting_members):
    today = timezone.localdate()
    starting = CampaignFactory(starts_on=today, ends_on=today + timedelta(days=3))
    later = CampaignFactory()
    for c in (starting, later):
        campaign_approve(campaign_id=c.pk, approved_by=staff_user)
    assert campaign_advance(today=today) == {"started": 1, "completed": 0}
    assert campaign_advance(today=today + timedelta(days=4)) == {"started": 0, "completed": 1}
    assert Campaign.objects.get(pk=starting.pk).status == CampaignStatus.COMPLETED
    assert Campaign.objects.get(pk=later.pk).status == CampaignStatus.SCHEDULED
    assert campaign_advance(today=today + timedelta(days=4)) == {"started": 0, "completed": 0}
