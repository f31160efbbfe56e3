"""Review admin: the text people wrote, plus the models' outputs shown read-only."""

from django.contrib import admin

from members.admin.base import ScalableAdmin
from members.core.admin.filters import ProductSkuFilter, RatingFilter, related_id_filter
from members.models import Member, Product, Review, ReviewTopicLabel
from members.reviews.admin import ReviewTopicLabelInline
from members.reviews.services.labels import review_sentiment_label_set, review_topic_label_set

_MODEL_OUTPUTS = ("sentiment", "sentiment_confidence", "sentiment_probabilities", "topics", "entities",
                  "model_version", "scored_at")


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
    readonly_fields = _MODEL_OUTPUTS + ("updated_at", "labelled_by", "labelled_at")
    fieldsets = (
        (None, {"fields": ("external_id", "member", "product", "order", "rating", "title", "body", "language",
                           "created_at")}),
        ("Model outputs", {"fields": _MODEL_OUTPUTS + ("updated_at",)}),
        # People's corrections (members/reviews/services/labels.py): they feed the next fine-tune.
        ("Human labels", {"fields": ("sentiment_label_human", "labelled_by", "labelled_at")}),
    )
    inlines = (ReviewTopicLabelInline,)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "sentiment_label_human" in form.changed_data:
            review_sentiment_label_set(review_id=obj.pk, label=obj.sentiment_label_human, user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ReviewTopicLabel:
            return super().save_formset(request, form, formset, change)
        for label in formset.save(commit=False):
            review_topic_label_set(review_id=form.instance.pk, topic_id=label.topic_id, present=label.present,
                                   user=request.user)
        for label in formset.deleted_objects:
            label.delete()
        return None
