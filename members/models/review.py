from django.db import models


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


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
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Model outputs, filled by the review-intelligence models.
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    topics = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="review_created_desc"),
            models.Index(fields=["product", "-created_at"], name="review_product_created"),
            models.Index(fields=["member", "-created_at"], name="review_member_created"),
            models.Index(fields=["rating"], name="review_rating"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.title or self.body[:40]}"
