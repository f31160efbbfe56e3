"""Orders with their items nested; member and product referenced by external id and sku."""

from django.utils import timezone
from rest_framework import serializers

from members.api.serializers.base import (
    StrictCharField,
    StrictDateTimeField,
    StrictDecimalField,
    StrictInputSerializer,
    StrictIntegerField,
    external_id_field,
)
from members.api.serializers.lean import decimal_text, time_text
from members.models import Order, OrderItem, OrderStatus

MAX_ITEMS_PER_ORDER = 500


class OrderItemSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = OrderItem
        fields = ("line_number", "sku", "quantity", "unit_price")
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.external_id", read_only=True, help_text="Member external id.")
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ("external_id", "member", "placed_at", "status", "channel", "currency", "total", "items",
                  "created_at", "updated_at")
        read_only_fields = fields


# The lean list (members/api/views/base.py: LeanListMixin): OrderSerializer's output from values().
ORDER_LIST_FIELDS = ("id", "external_id", "member__external_id", "placed_at", "status", "channel", "currency",
                     "total", "created_at", "updated_at")


def order_rows_out(rows: list[dict]) -> list[dict]:
    """The page's orders with their items: one query for all the items (in place of the prefetch)."""
    items_by_order = {row["id"]: [] for row in rows}
    items = (OrderItem.objects.filter(order_id__in=list(items_by_order)).order_by("line_number")
             .values_list("order_id", "line_number", "product__sku", "quantity", "unit_price"))
    for order_id, line_number, sku, quantity, unit_price in items:
        items_by_order[order_id].append({"line_number": line_number, "sku": sku, "quantity": quantity,
                                         "unit_price": decimal_text(unit_price)})
    tz = timezone.get_current_timezone()
    return [{
        "external_id": row["external_id"], "member": row["member__external_id"],
        "placed_at": time_text(row["placed_at"], tz), "status": row["status"], "channel": row["channel"],
        "currency": row["currency"], "total": decimal_text(row["total"]), "items": items_by_order[row["id"]],
        "created_at": time_text(row["created_at"], tz), "updated_at": time_text(row["updated_at"], tz),
    } for row in rows]


class OrderItemWriteSerializer(StrictInputSerializer):
    line_number = StrictIntegerField(min_value=1, max_value=1_000_000)
    sku = StrictCharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)
    unit_price = StrictDecimalField(max_digits=12, decimal_places=2, min_value=0)


class OrderWriteSerializer(StrictInputSerializer):
    """The full order (PUT semantics). Omit `items` to keep the stored ones; send a list (even
    empty) to replace them."""

    external_id = external_id_field(required=False, help_text="Optional in PUT (the URL names it).")
    member = external_id_field(help_text="The member's external id.")
    placed_at = StrictDateTimeField()
    status = serializers.ChoiceField(choices=OrderStatus.choices, default=OrderStatus.PLACED)
    channel = StrictCharField(max_length=32, allow_blank=True, default="")
    currency = StrictCharField(min_length=3, max_length=3, default="USD")
    total = StrictDecimalField(max_digits=14, decimal_places=2, min_value=0)
    items = OrderItemWriteSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_ORDER)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_items(self, items):
        numbers = [item["line_number"] for item in items]
        if len(numbers) != len(set(numbers)):
            raise serializers.ValidationError("Line numbers must be unique within an order.")
        return items


class OrderBulkRecordSerializer(OrderWriteSerializer):
    external_id = external_id_field()
