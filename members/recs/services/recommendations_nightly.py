"""Nightly recommendations for the whole base: incremental, and split into chunks over worker processes.

A run (RecsRun) has a shared step, done once by recs_run_start:
  1. load the shop, reuse the item vectors whose content hash is unchanged (encode only new or edited
     products), fit the next-buy model (recommendations.generation_prepare);
  2. choose the members: every active member on a full rebuild; otherwise the *dirty* ones
     (recs_dirty_member_ids): no rows yet or rows of another model version, an order or positive
     review created or changed since their last generation, a recommended product since withdrawn,
     or a history holding a near neighbour of a new or edited product (the text source is how a
     product nobody bought yet reaches a list);
  3. pickle the fitted generation to the artifact folder, cut the members (sorted by id) into
     RecsChunk rows of CHUNK_MEMBERS consecutive ids, and queue one members.recs.generate_chunk task
     per chunk on the `gpu` queue once the rows are committed.
Each chunk (recs_chunk_generate) loads the pickle once per worker process, reads only its members'
orders and reviews, ranks them with the shared model, reuses each member vector whose history hash is
unchanged, and replaces its members' rows in the transaction that marks the chunk done, under the
chunk row's lock: a chunk delivered twice writes once, a rerun of a done chunk is a no-op, and N
workers share the chunks, so a run takes about 1/N of the per-chunk time.

Members left out of an incremental night keep yesterday's list, made with yesterday's model fit
(ALS, popularity); a full rebuild (recs_run_start(full=True), and automatically after a new model
version) refreshes everyone.
"""

from __future__ import annotations

import copy
import logging
import os
import pickle
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from members.core.models.order import REVENUE_STATUSES
from members.models import (
    Member,
    MemberEmbedding,
    MemberStatus,
    Order,
    OrderItem,
    Recommendation,
    RecsChunk,
    RecsRun,
    RecsRunKind,
    RecsRunStatus,
    Review,
)
from members.recs.services import recommendations as generate
from members.recs.services.recommendations import Generation, generation_members_write, generation_prepare
from members.recs.services.recommendations_data import member_rows_load, recs_artifact_root
from members.task_queue import task_send
from ml.recs.data import POSITIVE_RATING, member_histories

logger = logging.getLogger(__name__)

CHUNK_MEMBERS = 2000  # members per generate_chunk task: ~seconds of work, one transaction of ~20k rows
NEAR_ITEMS = 20  # nearest existing products of a new or edited one whose buyers are regenerated
RUN_STALE_AFTER = timedelta(hours=6)  # a run still "running" after this is abandoned (its worker died)
RUNS_FOLDER = "runs"  # under recs_artifact_root(): one pickled Generation per running run


@dataclass(frozen=True)
class RunReport:
    run_id: int | None  # None: another run is still running, nothing was started
    kind: str
    members: int
    chunks: int
    prepare_seconds: float


@dataclass(frozen=True)
class ChunkReport:
    chunk_id: int
    members: int
    rows: int
    seconds: float
    skipped: bool  # already done (a second delivery)


def recs_run_start(*, full: bool = False, as_of: date | None = None, chunk_members: int = CHUNK_MEMBERS) -> RunReport:
    """The shared step of a chunked generation, then one members.recs.generate_chunk task per chunk
    (queued after commit). ``full``: every active member; otherwise only the dirty ones. Starts
    nothing while another run is running (unless it is older than RUN_STALE_AFTER)."""
    kind = RecsRunKind.FULL if full else RecsRunKind.INCREMENTAL
    if RecsRun.objects.filter(status=RecsRunStatus.RUNNING, started_at__gt=timezone.now() - RUN_STALE_AFTER).exists():
        logger.info("Recommendations run not started: another one is running")
        return RunReport(run_id=None, kind=kind, members=0, chunks=0, prepare_seconds=0.0)
    started, clock = timezone.now(), time.monotonic()
    as_of = as_of or timezone.localdate()
    generation, prepared = generation_prepare(as_of=as_of, generated_at=started)
    if full:
        ids = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id").values_list("id", flat=True))
    else:
        ids = recs_dirty_member_ids(version=generation.version, changed_items=prepared.encoded_items,
                                    generation=generation)
    prepare_seconds = time.monotonic() - clock
    with transaction.atomic():
        run = RecsRun.objects.create(kind=kind, as_of=as_of, model_version=generation.version, members=len(ids),
                                     started_at=started, prepare_seconds=prepare_seconds)
        path = _generation_save(run.pk, generation)
        chunks = RecsChunk.objects.bulk_create([
            RecsChunk(run=run, first_member_id=part[0], last_member_id=part[-1], member_ids=part)
            for part in (ids[i : i + chunk_members] for i in range(0, len(ids), chunk_members))
        ])
        RecsRun.objects.filter(pk=run.pk).update(artifact_path=str(path), chunks_total=len(chunks))
        if not chunks:
            _run_finish_if_done(run.pk)
        chunk_ids = [chunk.pk for chunk in chunks]
        transaction.on_commit(lambda: _chunks_queue(run.pk, chunk_ids))
    logger.info("Recommendations run %d (%s): %d members in %d chunks, shared step %.1fs", run.pk, kind, len(ids),
                len(chunks), prepare_seconds)
    return RunReport(run_id=run.pk, kind=kind, members=len(ids), chunks=len(chunks), prepare_seconds=prepare_seconds)


