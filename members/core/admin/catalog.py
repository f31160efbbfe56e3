"""Product admin; its search also feeds the product autocomplete of order items and reviews."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from members.admin.base import ScalableAdmin
from members.models import Product


@admin.register(Product)
class ProductAdmin(ScalableAdmin):
    list_display = ("sku", "title", "category", "brand", "price", "currency", "active", "reviews_link")
    # category has an index, so its SELECT DISTINCT walks the index of a (much smaller) catalogue.
    list_filter = ("category", "active")
    # Exact SKU, or part of the title (trigram index product_title_trgm from migration 0003).
    search_fields = ("sku__exact", "title")  # exact: unique btree; "=sku" (UPPER) has no index
    search_help_text = "Exact SKU, or part of the title."
    sortable_by = ("sku", "title", "price")

    @admin.display(description="Reviews")
    def reviews_link(self, obj: Product) -> str:
        url = reverse("admin:members_review_changelist")
        return format_html('<a href="{}?product__id__exact={}">reviews</a>', url, obj.pk)
