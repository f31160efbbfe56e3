"""Runs of the scheduled (nightly) Celery tasks: when each started and finished, and why it failed.

Written by Celery signal handlers (memberhub/observability/celery_signals.py via
members/operations/services/scheduled_runs.py) for the tasks in CELERY_BEAT_SCHEDULE and the steps of the
member refresh chain, so staff can see on the System page what ran last night, how long it took,
and retry what failed. Other tasks keep their state on their own rows (ImportJob, TrainingRun,
WebhookDelivery).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ScheduledRun(models.Model):
    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, unique=True, help_text="Celery's id for this run.")
    args = models.JSONField(
        default=list, blank=True, help_text="The task's positional arguments, to retry it."
    )
    status = models.CharField(
        max_length=16, choices=ScheduledRunStatus.choices, default=ScheduledRunStatus.RUNNING
    )
    error = models.TextField(blank=True, help_text="Why it failed, as the exception said it.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    retried_at = models.DateTimeField(null=True, blank=True, help_text="When staff retried this failed run.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["task_name", "-started_at"], name="scheduledrun_task_started"),
            models.Index(fields=["status", "-started_at"], name="scheduledrun_status_started"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id} ({self.status})"

    @property
    def label(self) -> str:
        """The task's name without the app, with its step, e.g. 'predictions.refresh_step(churn)'."""
        short = self.task_name.removeprefix("members.")
        first = self.args[0] if self.args and isinstance(self.args[0], str) else ""
        return f"{short}({first})" if first else short

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
