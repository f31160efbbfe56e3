"""Celery tasks for review intelligence: train, score a batch, score what is pending, nightly upkeep.

All are routed to the `gpu` queue (memberhub/celery_settings.py; a CPU worker on that queue works
too, only slower). Each task takes ids and calls one service; the services make a duplicate
delivery harmless (claimed runs, skipped already-scored reviews).
"""

import logging

from celery import shared_task

from members.reviews.services import scoring
from members.reviews.services.nightly import review_intelligence_nightly_run
from members.reviews.services.training import training_run_execute

logger = logging.getLogger(__name__)

@shared_task(name="members.reviews.train")
def train_model(run_id: int) -> dict:
    """Run training run `run_id` (see training_run_execute); a second delivery does nothing."""
    run = training_run_execute(run_id=run_id)
    if run is None:
        return {"run_id": run_id, "status": "skipped"}
    return {"run_id": run.pk, "status": run.status}


@shared_task(name="members.reviews.score_batch")
def score_reviews_batch(review_ids: list[int]) -> dict:
    """Score these reviews with the active sentiment model (already-scored ones are skipped)."""
    report = scoring.score_reviews(review_ids=review_ids)
    return {"scored": report.scored, "skipped": report.skipped, "model_version": report.model_version,
            "reason": report.reason}


@shared_task(name="members.reviews.score_pending")
def score_pending_reviews() -> dict:
    """Score every unscored review, batch by batch (scheduled by reviews_schedule_scoring)."""
    report = scoring.score_pending_reviews()
    if report.reason:
        logger.info("Pending reviews not scored: %s", report.reason)
    return {"scored": report.scored, "skipped": report.skipped, "model_version": report.model_version,
            "reason": report.reason}


@shared_task(name="members.reviews.nightly")
def review_intelligence_nightly() -> dict:
    """Nightly upkeep (beat): see review_intelligence_nightly_run."""
    return review_intelligence_nightly_run()


@shared_task(name="members.reviews.topics_train")
def train_topic_model() -> dict:
    """Train a topic model and serve it only if it beats the keyword rules (topic_model_train)."""
    from members.reviews.services.topic_models import topic_model_train

    report = topic_model_train()
    return {"served": report.served, "reason": report.reason, "relabelled": report.relabelled,
            "version": report.version.label if report.version else None}
