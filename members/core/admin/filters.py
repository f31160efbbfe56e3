"""List filters that cost at most one indexed query, whatever the table size.

Django's default filters for a CharField or an unchoiced integer run SELECT DISTINCT over the
whole table on every page load; at 1M members / 5M orders that is a full scan each time.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import connections

# The country filter lists at most this many distinct values; others still work via ?country=.
COUNTRY_CHOICES_LIMIT = 100


def distinct_values_by_index_skip(*, model, column: str, using: str = "default", limit: int) -> list[str]:
    """Distinct non-blank values of an indexed column, by walking its btree (a "loose index scan").

    One probe per distinct value instead of reading every row, so it costs the same at 1M rows as
    at 1k. Postgres only; elsewhere (the first-run SQLite database) a plain SELECT DISTINCT is fine.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        values = model.objects.using(using).exclude(**{column: ""}).order_by(column)
        return list(values.values_list(column, flat=True).distinct()[:limit])
    table = connection.ops.quote_name(model._meta.db_table)
    col = connection.ops.quote_name(column)
    sql = f"""
        WITH RECURSIVE walk(value) AS (
            (SELECT {col} FROM {table} WHERE {col} > '' ORDER BY {col} LIMIT 1)
            UNION ALL
            SELECT (SELECT {col} FROM {table} WHERE {col} > walk.value ORDER BY {col} LIMIT 1)
            FROM walk WHERE walk.value IS NOT NULL
        )
        SELECT value FROM walk WHERE value IS NOT NULL LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]


class CountryFilter(admin.SimpleListFilter):
    """Members' countries, read from the member_country index (one cheap query)."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        values = distinct_values_by_index_skip(
            model=model_admin.model, column="country", limit=COUNTRY_CHOICES_LIMIT
        )
        selected = self.value()
        if selected and selected not in values:
            values.append(selected)  # keep a ?country= link for a value beyond the cap visible
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value())
        return queryset


class RatingFilter(admin.SimpleListFilter):
    """Ratings 1-5 are fixed by a database constraint, so the choices need no query."""

    title = "rating"
    parameter_name = "rating"

    def lookups(self, request, model_admin):
        return [(str(stars), "★" * stars) for stars in range(5, 0, -1)]

    def queryset(self, request, queryset):
        if self.value():
            if self.value() not in {"1", "2", "3", "4", "5"}:
                raise IncorrectLookupParameters(f"Rating must be 1-5, not {self.value()!r}")
            return queryset.filter(rating=int(self.value()))
        return queryset


class InputFilter(admin.SimpleListFilter):
    """A free-text filter box: no choices to compute, so no query at all.

    Subclasses set title, parameter_name and filter_queryset(queryset, value).
    """

    template = "admin/members/input_filter.html"

    def lookups(self, request, model_admin):
        # SimpleListFilter renders only when it has a choice; the box is that one choice.
        return [("", "")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            # Every other active parameter travels as a hidden input, so typing keeps the other filters.
            "hidden_params": [
                (key, value)
                for key, values in changelist.filter_params.items()
                if key != self.parameter_name
                for value in values
            ],
        }

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if value:
            return self.filter_queryset(queryset, value)
        return queryset

    def filter_queryset(self, queryset, value: str):
        raise NotImplementedError


class ChannelFilter(InputFilter):
    """Order channel is free text with no index; listing its distinct values would scan 5M orders."""

    title = "channel"
    parameter_name = "channel"

    def filter_queryset(self, queryset, value):
        return queryset.filter(channel=value)


class ProductSkuFilter(InputFilter):
    """Reviews of one product, by SKU (the unique index finds the product, then its reviews)."""

    title = "product SKU"
    parameter_name = "product_sku"

    def filter_queryset(self, queryset, value):
        return queryset.filter(product__sku=value)


class RelatedIdFilter(admin.SimpleListFilter):
    """Shows which related object an ?<fk>__id__exact= link filters by, with "All" to clear it.

    Renders only while active (one query by primary key); hidden and free otherwise. Subclasses
    set title, parameter_name ("<fk>__id__exact") and related_model.
    """

    related_model = None

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        related = self.related_model.objects.filter(pk=int(value)).first()
        return [(value, str(related) if related else f"#{value} (not found)")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(f"{self.parameter_name} must be a number")
        fk = self.parameter_name.removesuffix("__id__exact")
        return queryset.filter(**{f"{fk}_id": int(value)})


def related_id_filter(*, fk: str, model, title: str) -> type[RelatedIdFilter]:
    """A RelatedIdFilter for foreign key `fk` pointing to `model`."""
    return type(
        f"{fk.title()}IdFilter",
        (RelatedIdFilter,),
        {"title": title, "parameter_name": f"{fk}__id__exact", "related_model": model},
    )
