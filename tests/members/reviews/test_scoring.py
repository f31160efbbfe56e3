"""Scoring reviews with the active model: fields, idempotency, webhooks, no-model behaviour, coalescing."""

import numpy as np
import pytest
from django.core.cache import cache, caches

from members.models import ModelVersion, Review, WebhookDelivery
from members.partners.services.webhooks import webhook_subscription_create
from members.reviews.services import scoring
from members.reviews.services.model_versions import model_version_promote
from members.reviews.services.scoring import (
    SCORING_DEBOUNCE_KEY,
    reviews_schedule_scoring,
    score_pending_reviews,
    score_reviews,
)
from members.reviews.services.training import training_run_create
from tests.members.reviews.conftest import FAST_RUN, make_reviews

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_model(reviews, django_capture_on_commit_callbacks) -> ModelVersion:
    with django_capture_on_commit_callbacks(execute=True):
        training_run_create(task="sentiment", parameters=FAST_RUN)
    # The tiny fine-tune may lose to the TF-IDF baseline (which then serves); these tests are about
    # scoring with an encoder (embeddings), so a person promotes the fine-tune.
    finetuned = ModelVersion.objects.get(kind="finetuned")
    return model_version_promote(version_id=finetuned.pk)


def test_with_no_active_model_nothing_is_scored_and_the_report_says_why(reviews):
    report = score_reviews(review_ids=[r.pk for r in reviews])

    assert report.scored == 0 and "No active sentiment model" in report.reason
    assert not Review.objects.exclude(sentiment="").exists()
    assert not Review.objects.filter(scored_at__isnull=False).exists()


def test_scoring_fills_every_output_field(active_model, reviews):
    ids = [r.pk for r in reviews[:20]]

    report = score_reviews(review_ids=ids)

    assert (report.scored, report.model_version) == (20, "sentiment-v1")
    review = Review.objects.get(pk=ids[0])
    assert review.sentiment in {"negative", "neutral", "positive"}
    assert set(review.sentiment_probabilities) == {"negative", "neutral", "positive"}
    assert sum(review.sentiment_probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert review.sentiment_confidence == pytest.approx(max(review.sentiment_probabilities.values()), abs=1e-6)
    assert review.sentiment == max(review.sentiment_probabilities, key=review.sentiment_probabilities.get)
    embedding = np.frombuffer(bytes(review.embedding), dtype="<f4")
    assert embedding.shape == (32,) and np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-4)
    assert isinstance(review.topics, list) and isinstance(review.entities, list)
    assert review.model_version == "sentiment-v1" and review.scored_at is not None
    assert Review.objects.filter(scored_at__isnull=True).count() == 60


def test_with_topics_from_the_scorer_one_pass_serves_every_head(active_model, reviews, settings, monkeypatch):
    settings.REVIEW_TOPICS_FROM_SCORER = True
    # the base encoder is never loaded: the topic labeller encodes with the scorer, and the
    # scoring pass gives the sentence embeddings (a sentence the pass covers is not encoded again)
    monkeypatch.setattr("ml.scoring.Encoder", lambda *a, **k: pytest.fail("the base encoder was loaded"))
    encoded = []
    scorer = scoring.scorer_for(active_model.artifact_path)
    real_encode = scorer.encode
    monkeypatch.setattr(scorer, "encode", lambda texts, **kw: encoded.append(len(texts)) or real_encode(texts, **kw))

    report = score_reviews(review_ids=[r.pk for r in reviews[:20]])

    assert report.scored == 20
    labeller = scoring.topic_labeller(scorer=scorer)
    assert labeller.encoder is scorer and len(encoded) == 1  # the prototypes, once
    for review in Review.objects.filter(pk__in=[r.pk for r in reviews[:20]]):
        [expected] = scorer.score([review.body], [review.title], sentences=True)
        assert review.sentiment == expected.label
        np.testing.assert_allclose(np.frombuffer(bytes(review.embedding), dtype="<f4"), expected.embedding, atol=1e-5)
        text = f"{review.title}. {review.body}"
        assert review.topics == labeller.label([text], sentence_embeddings=[expected.sentence_embeddings])[0].topics


