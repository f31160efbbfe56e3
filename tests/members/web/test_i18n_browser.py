"""The web app in Simplified Chinese in a real browser (Debian's Chromium driven by Playwright):
through the switch in the header, and from the browser's own language (Accept-Language)."""

import re

import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import MERCHANDISERS_GROUP
from tests.factories import UserFactory
from tests.members.web.test_browser import CHROMIUM, PASSWORD, TIMEOUT_MS, browser, sync_api  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def merchandiser(db):
    user = UserFactory(username="mara", first_name="Mara", last_name="Chandler", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    return user


def _page(browser, **context_options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "mara")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login/'] button[type=submit]")
    sync_api.expect(page).to_have_url(f"{live_server.url}/")


def test_the_switch_turns_the_dashboard_and_campaign_queue_chinese(browser, live_server, merchandiser):
    expect = sync_api.expect
    context, page = _page(browser, locale="en-US")
    try:
        _log_in(page, live_server)
        expect(page.locator("h1")).to_have_text("Dashboard")

        page.click("#language-switch button[value=zh-hans]")
        expect(page).to_have_url(f"{live_server.url}/")
        expect(page.locator("h1")).to_have_text("仪表盘")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(page.locator("#card-members h2")).to_have_text("会员")  # a card loaded by htmx
        expect(page.locator("#card-revenue")).to_contain_text("最近")

        page.click(".nav a:text('营销活动')")
        expect(page).to_have_url(f"{live_server.url}/campaigns/")
        expect(page.locator("h1")).to_contain_text("营销活动")
        expect(page.locator("nav.filters a[aria-current=page]")).to_have_text("待审批")

        page.click("#language-switch button[value=en]")  # and back, on the same page
        expect(page).to_have_url(f"{live_server.url}/campaigns/")
        expect(page.locator("h1")).to_contain_text("Campaigns")
    finally:
        context.close()


def test_a_chinese_browser_gets_chinese_pages_without_choosing(browser, live_server, merchandiser):
    expect = sync_api.expect
    context, page = _page(browser, locale="zh-CN")  # Accept-Language: zh-CN
    try:
        page.goto(f"{live_server.url}/login/")
        expect(page.locator("h1")).to_have_text("登录")
        _log_in(page, live_server)
        expect(page.locator("h1")).to_have_text("仪表盘")
        page.goto(f"{live_server.url}/campaigns/")
        expect(page.locator("h1")).to_contain_text(re.compile("营销活动"))
    finally:
        context.close()
