"""manage.py refresh_members [--as-of YYYY-MM-DD] [--retrain]: the whole member refresh, in order."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.management.options import as_of_date
from members.management.progress import command_progress
from members.predictions.services.member_features import FeatureComputationError
from members.predictions.services.member_refresh import STEPS, member_refresh_run


class Command(BaseCommand):
    help = (
        f"Refresh member intelligence as of a date, in order: {', '.join(STEPS)}. Trains the churn and forecast "
        "models when none is active or the active one is a week old (a worse backtest keeps the old one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=as_of_date, default=None, help="YYYY-MM-DD (default: today).")
        parser.add_argument("--retrain", action="store_true", help="Train new model versions even if recent.")

    def handle(self, *, as_of: date | None, retrain: bool, **options):
        as_of = as_of or timezone.localdate()
        progress = command_progress(self)
        progress.line(f"refresh_members as of {as_of}")
        try:
            results = member_refresh_run(as_of=as_of, retrain=retrain, progress=progress)
        except FeatureComputationError as exc:
            raise CommandError(str(exc)) from exc
        progress.finish("refresh_members done")
        # Too little history to train is a fact about the shop, not a failure: say so and exit 0.
        for result in results:
            if not result.ok:
                self.stderr.write(f"warning: {result.step} scored nothing: {result.summary}")
