"""Celery tasks for campaign planning (memberhub/celery.py autodiscovers this module).

Each task takes ids or a date, calls services, and is safe to run again: advancing and proposing
are idempotent, and measuring replaces a campaign's results with the same figures.
"""

from datetime import date

from celery import shared_task
from django.utils import timezone

from members.campaigns.services.campaign_daily import campaigns_daily_run
from members.campaigns.services.campaign_results import campaign_measure


@shared_task(name="members.campaigns.daily")
def campaigns_daily(today: str | None = None) -> dict:
    """Daily (beat: memberhub/celery_settings.py): start and complete campaigns by their dates, queue the measurement
    of newly completed ones, and let the engine propose new campaigns."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    return campaigns_daily_run(today=day)


@shared_task(name="members.campaigns.measure")
def measure_campaign(campaign_id: int) -> dict:
    """Measure one completed campaign from orders (target vs holdout) and store the uplift."""
    campaign = campaign_measure(campaign_id=campaign_id)
    uplift = campaign.actual_results.get("uplift") or {}
    return {"campaign_id": campaign_id, "incremental_revenue": (uplift.get("incremental_revenue") or {}).get("estimate")}
