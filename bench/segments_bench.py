"""Rule-segment size preview at scale: how long the live count takes on N members.

Fills a scratch database with N members (one feature snapshot each, churn scores for all) using
set-based INSERT ... SELECT generate_series, then times the preview count (the query the rule
builder runs on every keystroke) for a few definitions, best of REPEATS.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/memberhub_segbench \\
        .venv/bin/python manage.py migrate && \\
    DATABASE_URL=... .venv/bin/python bench/segments_bench.py --members 250000

Ends with `RESULT members=… preview_ms_max=…`. The database's members, features and scores
tables are emptied first: never point it at real data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")

import django

django.setup()

from django.db import connection

from members.segments.rules import segment_rule_count, segment_rule_validate

AS_OF = date(2026, 6, 30)
REPEATS = 5
DEFINITIONS = {
    "spend>=500 AND tier in (gold,silver)": {
        "match": "all",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "monetary_365", "op": "gte", "value": 500},
                    {"field": "tier", "op": "in", "value": ["gold", "silver"]},
                ],
            }
        ],
    },
    "(recency>180 AND churn>=0.6) OR dresses>=0.3": {
        "match": "any",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "recency_days", "op": "gt", "value": 180},
                    {"field": "churn_risk", "op": "gte", "value": 0.6},
                ],
            },
            {
                "match": "all",
                "conditions": [{"field": "category_share", "category": "Dresses", "op": "gte", "value": 0.3}],
            },
        ],
    },
    "country=France AND negative share>=0.5": {
        "match": "all",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "country", "op": "eq", "value": "France"},
                    {"field": "negative_review_share", "op": "gte", "value": 0.5},
                ],
            }
        ],
    },
}


def fill(members: int) -> None:
    with connection.cursor() as c:
        c.execute(
            "TRUNCATE members_churnscore, members_memberfeatures, members_segmentmembership, "
            "members_member RESTART IDENTITY CASCADE"
        )
        c.execute("DELETE FROM members_membermodelversion WHERE artifact_path = 'bench'")
        c.execute(
            """
            INSERT INTO members_member (external_id, email, name, joined_at, country, city, gender, status,
                                        marketing_consent, tier_id, created_at, updated_at)
            SELECT 'B' || g, '', '', now() - (g %% 1500) * interval '1 day',
                   (ARRAY['France','United Kingdom','Germany','Spain'])[1 + g %% 4], '', '', 'active', false,
                   (SELECT id FROM members_tier ORDER BY rank OFFSET (g %% 3) LIMIT 1), now(), now()
            FROM generate_series(1, %s) g""",
            [members],
        )
        c.execute(
            """
            INSERT INTO members_memberfeatures (member_id, as_of, recency_days, first_order_days, purchase_days,
                lifetime_orders, lifetime_spend, frequency_90, frequency_365, monetary_90, monetary_365,
                avg_order_value, return_cancel_rate, tenure_days, category_shares, review_count, avg_rating,
                negative_review_share, days_since_last_review, negative_service_reviews_90, topic_sentiment,
                computed_at)
            SELECT m.id, %s, (m.id * 7919) %% 400, 500, 3, 3, 300, m.id %% 3, m.id %% 12, 50, (m.id * 31) %% 2000,
                   100, 0.05, 30 + m.id %% 1500,
                   jsonb_build_object('Dresses', ((m.id %% 10) / 10.0)::numeric, 'Tops', (1 - (m.id %% 10) / 10.0)::numeric),
                   m.id %% 4, 4.0, ((m.id * 13) %% 100) / 100.0, NULL, 0, '{}'::jsonb, now()
            FROM members_member m""",
            [AS_OF],
        )
        c.execute(
            """INSERT INTO members_membermodelversion (kind, version, as_of, metrics, artifact_path, active,
                     note, created_at) VALUES ('churn', 999, %s, '{}', 'bench', false, '', now()) RETURNING id""",
            [AS_OF],
        )
        version_id = c.fetchone()[0]
        c.execute(
            """INSERT INTO members_churnscore (member_id, as_of, probability, top_reasons, model_version_id,
                     scored_at) SELECT id, %s, ((id * 17) %% 100) / 100.0, '[]', %s, now() FROM members_member""",
            [AS_OF, version_id],
        )
        c.execute("ANALYZE members_member; ANALYZE members_memberfeatures; ANALYZE members_churnscore")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=250_000)
    parser.add_argument("--skip-fill", action="store_true", help="Reuse the rows of an earlier run.")
    args = parser.parse_args()
    if not args.skip_fill:
        started = time.perf_counter()
        fill(args.members)
        print(
            f"filled {args.members:,} members + snapshots + churn scores in {time.perf_counter() - started:.1f} s"
        )
    worst = 0.0
    for label, definition in DEFINITIONS.items():
        clean = segment_rule_validate(definition)
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            size = segment_rule_count(definition=clean)  # what the preview view runs
            timings.append((time.perf_counter() - started) * 1000)
        best = min(timings)
        worst = max(worst, best)
        print(f"{label}: size={size:,} best={best:.0f} ms median={sorted(timings)[REPEATS // 2]:.0f} ms")
    print(f"RESULT members={args.members} preview_ms_max={worst:.0f}")


if __name__ == "__main__":
    main()
