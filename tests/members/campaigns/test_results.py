"""Measuring a completed campaign from orders: conversion and revenue, target vs holdout."""

import statistics
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.campaigns.services.campaign_results import campaign_measure
from members.campaigns.services.campaigns import CampaignError
from members.models import CampaignAudience, CampaignAudienceGroup, CampaignStatus
from ml.campaigns.stats import GroupOutcome, uplift_compute
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db


def _completed_campaign(**kwargs):
    today = timezone.localdate()
    return CampaignFactory(status=CampaignStatus.COMPLETED, starts_on=today - timedelta(days=14),
                           ends_on=today - timedelta(days=1), **kwargs)


def _at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def test_measured_uplift_matches_the_orders_in_the_window():
    campaign = _completed_campaign()
    target = MemberFactory.create_batch(6)
    holdout = MemberFactory.create_batch(4)
    CampaignAudience.objects.bulk_create(
        [CampaignAudience(campaign=campaign, member=m, group=CampaignAudienceGroup.TARGET) for m in target]
        + [CampaignAudience(campaign=campaign, member=m, group=CampaignAudienceGroup.HOLDOUT) for m in holdout])
    inside = _at(campaign.starts_on + timedelta(days=2))
    # Target: 3 of 6 bought (100 + 50, 30, 20); holdout: 1 of 4 bought (40).
    OrderFactory(member=target[0], placed_at=inside, total=Decimal("100.00"))
    OrderFactory(member=target[0], placed_at=_at(campaign.ends_on, 23), total=Decimal("50.00"))
    OrderFactory(member=target[1], placed_at=inside, total=Decimal("30.00"))
    OrderFactory(member=target[2], placed_at=inside, total=Decimal("20.00"))
    OrderFactory(member=holdout[0], placed_at=inside, total=Decimal("40.00"))
    # Not counted: before the start, after the end, and a cancelled order.
    OrderFactory(member=target[3], placed_at=_at(campaign.starts_on - timedelta(days=1)), total=Decimal("999.00"))
    OrderFactory(member=holdout[1], placed_at=_at(campaign.ends_on + timedelta(days=1), 0), total=Decimal("999.00"))
    OrderFactory(member=holdout[2], placed_at=inside, total=Decimal("999.00"), status="cancelled")

    results = campaign_measure(campaign_id=campaign.pk).actual_results

    assert results["target"]["members"] == 6 and results["target"]["converters"] == 3
    assert results["target"]["revenue"] == 200.0
    assert results["holdout"]["members"] == 4 and results["holdout"]["converters"] == 1
    assert results["holdout"]["revenue"] == 40.0
    expected = uplift_compute(
        target=GroupOutcome(6, 3, 200.0, statistics.stdev([150, 30, 20, 0, 0, 0])),
        holdout=GroupOutcome(4, 1, 40.0, statistics.stdev([40, 0, 0, 0])),
    )
    uplift = results["uplift"]
    assert uplift["conversion"]["estimate"] == pytest.approx(0.5 - 0.25)
    assert uplift["conversion"]["low"] == pytest.approx(expected.conversion.low)
    assert uplift["revenue_per_member"]["estimate"] == pytest.approx(200 / 6 - 10)
    assert uplift["revenue_per_member"]["high"] == pytest.approx(expected.revenue_per_member.high)
    assert uplift["incremental_revenue"]["estimate"] == pytest.approx((200 / 6 - 10) * 6)


def test_a_focus_category_counts_only_that_categorys_items():
    campaign = _completed_campaign(focus_category="Tea")
    buyer, other = MemberFactory(), MemberFactory()
    CampaignAudience.objects.bulk_create([
        CampaignAudience(campaign=campaign, member=buyer, group=CampaignAudienceGroup.TARGET),
        CampaignAudience(campaign=campaign, member=other, group=CampaignAudienceGroup.HOLDOUT)])
    tea, mug = ProductFactory(category="Tea"), ProductFactory(category="Mugs")
    order = OrderFactory(member=buyer, placed_at=_at(campaign.starts_on), total=Decimal("35.00"))
    OrderItemFactory(order=order, line_number=1, product=tea, quantity=2, unit_price=Decimal("10.00"))
    OrderItemFactory(order=order, line_number=2, product=mug, quantity=1, unit_price=Decimal("15.00"))
    only_mugs = OrderFactory(member=other, placed_at=_at(campaign.starts_on), total=Decimal("15.00"))
    OrderItemFactory(order=only_mugs, line_number=1, product=mug, quantity=1, unit_price=Decimal("15.00"))

    results = campaign_measure(campaign_id=campaign.pk).actual_results

    assert results["basis"] == "items in Tea"
    assert results["target"]["revenue"] == 20.0 and results["target"]["converters"] == 1
    assert results["holdout"]["converters"] == 0


def test_without_a_holdout_there_is_no_uplift_and_it_says_so():
    campaign = _completed_campaign()
    CampaignAudience.objects.create(campaign=campaign, member=MemberFactory(), group=CampaignAudienceGroup.TARGET)
    results = campaign_measure(campaign_id=campaign.pk).actual_results
    assert results["uplift"] is None and "no holdout" in results["note"]


def test_only_completed_campaigns_are_measured():
    campaign = CampaignFactory()
    with pytest.raises(CampaignError, match="only a completed campaign can be measured"):
        campaign_measure(campaign_id=campaign.pk)
