"""Editing a rule segment in a real browser: the live size follows the conditions, saving recounts it."""

import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import MERCHANDISERS_GROUP
from members.models import Segment
from members.segments.services.segments_rules import segment_rule_save
from tests.factories import UserFactory
from tests.members.segments.conftest import GROUP_SIZE, make_population
from tests.members.web.test_browser import CHROMIUM, PASSWORD, _shot, browser, page, sync_api  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_merchandiser_edits_a_rule_segment_and_sees_its_new_size(page, live_server):  # noqa: F811
    expect = sync_api.expect
    user = UserFactory(username="mara", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    make_population()  # 20 loyal big spenders, 20 lapsed and 20 new members with (almost) no spend
    segment = segment_rule_save(
        definition={
            "match": "all",
            "groups": [
                {"match": "all", "conditions": [{"field": "monetary_365", "op": "gte", "value": 500}]}
            ],
        },
        name="Big spenders",
    )

    page.goto(f"{live_server.url}/segments/{segment.pk}/")
    page.fill("input[name=username]", "mara")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("[data-stat=size]")).to_have_text(str(GROUP_SIZE))

    page.click("a:text('Edit conditions')")
    expect(page).to_have_url(f"{live_server.url}/segments/{segment.pk}/edit/")
    expect(page.locator("input[name=g0-c0-value]")).to_have_value("500")
    preview = page.locator("[data-stat=preview-size]")
    expect(preview).to_have_text(str(GROUP_SIZE))  # counted on load

    page.select_option("select[name=g0-c0-op]", "lt")  # at least 500 -> less than 500: lapsed + new
    expect(preview).to_have_text(str(2 * GROUP_SIZE))
    page.fill("input[name=g0-c0-value]", "2000")  # typed: counted 400 ms after typing stops; everyone
    expect(preview).to_have_text(str(3 * GROUP_SIZE))
    page.fill("input[name=g0-c0-value]", "500")
    expect(preview).to_have_text(str(2 * GROUP_SIZE))
    _shot(page, "segment_rule_edit")

    page.fill("input[name=name]", "Small spenders")
    page.click("button:text('Save changes')")
    expect(page).to_have_url(f"{live_server.url}/segments/{segment.pk}/")
    expect(page.locator("h1")).to_contain_text("Small spenders")
    expect(page.locator("body")).to_contain_text("Spend, last 365 days less than 500")
    expect(page.locator("[data-stat=size]")).to_have_text(str(2 * GROUP_SIZE))
    _shot(page, "segment_rule_edited")
    saved = Segment.objects.get(pk=segment.pk)
    assert saved.rule["groups"][0]["conditions"] == [{"field": "monetary_365", "op": "lt", "value": 500.0}]
    assert saved.snapshots.get().size == 2 * GROUP_SIZE
