"""Benchmark: the member refresh at scale, and the set-based feature step vs a per-member ORM loop.

    .venv/bin/python bench/members_bench.py --members 1000000 --orders 5000000

Uses its own database (postgres://.../memberhub_membersbench, created and migrated if needed),
generates --members members and --orders orders set-based with generate_series (orders drawn
towards a minority of heavy buyers; 8 % returned, 3 % cancelled; one product, no order items, so
category shares stay empty; --reviews reviews with ratings), unless a dataset of that size is
already there. Then:
1. trains the churn and forecast models (features as of T-180 and T-90 + backtests; timed apart);
2. creates two rule segments (AND/OR groups; one reads churn risk and tiers) unless they exist;
3. times the refresh for T exactly as the nightly chain runs it (members.predictions.services.member_refresh:
   STEPS in order, each step from a fresh RefreshContext as the Celery chain's tasks do):
   features (+ text embeddings), segments (learned: k-means, k by silhouette on a sample unless
   MEMBER_SEGMENTS_K is set; assignment and history; rule segments sized and snapshotted), tiers
   (evaluation + will-downgrade warnings), churn scoring with reasons, forecast scoring with tier
   flags -- refresh_s is their sum; the models trained in step 1 are for T, so no step retrains;
4. times each rule segment's size (segment_rule_count, what the segments page and API ask) on the
   snapshot of T, after the refresh (not part of refresh_s: the segments step sized them);
5. on a 10,000-member sample, times member_features_compute(member_ids=sample) against a loop that
   computes the same core features with the ORM, one member at a time (4 queries + 1 upsert each).
Before step 3 the date's per-day rows of an earlier run are deleted (day_clear), so a rerun writes
a new day; --reuse-models skips step 1 when models for T are active. Load averages (os.getloadavg)
are printed next to each timing. MEMBERS_BENCH_DB names another database for a small trial run.
The last line is `RESULT members=... refresh_s=... set_based_vs_loop_ratio=... features_s=... (each step)`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("MEMBERS_BENCH_DB", "memberhub_membersbench")
AS_OF = date(2026, 6, 30)


def database_ensure() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def generate(members: int, orders: int, reviews: int) -> None:
    from django.db import connection

    from members.models import Member, Order, Product, Review, Tier

    if Member.objects.count() == members and Order.objects.count() == orders:
        print(f"data: {members} members and {orders} orders already there")
        return
    started = time.monotonic()
    end = datetime.combine(AS_OF, dtime(12), tzinfo=UTC)
    with connection.cursor() as c:
        c.execute("TRUNCATE members_memberfeatures, members_churnscore, members_spendforecast, members_review, "
                  "members_orderitem, members_order, members_tierchange, members_member CASCADE")  # fmt: skip
        c.execute(
            "INSERT INTO members_member (external_id, email, name, joined_at, country, city, gender, status,"
            " marketing_consent, tier_id, created_at, updated_at)"
            " SELECT 'MB-' || g, '', '', %(end)s - random() * interval '1095 days', 'United Kingdom', '', '',"
            " 'active', false, %(tier)s, now(), now() FROM generate_series(1, %(n)s) g",
            {"end": end, "tier": Tier.objects.order_by("rank").first().pk, "n": members},
        )
        c.execute("SELECT min(id) FROM members_member")
        (first_id,) = c.fetchone()
        # random()^2 draws most orders from a minority of members, like real shops' heavy buyers.
        c.execute(
            "INSERT INTO members_order (external_id, member_id, placed_at, status, channel, currency, total,"
            " created_at, updated_at)"
            " SELECT 'OB-' || g, %(first)s + floor(%(m)s * random() ^ 2)::bigint,"
            " %(end)s - random() * interval '730 days',"
            " CASE WHEN r < 0.08 THEN 'returned' WHEN r < 0.11 THEN 'cancelled' ELSE 'delivered' END,"
            " 'web', 'GBP', round((5 + random() * 195)::numeric, 2), now(), now()"
            " FROM (SELECT g, random() AS r FROM generate_series(1, %(n)s) g) s",
            {"first": first_id, "m": members, "end": end, "n": orders},
        )
        c.execute("INSERT INTO members_product (sku, title, description, category, brand, price, currency, active,"
                  " created_at, updated_at) VALUES ('BENCH-1', 'Bench shirt', '', 'Tops', '', 40, 'GBP', true,"
                  " now(), now()) ON CONFLICT (sku) DO NOTHING")  # fmt: skip
    # Reviews through the ORM: the review models keep adding columns, and the model knows their defaults.
    rng = random.Random(7)
    product = Product.objects.get(sku="BENCH-1")
    for start in range(0, reviews, 20_000):
        Review.objects.bulk_create(
            Review(external_id=f"RB-{n}", member_id=first_id + rng.randrange(members), product=product,
                   rating=rng.randint(1, 5), created_at=end - timedelta(days=rng.random() * 730))
            for n in range(start, min(reviews, start + 20_000))
        )  # fmt: skip
    with connection.cursor() as c:
        c.execute("ANALYZE")
    print(
        f"data: {members} members, {orders} orders, {reviews} reviews generated in {time.monotonic() - started:.0f} s"
    )


def orm_loop_features(member_ids: list[int], as_of: date) -> None:
    """The per-member way: the same core features, one member at a time, through the ORM."""
    from django.db.models import Avg, Count, Max, Min, Q, Sum
    from django.utils import timezone

    from members.core.models.order import REVENUE_STATUSES
    from members.models import Member, MemberFeatures, Order, Review
    from members.predictions.features import features_cutoff

    cutoff = features_cutoff(as_of=as_of)
    d90, d365 = cutoff - timedelta(days=90), cutoff - timedelta(days=365)
    rev = Q(status__in=REVENUE_STATUSES)
    for member_id in member_ids:
        member = Member.objects.get(pk=member_id)
        o = Order.objects.filter(member_id=member_id, placed_at__lt=cutoff).aggregate(
            last=Max("placed_at", filter=rev), first=Min("placed_at", filter=rev), n=Count("id", filter=rev),
            spend=Sum("total", filter=rev), f90=Count("id", filter=rev & Q(placed_at__gte=d90)),
            f365=Count("id", filter=rev & Q(placed_at__gte=d365)), m90=Sum("total", filter=rev & Q(placed_at__gte=d90)),
            m365=Sum("total", filter=rev & Q(placed_at__gte=d365)), all365=Count("id", filter=Q(placed_at__gte=d365)),
        )  # fmt: skip
        r = Review.objects.filter(member_id=member_id, created_at__lt=cutoff).aggregate(
            n=Count("id"), avg=Avg("rating"), neg=Count("id", filter=Q(rating__lte=2)), last=Max("created_at")
        )
        days = lambda ts: (as_of - ts.date()).days if ts else None
        MemberFeatures.objects.update_or_create(
            member_id=member_id, as_of=as_of,
            defaults={
                "recency_days": days(o["last"]), "first_order_days": days(o["first"]), "lifetime_orders": o["n"],
                "purchase_days": o["n"], "lifetime_spend": o["spend"] or 0, "frequency_90": o["f90"],
                "frequency_365": o["f365"], "monetary_90": o["m90"] or 0, "monetary_365": o["m365"] or 0,
                "avg_order_value": (o["spend"] / o["n"]) if o["n"] else None,
                "return_cancel_rate": ((o["all365"] - o["f365"]) / o["all365"]) if o["all365"] else None,
                "tenure_days": (as_of - member.joined_at.date()).days, "review_count": r["n"],
                "avg_rating": r["avg"], "negative_review_share": (r["neg"] / r["n"]) if r["n"] else None,
                "days_since_last_review": days(r["last"]), "computed_at": timezone.now(),
            },
        )  # fmt: skip


def timed(label: str, fn, timings: dict) -> object:
    started = time.monotonic()
    out = fn()
    timings[label] = time.monotonic() - started
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"  {label}: {timings[label]:.1f} s ({out}) [load {load}]", flush=True)
    return out


def day_clear(as_of: date) -> str:
    """Delete the per-day rows of `as_of` (features, scores, forecasts, segment snapshots and
    history) so a rerun measures a new night's inserts, not updates of the same rows. Tier
    proposals and learned segments stay, as they would from one night to the next."""
    from django.db import connection

    from members.models import ChurnScore, MemberFeatures, SegmentMembership, SegmentSnapshot, SpendForecast

    counts = []
    with connection.cursor() as c:
        for model in (ChurnScore, SpendForecast, SegmentSnapshot, SegmentMembership, MemberFeatures):
            c.execute(f"DELETE FROM {model._meta.db_table} WHERE as_of = %s", [as_of])
            counts.append(f"{c.rowcount} {model.__name__}")
    return ", ".join(counts)


def rule_segments_ensure() -> list:
    """The bench's rule segments (created through the service, so validated like a user's)."""
    from members.models import Segment, Tier
    from members.segments.services.segments_rules import segment_rule_save

    lower_tiers = list(Tier.objects.order_by("rank").values_list("code", flat=True)[:2])
    definitions = {
        "Bench: lapsed big spenders": {"match": "all", "groups": [
            {"match": "all", "conditions": [{"field": "monetary_365", "op": "gte", "value": 300},
                                            {"field": "recency_days", "op": "gte", "value": 60}]},
        ]},
        "Bench: at risk or unhappy": {"match": "any", "groups": [
            {"match": "all", "conditions": [{"field": "churn_risk", "op": "gte", "value": 0.6},
                                            {"field": "tier", "op": "in", "value": lower_tiers}]},
            {"match": "any", "conditions": [{"field": "negative_review_share", "op": "gte", "value": 0.5},
                                            {"field": "return_cancel_rate", "op": "gte", "value": 0.3}]},
        ]},
    }  # fmt: skip
    segments = []
    for name, definition in definitions.items():
        segment = Segment.objects.filter(kind=Segment.Kind.RULE, active=True, name=name).first()
        segments.append(segment or segment_rule_save(definition=definition, name=name))
    return segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--reviews", type=int, default=300_000)
    parser.add_argument(
        "--sample", type=int, default=10_000, help="members in the set-based vs loop comparison"
    )
    parser.add_argument("--reuse-models", action="store_true",
                        help="skip training when churn and forecast models for T are already active (a rerun)")  # fmt: skip
    args = parser.parse_args()
    bench_started = time.monotonic()

    database_ensure()
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    os.environ.setdefault("MEMBERHUB_ARTIFACT_DIR", str(ROOT / "artifacts" / "members_bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from members.models import Member, MemberFeatures, MemberModelKind, MemberModelVersion
    from members.predictions.services.churn import churn_train, training_windows
    from members.predictions.services.member_features import member_features_compute
    from members.predictions.services.member_refresh import STEP_FUNCTIONS, STEPS, RefreshContext
    from members.predictions.services.spend_forecast import spend_forecast_train
    from members.segments.rules import segment_rule_count, segment_rule_describe

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        c.execute("SELECT version()")
        print(f"members bench: {args.members} members, {args.orders} orders, as of {AS_OF}; {c.fetchone()[0][:16]}; "
              f"{os.cpu_count()} CPUs; load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")  # fmt: skip
    generate(args.members, args.orders, args.reviews)

    trained = all(MemberModelVersion.objects.filter(kind=kind, active=True, as_of=AS_OF).exists()
                  for kind in (MemberModelKind.CHURN, MemberModelKind.FORECAST))  # fmt: skip
    if args.reuse_models and trained:
        print(f"training: skipped (--reuse-models: churn and forecast models for {AS_OF} are active)")
    else:
        print("training (not part of refresh_s):")
        train = {}
        holder = {}
        timed("training windows (features as of T-180 and T-90, labels)",
              lambda: len(holder.setdefault("w", training_windows(as_of=AS_OF)).train_rows), train)  # fmt: skip
        windows = holder.pop("w")
        timed("churn train + backtest",
              lambda: churn_train(as_of=AS_OF, windows=windows).metrics["backtest"]["model"]["roc_auc"], train)  # fmt: skip
        timed(
            "forecast train + backtest",
            lambda: spend_forecast_train(as_of=AS_OF, windows=windows).version,
            train,
        )
        del windows  # two windows of 1,000,000 row dicts: not kept through the refresh

    for kind in (MemberModelKind.CHURN, MemberModelKind.FORECAST):  # else the refresh would retrain
        assert MemberModelVersion.objects.filter(kind=kind, active=True, as_of=AS_OF).exists(), kind
    rule_segments = rule_segments_ensure()
    cleared = day_clear(AS_OF)
    print(
        f"cleared the {AS_OF} rows of an earlier run, so the refresh writes a new day ({cleared}; not timed)"
    )

    print(f"refresh (the nightly chain's steps: {', '.join(STEPS)}):")
    steps = {}
    for name in STEPS:
        timed(name, lambda name=name: STEP_FUNCTIONS[name](RefreshContext(as_of=AS_OF)).summary, steps)
    refresh_s = sum(steps.values())
    print(f"  refresh total: {refresh_s:.1f} s")

    print(f"rule segment sizes on the {AS_OF} snapshot (segment_rule_count; not part of refresh_s):")
    sizes = {}
    for segment in rule_segments:
        timed(f"{segment.name}: {segment_rule_describe(segment.rule)}",
              lambda segment=segment: segment_rule_count(definition=segment.rule, as_of=AS_OF), sizes)  # fmt: skip

    sample = list(Member.objects.order_by("?").values_list("pk", flat=True)[: args.sample])
    day = AS_OF - timedelta(days=1)  # a date with no snapshot yet, so both sides insert
    print(f"set-based vs ORM loop on {len(sample)} members:")
    cmp = {}
    timed(
        "set-based (one INSERT ... SELECT)",
        lambda: member_features_compute(as_of=day, member_ids=sample),
        cmp,
    )
    MemberFeatures.objects.filter(as_of=day).delete()
    timed("ORM loop (per member)", lambda: orm_loop_features(sample, day), cmp)
    MemberFeatures.objects.filter(as_of=day).delete()
    ratio = cmp["ORM loop (per member)"] / cmp["set-based (one INSERT ... SELECT)"]
    print(f"bench wall time: {time.monotonic() - bench_started:.0f} s (generation included when it ran)")
    per_step = " ".join(f"{name}_s={steps[name]:.1f}" for name in STEPS)
    print(f"RESULT members={args.members} refresh_s={refresh_s:.1f} set_based_vs_loop_ratio={ratio:.1f} {per_step}")


if __name__ == "__main__":
    main()
