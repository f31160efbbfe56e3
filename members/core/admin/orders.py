"""Order admin: items inline with a product autocomplete; filters that never scan 5M orders."""

from django.contrib import admin

from members.admin.base import ScalableAdmin
from members.admin.widgets import PreloadedAutocompleteForm, PreloadedAutocompleteSelect
from members.core.admin.filters import ChannelFilter, related_id_filter
from members.models import Member, Order, OrderItem


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    form = PreloadedAutocompleteForm
    extra = 0
    autocomplete_fields = ("product",)
    fields = ("line_number", "product", "quantity", "unit_price")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "product":
            # Labels each row's product from the joined row instead of one query per item.
            kwargs["widget"] = PreloadedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Order)
class OrderAdmin(ScalableAdmin):
    list_display = ("external_id", "member", "placed_at", "status", "channel", "total", "currency")
    list_select_related = ("member",)
    list_filter = (
        "status",
        ChannelFilter,
        ("placed_at", admin.DateFieldListFilter),
        related_id_filter(fk="member", model=Member, title="member"),
    )
    search_fields = ("external_id__exact",)  # the unique btree; "=" would be UPPER(...) and scan
    search_help_text = "Exact order id."
    # Indexed orderings only (order_placed_desc, the unique external_id).
    sortable_by = ("external_id", "placed_at")
    autocomplete_fields = ("member",)
    inlines = (OrderItemInline,)
