"""Measure a completed campaign from orders: conversion and revenue, target vs holdout -> uplift.

Window: from the start day 00:00 to the day after the end day 00:00 (site time zone). A member
converts when they placed a revenue order (members.core.models.order.REVENUE_STATUSES) in the window;
revenue is those orders' totals, or, for a campaign with a focus category, only the items in that
category. The measured uplift is stored in Campaign.actual_results, next to the prediction, and
the predictor trains on it (members.campaigns.services.campaign_predictor.campaign_training_rows).
"""

from dataclasses import asdict
from datetime import datetime, time, timedelta

from django.db.models import Count, DecimalField, F, OuterRef, Q, StdDev, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.campaigns.services.campaigns import CampaignError
from members.core.models.order import REVENUE_STATUSES
from members.models import Campaign, CampaignAudience, CampaignAudienceGroup, CampaignStatus, Order, OrderItem
from ml.campaigns.stats import GroupOutcome, uplift_compute

MONEY = DecimalField(max_digits=14, decimal_places=2)


def campaign_window(*, campaign: Campaign) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(campaign.starts_on, time.min, tzinfo=tz)
    end = datetime.combine(campaign.ends_on + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def campaign_group_outcomes(*, campaign: Campaign) -> dict[str, GroupOutcome]:
    """Per group: members, converters, revenue and its standard deviation per member. One query."""
    start, end = campaign_window(campaign=campaign)
    if campaign.focus_category:
        spend = (OrderItem.objects.filter(
            order__member=OuterRef("member_id"), order__status__in=REVENUE_STATUSES, order__placed_at__gte=start,
            order__placed_at__lt=end, product__category=campaign.focus_category,
        ).order_by().values("order__member").annotate(v=Sum(F("quantity") * F("unit_price"))).values("v"))
    else:
        spend = (Order.objects.filter(
            member=OuterRef("member_id"), status__in=REVENUE_STATUSES, placed_at__gte=start, placed_at__lt=end,
        ).order_by().values("member").annotate(v=Sum("total")).values("v"))
    per_member = Coalesce(Subquery(spend, output_field=MONEY), Value(0, output_field=MONEY))
    rows = (CampaignAudience.objects.filter(campaign=campaign).annotate(spent=per_member)
            .values("group").order_by("group")
            .annotate(n=Count("id"), converters=Count("id", filter=Q(spent__gt=0)), revenue=Sum("spent"),
                      sd=StdDev("spent", sample=True)))
    return {
        row["group"]: GroupOutcome(members=row["n"], converters=row["converters"], revenue=float(row["revenue"] or 0),
                                   revenue_sd=float(row["sd"] or 0))
        for row in rows
    }


def _group_dict(outcome: GroupOutcome | None) -> dict | None:
    if outcome is None:
        return None
    return {**asdict(outcome), "conversion_rate": outcome.conversion_rate,
            "revenue_per_member": outcome.revenue_per_member}


def campaign_measure(*, campaign_id: int) -> Campaign:
    """Measure a completed campaign and store the results (re-measuring replaces them: late orders
    and returns move the figures). Raises CampaignError unless the campaign is completed."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != CampaignStatus.COMPLETED:
        raise CampaignError(f"Campaign #{campaign_id} is {campaign.get_status_display().lower()}; only a "
                            f"completed campaign can be measured.")
    outcomes = campaign_group_outcomes(campaign=campaign)
    target, holdout = outcomes.get(CampaignAudienceGroup.TARGET), outcomes.get(CampaignAudienceGroup.HOLDOUT)
    start, end = campaign_window(campaign=campaign)
    results = {
        "measured_at": timezone.now().isoformat(),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "basis": f"items in {campaign.focus_category}" if campaign.focus_category else "all revenue orders",
        "target": _group_dict(target),
        "holdout": _group_dict(holdout),
        "uplift": None,
        "note": "",
    }
    if target and holdout:
        uplift = uplift_compute(target=target, holdout=holdout)
        results["uplift"] = {
            "conversion": asdict(uplift.conversion),
            "revenue_per_member": asdict(uplift.revenue_per_member),
            "incremental_revenue": asdict(uplift.incremental_revenue),
            "significant": uplift.significant,
            "interval": "95 %",
        }
    else:
        results["note"] = "No uplift: the campaign has no target or no holdout members to compare."
    Campaign.objects.filter(pk=campaign_id).update(actual_results=results, updated_at=timezone.now())
    campaign.actual_results = results
    return campaign


def campaigns_to_measure() -> list[int]:
    """Completed campaigns not measured yet (the daily task measures them)."""
    return list(Campaign.objects.filter(status=CampaignStatus.COMPLETED, actual_results={})
                .values_list("pk", flat=True))
