"""Recording and retrying runs of the scheduled (nightly) tasks (members.models.ScheduledRun).

Called from Celery's task_prerun/task_postrun/task_failure signals (memberhub/observability/
celery_signals.py) for the tasks recorded_task_names() lists; every other task keeps its state on
its own row. A redelivered task (acks late) has the same task id, so its row is updated, not doubled.
"""

from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from members.models import ScheduledRun, ScheduledRunStatus
from members.task_queue import task_send_on_commit

# The member refresh's beat entry only enqueues its chain; the steps are where the time goes.
MEMBER_REFRESH_STEP_TASK = "members.predictions.refresh_step"
ERROR_MAX_CHARS = 2000


class ScheduledRunError(ValueError):
    """A run that cannot be retried, with the reason in words."""


def recorded_task_names() -> frozenset[str]:
    """The beat schedule's calendar (crontab) tasks, i.e. the nightly and daily runs, and the
    member refresh steps. Sweeps that run every few seconds or minutes are left out: a row a
    minute would bury the nightly runs, and their work is recorded on its own rows."""
    calendar = {
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if isinstance(entry["schedule"], crontab)
    }
    return frozenset(calendar | {MEMBER_REFRESH_STEP_TASK})


def scheduled_run_started(*, task_id: str, task_name: str, args: list) -> None:
    ScheduledRun.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name,
            "args": list(args),
            "status": ScheduledRunStatus.RUNNING,
            "started_at": timezone.now(),
            "finished_at": None,
            "error": "",
        },
    )


def scheduled_run_finished(*, task_id: str, error: str = "") -> None:
    """Mark the run succeeded, or failed with `error` when one is given."""
    ScheduledRun.objects.filter(task_id=task_id).update(
        status=ScheduledRunStatus.FAILED if error else ScheduledRunStatus.SUCCEEDED,
        error=error[:ERROR_MAX_CHARS],
        finished_at=timezone.now(),
    )


def scheduled_run_retry(*, run_id: int) -> None:
    """Send a failed run's task again with the same arguments (after commit); the new run gets its
    own row when a worker starts it. Raises ScheduledRunError unless the run failed and has not
    been retried yet (a conditional UPDATE, so a double click sends one task)."""
    run = ScheduledRun.objects.filter(pk=run_id).only("task_name", "args", "status").first()
    if run is None:
        raise ScheduledRunError(f"No scheduled run {run_id}.")
    if run.task_name not in recorded_task_names():
        raise ScheduledRunError(f"{run.task_name} is not a scheduled task.")
    claimed = ScheduledRun.objects.filter(
        pk=run_id, status=ScheduledRunStatus.FAILED, retried_at__isnull=True
    ).update(retried_at=timezone.now())
    if not claimed:
        raise ScheduledRunError(f"Run {run_id} is not a failed run waiting for a retry.")
    # apply_async (not send_task) so the first-run mode without a broker runs it in-process.
    task_send_on_commit(run.task_name, list(run.args), robust=False)
