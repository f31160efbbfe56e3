"""Celery tasks: each takes ids, calls one service, and is safe to run more than once.

Tasks are acknowledged late and re-queued when their worker dies (memberhub/celery_settings.py),
so the broker may deliver any of them twice; the services they call make that harmless.
"""

import logging
from datetime import timedelta

from celery import Task, shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from members.imports.services.import_jobs import import_job_fail, import_job_run, import_jobs_enqueue_unsent

logger = logging.getLogger(__name__)

# Errors that pass: the database restarting, a dropped connection, Redis failing over.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError)
# 5 retries with backoff 1, 2, 4, 8, 16 s (jittered, capped) ride out a restart of either service.
IMPORT_JOB_MAX_RETRIES = 5


class ImportJobTask(Task):
    """Records a job as failed once its task has given up retrying, so it is not left "running"."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is None:
            return
        try:
            import_job_fail(job_id=job_id, error=f"Gave up after {self.request.retries} retries: {exc}")
        except Exception:  # the database may be the thing that is down
            logger.exception("Could not record import job %s as failed", job_id)


@shared_task(
    name="members.imports.run_job",
    base=ImportJobTask,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=IMPORT_JOB_MAX_RETRIES,
    bind=True,
)
def run_import_job(self, job_id: int) -> dict:
    """Run import job `job_id` (see import_job_run); returns its id, status and attempts."""
    job = import_job_run(job_id=job_id, task_id=self.request.id)
    if job is None:
        return {"job_id": job_id, "status": "skipped"}
    return {"job_id": job.pk, "status": job.status, "attempts": job.attempts}


@shared_task(name="members.imports.enqueue_unsent", ignore_result=True)
def enqueue_unsent_import_jobs(grace_seconds: float | None = None) -> dict:
    """Send the tasks of queued jobs whose task never reached the broker (import_jobs_enqueue_unsent).

    Beat runs it every minute (memberhub/celery_settings.py) and every worker sends it once when it starts, so a
    job recorded while Redis was down runs as soon as the broker and a worker are back.
    """
    grace = None if grace_seconds is None else timedelta(seconds=grace_seconds)
    return {"sent": import_jobs_enqueue_unsent(grace=grace)}


@worker_ready.connect
def _enqueue_unsent_import_jobs_on_start(sender, **kwargs) -> None:
    # No grace: a worker that was just started after an outage should not wait for the next beat.
    try:
        enqueue_unsent_import_jobs.delay(grace_seconds=0)
    except Exception:  # the broker went away again: beat's run a minute later does the same
        logger.warning("Could not send the import-job sweep at worker start", exc_info=True)
