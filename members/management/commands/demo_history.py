"""manage.py demo_history: record the demo shop's past (tiers earned, label corrections, past campaigns)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from members.demo.services.demo_history import (
    demo_history_user,
    demo_label_corrections,
    demo_past_campaigns,
    demo_tier_history,
)
from members.management.progress import command_progress


class Command(BaseCommand):
    help = (
        "After load_demo: tiers earned in past evaluations (approved), label corrections on 3-star reviews from "
        "their writers' own recommendation, and two past campaigns measured on their window's orders, all "
        "recorded by an inactive user 'Demo history' (members/demo/services/demo_history.py). Safe to run again."
    )

    def handle(self, **options):
        progress = command_progress(self)
        today, user = timezone.localdate(), demo_history_user()
        steps = (
            ("history: tiers earned in past evaluations", lambda: demo_tier_history(today=today, user=user)),
            ("history: label corrections", lambda: demo_label_corrections(user=user)),
            ("history: past campaigns", lambda: demo_past_campaigns(today=today, user=user)),
        )
        for name, step in steps:
            with progress.step(name) as running:
                running.summary = step()
        progress.finish("demo_history done")
