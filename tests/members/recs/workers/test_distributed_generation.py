"""Two real Celery worker processes on the `gpu` queue share one chunked generation: every active
member ends with exactly one set of recommendations (the set one process would write), every chunk
is written once, and both workers wrote some.

Everything is real: scripts/worker.sh workers (prefork) on the test run's Redis database, writing
into the test's Postgres database; the shared step runs here, in the test process, as the
members.recs.nightly task would run it.
"""

import os
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from members.models import (
    Member,
    MemberEmbedding,
    MemberStatus,
    Recommendation,
    RecsChunk,
    RecsRun,
    RecsRunStatus,
)
from members.recs.services.recommendations import recommendations_generate
from members.recs.services.recommendations_nightly import recs_run_start
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory
from tests.members.recs.shop import shop_create
from tests.processes import Workers, wait_for, worker_env

MEMBERS = 60  # besides the shop's four
CHUNK = 4  # members per chunk: 16 chunks for two workers
DEADLINE = 60  # seconds for the chunks once both workers are ready


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"




def _shop():
    shop = shop_create()
    skus = list(shop.products)[:9]  # the active ones
    now = timezone.now()
    for n in range(MEMBERS):
        member = MemberFactory()
        for order in range(n % 3):
            placed = OrderFactory(member=member, placed_at=now - timedelta(days=40 - 10 * order))
            for line in range(2):
                OrderItemFactory(order=placed, product=shop.products[skus[(n + 3 * order + line) % 9]],
                                 line_number=line + 1)
    return shop


def _rows():
    return sorted(Recommendation.objects.values_list("member_id", "rank", "product_id", "reason", "model_version"))


@pytest.mark.slow
def test_two_workers_share_a_full_generation_without_duplicates_or_gaps(
        transactional_db, tmp_path, settings, tiny_base_model, tasks_to_broker):
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path / "artifacts"
    settings.RECS_BASE_MODEL = str(tiny_base_model)
    redis.Redis.from_url(_redis_url()).delete("gpu")
    pool = Workers(tmp_path, worker_env(_redis_url(), MEMBERHUB_ARTIFACT_DIR=str(settings.MEMBERHUB_ARTIFACT_DIR),
                                        RECS_BASE_MODEL=str(tiny_base_model)))
    workers = [pool.start(queue="gpu") for _ in range(2)]
    try:
        _shop()
        # What one process writes, while the workers start; then the slate is wiped for the run.
        recommendations_generate()
        expected = _rows()
        Recommendation.objects.all().delete()
        MemberEmbedding.objects.all().delete()
        for worker in workers:
            pool.wait_ready(worker)

        report = recs_run_start(full=True, chunk_members=CHUNK)

        wait_for(lambda: RecsRun.objects.get(pk=report.run_id).status == RecsRunStatus.SUCCEEDED,
                 what="every chunk to be written", timeout=DEADLINE, logs=pool.logs, interval=0.25)
    finally:
        pool.stop_all()

    active = set(Member.objects.filter(status=MemberStatus.ACTIVE).values_list("id", flat=True))
    chunks = list(RecsChunk.objects.filter(run_id=report.run_id).values_list("member_ids", "worker", "done_at"))
    assert len(chunks) == report.chunks == -(-len(active) // CHUNK)
    chunk_members = [m for ids, _, _ in chunks for m in ids]
    assert sorted(chunk_members) == sorted(active)  # no gaps, no member in two chunks
    assert all(done is not None for *_, done in chunks)
    assert {worker.split("@")[0] for _, worker, _ in chunks} == {"w1", "w2"}  # both workers wrote chunks
    assert _rows() == expected  # one set per member, the same as one process writes
    assert set(MemberEmbedding.objects.values_list("member_id", flat=True)) == active
    assert set(Recommendation.objects.values_list("member_id", flat=True)) == active
