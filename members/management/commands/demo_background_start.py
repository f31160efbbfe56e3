"""manage.py demo_background_start: queue the demo's background improvements on the worker."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members.demo.services.demo_background import DEMO_FINETUNE_MINUTES, demo_background_start


class Command(BaseCommand):
    help = (
        "After `refresh_intelligence --fast` (make demo): queue the time-budgeted fine-tune of the review model "
        "(served only if it beats the first model), the re-scoring of the reviews once it ends, and the "
        "transformer recommendations. Needs a Celery worker on the default and gpu queues. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=float, default=DEMO_FINETUNE_MINUTES,
                            help=f"Time budget of the fine-tune (default {DEMO_FINETUNE_MINUTES:g}; 0 = no limit, "
                                 "e.g. on a GPU).")

    def handle(self, *, minutes: float, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("No Celery broker: this would train in this process. Set REDIS_URL and start a worker "
                               "(scripts/worker.sh -Q default,gpu), or start a run on the Models page.")
        for note in demo_background_start(finetune_minutes=minutes or None):
            self.stdout.write(f"  {note}")
