"""manage.py load_demo: load the demo women's clothing shop (or a synthetic one) idempotently.

    manage.py load_demo                      # the demo shop from demo/data (real public data)
    manage.py load_demo --limit-members 50   # a quick, smaller demo shop
    manage.py load_demo --lang zh            # the Chinese food-delivery shop (reviews from ../shared)
    manage.py load_demo --synthetic --members 100000

Both go through the CSV import engine; running the same command again on the same day changes
nothing. Exits with status 1 when the engine rejected any row (a bug in the generator).
"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from members.demo.services.demo_shop import demo_shop_load
from members.demo.services.demo_shop_csv import IMPORT_ORDER, import_reports_summary
from members.demo.services.demo_shop_synthetic import demo_synthetic_load
from members.demo.services.demo_shop_zh import demo_shop_zh_load
from members.demo.services.demo_shop_zh_data import DemoDataMissing
from members.management.progress import command_progress


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Load the demo shop: women's clothing reviews (CC0) and Online Retail II purchase histories (CC BY 4.0), "
        "see demo/ATTRIBUTION.md. --lang zh loads a Chinese food-delivery shop instead, its reviews read at run "
        "time from ../shared/datasets/waimai_10k (or --reviews-path). --synthetic --members N loads a generated "
        "shop of N members."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Seed for every generated detail (default 7).")
        parser.add_argument(
            "--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
            help="Date the demo's history ends just before (default: today, UTC).",
        )
        parser.add_argument(
            "--limit-members", type=_positive, metavar="N", help="Demo shop: only the first N customers."
        )
        parser.add_argument(
            "--lang", choices=("en", "zh"), default="en",
            help="en: the women's clothing shop (default); zh: a Chinese food-delivery shop in CNY.",
        )
        parser.add_argument(
            "--reviews-path", type=Path, metavar="PATH",
            help="--lang zh: the waimai_10k CSV or its folder (default ../shared/datasets/waimai_10k).",
        )
        parser.add_argument("--synthetic", action="store_true", help="Generate a synthetic shop instead.")
        parser.add_argument("--members", type=_positive, metavar="N", help="Synthetic shop size (members).")

    def handle(self, *, seed, today, limit_members, lang, reviews_path, synthetic, members, **options):
        if synthetic != (members is not None):
            raise CommandError("--synthetic and --members N go together.")
        if synthetic and limit_members is not None:
            raise CommandError("--limit-members applies to the demo shop, not to --synthetic.")
        if synthetic and lang != "en":
            raise CommandError("--synthetic builds the English shop only; drop --lang zh or --synthetic.")
        if reviews_path is not None and lang != "zh":
            raise CommandError("--reviews-path is for the Chinese shop: add --lang zh.")
        progress = command_progress(self)  # each file's start and finish, rows and elapsed time, as it happens
        if synthetic:
            result = demo_synthetic_load(members=members, seed=seed, anchor_date=today, progress=progress)
            what = f"synthetic shop ({members} members, seed {seed})"
        elif lang == "zh":
            try:
                result = demo_shop_zh_load(
                    seed=seed, anchor_date=today, limit_members=limit_members, reviews_path=reviews_path,
                    progress=progress,
                )
            except DemoDataMissing as error:
                raise CommandError(str(error)) from error
            what = f"Chinese demo shop (seed {seed}" + (f", first {limit_members} customers)" if limit_members else ")")
        else:
            result = demo_shop_load(seed=seed, anchor_date=today, limit_members=limit_members, progress=progress)
            what = f"demo shop (seed {seed}" + (f", first {limit_members} customers)" if limit_members else ")")
        self.stdout.write(f"{what}: " + ", ".join(f"{result.counts[kind]} {kind}" for kind in IMPORT_ORDER))
        for line in import_reports_summary(result.reports):
            self.stdout.write(line)
        progress.finish("load_demo done")
        if not result.ok:
            raise CommandError("the import engine rejected generated rows (listed above).")
