"""Reads for the merchandiser reviews list: filtered, newest first, paged without a COUNT."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from members.models import Review


@dataclass(frozen=True)
class ReviewPage:
    reviews: list[Review]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def review_list_page(
    *,
    page: int,
    page_size: int,
    rating: int | None = None,
    product_query: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
) -> ReviewPage:
    """One page of reviews, newest first, with product and member joined: one query.

    Fetches page_size + 1 rows to learn whether a next page exists, so no COUNT runs over a
    large table. `product_query` matches a product title substring (trigram-indexed) or an exact
    SKU. Dates are whole days in the current time zone, both ends included.
    """
    reviews = Review.objects.select_related("product", "member").order_by("-created_at", "-id")
    if rating is not None:
        reviews = reviews.filter(rating=rating)
    if product_query:
        reviews = reviews.filter(Q(product__title__icontains=product_query) | Q(product__sku__iexact=product_query))
    if created_from is not None:
        reviews = reviews.filter(created_at__gte=_start_of_day(created_from))
    if created_to is not None:
        reviews = reviews.filter(created_at__lt=_start_of_day(created_to + timedelta(days=1)))
    offset = (page - 1) * page_size
    rows = list(reviews[offset : offset + page_size + 1])
    return ReviewPage(reviews=rows[:page_size], page=page, has_next=len(rows) > page_size)


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
