"""Celery tasks for product recommendations, on the `gpu` queue (a CPU worker there works too).

Routed to the `gpu` queue by memberhub/celery_settings.py. Both are
safe to deliver twice: a fine-tune writes a new version folder (the newest complete one wins) and
a generation replaces each member's rows.
"""

import logging

from celery import shared_task

from members.recs.services.recommendations import recommendations_generate
from members.recs.services.recommendations_training import NotEnoughHistory, recs_model_train

logger = logging.getLogger(__name__)

@shared_task(name="members.recs.fine_tune")
def recs_fine_tune(epochs: float = 1.0, generate_after: bool = True) -> dict:
    """Fine-tune the encoder on purchase sequences; then regenerate everyone's recommendations."""
    try:
        result = recs_model_train(epochs=epochs)
    except NotEnoughHistory as exc:
        logger.info("Recommendation fine-tune skipped: %s", exc)
        return {"status": "skipped", "reason": str(exc)}
    if generate_after:
        recs_generate.delay()
    return {"status": "trained", "version": result.artifact_dir.name, "steps": result.steps,
            "last_loss": round(result.last_loss, 4)}


@shared_task(name="members.recs.generate")
def recs_generate(member_ids: list[int] | None = None) -> dict:
    """Regenerate recommendations for these members (all active members when None)."""
    report = recommendations_generate(member_ids=member_ids)
    return {"members": report.members, "rows": report.rows, "model_version": report.model_version}
