import numpy as np
import pytest

from members.models import MemberEmbedding, ProductEmbedding, Recommendation
from members.services import recommendations as service
from members.services.recommendations import recommendations_generate
from tests.recs.conftest import BagOfWordsEncoder
from tests.recs.shop import shop_create

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
    assert not ann & {"TEA-GREEN", "POT", "MUG", "OLD"}  # bought, bought, reviewed, inactive
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


def test_reasons_name_what_the_member_bought_or_reviewed(monkeypatch):
    # Bag-of-words vectors: an item is most similar to the history item sharing most words; no
    # popularity prior, so similarity alone orders the list.
    shop_create()
    monkeypatch.setattr(service, "_encoder", lambda location: BagOfWordsEncoder())
    recommendations_generate(model_version="bow", popularity_weight=0.0, text_weight=0.5)
    ann = list(Recommendation.objects.filter(member__external_id="ANN").select_related("product").order_by("rank"))
    by_sku = {rec.product.sku: rec.reason for rec in ann}
    assert ann[0].product.sku == "TEA-JASMINE"
    assert by_sku["TEA-JASMINE"] == "Because you bought Green tea leaves"
    assert by_sku["PLATE"] == "Because you reviewed Stoneware tea mug positively"
    assert [r.score for r in ann] == sorted((r.score for r in ann), reverse=True)
    cara = Recommendation.objects.filter(member__external_id="CARA")
    assert cara.count() > 0 and set(cara.values_list("reason", flat=True)) == {"Popular in the shop"}


def test_the_popularity_prior_lifts_best_sellers(monkeypatch):
    shop_create()
    monkeypatch.setattr(service, "_encoder", lambda location: BagOfWordsEncoder())
    recommendations_generate(model_version="bow", popularity_weight=0.0)
    plain = list(Recommendation.objects.filter(member__external_id="ANN").values_list("product__sku", flat=True))
    recommendations_generate(model_version="bow", popularity_weight=1.0)
    lifted = list(Recommendation.objects.filter(member__external_id="ANN").values_list("product__sku", flat=True))
    # SOCK and HAT are the only best sellers Ann may still be offered (one order each).
    assert set(lifted[:2]) == {"SOCK", "HAT"} and plain.index("SOCK") > 1


def test_stored_vectors_round_trip_as_float32(tiny_base_model):
    shop = shop_create()
    recommendations_generate(base_model=str(tiny_base_model), model_version="v1")
    vector = np.frombuffer(bytes(MemberEmbedding.objects.get(member=shop.ann).vector), dtype="<f4")
    assert vector.shape == (32,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
