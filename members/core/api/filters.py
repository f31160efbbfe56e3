"""Query-string filters for the list endpoints (django-filter)."""

import django_filters as filters
from django import forms
from django_filters.fields import IsoDateTimeField

from members.models import (
    Member,
    MemberStatus,
    Order,
    OrderStatus,
    Product,
    Review,
    TierChange,
    TierChangeStatus,
)


class _BoundedIsoDateTimeField(IsoDateTimeField):
    """Years 1900-2100 with a real UTC offset: Postgres rejects the rest with a server error."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError("Must be between 1900 and 2100.") from None
        if parsed is not None:
            offset = parsed.utcoffset()
            if offset is not None and abs(offset.total_seconds()) > 14 * 3600:
                raise forms.ValidationError("The UTC offset must be within ±14:00.")
            if not 1900 <= parsed.year <= 2100:
                raise forms.ValidationError("Must be between 1900 and 2100.")
        return parsed


class TimeFilter(filters.IsoDateTimeFilter):
    field_class = _BoundedIsoDateTimeField


class UpdatedSinceFilterSet(filters.FilterSet):
    updated_since = TimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Rows updated at or after this ISO 8601 time."
    )


class MemberFilterSet(UpdatedSinceFilterSet):
    tier = filters.CharFilter(field_name="tier__code", help_text="Tier code, e.g. gold.")
    status = filters.ChoiceFilter(choices=MemberStatus.choices)
    country = filters.CharFilter(field_name="country")
    joined_after = TimeFilter(field_name="joined_at", lookup_expr="gte")
    joined_before = TimeFilter(field_name="joined_at", lookup_expr="lt")

    class Meta:
        model = Member
        fields = ()


class ProductFilterSet(UpdatedSinceFilterSet):
    category = filters.CharFilter(field_name="category")
    active = filters.BooleanFilter(field_name="active")

    class Meta:
        model = Product
        fields = ()


class OrderFilterSet(UpdatedSinceFilterSet):
    member = filters.CharFilter(field_name="member__external_id", help_text="Member external id.")
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    placed_after = TimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = TimeFilter(field_name="placed_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ()


class ReviewFilterSet(UpdatedSinceFilterSet):
    member = filters.CharFilter(field_name="member__external_id", help_text="Member external id.")
    product = filters.CharFilter(field_name="product__sku", help_text="Product sku.")
    rating = filters.ChoiceFilter(field_name="rating", choices=[(n, str(n)) for n in range(1, 6)])
    created_after = TimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = TimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Review
        fields = ()


class TierChangeFilterSet(filters.FilterSet):
    member = filters.CharFilter(field_name="member__external_id", help_text="Member external id.")
    status = filters.ChoiceFilter(choices=TierChangeStatus.choices)
    since = TimeFilter(field_name="created_at", lookup_expr="gte",
                                      help_text="Changes created at or after this ISO 8601 time.")

    class Meta:
        model = TierChange
        fields = ()
