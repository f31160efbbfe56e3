"""Retrying failed background work from the System page, one kind at a time.

Each kind already has its own retry with its own guarantees; this only picks it and checks the
row failed: an import runs its file again as a new job, a training run is queued again with the
same parameters, a given-up webhook delivery is redelivered (same event id), a failed scheduled
run sends its task again. The old rows keep their record.
"""

from members.imports.services.import_jobs import import_job_run_again
from members.models import (
    ImportJob,
    ImportJobStatus,
    TrainingRun,
    TrainingRunStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from members.operations.services.scheduled_runs import scheduled_run_retry
from members.partners.services.webhooks import webhook_delivery_redeliver
from members.reviews.services.training import training_run_create

FAILED_JOB_KINDS = ("import", "training", "webhook", "scheduled")
# The permission a person needs to retry each kind: retrying an import or a training run creates
# a new one; a delivery or a scheduled run is changed (marked redelivered / retried).
RETRY_PERMISSIONS = {
    "import": "members.add_importjob",
    "training": "members.add_trainingrun",
    "webhook": "members.change_webhookdelivery",
    "scheduled": "members.change_scheduledrun",
}


class FailedJobError(ValueError):
    """A retry that cannot be done, with the reason in words."""


def failed_job_retry(*, kind: str, job_id: int, user) -> str:
    """Retry failed job `job_id` of `kind`; returns what was done, in words. Raises FailedJobError
    for an unknown kind, a row that is not failed, or a retry the kind's service refuses."""
    if kind not in FAILED_JOB_KINDS:
        raise FailedJobError(f"Unknown kind {kind!r}; expected one of {', '.join(FAILED_JOB_KINDS)}.")
    try:
        if kind == "import":
            if not ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.FAILED).exists():
                raise FailedJobError(f"Import {job_id} is not a failed import.")
            [job] = import_job_run_again(job_ids=[job_id], created_by=user)
            return f"Import {job_id} queued again as import {job.pk}."
        if kind == "training":
            run = (
                TrainingRun.objects.filter(pk=job_id, status=TrainingRunStatus.FAILED)
                .only("task", "parameters")
                .first()
            )
            if run is None:
                raise FailedJobError(f"Training run {job_id} is not a failed run.")
            new = training_run_create(task=run.task, parameters=run.parameters, created_by=user)
            return f"Training run {job_id} queued again as run {new.pk}."
        if kind == "webhook":
            if not WebhookDelivery.objects.filter(pk=job_id, status=WebhookDeliveryStatus.GIVEN_UP).exists():
                raise FailedJobError(f"Webhook delivery {job_id} was not given up.")
            copies = webhook_delivery_redeliver(delivery_ids=[job_id])
            if not copies:
                raise FailedJobError(
                    f"Webhook delivery {job_id}: its subscription is disabled; re-enable it first."
                )
            return f"Webhook delivery {job_id} redelivered as delivery {copies[0].pk}."
        scheduled_run_retry(run_id=job_id)
        return f"Scheduled run {job_id} sent again."
    except FailedJobError:
        raise
    except ValueError as exc:  # the kind's own service refused (ScheduledRunError, TrainingError, ...)
        raise FailedJobError(str(exc)) from None
