"""Benchmark: the member backtest on a real shop's own timeline (issue 11's protocol).

    OMP_NUM_THREADS=1 .venv/bin/python bench/backtest_bench.py                  # cutoff 2010-09-01
    OMP_NUM_THREADS=1 .venv/bin/python bench/backtest_bench.py --as-of 2010-06-01 --no-recs

UCI Online Retail II 2009-2010 is loaded once with the product's importer (`manage.py
import_online_retail`: guests, non-products, zero prices and duplicate lines skipped,
cancellations kept as returned orders that never count) into its own database
(postgres://.../memberhub_backtestbench, created and migrated if needed). The WHOLE file is
loaded, the months after the cut-off included: the backtest must not look at them, and the
time-travel test (tests/members/predictions/test_time_travel.py) checks it cannot. Then
members.predictions.services.member_backtest.member_backtest_compute -- what `manage.py backtest --as-of D
--horizon-days 90` runs -- builds every model as of D, scores the members who bought before D and
compares with the 90 days after D, next to the baselines in the same run:
- churn: ours (calibrated trees + BG/NBD columns + seasonality when last year exists), recency,
  BG/NBD expected purchases (bgnbd_auc) and P(alive);
- Recall@10 / NDCG@10 of next-buy (repeats included) over members who buy in the horizon: ours
  (recommendations_compute as of D), buy-again, ALS, popularity;
- forecast: MAE and total bias vs naive "same as the last 90 days".
The last-order protocol for recommendations is in bench/recs_backtest_bench.py.

Last line: RESULT churn_auc=… recency_auc=… bgnbd_auc=… churn_ece=… recall10=… buyagain_recall10=…
als_recall10=… popularity_recall10=… forecast_mae=… naive_mae=… forecast_bias_pct=…
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "datasets" / "online_retail_ii_2009_2010" / "online_retail_II_2009-2010.csv.gz"
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = "memberhub_backtestbench"


def database_ensure(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def child(args) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from datetime import date

    from django.core.management import call_command

    from members.models import Member
    from members.predictions.services.member_backtest import member_backtest_compute

    call_command("migrate", verbosity=0)
    if not Member.objects.filter(external_id__startswith="OR-").exists():
        started = time.monotonic()
        call_command("import_online_retail", str(args.source))
        print(f"imported in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    result = member_backtest_compute(as_of=date.fromisoformat(args.as_of), horizon_days=args.horizon_days,
                                     recommendations=not args.no_recs,
                                     on_step=lambda text: print(f"  [{time.monotonic() - started:5.0f} s] {text}",
                                                                flush=True))  # fmt: skip
    print(f"backtest computed in {time.monotonic() - started:.0f} s")
    print("CHILD_RESULT " + json.dumps(result))


def summary(result: dict) -> dict:
    churn, forecast = result.get("churn", {}), result.get("forecast", {})
    recs = (result.get("recommendations") or {}).get("methods", {})

    def recall(name: str):
        return (recs.get(name) or {}).get("recall_at_10")

    bgnbd = churn.get("bgnbd") or {}
    return {
        "churn_auc": (churn.get("model") or {}).get("roc_auc"),
        "recency_auc": (churn.get("recency") or {}).get("roc_auc"),
        "bgnbd_auc": (bgnbd.get("expected_purchases") or {}).get("roc_auc"),
        "churn_ece": (churn.get("model") or {}).get("ece"),
        "recall10": recall("ours"),
        "buyagain_recall10": recall("buy_again"),
        "als_recall10": recall("als"),
        "popularity_recall10": recall("popularity"),
        "forecast_mae": (forecast.get("model") or {}).get("mae"),
        "naive_mae": (forecast.get("naive_last_90_days") or {}).get("mae"),
        "forecast_bias_pct": (forecast.get("model") or {}).get("total_bias_pct"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", default="2010-09-01", help="cut-off date (the protocol's: 2010-09-01)")
    parser.add_argument("--horizon-days", type=int, default=90)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--no-recs", action="store_true", help="skip the recommendation metrics")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    database_ensure(DATABASE)
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DATABASE}", "CELERY_TASK_ALWAYS_EAGER": "1"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--child", *sys.argv[1:]], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    result = None
    for line in proc.stdout:
        if line.startswith("CHILD_RESULT "):
            result = json.loads(line.removeprefix("CHILD_RESULT "))
        else:
            print(line, end="", flush=True)
    if proc.wait() or result is None:
        sys.exit("backtest_bench: the backtest failed (see above)")
    churn, forecast = result.get("churn", {}), result.get("forecast", {})
    print(f"cut-off {result['as_of']}, horizon {result['horizon_days']} days: {result['members_with_history']} "
          f"members with a history, churn rate {result['churn_rate']}")  # fmt: skip
    for key in ("model", "recency"):
        print(f"  churn {key:8s} {json.dumps({k: v for k, v in (churn.get(key) or {}).items() if k != 'reliability'})}")
    print(f"  churn bgnbd    {json.dumps({k: v for k, v in (churn.get('bgnbd') or {}).items() if k != 'params'})}")
    print(f"  churn reliability (ours): {json.dumps((churn.get('model') or {}).get('reliability'))}")
    print(f"  churn promotion: {(churn.get('promotion') or {}).get('reason')}")
    print(f"  forecast model {json.dumps(forecast.get('model'))}")
    print(f"  forecast naive {json.dumps(forecast.get('naive_last_90_days'))}; actual total {forecast.get('actual_total')}")
    print(f"  forecast promotion: {(forecast.get('promotion') or {}).get('reason')}")
    recs = result.get("recommendations") or {}
    if recs:
        print(f"  recommendations ({recs.get('members')} buyers): {json.dumps(recs.get('methods'))}")
        if recs.get("ours_unavailable"):
            print(f"  ours: {recs['ours_unavailable']}")
        for name, interval in (recs.get("ours_vs") or {}).items():
            print(f"  ours - {name} Recall@10: {json.dumps(interval)}")
    print(f"total {time.monotonic() - started:.0f} s")
    print("RESULT " + " ".join(f"{k}={v}" for k, v in summary(result).items()))


if __name__ == "__main__":
    main()
