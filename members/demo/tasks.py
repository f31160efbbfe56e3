"""Celery task for the demo's background improvements (members/demo/services/demo_background.py)."""

import logging

from celery import shared_task

from members.demo.services.demo_background import RESCORE_POLL_SECONDS, demo_rescore_when_done
from members.task_queue import task_send

logger = logging.getLogger(__name__)


@shared_task(name="members.demo.rescore_after_run", bind=True, max_retries=None)
def demo_rescore_after_run(self, run_id: int) -> str:
    """Wait (by retrying, holding no worker slot) for fine-tune `run_id` to end, then queue every
    review for re-scoring with whatever model is served and score them on the gpu queue."""
    done = demo_rescore_when_done(run_id=run_id)
    if done is None:
        raise self.retry(countdown=RESCORE_POLL_SECONDS)
    task_send("members.reviews.score_pending")
    logger.info("Demo: %s", done)
    return done
