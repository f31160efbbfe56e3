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
    generated_at = models.DateTimeField(help_text="Start of the generation that last wrote this member's rows.")
    history_hash = models.CharField(
        max_length=40, blank=True, default="",
        help_text="Hash of the history the vector was made from: an equal hash (same model version) reuses the vector.")


class ProductEmbedding(models.Model):
    """The item tower's vector (float32 little-endian bytes, L2-normalised) from the last generation."""

    product = models.OneToOneField("members.Product", on_delete=models.CASCADE, primary_key=True, related_name="+")
    vector = models.BinaryField()
    model_version = models.CharField(max_length=64)
    generated_at = models.DateTimeField()
    content_hash = models.CharField(
        max_length=40, blank=True, default="",
        help_text="Hash of (encoder, item text): an equal hash reuses the vector instead of re-encoding the item.")


class RecsRunKind(models.TextChoices):
    FULL = "full", "Full rebuild"
    INCREMENTAL = "incremental", "Incremental"


class RecsRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RecsRun(models.Model):
    """One chunked generation (members/recs/services/recommendations_nightly.py): the shared model is
    fitted once and saved to ``artifact_path``; its members are split into RecsChunk rows over id
    ranges, one members.recs.generate_chunk task each."""

    kind = models.CharField(max_length=16, choices=RecsRunKind.choices)
    status = models.CharField(max_length=16, choices=RecsRunStatus.choices, default=RecsRunStatus.RUNNING)
    as_of = models.DateField()
    model_version = models.CharField(max_length=64)
    artifact_path = models.CharField(max_length=500, blank=True)
    members = models.PositiveIntegerField(default=0, help_text="Members to regenerate (all active ones on a full run).")
    chunks_total = models.PositiveIntegerField(default=0)
    prepare_seconds = models.FloatField(default=0.0, help_text="The shared step: shop load, item vectors, model fit.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the run failed: the chunk and the exception, in words.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"recs run {self.pk} ({self.kind}, {self.status})"


class RecsChunk(models.Model):
    """The members of one id range of a RecsRun; ``done_at`` is set once its rows are written."""

    run = models.ForeignKey(RecsRun, on_delete=models.CASCADE, related_name="chunks")
    first_member_id = models.BigIntegerField()
    last_member_id = models.BigIntegerField()
    member_ids = models.JSONField(help_text="The run's members within [first_member_id, last_member_id].")
    worker = models.CharField(max_length=200, blank=True, help_text="Worker that wrote the rows (the last one, if run twice).")
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "first_member_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_member_id"], name="recschunk_unique_run_start"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} members {self.first_member_id}..{self.last_member_id}"
