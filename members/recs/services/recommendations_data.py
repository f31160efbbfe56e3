"""Database rows -> the plain rows ml.recs works on (items keyed by product id as a string).

Three queries, whatever the size of the shop (two for one chunk's members): products, revenue order lines, positive reviews.
Returned orders do not count as purchases (the member sent the item back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings

from members.core.models.order import REVENUE_STATUSES
from members.models import OrderItem, Product, Review
from members.predictions.features import features_cutoff
from ml.recs.data import POSITIVE_RATING, CatalogItem, Opinion, Purchase

RECS_ARTIFACT_FOLDER = "recs"  # under MEMBERHUB_ARTIFACT_DIR: one folder per fine-tuned version
BASE_VERSION = "base"  # model_version when no fine-tuned version exists yet


@dataclass(frozen=True)
class ShopRows:
    items: list[CatalogItem]
    purchases: list[Purchase]
    opinions: list[Opinion]


def shop_rows_load(*, as_of: date | None = None) -> ShopRows:
    """The whole catalogue, every revenue purchase, and every review of 4-5 stars; with ``as_of``
    only orders placed and reviews written before features_cutoff(as_of) (midnight UTC after that
    day, as for the member features), so a computation as of a past date cannot see later rows.
    The catalogue is today's (products carry no history)."""
    items = [
        CatalogItem(key=str(pk), title=title, category=category, brand=brand, description=description, active=active)
        for pk, title, category, brand, description, active in Product.objects.order_by("id").values_list(
            "id", "title", "category", "brand", "description", "active"
        )
    ]
    purchases, opinions = member_rows_load(as_of=as_of)
    return ShopRows(items=items, purchases=purchases, opinions=opinions)


def member_rows_load(*, as_of: date | None = None, member_ids: Sequence[int] | None = None,
                     ) -> tuple[list[Purchase], list[Opinion]]:
    """Revenue purchases (oldest first) and 4-5 star reviews as in shop_rows_load, of every member or
    of ``member_ids`` only (one chunk of a chunked generation reads just its own members' rows)."""
    lines = OrderItem.objects.filter(order__status__in=REVENUE_STATUSES)
    reviews = Review.objects.filter(rating__gte=POSITIVE_RATING)
    if member_ids is not None:
        lines = lines.filter(order__member_id__in=list(member_ids))
        reviews = reviews.filter(member_id__in=list(member_ids))
    if as_of is not None:
        cutoff = features_cutoff(as_of=as_of)
        lines = lines.filter(order__placed_at__lt=cutoff)
        reviews = reviews.filter(created_at__lt=cutoff)
    purchases = [
        Purchase(member=str(member), item=str(product), order=str(order), at=at)
        for member, product, order, at in lines.order_by("order__placed_at", "order_id", "line_number")
        .values_list("order__member_id", "product_id", "order_id", "order__placed_at")
    ]
    opinions = [
        Opinion(member=str(member), item=str(product), rating=rating, at=at)
        for member, product, rating, at in reviews.values_list("member_id", "product_id", "rating", "created_at")
    ]
    return purchases, opinions


def recs_artifact_root() -> Path:
    return Path(settings.MEMBERHUB_ARTIFACT_DIR) / RECS_ARTIFACT_FOLDER


def recs_model_current() -> tuple[str | None, str]:
    """(encoder location for ml.scoring.Encoder, model_version): the newest complete fine-tuned
    version under recs_artifact_root(), else the configured base model (settings.RECS_BASE_MODEL,
    empty = the packaged all-MiniLM-L6-v2) as version "base". Version folders are named by their
    UTC start time, so the newest sorts last."""
    root = recs_artifact_root()
    versions = sorted(p for p in root.glob("v*") if not p.name.endswith(".partial") and (p / "metrics.json").is_file() and (p / "model" / "config.json").is_file()) if root.is_dir() else []
    if versions:
        return str(versions[-1] / "model"), versions[-1].name
    return (settings.RECS_BASE_MODEL or None), BASE_VERSION
