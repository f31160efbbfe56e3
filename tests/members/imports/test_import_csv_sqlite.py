"""The SQLite path (the embedded first-run database), in a child process with its own database file."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "data" / "csv"

# Migrates a fresh SQLite file, imports the fixture shop, re-imports orders unchanged, then a
# changed orders file; prints each report as JSON.
SCRIPT = """
import json, sys
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
from members.imports.services.csv_import import import_csv_file
call_command("migrate", verbosity=0)
fixtures, changed = Path(sys.argv[1]), Path(sys.argv[2])
runs = [(kind, fixtures / f"{kind}.csv") for kind in ("products", "members", "orders", "order_items", "reviews")]
runs += [("orders", fixtures / "orders.csv"), ("orders", changed), ("reviews", fixtures / "reviews_with_errors.csv")]
for kind, path in runs:
    r = import_csv_file(kind=kind, path=path)
    print(json.dumps([kind, r.created, r.updated, r.unchanged, [[e.line, e.reason] for e in r.errors]]))
"""


@pytest.mark.slow
def test_the_sqlite_path_imports_upserts_and_reports_like_postgres(tmp_path):
    database = tmp_path / "first-run.sqlite3"
    changed = tmp_path / "orders.csv"
    changed.write_text(
        (FIXTURES / "orders.csv")
        .read_text()
        .replace("O-2,M002,2024-05-03,paid", "O-2,M002,2024-05-03,shipped")
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env |= {"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "memberhub.settings"}

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURES), str(changed)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert reports == [
        ["products", 3, 0, 0, []],
        ["members", 3, 0, 0, []],
        ["orders", 3, 0, 0, []],
        ["order_items", 4, 0, 0, []],
        ["reviews", 2, 0, 0, []],
        ["orders", 0, 0, 3, []],
        ["orders", 0, 1, 2, []],
        [
            "reviews",
            3,
            0,
            0,
            [
                [3, "rating 7 is not between 1 and 5"],
                [4, "unknown member 'M404' in member_external_id"],
                [7, "created_at '12/05/2024' is not an ISO 8601 date or timestamp"],
            ],
        ],
    ]
    with sqlite3.connect(database) as db:
        stamps = dict(db.execute("SELECT external_id, updated_at FROM members_order").fetchall())
        tiers = dict(
            db.execute(
                "SELECT m.external_id, t.code FROM members_member m JOIN members_tier t ON t.id = m.tier_id"
            ).fetchall()
        )
    assert stamps["O-2"] > stamps["O-1"] == stamps["O-3"]  # only the changed order was rewritten
    assert tiers == {"M001": "silver", "M002": "basic", "M003": "gold"}