def test_topics_come_from_the_topic_table_keywords(active_model, db):
    [review] = make_reviews(1, seed=3)
    Review.objects.filter(pk=review.pk).update(body="It arrived two weeks late and the courier lost the tracking.")

    score_reviews(review_ids=[review.pk])

    assert "delivery_logistics" in Review.objects.get(pk=review.pk).topics


def test_scoring_twice_changes_nothing_and_sends_no_second_webhook(active_model, reviews):
    webhook_subscription_create(name="crm", url="https://crm.example.com/hook", events=["review.scored"])
    ids = [r.pk for r in reviews[:5]]
    score_reviews(review_ids=ids)
    first = {r.pk: (r.sentiment, r.sentiment_probabilities, r.scored_at) for r in Review.objects.filter(pk__in=ids)}

    again = score_reviews(review_ids=ids)

    assert (again.scored, again.skipped) == (0, 5)
    assert {r.pk: (r.sentiment, r.sentiment_probabilities, r.scored_at)
            for r in Review.objects.filter(pk__in=ids)} == first
    deliveries = WebhookDelivery.objects.filter(event="review.scored")
    assert deliveries.count() == 5
    assert {d.payload["external_id"] for d in deliveries} == {r.external_id for r in reviews[:5]}
    assert all(d.payload["model_version"] == "sentiment-v1" for d in deliveries)


def test_pending_scoring_works_through_every_unscored_review_in_batches(active_model, reviews, settings):
    settings.REVIEW_SCORING_BATCH_SIZE = 7

    report = score_pending_reviews()

    assert report.scored == 80
    assert not Review.objects.filter(scored_at__isnull=True).exists()


def test_a_burst_of_new_reviews_schedules_one_scoring_task(reviews, monkeypatch, settings):
    scheduled = []
    from members.reviews import tasks as ml_tasks

    monkeypatch.setattr(ml_tasks.score_pending_reviews, "apply_async", lambda **kw: scheduled.append(kw))
    settings.REVIEW_SCORING_DEBOUNCE_SECONDS = 30

    outcomes = [reviews_schedule_scoring() for _ in range(25)]

    assert outcomes.count(True) == 1 and [kw["countdown"] for kw in scheduled] == [30]
    assert type(caches["default"]).__name__ == "RedisCache"  # the window is shared by every worker
    assert cache.get(SCORING_DEBOUNCE_KEY) is not None
    cache.delete(SCORING_DEBOUNCE_KEY)
    assert reviews_schedule_scoring() is True  # a new window schedules again


def test_the_scorer_is_loaded_once_per_artifact(active_model, reviews, monkeypatch):
    loads = []
    import ml.scoring

    real = ml.scoring.Scorer

    def counting(path, **kwargs):
        loads.append(path)
        return real(path, **kwargs)

    scoring.scoring_cache_clear()
    monkeypatch.setattr(ml.scoring, "Scorer", counting)
    score_reviews(review_ids=[r.pk for r in reviews[:3]])
    score_reviews(review_ids=[r.pk for r in reviews[3:6]])

    assert loads == [active_model.artifact_path]


def test_entities_are_found_from_the_catalogue_and_price_patterns_with_offsets(active_model, db):
    [review] = make_reviews(1, seed=4)
    body = "My Northwind shirt was only $12.99 on sale."
    Review.objects.filter(pk=review.pk).update(body=body)

    score_reviews(review_ids=[review.pk])

    entities = Review.objects.get(pk=review.pk).entities
    assert {(e["label"], e["text"]) for e in entities} == {("BRAND", "Northwind"), ("PRICE", "$12.99")}
    assert all(body[e["start"]:e["end"]] == e["text"] for e in entities)
