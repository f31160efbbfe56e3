"""The merchandiser web app in a real browser: Debian's Chromium driven by Playwright.

Screenshots of every page land in $PYTEST_ARTIFACTS (default tests/artifacts/, git-ignored).
"""

import importlib
import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from members.accounts.roles import MERCHANDISERS_GROUP
from members.models import Tier
from tests.factories import MemberFactory, OrderFactory, ProductFactory, ReviewFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside
# one unless told that these synchronous test fixtures are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(os.environ.get("PYTEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts"))
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 10_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
    # No serialized_rollback: Playwright's greenlets give the ORM a fresh connection object that
    # lacks the serialized snapshot, and a flush after a serialized test skips post_migrate (groups).
    pytest.mark.django_db(transaction=True),
]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shop_data():
    """Figures the pages must show: 7 members (6 active), GBP 4,321.50 revenue this month."""
    _ensure_default_tier_ladder()
    members = MemberFactory.create_batch(6, name="Ada Lovelace")
    MemberFactory(status="closed")
    OrderFactory(member=members[0], placed_at=timezone.now() - timedelta(days=2), total=Decimal("4000.00"))
    OrderFactory(member=members[1], placed_at=timezone.now() - timedelta(days=9), total=Decimal("321.50"))
    OrderFactory(member=members[1], placed_at=timezone.now() - timedelta(days=45), total=Decimal("2000.00"))
    kettle = ProductFactory(title="Copper kettle")
    for days_ago, rating, title in [(1, 5, "Boils in a minute"), (3, 2, "Handle gets hot"), (6, 4, "Pretty")]:
        ReviewFactory(
            member=members[2], product=kettle, rating=rating, title=title,
            created_at=timezone.now() - timedelta(days=days_ago),
        )
    user = UserFactory(username="mara", first_name="Mara", last_name="Chandler", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    return user


def _ensure_default_tier_ladder() -> None:
    """A transactional test's flush empties the data migration's tier ladder; put it back."""
    ladder = importlib.import_module("members.migrations.0002_default_tier_ladder").DEFAULT_LADDER
    for code, name, rank, min_spend, min_orders, benefits in ladder:
        Tier.objects.get_or_create(
            code=code,
            defaults={"name": name, "rank": rank, "min_spend": min_spend, "min_orders": min_orders, "benefits": benefits},
        )


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web_{name}.png"), full_page=True)


def _log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/")
    sync_api.expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    _shot(page, "login")
    page.fill("input[name=username]", "mara")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    sync_api.expect(page).to_have_url(f"{live_server.url}/")


def test_merchandiser_sees_real_figures_and_filters_reviews_by_rating(page, live_server, shop_data):
    expect = sync_api.expect
    _log_in(page, live_server)

    expect(page.locator("[data-stat=members-total]")).to_have_text("7")
    expect(page.locator("[data-stat=members-active]")).to_have_text("6")
    expect(page.locator("[data-stat=revenue-GBP]")).to_contain_text("4,321.50")
    expect(page.locator("#card-revenue .badge")).to_have_count(2)
    expect(page.locator("#card-tiers svg")).to_be_visible()
    expect(page.locator("#card-reviews")).to_contain_text("Boils in a minute")
    expect(page.locator(".nav a", has_text="Segments")).to_have_attribute("href", "/segments/")
    expect(page.locator("#error-banner")).to_be_hidden()
    _shot(page, "dashboard")

    page.click(".nav a:text('Reviews')")
    expect(page).to_have_url(f"{live_server.url}/reviews/")
    expect(page.locator("#review-table tbody tr")).to_have_count(3)
    _shot(page, "reviews")

    page.select_option("select[name=rating]", "2")
    expect(page).to_have_url(f"{live_server.url}/reviews/?rating=2")  # pushed by htmx
    expect(page.locator("#review-table tbody tr")).to_have_count(1)
    expect(page.locator("#review-table")).to_contain_text("Handle gets hot")

    page.reload()
    expect(page.locator("select[name=rating]")).to_have_value("2")
    expect(page.locator("#review-table tbody tr")).to_have_count(1)
    _shot(page, "reviews_filtered")

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/reviews/")
    expect(page.locator("#review-table tbody tr")).to_have_count(3)


def test_a_failed_card_request_shows_the_error_banner(page, live_server, shop_data):
    expect = sync_api.expect
    page.route("**/dashboard/revenue/", lambda route: route.fulfill(status=500, body="boom"))
    _log_in(page, live_server)
    banner = page.locator("#error-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("500")
    expect(banner).to_contain_text("/dashboard/revenue/")
    expect(page.locator("#card-revenue")).to_have_class(re.compile("load-failed"))
    expect(page.locator("#card-revenue")).to_contain_text("Could not load this card")
    expect(page.locator("[data-stat=members-total]")).to_have_text("7")  # the other cards still load
    _shot(page, "dashboard_error")
    page.click(".error-banner-close")
    expect(banner).to_be_hidden()


def test_the_dashboard_fits_a_phone_screen(browser, live_server, shop_data):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        _log_in(page, live_server)
        sync_api.expect(page.locator("[data-stat=members-total]")).to_have_text("7")
        sync_api.expect(page.locator("#card-reviews")).to_contain_text("Boils in a minute")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 390, f"the page scrolls sideways ({scroll_width}px wide)"
        _shot(page, "dashboard_phone")
    finally:
        context.close()
