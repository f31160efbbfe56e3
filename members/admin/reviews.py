"""Review admin: the text people wrote, plus the models' outputs shown read-only."""

from django.contrib import admin

from members.admin.base import ScalableAdmin
from members.admin.filters import ProductSkuFilter, RatingFilter, related_id_filter
from members.models import Member, Product, Review

_MODEL_OUTPUTS = ("sentiment", "sentiment_confidence", "topics", "model_version", "scored_at")


@admin.register(Review)
class ReviewAdmin(ScalableAdmin):
    list_display = ("external_id", "title", "rating", "product", "member", "sentiment", "created_at")
    list_select_related = ("product", "member")
    list_filter = (
        RatingFilter,
        "sentiment",
        ("created_at", admin.DateFieldListFilter),
        ProductSkuFilter,
        related_id_filter(fk="product", model=Product, title="product"),
        related_id_filter(fk="member", model=Member, title="member"),
    )
    search_fields = ("external_id__exact",)  # the unique btree; "=" would be UPPER(...) and scan
    search_help_text = "Exact review id."
    sortable_by = ("external_id", "created_at")
    autocomplete_fields = ("member", "product", "order")
    # Written by the review-intelligence models; editing them by hand would falsify their record.
    readonly_fields = _MODEL_OUTPUTS + ("updated_at",)
    fieldsets = (
        (None, {"fields": ("external_id", "member", "product", "order", "rating", "title", "body", "language",
                           "created_at")}),
        ("Model outputs", {"fields": _MODEL_OUTPUTS + ("updated_at",)}),
    )
