"""Celery beat entries for member intelligence; memberhub/celery_settings.py merges this dict
into CELERY_BEAT_SCHEDULE.

The tier evaluation runs daily at TIER_EVALUATION_HOUR:TIER_EVALUATION_MINUTE (site time zone),
after the night's imports, so the day's orders count.
"""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from memberhub.env import env_int

TIER_EVALUATION_HOUR = env_int("TIER_EVALUATION_HOUR", 3)
TIER_EVALUATION_MINUTE = env_int("TIER_EVALUATION_MINUTE", 30)
if not (0 <= TIER_EVALUATION_HOUR <= 23 and 0 <= TIER_EVALUATION_MINUTE <= 59):
    raise ImproperlyConfigured("TIER_EVALUATION_HOUR must be 0-23 and TIER_EVALUATION_MINUTE 0-59.")

TIER_BEAT_SCHEDULE = {
    "evaluate-tiers-daily": {
        "task": "members.evaluate_tiers",
        "schedule": crontab(hour=TIER_EVALUATION_HOUR, minute=TIER_EVALUATION_MINUTE),
    },
}
