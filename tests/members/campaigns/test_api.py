"""/api/v1/campaigns/: approved campaigns and their target audience, scope campaigns:read."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from members.campaigns.services.campaigns import campaign_approve
from members.models import CampaignAudienceGroup
from members.partners.services.api_keys import api_key_create
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # throttle windows live in Redis
    yield
    cache.clear()


def _client(*scopes: str) -> APIClient:
    issued = api_key_create(name="messaging partner", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    return client


@pytest.fixture
def approved(staff_user, consenting_members):
    campaign = CampaignFactory(name="Autumn tea")
    campaign_approve(campaign_id=campaign.pk, approved_by=staff_user)
    return campaign


def test_lists_approved_campaigns_only(approved):
    CampaignFactory(name="Still proposed")
    response = _client("campaigns:read").get("/api/v1/campaigns/")
    assert response.status_code == 200
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["Autumn tea"]
    row = response.json()["results"][0]
    assert row["status"] == "scheduled" and row["target_tier"] == "basic"
    assert row["audience_size"] == approved.audience.filter(group="target").count()


def test_a_proposed_campaign_is_not_found_and_has_no_audience():
    proposed = CampaignFactory()
    client = _client("campaigns:read")
    assert client.get(f"/api/v1/campaigns/{proposed.pk}/").status_code == 404
    assert client.get(f"/api/v1/campaigns/{proposed.pk}/audience/").status_code == 404


def test_audience_lists_the_target_group_and_never_the_holdout(approved):
    client = _client("campaigns:read")
    members, url = [], f"/api/v1/campaigns/{approved.pk}/audience/?page_size=7"
    while url:  # walk the cursor
        body = client.get(url).json()
        members += [row["member"] for row in body["results"]]
        url = body["next"]
    target = set(approved.audience.filter(group=CampaignAudienceGroup.TARGET).values_list("member__external_id", flat=True))
    holdout = set(approved.audience.filter(group=CampaignAudienceGroup.HOLDOUT).values_list("member__external_id", flat=True))
    assert len(members) == len(set(members)) and set(members) == target
    assert not set(members) & holdout


def test_audience_page_costs_the_same_queries_whatever_its_size(approved):
    client = _client("campaigns:read")
    client.get(f"/api/v1/campaigns/{approved.pk}/audience/?page_size=2")  # warm the key's last-used gate
    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/campaigns/{approved.pk}/audience/?page_size={size}").status_code == 200
        counts.append(len(ctx))
    # campaign lookup, audience page (members joined); the key row is cached by the first call
    assert counts[0] == counts[1] == 2, counts


def test_a_key_without_the_scope_is_refused(approved):
    response = _client("members:read").get("/api/v1/campaigns/")
    assert response.status_code == 403
    assert "campaigns:read" in response.json()["detail"]


def test_no_key_is_unauthenticated(approved):
    assert APIClient().get("/api/v1/campaigns/").status_code == 401


def test_a_non_numeric_campaign_id_is_a_404_not_an_error(approved):
    client = _client("campaigns:read")
    assert client.get("/api/v1/campaigns/null,null/audience/").status_code == 404
    assert client.get("/api/v1/campaigns/abc/").status_code == 404
