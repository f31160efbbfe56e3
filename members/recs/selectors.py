"""Reads for the Recommendations page and API: member search, a member's stored recommendations,
and likely buyers of a product or category from the stored embeddings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Q, QuerySet

from members.core.models.order import REVENUE_STATUSES
from members.models import Member, MemberEmbedding, OrderItem, Product, ProductEmbedding, Recommendation
from ml.recs.retrieval import category_vector, likely_buyers

SEARCH_LIMIT = 20
LIKELY_BUYERS = 25


def member_search(*, query: str, limit: int = SEARCH_LIMIT) -> list[Member]:
    """Members whose external id, email or name contains ``query`` (case-insensitive); one query.
    Stored text never holds a NUL character (Postgres refuses one), so a query with one finds nothing."""
    query = query.strip()
    if not query or "\x00" in query:
        return []
    return list(
        Member.objects.filter(Q(external_id__icontains=query) | Q(email__icontains=query) | Q(name__icontains=query))
        .select_related("tier").order_by("name", "id")[:limit]
    )


def member_recommendations(*, member: Member) -> QuerySet[Recommendation]:
    """The member's stored recommendations, best first, with their products (one query)."""
    return Recommendation.objects.filter(member=member).select_related("product").order_by("rank")


def product_search(*, query: str, limit: int = SEARCH_LIMIT) -> list[Product]:
    query = query.strip()
    if not query or "\x00" in query:  # no stored text holds a NUL (see member_search)
        return []
    return list(Product.objects.filter(Q(sku__icontains=query) | Q(title__icontains=query)).order_by("title", "id")[:limit])


def product_categories() -> list[str]:
    return list(Product.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct())


@dataclass(frozen=True)
class LikelyBuyer:
    member: Member
    score: float  # cosine similarity between the member and the product (or category centre)


def _vectors(rows: list[tuple[int, bytes]]) -> tuple[list[int], np.ndarray]:
    ids = [pk for pk, _ in rows]
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    return ids, np.stack([np.frombuffer(bytes(vector), dtype="<f4") for _, vector in rows]).astype(np.float32)


def _buyers(target: np.ndarray, exclude_ids: set[int], limit: int) -> list[LikelyBuyer]:
    member_ids, vectors = _vectors(list(MemberEmbedding.objects.filter(member__status="active").values_list("member_id", "vector")))
    if not member_ids or vectors.shape[1] != target.shape[0]:
        return []
    exclude = [i for i, pk in enumerate(member_ids) if pk in exclude_ids]
    picks = likely_buyers(vectors, target, limit, exclude=exclude)
    members = Member.objects.in_bulk([member_ids[i] for i, _ in picks])
    return [LikelyBuyer(members[member_ids[i]], score) for i, score in picks if member_ids[i] in members]


def likely_buyers_for_product(*, product: Product, limit: int = LIKELY_BUYERS) -> list[LikelyBuyer]:
    """Active members most similar to the product who have not bought it yet (four queries);
    empty until recommendations were generated."""
    row = ProductEmbedding.objects.filter(product=product).values_list("vector", flat=True).first()
    if row is None:
        return []
    bought = set(OrderItem.objects.filter(product=product, order__status__in=REVENUE_STATUSES)
                 .values_list("order__member_id", flat=True))
    return _buyers(np.frombuffer(bytes(row), dtype="<f4").copy(), bought, limit)


def likely_buyers_for_category(*, category: str, limit: int = LIKELY_BUYERS) -> list[LikelyBuyer]:
    """Active members closest to the centre of the category's active products (three queries);
    members who already buy in the category stay in: they are the likeliest audience."""
    _, vectors = _vectors(list(ProductEmbedding.objects.filter(product__category=category, product__active=True)
                               .values_list("product_id", "vector")))
    if not len(vectors):
        return []
    return _buyers(category_vector(vectors, range(len(vectors))), set(), limit)
