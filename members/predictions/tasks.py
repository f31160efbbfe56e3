"""Celery tasks for member intelligence: the refresh chain and the per-review churn re-score.

Each task takes a date string (YYYY-MM-DD) or an id, calls one service, and may run twice
safely: every step upserts keyed by (member, as_of). members/imports/tasks.py imports this module so the
worker registers the tasks.
"""

from __future__ import annotations

from datetime import date

from celery import chain, shared_task
from django.utils import timezone

from members.predictions.services.churn import churn_bump_for_review
from members.predictions.services.member_refresh import STEPS, member_refresh_step


def _day(as_of: str | None) -> date:
    return date.fromisoformat(as_of) if as_of else timezone.localdate()


@shared_task(name="members.predictions.refresh_step")
def member_refresh_step_task(step: str, as_of: str, retrain: bool = False) -> dict:
    """One refresh step (features, segments, tiers, churn or forecast) for `as_of`."""
    result = member_refresh_step(step=step, as_of=_day(as_of), retrain=retrain)
    return {"step": result.step, "summary": result.summary, "ok": result.ok}


def member_refresh_chain(*, as_of: date, retrain: bool = False):
    """The steps in order as immutable signatures: a step starts only after the previous one succeeded."""
    return chain(*(member_refresh_step_task.si(step, as_of.isoformat(), retrain) for step in STEPS))


@shared_task(name="members.predictions.refresh_nightly")
def member_refresh_nightly(as_of: str | None = None) -> str:
    """Celery beat entry point: enqueue today's (or `as_of`'s) refresh chain."""
    day = _day(as_of)
    member_refresh_chain(as_of=day).apply_async()
    return day.isoformat()


@shared_task(name="members.predictions.churn_bump_for_review")
def churn_bump_for_review_task(review_id: int) -> float | None:
    """Re-score a review author's churn risk once the review has been scored (see churn_bump_for_review)."""
    score = churn_bump_for_review(review_id=review_id)
    return score.probability if score else None


@shared_task(name="members.predictions.run_backtest")
def member_backtest_task(backtest_id: int) -> str | None:
    """Run a queued member backtest (members.predictions.services.member_backtest); a second delivery finds it
    claimed and does nothing."""
    from members.predictions.services.member_backtest import member_backtest_run

    run = member_backtest_run(backtest_id=backtest_id)
    return run.status if run else None
