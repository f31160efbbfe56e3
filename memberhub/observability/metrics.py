"""Prometheus metrics (prometheus-client). docs/operations.md lists each series and its alerts.

Two kinds:
- Events counted where they happen (request latency in the web processes; task durations,
  failures, reviews scored and webhook attempts in the worker processes). Under gunicorn and
  Celery's prefork pool these live in many processes: set PROMETHEUS_MULTIPROC_DIR (an empty
  directory per container) and each process writes its samples there; /metrics (web) and the
  worker's metrics port (CELERY_METRICS_PORT) add them up.
- State read at scrape time from Postgres and Redis (queue depth, live workers, active model
  versions, webhook deliveries failing, import speed, unscored reviews, last nightly runs), so
  every web process answers the same, whichever one is scraped (see members/operations/selectors.py).
"""

import hmac
import ipaddress
import os

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client writes there as soon as a metric is defined; make sure the folder exists.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

# Seconds; web requests are mostly fast, tasks run from milliseconds to hours (training).
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
TASK_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)

REQUEST_DURATION = Histogram(
    "memberhub_http_request_duration_seconds",
    "Time to answer a web/API request, by Django view name, method and status code.",
    ["view", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
TASK_DURATION = Histogram(
    "memberhub_celery_task_duration_seconds",
    "Run time of Celery tasks by task name (its _count is the number of tasks run).",
    ["task"],
    buckets=TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "memberhub_celery_task_failures",
    "Celery tasks that ended with an exception, by task name.",
    ["task"],
)
REVIEWS_SCORED = Counter("memberhub_reviews_scored", "Reviews scored by the sentiment/topic/entity models.")
SCORING_SECONDS = Counter("memberhub_scoring_seconds", "Time spent scoring reviews (for reviews per second).")
WEBHOOK_ATTEMPTS = Counter(
    "memberhub_webhook_delivery_attempts",
    "Webhook delivery tasks by outcome: succeeded, given_up (last attempt failed), retried (an attempt "
    "failed and is scheduled again), failed (failed, in-process mode without retries).",
    ["outcome"],
)


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUEST_DURATION.labels(view=view, method=method, status=str(status)).observe(seconds)


def observe_task(*, task: str, seconds: float) -> None:
    TASK_DURATION.labels(task=task).observe(seconds)


def observe_task_failure(*, task: str) -> None:
    TASK_FAILURES.labels(task=task).inc()


def observe_scoring(*, reviews: int, seconds: float) -> None:
    REVIEWS_SCORED.inc(reviews)
    SCORING_SECONDS.inc(seconds)


def observe_webhook_attempt(*, outcome: str) -> None:
    if outcome in ("succeeded", "failed", "given_up", "retried"):
        WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()


def event_metrics_text() -> bytes:
    """The counted metrics of this process, or of all processes sharing PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class StateCollector:
    """Gauges computed at scrape time from Postgres and Redis (members/operations/selectors.py)."""

    def collect(self):
        from members.operations.selectors import operations_snapshot

        snap = operations_snapshot()
        queue = GaugeMetricFamily(
            "memberhub_celery_queue_length",
            "Tasks waiting in each Celery queue (broker list length).",
            labels=["queue"],
        )
        workers = GaugeMetricFamily(
            "memberhub_celery_workers",
            "Workers with a recent heartbeat consuming each queue.",
            labels=["queue"],
        )
        for name, length in snap.queue_lengths.items():
            queue.add_metric([name], length)
        for name, hostnames in snap.workers_by_queue.items():
            workers.add_metric([name], len(hostnames))
        models = GaugeMetricFamily(
            "memberhub_model_version_active",
            "1 for each model version that is serving now (label version), per model kind.",
            labels=["kind", "version"],
        )
        for kind, version in snap.active_model_versions:
            models.add_metric([kind, version], 1)
        webhooks = GaugeMetricFamily(
            "memberhub_webhook_deliveries",
            "Webhook deliveries by status: failed = waiting for a retry, given_up = all attempts failed "
            "(cumulative), pending = not attempted yet.",
            labels=["status"],
        )
        for status, count in snap.webhook_deliveries.items():
            webhooks.add_metric([status], count)
        imports = GaugeMetricFamily(
            "memberhub_import_rows_per_second",
            "Rows per second of the latest finished CSV import of each kind.",
            labels=["kind"],
        )
        for kind, rate in snap.import_rows_per_second.items():
            imports.add_metric([kind], rate)
        unscored = GaugeMetricFamily("memberhub_reviews_unscored", "Reviews waiting to be scored.")
        unscored.add_metric([], snap.reviews_unscored)
        nightly = GaugeMetricFamily(
            "memberhub_scheduled_run_last_success_timestamp_seconds",
            "Unix time when each scheduled (nightly) task last finished successfully.",
            labels=["task"],
        )
        for task, finished_at in snap.last_scheduled_success.items():
            nightly.add_metric([task], finished_at)
        failed = GaugeMetricFamily(
            "memberhub_failed_jobs",
            "Failed jobs of the last 24 hours by kind (import, training, webhook, scheduled); "
            "the System page lists them.",
            labels=["kind"],
        )
        for kind, count in snap.failed_last_24h.items():
            failed.add_metric([kind], count)
        yield from (queue, workers, models, webhooks, imports, unscored, nightly, failed)


def state_metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector())
    return generate_latest(registry)


def metrics_access_allowed(request) -> bool:
    """A scraper gets in with `Authorization: Bearer <METRICS_TOKEN>` (when one is set) or from an
    address in METRICS_ALLOWED_NETWORKS (default: this host only). REMOTE_ADDR is the direct peer:
    behind a proxy, scrape the containers directly or use the token."""
    from django.conf import settings

    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics_view(request):
    if not metrics_access_allowed(request):
        return HttpResponse(
            "Forbidden: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS (docs/operations.md).\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(event_metrics_text() + state_metrics_text(), content_type=CONTENT_TYPE_LATEST)
