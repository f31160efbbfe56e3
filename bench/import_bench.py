"""Benchmark: the CSV importer against a naive per-row ORM loop, on the same Postgres in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/memberhub_bench .venv/bin/python bench/import_bench.py

Creates the database if it does not exist and migrates it; pre-creates --members members in one
INSERT ... SELECT; writes an orders CSV of --rows rows; imports it with import_csv_file (then
again, to time the unchanged path); then creates a --orm-rows sample of other orders with
Order.objects.update_or_create per row, the way a first version of an importer usually looks.
The ratio compares rows per second, so the two sample sizes may differ. Everything the bench
created (members and orders with the BENCH- prefix) is deleted at the end.
The last line is `RESULT importer_rows_per_s=... orm_rows_per_s=... ratio=...`.
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "BENCH-"  # every row the bench makes starts with this, so cleanup cannot touch real data
ORDER_HEADER = ["external_id", "member_external_id", "placed_at", "status", "channel", "currency", "total"]
STATUSES = ["placed", "paid", "shipped", "delivered", "delivered", "delivered", "returned", "cancelled"]
CHANNELS = ["web", "app", "store"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="orders in the file the importer reads")
    parser.add_argument("--orm-rows", type=int, default=5_000, help="orders in the ORM baseline's sample")
    parser.add_argument("--members", type=int, default=10_000, help="members the orders belong to")
    parser.add_argument("--seed", type=int, default=7, help="seed for the generated orders")
    return parser.parse_args()


def database_ensure(url: str) -> None:
    """Create the database named in `url` if it is missing (connecting to the `postgres` database)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("import_bench: DATABASE_URL must point at Postgres (the importer's fast path is COPY).")
    params = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None}
    params["password"] = config["PASSWORD"] or None
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def orders_write(path: Path, *, count: int, members: int, id_prefix: str, rng: random.Random) -> None:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(ORDER_HEADER)
        for n in range(1, count + 1):
            placed = start + timedelta(seconds=rng.randrange(2 * 365 * 86_400))
            writer.writerow(
                [
                    f"{id_prefix}{n:08d}",
                    f"{PREFIX}M{rng.randrange(1, members + 1):07d}",
                    placed.isoformat(),
                    rng.choice(STATUSES),
                    rng.choice(CHANNELS),
                    "GBP",
                    f"{rng.randrange(500, 50_000) / 100:.2f}",
                ]
            )


def members_create(count: int) -> None:
    """Pre-create the members set-based; they start in the lowest tier."""
    from django.db import connection

    from members.models import Tier

    tier_id = Tier.objects.order_by("rank").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_member (external_id, email, name, joined_at, country, city, gender, status,"
            " marketing_consent, tier_id, created_at, updated_at)"
            " SELECT %s || 'M' || lpad(g::text, 7, '0'), '', 'Bench member ' || g, now() - interval '400 days',"
            " '', '', '', 'active', false, %s, now(), now() FROM generate_series(1, %s) g"
            " ON CONFLICT (external_id) DO NOTHING",
            [PREFIX, tier_id, count],
        )


def bench_data_delete() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM members_order WHERE external_id LIKE %s", [PREFIX + "%"])
        cursor.execute("DELETE FROM members_member WHERE external_id LIKE %s", [PREFIX + "%"])


def orm_import(path: Path) -> int:
    """The naive baseline: one lookup and one update_or_create per CSV row."""
    from members.models import Member, Order

    rows = 0
    with path.open(newline="", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            member = Member.objects.get(external_id=row["member_external_id"])
            Order.objects.update_or_create(
                external_id=row["external_id"],
                defaults={
                    "member": member,
                    "placed_at": datetime.fromisoformat(row["placed_at"]),
                    "status": row["status"],
                    "channel": row["channel"],
                    "currency": row["currency"],
                    "total": Decimal(row["total"]),
                },
            )
            rows += 1
    return rows


def timed(label: str, rows: int, seconds: float) -> float:
    rate = rows / seconds
    print(f"{label}: {rows} rows in {seconds:.2f} s = {rate:,.0f} rows/s")
    return rate


def main() -> None:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("import_bench: set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/memberhub_bench")
    database_ensure(url)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from members.imports.services.csv_import import BATCH_SIZE, import_csv_file

    call_command("migrate", verbosity=0)
    bench_data_delete()  # leftovers of an interrupted run
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        importer_file, orm_file = Path(tmp) / "orders.csv", Path(tmp) / "orders_orm.csv"
        orders_write(importer_file, count=args.rows, members=args.members, id_prefix=f"{PREFIX}O", rng=rng)
        orders_write(orm_file, count=args.orm_rows, members=args.members, id_prefix=f"{PREFIX}ORM", rng=rng)
        try:
            members_create(args.members)
            server = connection.cursor().connection.info.server_version
            print(
                f"import bench: {args.rows} orders (importer), {args.orm_rows} orders (ORM sample), "
                f"{args.members} members, Postgres {server // 10000}.{server % 10000}, batch size {BATCH_SIZE}"
            )

            started = time.perf_counter()
            report = import_csv_file(kind="orders", path=importer_file)
            importer_rate = timed("importer, new rows", report.created, time.perf_counter() - started)
            if report.created != args.rows or not report.ok:
                sys.exit(f"import_bench: the importer did not create every row: {report}")

            started = time.perf_counter()
            again = import_csv_file(kind="orders", path=importer_file)
            timed("importer, same file again (unchanged)", again.unchanged, time.perf_counter() - started)

            started = time.perf_counter()
            orm_rows = orm_import(orm_file)
            orm_rate = timed(
                "ORM update_or_create per row, new rows", orm_rows, time.perf_counter() - started
            )
        finally:
            bench_data_delete()
    print("The ratio compares rows/s; the ORM baseline runs on a smaller sample to keep the bench quick.")
    print(
        f"RESULT importer_rows_per_s={importer_rate:.0f} orm_rows_per_s={orm_rate:.0f} "
        f"ratio={importer_rate / orm_rate:.1f}"
    )


if __name__ == "__main__":
    main()
