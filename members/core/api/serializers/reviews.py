"""Reviews in and out; model outputs (sentiment, topics) are output only."""

from django.utils import timezone
from rest_framework import serializers

from members.api.serializers.base import (
    StrictCharField,
    StrictDateTimeField,
    StrictInputSerializer,
    StrictIntegerField,
    external_id_field,
)
from members.api.serializers.lean import dicts, floats_by_name, texts, time_text
from members.models import Review, Sentiment


class ReviewSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.external_id", read_only=True, help_text="Member external id.")
    product = serializers.CharField(source="product.sku", read_only=True, help_text="Product sku.")
    order = serializers.CharField(source="order.external_id", read_only=True, allow_null=True,
                                  help_text="Order external id, if the review is tied to one.")
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, allow_blank=True, read_only=True,
                                        help_text="Empty until MemberHub's model has scored the review.")
    # Review analysis (docs/review-intelligence.md), all output only.
    sentiment_probabilities = serializers.DictField(
        child=serializers.FloatField(), read_only=True,
        help_text="Probability per sentiment (negative, neutral, positive); {} until scored.")
    topics = serializers.ListField(child=serializers.CharField(), read_only=True,
                                   help_text="Topic codes the review is about (see the Topic table).")
    entities = serializers.ListField(
        child=serializers.DictField(), read_only=True,
        help_text="Brand, product and price mentions: {start, end, label, text, score}; offsets index the body.")
    model_version = serializers.CharField(read_only=True,
                                          help_text='The model that scored it, e.g. "sentiment-v3"; empty until scored.')

    class Meta:
        model = Review
        fields = ("external_id", "member", "product", "order", "rating", "title", "body", "language",
                  "created_at", "updated_at", "sentiment", "sentiment_confidence", "sentiment_probabilities",
                  "topics", "entities", "model_version", "scored_at")
        read_only_fields = fields


# The lean list (members/api/views/base.py: LeanListMixin): ReviewSerializer's output from values().
REVIEW_LIST_FIELDS = ("id", "external_id", "member__external_id", "product__sku", "order__external_id", "rating",
                      "title", "body", "language", "created_at", "updated_at", "sentiment", "sentiment_confidence",
                      "sentiment_probabilities", "topics", "entities", "model_version", "scored_at")


def review_rows_out(rows: list[dict]) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [{
        "external_id": row["external_id"], "member": row["member__external_id"], "product": row["product__sku"],
        "order": row["order__external_id"], "rating": row["rating"], "title": row["title"], "body": row["body"],
        "language": row["language"], "created_at": time_text(row["created_at"], tz),
        "updated_at": time_text(row["updated_at"], tz), "sentiment": row["sentiment"],
        "sentiment_confidence": row["sentiment_confidence"],
        "sentiment_probabilities": floats_by_name(row["sentiment_probabilities"]),
        "topics": texts(row["topics"]), "entities": dicts(row["entities"]), "model_version": row["model_version"],
        "scored_at": time_text(row["scored_at"], tz),
    } for row in rows]


class ReviewWriteSerializer(StrictInputSerializer):
    """The full review (PUT semantics)."""

    external_id = external_id_field(required=False, help_text="Optional in PUT (the URL names it).")
    member = external_id_field(help_text="The member's external id.")
    product = StrictCharField(max_length=64, help_text="The product's sku.")
    order = external_id_field(required=False, allow_null=True, default=None,
                              help_text="The order's external id (same member), or null.")
    rating = StrictIntegerField(min_value=1, max_value=5)
    title = StrictCharField(max_length=300, allow_blank=True, default="")
    body = StrictCharField(allow_blank=True, default="", max_length=20_000)
    language = StrictCharField(max_length=8, default="en")
    created_at = StrictDateTimeField()
    updated_at = serializers.DateTimeField(read_only=True)
    sentiment = serializers.CharField(read_only=True)
    topics = serializers.JSONField(read_only=True)


class ReviewBulkRecordSerializer(ReviewWriteSerializer):
    external_id = external_id_field()
