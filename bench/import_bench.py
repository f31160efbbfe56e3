"""Benchmark: the CSV importer against raw COPY of the same file and a naive per-row ORM loop, on the same Postgres in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/memberhub_bench .venv/bin/python bench/import_bench.py

Creates the database if it does not exist and migrates it; pre-creates --members members in one
INSERT ... SELECT. Then --repeats rounds, each on its own orders CSV of --rows rows (the same
rows, with the round's own external ids, so every round creates new orders):
- the importer: import_csv_file(kind="orders") of the file, new rows;
- raw COPY: `COPY ... FROM STDIN (FORMAT csv, HEADER)` of the same file, streamed from the client
  like the importer's, into a fresh regular (logged) table with the file's columns, typed like
  the orders table (text, timestamptz, numeric) and no index, key or constraint. This is the
  floor for getting the bytes into Postgres; the importer also checks every value, resolves
  members, and upserts into members_order (8 indexes and a foreign key), which COPY does not.
With --floor, each round also times COPY + INSERT into an indexed copy of members_order
(copy_then_insert): what writing these rows costs at least, checks and upsert aside.
The steps alternate (COPY first in even rounds, the importer first in odd ones) so background load
falls on both alike; the best round of each is compared (ratio_vs_copy). Then the last file is
imported again (every row unchanged; not part of a ratio), and a --orm-rows sample of other
orders is created with Order.objects.update_or_create per row, the way a first version of an
importer usually looks. Ratios compare rows per second, so the sample sizes may differ.
Everything the bench created (members and orders with the BENCH- prefix) is deleted at the end.
The last line is
`RESULT importer_rows_per_s=... copy_rows_per_s=... ratio_vs_copy=... orm_rows_per_s=... ratio=...`.
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
# Raw COPY's table: the CSV's columns, typed as members_order stores them (the member stays text).
COPY_TYPES = {
    "external_id": "text",
    "member_external_id": "text",
    "placed_at": "timestamptz",
    "status": "text",
    "channel": "text",
    "currency": "text",
    "total": "numeric",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="orders in the file the importer reads")
    parser.add_argument("--orm-rows", type=int, default=5_000, help="orders in the ORM baseline's sample")
    parser.add_argument("--members", type=int, default=10_000, help="members the orders belong to")
    parser.add_argument("--seed", type=int, default=7, help="seed for the generated orders")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of importer and raw COPY (best of)")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time COPY + INSERT into an indexed copy of members_order each round (the writes' floor)",
    )
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


def _copy_file(cursor, path: Path) -> None:
    """Stream the CSV file as it is into import_bench_copy with COPY (FORMAT csv)."""
    with (
        path.open("rb") as source,
        cursor.copy(f"COPY import_bench_copy ({', '.join(ORDER_HEADER)}) FROM STDIN (FORMAT csv, HEADER true)") as copy,
    ):
        while block := source.read(1 << 17):
            copy.write(block)


def raw_copy(path: Path) -> int:
    """COPY the CSV file into a fresh plain table of the same columns; returns the rows copied."""
    from django.db import connection, transaction

    columns = ", ".join(f"{name} {COPY_TYPES[name]}" for name in ORDER_HEADER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_bench_copy")
        cursor.execute(f"CREATE TABLE import_bench_copy ({columns})")
        _copy_file(cursor, path)
        rows = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE import_bench_copy")
    return rows


def copy_then_insert(path: Path) -> int:
    """The floor for the importer's writes: raw COPY of the file into a plain table, then one
    INSERT ... SELECT (members joined by external id) into a fresh copy of members_order with all
    its indexes, defaults and checks and the same deferred foreign key to members_member; one
    transaction, committed. No value checks, no upsert. Returns the rows inserted."""
    from django.db import connection, transaction

    columns = ", ".join(f"{name} {COPY_TYPES[name]}" for name in ORDER_HEADER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_bench_copy, import_bench_orders")
        cursor.execute(f"CREATE TABLE import_bench_copy ({columns})")
        cursor.execute("CREATE TABLE import_bench_orders (LIKE members_order INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE import_bench_orders ADD FOREIGN KEY (member_id) REFERENCES members_member (id)"
            " DEFERRABLE INITIALLY DEFERRED"
        )
        _copy_file(cursor, path)
        cursor.execute(
            "INSERT INTO import_bench_orders (external_id, member_id, placed_at, status, channel, currency,"
            " total, created_at, updated_at) SELECT c.external_id, m.id, c.placed_at, c.status, c.channel,"
            " c.currency, c.total, now(), now() FROM import_bench_copy c"
            " JOIN members_member m ON m.external_id = c.member_external_id"
        )
        rows = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE import_bench_copy, import_bench_orders")
    return rows


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
    """Delete the bench's rows, then VACUUM: with autovacuum off or behind (as on a loaded dev
    machine), every run would otherwise leave its deleted rows in the tables and their indexes,
    and each later run would write into a larger, colder table than the one before."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM members_order WHERE external_id LIKE %s", [PREFIX + "%"])
        cursor.execute("DELETE FROM members_member WHERE external_id LIKE %s", [PREFIX + "%"])
        cursor.execute("VACUUM (ANALYZE) members_order, members_member")  # autocommit: not in a transaction


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
        files = []
        for round_ in range(args.repeats):
            # The same rows each round (same seed), under the round's own ids: every import creates.
            files.append(Path(tmp) / f"orders{round_}.csv")
            orders_write(
                files[-1],
                count=args.rows,
                members=args.members,
                id_prefix=f"{PREFIX}O{round_}-",
                rng=random.Random(args.seed),
            )
        orm_file = Path(tmp) / "orders_orm.csv"
        orders_write(orm_file, count=args.orm_rows, members=args.members, id_prefix=f"{PREFIX}ORM", rng=rng)
        try:
            members_create(args.members)
            server = connection.cursor().connection.info.server_version
            print(
                f"import bench: {args.rows} orders x {args.repeats} rounds (importer and raw COPY), "
                f"{args.orm_rows} orders (ORM sample), {args.members} members, "
                f"Postgres {server // 10000}.{server % 10000}, batch size {BATCH_SIZE}"
            )
            importer_rates, copy_rates, floor_rates = [], [], []

            def importer_round(path: Path) -> None:
                started = time.perf_counter()
                report = import_csv_file(kind="orders", path=path)
                importer_rates.append(
                    timed("  importer, new rows", report.created, time.perf_counter() - started)
                )
                if report.created != args.rows or not report.ok:
                    sys.exit(f"import_bench: the importer did not create every row: {report}")

            def copy_round(path: Path) -> None:
                started = time.perf_counter()
                rows = raw_copy(path)
                copy_rates.append(
                    timed("  raw COPY (plain typed table)", rows, time.perf_counter() - started)
                )

            def floor_round(path: Path) -> None:
                started = time.perf_counter()
                rows = copy_then_insert(path)
                floor_rates.append(
                    timed(
                        "  COPY + INSERT into an indexed copy of members_order",
                        rows,
                        time.perf_counter() - started,
                    )
                )

            for round_, path in enumerate(files):
                print(f"round {round_ + 1}:")
                steps = [copy_round, importer_round] + ([floor_round] if args.floor else [])
                for step in steps if round_ % 2 == 0 else reversed(steps):
                    step(path)
            importer_rate, copy_rate = max(importer_rates), max(copy_rates)

            started = time.perf_counter()
            again = import_csv_file(kind="orders", path=files[-1])
            timed("importer, same file again (unchanged)", again.unchanged, time.perf_counter() - started)

            started = time.perf_counter()
            orm_rows = orm_import(orm_file)
            orm_rate = timed(
                "ORM update_or_create per row, new rows", orm_rows, time.perf_counter() - started
            )
        finally:
            bench_data_delete()
    print(
        f"Best of {args.repeats}: importer {importer_rate:,.0f} rows/s, raw COPY {copy_rate:,.0f} rows/s. "
        "Ratios compare rows/s; the ORM baseline runs on a smaller sample to keep the bench quick."
    )
    if floor_rates:
        floor_rate = max(floor_rates)
        print(
            f"Best COPY + INSERT into an indexed copy of members_order: {floor_rate:,.0f} rows/s; "
            f"importer / that = {importer_rate / floor_rate:.2f}"
        )
    print(
        f"RESULT importer_rows_per_s={importer_rate:.0f} copy_rows_per_s={copy_rate:.0f} "
        f"ratio_vs_copy={importer_rate / copy_rate:.2f} orm_rows_per_s={orm_rate:.0f} "
        f"ratio={importer_rate / orm_rate:.1f}"
    )


if __name__ == "__main__":
    main()
