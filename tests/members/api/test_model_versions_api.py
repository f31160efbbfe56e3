"""GET /api/v1/model-versions/: which review model is served and by how much each version won or lost."""

import pytest
from django.utils import timezone

from members.models import ModelVersion

pytestmark = pytest.mark.django_db
MARGIN = {"delta": -0.021, "low": -0.048, "high": 0.006, "n": 962, "confidence": 0.95, "a": 0.59, "b": 0.611}
TEST = {"finetuned": {"macro_f1": 0.59}, "tfidf_logreg": {"macro_f1": 0.611}, "majority": {"macro_f1": 0.29}}


def _versions():
    decision = {"served": "baseline", "reason": "The fine-tuned model is not yet better than keyword statistics ...",
                "vs_baseline": MARGIN, "vs_active": None}
    ModelVersion.objects.create(task="sentiment", version=1, kind="finetuned", artifact_path="/tmp/a",
                                metrics={"test": TEST, "decision": decision, "test_size": 962})
    ModelVersion.objects.create(task="sentiment", version=2, kind="tfidf_logreg", artifact_path="/tmp/a/baseline",
                                metrics={"test": TEST, "decision": decision, "test_size": 962}, status="active",
                                activated_at=timezone.now())


def test_versions_list_the_served_baseline_and_the_finetunes_margin_with_its_interval(make_client):
    _versions()
    body = make_client("reviews:read").get("/api/v1/model-versions/").json()

    baseline, finetuned = body["results"]
    assert (baseline["label"], baseline["kind"], baseline["status"]) == ("sentiment-v2", "tfidf_logreg", "active")
    assert baseline["test_macro_f1"] == 0.611 and baseline["vs_baseline"] is None
    assert finetuned["test_macro_f1"] == 0.59 and finetuned["baseline_macro_f1"] == 0.611
    assert finetuned["vs_baseline"] == {"delta": -0.021, "low": -0.048, "high": 0.006, "n": 962, "confidence": 0.95}
    assert finetuned["decision"].startswith("The fine-tuned model is not yet better")


def test_versions_need_the_reviews_read_scope(make_client):
    assert make_client("members:read").get("/api/v1/model-versions/").status_code == 403


def test_version_list_query_count_does_not_grow_with_rows(make_client, django_assert_num_queries):
    _versions()
    client = make_client("reviews:read")
    client.get("/api/v1/model-versions/")
    # versions page (the key row and its last-used touch were warmed away by the first call)
    with django_assert_num_queries(1):
        client.get("/api/v1/model-versions/")
    for number in range(3, 8):
        ModelVersion.objects.create(task="sentiment", version=number, artifact_path=f"/tmp/{number}")
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/model-versions/").json()["results"]) == 7
