"""factory_boy factories shared by the whole suite."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from members.models import Member, Order, OrderItem, Product, Review, Tier, TierChange


def tier(code: str = "basic") -> Tier:
    """The default ladder is created by a data migration; tests use it rather than inventing tiers."""
    return Tier.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    external_id = factory.Sequence(lambda n: f"M{n:07d}")
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    name = factory.Faker("name")
    joined_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=400))
    country = "United Kingdom"
    city = "London"
    tier = factory.LazyFunction(tier)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU{n:06d}")
    title = factory.Sequence(lambda n: f"Linen shirt no. {n}")
    category = "Tops"
    brand = "Northwind"
    price = Decimal("49.90")
    currency = "GBP"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    external_id = factory.Sequence(lambda n: f"O{n:08d}")
    member = factory.SubFactory(MemberFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    status = "delivered"
    channel = "web"
    currency = "GBP"
    total = Decimal("99.80")


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    quantity = 2
    unit_price = Decimal("49.90")


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    external_id = factory.Sequence(lambda n: f"R{n:08d}")
    member = factory.SubFactory(MemberFactory)
    product = factory.SubFactory(ProductFactory)
    rating = 4
    title = "Lovely fabric"
    body = "Fits true to size and the colour is exactly as pictured."
    created_at = factory.LazyFunction(timezone.now)


class TierChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierChange

    member = factory.SubFactory(MemberFactory)
    from_tier = factory.LazyFunction(tier)
    to_tier = factory.LazyFunction(lambda: tier("silver"))
    reason = "Qualified by spend"
    status = "proposed"
