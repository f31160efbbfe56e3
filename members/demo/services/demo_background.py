"""What `make demo` leaves to its Celery worker after the fast first pass (intelligence_refresh
fast=True), so the demo serves in minutes and then gets better while people look at it:

1. a time-budgeted fine-tune of the review sentiment model (members.reviews.services.training.review_finetune_enqueue):
   a real training run on the `gpu` queue, progress and loss live on the Models page, served only
   if it beats the TF-IDF + LR model that serves meanwhile;
2. when that run has finished (won or not), every review is re-scored with the served model and
   the full topic labeller (sentence similarity, not keywords alone): demo_rescore_after_run;
3. recommendations regenerated with the transformer's item vectors (members.recs.generate), replacing the
   TF-IDF first pass.

Idempotent: a second `make demo` queues nothing that is queued, running or already done.
"""

from __future__ import annotations

from django.db import transaction

from members.models import MlTask, ModelVersion, Recommendation, Review, TrainingRun
from members.recs.services.recommendations import FAST_VERSION
from members.reviews.models import ModelVersionKind, TrainingRunStatus
from members.task_queue import task_send, task_send_on_commit

# Minutes the background fine-tune may take on a CPU (the whole run: training and its evaluation).
DEMO_FINETUNE_MINUTES = 10.0
# How often the follow-up task looks at the fine-tune while it runs (a Celery retry, no held slot).
RESCORE_POLL_SECONDS = 30


def demo_background_start(*, finetune_minutes: float | None = DEMO_FINETUNE_MINUTES) -> list[str]:
    """Queue the work above that is still to do; returns one line per item, in words."""
    from members.reviews.services.training import review_finetune_enqueue

    notes: list[str] = []
    open_run = TrainingRun.objects.filter(
        task=MlTask.SENTIMENT, status__in=(TrainingRunStatus.QUEUED, TrainingRunStatus.RUNNING)
    ).order_by("-pk").first()
    finetuned = ModelVersion.objects.filter(task=MlTask.SENTIMENT, kind=ModelVersionKind.FINETUNED).first()
    if not Review.objects.exists():
        notes.append("no reviews: nothing to fine-tune")
    elif open_run is not None:
        notes.append(f"fine-tune run {open_run.pk} is already {open_run.status}")
    elif finetuned is not None:
        notes.append(f"a fine-tuned review model exists ({finetuned.label}, {finetuned.status}): no new run")
    else:
        with transaction.atomic():
            run = review_finetune_enqueue(task=MlTask.SENTIMENT, max_minutes=finetune_minutes)
            task_send_on_commit("members.demo.rescore_after_run", (run.pk,), countdown=RESCORE_POLL_SECONDS)
        budget = f"within {finetune_minutes:g} minutes" if finetune_minutes else "without a time limit"
        notes.append(f"queued fine-tune run {run.pk} of the review model ({budget}; served only if it scores "
                     "better); the reviews are re-scored when it ends")
    if Recommendation.objects.filter(model_version=FAST_VERSION).exists():
        task_send("members.recs.generate")
        notes.append("queued recommendations from the transformer's item vectors (replacing the TF-IDF first pass)")
    return notes


def demo_rescore_when_done(*, run_id: int) -> str | None:
    """None while run `run_id` is queued or running; once it has ended, mark every review for
    re-scoring with the served model (full topic labeller) and return what was done, in words."""
    run = TrainingRun.objects.filter(pk=run_id).only("status").first()
    if run is None:
        return f"run {run_id} does not exist"
    if not run.is_live:
        from members.reviews.services.scoring import reviews_mark_unscored

        ids = list(Review.objects.values_list("pk", flat=True))
        reviews_mark_unscored(review_ids=ids)
        return f"run {run_id} {run.status}: {len(ids)} reviews queued for re-scoring"
    return None
