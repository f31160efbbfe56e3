"""Reads of the MemberFeatures snapshots and of what members did after a snapshot (the labels)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection

from members.core.models.order import REVENUE_STATUSES
from members.models import MemberFeatures
from members.predictions.features import FEATURE_COLUMNS, features_cutoff

OUTCOME_DAYS = 90  # churn = no order in this many days after as_of; the forecast covers the same span
READ_CHUNK_ROWS = 20_000

ROW_FIELDS = ("member_id", *(c for c in FEATURE_COLUMNS if c != "computed_at"))


def member_feature_rows(*, as_of: date, member_ids: list[int] | None = None) -> list[dict]:
    """The snapshot rows for `as_of` as dicts (ml.member_models input), ordered by member id."""
    qs = MemberFeatures.objects.filter(as_of=as_of)
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    return list(qs.order_by("member_id").values(*ROW_FIELDS).iterator(chunk_size=READ_CHUNK_ROWS))


def member_outcomes(*, as_of: date, days: int = OUTCOME_DAYS) -> tuple[list[int], list[int], list[float]]:
    """(member ids, churned, spend) for every member with a snapshot at `as_of`, ordered by member id.

    churned = 1 when the member placed no revenue order in the `days` days after as_of;
    spend = the total of those orders. One grouped query.
    """
    start = features_cutoff(as_of=as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT f.member_id, count(o.id) = 0, coalesce(sum(o.total), 0)::float
            FROM members_memberfeatures f
            LEFT JOIN members_order o ON o.member_id = f.member_id AND o.status = ANY(%(revenue)s)
                 AND o.placed_at >= %(start)s AND o.placed_at < %(end)s
            WHERE f.as_of = %(as_of)s
            GROUP BY f.member_id
            ORDER BY f.member_id
            """,
            {"as_of": as_of, "start": start, "end": start + timedelta(days=days),
             "revenue": [str(s) for s in REVENUE_STATUSES]},
        )  # fmt: skip
        rows = cursor.fetchall()
    return [r[0] for r in rows], [int(r[1]) for r in rows], [float(r[2]) for r in rows]
