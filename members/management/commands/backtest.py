"""manage.py backtest --as-of YYYY-MM-DD [--horizon-days 90] [--no-recs]: score every member model
against what the shop's customers did after that date (members.predictions.services.member_backtest)."""

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from members.management.options import as_of_date
from members.predictions.services.member_backtest import (
    BacktestDateError,
    member_backtest_create,
    member_backtest_run,
)


class Command(BaseCommand):
    help = (
        "Backtest every member model as of a past date: build churn, the spend forecast and recommendations "
        "from the data before it, and compare them with what customers did in the following days, next to "
        "the baselines (recency, BG/NBD, naive spend, buy-again, ALS, popularity). Nothing live is changed; "
        "the result is kept for the Models page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=as_of_date, required=True, help="The cut-off date, YYYY-MM-DD.")
        parser.add_argument("--horizon-days", type=int, default=90, help="Days after the cut-off to compare with.")
        parser.add_argument("--json", action="store_true", help="Print the full metrics as JSON at the end.")

    def handle(self, *, as_of: date, horizon_days: int, json: bool, **options):
        if horizon_days < 1:
            raise CommandError("--horizon-days must be at least 1.")
        started = time.monotonic()
        try:
            run = member_backtest_create(as_of=as_of, horizon_days=horizon_days)
        except BacktestDateError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backtest #{run.pk} as of {as_of}, horizon {horizon_days} days")
        run = member_backtest_run(
            backtest_id=run.pk, on_step=lambda text: self.stdout.write(f"  {text}  [{time.monotonic() - started:.0f} s]")
        )
        for line in backtest_summary_lines(run.metrics):
            self.stdout.write(line)
        if json:
            self.stdout.write(_dumps(run.metrics))
        self.stdout.write(f"done in {time.monotonic() - started:.0f} s")


def _dumps(value) -> str:
    return json.dumps(value, indent=2, default=str)


def backtest_summary_lines(metrics: dict) -> list[str]:
    """The headline figures, ours next to the baselines, one line per model."""
    lines = []
    churn = metrics.get("churn") or {}
    if "model" in churn:
        m, r = churn["model"], churn.get("recency") or {}
        bg = (churn.get("bgnbd") or {}).get("expected_purchases") or {}
        lines.append(f"churn: ROC-AUC {m.get('roc_auc')} (recency {r.get('roc_auc')}, BG/NBD expected purchases "
                     f"{bg.get('roc_auc')}), PR-AUC {m.get('pr_auc')}, ECE {m.get('ece')}, Brier {m.get('brier')}; "
                     f"mean predicted {m.get('mean_predicted')} vs observed {churn.get('eval_churn_rate')}")  # fmt: skip
        lines.append(f"  {(churn.get('promotion') or {}).get('reason', '')}")
    elif churn:
        lines.append(f"churn: {churn.get('error')}")
    forecast = metrics.get("forecast") or {}
    if "model" in forecast:
        m, n = forecast["model"], forecast.get("naive_last_90_days") or {}
        lines.append(f"forecast: MAE {m.get('mae')} (naive {n.get('mae')}), total {m.get('total')} vs actual "
                     f"{forecast.get('actual_total')} ({m.get('total_bias_pct')}%; naive {n.get('total_bias_pct')}%)")
        lines.append(f"  {(forecast.get('promotion') or {}).get('reason', '')}")
    recs = metrics.get("recommendations") or {}
    if recs.get("methods"):
        parts = [f"{name} {v.get('recall_at_10')}/{v.get('ndcg_at_10')}" for name, v in recs["methods"].items()]
        lines.append(f"recommendations, Recall@10/NDCG@10 over {recs.get('members')} buyers: " + ", ".join(parts))
    if recs.get("ours_unavailable"):
        lines.append(f"  ours not scored: {recs['ours_unavailable']}")
    return lines
