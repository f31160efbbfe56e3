"""The staff System page: readiness, queues, nightly runs with durations, failed jobs with Retry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import (
    ImportJob,
    ImportJobStatus,
    ScheduledRun,
    ScheduledRunStatus,
    TrainingRun,
    TrainingRunStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from tests.factories import UserFactory
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db
URL = "/admin/system/"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _failures(n: int) -> None:
    now = timezone.now()
    for _ in range(n):
        i = ScheduledRun.objects.count()
        ImportJob.objects.create(
            kind="orders",
            path=f"/data/orders-{i}.csv",
            status=ImportJobStatus.FAILED,
            error=f"line 3: bad date {i}",
            finished_at=now,
        )
        TrainingRun.objects.create(
            task="sentiment",
            status=TrainingRunStatus.FAILED,
            error="CUDA out of memory",
            finished_at=now,
            parameters={"epochs": 2.0},
        )
        WebhookDeliveryFactory(
            status=WebhookDeliveryStatus.GIVEN_UP, last_error="HTTP 500", last_attempt_at=now
        )
        ScheduledRun.objects.create(
            task_name="members.predictions.refresh_step",
            task_id=f"f{i}",
            args=["churn", "2026-12-01", False],
            status=ScheduledRunStatus.FAILED,
            error="ValueError: no orders",
            started_at=now - timedelta(minutes=2),
            finished_at=now,
        )


def test_people_who_are_not_staff_are_sent_to_the_admin_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(UserFactory(username="shopper", is_staff=False))
    assert client.get(URL).status_code == 302


def test_the_page_shows_checks_queues_nightly_runs_and_failures(admin_client):
    _failures(1)
    ScheduledRun.objects.create(
        task_name="members.reviews.nightly",
        task_id="ok1",
        status=ScheduledRunStatus.SUCCEEDED,
        started_at=timezone.now() - timedelta(seconds=95),
        finished_at=timezone.now(),
    )
    html = admin_client.get(URL).content.decode()
    assert 'id="readiness-checks"' in html and "migrations" in html and "model_artifacts" in html
    assert 'id="queue-table"' in html and "<td>gpu</td>" in html
    assert "reviews.nightly" in html and "95.0 s" in html
    assert "predictions.refresh_step(churn)" in html and "120.0 s" in html
    assert "line 3: bad date 0" in html and "CUDA out of memory" in html and "HTTP 500" in html
    assert html.count(">Retry</button>") == 4


def test_the_query_count_does_not_grow_with_the_number_of_failures(admin_client, django_assert_num_queries):
    admin_client.get(URL)  # warm: the migration check keeps a clean result for the process
    _failures(3)
    # session, user, readiness (SELECT 1, active ModelVersions, active MemberModelVersions),
    # recent scheduled runs, failed imports, training runs, webhook deliveries (+ subscription
    # join), scheduled runs.
    with django_assert_num_queries(10):
        admin_client.get(URL)
    _failures(5)
    with django_assert_num_queries(10):
        admin_client.get(URL)


def test_retrying_each_kind_starts_it_again_and_keeps_the_old_record(admin_client):
    _failures(1)
    job, run = ImportJob.objects.get(), TrainingRun.objects.get()
    delivery, scheduled = WebhookDelivery.objects.get(), ScheduledRun.objects.get()

    for kind, pk in (
        ("import", job.pk),
        ("training", run.pk),
        ("webhook", delivery.pk),
        ("scheduled", scheduled.pk),
    ):
        response = admin_client.post(f"/admin/system/retry/{kind}/{pk}/", follow=True)
        assert response.status_code == 200
        assert (
            "queued again" in response.content.decode()
            or "sent again" in response.content.decode()
            or ("redelivered" in response.content.decode())
        )

    assert ImportJob.objects.filter(status=ImportJobStatus.QUEUED, path=job.path).count() == 1
    assert (
        TrainingRun.objects.filter(status=TrainingRunStatus.QUEUED, parameters={"epochs": 2.0}).count() == 1
    )
    copy = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert copy.event_id == delivery.event_id and copy.status == WebhookDeliveryStatus.PENDING
    scheduled.refresh_from_db()
    assert scheduled.retried_at is not None
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED  # the old record stays as it was


def test_a_scheduled_run_is_retried_once_however_often_the_button_is_pressed(admin_client):
    _failures(1)
    scheduled = ScheduledRun.objects.get()
    admin_client.post(f"/admin/system/retry/scheduled/{scheduled.pk}/")
    response = admin_client.post(f"/admin/system/retry/scheduled/{scheduled.pk}/", follow=True)
    assert "not a failed run waiting for a retry" in response.content.decode()


def test_retry_refuses_rows_that_did_not_fail(admin_client):
    job = ImportJob.objects.create(
        kind="orders", path="/ok.csv", status=ImportJobStatus.SUCCEEDED, finished_at=timezone.now()
    )
    response = admin_client.post(f"/admin/system/retry/import/{job.pk}/", follow=True)
    assert "is not a failed import" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_retry_needs_the_permission_for_that_kind(client, operations_user):
    _failures(1)
    client.force_login(operations_user)
    html = client.get(URL).content.decode()
    assert html.count(">Retry</button>") == 2  # imports and scheduled runs; not training or webhooks
    run, job = TrainingRun.objects.get(), ImportJob.objects.get()
    assert client.post(f"/admin/system/retry/training/{run.pk}/").status_code == 403
    assert client.get(f"/admin/system/retry/import/{job.pk}/").status_code == 405
    assert client.post(f"/admin/system/retry/import/{job.pk}/").status_code == 302
    assert ImportJob.objects.filter(status=ImportJobStatus.QUEUED).count() == 1


def test_the_admin_index_links_to_the_system_page(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/system/"' in html
