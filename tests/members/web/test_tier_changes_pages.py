import pytest

from members.models import Member, TierChange
from tests.factories import MemberFactory, TierChangeFactory, tier

HTMX = {"HTTP_HX_REQUEST": "true"}
ACCESS_QUERIES = 3  # session, user, group check


def _proposal(to="silver", start="basic"):
    member = MemberFactory(tier=tier(start))
    return TierChangeFactory(member=member, from_tier=tier(start), to_tier=tier(to), source="evaluation")


@pytest.mark.parametrize("rows", [2, 6])
def test_tier_changes_page_query_count_is_pinned(merch_client, django_assert_num_queries, rows):
    for _ in range(rows):
        _proposal()
    # access, tiers for the filter choices, one page of changes joined with member/tiers/decider.
    with django_assert_num_queries(ACCESS_QUERIES + 2):
        response = merch_client.get("/tier-changes/")
    html = response.content.decode()
    assert html.count('name="ids"') == rows and 'hx-target="closest tr"' in html


def test_filters_narrow_to_downgrades_into_a_tier(merch_client):
    up, down = _proposal(), _proposal(to="silver", start="gold")
    response = merch_client.get("/tier-changes/?direction=downgrade&to_tier=silver", **HTMX)
    html = response.content.decode()
    assert f"tier-change-{down.pk}" in html and f"tier-change-{up.pk}" not in html and "<html" not in html
    assert response["HX-Push-Url"] == "/tier-changes/?direction=downgrade&to_tier=silver"


def test_approving_a_row_returns_the_row_and_moves_the_member(merch_client, django_assert_num_queries):
    change = _proposal()
    response = merch_client.post(f"/tier-changes/{change.pk}/approve/", **HTMX)
    html = response.content.decode()
    assert html.startswith(f'<tr id="tier-change-{change.pk}" data-status="applied"')
    assert Member.objects.get(pk=change.member_id).tier == tier("silver")


def test_a_stale_row_says_why_it_was_refused(merch_client):
    change = _proposal()
    Member.objects.filter(pk=change.member_id).update(tier=tier("gold"))
    html = merch_client.post(f"/tier-changes/{change.pk}/approve/", **HTMX).content.decode()
    assert 'data-status="proposed"' in html and "Stale proposal" in html


def test_bulk_reject_rerenders_the_open_list(merch_client):
    first, second, kept = _proposal(), _proposal(), _proposal()
    response = merch_client.post(
        "/tier-changes/decide/",
        {"ids": [first.pk, second.pk], "action": "reject", "reason": "Seasonal"},
        **HTMX,
    )
    html = response.content.decode()
    assert "Rejected 2 of 2 selected." in html and f"tier-change-{kept.pk}" in html
    assert f"tier-change-{first.pk}" not in html
    assert set(TierChange.objects.filter(status="rejected").values_list("decision_note", flat=True)) == {
        "Seasonal"
    }


def test_history_tab_lists_decided_changes(merch_client):
    change = _proposal()
    merch_client.post(f"/tier-changes/{change.pk}/approve/", **HTMX)
    html = merch_client.get("/tier-changes/?tab=history").content.decode()
    assert f"tier-change-{change.pk}" in html and "Applied" in html


@pytest.mark.parametrize("members", [2, 8])
def test_tier_ladder_page_query_count_is_pinned(merch_client, django_assert_num_queries, members):
    MemberFactory.create_batch(members)
    merch_client.get("/tiers/")  # creates policy v1 on first use
    # access, policy (form), tiers (form), policy, ladder, history x4, about-to-lose
    with django_assert_num_queries(ACCESS_QUERIES + 9):
        html = merch_client.get("/tiers/").content.decode()
    assert f'data-stat="members-basic">{members}<' in html and "<svg" in html


def test_what_if_preview_shows_moves_and_writes_nothing(merch_client):
    MemberFactory()
    data = {
        "qualifying_window_days": 365,
        "downgrade_grace_days": 30,
        "upgrades_mode": "propose",
        "qualify_on": "spend_and_orders",
        "min_spend_basic": 0,
        "min_orders_basic": 0,
        "min_spend_silver": 0,
        "min_orders_silver": 0,
        "min_spend_gold": 2000,
        "min_orders_gold": 8,
        "min_spend_platinum": 5000,
        "min_orders_platinum": 15,
    }
    html = merch_client.post("/tiers/what-if/", data, **HTMX).content.decode()
    assert 'data-what-if="up-basic">1 ' in html
    assert not TierChange.objects.exists() and tier("silver").min_spend == 500
