from datetime import timedelta

import pytest
from django.utils import timezone

from members.core.admin.filters import distinct_values_by_index_skip
from members.models import Member
from tests.factories import MemberFactory, OrderFactory, ReviewFactory, tier

pytestmark = pytest.mark.django_db


def _listed(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def _member_ids(client, params):
    return {m.external_id for m in _listed(client, "/admin/members/member/", params).context["cl"].result_list}


def test_members_filter_by_tier(superuser_client):
    MemberFactory(external_id="B", tier=tier("basic"))
    MemberFactory(external_id="G", tier=tier("gold"))
    assert _member_ids(superuser_client, {"tier__id__exact": tier("gold").pk}) == {"G"}


def test_members_filter_by_status(superuser_client):
    MemberFactory(external_id="A", status="active")
    MemberFactory(external_id="C", status="closed")
    assert _member_ids(superuser_client, {"status__exact": "closed"}) == {"C"}


def test_members_filter_by_country(superuser_client):
    MemberFactory(external_id="F", country="France")
    MemberFactory(external_id="S", country="Spain")
    assert _member_ids(superuser_client, {"country": "Spain"}) == {"S"}


def test_country_filter_offers_each_country_once_in_order_and_skips_blanks(superuser_client):
    for country in ["Spain", "France", "Spain", "", "Belgium"]:
        MemberFactory(country=country)
    response = _listed(superuser_client, "/admin/members/member/", {})
    country_spec = next(spec for spec in response.context["cl"].filter_specs if spec.title == "country")
    assert [value for value, _ in country_spec.lookup_choices] == ["Belgium", "France", "Spain"]


def test_distinct_values_by_index_skip_stops_at_the_limit():
    for country in ["A", "B", "C", "D"]:
        MemberFactory(country=country)
    assert distinct_values_by_index_skip(model=Member, column="country", limit=2) == ["A", "B"]


def test_members_filter_by_joined_date(superuser_client):
    MemberFactory(external_id="NEW", joined_at=timezone.now() - timedelta(days=2))
    MemberFactory(external_id="OLD", joined_at=timezone.now() - timedelta(days=40))
    page = _listed(superuser_client, "/admin/members/member/", {})
    joined_spec = next(spec for spec in page.context["cl"].filter_specs if getattr(spec, "field_path", None) == "joined_at")
    past_week = next(choice for choice in joined_spec.choices(page.context["cl"]) if choice["display"] == "Past 7 days")
    response = superuser_client.get("/admin/members/member/" + past_week["query_string"])
    assert {m.external_id for m in response.context["cl"].result_list} == {"NEW"}


def test_orders_filter_by_channel_typed_in_the_box(superuser_client):
    OrderFactory(external_id="W", channel="web")
    OrderFactory(external_id="A", channel="app")
    response = _listed(superuser_client, "/admin/members/order/", {"channel": "app"})
    assert {o.external_id for o in response.context["cl"].result_list} == {"A"}
    assert b'name="channel" value="app"' in response.content


def test_orders_filter_by_status_and_member_link(superuser_client):
    member = MemberFactory()
    OrderFactory(external_id="MINE", member=member, status="paid")
    OrderFactory(external_id="MINE-RETURNED", member=member, status="returned")
    OrderFactory(external_id="OTHER", status="paid")
    response = _listed(
        superuser_client, "/admin/members/order/", {"member__id__exact": member.pk, "status__exact": "paid"}
    )
    assert {o.external_id for o in response.context["cl"].result_list} == {"MINE"}
    assert str(member).encode() in response.content  # the active member filter names who it is


def test_reviews_filter_by_rating_product_and_sku(superuser_client):
    five = ReviewFactory(external_id="R5", rating=5)
    ReviewFactory(external_id="R2", rating=2)
    by_rating = _listed(superuser_client, "/admin/members/review/", {"rating": "5"})
    assert {r.external_id for r in by_rating.context["cl"].result_list} == {"R5"}
    by_product = _listed(superuser_client, "/admin/members/review/", {"product__id__exact": five.product_id})
    assert {r.external_id for r in by_product.context["cl"].result_list} == {"R5"}
    by_sku = _listed(superuser_client, "/admin/members/review/", {"product_sku": five.product.sku})
    assert {r.external_id for r in by_sku.context["cl"].result_list} == {"R5"}


def test_reviews_rating_outside_one_to_five_is_an_invalid_filter(superuser_client):
    response = superuser_client.get("/admin/members/review/", {"rating": "9"})
    assert response.status_code == 302  # Django's "invalid lookup" redirect (?e=1)
    assert "e=1" in response.url
