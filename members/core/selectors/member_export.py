"""Members as CSV in the import contract's columns, plus lifetime spend and order count."""

import csv
from collections.abc import Iterator
from datetime import UTC

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from members.core.models.order import REVENUE_STATUSES
from members.models import Member

# The members import contract, in its order, then the two activity figures.
MEMBER_EXPORT_COLUMNS = (
    "external_id",
    "email",
    "name",
    "joined_at",
    "country",
    "city",
    "birth_year",
    "gender",
    "status",
    "marketing_consent",
    "tier",
    "lifetime_spend",
    "order_count",
)
# Rows fetched per round trip from the server-side cursor while streaming.
EXPORT_CHUNK_ROWS = 2_000


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...), +1+1, -2+3,
# @SUM(...), and tab / carriage return, which some programs skip before the formula).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading apostrophe before a formula trigger (OWASP
    "CSV injection"). The apostrophe is not shown by spreadsheets; other values pass unchanged."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


class _LineBuffer:
    """csv.writer target that hands back each line instead of storing it."""

    def write(self, text: str) -> str:
        return text


def member_export_rows(*, members: QuerySet[Member]) -> Iterator[tuple]:
    """One tuple per member of `members`, in id order, values in MEMBER_EXPORT_COLUMNS order.

    A single aggregate query (members LEFT JOIN orders GROUP BY member), read from a server-side
    cursor. lifetime_spend follows member_lifetime_stats: only orders the shop kept count, so
    returned/cancelled orders are excluded; order_count counts every order.
    """
    queryset = (
        members.order_by("pk")
        .annotate(
            tier_code=F("tier__code"),
            lifetime_spend=Coalesce(
                Sum("orders__total", filter=Q(orders__status__in=REVENUE_STATUSES)),
                Value(0),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            order_count=Count("orders"),
        )
        .values_list(
            "external_id",
            "email",
            "name",
            "joined_at",
            "country",
            "city",
            "birth_year",
            "gender",
            "status",
            "marketing_consent",
            "tier_code",
            "lifetime_spend",
            "order_count",
        )
    )
    yield from queryset.iterator(chunk_size=EXPORT_CHUNK_ROWS)


def member_export_csv(*, members: QuerySet[Member]) -> Iterator[str]:
    """The CSV text, line by line (header first), ready for a StreamingHttpResponse.

    Formats match what the members import reads back: joined_at as ISO 8601 in UTC, consent as
    true/false, blank birth year as an empty cell, money with two decimals. Text cells that a
    spreadsheet would run as a formula get a leading apostrophe (spreadsheet_safe).
    """
    writer = csv.writer(_LineBuffer())
    yield writer.writerow(MEMBER_EXPORT_COLUMNS)
    for row in member_export_rows(members=members):
        (external_id, email, name, joined_at, country, city, birth_year, gender, status, consent, tier,
         spend, orders) = row
        yield writer.writerow(
            (
                spreadsheet_safe(external_id),
                spreadsheet_safe(email),
                spreadsheet_safe(name),
                joined_at.astimezone(UTC).isoformat(),
                spreadsheet_safe(country),
                spreadsheet_safe(city),
                "" if birth_year is None else birth_year,
                spreadsheet_safe(gender),
                status,
                "true" if consent else "false",
                spreadsheet_safe(tier or ""),
                f"{spend:.2f}",
                orders,
            )
        )
