"""Runs of the scheduled tasks are recorded by the Celery signals: start, finish, failure."""

import pytest

from members.models import ScheduledRun, ScheduledRunStatus
from members.operations.services.scheduled_runs import recorded_task_names
from members.partners.tasks import deliver_webhook
from members.reviews import tasks as ml_tasks
from members.reviews.services import nightly

pytestmark = pytest.mark.django_db


def test_the_nightly_tasks_and_refresh_steps_are_the_recorded_ones():
    names = recorded_task_names()
    assert {
        "members.reviews.nightly",
        "members.predictions.refresh_nightly",
        "members.predictions.refresh_step",
    } <= names
    assert "members.partners.deliver_webhook" not in names
    assert "members.imports.enqueue_unsent" not in names  # a once-a-minute sweep, not a nightly run


def test_a_nightly_run_is_recorded_with_its_duration():
    result = ml_tasks.review_intelligence_nightly.delay()
    run = ScheduledRun.objects.get()
    assert run.task_id == result.id
    assert run.task_name == "members.reviews.nightly"
    assert run.status == ScheduledRunStatus.SUCCEEDED
    assert run.duration_seconds is not None and run.duration_seconds >= 0


def test_a_failed_nightly_run_is_recorded_as_failed(monkeypatch):
    def broken():
        raise RuntimeError("drift query timed out")

    monkeypatch.setattr(nightly, "retrain_reason", broken)
    with pytest.raises(RuntimeError):
        ml_tasks.review_intelligence_nightly.delay()
    run = ScheduledRun.objects.get()
    assert run.status == ScheduledRunStatus.FAILED
    assert run.error and run.finished_at is not None


def test_other_tasks_leave_no_scheduled_run():
    deliver_webhook.delay(999_999)  # no such delivery: skipped
    assert not ScheduledRun.objects.exists()
