"""Import jobs: enqueued after commit, claimed once, re-runnable only while unfinished, failures in words.

Tasks run in-process here (eager); tests/members/imports/workers/test_worker_kill.py runs a real worker.
"""

import csv
from pathlib import Path

import pytest
from django.db import OperationalError, transaction

from memberhub.celery import app as celery_app
from members.imports.models import IMPORT_JOB_MAX_STORED_ERRORS
from members.imports.services.csv_import import import_csv_file
from members.imports.services.csv_import_specs import SPECS
from members.imports.services.import_jobs import (
    ImportJobError,
    import_job_create,
    import_job_run,
    import_job_run_again,
)
from members.imports.tasks import IMPORT_JOB_MAX_RETRIES, run_import_job
from members.models import ImportJob, ImportJobStatus, Member

HEADER = SPECS["members"].header  # the members import contract


def _members_csv(path: Path, ids: list[str], bad_gender_ids: tuple[str, ...] = ()) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for external_id in ids:
            gender = "q" if external_id in bad_gender_ids else "f"
            writer.writerow(
                [
                    external_id,
                    f"{external_id}@example.com",
                    "Ada",
                    "2024-05-01",
                    "France",
                    "Lyon",
                    1990,
                    gender,
                    "active",
                    "1",
                    "",
                ]
            )
    return path


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    """Run tasks in this process whatever the environment says about a broker."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager retries run at once, in-process; a propagated error would stop them at the first one."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


@pytest.fixture
def members_csv(tmp_path):
    return _members_csv(tmp_path / "members.csv", ["A1", "A2", "A3", "A4"], bad_gender_ids=("A3",))


def test_a_job_is_enqueued_only_once_its_transaction_commits(
    db, members_csv, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job_create(kind="members", path=members_csv)

    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, Member.objects.count()) == (ImportJobStatus.QUEUED, 0, 0)

    callbacks[0]()

    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJobStatus.SUCCEEDED, 1)


def test_a_job_created_in_a_rolled_back_transaction_is_never_enqueued(
    db, members_csv, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        import_job_create(kind="members", path=members_csv)
        raise RuntimeError("the caller's work failed")

    assert callbacks == []
    assert not ImportJob.objects.exists()


def test_a_finished_import_records_its_report_on_the_job(
    db, members_csv, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(kind="members", path=members_csv, created_by=superuser)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED
    assert (job.rows_total, job.created, job.updated, job.unchanged, job.rejected) == (4, 3, 0, 0, 1)
    assert [error["line"] for error in job.errors] == [4]
    assert "gender" in job.errors[0]["reason"]
    assert job.error == ""
    assert job.created_by == superuser
    assert job.started_at <= job.finished_at
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2", "A4"}


def test_a_succeeded_job_is_not_run_again(db, members_csv):
    job = ImportJob.objects.create(kind="members", path=str(members_csv))
    import_job_run(job_id=job.pk)
    Member.objects.all().delete()

    assert import_job_run(job_id=job.pk) is None

    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJobStatus.SUCCEEDED, 1)
    assert Member.objects.count() == 0


def test_a_failed_job_is_not_run_again(db, tmp_path):
    job = ImportJob.objects.create(kind="members", path=str(tmp_path / "missing.csv"))
    import_job_run(job_id=job.pk)
    _members_csv(tmp_path / "missing.csv", ["B1"])

    assert import_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJobStatus.FAILED, 1)


def test_a_running_job_left_by_a_lost_worker_is_claimed_again_and_finished_without_duplicates(db, tmp_path):
    ids = ["C1", "C2", "C3"]
    path = _members_csv(tmp_path / "members.csv", ids)
    # What a killed worker leaves: the job claimed once, part of the file committed.
    import_csv_file(kind="members", path=_members_csv(tmp_path / "first_rows.csv", ids[:2]))
    job = ImportJob.objects.create(kind="members", path=str(path), status=ImportJobStatus.RUNNING, attempts=1)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJobStatus.SUCCEEDED, 2)
    assert (job.created, job.unchanged) == (1, 2)
    assert sorted(Member.objects.values_list("external_id", flat=True)) == ids


def test_a_missing_file_fails_the_job_naming_the_file(db, tmp_path):
    job = ImportJob.objects.create(kind="members", path=str(tmp_path / "nowhere.csv"))

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.error == f"The file {tmp_path / 'nowhere.csv'} does not exist on the worker."
    assert job.finished_at is not None


def test_a_file_lacking_columns_fails_the_job_with_the_importers_reason(db, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("external_id,email\nD1,d1@example.com\n")
    job = ImportJob.objects.create(kind="members", path=str(path))

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "joined_at" in job.error
    assert Member.objects.count() == 0


def test_only_the_first_row_errors_are_kept_but_all_are_counted(db, tmp_path):
    ids = [f"E{i}" for i in range(IMPORT_JOB_MAX_STORED_ERRORS + 5)]
    job = ImportJob.objects.create(
        kind="members", path=str(_members_csv(tmp_path / "bad.csv", ids, bad_gender_ids=tuple(ids)))
    )

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED
    assert job.rejected == IMPORT_JOB_MAX_STORED_ERRORS + 5
    assert len(job.errors) == IMPORT_JOB_MAX_STORED_ERRORS
    assert job.errors[0]["line"] == 2


def test_an_unknown_kind_is_refused_before_anything_is_queued(db, members_csv):
    with pytest.raises(ImportJobError, match="Unknown import kind 'customers'"):
        import_job_create(kind="customers", path=members_csv)

    assert not ImportJob.objects.exists()


def test_run_again_queues_a_new_job_for_the_same_file_and_keeps_the_old_one(
    db, members_csv, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = import_job_create(kind="members", path=members_csv)
        (second,) = import_job_run_again(job_ids=[first.pk], created_by=staff_user)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.pk != first.pk
    assert (second.kind, second.path, second.created_by) == ("members", str(members_csv), staff_user)
    assert (first.created, second.created, second.unchanged) == (3, 0, 3)


def test_the_task_retries_when_the_database_connection_drops(db, members_csv, monkeypatch, eager_retries):
    job = ImportJob.objects.create(kind="members", path=str(members_csv))
    calls = []

    def drop_connection_once(*, job_id, task_id):
        calls.append(job_id)
        if len(calls) == 1:
            # The claim happened; the connection dies mid-import, leaving the job running.
            ImportJob.objects.filter(pk=job_id).update(status=ImportJobStatus.RUNNING, attempts=1, task_id=task_id)
            raise OperationalError("server closed the connection unexpectedly")
        return import_job_run(job_id=job_id, task_id=task_id)  # a retry keeps its task id, so it may reclaim

    monkeypatch.setattr("members.imports.tasks.import_job_run", drop_connection_once)

    result = run_import_job.delay(job.pk).get()

    assert calls == [job.pk, job.pk]
    assert result == {"job_id": job.pk, "status": "succeeded", "attempts": 2}


def test_the_task_gives_up_after_its_retries_and_records_the_job_as_failed(
    db, members_csv, monkeypatch, eager_retries
):
    job = ImportJob.objects.create(kind="members", path=str(members_csv))
    calls = []

    def always_down(*, job_id, task_id):
        calls.append(job_id)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("members.imports.tasks.import_job_run", always_down)

    result = run_import_job.delay(job.pk)

    assert result.state == "FAILURE"
    assert isinstance(result.result, OperationalError)
    assert len(calls) == IMPORT_JOB_MAX_RETRIES + 1
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.error == f"Gave up after {IMPORT_JOB_MAX_RETRIES} retries: could not connect to server"


def test_an_unexpected_error_in_the_import_fails_the_job_with_its_message(db, members_csv, monkeypatch):
    def broken(*, kind, path, encoding):
        raise ValueError("Unknown import kind 'members'")

    monkeypatch.setattr("members.imports.services.csv_import.import_csv_file", broken)
    job = ImportJob.objects.create(kind="members", path=str(members_csv))

    result = run_import_job.delay(job.pk).get()

    job.refresh_from_db()
    assert result["status"] == "failed"
    assert job.error == "Unknown import kind 'members'"


def test_a_task_for_a_deleted_job_does_nothing(db):
    assert run_import_job.delay(987654).get() == {"job_id": 987654, "status": "skipped"}
