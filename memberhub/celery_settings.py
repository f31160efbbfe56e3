"""Celery configuration (CELERY_ namespace), reliable by default.

Two queues: `default` for CPU work and `gpu` for training and batch scoring. Long tasks are
acknowledged late and re-queued if their worker dies, so every task must be idempotent.
"""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from memberhub.env import env_int, env_str

CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("gpu"))
# Task names read members.<capability>.<verb>; training, scoring and recommendations need the
# accelerator when there is one, everything else runs on `default`.
CELERY_TASK_ROUTES = {
    "members.reviews.*": {"queue": "gpu"},
    "members.recs.*": {"queue": "gpu"},
}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24

# A task is acknowledged only after it finishes, and a task whose worker was killed goes back
# on the queue instead of being lost. Prefetch 1 keeps long tasks from queueing behind each other.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 6 * 60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_TIME_LIMIT - 60)
# An unacknowledged task is a lease (memberhub/celery_broker.py): its worker renews it every
# timeout / 6 seconds while it holds the task, however long the task runs; a dead worker's tasks go
# back on the queue once the lease is CELERY_VISIBILITY_TIMEOUT old, at the next restore sweep
# (every CELERY_RESTORE_INTERVAL seconds, on every worker).
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "unacked_restore_interval": env_int("CELERY_RESTORE_INTERVAL", max(1, min(10, _VISIBILITY_TIMEOUT // 6))),
    "unacked_restore_throttle": 1,  # kombu scans only every Nth sweep by default; the interval says when
}
# Our Redis transport: kombu's, with the lease and a fix for a worker crash when Redis drops.
if str(env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "").startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "memberhub.celery_broker:Transport"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# Periodic jobs, at site-time-zone hours from the environment. The nightly order: review
# intelligence (score, retrain when due), then the member refresh (features, segments, tiers with
# their will-downgrade warnings, churn, forecast) after the night's imports, then campaigns, which
# see today's churn scores and forecasts.
REVIEW_NIGHTLY_HOUR = env_int("REVIEW_NIGHTLY_HOUR", 2)
REVIEW_NIGHTLY_MINUTE = env_int("REVIEW_NIGHTLY_MINUTE", 15)
TIER_EVALUATION_HOUR = env_int("TIER_EVALUATION_HOUR", 3)
TIER_EVALUATION_MINUTE = env_int("TIER_EVALUATION_MINUTE", 30)
CAMPAIGN_DAILY_HOUR = env_int("CAMPAIGN_DAILY_HOUR", 5)
# Recommendations for the members with new activity (members.recs.nightly), after the night's imports.
RECS_NIGHTLY_HOUR = env_int("RECS_NIGHTLY_HOUR", 4)
RECS_NIGHTLY_MINUTE = env_int("RECS_NIGHTLY_MINUTE", 15)
for _name, _hour, _minute in (
    ("REVIEW_NIGHTLY", REVIEW_NIGHTLY_HOUR, REVIEW_NIGHTLY_MINUTE),
    ("TIER_EVALUATION", TIER_EVALUATION_HOUR, TIER_EVALUATION_MINUTE),
    ("CAMPAIGN_DAILY", CAMPAIGN_DAILY_HOUR, 0),
    ("RECS_NIGHTLY", RECS_NIGHTLY_HOUR, RECS_NIGHTLY_MINUTE),
):
    if not (0 <= _hour <= 23 and 0 <= _minute <= 59):
        raise ImproperlyConfigured(f"{_name}_HOUR must be 0-23 and {_name}_MINUTE 0-59.")

CELERY_BEAT_SCHEDULE = {
    "review-intelligence-nightly": {
        "task": "members.reviews.nightly",
        "schedule": crontab(hour=REVIEW_NIGHTLY_HOUR, minute=REVIEW_NIGHTLY_MINUTE),
    },
    "member-refresh-nightly": {
        "task": "members.predictions.refresh_nightly",
        "schedule": crontab(hour=TIER_EVALUATION_HOUR, minute=TIER_EVALUATION_MINUTE),
    },
    "campaigns-daily": {"task": "members.campaigns.daily", "schedule": crontab(hour=CAMPAIGN_DAILY_HOUR, minute=0)},
    "recs-nightly": {"task": "members.recs.nightly", "schedule": crontab(hour=RECS_NIGHTLY_HOUR, minute=RECS_NIGHTLY_MINUTE)},
    # Import jobs recorded while the broker was down get their task once it is back.
    "import-jobs-enqueue-unsent": {"task": "members.imports.enqueue_unsent", "schedule": 60.0},
}
