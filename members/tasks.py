"""Celery tasks: each takes ids, calls one service, and is safe to run more than once.

Tasks are acknowledged late and re-queued when their worker dies (memberhub/celery_settings.py),
so the broker may deliver any of them twice; the services they call make that harmless.
"""

import logging

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from members.services.import_jobs import import_job_fail, import_job_run

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
    base=ImportJobTask,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=IMPORT_JOB_MAX_RETRIES,
    queue="default",
)
def run_import_job(job_id: int) -> dict:
    """Run import job `job_id` (see import_job_run); returns its id, status and attempts."""
    job = import_job_run(job_id=job_id)
    if job is None:
        return {"job_id": job_id, "status": "skipped"}
    return {"job_id": job.pk, "status": job.status, "attempts": job.attempts}
