from members.models.catalog import Product
from members.models.member import Member, MemberStatus, Segment
from members.models.order import Order, OrderItem, OrderStatus
from members.models.review import Review, Sentiment
from members.models.tier import Tier, TierChange, TierChangeSource, TierChangeStatus

__all__ = [
    "Member",
    "MemberStatus",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Product",
    "Review",
    "Segment",
    "Sentiment",
    "Tier",
    "TierChange",
    "TierChangeSource",
    "TierChangeStatus",
]
