"""Generate and store product recommendations for every member, batch by batch.

One generation: load the shop (three queries), embed the catalogue once, then per batch of
GENERATE_BATCH members: encode their histories, retrieve + rerank (ml.recs), and replace their
rows in one transaction (delete + bulk insert), so a re-run leaves exactly one set of rows per
member and a crash mid-way leaves every batch either old or new, never mixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from members.models import Member, MemberEmbedding, MemberStatus, ProductEmbedding, Recommendation
from members.services.recommendations_data import BASE_VERSION, recs_model_current, shop_rows_load
from ml.recs.baselines import purchase_counts
from ml.recs.data import MemberHistory, member_histories, repeatable_items
from ml.recs.rerank import RerankRules
from ml.recs.retrieval import RECS_MAX_LENGTH, Recommended, Recommender

logger = logging.getLogger(__name__)

GENERATE_BATCH = 500  # members encoded and written per transaction
RECOMMENDATIONS_PER_MEMBER = 10
# The two knobs of ml.recs.retrieval.Recommender, as chosen on validation customers by
# bench/recs_bench.py on Online Retail II (BENCHMARKS.md), per encoder. The packaged encoder: the
# pooled history-item view alone beat the history-text view, and a strong popularity prior helped.
POPULARITY_WEIGHT = 1.0
TEXT_WEIGHT = 0.0
# A contrastively fine-tuned version (recs.fine_tune) learned the history-text -> next-item match,
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


def recommendation_reason(*, kind: str, because_title: str | None) -> str:
    """The sentence shown next to a recommendation."""
    if kind == "liked" and because_title:
        return f"Because you reviewed {because_title} positively"
    if kind == "bought" and because_title:
        return f"Because you bought {because_title}"
    if kind == "again":
        return "You bought this before, and people buy it again"
    return "Popular in the shop"


def _encoder(base_model: str | None):
    from ml.scoring import Encoder  # torch loads only in processes that generate

    return Encoder(base_model, max_length=RECS_MAX_LENGTH)


def recommendations_generate(
    *, member_ids: Sequence[int] | None = None, base_model: str | None = None, model_version: str | None = None,
    batch_size: int = GENERATE_BATCH, on_batch: Callable[[int, int], None] | None = None,
    popularity_weight: float | None = None, text_weight: float | None = None,
) -> GenerateReport:
    """Replace the recommendations (and embeddings) of the given members, or of every active member.

    ``base_model``/``model_version`` default to recs_model_current(); the weights (see
    ml.recs.retrieval.Recommender) default to the benchmarked ones for that encoder: the
    FINETUNED_* pair for a fine-tuned version from recs_model_current(), the packaged encoder's
    pair otherwise. Idempotent: the same data and model give the same rows. ``on_batch(done,
    total)`` reports progress.
    """
    started = timezone.now()
    current_location, current_version = recs_model_current()
    location = base_model if base_model is not None else current_location
    version = model_version or (current_version if base_model is None else "custom")
    fine_tuned = base_model is None and current_version != BASE_VERSION
    if popularity_weight is None:
        popularity_weight = FINETUNED_POPULARITY_WEIGHT if fine_tuned else POPULARITY_WEIGHT
    if text_weight is None:
        text_weight = FINETUNED_TEXT_WEIGHT if fine_tuned else TEXT_WEIGHT
    shop = shop_rows_load()
    repeatable = repeatable_items(shop.purchases)
    recommender = Recommender(
        _encoder(location), shop.items, popularity=purchase_counts(shop.purchases), repeatable=repeatable,
        popularity_weight=popularity_weight, text_weight=text_weight, rules=RerankRules(k=RECOMMENDATIONS_PER_MEMBER),
    )
    histories = member_histories(shop.purchases, shop.opinions)
    titles = {item.key: item.title for item in shop.items}
    members = Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id")
    if member_ids is not None:
        members = members.filter(id__in=list(member_ids))
    ids = list(members.values_list("id", flat=True))
    product_rows = [
        ProductEmbedding(product_id=int(item.key), vector=recommender.item_vectors[i].astype("<f4").tobytes(),
                         model_version=version, generated_at=started)
        for i, item in enumerate(shop.items)
    ]
    ProductEmbedding.objects.bulk_create(
        product_rows, batch_size=1000, update_conflicts=True, unique_fields=["product"],
        update_fields=["vector", "model_version", "generated_at"],
    )
    rows_written = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        batch_histories = {str(i): histories.get(str(i), MemberHistory()) for i in batch}
        vectors = recommender.member_vectors(list(batch_histories.values()))
        recommended = recommender.recommend(batch_histories, member_vectors=vectors)
        rows_written += _store_batch(batch, recommended, vectors, titles, version, started)
        if on_batch:
            on_batch(min(start + batch_size, len(ids)), len(ids))
    seconds = (timezone.now() - started).total_seconds()
    logger.info("Recommendations: %d members, %d rows, model %s, %.1fs", len(ids), rows_written, version, seconds)
    return GenerateReport(members=len(ids), rows=rows_written, model_version=version, seconds=seconds)


def _store_batch(
    member_ids: list[int], recommended: dict[str, list[Recommended]], vectors: np.ndarray, titles: dict[str, str],
    version: str, generated_at,
) -> int:
    rows = [
        Recommendation(
            member_id=member_id, product_id=int(rec.item), rank=rank, score=rec.score, model_version=version,
            generated_at=generated_at,
            reason=recommendation_reason(kind=rec.because_kind, because_title=titles.get(rec.because or ""))[:400],
        )
        for member_id in member_ids
        for rank, rec in enumerate(recommended.get(str(member_id), []), start=1)
    ]
    embeddings = [
        MemberEmbedding(member_id=member_id, vector=vectors[i].astype("<f4").tobytes(), model_version=version,
                        generated_at=generated_at)
        for i, member_id in enumerate(member_ids)
    ]
    with transaction.atomic():
        Recommendation.objects.filter(member_id__in=member_ids).delete()
        Recommendation.objects.bulk_create(rows)
        MemberEmbedding.objects.bulk_create(
            embeddings, update_conflicts=True, unique_fields=["member"],
            update_fields=["vector", "model_version", "generated_at"],
        )
    return len(rows)
