"""The daily campaign run: start and complete campaigns by their dates, queue the measurement of
newly completed ones, and let the engine propose new campaigns."""

from datetime import date

from members.campaigns.services.campaign_engine import campaign_engine_propose
from members.campaigns.services.campaign_results import campaigns_to_measure
from members.campaigns.services.campaigns import campaign_advance
from members.task_queue import task_send_on_commit


def campaigns_daily_run(*, today: date) -> dict:
    """One day's campaign upkeep (idempotent: advancing and proposing are, and measuring again
    replaces a campaign's results with the same figures); returns the day's figures."""
    advanced = campaign_advance(today=today)
    to_measure = campaigns_to_measure()
    for campaign_id in to_measure:
        task_send_on_commit("members.campaigns.measure", (campaign_id,), robust=False)
    proposed = campaign_engine_propose(today=today)
    return {**advanced, "measuring": len(to_measure), "proposed": len(proposed), "day": today.isoformat()}
