from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """The CSV files MemberHub imports; the same names as csv_import.IMPORT_KINDS."""

    MEMBERS = "members", _("Members")
    PRODUCTS = "products", _("Products")
    ORDERS = "orders", _("Orders")
    ORDER_ITEMS = "order_items", _("Order items")
    REVIEWS = "reviews", _("Reviews")


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# A job whose import may (still or again) be run: "running" is included because a worker killed
# mid-import leaves its job running and the broker redelivers the task; the import is an upsert.
IMPORT_JOB_RUNNABLE_STATUSES = (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)

# How many rejected rows a job keeps with their reasons; the counts cover all of them.
IMPORT_JOB_MAX_STORED_ERRORS = 100


class ImportJob(models.Model):
    """One CSV import run in the background: what was asked, how far it got and what it did."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    path = models.CharField(max_length=1024, help_text="The CSV file on the worker's disk.")
    encoding = models.CharField(
        max_length=16, default="auto", db_default="auto",
        help_text="How to read the file: auto, utf-8, gb18030 or utf-16 (import_csv --encoding).",
    )
    encoding_used = models.CharField(
        max_length=64, blank=True, default="", db_default="", help_text='What the file was read as, e.g. "GB18030 (detected)".'
    )
    status = models.CharField(max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started it.")

    rows_total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text='The first rejected rows: [{"line": 12, "reason": "..."}].'
    )
    error = models.TextField(blank=True, help_text="Why the job failed, in words.")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task was handed to the broker; empty while the broker was unreachable."
    )
    task_id = models.CharField(max_length=64, blank=True, help_text="The Celery task that claimed it last.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="importjob_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running"]) | models.Q(finished_at__isnull=False),
                name="importjob_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.kind} ({self.status})"
