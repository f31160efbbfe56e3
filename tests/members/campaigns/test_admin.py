"""The campaign admin reads campaigns and audiences; it never changes a decision."""

import pytest

from members.campaigns.services.campaigns import campaign_approve
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


def test_superuser_can_list_and_view_campaigns_but_not_change_them(client, superuser, staff_user, consenting_members):
    campaign = CampaignFactory(name="Autumn tea")
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    client.force_login(superuser)
    listing = client.get("/admin/members/campaign/")
    assert listing.status_code == 200 and "Autumn tea" in listing.content.decode()
    page = client.get(f"/admin/members/campaign/{campaign.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get("/admin/members/campaignaudience/").status_code == 200
    assert client.get("/admin/members/campaign/add/").status_code == 403
