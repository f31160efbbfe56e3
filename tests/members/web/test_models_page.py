"""The Models page and the review detail page: live runs, promote / roll back, label corrections."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import ModelVersion, Review, ReviewTopicLabel, Topic, TrainingRun
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def version(task="sentiment", number=1, status="candidate", macro_f1=0.5, **extra) -> ModelVersion:
    matrix = {"labels": ["negative", "neutral", "positive"], "matrix": [[5, 1, 0], [2, 3, 1], [0, 1, 9]]}
    metrics = {"test_size": 22, "test": {
        "finetuned": {"macro_f1": macro_f1, "accuracy": 0.77, "confusion_matrix": matrix,
                      "per_class": {"negative": {"precision": 0.7, "recall": 0.8, "f1": 0.75, "support": 6}}},
        "tfidf_logreg": {"macro_f1": 0.41}, "majority": {"macro_f1": 0.2},
    }}
    return ModelVersion.objects.create(task=task, version=number, artifact_path=f"/tmp/v{number}",
                                       metrics=metrics, status=status, **extra)


def test_models_page_shows_runs_versions_and_confusion_matrix_in_pinned_queries(
    merch_client, django_assert_num_queries
):
    for i in range(5):
        TrainingRun.objects.create(task="sentiment", status="succeeded", step=10, total_steps=10,
                                   loss_history=[{"step": s, "loss": 1 / s} for s in range(1, 6)])
    version(number=1, status="retired", activated_at=timezone.now() - timedelta(days=2))
    version(number=2, status="active", activated_at=timezone.now(), macro_f1=0.6123)
    merch_client.get("/models/")  # warm the session

    # session, user, groups check, runs (+creator), versions, sentiment agreement, topic agreement,
    # topic versions, reviews with topic verdicts, member model versions (churn and forecast), the
    # latest member backtest
    with django_assert_num_queries(11):
        response = merch_client.get("/models/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<polyline points="') == 5
    assert "sentiment-v2" in html and "0.612" in html and "Confusion matrix of sentiment-v2" in html
    assert "<td>9</td>" in html  # the confusion matrix cell
    assert "Roll back to the previous active version" in html
    assert 'hx-trigger="every 2s"' not in html  # nothing is running: nothing polls


def test_a_running_run_polls_until_it_is_finished(merch_client):
    run = TrainingRun.objects.create(task="sentiment", status="running", step=3, total_steps=12)

    live = merch_client.get(f"/models/runs/{run.pk}/", **HTMX).content.decode()
    TrainingRun.objects.filter(pk=run.pk).update(status="succeeded", step=12)
    done = merch_client.get(f"/models/runs/{run.pk}/", **HTMX).content.decode()

    assert 'hx-trigger="every 2s"' in live and 'aria-valuenow="25"' in live
    assert 'hx-trigger="every 2s"' not in done and 'aria-valuenow="100"' in done


def test_starting_a_run_queues_it_and_shows_it(merch_client, merchandiser, monkeypatch):
    queued = []
    monkeypatch.setattr("members.reviews.tasks.train_model.apply_async", lambda **kw: queued.append(kw["args"][0]))

    response = merch_client.post("/models/runs/", {"task": "sentiment", "epochs": "2", "max_train_samples": ""},
                                 **HTMX)

    run = TrainingRun.objects.get()
    assert (run.status, run.parameters, run.created_by) == ("queued", {"epochs": 2.0}, merchandiser)
    assert f'id="run-{run.pk}"' in response.content.decode()


def test_a_bad_run_form_comes_back_with_its_errors(merch_client):
    response = merch_client.post("/models/runs/", {"task": "sentiment", "epochs": "0"}, **HTMX)

    assert response.status_code == 200
    assert "greater than or equal to 0.1" in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_cancel_promote_and_roll_back_are_posts(merch_client):
    run = TrainingRun.objects.create(task="sentiment", status="running")
    v1 = version(number=1, status="active", activated_at=timezone.now())
    v2 = version(number=2)

    assert merch_client.get(f"/models/runs/{run.pk}/cancel/").status_code == 405
    merch_client.post(f"/models/runs/{run.pk}/cancel/", **HTMX)
    merch_client.post(f"/models/versions/{v2.pk}/promote/", **HTMX)
    assert TrainingRun.objects.get(pk=run.pk).cancel_requested is True
    assert ModelVersion.objects.get(pk=v2.pk).status == "active"

    html = merch_client.post("/models/sentiment/rollback/", **HTMX).content.decode()
    assert ModelVersion.objects.get(pk=v1.pk).status == "active"
    assert ModelVersion.objects.get(pk=v2.pk).status == "candidate"
    assert 'id="version-table"' in html


def test_compare_shows_both_versions_per_class_metrics(merch_client):
    a, b = version(number=1), version(number=2, macro_f1=0.7)

    html = merch_client.get(f"/models/compare/?a={a.pk}&b={b.pk}", **HTMX).content.decode()

    assert "sentiment-v1" in html and "sentiment-v2" in html and "0.700" in html and html.count("confusion") >= 2


def test_agreement_per_class_counts_people_who_agree_with_the_model(merch_client):
    ReviewFactory(sentiment="negative", sentiment_label_human="negative")
    ReviewFactory(sentiment="neutral", sentiment_label_human="negative")
    ReviewFactory(sentiment="positive", sentiment_label_human="positive")

    html = merch_client.get("/models/").content.decode()

    assert "<td>Negative</td><td>2</td><td>50.0%</td>" in html
    assert "<td>Positive</td><td>1</td><td>100.0%</td>" in html


def test_review_detail_highlights_entities_escaped_in_pinned_queries(merch_client, django_assert_num_queries):
    body = "<b>Northwind</b> shirt for $12.99"
    review = ReviewFactory(body=body, entities=[
        {"start": 3, "end": 12, "label": "BRAND", "text": "Northwind"},
        {"start": 27, "end": 33, "label": "PRICE", "text": "$12.99"},
        {"start": 0, "end": 5, "label": "BRAND", "text": "stale"},  # offsets no longer match: unmarked
    ], sentiment="negative", sentiment_confidence=0.9, model_version="sentiment-v1")
    merch_client.get(f"/reviews/{review.external_id}/")

    # session, user, groups check, review (+product, member), topic labels, topics
    with django_assert_num_queries(6):
        html = merch_client.get(f"/reviews/{review.external_id}/").content.decode()

    assert ('&lt;b&gt;<mark class="entity entity-brand" title="BRAND">Northwind</mark>&lt;/b&gt; shirt for '
            '<mark class="entity entity-price" title="PRICE">$12.99</mark>') in html
    assert "<b>Northwind" not in html


def test_one_click_sentiment_correction_swaps_the_control(merch_client, merchandiser):
    review = ReviewFactory(sentiment="positive")

    html = merch_client.post(f"/reviews/{review.external_id}/sentiment/", {"label": "negative"}, **HTMX).content.decode()

    review.refresh_from_db()
    assert (review.sentiment_label_human, review.labelled_by) == ("negative", merchandiser)
    assert review.sentiment == "positive"  # the model's output is kept beside the correction
    assert 'id="sentiment-label"' in html and 'aria-pressed="true"' in html
    merch_client.post(f"/reviews/{review.external_id}/sentiment/", {"label": ""}, **HTMX)
    assert Review.objects.get(pk=review.pk).sentiment_label_human == ""
    assert merch_client.post(f"/reviews/{review.external_id}/sentiment/", {"label": "angry"}).status_code == 400


def test_topic_corrections_confirm_reject_and_clear(merch_client, merchandiser):
    review = ReviewFactory(topics=["size_fit"])
    topic = Topic.objects.get(code="size_fit")
    url = f"/reviews/{review.external_id}/topics/{topic.pk}/"

    html = merch_client.post(url, {"present": "no"}, **HTMX).content.decode()
    label = ReviewTopicLabel.objects.get()
    assert (label.present, label.labelled_by) == (False, merchandiser)
    assert f'id="topic-{topic.pk}"' in html
    merch_client.post(url, {"present": "clear"}, **HTMX)
    assert not ReviewTopicLabel.objects.exists()


def test_review_insights_show_sentiment_topics_and_needing_attention(merch_client):
    old = ReviewFactory(sentiment="negative", topics=["delivery_logistics"], model_version="sentiment-v1",
                        title="Late parcel", created_at=timezone.now() - timedelta(days=3))
    new = ReviewFactory(sentiment="negative", topics=[], model_version="sentiment-v1", title="Torn seam")
    ReviewFactory(sentiment="negative", sentiment_label_human="positive", model_version="sentiment-v1",
                  title="Actually fine")

    html = merch_client.get("/reviews/insights/", **HTMX).content.decode()

    assert html.index("Torn seam") < html.index("Late parcel") and "Actually fine" not in html
    assert 'class="bar bar-negative"' in html
    assert f'href="/reviews/{new.external_id}/"' in html and old.product.category in html


def test_models_page_needs_the_web_app_groups(client, django_user_model):
    user = django_user_model.objects.create_user("outsider", password="x")
    client.force_login(user)

    assert client.get("/models/").status_code == 403
    assert client.post("/reviews/R1/sentiment/", {"label": "negative"}).status_code == 403


def test_the_compare_form_starts_on_the_served_version_against_another_one(merch_client):
    served = version(number=1, status="active")
    newer = version(number=2)

    html = merch_client.get("/models/").content.decode()

    assert re.search(rf'id="compare-a".*?<option value="{served.pk}" selected>', html, re.DOTALL)
    assert re.search(rf'id="compare-b".*?<option value="{newer.pk}" selected>', html, re.DOTALL)
