"""The whole intelligence pipeline for a shop, in order, for `manage.py refresh_intelligence`
(and so for `make demo`): train the review model when none is active, score unscored reviews,
refresh member intelligence (features, segments, tiers, churn, forecast), generate product
recommendations, and let the campaign engine propose. Each step calls the service that owns it.

``fast=True`` is the first pass of `make demo` (serve in minutes on 2 CPU cores): the first
review model is the TF-IDF + LR baseline (seconds; members.reviews.services.model_registry), topics come
from keywords alone, and recommendations use TF-IDF item vectors. Nothing is canned: these are
real models, labelled as such on the pages, and `manage.py demo_background_start` then queues
the fine-tune (served only if it wins), the full re-scoring and the transformer recommendations.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from members.campaigns.services.campaign_engine import campaign_engine_propose
from members.models import MlTask, Recommendation, TrainingRun
from members.predictions.services.member_refresh import member_refresh_run
from members.recs.services.recommendations import FAST_ITEM_ENCODER, FAST_VERSION, recommendations_generate
from members.reviews.models import FINISHED_RUN_STATUSES
from members.reviews.services.scoring import (
    active_model_version,
    score_pending_reviews,
    unscored_review_count,
)
from members.reviews.services.training import training_run_create, training_run_execute
from ml.progress import Progress

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
    from members.models import Review

    if not Review.objects.exists():  # nothing to learn from: skip, do not leave a failed run behind
        return "skipped: the shop has no reviews yet"
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


def review_model_fast_ensure() -> str:
    """The demo's first review model: the TF-IDF + LR baseline, trained and activated in seconds
    unless a version is already active; returns what happened, in words."""
    from members.reviews.services.model_registry import review_baseline_train
    from ml.data import DataError

    active = active_model_version(task=MlTask.SENTIMENT)
    if active is not None:
        return f"kept the active sentiment model {active.label}"
    try:
        version = review_baseline_train(task=MlTask.SENTIMENT)
    except DataError as exc:
        return f"no review model trained: {exc}"
    macro_f1 = version.test_metrics().get("macro_f1")
    score = f", test macro-F1 {macro_f1:.3f}" if isinstance(macro_f1, int | float) else ""
    state = "serving" if version.status == "active" else f"not served ({version.status})"
    return f"trained {version.label} (TF-IDF + logistic regression{score}), {state}"


def recommendations_fast(*, on_batch: Callable[[int, int], None], as_of: date | None = None) -> str:
    """The first pass's recommendations (TF-IDF item vectors), unless recommendations from a
    transformer are already there (a second `make demo`): those are kept."""
    kept = Recommendation.objects.exclude(model_version=FAST_VERSION).values_list("model_version", flat=True).first()
    if kept is not None:
        return f"kept the recommendations of {kept}"
    recs = recommendations_generate(base_model=FAST_ITEM_ENCODER, model_version=FAST_VERSION, on_batch=on_batch,
                                    as_of=as_of)
    return f"{recs.rows} recommendations for {recs.members} members ({recs.model_version})"


def intelligence_refresh(
    *, as_of: date | None = None, max_train_samples: int = 2000, epochs: float = 1.0,
    on_step: Callable[[PipelineStep], None] | None = None, progress: Progress | None = None, fast: bool = False,
) -> list[PipelineStep]:
    """Run every step in order; a step's summary says what it did or why it did nothing.

    ``progress`` (ml.progress) prints a start and a finish line per step as it happens, with
    rows done and an ETA for scoring and recommendations; ``on_step`` sees each finished step.
    """
    as_of = as_of or timezone.localdate()
    progress = progress or Progress.quiet()
    steps: list[PipelineStep] = []

    def record(name: str, summary: str) -> None:
        step = PipelineStep(name, summary)
        steps.append(step)
        if on_step:
            on_step(step)

    with progress.step("review model") as step:
        step.summary = (review_model_fast_ensure() if fast
                        else review_model_ensure(max_train_samples=max_train_samples, epochs=epochs))
    record("review model", step.summary)
    with progress.step("review scoring", total=unscored_review_count(), unit="reviews") as step:
        scoring = score_pending_reviews(on_batch=step.advance, keyword_topics=fast)
        step.summary = scoring.reason or f"{scoring.scored} reviews scored with {scoring.model_version}"
    record("review scoring", step.summary)
    for result in member_refresh_run(as_of=as_of, progress=progress):
        record(f"members: {result.step}", result.summary)
    with progress.step("recommendations", unit="members") as step:
        if fast:
            step.summary = recommendations_fast(on_batch=step.update, as_of=as_of)
        else:
            recs = recommendations_generate(on_batch=step.update, as_of=as_of)  # nothing after as_of is read
            step.summary = f"{recs.rows} recommendations for {recs.members} members ({recs.model_version})"
    record("recommendations", step.summary)
    with progress.step("campaigns") as step:
        proposed = campaign_engine_propose(today=as_of)
        step.summary = f"{len(proposed)} campaigns proposed"
    record("campaigns", step.summary)
    return steps

