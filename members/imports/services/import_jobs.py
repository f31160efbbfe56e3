"""Background CSV imports: create a job, run it once on a worker, record what it did.

The import itself is csv_import.import_csv_file, an idempotent upsert. That is what makes the
delivery guarantees simple: the broker may deliver a job's task more than once (a worker killed
mid-import has its task redelivered), and running the same file again only finishes the work.
A finished job (succeeded or failed) is never run again; "run again" makes a new job.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from members.imports.models import IMPORT_JOB_MAX_STORED_ERRORS, IMPORT_JOB_RUNNABLE_STATUSES
from members.imports.services.csv_import_encoding import AUTO, ENCODING_CHOICES
from members.models import ImportJob, ImportJobStatus, ImportKind
from members.task_queue import task_send

logger = logging.getLogger(__name__)

# Errors that say "the database went away", not "this file is bad": the task retries them.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
# What sending a task raises when Redis is down (kombu wraps connection errors in its OperationalError).
BROKER_UNAVAILABLE_ERRORS = (KombuOperationalError, RedisError)
# A job's own task is sent when its transaction commits; the sweep leaves it this long to get there.
IMPORT_JOB_SEND_GRACE = timedelta(seconds=30)
# A job queued this long after its task was sent has lost that task (a Redis restarted without its data).
IMPORT_JOB_RESEND_AFTER = timedelta(hours=1)


class ImportJobError(ValueError):
    """A job that cannot be created, with a reason a person can read."""


def import_job_create(*, kind: str, path: Path | str, created_by=None, encoding: str = AUTO) -> ImportJob:
    """Record a queued import of `path` (a CSV file of `kind`) and enqueue it once committed.

    The task is sent in transaction.on_commit, so a worker never looks for a job row that a
    caller's transaction has not committed (or has rolled back). Raises ImportJobError for an
    unknown kind or encoding (`encoding`: one of ENCODING_CHOICES, kept on the job so a retry or
    "Run again" reads the file the same way). The file is read by the worker, so it must be on the
    worker's disk.
    """
    if kind not in ImportKind.values:
        raise ImportJobError(f"Unknown import kind {kind!r}; expected one of {', '.join(ImportKind.values)}.")
    if encoding not in ENCODING_CHOICES:
        raise ImportJobError(f"Unknown encoding {encoding!r}; expected one of {', '.join(ENCODING_CHOICES)}.")
    job = ImportJob.objects.create(kind=kind, path=str(path), created_by=created_by, encoding=encoding)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def import_job_run_again(*, job_ids: list[int], created_by=None) -> list[ImportJob]:
    """Queue a new job for the same kind, file and encoding as each job in `job_ids`; old jobs keep their record."""
    sources = ImportJob.objects.filter(pk__in=job_ids).order_by("pk").only("kind", "path", "encoding")
    return [
        import_job_create(kind=job.kind, path=job.path, created_by=created_by, encoding=job.encoding)
        for job in sources
    ]


def import_job_run(*, job_id: int, task_id: str | None = None) -> ImportJob | None:
    """Run job `job_id` unless it has finished; return the job as recorded, or None if not run.

    Claims the job with a conditional UPDATE (queued or running -> running, attempts + 1), so a
    succeeded or failed job is never re-run however often its task is delivered. "Running" is
    claimable on purpose: it is what a worker killed mid-import leaves behind, and re-running
    the idempotent upsert completes that import. With `task_id` (the Celery task's id) a running
    job is claimable only by the same task: the broker hands that out again only once its worker
    is dead (memberhub/celery_broker.py) and a retry keeps it, while a second task for the job
    (a resend by import_jobs_enqueue_unsent) must not start a concurrent run. Errors in the file or
    the import are recorded on the job (status failed, `error` in words); database connection
    errors are re-raised so the task can retry later, leaving the job running for the retry to claim.
    """
    from members.imports.services.csv_import import import_csv_file

    runnable = Q(status__in=IMPORT_JOB_RUNNABLE_STATUSES)
    if task_id is not None:
        runnable = Q(status=ImportJobStatus.QUEUED) | Q(status=ImportJobStatus.RUNNING, task_id=task_id)
    claimed = ImportJob.objects.filter(runnable, id=job_id).update(
        status=ImportJobStatus.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now(), error="",
        task_id=task_id or "",
    )
    if claimed != 1:
        logger.info("Import job %s is finished or gone; not running it again.", job_id)
        return None
    job = ImportJob.objects.get(pk=job_id)
    try:
        report = import_csv_file(kind=job.kind, path=Path(job.path), encoding=job.encoding)
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception as exc:  # any other failure is this job's: recorded for a person to read
        logger.exception("Import job %s failed", job_id)
        return import_job_fail(job_id=job_id, error=_describe(exc, path=job.path))
    logger.info("Import job %s read %s as %s.", job_id, job.path, report.encoding_label)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJobStatus.SUCCEEDED,
        rows_total=report.rows_total,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
        encoding_used=report.encoding_label,
        errors=[{"line": e.line, "reason": e.reason} for e in report.errors[:IMPORT_JOB_MAX_STORED_ERRORS]],
        error="",
        finished_at=timezone.now(),
    )
    return ImportJob.objects.get(pk=job_id)


def import_job_fail(*, job_id: int, error: str) -> ImportJob | None:
    """Mark an unfinished job failed with `error` (words for a person); a finished job is left as is."""
    ImportJob.objects.filter(id=job_id, status__in=IMPORT_JOB_RUNNABLE_STATUSES).update(
        status=ImportJobStatus.FAILED, error=error, finished_at=timezone.now()
    )
    return ImportJob.objects.filter(pk=job_id).first()


def import_jobs_enqueue_unsent(*, now=None, grace: timedelta | None = None) -> list[int]:
    """Send the task of every queued job whose task never reached the broker; returns their ids.

    A job is committed before its task is sent, so a broker outage at that moment leaves a queued
    job with no task (enqueued_at empty; issue 13, D8). Jobs queued since IMPORT_JOB_RESEND_AFTER
    are sent again too: their task was lost with a Redis that kept no data. A second task for a job
    is harmless (import_job_run claims a job once). Runs from beat and when a worker starts.
    `grace` (default IMPORT_JOB_SEND_GRACE) leaves a just-created job to its own on-commit send.
    """
    now = now or timezone.now()
    grace = IMPORT_JOB_SEND_GRACE if grace is None else grace
    never_sent = Q(enqueued_at__isnull=True, created_at__lte=now - grace)
    lost = Q(enqueued_at__lt=now - IMPORT_JOB_RESEND_AFTER)
    job_ids = list(
        ImportJob.objects.filter(never_sent | lost, status=ImportJobStatus.QUEUED).order_by("pk").values_list("pk", flat=True)
    )
    return [job_id for job_id in job_ids if _enqueue(job_id)]


def _enqueue(job_id: int) -> bool:
    """Hand job `job_id`'s task to the broker and note when; False (job left for the sweep) if it is down."""
    try:
        # No result subscription: the job row is the result, and subscribing fails first when Redis is down.
        task_send("members.imports.run_job", (job_id,), ignore_result=True)
    except BROKER_UNAVAILABLE_ERRORS:
        logger.warning("Broker unreachable: import job %s stays queued and is sent once it is back.", job_id, exc_info=True)
        return False
    ImportJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    return True


def _describe(exc: Exception, *, path: str) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"The file {path} does not exist on the worker."
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a directory, not a CSV file."
    if isinstance(exc, PermissionError):
        return f"The worker may not read {path}."
    if isinstance(exc, UnicodeDecodeError):
        return f"{path} is not {exc.encoding.upper()} text (byte {exc.start} cannot be decoded)."
    if isinstance(exc, DatabaseError):
        return f"The database refused the import: {exc}".strip()
    return str(exc).strip() or type(exc).__name__
