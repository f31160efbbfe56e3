"""A small shop for the database tests: three categories, repeat and one-off buyers, a review."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from members.models import Member, Product
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory, ReviewFactory

TITLES = {
    "TEA-GREEN": ("Green tea leaves", "Tea"),
    "TEA-JASMINE": ("Jasmine green tea", "Tea"),
    "TEA-BLACK": ("Black tea leaves", "Tea"),
    "POT": ("Green tea pot", "Kitchen"),
    "MUG": ("Stoneware tea mug", "Kitchen"),
    "PLATE": ("Stoneware plate", "Kitchen"),
    "SOCK": ("Wool sock", "Clothes"),
    "HAT": ("Wool hat", "Clothes"),
    "SCARF": ("Wool scarf", "Clothes"),
}


@dataclass
class Shop:
    products: dict[str, Product]
    ann: Member  # two orders (green tea, then the pot) and a 5-star review of the mug
    bob: Member  # one order: a sock
    cara: Member  # no orders
    gone: Member  # closed account: never recommended


def shop_create() -> Shop:
    products = {sku: ProductFactory(sku=sku, title=title, category=category) for sku, (title, category) in TITLES.items()}
    products["OLD"] = ProductFactory(sku="OLD", title="Green tea tin", category="Kitchen", active=False)
    now = timezone.now()
    ann, bob = MemberFactory(external_id="ANN", name="Ann Archer"), MemberFactory(external_id="BOB", name="Bob Baker")
    cara = MemberFactory(external_id="CARA", name="Cara Cole")
    gone = MemberFactory(external_id="GONE", status="closed")
    for member, sku, days in ((ann, "TEA-GREEN", 30), (ann, "POT", 10), (bob, "SOCK", 5), (gone, "HAT", 5)):
        OrderItemFactory(order=OrderFactory(member=member, placed_at=now - timedelta(days=days)), product=products[sku])
    ReviewFactory(member=ann, product=products["MUG"], rating=5)
    return Shop(products=products, ann=ann, bob=bob, cara=cara, gone=gone)
