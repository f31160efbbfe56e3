"""Celery beat entry for review intelligence. Importable at settings time (no models), so
members/beat.py can re-export REVIEW_BEAT_SCHEDULE and memberhub/celery_settings.py merges it.

The nightly job (members/ml_tasks.py: review_intelligence_nightly) runs at
REVIEW_NIGHTLY_HOUR:REVIEW_NIGHTLY_MINUTE (site time zone), before the tier evaluation.
"""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from memberhub.env import env_int

REVIEW_NIGHTLY_HOUR = env_int("REVIEW_NIGHTLY_HOUR", 2)
REVIEW_NIGHTLY_MINUTE = env_int("REVIEW_NIGHTLY_MINUTE", 15)
if not (0 <= REVIEW_NIGHTLY_HOUR <= 23 and 0 <= REVIEW_NIGHTLY_MINUTE <= 59):
    raise ImproperlyConfigured("REVIEW_NIGHTLY_HOUR must be 0-23 and REVIEW_NIGHTLY_MINUTE 0-59.")

REVIEW_BEAT_SCHEDULE = {
    "review-intelligence-nightly": {
        "task": "ml.review_intelligence_nightly",
        "schedule": crontab(hour=REVIEW_NIGHTLY_HOUR, minute=REVIEW_NIGHTLY_MINUTE),
    },
}
