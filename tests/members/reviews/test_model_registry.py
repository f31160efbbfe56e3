"""The review-model registry: the baseline as the first served model, budgeted fine-tunes queued,
promotion only on a clear win, artifacts that two databases cannot share."""

import pytest
from django.core.management import call_command

from members.models import ModelVersion, ModelVersionKind, ModelVersionStatus, Review, TrainingRun
from members.reviews.services.model_registry import (
    DEFAULT_CPU_BUDGET_MINUTES,
    review_artifact_dir,
    review_baseline_train,
)
from members.reviews.services.scoring import score_pending_reviews
from members.reviews.services.training import review_finetune_enqueue
from ml.data import DataError

pytestmark = pytest.mark.django_db


def test_the_baseline_trains_in_seconds_and_is_served_when_nothing_is_active(reviews):
    version = review_baseline_train()

    assert (version.kind, version.status, version.version) == (ModelVersionKind.BASELINE, ModelVersionStatus.ACTIVE, 1)
    assert version.is_baseline and version.test_metrics()["macro_f1"] > version.test_metrics("majority")["macro_f1"]
    assert version.decision["served"] == "challenger" and version.run is None
    report = score_pending_reviews()
    assert report.scored == 80 and report.model_version == "sentiment-v1"
    scored = Review.objects.get(pk=reviews[0].pk)
    assert scored.sentiment in ("negative", "neutral", "positive") and scored.embedding is None


def test_a_new_version_that_is_not_clearly_better_is_not_promoted(reviews):
    first = review_baseline_train()
    second = review_baseline_train()  # the same model on the same reviews: difference 0, interval includes 0

    first.refresh_from_db()
    assert first.status == ModelVersionStatus.ACTIVE and second.status == ModelVersionStatus.CANDIDATE
    comparison = second.decision["vs_active"]
    assert comparison["delta"] == 0 and comparison["low"] <= 0 <= comparison["high"]
    assert second.decision["served"] == "active" and "not clearly better" in second.decision["reason"]


def test_a_budgeted_finetune_is_queued_after_commit(reviews, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("members.reviews.tasks.train_model.apply_async", lambda **kw: queued.append(kw["args"][0]))

    with django_capture_on_commit_callbacks(execute=True):
        run = review_finetune_enqueue(parameters={"epochs": 2})

    assert run.status == "queued" and queued == [run.pk]
    assert run.parameters == {"epochs": 2.0, "max_minutes": DEFAULT_CPU_BUDGET_MINUTES}


def test_no_reviews_is_a_data_error_for_the_baseline(db):
    with pytest.raises(DataError, match="none of the 0 rows"):
        review_baseline_train()
    assert not ModelVersion.objects.exists()


def test_refresh_with_no_reviews_skips_the_review_model_in_one_line(db, caplog):
    from io import StringIO

    out = StringIO()
    call_command("refresh_intelligence", stdout=out)

    assert "skipped: the shop has no reviews yet" in out.getvalue()
    assert not TrainingRun.objects.exists()
    assert "Traceback" not in caplog.text


def test_artifact_folders_name_the_database_and_never_repeat(settings):
    first = review_artifact_dir(task="sentiment", name="run-1")
    second = review_artifact_dir(task="sentiment", name="run-1")

    assert first != second
    database = settings.DATABASES["default"]["NAME"]
    assert first.parent == settings.MEMBERHUB_ARTIFACT_DIR / database / "sentiment"
    assert first.name.startswith("run-1-")
