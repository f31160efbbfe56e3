"""Every request gets an id, returned in X-Request-ID and written on its JSON log line together
with the caller; a task the request enqueues logs the same id (in-process here; across processes
with a real worker in tests/members/operations/test_worker.py)."""

import re

import pytest

from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import api_key_create
from tests.members.operations.logs import json_log_lines
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


def test_a_given_request_id_is_returned_and_logged(client):
    with json_log_lines("memberhub.request") as lines:
        response = client.get("/admin/login/", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"
    [line] = lines
    assert line["request_id"] == "lb-7f3a.42"
    assert line["status"] == 200 and line["method"] == "GET" and line["path"] == "/admin/login/"
    assert line["view"] == "admin:login"
    assert line["level"] == "INFO" and line["logger"] == "memberhub.request"
    assert isinstance(line["duration_ms"], float)


def test_an_id_is_generated_when_none_or_an_unsafe_one_is_given(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="evil\nINFO forged line")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_the_log_line_names_the_signed_in_user(client, superuser):
    client.force_login(superuser)
    with json_log_lines("memberhub.request") as lines:
        client.get("/admin/")
    assert lines[0]["actor"] == "user:admin"


def test_the_log_line_names_the_api_keys_prefix(client):
    issued = api_key_create(name="partner", scopes=list(ALL_SCOPES))
    with json_log_lines("memberhub.request") as lines:
        response = client.get("/api/v1/members/", HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    assert response.status_code == 200
    assert lines[0]["actor"] == f"key:{issued.api_key.prefix}"


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_by_the_request_logs_its_request_id(client, superuser):
    """Committed for real, so the task is sent (and here run) during the request, as in production."""
    delivery = WebhookDeliveryFactory(status="given_up")
    client.force_login(superuser)
    with json_log_lines() as lines:
        client.post(f"/admin/system/retry/webhook/{delivery.pk}/", HTTP_X_REQUEST_ID="req-retry-1")
    task_lines = [line for line in lines if line.get("task_name") == "members.partners.deliver_webhook"]
    assert task_lines, lines
    assert {line["request_id"] for line in task_lines} == {"req-retry-1"}
    assert all(line["task_id"] for line in task_lines)
