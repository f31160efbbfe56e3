"""Celery signal handlers: ids on log lines, task metrics, nightly-run records, worker heartbeats.

Connected by importing this module from memberhub/celery.py.
- setup_logging: workers log with Django's LOGGING (JSON in production) instead of Celery's own
  plain-text setup, so web and worker lines look alike.
- before_task_publish: the enqueuing request's (or task's) request id travels in a message header.
- task_prerun/postrun/failure: the task id, name and that request id are set for the task's log
  lines; its duration and failure are counted; scheduled tasks get a ScheduledRun row.
- worker_ready/worker_shutdown: the heartbeat that /readyz and the metrics read (workers.py), and
  the worker's own metrics port when CELERY_METRICS_PORT is set.
"""

import logging
import logging.config
import os
import threading
import time

from celery import signals

from memberhub.observability import metrics, workers
from memberhub.observability.context import (
    REQUEST_ID_HEADER,
    request_id_var,
    task_id_var,
    task_name_var,
)

logger = logging.getLogger(__name__)

# task id -> (perf_counter at start, context tokens), for the task running in this process.
_running: dict[str, tuple[float, tuple]] = {}
_heartbeat_stop = threading.Event()
_heartbeat_key: tuple[str, str] | None = None  # (broker URL, hostname) of this worker


@signals.setup_logging.connect
def configure_worker_logging(**kwargs) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def add_request_id_header(headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers[REQUEST_ID_HEADER] = request_id


def _incoming_request_id(task) -> str | None:
    request = task.request
    value = getattr(request, REQUEST_ID_HEADER, None)
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(REQUEST_ID_HEADER)
    # Run in-process (eager), the task shares the caller's context and its request id.
    return value or request_id_var.get()


@signals.task_prerun.connect
def task_started(task_id=None, task=None, args=None, **kwargs) -> None:
    tokens = (
        request_id_var.set(_incoming_request_id(task)),
        task_id_var.set(task_id),
        task_name_var.set(task.name),
    )
    _running[task_id] = (time.perf_counter(), tokens)
    _record_scheduled(
        task.name,
        lambda svc: svc.scheduled_run_started(task_id=task_id, task_name=task.name, args=list(args or [])),
    )


@signals.task_failure.connect
def task_failed(task_id=None, sender=None, exception=None, **kwargs) -> None:
    name = getattr(sender, "name", "")
    error = f"{type(exception).__name__}: {exception}"
    metrics.observe_task_failure(task=name)
    _record_scheduled(name, lambda svc: svc.scheduled_run_finished(task_id=task_id, error=error))


# Tasks whose return value feeds a metric: review scoring (its dict's "scored") and webhook
# attempts (its "outcome"). Read from the result so the services stay free of metrics code.
SCORING_TASKS = frozenset(
    {"members.reviews.score_batch", "members.reviews.score_pending", "members.reviews.nightly"}
)
WEBHOOK_TASK = "members.partners.deliver_webhook"


@signals.task_postrun.connect
def task_finished(task_id=None, task=None, state=None, retval=None, **kwargs) -> None:
    started, tokens = _running.pop(task_id, (None, ()))
    if started is not None:
        seconds = time.perf_counter() - started
        metrics.observe_task(task=task.name, seconds=seconds)
        if state == "SUCCESS" and isinstance(retval, dict):
            if task.name in SCORING_TASKS and retval.get("scored"):
                metrics.observe_scoring(reviews=int(retval["scored"]), seconds=seconds)
            elif task.name == WEBHOOK_TASK:
                metrics.observe_webhook_attempt(outcome=str(retval.get("outcome", "")))
        elif state == "RETRY" and task.name == WEBHOOK_TASK:
            # A failed attempt scheduled its retry (or the database hiccupped: also retried).
            metrics.observe_webhook_attempt(outcome="retried")
    if state == "SUCCESS":
        _record_scheduled(task.name, lambda svc: svc.scheduled_run_finished(task_id=task_id))
    elif state is None:
        # Run in-process with CELERY_TASK_EAGER_PROPAGATES, a task's exception goes straight to the
        # caller and Celery sends no task_failure: record the failure here instead.
        metrics.observe_task_failure(task=task.name)
        _record_scheduled(
            task.name,
            lambda svc: svc.scheduled_run_finished(
                task_id=task_id, error="Failed in-process; the caller got the exception."
            ),
        )
    if started is not None:
        # Celery's own "succeeded in" line comes after the ids are gone; this one carries them.
        logger.info(
            "Task %s finished: %s in %.3f s",
            task.name,
            state,
            seconds,
            extra={"state": state, "duration_s": round(seconds, 3)},
        )
    for token in reversed(tokens):
        token.var.reset(token)


def _record_scheduled(task_name: str, write) -> None:
    """Write a ScheduledRun change for scheduled tasks; a failed write is logged, never raised
    into the task (the record is for people, the task's own work matters more)."""
    from members.operations.services import scheduled_runs

    if task_name not in scheduled_runs.recorded_task_names():
        return
    try:
        write(scheduled_runs)
    except Exception:
        logger.exception("Could not record the scheduled run of %s", task_name)


@signals.worker_ready.connect
def worker_started(sender=None, **kwargs) -> None:
    global _heartbeat_key
    from django.conf import settings

    queues = [queue.name for queue in sender.task_consumer.queues]
    hostname = sender.hostname
    url = settings.CELERY_BROKER_URL
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        _heartbeat_key = (url, hostname)
        _heartbeat_stop.clear()
        threading.Thread(
            target=_heartbeat_loop, args=(url, hostname, queues), name="memberhub-heartbeat", daemon=True
        ).start()
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        start_http_server(int(port), registry=registry)
        logger.info("Worker metrics on port %s", port)


@signals.worker_shutdown.connect
def worker_stopping(sender=None, **kwargs) -> None:
    """A worker stopping cleanly says so at once, rather than when its heartbeat gets old."""
    _heartbeat_stop.set()
    if _heartbeat_key is not None:
        url, hostname = _heartbeat_key
        try:
            workers.heartbeat_delete(workers.redis_client(url), hostname=hostname)
        except Exception as exc:
            logger.warning("Worker heartbeat not removed: %s", exc)


def _heartbeat_loop(url: str, hostname: str, queues: list[str]) -> None:
    """Every HEARTBEAT_EVERY seconds: 'this worker consumes these queues'. Redis trouble is logged
    and retried at the next beat; worker_stopping removes the key on a clean shutdown."""
    client = workers.redis_client(url)
    while not _heartbeat_stop.is_set():
        try:
            workers.heartbeat_write(client, hostname=hostname, queues=queues)
        except Exception as exc:
            logger.warning("Worker heartbeat not written: %s", exc)
        _heartbeat_stop.wait(workers.HEARTBEAT_EVERY)
