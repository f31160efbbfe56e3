"""D8: `import_csv --background` while the broker is down keeps the job, and the job runs after recovery.

Before the fix the command committed the ImportJob, then failed to send its task and exited 1; the
job stayed "queued" for ever. Now the job is recorded without a task (enqueued_at empty), the
command says so and succeeds, and the next sweep (beat every minute, and every worker when it
starts) sends the task. Real processes: the command, the test's own redis-server, a worker.
"""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from members.imports.services.import_jobs import IMPORT_JOB_RESEND_AFTER, import_jobs_enqueue_unsent
from members.models import ImportJob, ImportJobStatus, Product
from tests.processes import REPO_ROOT, RedisServer, Workers, free_fault_port, wait_for, worker_env

PRODUCTS = "sku,title,description,category,brand,price,currency,active\nD8-1,Kettle,,Home,Acme,25,GBP,1\n"


@pytest.fixture
def down_broker(tmp_path):
    """A Redis that is not running yet, on a port of our own."""
    server = RedisServer(free_fault_port(), tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
def workers(transactional_db, tmp_path, down_broker):
    pool = Workers(tmp_path, worker_env(down_broker.url))
    yield pool
    pool.stop_all()


@pytest.mark.slow
def test_a_background_import_recorded_while_the_broker_is_down_runs_once_it_is_back(tmp_path: Path, down_broker, workers):
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres: the command and the worker must share the test database")
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(PRODUCTS)

    result = subprocess.run(
        [sys.executable, "manage.py", "import_csv", "products", str(csv_path), "--background"],
        cwd=REPO_ROOT, env=workers.env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    job = ImportJob.objects.get()
    assert "broker is unreachable" in result.stderr and f"import job {job.pk}" in result.stderr
    assert (job.status, job.enqueued_at) == (ImportJobStatus.QUEUED, None)

    down_broker.start()
    worker = workers.start()

    def finished():
        job.refresh_from_db()
        return job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)

    wait_for(finished, what="the recovered job to run", timeout=180, logs=workers.logs, interval=0.5)
    assert (job.status, job.attempts, job.created) == (ImportJobStatus.SUCCEEDED, 1, 1), job.error
    assert job.enqueued_at is not None
    assert Product.objects.filter(sku="D8-1").exists()
    assert worker.poll() is None


@pytest.mark.django_db
def test_the_sweep_sends_only_queued_jobs_without_a_task_or_with_a_lost_one(tmp_path: Path):
    """Which jobs the sweep sends (tasks run in-process here: CELERY_TASK_ALWAYS_EAGER)."""
    now = timezone.now()
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(PRODUCTS)

    def job(**fields) -> ImportJob:
        made = ImportJob.objects.create(kind="products", path=str(csv_path))
        ImportJob.objects.filter(pk=made.pk).update(**fields)
        return made

    never_sent = job(created_at=now - timedelta(minutes=5))
    just_created = job(created_at=now - timedelta(seconds=5))  # its own on-commit send may still be under way
    sent_recently = job(created_at=now - timedelta(minutes=5), enqueued_at=now - timedelta(minutes=5))
    lost = job(created_at=now - IMPORT_JOB_RESEND_AFTER * 2, enqueued_at=now - IMPORT_JOB_RESEND_AFTER * 2)
    running = job(created_at=now - timedelta(minutes=5), status=ImportJobStatus.RUNNING, started_at=now)

    assert import_jobs_enqueue_unsent(now=now) == [never_sent.pk, lost.pk]
    never_sent.refresh_from_db()
    assert never_sent.status == ImportJobStatus.SUCCEEDED and never_sent.enqueued_at is not None
    for untouched in (just_created, sent_recently, running):
        untouched.refresh_from_db()
        assert untouched.attempts == 0
    assert import_jobs_enqueue_unsent(now=now, grace=timedelta(0)) == [just_created.pk]
