"""manage.py refresh_intelligence: train (if needed), score, refresh members, recommend, propose."""


from django.core.management.base import BaseCommand

from members.management.options import as_of_date
from members.management.progress import command_progress
from members.operations.services.intelligence_refresh import intelligence_refresh


class Command(BaseCommand):
    help = (
        "Run the intelligence pipeline in order: fine-tune the review sentiment model when none is active, "
        "score unscored reviews, refresh members (features, segments, tiers, churn, forecast), generate "
        "recommendations and propose campaigns. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=as_of_date, default=None, help="YYYY-MM-DD (default: today).")
        parser.add_argument("--max-train-samples", type=int, default=2000,
                            help="Reviews the first sentiment fine-tune uses (default 2000: minutes on a CPU).")
        parser.add_argument("--epochs", type=float, default=1.0, help="Epochs of the first fine-tune.")
        parser.add_argument(
            "--fast", action="store_true",
            help="First pass in minutes on a CPU (what `make demo` runs): a TF-IDF + LR review model instead of "
                 "the fine-tune, keyword topics, TF-IDF item vectors for recommendations. Follow it with "
                 "`manage.py demo_background_start` to improve them on a worker.",
        )

    def handle(self, *, as_of, max_train_samples: int, epochs: float, fast: bool = False, **options):
        # Each step prints its start and its finish (real elapsed time, rows, ETA) as it happens.
        progress = command_progress(self)
        intelligence_refresh(as_of=as_of, max_train_samples=max_train_samples, epochs=epochs, progress=progress,
                             fast=fast)
        progress.finish("refresh_intelligence done")
