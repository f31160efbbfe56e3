"""Compute the MemberFeatures snapshot for every member as of a date, in one SQL statement.

"As of D" counts orders placed and reviews written before midnight UTC at the end of D; anything
later is ignored, which is what lets backtests replay history without leaking the future. One
limitation the data model imposes: an order's status is its current status, so an order placed
before D and returned after D already counts as returned (there is no status history).

Definitions (all windows end at the cut-off):
- orders count when their status is in REVENUE_STATUSES; spend is Order.total;
- recency_days: days from the last order's date to D (null: never ordered); first_order_days likewise;
- frequency/monetary over the last 90 and 365 days; avg_order_value over all orders up to D;
- return_cancel_rate: returned or cancelled / all orders placed in the last 365 days (null: none);
- category_shares: each category's share of item spend (quantity x unit price) over 365 days,
  blank categories as "uncategorised";
- a review is negative when the review models scored it "negative", or, when it is not scored
  yet, when its rating is 2 or less;
- topic_sentiment: per topic in Review.topics (strings, or objects with "topic"/"name" and an
  optional "sentiment" that overrides the review's), over scored reviews only; empty otherwise;
- negative_service_reviews_90: negative reviews tagged with a SERVICE_TOPICS topic in the last 90 days;
- negative_reviews_90: negative reviews in the last 90 days (any topic);
- frequency/monetary_same_period_ly: orders and spend in [cutoff - 365 days, cutoff - 275 days),
  last year's version of the 90 days after as_of (0 when the member or the data is younger);
- text_embedding: mean of the member's review embeddings (member_text_embeddings_compute, a
  second pass: the vectors are float32 bytes, which SQL cannot average).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta

from django.db import connection, transaction

from members.core.models.order import REVENUE_STATUSES
from members.predictions.features import FEATURE_COLUMNS, features_cutoff

# Review topics whose complaints signal churn (issue 5: "a new negative review about service or
# delivery"): the review models' codes (ml/topics.py, members.reviews.services.scoring.CHURN_TOPICS) and
# the plain words, for topics written by an import.
SERVICE_TOPICS = ("customer_service", "delivery_logistics", "service", "delivery")
# "Same period last year": the SAME_PERIOD_DAYS days that began a year before the day after as_of,
# i.e. last year's version of the horizon churn and the forecast look at (seasonal shops).
SAME_PERIOD_DAYS = 90

_FEATURES_SQL = """
WITH eligible AS (
    SELECT m.id AS member_id, m.joined_at
    FROM members_member m
    WHERE m.joined_at < %(cutoff)s
      AND (%(member_ids)s::bigint[] IS NULL OR m.id = ANY(%(member_ids)s::bigint[]))
),
member_orders AS (
    SELECT o.member_id, o.placed_at, o.total, o.status = ANY(%(revenue)s) AS is_revenue
    FROM members_order o
    JOIN eligible e ON e.member_id = o.member_id
    WHERE o.placed_at < %(cutoff)s
),
ord AS (
    SELECT member_id,
        max(placed_at) FILTER (WHERE is_revenue) AS last_order_at,
        min(placed_at) FILTER (WHERE is_revenue) AS first_order_at,
        count(DISTINCT (placed_at AT TIME ZONE 'UTC')::date) FILTER (WHERE is_revenue) AS purchase_days,
        count(*) FILTER (WHERE is_revenue) AS lifetime_orders,
        coalesce(sum(total) FILTER (WHERE is_revenue), 0) AS lifetime_spend,
        count(*) FILTER (WHERE is_revenue AND placed_at >= %(cutoff)s - interval '90 days') AS frequency_90,
        count(*) FILTER (WHERE is_revenue AND placed_at >= %(cutoff)s - interval '365 days') AS frequency_365,
        coalesce(sum(total) FILTER (WHERE is_revenue AND placed_at >= %(cutoff)s - interval '90 days'), 0)
            AS monetary_90,
        coalesce(sum(total) FILTER (WHERE is_revenue AND placed_at >= %(cutoff)s - interval '365 days'), 0)
            AS monetary_365,
        count(*) FILTER (WHERE placed_at >= %(cutoff)s - interval '365 days') AS orders_365_all,
        count(*) FILTER (WHERE NOT is_revenue AND placed_at >= %(cutoff)s - interval '365 days') AS bad_365,
        count(*) FILTER (WHERE is_revenue AND placed_at >= %(cutoff)s - interval '365 days'
                         AND placed_at < %(cutoff)s - interval '365 days' + %(horizon)s) AS frequency_same_period_ly,
        coalesce(sum(total) FILTER (WHERE is_revenue AND placed_at >= %(cutoff)s - interval '365 days'
                                    AND placed_at < %(cutoff)s - interval '365 days' + %(horizon)s), 0)
            AS monetary_same_period_ly
    FROM member_orders
    GROUP BY member_id
),
cat_spend AS (
    SELECT o.member_id, coalesce(nullif(p.category, ''), 'uncategorised') AS category,
        sum(i.quantity * i.unit_price) AS spend
    FROM members_order o
    JOIN eligible e ON e.member_id = o.member_id
    JOIN members_orderitem i ON i.order_id = o.id
    JOIN members_product p ON p.id = i.product_id
    WHERE o.placed_at < %(cutoff)s AND o.placed_at >= %(cutoff)s - interval '365 days'
      AND o.status = ANY(%(revenue)s)
    GROUP BY 1, 2
),
cats AS (
    SELECT member_id, jsonb_object_agg(category, round(spend / member_total, 4)) AS shares
    FROM (SELECT *, sum(spend) OVER (PARTITION BY member_id) AS member_total FROM cat_spend) s
    WHERE member_total > 0
    GROUP BY member_id
),
member_reviews AS (
    SELECT r.id, r.member_id, r.created_at, r.rating, r.sentiment, r.topics,
        CASE WHEN r.sentiment <> '' THEN r.sentiment = 'negative' ELSE r.rating <= 2 END AS is_negative
    FROM members_review r
    JOIN eligible e ON e.member_id = r.member_id
    WHERE r.created_at < %(cutoff)s
),
revs AS (
    SELECT member_id, count(*) AS review_count, avg(rating)::float AS avg_rating,
        avg(CASE WHEN is_negative THEN 1.0 ELSE 0.0 END)::float AS negative_share,
        max(created_at) AS last_review_at,
        count(*) FILTER (WHERE is_negative AND created_at >= %(cutoff)s - interval '90 days') AS negative_90
    FROM member_reviews
    GROUP BY member_id
),
review_topics AS (
    SELECT r.id AS review_id, r.member_id, r.created_at,
        lower(CASE jsonb_typeof(t.elem) WHEN 'string' THEN t.elem #>> '{{}}'
                   WHEN 'object' THEN coalesce(t.elem ->> 'topic', t.elem ->> 'name') END) AS topic,
        coalesce(nullif(CASE jsonb_typeof(t.elem) WHEN 'object' THEN t.elem ->> 'sentiment' END, ''), r.sentiment)
            AS sentiment
    FROM member_reviews r
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(r.topics) = 'array' THEN r.topics ELSE '[]'::jsonb END) AS t(elem)
),
topic_counts AS (
    SELECT member_id, topic, count(*) AS n, count(*) FILTER (WHERE sentiment = 'negative') AS negative
    FROM review_topics
    WHERE topic IS NOT NULL AND topic <> '' AND sentiment <> ''
    GROUP BY 1, 2
),
topics AS (
    SELECT member_id,
        jsonb_object_agg(topic, jsonb_build_object('reviews', n, 'negative_share', round(negative::numeric / n, 4)))
            AS topic_sentiment
    FROM topic_counts
    GROUP BY member_id
),
service_complaints AS (
    SELECT member_id, count(DISTINCT review_id) AS complaints
    FROM review_topics
    WHERE topic = ANY(%(service_topics)s) AND sentiment = 'negative'
      AND created_at >= %(cutoff)s - interval '90 days'
    GROUP BY member_id
)
INSERT INTO members_memberfeatures (member_id, as_of, {columns})
SELECT e.member_id, %(as_of)s::date,
    %(as_of)s::date - (o.last_order_at AT TIME ZONE 'UTC')::date,
    %(as_of)s::date - (o.first_order_at AT TIME ZONE 'UTC')::date,
    coalesce(o.purchase_days, 0),
    coalesce(o.lifetime_orders, 0),
    coalesce(o.lifetime_spend, 0),
    coalesce(o.frequency_90, 0),
    coalesce(o.frequency_365, 0),
    coalesce(o.monetary_90, 0),
    coalesce(o.monetary_365, 0),
    round(o.lifetime_spend / nullif(o.lifetime_orders, 0), 2),
    o.bad_365::float / nullif(o.orders_365_all, 0),
    %(as_of)s::date - (e.joined_at AT TIME ZONE 'UTC')::date,
    coalesce(c.shares, '{{}}'::jsonb),
    coalesce(r.review_count, 0),
    r.avg_rating,
    r.negative_share,
    %(as_of)s::date - (r.last_review_at AT TIME ZONE 'UTC')::date,
    coalesce(s.complaints, 0),
    coalesce(t.topic_sentiment, '{{}}'::jsonb),
    coalesce(o.frequency_same_period_ly, 0),
    coalesce(o.monetary_same_period_ly, 0),
    coalesce(r.negative_90, 0),
    now()