def _chunks_queue(run_id: int, chunk_ids: list[int]) -> None:
    """Queue one generate_chunk task per chunk (after commit). A broker that refuses them fails the
    run at once with the reason, instead of leaving it "running" -- and blocking the next nights --
    until RUN_STALE_AFTER; chunks already queued then find their run failed and do nothing."""
    for chunk_id in chunk_ids:
        try:
            task_send("members.recs.generate_chunk", (chunk_id,))
        except Exception as exc:  # kombu/redis raise many types; any of them means the chunk is not queued
            logger.exception("Recommendations run %d: could not queue chunk %d", run_id, chunk_id)
            recs_chunk_failed(chunk_id=chunk_id, error=f"could not be queued: {type(exc).__name__}: {exc}")
            return


def recs_chunk_generate(*, chunk_id: int, worker: str = "") -> ChunkReport:
    """Write the recommendations of one chunk's members (see the module docstring); idempotent.
    A chunk of a run that failed meanwhile is skipped (its fit is gone with the run)."""
    clock = time.monotonic()
    chunk = RecsChunk.objects.select_related("run").get(pk=chunk_id)
    if chunk.done_at is not None or chunk.run.status != RecsRunStatus.RUNNING:
        return ChunkReport(chunk_id=chunk_id, members=0, rows=0, seconds=0.0, skipped=True)
    generation = _generation_load(chunk.run)
    # Members closed or erased since the run started are left out (their rows are not wanted).
    ids = list(Member.objects.filter(id__in=chunk.member_ids, status=MemberStatus.ACTIVE).order_by("id")
               .values_list("id", flat=True))
    purchases, opinions = member_rows_load(as_of=chunk.run.as_of, member_ids=ids)
    histories = member_histories(purchases, opinions)
    with transaction.atomic():
        # The chunk row's lock serialises two deliveries of the same chunk; the second sees it done.
        locked = RecsChunk.objects.select_for_update().get(pk=chunk_id)
        if locked.done_at is not None:
            return ChunkReport(chunk_id=chunk_id, members=0, rows=0, seconds=0.0, skipped=True)
        rows = generation_members_write(generation, ids, histories)
        seconds = time.monotonic() - clock
        RecsChunk.objects.filter(pk=chunk_id).update(done_at=timezone.now(), worker=worker[:200], rows=rows,
                                                      seconds=seconds)
    _run_finish_if_done(chunk.run_id)
    return ChunkReport(chunk_id=chunk_id, members=len(ids), rows=rows, seconds=seconds, skipped=False)


def recs_dirty_member_ids(*, version: str, changed_items: list[str] | None, generation: Generation | None = None,
                          ) -> list[int]:
    """Active members whose recommendations are out of date, sorted by id (set-based queries):
    no stored vector of ``version``; an order or a 4-5 star review created or updated after their
    last generation; a recommended product no longer active; or (with ``generation``) a purchase of a
    product in ``changed_items`` (None: all changed) or of one of its NEAR_ITEMS nearest neighbours."""
    last = MemberEmbedding.objects.filter(member=OuterRef("pk"))
    members = Member.objects.filter(status=MemberStatus.ACTIVE).annotate(
        last_at=Subquery(last.values("generated_at")[:1]), last_version=Subquery(last.values("model_version")[:1]))
    stale = (
        Q(last_at__isnull=True) | ~Q(last_version=version)
        | Exists(Order.objects.filter(member=OuterRef("pk"), updated_at__gt=OuterRef("last_at")))
        | Exists(Review.objects.filter(member=OuterRef("pk"), rating__gte=POSITIVE_RATING,
                                       updated_at__gt=OuterRef("last_at")))
        | Exists(Recommendation.objects.filter(member=OuterRef("pk"), product__active=False))
    )
    dirty = set(members.filter(stale).values_list("id", flat=True))
    if generation is not None:
        near = _near_items(generation, changed_items)
        if near:
            buyers = OrderItem.objects.filter(product_id__in=near, order__status__in=REVENUE_STATUSES).values(
                "order__member_id")
            dirty |= set(Member.objects.filter(status=MemberStatus.ACTIVE, id__in=buyers).values_list("id", flat=True))
    return sorted(dirty)


