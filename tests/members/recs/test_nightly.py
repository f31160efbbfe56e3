"""Chunked, incremental generation (members/recs/services/recommendations_nightly.py), in-process:
chunks write what the one-process generation writes, a night regenerates only the dirty members,
items and member histories are encoded only when they change, and a chunk written twice writes once."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from members.models import MemberEmbedding, Recommendation, RecsChunk, RecsRun, RecsRunStatus
from members.recs.services import recommendations as service
from members.recs.services import recommendations_nightly as nightly
from members.recs.services.recommendations import recommendations_generate
from members.recs.services.recommendations_nightly import recs_chunk_generate, recs_run_start
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.members.recs.shop import shop_create
from tests.ml.recs.conftest import BagOfWordsEncoder

pytestmark = pytest.mark.django_db


class CountingEncoder(BagOfWordsEncoder):
    """The bag-of-words encoder, remembering every text it was asked to encode."""

    def __init__(self):
        self.texts: list[str] = []

    def encode(self, texts, *, batch_size=64):
        self.texts.extend(texts)
        return super().encode(texts, batch_size=batch_size)


@pytest.fixture
def encoder(monkeypatch, settings, tmp_path):
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    counting = CountingEncoder()
    monkeypatch.setattr(service, "_encoder", lambda location: counting)
    return counting


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """recs_run_start with its chunk tasks run in-process (eager) as its transaction commits."""

    def start(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            report = recs_run_start(**kwargs)
        return report

    return start


def _rows():
    return sorted(Recommendation.objects.values_list("member_id", "rank", "product_id", "reason", "model_version"))


def _generated_at():
    return dict(MemberEmbedding.objects.values_list("member_id", "generated_at"))


def _order(member, product, days_ago=0):
    order = OrderFactory(member=member, placed_at=timezone.now() - timedelta(days=days_ago))
    OrderItemFactory(order=order, product=product, line_number=1)


def test_a_full_run_in_chunks_writes_what_one_process_writes(encoder, run):
    shop = shop_create()
    recommendations_generate()
    expected = _rows()
    Recommendation.objects.all().delete()
    MemberEmbedding.objects.all().delete()

    report = run(full=True, chunk_members=1)

    assert report.members == 3 and report.chunks == 3
    assert _rows() == expected
    chunks = list(RecsChunk.objects.filter(run_id=report.run_id).values_list("member_ids", "rows"))
    assert sorted(ids[0] for ids, _ in chunks) == sorted([shop.ann.pk, shop.bob.pk, shop.cara.pk])
    finished = RecsRun.objects.get(pk=report.run_id)
    assert finished.status == RecsRunStatus.SUCCEEDED and finished.chunks_total == 3
    assert not Path(finished.artifact_path).exists()  # the run's pickle goes once its last chunk is done


def test_a_night_regenerates_only_members_with_new_activity(encoder, run):
    shop = shop_create()
    run(full=True)
    before = _generated_at()

    assert run().members == 0  # nothing happened since
    _order(shop.bob, shop.products["HAT"])
    report = run()

    assert report.members == 1 and report.chunks == 1
    after = _generated_at()
    assert after[shop.bob.pk] > before[shop.bob.pk]
    assert after[shop.ann.pk] == before[shop.ann.pk] and after[shop.cara.pk] == before[shop.cara.pk]
    assert "HAT" not in set(Recommendation.objects.filter(member=shop.bob).values_list("product__sku", flat=True))


def test_a_new_member_and_a_withdrawn_recommendation_make_members_dirty(encoder, run):
    shop = shop_create()
    run(full=True)
    dan = MemberFactory(external_id="DAN")
    withdrawn = Recommendation.objects.filter(member=shop.ann).order_by("rank").first().product
    withdrawn.active = False
    withdrawn.save(update_fields=["active"])
    offered = set(Recommendation.objects.filter(product=withdrawn).values_list("member_id", flat=True))

    report = run()

    chunk_members = {m for ids in RecsChunk.objects.filter(run_id=report.run_id).values_list("member_ids", flat=True)
                     for m in ids}
    assert chunk_members == offered | {dan.pk}
    assert not Recommendation.objects.filter(product=withdrawn).exists()
    assert Recommendation.objects.filter(member=dan).exists()


def test_items_are_encoded_again_only_when_their_text_changes(encoder, run, monkeypatch):
    monkeypatch.setattr(nightly, "NEAR_ITEMS", 1)
    shop = shop_create()
    run(full=True)
    assert len(encoder.texts) == len(shop.products)  # the first run encodes the catalogue
    encoder.texts.clear()

    run()
    assert encoder.texts == []  # same texts: every vector reused by content hash

    pot = shop.products["POT"]
    pot.title = "Cast iron green tea pot"
    pot.save(update_fields=["title"])
    ProductFactory(sku="KETTLE", title="Green tea kettle", category="Kitchen")
    report = run()

    assert sorted(text.split(".")[0] for text in encoder.texts) == ["Cast iron green tea pot", "Green tea kettle"]
    # Ann bought the edited pot, and green tea, a product near the new kettle; Bob's sock is near neither.
    members = {m for ids in RecsChunk.objects.filter(run_id=report.run_id).values_list("member_ids", flat=True)
               for m in ids}
    assert members == {shop.ann.pk}


def test_member_vectors_are_encoded_again_only_when_the_history_changes(encoder):
    shop = shop_create()
    recommendations_generate(text_weight=1.0)  # the fine-tuned tower: one text encoding per member
    vectors = dict(MemberEmbedding.objects.values_list("member_id", "vector"))
    encoder.texts.clear()

    recommendations_generate(text_weight=1.0)
    assert encoder.texts == []
    assert dict(MemberEmbedding.objects.values_list("member_id", "vector")) == vectors

    _order(shop.bob, shop.products["HAT"])
    recommendations_generate(text_weight=1.0)
    assert encoder.texts == ["bought: Wool hat; Wool sock"]


def test_a_chunk_delivered_twice_writes_once(encoder, run):
    shop = shop_create()
    report = run(full=True, chunk_members=2)
    rows = _rows()
    chunk = RecsChunk.objects.filter(run_id=report.run_id).order_by("first_member_id").first()

    again = recs_chunk_generate(chunk_id=chunk.pk, worker="late@host")

    assert again.skipped and _rows() == rows
    assert Recommendation.objects.filter(member=shop.ann).count() == len({r for m, r, *_ in rows if m == shop.ann.pk})


def test_no_second_run_starts_while_one_is_running(encoder):
    shop_create()
    first = recs_run_start(full=True)  # its chunks are never run: no on-commit callbacks here
    second = recs_run_start(full=True)
    assert first.run_id is not None and second.run_id is None


def test_a_chunk_that_keeps_failing_fails_its_run_and_frees_the_next_night(encoder, monkeypatch):
    from members.recs.tasks import recs_generate_chunk

    shop_create()
    first = recs_run_start(full=True, chunk_members=2)  # chunks not run yet: no on-commit callbacks here
    chunk = RecsChunk.objects.filter(run_id=first.run_id).order_by("first_member_id").first()
    artifact = Path(RecsRun.objects.get(pk=first.run_id).artifact_path)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("members.recs.tasks.recs_chunk_generate", broken)
    # The last allowed attempt (retries spent): the run is marked failed with the reason, the error stays raised.
    with pytest.raises(RuntimeError, match="disk full"):
        recs_generate_chunk.apply(args=[chunk.pk], retries=recs_generate_chunk.max_retries, throw=True)

    failed = RecsRun.objects.get(pk=first.run_id)
    assert failed.status == RecsRunStatus.FAILED and failed.finished_at is not None
    assert f"chunk {chunk.pk}" in failed.error and "RuntimeError: disk full" in failed.error
    assert not artifact.exists()
    assert recs_run_start(full=True).run_id is not None  # the failed run no longer blocks a new one


def test_a_failing_chunk_with_retries_left_is_retried_not_failed(encoder, monkeypatch):
    from celery.exceptions import Retry

    from members.recs.tasks import recs_generate_chunk

    shop_create()
    first = recs_run_start(full=True, chunk_members=2)
    chunk = RecsChunk.objects.filter(run_id=first.run_id).first()
    monkeypatch.setattr("members.recs.tasks.recs_chunk_generate",
                        lambda **kwargs: (_ for _ in ()).throw(RuntimeError("database went away")))
    retried = []
    monkeypatch.setattr(recs_generate_chunk, "retry", lambda exc: retried.append(exc) or Retry(exc=exc))

    with pytest.raises(Retry):
        recs_generate_chunk.apply(args=[chunk.pk], retries=0, throw=True)

    assert len(retried) == 1
    assert RecsRun.objects.get(pk=first.run_id).status == RecsRunStatus.RUNNING


def test_chunks_the_broker_refuses_fail_the_run_at_once_and_free_the_next_night(
        encoder, monkeypatch, django_capture_on_commit_callbacks):
    shop_create()
    queued = []

    def send(name, args=(), kwargs=None, **options):
        if queued:  # the first chunk gets through, then the broker goes away
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        queued.append(args[0])

    monkeypatch.setattr(nightly, "task_send", send)
    with django_capture_on_commit_callbacks(execute=True):
        report = recs_run_start(full=True, chunk_members=2)

    failed = RecsRun.objects.get(pk=report.run_id)
    assert report.chunks == 2 and len(queued) == 1
    assert failed.status == RecsRunStatus.FAILED and "could not be queued: ConnectionError" in failed.error
    assert not Path(failed.artifact_path).exists()
    late = recs_chunk_generate(chunk_id=queued[0])  # the chunk that got through finds its run failed
    assert late.skipped and not Recommendation.objects.exists()
    assert recs_run_start(full=True).run_id is not None  # the failed run no longer blocks a new one
