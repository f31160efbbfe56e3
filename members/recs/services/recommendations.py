"""Generate and store product recommendations for every member, as of a date, batch by batch.

One generation: load the shop as of the date (three queries; nothing placed or written after the
end of that day), embed the catalogue once (the two-tower item tower; a product whose text and
encoder are unchanged reuses its stored vector, found by content hash), fit the next-buy model once
(ml.recs.next_buy: buy-again, co-purchase, ALS, text and popularity candidates under a ranker
learned on the shop's previous windows), then per batch of GENERATE_BATCH members: rank their next
buys, make their history vectors (the embeddings the likely-buyers page uses; a member whose history
hash is unchanged keeps the stored one) and replace their rows in one transaction (delete + insert),
so a re-run leaves exactly one set of rows per member and a crash mid-way leaves every batch either
old or new, never mixed. ``recommendations_compute`` ranks the same way and writes nothing (for
backtests of a past date). The nightly, incremental form split into chunks over workers is
members/recs/services/recommendations_nightly.py; it shares generation_prepare and
generation_members_write with recommendations_generate.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from members.models import Member, MemberEmbedding, MemberStatus, ProductEmbedding, Recommendation
from members.predictions.features import features_cutoff
from members.recs.services.recommendations_data import (
    BASE_VERSION,
    ShopRows,
    recs_model_current,
    shop_rows_load,
)
from ml.recs.baselines import purchase_counts
from ml.recs.data import CatalogItem, MemberHistory, item_text, member_histories, repeatable_items
from ml.recs.next_buy import NextBuy, NextBuyConfig, NextBuyModel
from ml.recs.rerank import RerankRules
from ml.recs.retrieval import RECS_MAX_LENGTH, Recommender

logger = logging.getLogger(__name__)

GENERATE_BATCH = 500  # members encoded and written per transaction
RECOMMENDATIONS_PER_MEMBER = 10
# The two knobs of ml.recs.retrieval.Recommender, as chosen on validation customers by
# bench/recs_bench.py on Online Retail II (BENCHMARKS.md), per encoder. The packaged encoder: the
# pooled history-item view alone beat the history-text view, and a strong popularity prior helped.
POPULARITY_WEIGHT = 1.0
TEXT_WEIGHT = 0.0
# A contrastively fine-tuned version (members.recs.fine_tune) learned the history-text -> next-item match,
# so its text view wins with a lighter prior; with the packaged encoder's knobs it scored below
# the packaged encoder itself.
FINETUNED_POPULARITY_WEIGHT = 0.3
FINETUNED_TEXT_WEIGHT = 1.0


@dataclass(frozen=True)
class GenerateReport:
    members: int
    rows: int
    model_version: str
    seconds: float


def recommendation_reason(rec: NextBuy, titles: Mapping[str, str]) -> str:
    """The sentence shown next to a recommendation, from the source that proposed it."""
    because = titles.get(rec.because or "")
    if rec.source == "again":
        if rec.cycle_days is not None and rec.cycle_days >= 1:
            return f"You buy this every ~{round(rec.cycle_days)} days"
        return "You bought this before"
    if rec.source == "co" and because:
        return f"Often bought with {because}"
    if rec.source == "text" and because:
        return f"Similar to {because}, which you bought"
    if rec.source == "als":
        return "Members who buy what you buy also bought this"
    if rec.source == "catalogue":
        return "From the shop's catalogue"
    return "Popular in the shop"


# base_model value for the first pass (`refresh_intelligence --fast`, `make demo`): TF-IDF item
# vectors in seconds instead of the transformer's minutes (ml/recs/fast_items.py); with the pooled
# member view (TEXT_WEIGHT 0) nothing else is encoded. A worker's members.recs.generate replaces them.
FAST_ITEM_ENCODER = "tfidf"
FAST_VERSION = "tfidf-first-pass"


def _encoder(base_model: str | None):
    if base_model == FAST_ITEM_ENCODER:
        from ml.recs.fast_items import TfidfItemEncoder

        return TfidfItemEncoder()
    from ml.scoring import Encoder  # torch loads only in processes that generate

    return Encoder(base_model, max_length=RECS_MAX_LENGTH)


@dataclass
class _Prepared:
    shop: ShopRows
    recommender: Recommender  # the two-tower: item vectors (text source) and member embeddings
    version: str
    cutoff: datetime  # nothing at or after this instant is read
    location: str | None  # the encoder's location (None: the packaged base model)
    item_hashes: dict[str, str]  # item key -> content hash; empty when vectors cannot be cached (TF-IDF)
    encoded_items: list[str] | None  # items encoded this time (new or changed text); None: all, uncached


def _prepare(*, as_of: date | None, base_model: str | None, model_version: str | None,
             popularity_weight: float | None, text_weight: float | None) -> _Prepared:
    current_location, current_version = recs_model_current()
    location = base_model if base_model is not None else current_location
    version = model_version or (current_version if base_model is None else "custom")
    fine_tuned = base_model is None and current_version != BASE_VERSION
    if popularity_weight is None:
        popularity_weight = FINETUNED_POPULARITY_WEIGHT if fine_tuned else POPULARITY_WEIGHT
    if text_weight is None:
        text_weight = FINETUNED_TEXT_WEIGHT if fine_tuned else TEXT_WEIGHT
    as_of = as_of or timezone.localdate()
    shop = shop_rows_load(as_of=as_of)
    encoder = _encoder(location)
    item_hashes, item_vectors, encoded = {}, None, None
    if location != FAST_ITEM_ENCODER:  # TF-IDF vectors depend on the whole catalogue: never cached
        item_hashes = {item.key: item_content_hash(item, location) for item in shop.items}
        item_vectors, encoded = _item_vectors_cached(encoder, shop.items, item_hashes)
    recommender = Recommender(
        encoder, shop.items, popularity=purchase_counts(shop.purchases),
        repeatable=repeatable_items(shop.purchases), popularity_weight=popularity_weight, text_weight=text_weight,
        rules=RerankRules(k=RECOMMENDATIONS_PER_MEMBER), item_vectors=item_vectors,
    )
    return _Prepared(shop=shop, recommender=recommender, version=version, cutoff=features_cutoff(as_of=as_of),
                     location=location, item_hashes=item_hashes, encoded_items=encoded)


def item_content_hash(item: CatalogItem, location: str | None) -> str:
    """What an item vector depends on: the encoder and the item's text (ml.recs.data.item_text)."""
    return hashlib.sha1(f"{location or 'packaged'}\0{item_text(item)}".encode()).hexdigest()


