"""The whole intelligence pipeline for a shop, in order, for `manage.py refresh_intelligence`
(and so for `make demo`): train the review model when none is active, score unscored reviews,
refresh member intelligence (features, segments, tiers, churn, forecast), generate product
recommendations, and let the campaign engine propose. Each step calls the service that owns it.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from members.models import MlTask, TrainingRun
from members.models.ml_models import FINISHED_RUN_STATUSES
from members.services.campaign_engine import campaign_engine_propose
from members.services.member_refresh import member_refresh_run
from members.services.recommendations import recommendations_generate
from members.services.scoring import active_model_version, score_pending_reviews
from members.services.training import training_run_create, training_run_execute

# How often the command looks at a run that a Celery worker picked up instead of this process.
RUN_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class PipelineStep:
    name: str
    summary: str


def review_model_ensure(*, max_train_samples: int, epochs: float) -> str:
    """Fine-tune the sentiment model unless a version is active; returns what happened, in words.

    Runs the training in this process; if a worker claimed the queued run first, waits for it.
    """
    active = active_model_version(task=MlTask.SENTIMENT)
    if active is not None:
        return f"kept the active sentiment model v{active.version}"
    run = training_run_create(
        task=MlTask.SENTIMENT, parameters={"max_train_samples": max_train_samples, "epochs": epochs}
    )
    if training_run_execute(run_id=run.pk) is None:
        while not TrainingRun.objects.filter(pk=run.pk, status__in=FINISHED_RUN_STATUSES).exists():
            time.sleep(RUN_POLL_SECONDS)
    run.refresh_from_db()
    if run.status != "succeeded":
        return f"training run {run.pk} {run.status}: {run.error}"
    test = run.metrics.get("test", {})
    finetuned, baseline = test.get("finetuned", {}), test.get("tfidf_logreg", {})
    return (
        f"trained sentiment run {run.pk} ({run.dataset_sizes}): test macro-F1 {finetuned.get('macro_f1', 0):.3f}, "
        f"TF-IDF+LR {baseline.get('macro_f1', 0):.3f}"
    )


def intelligence_refresh(
    *, as_of: date | None = None, max_train_samples: int = 2000, epochs: float = 1.0,
    on_step: Callable[[PipelineStep], None] | None = None,
) -> list[PipelineStep]:
    """Run every step in order; a step's summary says what it did or why it did nothing."""
    as_of = as_of or timezone.localdate()
    steps: list[PipelineStep] = []

    def record(name: str, summary: str) -> None:
        step = PipelineStep(name, summary)
        steps.append(step)
        if on_step:
            on_step(step)

    record("review model", review_model_ensure(max_train_samples=max_train_samples, epochs=epochs))
    scoring = score_pending_reviews()
    record("review scoring", scoring.reason or f"{scoring.scored} reviews scored with {scoring.model_version}")
    for result in member_refresh_run(as_of=as_of):
        record(f"members: {result.step}", result.summary)
    recs = recommendations_generate()
    record("recommendations", f"{recs.rows} recommendations for {recs.members} members ({recs.model_version})")
    proposed = campaign_engine_propose(today=as_of)
    record("campaigns", f"{len(proposed)} campaigns proposed")
    return steps
