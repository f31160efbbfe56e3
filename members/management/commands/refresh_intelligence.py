"""manage.py refresh_intelligence: train (if needed), score, refresh members, recommend, propose."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from members.services.intelligence_refresh import intelligence_refresh


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of {value!r} is not a date; write it as YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = (
        "Run the intelligence pipeline in order: fine-tune the review sentiment model when none is active, "
        "score unscored reviews, refresh members (features, segments, tiers, churn, forecast), generate "
        "recommendations and propose campaigns. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today).")
        parser.add_argument("--max-train-samples", type=int, default=2000,
                            help="Reviews the first sentiment fine-tune uses (default 2000: minutes on a CPU).")
        parser.add_argument("--epochs", type=float, default=1.0, help="Epochs of the first fine-tune.")

    def handle(self, *, as_of, max_train_samples: int, epochs: float, **options):
        started = time.monotonic()

        def report(step):
            self.stdout.write(f"  {step.name}: {step.summary}  [{time.monotonic() - started:.0f} s]")

        intelligence_refresh(as_of=as_of, max_train_samples=max_train_samples, epochs=epochs, on_step=report)
        self.stdout.write(f"done in {time.monotonic() - started:.0f} s")
