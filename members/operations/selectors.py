"""Reads for operations: the state behind /metrics, /readyz and the staff System page.

Each figure is one aggregate query (or one Redis round trip); nothing loops over rows. Queue
depths and live workers come from the Redis broker; with no broker (first-run mode, tasks run
in-process) they are empty.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from memberhub.observability import workers
from members.models import (
    ImportJob,
    ImportJobStatus,
    MemberModelVersion,
    ModelVersion,
    ModelVersionStatus,
    Review,
    ScheduledRun,
    ScheduledRunStatus,
    TrainingRun,
    TrainingRunStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)

FAILED_WINDOW = timedelta(hours=24)
FAILED_LIST_LIMIT = 20  # rows per kind on the System page
NIGHTLY_LIST_LIMIT = 20
# The latest succeeded imports looked at for each kind's speed (imports are few: a handful a day).
IMPORT_JOBS_SCANNED = 50


def queue_names() -> list[str]:
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


def broker_redis_url() -> str | None:
    """The broker's URL when it is Redis (queue depths and heartbeats are read there), else None."""
    url = settings.CELERY_BROKER_URL
    if (
        settings.CELERY_TASK_ALWAYS_EAGER
        or not url
        or not url.startswith(("redis://", "rediss://", "unix://"))
    ):
        return None
    return url


def broker_state() -> tuple[dict[str, int], dict[str, list[str]]]:
    """({queue: waiting tasks}, {queue: live worker hostnames}); empty without a Redis broker."""
    url = broker_redis_url()
    if url is None:
        return {}, {}
    client = workers.redis_client(url)
    try:
        lengths = workers.queue_lengths(client, queues=queue_names())
        live = workers.live_workers_by_queue(client, max_age=settings.READYZ_WORKER_MAX_AGE)
    finally:
        client.close()
    return lengths, live


def artifact_path(raw: str) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else Path(settings.MEMBERHUB_ARTIFACT_DIR) / path


def active_model_artifacts() -> list[tuple[str, str, str]]:
    """(kind, version label, artifact path) of every model version serving now; two queries."""
    rows = [
        (version.task, version.label, version.artifact_path)
        for version in ModelVersion.objects.filter(status=ModelVersionStatus.ACTIVE).only(
            "task", "version", "artifact_path"
        )
    ]
    rows += [
        (kind, f"{kind}-v{version}", path)
        for kind, version, path in MemberModelVersion.objects.filter(active=True)
        .order_by("kind")
        .values_list("kind", "version", "artifact_path")
    ]
    return rows


def webhook_delivery_counts() -> dict[str, int]:
    """Deliveries waiting (pending), failing and awaiting a retry (failed), and given up (all time)."""
    wanted = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.GIVEN_UP)
    counts = dict(
        WebhookDelivery.objects.filter(status__in=wanted)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {str(status): counts.get(status, 0) for status in wanted}


def import_rows_per_second() -> dict[str, float]:
    """Rows per second of the latest succeeded import of each kind (one query over the latest jobs)."""
    jobs = (
        ImportJob.objects.filter(
            status=ImportJobStatus.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False
        )
        .order_by("-finished_at", "-id")
        .values_list("kind", "rows_total", "started_at", "finished_at")[:IMPORT_JOBS_SCANNED]
    )
    rates: dict[str, float] = {}
    for kind, rows, started, finished in jobs:
        if kind in rates:
            continue
        seconds = (finished - started).total_seconds()
        rates[kind] = round(rows / seconds, 1) if seconds > 0 else 0.0
    return rates


def last_scheduled_success() -> dict[str, float]:
    """{task name (with the refresh step): Unix time of its last successful finish}."""
    rows = (
        ScheduledRun.objects.filter(status=ScheduledRunStatus.SUCCEEDED)
        .order_by()
        .values("task_name", "args")
        .annotate(last=Max("finished_at"))
    )
    result: dict[str, float] = {}
    for row in rows:
        label = ScheduledRun(task_name=row["task_name"], args=row["args"]).label
        result[label] = max(result.get(label, 0.0), row["last"].timestamp())
    return result


def failed_counts(*, since) -> dict[str, int]:
    """Failures since `since` per kind; four counts."""
    return {
        "import": ImportJob.objects.filter(status=ImportJobStatus.FAILED, finished_at__gte=since).count(),
        "training": TrainingRun.objects.filter(
            status=TrainingRunStatus.FAILED, finished_at__gte=since
        ).count(),
        "webhook": WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.GIVEN_UP, last_attempt_at__gte=since
        ).count(),
        "scheduled": ScheduledRun.objects.filter(
            status=ScheduledRunStatus.FAILED, finished_at__gte=since
        ).count(),
    }


@dataclass
class OperationsSnapshot:
    queue_lengths: dict[str, int] = field(default_factory=dict)
    workers_by_queue: dict[str, list[str]] = field(default_factory=dict)
    active_model_versions: list[tuple[str, str]] = field(default_factory=list)
    webhook_deliveries: dict[str, int] = field(default_factory=dict)
    import_rows_per_second: dict[str, float] = field(default_factory=dict)
    reviews_unscored: int = 0
    last_scheduled_success: dict[str, float] = field(default_factory=dict)
    failed_last_24h: dict[str, int] = field(default_factory=dict)


def operations_snapshot() -> OperationsSnapshot:
    """Everything /metrics reports at scrape time (about ten queries and one Redis round trip)."""
    lengths, live = broker_state()
    return OperationsSnapshot(
        queue_lengths=lengths,
        workers_by_queue=live,
        active_model_versions=[(kind, label) for kind, label, _ in active_model_artifacts()],
        webhook_deliveries=webhook_delivery_counts(),
        import_rows_per_second=import_rows_per_second(),
        reviews_unscored=Review.objects.filter(scored_at__isnull=True).count(),
        last_scheduled_success=last_scheduled_success(),
        failed_last_24h=failed_counts(since=timezone.now() - FAILED_WINDOW),
    )


# ---- the System page ----------------------------------------------------------------------------


@dataclass
class FailedJobs:
    imports: list
    training_runs: list
    webhook_deliveries: list
    scheduled_runs: list


def failed_jobs(*, limit: int = FAILED_LIST_LIMIT) -> FailedJobs:
    """The latest failures of each kind, newest first; four queries whatever `limit`."""
    return FailedJobs(
        imports=list(
            ImportJob.objects.filter(status=ImportJobStatus.FAILED)
            .order_by("-finished_at", "-id")
            .only("kind", "path", "error", "finished_at", "status")[:limit]
        ),
        training_runs=list(
            TrainingRun.objects.filter(status=TrainingRunStatus.FAILED)
            .order_by("-finished_at", "-id")
            .only("task", "error", "finished_at", "status")[:limit]
        ),
        webhook_deliveries=list(
            WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.GIVEN_UP)
            .select_related("subscription")
            .only(
                "event",
                "event_id",
                "attempts",
                "last_error",
                "last_attempt_at",
                "status",
                "subscription__name",
                "subscription__active",
            )
            .order_by("-last_attempt_at", "-id")[:limit]
        ),
        scheduled_runs=list(
            ScheduledRun.objects.filter(status=ScheduledRunStatus.FAILED, retried_at__isnull=True).order_by(
                "-started_at", "-id"
            )[:limit]
        ),
    )


def recent_scheduled_runs(*, limit: int = NIGHTLY_LIST_LIMIT) -> list[ScheduledRun]:
    """The latest scheduled runs with their durations, newest first; one query."""
    return list(ScheduledRun.objects.order_by("-started_at", "-id")[:limit])
