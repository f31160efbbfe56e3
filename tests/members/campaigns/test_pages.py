"""The Campaigns queue and detail pages: decisions, inline edits, bulk actions, pinned queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.campaigns.services.campaigns import campaign_approve
from members.models import Campaign, CampaignStatus, CampaignTargetKind
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, tier
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_queue_shows_rationale_prediction_and_the_prior_warning(merch_client):
    CampaignFactory(name="Win back", rationale="Churn risk: 25 members at 80 %.")
    response = merch_client.get("/campaigns/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Win back" in html and "Churn risk: 25 members at 80 %." in html
    assert "15.0 %" in html and "500.00" in html  # predicted redemption and incremental revenue
    assert "prior, no history" in html
    assert 'href="/campaigns/"' in html  # the nav item is live


def test_the_queue_costs_the_same_queries_for_one_or_many_campaigns(merch_client):
    CampaignFactory()
    merch_client.get("/campaigns/")
    counts = []
    for extra in (0, 15):
        CampaignFactory.create_batch(extra, target_kind=CampaignTargetKind.AT_CHURN_RISK, target_tier=None)
        with CaptureQueriesContext(connection) as ctx:
            assert merch_client.get("/campaigns/").status_code == 200
        counts.append(len(ctx))
    # session, user, user's groups (access check), campaigns with target/people joined
    assert counts[0] == counts[1] == 4, counts


def test_approving_in_place_answers_with_the_scheduled_row(merch_client, consenting_members):
    campaign = CampaignFactory()
    response = merch_client.post(f"/campaigns/{campaign.pk}/approve/", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith(f'<tr id="campaign-{campaign.pk}" data-status="scheduled"')
    assert Campaign.objects.get(pk=campaign.pk).approved_by == merch_client.user


def test_rejecting_without_a_reason_keeps_the_campaign_and_says_why(merch_client):
    campaign = CampaignFactory()
    html = merch_client.post(f"/campaigns/{campaign.pk}/reject/", **HTMX).content.decode()
    assert "Say why" in html and 'data-status="proposed"' in html
    html = merch_client.post(f"/campaigns/{campaign.pk}/reject/", HTTP_HX_PROMPT="Clashes with the sale",
                             **HTMX).content.decode()
    assert 'data-status="rejected"' in html and "Clashes with the sale" in html


def test_editing_inline_changes_the_offer_and_predicts_again(merch_client, consenting_members):
    campaign = CampaignFactory(offer_value=Decimal(10))
    form = merch_client.get(f"/campaigns/{campaign.pk}/edit/", **HTMX).content.decode()
    assert 'name="offer_value"' in form and 'name="budget"' in form and 'name="target_kind"' in form
    response = merch_client.post(f"/campaigns/{campaign.pk}/edit/", {
        "offer_value": "20", "budget": "750", "target_kind": "tier", "target_tier": tier("basic").pk}, **HTMX)
    assert 'data-status="proposed"' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.offer_value == Decimal(20) and campaign.budget == Decimal(750)
    assert campaign.predicted_effect["offer"]["value"] == 20.0  # re-predicted for the new offer
    assert campaign.predicted_effect["features"]["audience_size"] == len(consenting_members)


def test_an_invalid_edit_comes_back_as_the_form_with_the_error(merch_client):
    campaign = CampaignFactory()
    html = merch_client.post(f"/campaigns/{campaign.pk}/edit/", {
        "offer_value": "95", "target_kind": "tier", "target_tier": tier("basic").pk}, **HTMX).content.decode()
    assert 'name="offer_value"' in html and "at most 90" in html
    assert Campaign.objects.get(pk=campaign.pk).offer_value == Decimal(10)


def test_bulk_approve_reports_what_was_done_and_refused(merch_client, consenting_members, staff_user):
    fresh = CampaignFactory.create_batch(2)
    done = CampaignFactory()
    campaign_approve(campaign_id=done.pk, approved_by=staff_user)
    response = merch_client.post("/campaigns/decide/", {"ids": [c.pk for c in fresh] + [done.pk], "action": "approve",
                                                         "tab": "proposed"}, **HTMX)
    html = response.content.decode()
    assert "Approved 2 of 3 selected." in html and f"#{done.pk}: Campaign #{done.pk} is scheduled" in html
    assert set(Campaign.objects.filter(pk__in=[c.pk for c in fresh]).values_list("status", flat=True)) == {
        CampaignStatus.SCHEDULED}


def test_the_detail_page_shows_audience_power_products_and_timeline(merch_client, consenting_members):
    campaign = CampaignFactory(name="Autumn tea")
    campaign_approve(campaign_id=campaign.pk, approved_by=merch_client.user)
    html = merch_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    campaign.refresh_from_db()
    plan = campaign.measurement_plan
    assert f"{plan['target_size']} receive the offer · {plan['holdout_size']} held out" in html
    assert "Too small to measure the effect." in html  # 40 members cannot show a 5-point lift
    assert "Approved" in html and "Scheduled" in html and 'id="sample-members"' in html


def test_the_detail_page_costs_the_same_queries_whatever_the_audience(merch_client, consenting_members):
    for member in consenting_members[:3]:  # purchases give the page products to feature
        OrderItemFactory(order=OrderFactory(member=member), line_number=1)
    counts = []
    for extra in (0, 30):
        MemberFactory.create_batch(extra, marketing_consent=True, tier=tier("basic"))
        campaign = CampaignFactory()
        campaign_approve(campaign_id=campaign.pk, approved_by=merch_client.user)
        with CaptureQueriesContext(connection) as ctx:
            html = merch_client.get(f"/campaigns/{campaign.pk}/").content.decode()
        assert 'id="recommended-products"' in html
        counts.append(len(ctx))
    # session, user, groups, campaign, group counts, sample members, recommended products (the
    # recommendations, then purchases as the fallback, then the products themselves)
    assert counts[0] == counts[1] == 9, counts


def test_a_missing_campaign_is_a_404_page(merch_client):
    assert merch_client.get("/campaigns/999999/").status_code == 404


def test_people_outside_the_web_app_groups_are_refused(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/campaigns/").status_code == 403


def test_a_person_proposes_a_campaign_and_it_joins_the_queue_with_a_prediction(merch_client, consenting_members):
    assert merch_client.get("/campaigns/new/").status_code == 200
    response = merch_client.post("/campaigns/new/", {
        "name": "Free shipping for Basic", "target_kind": "tier", "target_tier": tier("basic").pk,
        "offer_kind": "free_shipping", "offer_value": "0", "starts_on": "2030-01-01", "ends_on": "2030-01-14",
        "rationale": "Basic members abandon carts at the shipping step."})
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Free shipping for Basic")
    assert campaign.proposed_by == "user" and campaign.proposed_by_user == merch_client.user
    assert campaign.predicted_effect["method"] == "prior"
    assert campaign.predicted_effect["features"]["audience_size"] == len(consenting_members)


def test_a_proposal_that_ends_before_it_starts_is_refused_in_words(merch_client):
    response = merch_client.post("/campaigns/new/", {
        "name": "Backwards", "target_kind": "at_churn_risk", "offer_kind": "early_access", "offer_value": "0",
        "starts_on": "2030-01-14", "ends_on": "2030-01-01"})
    assert response.status_code == 200 and "cannot end before it starts" in response.content.decode()
    assert not Campaign.objects.filter(name="Backwards").exists()
