"""Right after `make demo`'s fast path (load_demo, demo_history, refresh_intelligence --fast), a
newcomer opening the first pages in a real browser finds each of them populated: the dashboard's
tier ladder with members in several tiers, the campaign queue and past campaigns with measured
results, tier changes to decide, scored reviews with the sentiment chart, a member's
recommendations. The real commands run on a small slice of the demo shop (no transformer: the
fast path needs none)."""

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from members.models import Campaign, Member, Recommendation, Review, TierChange

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's event loop beside sync fixtures

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def demo_after_fast_path(settings, tmp_path):
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path / "artifacts"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    for command in (("load_demo", "--limit-members", "300"), ("demo_history",), ("refresh_intelligence", "--fast")):
        call_command(*command, stdout=StringIO())
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)


def test_every_first_page_is_populated_right_after_the_fast_path(demo_after_fast_path, live_server):
    # What the pages stand on, so a failure below says which part of the fast path is missing.
    assert Review.objects.filter(scored_at__isnull=False).count() == Review.objects.count() > 0
    assert Recommendation.objects.exists() and TierChange.objects.exists()
    assert Member.objects.values("tier").distinct().count() > 1  # tiers earned in the past
    assert Campaign.objects.filter(status="completed").exclude(actual_results={}).exists()
    expect = sync_api.expect
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{live_server.url}/")

        # Dashboard: the tier ladder has members in more than one tier.
        expect(page.locator("#card-tiers svg")).to_be_visible()
        tiers_text = page.locator("#card-tiers").inner_text()
        assert len(re.findall(r"\d", tiers_text)) > 1

        # Campaigns: past campaigns show their measured result.
        page.goto(f"{live_server.url}/campaigns/?tab=completed")
        expect(page.locator("#campaign-table tbody tr").first).to_be_visible()
        expect(page.locator("#campaign-table")).to_contain_text("Demo history")

        # Tier changes: proposals to decide, each with its reason.
        page.goto(f"{live_server.url}/tier-changes/")
        expect(page.locator("#tier-change-table tbody tr").first).to_be_visible()

        # Reviews: scored rows, topics as names, and the sentiment chart in its colours.
        page.goto(f"{live_server.url}/reviews/")
        expect(page.locator("#review-table tbody tr").first).to_be_visible()
        expect(page.locator("#review-insights svg").first).to_be_visible()
        fills = page.eval_on_selector_all(".bar-negative, .bar-positive", "els => els.map(e => getComputedStyle(e).fill)")
        assert len(set(fills)) >= 2, fills  # review-intelligence.css is loaded: negative and positive differ

        # Recommendations: a member's list, the first pick with its reason.
        first = Recommendation.objects.select_related("member", "product").order_by("member_id", "rank").first()
        page.goto(f"{live_server.url}/recommendations/members/{first.member.external_id}/")
        expect(page.locator("body")).to_contain_text(first.product.title)
        expect(page.locator("body")).to_contain_text(first.reason)
        browser.close()
