"""`refresh_intelligence --fast` (make demo's first pass) and what it leaves to the worker."""

from io import StringIO

import pytest
from django.core.management import call_command

from members.demo.services.demo_background import demo_background_start, demo_rescore_when_done
from members.models import ModelVersion, Recommendation, Review, TrainingRun
from members.recs.services.recommendations import FAST_VERSION
from tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def test_the_fast_pass_serves_a_baseline_keyword_topics_and_tfidf_recommendations(reviews):
    for review in reviews[:40]:  # purchases: what the recommendations are made from
        OrderItemFactory(order=OrderFactory(member=review.member, status="delivered"), product=review.product)
    out = StringIO()

    call_command("refresh_intelligence", "--fast", stdout=out)

    text = out.getvalue()
    active = ModelVersion.objects.get(status="active")
    assert active.kind == "tfidf_logreg" and "TF-IDF + logistic regression" in text
    assert not TrainingRun.objects.exists()  # no fine-tune in the first pass
    assert not Review.objects.filter(scored_at__isnull=True).exists()
    assert set(Review.objects.values_list("model_version", flat=True)) == {active.label}
    assert Recommendation.objects.exists()
    assert set(Recommendation.objects.values_list("model_version", flat=True)) == {FAST_VERSION}
    # Each step printed as it happened, with its own elapsed time.
    for step in ("review model", "review scoring", "members: segments", "recommendations", "campaigns"):
        assert f"] {step}: started" in text and f"] {step}: done in " in text


def test_the_background_queues_one_budgeted_fine_tune_and_the_rescoring_waits_for_it(reviews, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queue, do not run: the worker's part is not under test here
    call_command("refresh_intelligence", "--fast", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=False):
        notes = demo_background_start(finetune_minutes=5)
    run = TrainingRun.objects.get()
    assert run.status == "queued" and run.parameters["max_minutes"] == 5
    assert "queued fine-tune run" in notes[0]
    assert "recommendations" in notes[1]
    assert "already queued" in demo_background_start(finetune_minutes=5)[0]  # a second make demo queues nothing new

    assert demo_rescore_when_done(run_id=run.pk) is None  # still queued: wait
    TrainingRun.objects.filter(pk=run.pk).update(status="failed")
    assert "queued for re-scoring" in demo_rescore_when_done(run_id=run.pk)
    assert Review.objects.filter(scored_at__isnull=True).count() == len(reviews)
