"""Approval publishes campaign.approved to subscribers, with the audience to fetch."""

import pytest

from members.campaigns.services.campaigns import campaign_approve
from members.models import WebhookDelivery, WebhookSubscription
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


def test_approval_publishes_campaign_approved_with_the_audience_size(staff_user, consenting_members):
    subscription = WebhookSubscription.objects.create(name="CRM", url="https://crm.example.com/hooks",
                                                      events=["campaign.approved"])
    WebhookSubscription.objects.create(name="Other", url="https://other.example.com/", events=["tier.changed"])
    campaign = CampaignFactory()

    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)

    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == subscription and delivery.event == "campaign.approved"
    campaign.refresh_from_db()
    payload = delivery.payload
    assert payload["campaign_id"] == campaign.pk and payload["status"] == "scheduled"
    assert payload["audience_size"] == campaign.audience.filter(group="target").count()
    assert payload["audience_url"] == f"/api/v1/campaigns/{campaign.pk}/audience/"
    assert payload["offer"] == {"kind": "discount_pct", "value": "10.00"}


def test_a_refused_approval_publishes_nothing(staff_user, db):
    WebhookSubscription.objects.create(name="CRM", url="https://crm.example.com/hooks", events=["campaign.approved"])
    campaign = CampaignFactory()  # nobody consents: the approval is refused
    with pytest.raises(Exception, match="no audience"):
        campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    assert not WebhookDelivery.objects.exists()
