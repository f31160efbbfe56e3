from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Review(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="reviews")
    product = models.ForeignKey("members.Product", on_delete=models.CASCADE, related_name="reviews")
    order = models.ForeignKey(
        "members.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=8, default="en")  # ml.language: "zh", "en" or "other", set when scored
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Model outputs, filled by the review-intelligence models.
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    # True when the served fine-tune's tokenizer cannot read this review (too many unknown tokens,
    # ml.language.cannot_read): the label is a guess, whatever its probability says.
    # db_default: the importers write reviews with INSERT ... SELECT from a COPY staging table.
    sentiment_low_confidence = models.BooleanField(default=False, db_default=False)
    topics = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)  # null = waiting to be (re)scored
    sentiment_probabilities = models.JSONField(default=dict, blank=True)  # {"negative": 0.1, ...}
    # [{"start", "end", "label", "text"}] character offsets into body (see ml/entities.py).
    entities = models.JSONField(default=list, blank=True)
    # float32 little-endian bytes (numpy .tobytes()): 1.5 KB for 384 dims, and it migrates on the
    # SQLite first-run database as well as Postgres (an ArrayField would not).
    embedding = models.BinaryField(null=True, blank=True, editable=False)

    # A person's correction of the sentiment; overrides the star rating in the next fine-tune.
    sentiment_label_human = models.CharField(max_length=16, choices=Sentiment.choices, blank=True)
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    labelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="review_created_desc"),
            models.Index(fields=["product", "-created_at"], name="review_product_created"),
            models.Index(fields=["member", "-created_at"], name="review_member_created"),
            models.Index(fields=["rating"], name="review_rating"),
            # The scoring queue and the "needs attention" list.
            models.Index(fields=["id"], condition=models.Q(scored_at__isnull=True), name="review_unscored"),
            models.Index(fields=["sentiment", "-created_at"], name="review_sentiment_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.title or self.body[:40]}"
