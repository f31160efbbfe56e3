import pytest

from members.models import Member, Order, OrderItem, Review
from tests.factories import MemberFactory, ProductFactory

pytestmark = pytest.mark.django_db

MEMBER = {"email": "ada@example.com", "name": "Ada", "joined_at": "2024-03-01T09:30:00Z", "country": "UK",
          "birth_year": 1985, "gender": "f", "marketing_consent": True}


def test_put_creates_then_replay_changes_nothing(full_client):
    first = full_client.put("/api/v1/members/C-1/", MEMBER, format="json")
    assert first.status_code == 201
    assert first.json()["tier"] == "basic"
    before = Member.objects.get(external_id="C-1").updated_at
    replay = full_client.put("/api/v1/members/C-1/", MEMBER, format="json")
    assert replay.status_code == 200
    assert Member.objects.get(external_id="C-1").updated_at == before
    changed = full_client.put("/api/v1/members/C-1/", {**MEMBER, "city": "Leeds"}, format="json")
    assert changed.status_code == 200 and changed.json()["city"] == "Leeds"
    assert Member.objects.get(external_id="C-1").updated_at > before


def test_put_cannot_set_the_tier(full_client):
    response = full_client.put("/api/v1/members/C-1/", {**MEMBER, "tier": "gold"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"tier": ["This field is read-only."]}


def test_bulk_members_rejects_one_bad_record_and_keeps_the_others(full_client):
    records = [{**MEMBER, "external_id": "B-1"}, {**MEMBER, "external_id": "B-2", "birth_year": "old"},
               {**MEMBER, "external_id": "B-3"}, {**MEMBER, "external_id": "B-1"}]
    body = full_client.post("/api/v1/members/bulk/", {"records": records}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created", "rejected"]
    assert "birth_year" in body["results"][1]["errors"]
    assert body["results"][3]["errors"] == {"external_id": ["Appears more than once in this batch."]}
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    assert set(Member.objects.values_list("external_id", flat=True)) == {"B-1", "B-3"}


def test_bulk_replay_is_unchanged(full_client):
    records = [{**MEMBER, "external_id": f"B-{n}"} for n in range(3)]
    full_client.post("/api/v1/members/bulk/", {"records": records}, format="json")
    stamps = dict(Member.objects.values_list("external_id", "updated_at"))
    body = full_client.post("/api/v1/members/bulk/", {"records": records}, format="json").json()
    assert body["counts"]["unchanged"] == 3
    assert dict(Member.objects.values_list("external_id", "updated_at")) == stamps


def _order(external_id, member, sku, **extra):
    return {"external_id": external_id, "member": member, "placed_at": "2024-05-10T14:03:00Z", "status": "paid",
            "currency": "GBP", "total": "99.80",
            "items": [{"line_number": 1, "sku": sku, "quantity": 2, "unit_price": "49.90"}], **extra}


def test_bulk_order_with_unknown_sku_leaves_no_order_behind(full_client):
    member, product = MemberFactory(), ProductFactory()
    records = [_order("O-1", member.external_id, product.sku), _order("O-2", member.external_id, "NOPE"),
               _order("O-3", "nobody", product.sku)]
    body = full_client.post("/api/v1/orders/bulk/", {"records": records}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "rejected"]
    assert body["results"][1]["errors"] == {"items[0].sku": ["Unknown product sku 'NOPE'."]}
    assert body["results"][2]["errors"] == {"member": ["Unknown member 'nobody'."]}
    assert list(Order.objects.values_list("external_id", flat=True)) == ["O-1"]
    assert OrderItem.objects.count() == 1


def test_order_replay_is_unchanged_and_new_items_replace_old(full_client):
    member, product, other = MemberFactory(), ProductFactory(), ProductFactory()
    record = _order("O-1", member.external_id, product.sku)
    assert full_client.put("/api/v1/orders/O-1/", record, format="json").status_code == 201
    stamp = Order.objects.get().updated_at
    assert full_client.put("/api/v1/orders/O-1/", record, format="json").status_code == 200
    assert Order.objects.get().updated_at == stamp
    record["items"] = [{"line_number": 1, "sku": other.sku, "quantity": 1, "unit_price": "10.00"}]
    response = full_client.put("/api/v1/orders/O-1/", record, format="json")
    assert response.json()["items"] == [{"line_number": 1, "sku": other.sku, "quantity": 1, "unit_price": "10.00"}]
    assert Order.objects.get().updated_at > stamp


def test_review_order_must_belong_to_the_member(full_client):
    owner, stranger, product = MemberFactory(), MemberFactory(), ProductFactory()
    full_client.put("/api/v1/orders/O-1/", _order("O-1", owner.external_id, product.sku), format="json")
    review = {"member": stranger.external_id, "product": product.sku, "order": "O-1", "rating": 5,
              "created_at": "2024-05-20T18:00:00Z"}
    response = full_client.put("/api/v1/reviews/R-1/", review, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"order": ["Order 'O-1' belongs to another member."]}
    response = full_client.put("/api/v1/reviews/R-1/", {**review, "member": owner.external_id}, format="json")
    assert response.status_code == 201
    assert Review.objects.get().order.external_id == "O-1"


def test_products_upsert_by_sku(full_client):
    product = {"title": "Shirt", "price": "10.00", "currency": "GBP"}
    assert full_client.put("/api/v1/products/S-1/", product, format="json").status_code == 201
    assert full_client.put("/api/v1/products/S-1/", product, format="json").status_code == 200
    assert full_client.get("/api/v1/products/S-1/").json()["price"] == "10.00"
