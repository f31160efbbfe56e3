"""Celery task for webhooks: deliver one delivery by id, retrying with backoff until it succeeds or gives up.

Registered by memberhub/celery.py with every capability's tasks.py. The
service does the claiming, recording and giving up; this task only schedules the next try.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from members.partners.services.webhooks import webhook_delivery_attempt

# Errors that pass (the database restarting, Redis failing over): retried on Celery's own backoff.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError)
# Celery counts every retry of a task, ours and the transient ones, so the cap leaves room for
# WEBHOOK_MAX_ATTEMPTS attempts plus this many infrastructure hiccups.
TRANSIENT_RETRY_BUDGET = 10


@shared_task(
    name="members.partners.deliver_webhook",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=settings.WEBHOOK_MAX_ATTEMPTS + TRANSIENT_RETRY_BUDGET,
)
def deliver_webhook(self, delivery_id: int) -> dict:
    """Attempt delivery `delivery_id` (see webhook_delivery_attempt) and retry it when asked to.

    Safe to receive more than once: a duplicate finds the delivery claimed, finished or not yet
    due and sends nothing. The retry countdown is the one the service stored as next_attempt_at.
    """
    result = webhook_delivery_attempt(delivery_id=delivery_id)
    report = {"delivery_id": delivery_id, "outcome": str(result.outcome), "attempts": result.attempts}
    if result.retry_in is None:
        return report
    if self.request.is_eager:
        # Run in-process (no broker, first-run mode): nothing can hold a delayed retry, and an eager
        # retry would run at once, before it is due. The delivery stays "failed" for a redelivery.
        return {**report, "retry_in": result.retry_in}
    raise self.retry(countdown=result.retry_in)
