"""Celery beat entries for member intelligence; memberhub/celery_settings.py merges this dict
into CELERY_BEAT_SCHEDULE.

The member-intelligence refresh (features, segments, tier evaluation with its will-downgrade
warnings, churn, forecast: members/services/member_refresh.py) runs daily at
TIER_EVALUATION_HOUR:TIER_EVALUATION_MINUTE (site time zone), after the night's imports, so the
day's orders count.
"""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from memberhub.env import env_int
from members.ml_beat import REVIEW_BEAT_SCHEDULE  # noqa: F401  (merged by celery_settings)

TIER_EVALUATION_HOUR = env_int("TIER_EVALUATION_HOUR", 3)
TIER_EVALUATION_MINUTE = env_int("TIER_EVALUATION_MINUTE", 30)
if not (0 <= TIER_EVALUATION_HOUR <= 23 and 0 <= TIER_EVALUATION_MINUTE <= 59):
    raise ImproperlyConfigured("TIER_EVALUATION_HOUR must be 0-23 and TIER_EVALUATION_MINUTE 0-59.")

TIER_BEAT_SCHEDULE = {
    "member-refresh-nightly": {
        "task": "members.member_tasks.member_refresh_nightly",
        "schedule": crontab(hour=TIER_EVALUATION_HOUR, minute=TIER_EVALUATION_MINUTE),
    },
}

# Campaign planning (members/campaign_tasks.py): after the tier evaluation and the nightly member
# refresh, so proposals see today's churn scores and spend forecasts.
CAMPAIGN_DAILY_HOUR = env_int("CAMPAIGN_DAILY_HOUR", 5)
if not 0 <= CAMPAIGN_DAILY_HOUR <= 23:
    raise ImproperlyConfigured("CAMPAIGN_DAILY_HOUR must be 0-23.")

CAMPAIGN_BEAT_SCHEDULE = {
    "campaigns-daily": {"task": "members.campaigns_daily", "schedule": crontab(hour=CAMPAIGN_DAILY_HOUR, minute=0)},
}

# Import jobs recorded while the broker was down get their task once it is back (members/tasks.py).
IMPORT_BEAT_SCHEDULE = {
    "import-jobs-enqueue-unsent": {"task": "members.tasks.enqueue_unsent_import_jobs", "schedule": 60.0},
}
