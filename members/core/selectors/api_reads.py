"""Querysets behind the partner API's list and detail endpoints, with the joins their
serializers read (so a page costs the same number of queries at 5 rows or 500)."""

from django.db.models import Prefetch, QuerySet

from members.models import Member, Order, OrderItem, Product, Review, Tier, TierChange


def api_member_queryset() -> QuerySet[Member]:
    return Member.objects.select_related("tier")


def api_product_queryset() -> QuerySet[Product]:
    return Product.objects.all()


def api_order_queryset() -> QuerySet[Order]:
    """Orders with member joined and items (+ product) prefetched: 2 queries per page."""
    items = OrderItem.objects.select_related("product").order_by("line_number")
    return Order.objects.select_related("member").prefetch_related(Prefetch("items", queryset=items))


def api_review_queryset() -> QuerySet[Review]:
    return Review.objects.select_related("member", "product", "order")


def api_tier_queryset() -> QuerySet[Tier]:
    return Tier.objects.order_by("rank")


def api_tier_change_queryset() -> QuerySet[TierChange]:
    return TierChange.objects.select_related("member", "from_tier", "to_tier")
