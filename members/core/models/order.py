from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


# Orders whose money the shop keeps: they count towards spend and tier qualification.
REVENUE_STATUSES = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


class Order(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    # No index of its own: order_member_placed (member_id, placed_at) serves every lookup by member
    # (migration 0023 dropped the redundant one).
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="orders", db_index=False)
    placed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    channel = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-placed_at"], name="order_member_placed"),
            models.Index(fields=["-placed_at", "-id"], name="order_placed_desc"),
            models.Index(fields=["status", "-placed_at"], name="order_status_placed"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_non_negative"),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderItem(models.Model):
    # Lookups by order use orderitem_unique_line (order_id, line_number); by product, orderitem_product.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", db_index=False)
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey("members.Product", on_delete=models.PROTECT, related_name="order_items", db_index=False)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderitem_unique_line"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderitem_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="orderitem_price_non_negative"),
        ]
        indexes = [models.Index(fields=["product"], name="orderitem_product")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_number}"
