"""A worker SIGKILLed mid-import loses nothing and duplicates nothing: another worker finishes the job.

Everything here is real: a Celery worker process (prefork) on the local Redis, importing into the
test's Postgres database. Tasks are acknowledged late, so the killed worker's task stays in Redis's
unacknowledged set; once the (here shortened) visibility timeout has passed, the next worker
restores it and runs it again. The import commits batch by batch, so the kill leaves some batches
in the table; the re-run is an idempotent upsert, so it only adds what is missing.
"""

import csv
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.apps import apps
from django.db import connection

from members.imports.services.csv_import import BATCH_SIZE
from members.imports.services.csv_import_specs import SPECS
from members.models import ImportJob, ImportJobStatus, Member
from tests.processes import REPO_ROOT, Workers, wait_for, worker_env

# Two batches (each its own transaction): the kill lands after the first commits, before the second.
ROWS = 2 * BATCH_SIZE
# Seconds before Redis hands an unacknowledged task to another worker (production: hours).
VISIBILITY_TIMEOUT = 5
DEADLINE = 90  # seconds for any one wait; the whole test takes 20 to 40
IMPORT_COLUMNS = SPECS["members"].header  # the members import contract


def _redis_url() -> str:
    """The test run's own Redis database (each run has its own REDIS_URL); the test empties it."""
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _worker_env() -> dict[str, str]:
    return worker_env(_redis_url(), CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))


def _write_members_csv(path: Path, rows: int) -> set[str]:
    ids = [f"K{i:07d}" for i in range(rows)]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(IMPORT_COLUMNS)
        for i, external_id in enumerate(ids):
            writer.writerow(
                [
                    external_id,
                    f"k{i}@example.com",
                    f"Member {i}",
                    "2024-03-01T09:30:00Z",
                    "United Kingdom",
                    "Leeds",
                    1950 + i % 50,
                    "fmx"[i % 3],
                    "active",
                    i % 2,
                    "",
                ]
            )
    return set(ids)


@pytest.fixture
def clean_redis():
    client = redis.Redis.from_url(_redis_url())
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def tier_ladder(transactional_db):
    """The default tier ladder (new members join its lowest tier), as migration 0002 creates it.

    A transactional test starts from whatever the previous one left: after a flush that is no
    tiers. serialized_rollback would restore them but then skip post_migrate on its own flush,
    leaving later transactional tests without the staff groups.
    """
    ladder = importlib.import_module("members.migrations.0002_default_tier_ladder")
    ladder.create_ladder(apps, None)


@pytest.fixture
def workers(tmp_path, clean_redis, tier_ladder):
    # Depends on the database (via tier_ladder), so the workers stop before the tables are flushed.
    pool = Workers(tmp_path, _worker_env())
    yield pool
    pool.stop_all()


def _enqueue_import_job(path: Path) -> int:
    """Create the job as the app would, in a process of its own: it commits, then sends the task to Redis."""
    code = (
        "from members.imports.services.import_jobs import import_job_create; "
        f"print(import_job_create(kind='members', path={str(path)!r}).pk)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        check=False,
        cwd=REPO_ROOT,
        env=_worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_finishes_an_import_whose_worker_was_killed_without_duplicates(tmp_path, workers):
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres: the worker process must share the test database")
    expected_ids = _write_members_csv(tmp_path / "members.csv", ROWS)
    started = time.monotonic()

    first = workers.start("--without-heartbeat")
    job_id = _enqueue_import_job(tmp_path / "members.csv")

    # Killed once the first batch is committed and the rest is still being imported.
    def first_batch_in_and_still_running():
        count = Member.objects.count()
        return (
            0 < count < ROWS and ImportJob.objects.get(pk=job_id).status == ImportJobStatus.RUNNING and count
        )

    rows_at_kill = wait_for(
        first_batch_in_and_still_running,
        what="the first batch to commit",
        timeout=DEADLINE,
        logs=workers.logs,
    )
    workers.kill(first)
    assert ImportJob.objects.get(pk=job_id).status == ImportJobStatus.RUNNING
    assert Member.objects.count() < ROWS

    workers.start("--without-heartbeat")

    def job_finished():
        job = ImportJob.objects.get(pk=job_id)
        return job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED) and job

    job = wait_for(
        job_finished, what="the second worker to finish the job", timeout=DEADLINE, logs=workers.logs
    )
    elapsed = time.monotonic() - started

    assert job.status == ImportJobStatus.SUCCEEDED, job.error
    assert job.attempts == 2
    assert set(Member.objects.values_list("external_id", flat=True)) == expected_ids
    assert Member.objects.count() == ROWS
    # The second run saw the first run's committed batches as already there.
    assert job.rows_total == ROWS
    assert job.unchanged >= rows_at_kill and job.created == ROWS - job.unchanged
    assert (job.rejected, job.updated) == (0, 0)
    print(f"worker-kill: {ROWS} rows, killed at {rows_at_kill} committed, finished in {elapsed:.1f}s")
