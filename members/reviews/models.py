"""Review intelligence: training runs, the model versions they produce, topics and human labels.

A TrainingRun is one fine-tune (members/reviews/services/training.py); when it succeeds it writes one
ModelVersion. At most one version per task is *active* (a partial unique constraint): that is the
one scoring uses. Staff corrections of the models' outputs live on Review (sentiment_label_human)
and in ReviewTopicLabel; they override the weak labels in the next fine-tune.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MlTask(models.TextChoices):
    SENTIMENT = "sentiment", _("Sentiment")
    TOPICS = "topics", _("Topics")
    ENTITIES = "entities", _("Entities")


class TrainingRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_RUN_STATUSES = (TrainingRunStatus.SUCCEEDED, TrainingRunStatus.FAILED, TrainingRunStatus.CANCELLED)


class TrainingRun(models.Model):
    """One fine-tune. Progress fields are written by the worker while it trains (throttled)."""

    task = models.CharField(max_length=16, choices=MlTask.choices)
    status = models.CharField(max_length=16, choices=TrainingRunStatus.choices, default=TrainingRunStatus.QUEUED)
    parameters = models.JSONField(default=dict, blank=True, help_text="Training options asked for (epochs, ...).")
    device = models.CharField(max_length=32, blank=True)
    dataset_sizes = models.JSONField(default=dict, blank=True, help_text="Rows per split and label counts.")
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    epoch = models.FloatField(default=0.0)
    # [{"step", "epoch", "loss"} | {"step", "epoch", "eval_macro_f1", ...}], thinned to a capped length.
    loss_history = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "status"], name="trainingrun_task_status")]

    def __str__(self) -> str:
        return f"{self.task} run #{self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in (TrainingRunStatus.QUEUED, TrainingRunStatus.RUNNING)

    @property
    def eta_seconds(self) -> int | None:
        """Seconds left for a running run, from its pace so far (steps done / time taken); with a
        time budget (parameters["max_minutes"]) never past the budget. None before the first step."""
        if self.status != TrainingRunStatus.RUNNING or not self.started_at or not self.step or not self.total_steps:
            return None
        from django.utils import timezone

        elapsed = (timezone.now() - self.started_at).total_seconds()
        left = elapsed / self.step * max(self.total_steps - self.step, 0)
        budget_minutes = (self.parameters or {}).get("max_minutes")
        if budget_minutes:
            left = min(left, max(0.0, 60 * float(budget_minutes) - elapsed))
        return round(left)

    @property
    def progress_pct(self) -> int:
        if self.status == TrainingRunStatus.SUCCEEDED:
            return 100
        if not self.total_steps:
            return 0
        return min(100, round(100 * self.step / self.total_steps))


class ModelVersionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANDIDATE = "candidate", _("Candidate")
    RETIRED = "retired", _("Retired")


class ModelVersionKind(models.TextChoices):
    FINETUNED = "finetuned", _("Fine-tuned encoder")
    BASELINE = "tfidf_logreg", _("TF-IDF + logistic regression (baseline)")
    RULES = "keyword_rules", _("Keyword rules (topics)")


class ModelVersion(models.Model):
    """A trained artifact directory. `label` ("sentiment-v3") is what Review.model_version stores.

    Baselines are versions too (kind tfidf_logreg): stored, compared and served like a fine-tune,
    so the shop is never served a model worse than keyword statistics."""

    task = models.CharField(max_length=16, choices=MlTask.choices)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=ModelVersionKind.choices, default=ModelVersionKind.FINETUNED)
    artifact_path = models.CharField(max_length=500)
    base_model = models.CharField(max_length=300, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(TrainingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="versions")
    status = models.CharField(max_length=16, choices=ModelVersionStatus.choices, default=ModelVersionStatus.CANDIDATE)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["task", "version"], name="modelversion_task_version_unique"),
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="active"), name="modelversion_one_active_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"

    @property
    def label(self) -> str:
        return f"{self.task}-v{self.version}"

    @property
    def is_baseline(self) -> bool:
        return self.kind == ModelVersionKind.BASELINE

    @property
    def baseline_kind(self) -> str:
        """What this task's versions must beat: the keyword rules for topics, TF-IDF + LR otherwise."""
        return ModelVersionKind.RULES if self.task == MlTask.TOPICS else ModelVersionKind.BASELINE

    def test_metrics(self, model: str | None = None) -> dict:
        """Test-split metrics of this version's own model (by default), or of a model it was
        compared with on the same split ("finetuned", "tfidf_logreg", "majority")."""
        return (self.metrics.get("test") or {}).get(model or self.kind) or {}

    @property
    def decision(self) -> dict:
        """Why this version is (not) served: members.reviews.services.model_registry.ServingDecision.to_dict()."""
        return self.metrics.get("decision") or {}


class Topic(models.Model):
    """What a review can be about. Staff may add topics and edit descriptions/keywords (used by the
    weak topic labeller); `active=False` hides a topic from scoring without losing its labels."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(help_text="One or two sentences; the topic model compares reviews to it.")
    keywords = models.JSONField(default=list, blank=True, help_text="Words or phrases that signal the topic.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReviewTopicLabel(models.Model):
    """A person's verdict on one topic of one review: present or not. One row per (review, topic)."""

    review = models.ForeignKey("members.Review", on_delete=models.CASCADE, related_name="topic_labels")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="review_labels")
    present = models.BooleanField()
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    labelled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "topic"], name="reviewtopiclabel_review_topic_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} {self.topic_id} {'yes' if self.present else 'no'}"
