import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")

app = Celery("memberhub")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Task modules of the members app, one per area; each is found by name so none imports another.
TASK_MODULES = (
    "tasks",  # imports (ImportJob)
    "webhook_tasks",  # webhook deliveries
    "tier_tasks",  # tier evaluation and re-checks
    "member_tasks",  # features, churn, forecast refresh
    "ml_tasks",  # review intelligence: train, score, nightly upkeep (queue "gpu")
    "recs_tasks",  # recommendations (queue "gpu" for fine-tuning)
    "campaign_tasks",  # campaign proposals and measurement
    "demo_tasks",  # `make demo`: re-score the reviews once the background fine-tune has ended
)
for related_name in TASK_MODULES:
    app.autodiscover_tasks(related_name=related_name)

# Workers renew the leases of the tasks they hold, so only a dead worker's tasks are handed out
# again, within a minute or two (memberhub/celery_broker.py).
from memberhub.celery_broker import UnackedLeaseRenewal

app.steps["consumer"].add(UnackedLeaseRenewal)

# Request ids, task metrics, nightly-run records and worker heartbeats (docs/operations.md).
import memberhub.observability.celery_signals  # noqa: E402,F401
