"""Approving a proposed tier change in a real browser, without a page reload."""

import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import MERCHANDISERS_GROUP
from members.models import Member
from tests.factories import MemberFactory, TierChangeFactory, UserFactory, tier
from tests.members.web.test_browser import CHROMIUM, PASSWORD, _shot, browser, page, sync_api  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_merchandiser_approves_a_proposal_in_place(page, live_server):  # noqa: F811
    expect = sync_api.expect
    user = UserFactory(username="mara", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    member = MemberFactory(name="Grace Hopper")
    change = TierChangeFactory(member=member, from_tier=tier("basic"), to_tier=tier("silver"), source="evaluation")
    other = TierChangeFactory(from_tier=tier("basic"), to_tier=tier("silver"), source="evaluation")

    page.goto(f"{live_server.url}/tier-changes/")
    page.fill("input[name=username]", "mara")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#tier-change-table tbody tr")).to_have_count(2)
    page.evaluate("window.__noReload = true")
    page.click(f"#tier-change-{change.pk} button:text('Approve')")
    row = page.locator(f"#tier-change-{change.pk}")
    expect(row).to_have_attribute("data-status", "applied")
    expect(row).to_contain_text("Applied")
    expect(page.locator(f"#tier-change-{other.pk}")).to_have_attribute("data-status", "proposed")
    assert page.evaluate("window.__noReload") is True  # same document: no reload happened
    _shot(page, "tier_changes_approved")
    assert Member.objects.get(pk=member.pk).tier == tier("silver")
