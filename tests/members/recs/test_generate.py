from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from members.models import MemberEmbedding, ProductEmbedding, Recommendation
from members.recs.services import recommendations as service
from members.recs.services.recommendations import recommendations_compute, recommendations_generate
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory
from tests.members.recs.shop import shop_create
from tests.ml.recs.conftest import BagOfWordsEncoder

pytestmark = pytest.mark.django_db


def _rows():
    return sorted(Recommendation.objects.values_list("member__external_id", "rank", "product__sku", "reason", "model_version"))


def test_generation_stores_ranked_rows_per_active_member_and_is_idempotent(tiny_base_model):
    shop = shop_create()
    report = recommendations_generate(base_model=str(tiny_base_model), model_version="test-v1", batch_size=2)
    first = _rows()
    assert report.members == 3 and report.rows == len(first) > 0
    assert {member for member, *_ in first} == {"ANN", "BOB", "CARA"}  # the closed account gets nothing
    for member in ("ANN", "BOB", "CARA"):
        ranks = [rank for m, rank, *_ in first if m == member]
        assert ranks == list(range(1, len(ranks) + 1))
    ann = {sku for m, _, sku, *_ in first if m == "ANN"}
    # Nobody in this shop bought anything twice, so what members have is not offered again; never inactive.
    assert not ann & {"TEA-GREEN", "POT", "OLD"}
    assert all(version == "test-v1" for *_, version in first)
    assert MemberEmbedding.objects.count() == 3 and ProductEmbedding.objects.count() == len(shop.products)

    recommendations_generate(base_model=str(tiny_base_model), model_version="test-v1", batch_size=2)
    assert _rows() == first
    assert MemberEmbedding.objects.count() == 3


def test_generation_can_refresh_some_members_only(tiny_base_model):
    shop = shop_create()
    recommendations_generate(base_model=str(tiny_base_model), model_version="v1")
    recommendations_generate(member_ids=[shop.bob.pk], base_model=str(tiny_base_model), model_version="v2")
    versions = dict(Recommendation.objects.values_list("member__external_id", "model_version").distinct())
    assert versions == {"ANN": "v1", "BOB": "v2", "CARA": "v1"}


def _orders(member, product, *days_ago, with_product=None):
    now = timezone.now()
    for days in days_ago:
        order = OrderFactory(member=member, placed_at=now - timedelta(days=days))
        OrderItemFactory(order=order, product=product, line_number=1)
        if with_product is not None:
            OrderItemFactory(order=order, product=with_product, line_number=2)


def test_reasons_come_from_the_source_that_proposed_each_item(monkeypatch):
    shop = shop_create()
    dan = MemberFactory(external_id="DAN")
    _orders(shop.ann, shop.products["TEA-BLACK"], 95, 65, 35, 5)  # every 30 days
    _orders(dan, shop.products["POT"], 20, with_product=shop.products["MUG"])  # Ann has the pot
    monkeypatch.setattr(service, "_encoder", lambda location: BagOfWordsEncoder())
    recommendations_generate(model_version="bow")
    ann = dict(Recommendation.objects.filter(member=shop.ann).values_list("product__sku", "reason"))
    assert ann["TEA-BLACK"] == "You buy this every ~30 days"
    assert ann["MUG"] == "Often bought with Green tea pot"
    # Cara has no history: best sellers first, then (this shop sold fewer than 10 products) the catalogue.
    cara = list(Recommendation.objects.filter(member=shop.cara).order_by("rank").values_list("reason", flat=True))
    sold = cara.count("Popular in the shop")
    assert sold >= 4 and cara == ["Popular in the shop"] * sold + ["From the shop's catalogue"] * (len(cara) - sold)


def test_orders_after_the_as_of_date_change_no_recommendation(monkeypatch):
    shop = shop_create()
    monkeypatch.setattr(service, "_encoder", lambda location: BagOfWordsEncoder())
    as_of = timezone.localdate() - timedelta(days=3)
    recommendations_generate(model_version="bow", as_of=as_of)
    before = _rows()
    # Later orders: Cara's first (she has no history as of the date), Bob buys a hat again and again.
    _orders(shop.cara, shop.products["SCARF"], 2, 1, with_product=shop.products["HAT"])
    _orders(shop.bob, shop.products["HAT"], 2, 1, 0)
    recommendations_generate(model_version="bow", as_of=as_of)
    assert _rows() == before
    recommendations_generate(model_version="bow")  # as of today the new orders count
    assert _rows() != before


def test_compute_returns_what_generate_stores_and_writes_nothing(monkeypatch):
    shop = shop_create()
    monkeypatch.setattr(service, "_encoder", lambda location: BagOfWordsEncoder())
    computed = recommendations_compute(as_of=timezone.localdate())
    assert Recommendation.objects.count() == 0 and MemberEmbedding.objects.count() == 0
    recommendations_generate(model_version="bow")
    stored = {}
    for member_id, product_id in Recommendation.objects.order_by("member_id", "rank").values_list("member_id", "product_id"):
        stored.setdefault(member_id, []).append(product_id)
    assert {m: p for m, p in computed.items() if p} == stored and shop.ann.pk in stored


def test_stored_vectors_round_trip_as_float32(tiny_base_model):
    shop = shop_create()
    recommendations_generate(base_model=str(tiny_base_model), model_version="v1")
    vector = np.frombuffer(bytes(MemberEmbedding.objects.get(member=shop.ann).vector), dtype="<f4")
    assert vector.shape == (32,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