def _item_vectors_cached(encoder, items: Sequence[CatalogItem], hashes: Mapping[str, str],
                         ) -> tuple[np.ndarray | None, list[str]]:
    """(items x d) vectors, reusing each stored ProductEmbedding whose content hash is unchanged and
    encoding only the other items (new products, edited texts, another encoder); and the keys
    encoded. None when the catalogue is empty (the Recommender then encodes nothing either)."""
    if not items:
        return None, []
    stored: dict[str, bytes] = {}
    rows = ProductEmbedding.objects.exclude(content_hash="").values_list("product_id", "content_hash", "vector")
    for product_id, content_hash, vector in rows.iterator(chunk_size=2000):
        if content_hash and hashes.get(str(product_id)) == content_hash:
            stored[str(product_id)] = bytes(vector)
    missing = [item for item in items if item.key not in stored]
    fresh = encoder.encode([item_text(item) for item in missing]) if missing else None
    dim = fresh.shape[1] if fresh is not None else len(next(iter(stored.values()))) // 4
    vectors = np.zeros((len(items), dim), dtype=np.float32)
    position = {item.key: i for i, item in enumerate(missing)}
    for row, item in enumerate(items):
        vectors[row] = fresh[position[item.key]] if item.key in position else np.frombuffer(stored[item.key], dtype="<f4")
    if missing:
        logger.info("Item vectors: %d encoded, %d reused by content hash", len(missing), len(items) - len(missing))
    return vectors, [item.key for item in missing]


def _member_ids(member_ids: Sequence[int] | None) -> list[int]:
    members = Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id")
    if member_ids is not None:
        members = members.filter(id__in=list(member_ids))
    return list(members.values_list("id", flat=True))


def _next_buy_model(prepared: _Prepared) -> NextBuyModel:
    """The next-buy ranker fitted on the shop's rows before the cutoff; only active products are
    offered, and the item tower's vectors feed the text source."""
    shop, vectors = prepared.shop, prepared.recommender.item_vectors
    model = NextBuyModel(
        shop.purchases, cutoff=prepared.cutoff, catalogue=[item.key for item in shop.items if item.active],
        item_vectors={item.key: vectors[i] for i, item in enumerate(shop.items)}, config=NextBuyConfig(),
    )
    logger.info("Next-buy ranker: %s (%d training rows, %d positive)", model.ranker, model.train_rows,
                model.train_positives)
    return model


