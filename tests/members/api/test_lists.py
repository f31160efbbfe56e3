import pytest

from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ReviewFactory, TierChangeFactory

pytestmark = pytest.mark.django_db


def _walk(client, url):
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        seen += [row["external_id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


def test_cursor_pagination_walks_every_row_once(full_client):
    ids = {m.external_id for m in MemberFactory.create_batch(23)}
    seen, pages = _walk(full_client, "/api/v1/members/?page_size=5")
    assert pages == 5 and len(seen) == 23 and set(seen) == ids


def test_page_size_is_capped_at_500(full_client):
    MemberFactory.create_batch(2)
    assert full_client.get("/api/v1/members/?page_size=100000").status_code == 200


def test_filters_narrow_the_list(full_client):
    MemberFactory(country="France")
    MemberFactory(country="Spain")
    rows = full_client.get("/api/v1/members/?country=France").json()["results"]
    assert [r["country"] for r in rows] == ["France"]
    assert full_client.get("/api/v1/members/?updated_since=not-a-date").status_code == 400


def _seed(n):
    for _ in range(n):
        order = OrderFactory()
        OrderItemFactory.create_batch(2, order=order)
        ReviewFactory(member=order.member, order=order)
        TierChangeFactory(member=order.member)


# Each list costs only its own queries: the first call warms the key row into the cache (and the
# last_used_at write happens then too), so the measured call reads no key.
@pytest.mark.parametrize(("url", "queries"), [
    ("/api/v1/members/", 1),          # members+tier
    ("/api/v1/orders/", 2),           # orders+member, items+product
    ("/api/v1/reviews/", 1),          # reviews+member+product+order
    ("/api/v1/tier-changes/", 1),     # changes+member+tiers
    ("/api/v1/products/", 1),         # products
])
@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count_does_not_grow_with_page_size(full_client, django_assert_num_queries, url, queries, rows):
    _seed(rows)
    full_client.get(url)
    with django_assert_num_queries(queries):
        body = full_client.get(f"{url}?page_size={rows}").json()
    assert len(body["results"]) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_bulk_member_query_count_does_not_grow_with_records(full_client, django_assert_num_queries, rows):
    records = [{"external_id": f"Q-{n}", "joined_at": "2024-01-01T00:00:00Z"} for n in range(rows)]
    full_client.get("/api/v1/tiers/")
    # SAVEPOINT, lock existing, entry tier, INSERT, RELEASE (the key row is cached by the first call)
    with django_assert_num_queries(5):
        body = full_client.post("/api/v1/members/bulk/", {"records": records}, format="json").json()
    assert body["counts"]["created"] == rows
