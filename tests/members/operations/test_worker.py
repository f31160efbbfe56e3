"""With a real Celery worker process on the test's Redis: its heartbeat makes /readyz's worker
check pass (and its clean stop makes it fail), and a request's id follows the task it enqueued
into the worker's JSON log line. The delivery it sends verifies with the standardwebhooks library."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from memberhub.observability import workers
from members.models import WebhookDelivery, WebhookDeliveryStatus
from tests.members.operations.logs import json_log_lines
from tests.members.partners.webhooks.conftest import (  # noqa: F401
    WebhookDeliveryFactory,
    WebhookSubscriptionFactory,
    receiver,
)
from tests.processes import worker_env

REPO_ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 90  # seconds for any one wait
WORKER_NAME = "ops-test@localhost"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _worker_env() -> dict[str, str]:
    return worker_env(_redis_url(), LOG_FORMAT="json", WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32")


def _wait_for(condition, *, what: str, log: Path):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"Timed out waiting for {what}. Worker log:\n{log.read_text()[-4000:]}")


@pytest.fixture
def worker(tmp_path, transactional_db):
    client = workers.redis_client(_redis_url())
    client.delete("default", workers.HEARTBEAT_PREFIX + WORKER_NAME)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "memberhub",
                "worker",
                "-Q",
                "default",
                "-n",
                WORKER_NAME,
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=REPO_ROOT,
            env=_worker_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, log, client
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        client.close()




@pytest.mark.slow
def test_request_id_follows_into_the_worker_and_readiness_tracks_the_worker(
    worker,
    receiver,  # noqa: F811  (the fixture imported above)
    client,
    superuser,
    settings,
    tasks_to_broker,
):
    process, log, redis_client = worker
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.READYZ_QUEUES = ["default"]
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]

    heartbeat = workers.HEARTBEAT_PREFIX + WORKER_NAME
    _wait_for(lambda: redis_client.exists(heartbeat), what="the worker's heartbeat", log=log)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"]["workers"]["detail"] == "default: 1"

    subscription = WebhookSubscriptionFactory(url=receiver.url)
    failed = WebhookDeliveryFactory(subscription=subscription, status=WebhookDeliveryStatus.GIVEN_UP)
    client.force_login(superuser)
    with json_log_lines("memberhub.request") as request_lines:
        response = client.post(f"/admin/system/retry/webhook/{failed.pk}/", HTTP_X_REQUEST_ID="req-worker-1")
    assert response.status_code == 302
    assert [line["request_id"] for line in request_lines] == ["req-worker-1"]

    copy = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    _wait_for(lambda: receiver.requests, what="the delivery at the receiver", log=log)
    [received] = receiver.requests
    assert Webhook(subscription.secret).verify(received.body, received.headers)["id"] == str(copy.event_id)

    def task_lines():
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        return [
            line
            for line in lines
            if line.get("task_name") == "members.partners.deliver_webhook"
            and "finished" in line.get("message", "")
        ]

    [task_line] = _wait_for(task_lines, what="the task's log line", log=log)
    assert task_line["request_id"] == "req-worker-1"
    assert task_line["task_id"] and task_line["level"] == "INFO"

    os.killpg(process.pid, signal.SIGTERM)  # a clean stop removes the heartbeat at once
    process.wait(timeout=30)
    assert not redis_client.exists(heartbeat)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["failing"] == ["workers"]
