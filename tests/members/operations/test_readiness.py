"""/healthz answers while the process lives; /readyz names the check that fails and answers 503."""

import json

import pytest

from members.models import ModelVersion, ModelVersionStatus


@pytest.fixture
def redis_readiness(settings, redis_server):
    """Redis, cache and broker all on the test's own Redis server; no worker required here (the
    worker check has its own test with a real worker, tests/members/operations/test_worker.py)."""
    settings.REDIS_URL = redis_server.url
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.READYZ_QUEUES = []
    return redis_server


def test_healthz_answers_without_touching_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_check_with_status_and_latency(db, client):
    body = client.get("/readyz").json()
    assert set(body["checks"]) == {"database", "migrations", "redis", "broker", "workers", "model_artifacts"}
    for check in body["checks"].values():
        assert check["status"] in ("ok", "skipped")
        assert isinstance(check["latency_ms"], float)
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["migrations"]["status"] == "ok"


def test_readyz_is_503_naming_redis_while_redis_is_down_and_200_once_it_is_back(db, client, redis_readiness):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["redis"]["status"] == "ok"
    assert response.json()["checks"]["broker"]["status"] == "ok"

    redis_readiness.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "failing"
    assert "redis" in body["failing"]
    assert body["checks"]["redis"]["status"] == "failing"
    assert "Connection" in body["checks"]["redis"]["detail"]
    assert body["checks"]["database"]["status"] == "ok"

    redis_readiness.start()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["failing"] == []


def test_readyz_fails_when_no_worker_consumes_a_required_queue(db, client, redis_readiness, settings):
    settings.READYZ_QUEUES = ["default", "gpu"]
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["workers"]
    assert "default, gpu" in body["checks"]["workers"]["detail"]


def test_readyz_fails_when_an_active_models_artifact_is_missing(db, client, tmp_path):
    present = tmp_path / "topics-v1"
    present.mkdir()
    ModelVersion.objects.create(
        task="topics", version=1, artifact_path=str(present), status=ModelVersionStatus.ACTIVE
    )
    assert client.get("/readyz").status_code == 200

    ModelVersion.objects.create(
        task="sentiment", version=3, artifact_path=str(tmp_path / "gone"), status=ModelVersionStatus.ACTIVE
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["model_artifacts"]
    assert "sentiment-v3" in response.json()["checks"]["model_artifacts"]["detail"]


def test_readyz_fails_when_migrations_are_not_applied(db, client, monkeypatch):
    from django.db.migrations.recorder import MigrationRecorder

    from memberhub.observability import health

    monkeypatch.setattr(health, "_migrations_clean", False)  # forget an earlier clean result
    latest = MigrationRecorder.Migration.objects.filter(app="members").order_by("-id").first()
    latest.delete()  # as if it had not run yet (the test's transaction puts it back)

    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert f"members.{latest.name}" in response.json()["checks"]["migrations"]["detail"]
