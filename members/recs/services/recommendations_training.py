"""Fine-tune the recommendation encoder on the shop's own purchase sequences.

Pairs are (text of the newest HISTORY_TEXT_TITLES titles before an order -> text of an item in
that order) for every order after a member's first (ml.recs.data.next_item_text_pairs, the same
pairs bench/recs_bench.py measures). The result is a new version folder
MEMBERHUB_ARTIFACT_DIR/recs/v<UTC timestamp>/ that recs_model_current() picks up once its
metrics.json exists (written last), so a half-written version is never used.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings

from members.recs.services.recommendations_data import recs_artifact_root, shop_rows_load
from ml.recs.data import next_item_text_pairs
from ml.recs.finetune import CancelHook, ProgressHook, RecsTrainConfig, RecsTrainResult, fine_tune
from ml.recs.retrieval import RECS_MAX_LENGTH

MIN_PAIRS = 8  # fewer than this is not a fine-tune, it is noise


class NotEnoughHistory(ValueError):
    """The shop has too few repeat orders to learn from; the message says how many."""


def recs_model_train(
    *, epochs: float = 1.0, max_pairs: int = 50_000, batch_size: int = 32, max_seconds: float = 0.0,
    base_model: str | None = None, on_progress: ProgressHook | None = None, should_cancel: CancelHook | None = None,
) -> RecsTrainResult:
    """Fine-tune from ``base_model`` (default: the packaged base model, not the previous version, so
    versions do not drift on their own outputs) and save a new version folder. The remaining
    knobs (length-grouped batches, bf16 where native) are RecsTrainConfig's defaults."""
    shop = shop_rows_load()
    pairs, item_keys = next_item_text_pairs(shop.purchases, shop.items)
    if len(pairs) < MIN_PAIRS:
        raise NotEnoughHistory(
            f"Only {len(pairs)} (history -> next purchase) pairs: members need at least two orders; {MIN_PAIRS} pairs are the minimum."
        )
    if base_model is None:
        base_model = settings.RECS_BASE_MODEL or None
    out = recs_artifact_root() / f"v{datetime.now(UTC):%Y%m%d%H%M%S}"
    config = RecsTrainConfig(base_model=base_model, output_dir=str(out), epochs=epochs, batch_size=batch_size,
                             history_max_length=RECS_MAX_LENGTH, item_max_length=RECS_MAX_LENGTH,
                             max_pairs=max_pairs, max_seconds=max_seconds)
    return fine_tune(pairs, config, item_keys=item_keys, on_progress=on_progress, should_cancel=should_cancel)
