"""Product input and output."""

from django.utils import timezone
from rest_framework import serializers

from members.api.serializers.base import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictInputSerializer,
)
from members.api.serializers.lean import decimal_text, time_text
from members.models import Product


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ("sku", "title", "description", "category", "brand", "price", "currency", "active",
                  "created_at", "updated_at")
        read_only_fields = fields


# The lean list (members/api/views/base.py: LeanListMixin): ProductSerializer's output from values().
PRODUCT_LIST_FIELDS = ("id", "sku", "title", "description", "category", "brand", "price", "currency", "active",
                       "created_at", "updated_at")


def product_rows_out(rows: list[dict]) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [{
        "sku": row["sku"], "title": row["title"], "description": row["description"], "category": row["category"],
        "brand": row["brand"], "price": decimal_text(row["price"]), "currency": row["currency"],
        "active": row["active"], "created_at": time_text(row["created_at"], tz),
        "updated_at": time_text(row["updated_at"], tz),
    } for row in rows]


class ProductWriteSerializer(StrictInputSerializer):
    """The full product (PUT semantics)."""

    sku = StrictCharField(max_length=64, required=False, help_text="Optional in PUT (the URL names it).")
    title = StrictCharField(max_length=300)
    description = StrictCharField(allow_blank=True, default="")
    category = StrictCharField(max_length=100, allow_blank=True, default="")
    brand = StrictCharField(max_length=100, allow_blank=True, default="")
    price = StrictDecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = StrictCharField(min_length=3, max_length=3, default="USD")
    active = StrictBooleanField(default=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
