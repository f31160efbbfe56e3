"""Benchmark: churn quality on real transactions -- our model vs recency vs BG/NBD, same run, same rows.

    .venv/bin/python bench/churn_bench.py            # both datasets, each in its own database
    .venv/bin/python bench/churn_bench.py --dataset online_retail

Datasets (../shared/datasets relative to the repository root):
- online_retail: UCI Online Retail II 2009-2010, loaded with `manage.py import_online_retail`
  (the DEMO engineer's importer: cancellations become returned orders) into
  postgres://.../memberhub_churnbench_or;
- cdnow: CDNOW master (Fader & Hardie), 23,570 customers' CD purchases 1997-1998, loaded with COPY
  into postgres://.../memberhub_churnbench_cdnow (members and orders only, no products).
Each database is created and migrated if needed; a dataset already loaded is not loaded again.
T is the last order date in the data; the backtest is members.predictions.services.churn.training_windows +
ml.member_models.churn.churn_backtest: train on features as of T-180 with labels from
(T-180, T-90], evaluate on features as of T-90 with labels from (T-90, T]. The features are the
production SQL (members.predictions.services.member_features). The last line is
`RESULT ours_auc=... recency_auc=... bgnbd_auc=...` for online_retail.
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
DATASETS = ROOT.parent / "shared" / "datasets"
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASES = {"online_retail": "memberhub_churnbench_or", "cdnow": "memberhub_churnbench_cdnow"}
FILES = {
    "online_retail": DATASETS / "online_retail_ii_2009_2010" / "online_retail_II_2009-2010.csv.gz",
    "cdnow": DATASETS / "cdnow" / "CDNOW_master.txt",
}


def database_ensure(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def load_online_retail() -> None:
    from django.core.management import call_command

    from members.models import Member

    if Member.objects.filter(external_id__startswith="OR-").exists():
        print("online_retail: already loaded")
        return
    started = time.monotonic()
    call_command("import_online_retail", str(FILES["online_retail"]))
    print(f"online_retail: loaded in {time.monotonic() - started:.0f} s")


def load_cdnow() -> None:
    """CDNOW_master.txt: customer id, yyyymmdd, number of CDs, dollar value (whitespace separated)."""
    from datetime import UTC, datetime

    from django.db import connection, transaction

    from members.models import Member, Tier

    if Member.objects.filter(external_id__startswith="CD-").exists():
        print("cdnow: already loaded")
        return
    lines = [parts for parts in (line.split() for line in FILES["cdnow"].read_text().splitlines())
             if len(parts) == 4 and parts[0].isdigit()]  # skips the header row
    first: dict[str, datetime] = {}
    orders = []
    for n, (customer, day, _cds, dollars) in enumerate(lines):
        placed = datetime.strptime(day, "%Y%m%d").replace(hour=12, tzinfo=UTC)
        first[customer] = min(first.get(customer, placed), placed)
        orders.append((f"CD-{n}", customer, placed, dollars))
    entry_tier = Tier.objects.order_by("rank").first()
    with transaction.atomic():
        Member.objects.bulk_create(
            [Member(external_id=f"CD-{c}", joined_at=d, tier=entry_tier) for c, d in first.items()], batch_size=5000
        )
        ids = dict(Member.objects.filter(external_id__startswith="CD-").values_list("external_id", "id"))
        with connection.cursor() as cursor, cursor.copy(
            "COPY members_order (external_id, member_id, placed_at, status, channel, currency, total, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            now = datetime.now(UTC)
            for ext, customer, placed, dollars in orders:
                copy.write_row((ext, ids[f"CD-{customer}"], placed, "delivered", "", "USD", dollars, now, now))
    print(f"cdnow: {len(first)} customers, {len(orders)} orders loaded")


def run_dataset(name: str) -> dict:
    """Runs inside a process whose DATABASE_URL points at the dataset's own database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db.models import Max

    from members.models import Order
    from members.predictions.services.churn import training_windows
    from ml.member_models.churn import churn_backtest

    call_command("migrate", verbosity=0)
    {"online_retail": load_online_retail, "cdnow": load_cdnow}[name]()
    as_of = Order.objects.aggregate(last=Max("placed_at"))["last"].date()
    started = time.monotonic()
    w = training_windows(as_of=as_of)
    features_s = time.monotonic() - started
    started = time.monotonic()
    result = churn_backtest(train_rows=w.train_rows, train_labels=w.train_churn, eval_rows=w.eval_rows,
                            eval_labels=w.eval_churn)  # fmt: skip
    m = result.metrics
    print(f"{name}: T={as_of}, train as of {w.train_as_of} ({m['train_rows']} members, churn rate "
          f"{m['train_churn_rate']}), evaluate as of {w.eval_as_of} ({m['eval_rows']} members, churn rate "
          f"{m['eval_churn_rate']}); features {features_s:.1f} s, models {time.monotonic() - started:.1f} s")
    for key in ("model", "recency", "bgnbd"):
        row = {k: v for k, v in m[key].items() if k not in ("reliability", "expected_purchases")}
        print(f"  {key:8s} {json.dumps(row)}")
    if "expected_purchases" in m["bgnbd"]:
        print(f"  bgnbd ranked by expected purchases in 90 days instead of P(alive): "
              f"{json.dumps(m['bgnbd']['expected_purchases'])}")
    print("  reliability (ours): " + json.dumps(m["model"]["reliability"]))
    return {"ours_auc": m["model"]["roc_auc"], "recency_auc": m["recency"]["roc_auc"],
            "bgnbd_auc": m["bgnbd"].get("roc_auc")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["all", *DATABASES], default="all")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("DATASET_RESULT " + json.dumps(run_dataset(args.dataset)), flush=True)
        return
    results = {}
    for name in DATABASES if args.dataset == "all" else [args.dataset]:
        database_ensure(DATABASES[name])
        env = {**os.environ, "DATABASE_URL": f"{PG}/{DATABASES[name]}", "CELERY_TASK_ALWAYS_EAGER": "1"}
        proc = subprocess.run([sys.executable, __file__, "--dataset", name, "--child"], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=False)  # fmt: skip
        for line in proc.stdout.splitlines():
            if line.startswith("DATASET_RESULT "):
                results[name] = json.loads(line.removeprefix("DATASET_RESULT "))
            else:
                print(line)
        if proc.returncode:
            sys.exit(f"churn_bench: {name} failed:\n{proc.stderr[-3000:]}")
    for name, r in results.items():
        print(f"{name}: ours_auc={r['ours_auc']} recency_auc={r['recency_auc']} bgnbd_auc={r['bgnbd_auc']}")
    main_name = "online_retail" if "online_retail" in results else next(iter(results))
    r = results[main_name]
    print(f"RESULT ours_auc={r['ours_auc']} recency_auc={r['recency_auc']} bgnbd_auc={r['bgnbd_auc']}")


if __name__ == "__main__":
    main()
