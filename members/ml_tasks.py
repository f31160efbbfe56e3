"""Celery tasks for review intelligence: train, score a batch, score what is pending, nightly upkeep.

All run on the `gpu` queue (a CPU worker on that queue works too, only slower). Discovered by
memberhub/celery.py (autodiscover_tasks with related_name="ml_tasks"). Each task takes ids and
calls one service; the services make a duplicate delivery harmless (claimed runs, skipped
already-scored reviews). The nightly beat entry is members/ml_beat.py REVIEW_BEAT_SCHEDULE.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from members.models import MlTask, TrainingRun, TrainingRunStatus
from members.selectors.review_intelligence import active_version, human_labels_since, rating_agreement
from members.services import scoring
from members.services.training import training_run_create, training_run_execute

logger = logging.getLogger(__name__)

GPU_QUEUE = "gpu"
DRIFT_WINDOW = timedelta(days=7)
NIGHTLY_RUN_PARAMETERS = {"epochs": 3.0}  # what an automatic retrain asks for (TrainConfig defaults otherwise)


@shared_task(name="ml.train_model", queue=GPU_QUEUE)
def train_model(run_id: int) -> dict:
    """Run training run `run_id` (see training_run_execute); a second delivery does nothing."""
    run = training_run_execute(run_id=run_id)
    if run is None:
        return {"run_id": run_id, "status": "skipped"}
    return {"run_id": run.pk, "status": run.status}


@shared_task(name="ml.score_reviews_batch", queue=GPU_QUEUE)
def score_reviews_batch(review_ids: list[int]) -> dict:
    """Score these reviews with the active sentiment model (already-scored ones are skipped)."""
    report = scoring.score_reviews(review_ids=review_ids)
    return {"scored": report.scored, "skipped": report.skipped, "model_version": report.model_version,
            "reason": report.reason}


@shared_task(name="ml.score_pending_reviews", queue=GPU_QUEUE)
def score_pending_reviews() -> dict:
    """Score every unscored review, batch by batch (scheduled by reviews_schedule_scoring)."""
    report = scoring.score_pending_reviews()
    if report.reason:
        logger.info("Pending reviews not scored: %s", report.reason)
    return {"scored": report.scored, "skipped": report.skipped, "model_version": report.model_version,
            "reason": report.reason}


def retrain_reason() -> str:
    """Why the sentiment model should be retrained now, in words; "" when it should not.

    - no active model yet while reviews exist is NOT a reason: the first model is a person's call;
    - REVIEW_RETRAIN_MIN_NEW_LABELS corrections since the active version's run started;
    - drift: last week's agreement between predicted sentiment and stars fell more than
      REVIEW_DRIFT_TOLERANCE_PCT points below the active model's test accuracy.
    """
    version = active_version(task=MlTask.SENTIMENT)
    if version is None:
        return ""
    since = version.run.created_at if version.run_id and version.run else version.created_at
    new_labels = human_labels_since(since=since)
    if new_labels >= settings.REVIEW_RETRAIN_MIN_NEW_LABELS:
        return f"{new_labels} new human labels since {version.label} was trained"
    total, agreed = rating_agreement(since=timezone.now() - DRIFT_WINDOW)
    expected = version.test_metrics().get("accuracy")
    if total >= settings.REVIEW_DRIFT_MIN_REVIEWS and expected is not None:
        recent = agreed / total
        if (expected - recent) * 100 > settings.REVIEW_DRIFT_TOLERANCE_PCT:
            return (f"predicted sentiment agrees with stars on {recent:.0%} of last week's {total} reviews, "
                    f"against {expected:.0%} at test time")
    return ""


@shared_task(name="ml.review_intelligence_nightly", queue=GPU_QUEUE)
def review_intelligence_nightly() -> dict:
    """Score anything unscored, then queue a retrain when retrain_reason() gives one and no
    sentiment run is already queued or running."""
    scored, scoring_error = 0, ""
    try:
        scored = scoring.score_pending_reviews().scored
    except Exception as exc:  # a broken active artifact must not stop the retrain that can replace it
        logger.exception("Nightly scoring failed")
        scoring_error = f"{type(exc).__name__}: {exc}"
    reason = retrain_reason()
    run_id = None
    busy = TrainingRun.objects.filter(
        task=MlTask.SENTIMENT, status__in=(TrainingRunStatus.QUEUED, TrainingRunStatus.RUNNING)
    ).exists()
    if reason and not busy:
        run = training_run_create(task=MlTask.SENTIMENT, parameters=dict(NIGHTLY_RUN_PARAMETERS))
        run_id = run.pk
        logger.info("Retraining sentiment (run %s): %s", run_id, reason)
    return {"scored": scored, "scoring_error": scoring_error, "retrain_reason": reason, "run_id": run_id}
