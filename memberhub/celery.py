import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")

app = Celery("memberhub")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Each capability of the members app keeps its tasks in its own tasks.py, named
# members.<capability>.<verb>; code that queues one sends it by name (members/task_queue.py).
TASK_PACKAGES = (
    "members.imports",  # import jobs
    "members.partners",  # webhook deliveries
    "members.tiers",  # tier evaluation and re-checks
    "members.predictions",  # features, churn, forecast refresh; backtests
    "members.reviews",  # review intelligence: train, score, nightly upkeep (queue "gpu")
    "members.recs",  # recommendations (queue "gpu")
    "members.campaigns",  # campaign proposals and measurement
    "members.demo",  # `make demo`: re-score the reviews once the background fine-tune has ended
)
app.autodiscover_tasks(list(TASK_PACKAGES))

# Workers renew the leases of the tasks they hold, so only a dead worker's tasks are handed out
# again, within a minute or two (memberhub/celery_broker.py).
from memberhub.celery_broker import UnackedLeaseRenewal

app.steps["consumer"].add(UnackedLeaseRenewal)

# Request ids, task metrics, nightly-run records and worker heartbeats (docs/operations.md).
import memberhub.observability.celery_signals  # noqa: F401
