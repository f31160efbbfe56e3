"""Nightly upkeep of the review models: score what is unscored, and queue a retrain when people's
corrections or drift say the served sentiment model is out of date."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from members.models import MlTask, TrainingRun, TrainingRunStatus
from members.reviews.selectors.review_intelligence import active_version, human_labels_since, rating_agreement
from members.reviews.services import scoring
from members.reviews.services.training import training_run_create

logger = logging.getLogger(__name__)

DRIFT_WINDOW = timedelta(days=7)
NIGHTLY_RUN_PARAMETERS = {"epochs": 3.0}  # what an automatic retrain asks for (TrainConfig defaults otherwise)


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


def review_intelligence_nightly_run() -> dict:
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
