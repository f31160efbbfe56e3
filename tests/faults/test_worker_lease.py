"""D9: a task is handed out again only when its worker is dead, and then within the lease.

Before, Redis redelivered an unacknowledged task after a fixed visibility timeout (6 h 10 min, longer
than the longest training run), so a SIGKILLed worker's import waited hours for another worker. Now
the timeout is a lease that live workers renew (memberhub/celery_broker.py):

- a task that runs for several lease periods is not handed to another worker while its own worker
  lives (before, a short timeout meant a second, concurrent run);
- once its worker is SIGKILLed, another worker takes it within the lease plus one restore sweep.

The import reads a named pipe, so the test decides how long it runs: it blocks until the test
writes the CSV. Real processes: the test's own redis-server, two prefork workers, Postgres.
"""

import errno
import os
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone
from kombu import Connection

from memberhub.celery import app
from memberhub.celery_broker import renew_leases, unacked_index_key
from members.imports.services.import_jobs import import_job_run
from members.models import ImportJob, ImportJobStatus, Product
from tests.processes import RedisServer, Workers, free_fault_port, wait_for, worker_env

LEASE = 4  # CELERY_VISIBILITY_TIMEOUT for the workers (production: 60)
RESTORE_INTERVAL = 1  # CELERY_RESTORE_INTERVAL (production: 10)
CSV = b"sku,title,description,category,brand,price,currency,active\nL-1,Lamp,,Home,Acme,30,GBP,1\nL-2,Shade,,Home,Acme,9,GBP,1\n"


@pytest.fixture
def broker(tmp_path):
    server = RedisServer(free_fault_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def workers(transactional_db, tmp_path, broker):
    env = worker_env(broker.url, CELERY_VISIBILITY_TIMEOUT=str(LEASE), CELERY_RESTORE_INTERVAL=str(RESTORE_INTERVAL))
    pool = Workers(tmp_path, env)
    yield pool
    pool.stop_all()


def _feed_pipe(fifo: Path, data: bytes) -> bool:
    """Write `data` to whoever has the pipe open for reading; False when nobody does yet."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            return False
        raise
    try:
        os.set_blocking(fd, True)
        os.write(fd, data)
    finally:
        os.close(fd)
    return True


def _attempts(job_id: int) -> int:
    return ImportJob.objects.get(pk=job_id).attempts


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task to the test's own Redis
def test_a_long_task_stays_with_its_live_worker_and_a_dead_workers_task_comes_back_within_the_lease(
    tmp_path, broker, workers
):
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres: the worker processes must share the test database")
    fifo = tmp_path / "products.csv"
    os.mkfifo(fifo)
    job = ImportJob.objects.create(kind="products", path=str(fifo), enqueued_at=timezone.now())  # sent below

    # Two idle workers; whichever takes the import holds it, the other one must leave it alone.
    pair = [workers.start(), workers.start()]
    for worker in pair:
        workers.wait_ready(worker)
    with Connection(broker.url) as conn, conn.Producer() as producer:
        task_id = app.send_task("members.imports.run_job", args=[job.pk], queue="default", producer=producer).id
    wait_for(lambda: _attempts(job.pk) == 1, what="a worker to start the import", timeout=60, logs=workers.logs)
    claimed_at = time.monotonic()
    holder, other = sorted(pair, key=lambda w: task_id not in w.log_path.read_text())

    # Before the fix the other worker took the running import as abandoned once the timeout passed.
    time.sleep(max(0.0, claimed_at + 4 * LEASE - time.monotonic()))
    assert _attempts(job.pk) == 1, f"a live worker's task was handed out again\n{workers.logs()}"
    assert ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.RUNNING
    assert task_id not in other.log_path.read_text(), workers.logs()

    workers.kill(holder)
    killed_at = time.monotonic()
    wait_for(lambda: _attempts(job.pk) == 2, what="the other worker to take the dead worker's import",
             timeout=LEASE + RESTORE_INTERVAL + 30, logs=workers.logs)
    recovery = time.monotonic() - killed_at
    # The lease runs out at most LEASE after the last renewal; a sweep comes within RESTORE_INTERVAL.
    assert recovery <= LEASE + RESTORE_INTERVAL + 15, recovery
    assert other.poll() is None and task_id in other.log_path.read_text()

    def fed_and_finished():
        job.refresh_from_db()
        if job.status == ImportJobStatus.RUNNING:
            _feed_pipe(fifo, CSV)
            return False
        return True

    wait_for(fed_and_finished, what="the import to finish once fed", timeout=60, logs=workers.logs, interval=0.2)
    assert (job.status, job.attempts, job.created) == (ImportJobStatus.SUCCEEDED, 2, 2), job.error
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["L-1", "L-2"]
    print(f"worker-lease: dead worker's task taken again {recovery:.1f}s after the kill (lease {LEASE}s)")


@pytest.mark.django_db
def test_a_running_job_is_claimed_again_only_by_its_own_task(tmp_path):
    """A redelivered task (same id: its worker died) retakes its running job; a second task does not."""
    csv_path = tmp_path / "products.csv"
    csv_path.write_bytes(CSV)
    job = ImportJob.objects.create(kind="products", path=str(csv_path), status=ImportJobStatus.RUNNING,
                                   attempts=1, task_id="task-a")
    assert import_job_run(job_id=job.pk, task_id="task-b") is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJobStatus.RUNNING, 1)
    done = import_job_run(job_id=job.pk, task_id="task-a")
    assert (done.status, done.attempts, done.created, done.task_id) == (ImportJobStatus.SUCCEEDED, 2, 2, "task-a")
    assert import_job_run(job_id=job.pk, task_id="task-a") is None  # finished: never again


def test_renewing_restamps_held_messages_and_never_revives_acknowledged_ones():
    """Pins the kombu internals the lease relies on (QoS._delivered, the unacked_index sorted set)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url)
    queue = f"lease-test-{os.getpid()}"
    with Connection(url, transport="memberhub.celery_broker:Transport") as conn:
        channel = conn.channel()
        simple = conn.SimpleQueue(queue, channel=channel)
        try:
            simple.put({"n": 1})
            message = simple.get(timeout=5)  # delivered, not acknowledged: held under a lease
            tag = message.delivery_tag
            index = unacked_index_key(channel)
            delivered_at = client.zscore(index, tag)
            assert delivered_at is not None

            assert renew_leases(channel, client, now=delivered_at + 1000) == 1
            assert client.zscore(index, tag) == delivered_at + 1000

            message.ack()
            renew_leases(channel, client, now=delivered_at + 2000)
            assert client.zscore(index, tag) is None
        finally:
            simple.clear()
            simple.close()