def recommendations_compute(
    *, as_of: date | None = None, member_ids: Sequence[int] | None = None, k: int = RECOMMENDATIONS_PER_MEMBER,
    base_model: str | None = None,
) -> dict[int, list[int]]:
    """member id -> product ids, best first: what recommendations_generate(as_of=...) would store,
    written nowhere (a backtest must not replace the live recommendations with a past date's)."""
    prepared = _prepare(as_of=as_of, base_model=base_model, model_version=None, popularity_weight=None,
                        text_weight=None)
    ids = _member_ids(member_ids)
    model = _next_buy_model(prepared)
    result: dict[int, list[int]] = {}
    for start in range(0, len(ids), GENERATE_BATCH):
        batch = ids[start : start + GENERATE_BATCH]
        ranked = model.recommend([str(i) for i in batch], k=k, explain=False)
        result.update({i: [int(rec.item) for rec in ranked.get(str(i), [])] for i in batch})
    return result


@dataclass
class Generation:
    """What every batch of one generation shares, fitted once: the next-buy model, the two-tower (item
    vectors; member vectors), titles for the reasons. A chunked run pickles it for its workers
    (members/recs/services/recommendations_nightly.py), without the encoder (``location`` reloads it)."""

    model: NextBuyModel
    recommender: Recommender
    titles: dict[str, str]
    item_hashes: dict[str, str]
    version: str
    location: str | None
    generated_at: datetime


def generation_prepare(
    *, as_of: date | None = None, base_model: str | None = None, model_version: str | None = None,
    popularity_weight: float | None = None, text_weight: float | None = None, generated_at: datetime | None = None,
) -> tuple[Generation, _Prepared]:
    """The shared step of a generation: load the shop, item vectors (reused by content hash), store
    them, fit the next-buy model. See recommendations_generate for the arguments."""
    generated_at = generated_at or timezone.now()
    prepared = _prepare(as_of=as_of, base_model=base_model, model_version=model_version,
                        popularity_weight=popularity_weight, text_weight=text_weight)
    shop, recommender, version = prepared.shop, prepared.recommender, prepared.version
    product_rows = [
        ProductEmbedding(product_id=int(item.key), vector=recommender.item_vectors[i].astype("<f4").tobytes(),
                         model_version=version, generated_at=generated_at,
                         content_hash=prepared.item_hashes.get(item.key, ""))
        for i, item in enumerate(shop.items)
    ]
    ProductEmbedding.objects.bulk_create(
        product_rows, batch_size=1000, update_conflicts=True, unique_fields=["product"],
        update_fields=["vector", "model_version", "generated_at", "content_hash"],
    )
    generation = Generation(
        model=_next_buy_model(prepared), recommender=recommender, titles={item.key: item.title for item in shop.items},
        item_hashes=prepared.item_hashes, version=version, location=prepared.location, generated_at=generated_at,
    )
    return generation, prepared


def recommendations_generate(
    *, as_of: date | None = None, member_ids: Sequence[int] | None = None, base_model: str | None = None,
    model_version: str | None = None, batch_size: int = GENERATE_BATCH,
    on_batch: Callable[[int, int], None] | None = None, popularity_weight: float | None = None,
    text_weight: float | None = None,
) -> GenerateReport:
    """Replace the recommendations (and embeddings) of the given members, or of every active member,
    from what the shop knew at the end of ``as_of`` (default today), in this process.

    ``base_model``/``model_version`` default to recs_model_current(); the two-tower weights (see
    ml.recs.retrieval.Recommender; they shape the member embeddings) default to the benchmarked
    ones for that encoder: the FINETUNED_* pair for a fine-tuned version from
    recs_model_current(), the packaged encoder's pair otherwise. Idempotent: the same data and
    model give the same rows. ``on_batch(done, total)`` reports progress. The chunked, incremental
    form over several workers is recommendations_nightly.recs_run_start.
    """
    started = timezone.now()
    generation, prepared = generation_prepare(
        as_of=as_of, base_model=base_model, model_version=model_version, popularity_weight=popularity_weight,
        text_weight=text_weight, generated_at=started)
    histories = member_histories(prepared.shop.purchases, prepared.shop.opinions)
    ids = _member_ids(member_ids)
    rows_written = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        rows_written += generation_members_write(generation, batch, histories)
        if on_batch:
            on_batch(min(start + batch_size, len(ids)), len(ids))
    seconds = (timezone.now() - started).total_seconds()
    version = generation.version
    logger.info("Recommendations: %d members, %d rows, model %s, %.1fs", len(ids), rows_written, version, seconds)
    return GenerateReport(members=len(ids), rows=rows_written, model_version=version, seconds=seconds)


