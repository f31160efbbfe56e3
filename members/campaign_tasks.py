"""Celery tasks for campaign planning (memberhub/celery.py autodiscovers this module).

Each task takes ids or a date, calls services, and is safe to run again: advancing and proposing
are idempotent, and measuring replaces a campaign's results with the same figures.
"""

from datetime import date

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from members.services.campaign_engine import campaign_engine_propose
from members.services.campaign_results import campaign_measure, campaigns_to_measure
from members.services.campaigns import campaign_advance


@shared_task(name="members.campaigns_daily")
def campaigns_daily(today: str | None = None) -> dict:
    """Daily (members/beat.py): start and complete campaigns by their dates, queue the measurement
    of newly completed ones, and let the engine propose new campaigns."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    advanced = campaign_advance(today=day)
    to_measure = campaigns_to_measure()
    transaction.on_commit(lambda: [measure_campaign.delay(pk) for pk in to_measure])
    proposed = campaign_engine_propose(today=day)
    return {**advanced, "measuring": len(to_measure), "proposed": len(proposed), "day": day.isoformat()}


@shared_task(name="members.measure_campaign")
def measure_campaign(campaign_id: int) -> dict:
    """Measure one completed campaign from orders (target vs holdout) and store the uplift."""
    campaign = campaign_measure(campaign_id=campaign_id)
    uplift = campaign.actual_results.get("uplift") or {}
    return {"campaign_id": campaign_id, "incremental_revenue": (uplift.get("incremental_revenue") or {}).get("estimate")}
