"""Reads for one member's page: recent orders, reviews and tier history, each one indexed query."""

from django.db.models import QuerySet

from members.models import Order, Review, TierChange


def member_recent_orders(*, member_id: int, limit: int) -> QuerySet[Order]:
    """The member's latest orders, newest first (index order_member_placed)."""
    return Order.objects.filter(member_id=member_id).order_by("-placed_at", "-id")[:limit]


def member_recent_reviews(*, member_id: int, limit: int) -> QuerySet[Review]:
    """The member's latest reviews with their product, newest first (index review_member_created)."""
    return (
        Review.objects.filter(member_id=member_id)
        .select_related("product")
        .order_by("-created_at", "-id")[:limit]
    )


def member_review_count(*, member_id: int) -> int:
    return Review.objects.filter(member_id=member_id).count()


def member_tier_history(*, member_id: int, limit: int) -> QuerySet[TierChange]:
    """The member's tier changes (any status) with tiers and decider joined, newest first."""
    return (
        TierChange.objects.filter(member_id=member_id)
        .select_related("from_tier", "to_tier", "decided_by")
        .order_by("-created_at", "-id")[:limit]
    )
