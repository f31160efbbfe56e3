"""A merchandiser approves a proposed campaign in a real browser and sees it scheduled."""

import pytest
from django.contrib.auth.models import Group
from django.urls import resolve

from members.accounts.roles import MERCHANDISERS_GROUP
from members.models import Campaign, CampaignAudience, CampaignStatus
from tests.factories import MemberFactory, UserFactory, tier
from tests.members.campaigns.conftest import CampaignFactory
from tests.members.web.test_browser import CHROMIUM, PASSWORD, _shot, browser, page, sync_api  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_merchandiser_approves_a_proposed_campaign_and_sees_it_scheduled(page, live_server):  # noqa: F811
    expect = sync_api.expect
    user = UserFactory(username="mara", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    MemberFactory.create_batch(30, marketing_consent=True, tier=tier("basic"))
    campaign = CampaignFactory(name="Autumn tea for Basic", rationale="Category affinity: Basic members love tea.")
    other = CampaignFactory(name="Leave me proposed")

    # Import the URLconf here, not in the server's first request: other pages import torch and
    # scikit-learn, which can take longer than the browser's 10 s timeout on a busy machine.
    resolve("/campaigns/")
    page.goto(f"{live_server.url}/campaigns/")
    page.fill("input[name=username]", "mara")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#campaign-table tbody tr")).to_have_count(2)
    expect(page.locator(f"#campaign-{campaign.pk}")).to_contain_text("Category affinity: Basic members love tea.")
    page.evaluate("window.__noReload = true")
    page.click(f"#campaign-{campaign.pk} button:text('Approve')")
    row = page.locator(f"#campaign-{campaign.pk}")
    expect(row).to_have_attribute("data-status", "scheduled")
    expect(row).to_contain_text("Scheduled")
    expect(page.locator(f"#campaign-{other.pk}")).to_have_attribute("data-status", "proposed")
    assert page.evaluate("window.__noReload") is True  # same document: no reload happened
    _shot(page, "campaigns_approved")

    row.get_by_role("link", name="Autumn tea for Basic").click()
    expect(page.locator("#campaign-status")).to_have_text("Scheduled")
    expect(page.locator("#timeline")).to_contain_text("Scheduled")
    _shot(page, "campaign_detail")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED
    assert CampaignAudience.objects.filter(campaign_id=campaign.pk).count() == 30
