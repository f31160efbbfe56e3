"""Admin: promote / roll back actions on model versions, human labels on the review page."""

import pytest
from django.utils import timezone

from members.models import ModelVersion, ReviewTopicLabel, Topic
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def test_promote_and_roll_back_actions_call_the_services(client, superuser):
    client.force_login(superuser)
    ModelVersion.objects.create(task="sentiment", version=1, artifact_path="/a", status="active",
                                     activated_at=timezone.now())
    v2 = ModelVersion.objects.create(task="sentiment", version=2, artifact_path="/b")
    url = "/admin/members/modelversion/"

    client.post(url, {"action": "promote", "_selected_action": [v2.pk]})
    assert dict(ModelVersion.objects.values_list("version", "status")) == {1: "retired", 2: "active"}
    client.post(url, {"action": "roll_back", "_selected_action": [v2.pk]})
    assert dict(ModelVersion.objects.values_list("version", "status")) == {1: "active", 2: "candidate"}


def test_review_admin_records_who_corrected_the_sentiment_and_topics(client, superuser):
    client.force_login(superuser)
    review = ReviewFactory(sentiment="positive")
    topic = Topic.objects.get(code="packaging")
    page = client.get(f"/admin/members/review/{review.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if name in form.base_fields}
    data.update({
        "sentiment_label_human": "negative",
        "topic_labels-TOTAL_FORMS": "1", "topic_labels-INITIAL_FORMS": "0",
        "topic_labels-MIN_NUM_FORMS": "0", "topic_labels-MAX_NUM_FORMS": "1000",
        "topic_labels-0-topic": str(topic.pk), "topic_labels-0-present": "on",
        "created_at_0": review.created_at.strftime("%Y-%m-%d"), "created_at_1": review.created_at.strftime("%H:%M:%S"),
    })
    data.pop("created_at", None)

    response = client.post(f"/admin/members/review/{review.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    review.refresh_from_db()
    assert (review.sentiment_label_human, review.labelled_by) == ("negative", superuser)
    label = ReviewTopicLabel.objects.get()
    assert (label.topic, label.present, label.labelled_by) == (topic, True, superuser)
