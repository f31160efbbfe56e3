"""The nightly job: score what is pending, retrain on enough new labels or on drift from the stars."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import ModelVersion, Review, TrainingRun
from members.reviews import tasks as ml_tasks
from members.reviews.services import nightly
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def active_version(accuracy: float) -> ModelVersion:
    run = TrainingRun.objects.create(task="sentiment", status="succeeded")
    return ModelVersion.objects.create(task="sentiment", version=1, artifact_path="/nowhere", run=run,
                                       status="active", metrics={"test": {"finetuned": {"accuracy": accuracy}}})


def test_no_reason_to_retrain_without_an_active_model_or_with_a_steady_one(settings):
    assert nightly.retrain_reason() == ""
    active_version(accuracy=0.8)
    settings.REVIEW_DRIFT_MIN_REVIEWS = 5
    ReviewFactory.create_batch(5, rating=5, sentiment="positive")

    assert nightly.retrain_reason() == ""


def test_enough_new_human_labels_ask_for_a_retrain(settings):
    active_version(accuracy=0.8)
    settings.REVIEW_RETRAIN_MIN_NEW_LABELS = 3
    ReviewFactory.create_batch(3, sentiment_label_human="negative", labelled_at=timezone.now())

    assert nightly.retrain_reason().startswith("3 new human labels")


def test_sentiment_drifting_from_the_stars_asks_for_a_retrain(settings):
    active_version(accuracy=0.9)
    settings.REVIEW_DRIFT_MIN_REVIEWS = 10
    settings.REVIEW_DRIFT_TOLERANCE_PCT = 10
    ReviewFactory.create_batch(6, rating=5, sentiment="positive")
    ReviewFactory.create_batch(4, rating=5, sentiment="negative")  # 60% agreement against 90% at test time
    ReviewFactory.create_batch(20, rating=1, sentiment="positive", created_at=timezone.now() - timedelta(days=30))

    assert "agrees with stars on 60%" in nightly.retrain_reason()


def test_the_nightly_job_queues_one_retrain_and_not_a_second(settings, monkeypatch):
    active_version(accuracy=0.8)
    settings.REVIEW_RETRAIN_MIN_NEW_LABELS = 1
    ReviewFactory(sentiment_label_human="positive", labelled_at=timezone.now())
    monkeypatch.setattr("members.reviews.tasks.train_model.apply_async", lambda **kw: None)

    first = ml_tasks.review_intelligence_nightly.apply().get()
    second = ml_tasks.review_intelligence_nightly.apply().get()

    assert first["run_id"] is not None and second["run_id"] is None
    assert TrainingRun.objects.filter(status="queued").count() == 1
    # The active artifact does not exist here: scoring failed in words, nothing was faked, and the
    # retrain that can replace the broken model was still queued.
    assert first["scored"] == 0 and "ArtifactError" in first["scoring_error"]
    assert not Review.objects.filter(scored_at__isnull=False).exists()


def test_tasks_are_routed_to_the_gpu_queue():
    from memberhub.celery import app

    for task in (ml_tasks.train_model, ml_tasks.score_reviews_batch, ml_tasks.score_pending_reviews,
                 ml_tasks.review_intelligence_nightly):
        assert app.amqp.router.route({}, task.name)["queue"].name == "gpu"


def test_every_beat_entry_names_a_registered_task():
    from django.conf import settings

    from memberhub.celery import app

    app.loader.import_default_modules()
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    assert ml_tasks.review_intelligence_nightly.name in {entry["task"] for entry in entries}
    assert all(entry["task"] in app.tasks for entry in entries)
