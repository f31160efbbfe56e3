"""Stored product recommendations, and the embeddings they were made from.

Recommendations are replaced per member on every generation (members/recs/services/recommendations.py):
at most one row per (member, rank). The member and product embeddings stay beside them so
"likely buyers of this product / category" is one matrix-vector product, not a re-encode.
"""

from django.db import models


class Recommendation(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="recommendations")
    product = models.ForeignKey("members.Product", on_delete=models.CASCADE, related_name="recommendations")
    rank = models.PositiveSmallIntegerField(help_text="1 = best.")
    score = models.FloatField(help_text="Retrieval score: cosine similarity plus the popularity prior.")
    reason = models.CharField(max_length=400, help_text='Readable, e.g. "Because you bought Linen shirt".')
    model_version = models.CharField(max_length=64)
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["member", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["member", "rank"], name="recommendation_unique_member_rank"),
        ]
        indexes = [models.Index(fields=["product", "-score"], name="recommendation_product_score")]

    def __str__(self) -> str:
        return f"{self.member_id} #{self.rank}: {self.product_id}"


class MemberEmbedding(models.Model):
    """The member tower's vector (float32 little-endian bytes, L2-normalised) from the last generation."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, primary_key=True, related_name="+")
    vector = models.BinaryField()
    model_version = models.CharField(max_length=64)
    generated_at = models.DateTimeField()


class ProductEmbedding(models.Model):
    """The item tower's vector (float32 little-endian bytes, L2-normalised) from the last generation."""

    product = models.OneToOneField("members.Product", on_delete=models.CASCADE, primary_key=True, related_name="+")
    vector = models.BinaryField()
    model_version = models.CharField(max_length=64)
    generated_at = models.DateTimeField()