def generation_members_write(generation: Generation, member_ids: list[int],
                             histories: Mapping[str, MemberHistory]) -> int:
    """Rank these members, make their vectors (reused when the history hash is unchanged) and replace
    their rows in one transaction; returns the recommendation rows written. ``histories`` must hold
    every member of ``member_ids`` that has one (keyed by id as a string)."""
    ranked = generation.model.recommend([str(i) for i in member_ids], k=RECOMMENDATIONS_PER_MEMBER)
    vectors, hashes = _member_vectors(generation, member_ids, histories)
    return _store_batch(member_ids, ranked, vectors, hashes, generation.titles, generation.version,
                        generation.generated_at)


def history_hash(history: MemberHistory, item_hashes: Mapping[str, str], text_weight: float) -> str:
    """What a member vector depends on besides the model version: the items bought and liked (in
    order), their texts (content hashes) and the tower's mix. Empty (never reused) without item hashes."""
    if not item_hashes:
        return ""
    payload = json.dumps([text_weight, [(k, item_hashes.get(k, "")) for k in history.bought],
                          [(k, item_hashes.get(k, "")) for k in history.liked]])
    return hashlib.sha1(payload.encode()).hexdigest()


def _member_vectors(generation: Generation, member_ids: list[int], histories: Mapping[str, MemberHistory],
                    ) -> tuple[np.ndarray, list[str]]:
    """Member vectors and history hashes; a stored vector of the same model version and history hash
    is reused, so only changed histories are encoded (the text view costs a transformer pass each)."""
    recommender = generation.recommender
    rows = [histories.get(str(i), MemberHistory()) for i in member_ids]
    hashes = [history_hash(h, generation.item_hashes, recommender.text_weight) for h in rows]
    stored = {
        member_id: (stored_hash, bytes(vector))
        for member_id, stored_hash, vector in MemberEmbedding.objects.filter(
            member_id__in=member_ids, model_version=generation.version).exclude(history_hash="").values_list(
            "member_id", "history_hash", "vector")
    }
    vectors = np.zeros((len(member_ids), recommender.item_vectors.shape[1]), dtype=np.float32)
    todo = []
    for row, member_id in enumerate(member_ids):
        previous = stored.get(member_id)
        if previous is not None and hashes[row] and previous[0] == hashes[row]:
            vectors[row] = np.frombuffer(previous[1], dtype="<f4")
        else:
            todo.append(row)
    if todo:
        vectors[todo] = recommender.member_vectors([rows[i] for i in todo])
    return vectors, hashes


def _store_batch(
    member_ids: list[int], recommended: dict[str, list[NextBuy]], vectors: np.ndarray, hashes: list[str],
    titles: dict[str, str], version: str, generated_at,
) -> int:
    rows = [
        (member_id, int(rec.item), rank, rec.score, recommendation_reason(rec, titles)[:400], version, generated_at)
        for member_id in member_ids
        for rank, rec in enumerate(recommended.get(str(member_id), []), start=1)
    ]
    embeddings = [
        MemberEmbedding(member_id=member_id, vector=vectors[i].astype("<f4").tobytes(), model_version=version,
                        generated_at=generated_at, history_hash=hashes[i])
        for i, member_id in enumerate(member_ids)
    ]
    with transaction.atomic():
        Recommendation.objects.filter(member_id__in=member_ids).delete()
        _recommendations_insert(rows)
        MemberEmbedding.objects.bulk_create(
            embeddings, update_conflicts=True, unique_fields=["member"],
            update_fields=["vector", "model_version", "generated_at", "history_hash"],
        )
    return len(rows)


_RECOMMENDATION_COLUMNS = ("member_id", "product_id", "rank", "score", "reason", "model_version", "generated_at")


def _recommendations_insert(rows: list[tuple]) -> None:
    """Insert recommendation rows (in _RECOMMENDATION_COLUMNS order): COPY on Postgres, where building
    ~10 model instances per member was half of a chunk's time; bulk_create elsewhere (SQLite)."""
    if connection.vendor != "postgresql":
        Recommendation.objects.bulk_create([Recommendation(**dict(zip(_RECOMMENDATION_COLUMNS, row))) for row in rows])
        return
    columns = ", ".join(_RECOMMENDATION_COLUMNS)
    sql = f"COPY {Recommendation._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
