"""/metrics: the named series, computed from real rows and a real Redis broker; closed to strangers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from memberhub.observability import workers
from members.models import (
    ImportJob,
    ImportJobStatus,
    MemberModelVersion,
    ModelVersion,
    ModelVersionStatus,
    ScheduledRun,
    ScheduledRunStatus,
    WebhookDeliveryStatus,
)
from members.partners.tasks import deliver_webhook
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory


def _series(text: str) -> dict[str, float]:
    """{'name{labels}': value} for every sample line."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


@pytest.fixture
def broker(settings, redis_server):
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return redis_server


def test_metrics_exposes_the_named_series_from_real_state(db, client, broker):
    now = timezone.now()
    ImportJob.objects.create(
        kind="orders",
        path="/x.csv",
        status=ImportJobStatus.SUCCEEDED,
        rows_total=5000,
        started_at=now - timedelta(seconds=10),
        finished_at=now,
    )
    ImportJob.objects.create(kind="members", path="/y.csv", status=ImportJobStatus.FAILED, finished_at=now)
    ModelVersion.objects.create(
        task="sentiment", version=4, artifact_path="/a", status=ModelVersionStatus.ACTIVE
    )
    MemberModelVersion.objects.create(
        kind="churn", version=2, artifact_path="/b", active=True, as_of=now.date(), metrics={}
    )
    WebhookDeliveryFactory(status=WebhookDeliveryStatus.GIVEN_UP, last_attempt_at=now)
    WebhookDeliveryFactory(status=WebhookDeliveryStatus.FAILED)
    ScheduledRun.objects.create(
        task_name="members.reviews.nightly",
        task_id="t1",
        status=ScheduledRunStatus.SUCCEEDED,
        started_at=now - timedelta(minutes=3),
        finished_at=now,
    )
    client_redis = workers.redis_client(broker.url)
    client_redis.rpush("default", "a", "b", "c")  # three tasks waiting, as kombu stores them
    client_redis.rpush("gpu\x06\x163", "d")  # one at priority 3
    workers.heartbeat_write(client_redis, hostname="default@test", queues=["default"])
    client.get("/healthz")  # one request to time

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    s = _series(response.content.decode())
    assert s['memberhub_http_request_duration_seconds_count{method="GET",status="200",view="healthz"}'] >= 1
    assert s['memberhub_celery_queue_length{queue="default"}'] == 3
    assert s['memberhub_celery_queue_length{queue="gpu"}'] == 1
    assert s['memberhub_celery_workers{queue="default"}'] == 1
    assert s['memberhub_import_rows_per_second{kind="orders"}'] == 500.0
    assert s['memberhub_model_version_active{kind="sentiment",version="sentiment-v4"}'] == 1
    assert s['memberhub_model_version_active{kind="churn",version="churn-v2"}'] == 1
    assert s['memberhub_webhook_deliveries{status="given_up"}'] == 1
    assert s['memberhub_webhook_deliveries{status="failed"}'] == 1
    assert s['memberhub_failed_jobs{kind="import"}'] == 1
    assert s['memberhub_failed_jobs{kind="webhook"}'] == 1
    assert s[
        'memberhub_scheduled_run_last_success_timestamp_seconds{task="reviews.nightly"}'
    ] == (pytest.approx(now.timestamp(), abs=1))
    assert "memberhub_reviews_unscored 0.0" in response.content.decode()


def test_task_duration_and_failures_are_counted_per_task(db, client):
    """Tasks run in-process here; a worker's own processes report them on CELERY_METRICS_PORT."""
    delivery = WebhookDeliveryFactory()  # to 127.0.0.1:9: the attempt fails, the task itself succeeds
    before = _series(client.get("/metrics").content.decode())
    key = 'memberhub_celery_task_duration_seconds_count{task="members.partners.deliver_webhook"}'

    deliver_webhook.delay(delivery.pk)

    after = _series(client.get("/metrics").content.decode())
    assert after[key] == before.get(key, 0) + 1
    failed = 'memberhub_webhook_delivery_attempts_total{outcome="failed"}'
    assert after[failed] == before.get(failed, 0) + 1


def test_a_failing_task_counts_as_a_failure(db, client):
    from celery import shared_task

    @shared_task(name="tests.members.operations.explode")
    def explode():
        raise RuntimeError("boom")

    key = 'memberhub_celery_task_failures_total{task="tests.members.operations.explode"}'
    before = _series(client.get("/metrics").content.decode()).get(key, 0)
    with pytest.raises(RuntimeError):
        explode.delay()
    assert _series(client.get("/metrics").content.decode())[key] == before + 1


def test_metrics_refuses_other_addresses_without_the_token(db, client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code
        == 403
    )
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200


def test_metrics_allows_a_configured_network(db, client, settings):
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
