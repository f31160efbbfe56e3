"""Liveness (/healthz) and readiness (/readyz).

/healthz answers 200 whenever the process can serve a request: it touches nothing else, so a
database outage never gets the web containers restarted. /readyz runs every check below and answers
503, naming the failing checks, when any fails: Postgres, Redis, the broker, a live worker on each
required queue, migrations applied, and the active model versions' artifacts on disk. Each check
reports its status and latency. A check that does not apply (no Redis configured, tasks run
in-process) says "skipped" and does not fail readiness.

Own code rather than django-health-check: its checks do not cover queues with a live worker,
migrations or model artifacts, and each of ours is a few lines with a timeout.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from memberhub.observability import workers

OK, FAILING, SKIPPED = "ok", "failing", "skipped"


class CheckSkipped(Exception):
    """The check does not apply to this deployment (the message says why)."""


@dataclass
class CheckResult:
    name: str
    status: str
    latency_ms: float
    detail: str = ""

    def as_json(self) -> dict:
        return {"status": self.status, "latency_ms": self.latency_ms, "detail": self.detail}


def check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections[DEFAULT_DB_ALIAS].vendor


# Applied migrations stay applied until new code is deployed (which restarts the process), so a
# clean result is kept for the life of the process and the migration files are read only once.
_migrations_clean = False


def check_migrations() -> str:
    global _migrations_clean
    if _migrations_clean:
        return "all applied"
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        raise RuntimeError(f"{len(plan)} unapplied migration(s): {names}")
    _migrations_clean = True
    return "all applied"


def check_redis() -> str:
    if not settings.REDIS_URL:
        raise CheckSkipped("REDIS_URL not set (local cache, tasks in-process)")
    client = workers.redis_client(settings.REDIS_URL)
    try:
        client.ping()
    finally:
        client.close()
    return "PONG"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        raise CheckSkipped("no broker: tasks run in-process")
    from memberhub.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=workers.SOCKET_TIMEOUT)
    return "connected"


def check_workers() -> str:
    from members.operations.selectors import broker_redis_url

    url = broker_redis_url()
    if url is None:
        raise CheckSkipped("no Redis broker: tasks run in-process")
    required = settings.READYZ_QUEUES
    if not required:
        raise CheckSkipped("READYZ_QUEUES is empty")
    client = workers.redis_client(url)
    try:
        live = workers.live_workers_by_queue(client, max_age=settings.READYZ_WORKER_MAX_AGE)
    finally:
        client.close()
    missing = [queue for queue in required if not live.get(queue)]
    if missing:
        raise RuntimeError(
            f"no worker consuming {', '.join(missing)} in the last {settings.READYZ_WORKER_MAX_AGE} s"
        )
    return "; ".join(f"{queue}: {len(live[queue])}" for queue in required)


def check_model_artifacts() -> str:
    from members.operations.selectors import active_model_artifacts, artifact_path

    versions = active_model_artifacts()
    missing = [label for _, label, raw in versions if not artifact_path(raw).exists()]
    if missing:
        raise RuntimeError(f"artifact missing for {', '.join(missing)}")
    return f"{len(versions)} active version(s) present"


READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
    "broker": check_broker,
    "workers": check_workers,
    "model_artifacts": check_model_artifacts,
}


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail, status = check(), OK
    except CheckSkipped as exc:
        detail, status = str(exc), SKIPPED
    except Exception as exc:  # a probe reports every failure; it never raises
        detail, status = f"{type(exc).__name__}: {exc}", FAILING
    return CheckResult(name, status, round((time.perf_counter() - started) * 1000, 1), detail)


def readiness() -> list[CheckResult]:
    return [run_check(name, check) for name, check in READINESS_CHECKS.items()]


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. Checks nothing else on purpose."""
    return JsonResponse({"status": OK})


@never_cache
@require_GET
def readyz(request):
    results = readiness()
    failing = [result.name for result in results if result.status == FAILING]
    body = {
        "status": FAILING if failing else OK,
        "failing": failing,
        "checks": {result.name: result.as_json() for result in results},
    }
    return JsonResponse(body, status=503 if failing else 200)
