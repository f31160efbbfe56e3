"""Scale mode of bench/recs_bench.py (``--members N``): chunked nightly recommendations on a synthetic
shop of N members in a database of its own, with real Celery worker processes on the `gpu` queue.

Measured in the same run, all through members.recs.services.recommendations_nightly (the shared step
in this process, as the members.recs.nightly task runs it; the chunks in the workers):
  - a full rebuild with one worker, then with two (speedup_2w = 1-worker / 2-worker wall time, and
    the same ratio for the chunk phase alone, where the workers run in parallel);
  - an incremental night after ~5% of the members placed an order (speedup_incremental = full
    rebuild with two workers / incremental night with two workers).
Workers are started and ready before any clock starts. A first shared step fills the item-vector
cache (its time is printed), so every timed run finds the catalogue encoded, as on any night but
the first. Each process uses one thread (OMP_NUM_THREADS=1): two workers on two cores.

    .venv/bin/python bench/recs_bench.py --members 100000

Last line: RESULT members_per_s=… incremental_s=… full_s=… speedup_incremental=… speedup_2w=…
chunks_speedup_2w=… full_1w_s=… prepare_s=… incremental_members=…
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = 2000
TASTES = 20  # member taste clusters: 80% of a member's lines come from their cluster's products
ACTIVE_SHARE = 0.05  # members with a new order on the incremental night
WORKER_READY_TIMEOUT = 300


def _database_url(members: int) -> str:
    base = os.environ.get("RECS_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    return f"{base.rstrip('/')}/mh_recs_bench_{members}"


def scale_main(args) -> None:
    database_url = _database_url(args.members)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    artifacts = Path(tempfile.mkdtemp(prefix="recs-scale-"))
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url,
                      CELERY_RESULT_BACKEND=redis_url, CELERY_TASK_ALWAYS_EAGER="0", OMP_NUM_THREADS="1",
                      MEMBERHUB_ARTIFACT_DIR=str(artifacts))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
    _database_create(database_url)
    import django

    django.setup()
    import redis
    import torch
    from django.core.management import call_command

    torch.set_num_threads(1)
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    built = _shop_build(args.members)
    print(f"shop: {args.members} members, {PRODUCTS} products ({'built' if built else 'reused'}, "
          f"{time.monotonic() - started:.0f}s)", flush=True)
    _shop_counts()
    redis.Redis.from_url(redis_url).delete("gpu")

    from members.recs.services.recommendations import generation_prepare

    t = time.monotonic()
    generation_prepare()  # fills the item-vector cache, as the first night would
    print(f"first shared step (cold item-vector cache): {time.monotonic() - t:.1f}s", flush=True)

    workers = _Workers(artifacts / "logs", dict(os.environ))
    try:
        workers.start(1)
        full_1w = _run(full=True, label="full rebuild, 1 worker")
        workers.start(2)
        full_2w = _run(full=True, label="full rebuild, 2 workers")
        active = _activity_add(ACTIVE_SHARE)
        print(f"incremental night: {active} members placed an order", flush=True)
        incremental = _run(full=False, label="incremental night, 2 workers")
    finally:
        workers.stop()
        shutil.rmtree(artifacts, ignore_errors=True)
    speedup_2w = full_1w["total"] / full_2w["total"]
    chunks_speedup = full_1w["chunks"] / full_2w["chunks"]
    print(f"two workers vs one: {speedup_2w:.2f}x over the whole run, {chunks_speedup:.2f}x on the chunk phase "
          f"(the shared step, {full_2w['prepare']:.0f}s, runs once whatever the workers)", flush=True)
    print("RESULT " + " ".join([
        f"members_per_s={full_2w['members'] / full_2w['total']:.1f}",
        f"incremental_s={incremental['total']:.1f}", f"full_s={full_2w['total']:.1f}",
        f"speedup_incremental={full_2w['total'] / incremental['total']:.2f}",
        f"speedup_2w={speedup_2w:.2f}", f"chunks_speedup_2w={chunks_speedup:.2f}",
        f"full_1w_s={full_1w['total']:.1f}", f"prepare_s={full_2w['prepare']:.1f}",
        f"incremental_members={incremental['members']}",
    ]), flush=True)


def _database_create(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _shop_build(members: int) -> bool:
    """Products, members, ~2.5 orders of ~2 lines per member over the last year, in set-based SQL.
    Skipped when the database already holds the shop (a rerun measures the same data)."""
    from django.db import connection, transaction

    from members.models import Member, Product, Tier

    if Member.objects.count() == members:
        return False
    words = ["green", "black", "wool", "linen", "stoneware", "cast iron", "oak", "silk", "cotton", "glass"]
    nouns = ["tea", "mug", "scarf", "shirt", "plate", "pot", "hat", "sock", "lamp", "bowl", "candle", "towel"]
    tier = Tier.objects.order_by("id").values_list("id", flat=True).first()
    with transaction.atomic(), connection.cursor() as cursor:
        Product.objects.bulk_create([
            Product(sku=f"SYN-{i:05d}", title=f"{words[i % 10]} {nouns[(i // 10) % 12]} no. {i}",
                    category=nouns[(i // 10) % 12], brand=f"Brand {i % 37}", price=10, currency="USD")
            for i in range(PRODUCTS)
        ], batch_size=1000)
        cursor.execute(
            """INSERT INTO members_member (external_id, email, name, joined_at, country, city, gender, status,
                   marketing_consent, created_at, updated_at, tier_id)
               SELECT 'SYN' || g, 'syn' || g || '@example.com', 'Member ' || g, now() - interval '2 years', 'US', '',
                   '', 'active', false, now(), now(), %s
               FROM generate_series(1, %s) g""", [tier, members])
        old = "now() - interval '2 days'"  # before the first generation: not "new activity"
        cursor.execute(f"""INSERT INTO members_order (external_id, placed_at, status, channel, currency, total,
                   created_at, updated_at, member_id)
               SELECT 'SYN' || m.id || '-' || k, now() - interval '3 days' - random() * interval '365 days', 'paid',
                   'web', 'USD', 20, {old}, {old}, m.id
               FROM members_member m CROSS JOIN LATERAL generate_series(1, 1 + (m.id % 4)::int) k""")
        _lines_insert(cursor, "TRUE")
    return True


def _lines_insert(cursor, orders_where: str) -> None:
    """1-3 lines per order: 80% from the member's taste cluster (skewed to its first products), 20%
    from the whole catalogue (skewed to the first products: best sellers)."""
    cursor.execute(f"""INSERT INTO members_orderitem (line_number, quantity, unit_price, order_id, product_id)
           SELECT l, 1, 10, o.id, p.first + CASE WHEN random() < 0.8
                  THEN (o.member_id % {TASTES}) + {TASTES} * floor(random() ^ 2 * ({PRODUCTS // TASTES} - 1))::int
                  ELSE floor(random() ^ 3 * ({PRODUCTS} - 1))::int END
           FROM members_order o CROSS JOIN LATERAL generate_series(1, 1 + (o.id % 3)::int) l
           CROSS JOIN (SELECT min(id) AS first FROM members_product) p
           WHERE {orders_where}""")


def _shop_counts() -> None:
    from members.models import Order, OrderItem

    print(f"  {Order.objects.count()} orders, {OrderItem.objects.count()} order lines", flush=True)


def _activity_add(share: float) -> int:
    """One new order (placed an hour ago) for a random ``share`` of the members."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""INSERT INTO members_order (external_id, placed_at, status, channel, currency, total,
                   created_at, updated_at, member_id)
               SELECT 'SYN-NEW-' || m.id || '-' || extract(epoch FROM now())::bigint, now() - interval '1 hour',
                   'paid', 'web', 'USD', 20, now(), now(), m.id
               FROM members_member m WHERE random() < %s RETURNING id""", [share])
        ids = [row[0] for row in cursor.fetchall()]
        _lines_insert(cursor, f"o.id >= {min(ids)}" if ids else "FALSE")
    return len(ids)


def _run(*, full: bool, label: str) -> dict:
    """recs_run_start here, the chunks in the workers; wall time from the run's start to its last chunk."""
    from members.models import RecsRun, RecsRunStatus
    from members.recs.services.recommendations_nightly import recs_run_start

    report = recs_run_start(full=full)
    if report.run_id is None:
        raise SystemExit("another recommendations run is running in the bench database")
    while True:
        run = RecsRun.objects.get(pk=report.run_id)
        if run.status == RecsRunStatus.SUCCEEDED:
            break
        time.sleep(0.2)
    total = (run.finished_at - run.started_at).total_seconds()
    chunks = total - run.prepare_seconds
    print(f"{label}: {run.members} members in {run.chunks_total} chunks, {total:.1f}s "
          f"(shared step {run.prepare_seconds:.1f}s, chunks {chunks:.1f}s) = {run.members / total:.0f} members/s",
          flush=True)
    return {"total": total, "chunks": chunks, "prepare": run.prepare_seconds, "members": run.members}


class _Workers:
    """scripts/worker.sh processes on the `gpu` queue, one task at a time each."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir, self.env, self.processes = log_dir, env, []
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, count: int) -> None:
        while len(self.processes) < count:
            name = f"bench{len(self.processes) + 1}"
            log_path = self.log_dir / f"{name}.log"
            process = subprocess.Popen(
                ["scripts/worker.sh", "-Q", "gpu", "-n", f"{name}@%h", "--concurrency", "1", "--pool", "prefork",
                 "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=self.env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
            self.processes.append(process)
            deadline = time.monotonic() + WORKER_READY_TIMEOUT
            while " ready." not in log_path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"worker {name} did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