def _near_items(generation: Generation, changed_items: list[str] | None) -> list[int]:
    """Product ids of the changed products (a buyer's history text changed) and of the NEAR_ITEMS
    nearest unchanged products (item vectors) of each (their buyers may now be offered it)."""
    recommender = generation.recommender
    keys = [item.key for item in recommender.items]
    changed = set(keys) if changed_items is None else set(changed_items)
    if not changed or len(changed) == len(keys):
        return []  # nothing new, or everything new (then no member has a vector of it either)
    vectors = recommender.item_vectors
    rows = np.array([recommender.index[k] for k in changed], dtype=np.int64)
    similarity = vectors[rows] @ vectors.T
    similarity[:, rows] = -np.inf  # neighbours among the products members could have bought already
    keep = min(NEAR_ITEMS, len(keys) - len(rows))
    best = np.argpartition(-similarity, keep - 1, axis=1)[:, :keep] if keep else np.zeros((0,), dtype=np.int64)
    return sorted({int(keys[i]) for i in best.ravel()} | {int(k) for k in changed})


def recs_chunk_failed(*, chunk_id: int, error: str) -> bool:
    """Mark a chunk's run failed with the reason (its retries are spent), so that it no longer blocks
    the next night and the System page can say why; the chunks already written keep their rows.
    Returns False when the run had already finished or failed."""
    chunk = RecsChunk.objects.get(pk=chunk_id)
    reason = f"chunk {chunk.pk} (members {chunk.first_member_id}-{chunk.last_member_id}): {error}"
    failed = RecsRun.objects.filter(pk=chunk.run_id, status=RecsRunStatus.RUNNING).update(
        status=RecsRunStatus.FAILED, finished_at=timezone.now(), error=reason[:5000])
    if failed:
        _run_artifact_drop(chunk.run_id)
        logger.error("Recommendations run %d failed: %s", chunk.run_id, reason)
    return bool(failed)


def _run_artifact_drop(run_id: int) -> None:
    path = RecsRun.objects.values_list("artifact_path", flat=True).get(pk=run_id)
    if path:
        Path(path).unlink(missing_ok=True)
    _LOADED.pop(run_id, None)


def _run_finish_if_done(run_id: int) -> None:
    """Mark the run succeeded once no chunk is left (once: a conditional update) and drop its pickle."""
    if RecsChunk.objects.filter(run_id=run_id, done_at__isnull=True).exists():
        return
    finished = RecsRun.objects.filter(pk=run_id, status=RecsRunStatus.RUNNING).update(
        status=RecsRunStatus.SUCCEEDED, finished_at=timezone.now())
    if finished == 1:
        _run_artifact_drop(run_id)


def _generation_save(run_id: int, generation: Generation) -> Path:
    """Pickle the fitted generation for the run's workers (written to a temporary name, then renamed,
    so a worker never reads half a file). The encoder is left out: a worker reloads it when the
    member tower needs it."""
    folder = recs_artifact_root() / RUNS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    recommender = copy.copy(generation.recommender)
    recommender.encoder = None
    generation.model.index.copurchase  # noqa: B018  (computed once here, not once per chunk)
    path = folder / f"run-{run_id}.pkl"
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        pickle.dump(replace(generation, recommender=recommender), out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    return path


_LOADED: dict[int, Generation] = {}  # run id -> its generation, in this worker process (the latest run only)


def _generation_load(run: RecsRun) -> Generation:
    if run.pk not in _LOADED:
        with open(run.artifact_path, "rb") as source:
            generation = pickle.load(source)
        if generation.recommender.text_weight:
            generation.recommender.encoder = generate._encoder(generation.location)
        _LOADED.clear()
        _LOADED[run.pk] = generation
    return _LOADED[run.pk]
