"""Celery tasks for product recommendations, on the `gpu` queue (a CPU worker there works too).

Routed to the `gpu` queue by memberhub/celery_settings.py. All are
safe to deliver twice: a fine-tune writes a new version folder (the newest complete one wins), a
generation replaces each member's rows, and a chunk already done is skipped.
"""

import logging

from celery import shared_task

from members.recs.services.recommendations import recommendations_generate
from members.recs.services.recommendations_nightly import (
    recs_chunk_failed,
    recs_chunk_generate,
    recs_run_start,
)
from members.recs.services.recommendations_training import NotEnoughHistory, recs_model_train

logger = logging.getLogger(__name__)

CHUNK_RETRIES, CHUNK_RETRY_SECONDS = 2, 60  # a chunk failing three times fails its run

@shared_task(name="members.recs.fine_tune")
def recs_fine_tune(epochs: float = 1.0, generate_after: bool = True) -> dict:
    """Fine-tune the encoder on purchase sequences; then regenerate everyone's recommendations as a
    chunked full run (members.recs.nightly with full=True), which the gpu workers share."""
    try:
        result = recs_model_train(epochs=epochs)
    except NotEnoughHistory as exc:
        logger.info("Recommendation fine-tune skipped: %s", exc)
        return {"status": "skipped", "reason": str(exc)}
    if generate_after:
        recs_nightly.delay(full=True)
    return {"status": "trained", "version": result.artifact_dir.name, "steps": result.steps,
            "last_loss": round(result.last_loss, 4)}


@shared_task(name="members.recs.generate")
def recs_generate(member_ids: list[int] | None = None) -> dict:
    """Regenerate recommendations for these members (all active members when None)."""
    report = recommendations_generate(member_ids=member_ids)
    return {"members": report.members, "rows": report.rows, "model_version": report.model_version}


@shared_task(name="members.recs.nightly")
def recs_nightly(full: bool = False) -> dict:
    """Fit the shared model once and queue one members.recs.generate_chunk per chunk of members:
    the dirty members only, or everyone with ``full``."""
    report = recs_run_start(full=full)
    return {"run": report.run_id, "kind": report.kind, "members": report.members, "chunks": report.chunks,
            "prepare_seconds": round(report.prepare_seconds, 1)}


@shared_task(name="members.recs.generate_chunk", bind=True, max_retries=CHUNK_RETRIES,
             default_retry_delay=CHUNK_RETRY_SECONDS)
def recs_generate_chunk(self, chunk_id: int) -> dict:
    """Write one chunk of a run (RecsChunk id); a chunk already done is skipped. A chunk that keeps
    failing marks its run failed with the reason once its retries are spent."""
    try:
        report = recs_chunk_generate(chunk_id=chunk_id, worker=self.request.hostname or "")
    except Exception as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc) from exc
        recs_chunk_failed(chunk_id=chunk_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return {"chunk": chunk_id, "members": report.members, "rows": report.rows, "skipped": report.skipped}