FROM eligible e
LEFT JOIN ord o ON o.member_id = e.member_id
LEFT JOIN cats c ON c.member_id = e.member_id
LEFT JOIN revs r ON r.member_id = e.member_id
LEFT JOIN topics t ON t.member_id = e.member_id
LEFT JOIN service_complaints s ON s.member_id = e.member_id
ON CONFLICT (member_id, as_of) DO UPDATE SET {updates}
"""
FEATURES_SQL = _FEATURES_SQL.format(
    columns=", ".join(FEATURE_COLUMNS),
    updates=", ".join(f"{c} = EXCLUDED.{c}" for c in FEATURE_COLUMNS),
)


class FeatureComputationError(RuntimeError):
    """The features cannot be computed here (e.g. not a PostgreSQL database)."""


def member_features_compute(*, as_of: date, member_ids: Sequence[int] | None = None) -> int:
    """Upsert MemberFeatures(member, as_of) for all members who had joined by `as_of`.

    One INSERT ... SELECT ... ON CONFLICT DO UPDATE (so re-running the same date rewrites the same
    values), whatever the number of members; then, for a whole day, ANALYZE of the table. `member_ids`
    restricts it to those members (used to refresh one member after a new review). Returns the number
    of rows written. PostgreSQL only.
    """
    if connection.vendor != "postgresql":
        raise FeatureComputationError(
            f"Member features are computed in PostgreSQL; this database is {connection.vendor}. Set DATABASE_URL."
        )
    params = {
        "as_of": as_of,
        "cutoff": features_cutoff(as_of=as_of),
        "member_ids": list(member_ids) if member_ids is not None else None,
        "revenue": [str(s) for s in REVENUE_STATUSES],
        "service_topics": list(SERVICE_TOPICS),
        "horizon": timedelta(days=SAME_PERIOD_DAYS),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # The CTEs' row estimates are wild (billions), so Postgres would JIT-compile the statement
        # with inlining and optimisation: about 2 s at 1,000,000 members that the run never wins back.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(FEATURES_SQL, params)
        written = cursor.rowcount
        if member_ids is None:
            # A whole new day: the next steps filter on it, and without fresh statistics Postgres
            # takes a date it has not seen for a few rows and plans per-row nested loops.
            cursor.execute("ANALYZE members_memberfeatures")
        return written


EMBEDDING_READ_ROWS = 10_000  # reviews fetched per round trip while averaging embeddings


def member_text_embeddings_compute(*, as_of: date, member_ids: Sequence[int] | None = None) -> int:
    """Set MemberFeatures.text_embedding (as_of) to the mean of each member's review embeddings.

    Review.embedding holds the review models' float32 vectors (members.reviews.services.scoring). One
    streamed read of the reviews written before the cut-off, ordered by member, and one bulk
    UPDATE from a COPY-loaded temp table; members without embedded reviews keep null. Reviews whose
    vector length differs from the member's first one (a re-scored model with another size) are
    left out of that member's mean. Returns the number of snapshot rows updated.
    """
    import numpy as np

    params = {"cutoff": features_cutoff(as_of=as_of), "member_ids": list(member_ids) if member_ids is not None else None}
    means: list[tuple[int, str]] = []
    current, total, count = None, None, 0

    def close() -> None:
        if current is not None and count:
            means.append((current, json.dumps([round(float(v), 5) for v in total / count])))

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT member_id, embedding FROM members_review WHERE embedding IS NOT NULL AND created_at < %(cutoff)s"
            " AND (%(member_ids)s::bigint[] IS NULL OR member_id = ANY(%(member_ids)s::bigint[]))"
            " ORDER BY member_id",
            params,
        )
        while rows := cursor.fetchmany(EMBEDDING_READ_ROWS):
            for member_id, raw in rows:
                vector = np.frombuffer(bytes(raw), dtype="<f4").astype(np.float64)
                if member_id != current:
                    close()
                    current, total, count = member_id, np.zeros_like(vector), 0
                if vector.shape == total.shape:
                    total += vector
                    count += 1
        close()
        if not means:
            return 0
        cursor.execute("DROP TABLE IF EXISTS pg_temp.embedding_stage")
        cursor.execute("CREATE TEMP TABLE embedding_stage (member_id bigint, embedding jsonb) ON COMMIT DROP")
        with cursor.copy("COPY embedding_stage (member_id, embedding) FROM STDIN") as copy:
            for row in means:
                copy.write_row(row)
        cursor.execute(
            "UPDATE members_memberfeatures f SET text_embedding = s.embedding FROM embedding_stage s"
            " WHERE f.member_id = s.member_id AND f.as_of = %s",
            [as_of],
        )
        updated = cursor.rowcount
        cursor.execute("DROP TABLE embedding_stage")
        return updated
