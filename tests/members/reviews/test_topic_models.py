"""Topic models earn their place: a trained topic model serves only when it clearly beats the keyword
rules on the newest reviews people judged; scoring, relabelling, the nightly job, the command, the
Celery task and the Models page follow what is served."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from rest_framework.test import APIClient

from members.models import ModelVersion, ModelVersionKind, ModelVersionStatus, Review, ReviewTopicLabel, Topic
from members.partners.services.api_keys import api_key_create
from members.reviews.services.model_registry import review_baseline_train
from members.reviews.services.nightly import review_intelligence_nightly_run
from members.reviews.services.scoring import score_pending_reviews, score_reviews, scoring_cache_clear
from members.reviews.services.topic_models import MIN_TOPIC_LABELLED_REVIEWS, topic_model_train
from tests.factories import MemberFactory, ProductFactory

pytestmark = pytest.mark.django_db

# "delivery" phrased with its keyword, phrased without it (the rules miss these), a fit review, neither.
KEYWORD_DELIVERY = "The delivery was quick and the box was fine"
UNSAID_DELIVERY = "Shipping took three weeks and the parcel arrived late"
FIT = "It does not fit across the shoulders"
NEITHER = "Lovely colour and soft fabric"
PATTERN = [KEYWORD_DELIVERY, UNSAID_DELIVERY, FIT, NEITHER]


@pytest.fixture(autouse=True)
def shop_topics(monkeypatch):
    """Two topics with one keyword each; the tiny random base model's sentence similarity would
    assign topics at random, so it is switched off: the rules are the keywords."""
    monkeypatch.setattr("ml.topics.DEFAULT_SIMILARITY_THRESHOLD", 1.01)
    Topic.objects.update(active=False)
    return [Topic.objects.create(code="delivery", name="Delivery", description="Delivery and shipping",
                                 keywords=["delivery"]),
            Topic.objects.create(code="fit", name="Fit", description="How it fits", keywords=["fit"])]


def make_shop(n: int = 200) -> list[Review]:
    member, product, now = MemberFactory(), ProductFactory(), timezone.now()
    return Review.objects.bulk_create([
        Review(external_id=f"T{i:04d}", member=member, product=product, rating=5 if PATTERN[i % 4] == NEITHER else 2,
               title="", body=PATTERN[i % 4], created_at=now - timedelta(days=n - i)) for i in range(n)])


def judge(reviews: list[Review], *, delivery_without_keyword: bool) -> None:
    """People's verdicts on every review: delivery and fit, as a person reads them; with
    ``delivery_without_keyword`` False they agree with the keyword rules instead."""
    delivery, fit = Topic.objects.get(code="delivery"), Topic.objects.get(code="fit")
    labels = []
    for review in reviews:
        said = review.body == KEYWORD_DELIVERY or (delivery_without_keyword and review.body == UNSAID_DELIVERY)
        labels += [ReviewTopicLabel(review=review, topic=delivery, present=said, labelled_at=timezone.now()),
                   ReviewTopicLabel(review=review, topic=fit, present=review.body == FIT, labelled_at=timezone.now())]
    ReviewTopicLabel.objects.bulk_create(labels)


def test_too_few_judged_reviews_train_nothing_and_say_how_many_are_needed():
    reviews = make_shop(60)
    judge(reviews[:20], delivery_without_keyword=True)

    report = topic_model_train()

    assert report.version is None and report.served == "keyword rules"
    assert f"20 reviews carry a person's topic verdict; at least {MIN_TOPIC_LABELLED_REVIEWS}" in report.reason
    assert not ModelVersion.objects.filter(task="topics").exists()


def test_a_trained_model_that_learnt_what_the_keywords_miss_is_served_and_relabels_the_reviews():
    reviews = make_shop()
    review_baseline_train()
    score_pending_reviews()
    assert "delivery" not in Review.objects.get(pk=reviews[1].pk).topics  # the rules miss the unsaid phrasing
    judge(reviews[50:], delivery_without_keyword=True)

    report = topic_model_train()

    version = report.version
    assert version.kind == ModelVersionKind.BASELINE and version.status == ModelVersionStatus.ACTIVE
    assert report.served == version.label == "topics-v1"
    test = version.metrics["test"]
    assert test["tfidf_logreg"]["macro_f1"] > test["keyword_rules"]["macro_f1"]
    assert version.decision["served"] == "challenger" and version.decision["vs_baseline"]["low"] > 0
    assert version.metrics["test_size"] >= 30 and "keyword rules" in version.decision["reason"]
    # every scored review relabelled by the served model, sentiment untouched
    assert report.relabelled == 200
    assert Review.objects.get(pk=reviews[1].pk).topics == ["delivery"]
    assert Review.objects.get(pk=reviews[2].pk).topics == ["fit"]
    # new reviews are scored with it too
    new = Review.objects.create(external_id="NEW", member=reviews[0].member, product=reviews[0].product, rating=2,
                                title="", body="The parcel arrived late again", created_at=timezone.now())
    score_reviews(review_ids=[new.pk])
    assert Review.objects.get(pk=new.pk).topics == ["delivery"]


def test_a_trained_model_no_better_than_the_rules_is_refused_and_nothing_is_relabelled():
    reviews = make_shop()
    judge(reviews[50:], delivery_without_keyword=False)  # people agree with the keywords

    report = topic_model_train()

    assert report.version.status == ModelVersionStatus.CANDIDATE and report.served == "keyword rules"
    comparison = report.version.decision["vs_baseline"]
    assert comparison["low"] <= 0 and report.relabelled == 0
    assert "not yet clearly better than the keyword rules" in report.reason


def test_a_topic_added_after_training_sends_topics_back_to_the_rules_until_retrained():
    reviews = make_shop()
    review_baseline_train()
    judge(reviews[50:], delivery_without_keyword=True)
    topic_model_train()
    Topic.objects.create(code="price", name="Price", description="Price and value", keywords=["price"])
    new = Review.objects.create(external_id="NEW", member=reviews[0].member, product=reviews[0].product, rating=2,
                                title="", body="Fair price but it does not fit", created_at=timezone.now())

    score_reviews(review_ids=[new.pk])

    assert Review.objects.get(pk=new.pk).topics == ["fit", "price"]  # keywords; the trained model knows no price


def test_the_command_the_task_and_the_nightly_job(settings, capsys):
    reviews = make_shop()
    judge(reviews[50:], delivery_without_keyword=True)
    settings.REVIEW_RETRAIN_MIN_NEW_LABELS = 10

    nightly = review_intelligence_nightly_run()  # eager Celery in tests: the queued training runs at once
    assert nightly["topics_retrain_reason"].startswith("300 new topic verdicts")
    assert ModelVersion.objects.get(task="topics", status="active").label == "topics-v1"
    assert review_intelligence_nightly_run()["topics_retrain_reason"] == ""  # nothing new since

    call_command("train_topic_model")
    out = capsys.readouterr().out
    assert "Trained topics-v2: macro-F1" in out and "vs keyword rules" in out
    assert "Topics are served by: topics-v1." in out  # v2 ties v1: the active model stays

    from members.reviews.tasks import train_topic_model

    result = train_topic_model.delay().get()
    assert result["version"] == "topics-v3" and result["served"] == "topics-v1"


def test_the_models_page_and_the_api_show_topic_versions(admin_client, django_capture_on_commit_callbacks):
    reviews = make_shop()
    judge(reviews[50:], delivery_without_keyword=True)
    topic_model_train()

    page = admin_client.get("/models/").content.decode()
    assert 'id="topic-models"' in page and "topics-v1" in page and "the trained topic model topics-v1" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/models/topics/train/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "training on the worker" in response.content.decode()
    assert ModelVersion.objects.filter(task="topics").count() == 2  # eager: the queued task ran

    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(name='p', scopes=['reviews:read']).raw_key}")
    listed = {v["label"]: v for v in partner.get("/api/v1/model-versions/").json()["results"]}
    first = listed["topics-v1"]
    assert (first["kind"], first["status"], first["test_rows"]) == ("tfidf_logreg", "active", 45)
    assert first["baseline_macro_f1"] < first["test_macro_f1"] and first["vs_baseline"]["low"] > 0


def test_a_lost_topic_artifact_falls_back_to_the_rules_instead_of_stopping_scoring():
    import shutil

    reviews = make_shop()
    review_baseline_train()
    judge(reviews[50:], delivery_without_keyword=True)
    version = topic_model_train().version
    shutil.rmtree(version.artifact_path)
    scoring_cache_clear()  # a worker that has not loaded it yet
    new = Review.objects.create(external_id="NEW", member=reviews[0].member, product=reviews[0].product, rating=2,
                                title="", body="The parcel arrived late", created_at=timezone.now())

    assert score_reviews(review_ids=[new.pk]).scored == 1
    assert Review.objects.get(pk=new.pk).topics == []  # the rules: no keyword (the lost model said delivery)
