"""Every changelist costs a fixed number of queries, whatever the number of rows listed.

The tables here are small, so the paginator's pg_class estimate is below the estimate threshold
and an exact COUNT follows it; at scale the COUNT disappears (see test_paginator.py).
"""

import pytest

from tests.factories import (
    MemberFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ReviewFactory,
    TierChangeFactory,
)

pytestmark = pytest.mark.django_db

SESSION_AND_USER = 2  # django_session, auth_user

# Each changelist opened unfiltered: how to create `rows` of it (given the superuser) and the queries
# it costs on top of SESSION_AND_USER, listed in the comment above it.
UNFILTERED_CHANGELISTS = [
    # tiers (tier filter), countries (loose index scan), reltuples estimate, COUNT, the page of members
    # joined to their tier.
    pytest.param("member", lambda rows, user: MemberFactory.create_batch(rows), 5, id="member"),
    # estimate, COUNT, the page of orders joined to their member.
    pytest.param("order", lambda rows, user: OrderFactory.create_batch(rows), 3, id="order"),
    # estimate, COUNT, the page, DISTINCT category (indexed, catalogue-sized).
    pytest.param("product", lambda rows, user: ProductFactory.create_batch(rows), 4, id="product"),
    # estimate, COUNT, the page of reviews joined to product and member.
    pytest.param("review", lambda rows, user: ReviewFactory.create_batch(rows, order=None), 3, id="review"),
    # tiers (to_tier filter), estimate, COUNT, the page joined to member, tiers and decider.
    pytest.param(
        "tierchange",
        lambda rows, user: TierChangeFactory.create_batch(rows, decided_by=user),
        4,
        id="tierchange",
    ),
]


def _open(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize(("model", "create_rows", "queries"), UNFILTERED_CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_rows(
    superuser_client, superuser, django_assert_num_queries, model, create_rows, queries, rows
):
    create_rows(rows, superuser)
    with django_assert_num_queries(SESSION_AND_USER + queries):
        response = _open(superuser_client, f"/admin/members/{model}/")
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_filtered_member_changelist_counts_exactly_without_the_estimate(
    superuser_client, django_assert_num_queries, rows
):
    MemberFactory.create_batch(rows, country="France")
    # session, user, tiers, countries, COUNT (filtered: exact, no estimate), the page.
    with django_assert_num_queries(SESSION_AND_USER + 4):
        response = _open(superuser_client, "/admin/members/member/?country=France&status__exact=active")
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_order_changelist_filtered_by_member_link_query_count_is_fixed(
    superuser_client, django_assert_num_queries, rows
):
    member = MemberFactory()
    OrderFactory.create_batch(rows, member=member)
    # session, user, the member named by the link, COUNT, the page.
    with django_assert_num_queries(SESSION_AND_USER + 3):
        response = _open(superuser_client, f"/admin/members/order/?member__id__exact={member.pk}")
    assert response.context["cl"].result_count == rows


def test_tier_changelist_query_count(superuser_client, django_assert_num_queries):
    # session, user, estimate, COUNT, the four tiers of the shipped ladder.
    with django_assert_num_queries(SESSION_AND_USER + 3):
        response = _open(superuser_client, "/admin/members/tier/")
    assert len(response.context["cl"].result_list) == 4


@pytest.mark.parametrize("items", [1, 10])
def test_order_change_page_query_count_does_not_grow_with_items(
    superuser_client, django_assert_num_queries, items
):
    order = OrderFactory()
    OrderItemFactory.create_batch(items, order=order)
    # session, user, the order, its member (autocomplete widget label), the items joined to their product.
    with django_assert_num_queries(SESSION_AND_USER + 3):
        _open(superuser_client, f"/admin/members/order/{order.pk}/change/")
