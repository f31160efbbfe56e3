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
)
for related_name in TASK_MODULES:
    app.autodiscover_tasks(related_name=related_name)
