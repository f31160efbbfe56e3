import numpy as np

from ml.recs.data import CatalogItem, MemberHistory
from ml.recs.rerank import RerankRules
from ml.recs.retrieval import Recommender, likely_buyers, top_k


def test_top_k_orders_keys_by_dot_product_across_batches():
    keys = np.eye(4, dtype=np.float32)
    queries = np.array([[0.1, 0.9, 0.5, 0.0], [0.7, 0.0, 0.2, 0.3], [0.0, 0.0, 0.0, 1.0]], dtype=np.float32)
    indices, scores = top_k(queries, keys, 3, batch_size=2)
    assert indices.tolist() == [[1, 2, 0], [0, 3, 2], [3, 0, 1]] or indices[2, 0] == 3
    assert indices[:2].tolist() == [[1, 2, 0], [0, 3, 2]]
    assert np.allclose(scores[0], [0.9, 0.5, 0.1])


def test_top_k_adds_the_bias_and_skips_excluded_keys():
    keys = np.eye(3, dtype=np.float32)
    queries = np.array([[0.5, 0.4, 0.0]], dtype=np.float32)
    indices, _ = top_k(queries, keys, 2, bias=np.array([0.0, 0.2, 0.0], dtype=np.float32))
    assert indices.tolist() == [[1, 0]]
    indices, scores = top_k(queries, keys, 3, exclude=[[0]])
    assert indices[0, :2].tolist() == [1, 2] and not np.isfinite(scores[0, 2])


ITEMS = [
    CatalogItem("tea", "green tea leaves", category="tea"),
    CatalogItem("tea2", "jasmine green tea", category="tea"),
    CatalogItem("pot", "green tea pot", category="ware"),
    CatalogItem("sock", "wool sock", category="clothes"),
    CatalogItem("old", "green tea tin", category="ware", active=False),
]


def test_recommender_retrieves_similar_items_and_explains_them(bag_encoder):
    recommender = Recommender(bag_encoder, ITEMS, rules=RerankRules(k=3))
    result = recommender.recommend({"ann": MemberHistory(bought=["tea"])})["ann"]
    keys = [r.item for r in result]
    assert "tea" not in keys and "old" not in keys  # already bought (not repeatable), inactive
    assert keys[:2] == ["tea2", "pot"] or keys[:2] == ["pot", "tea2"]
    assert keys[2] == "sock"
    assert all(r.because == "tea" and r.because_kind == "bought" for r in result[:2])


def test_a_positive_review_explains_a_recommendation_as_liked(bag_encoder):
    recommender = Recommender(bag_encoder, ITEMS, rules=RerankRules(k=1))
    [rec] = recommender.recommend({"bob": MemberHistory(bought=["sock"], liked=["tea2"])})["bob"]
    assert rec.item in {"tea", "pot"} and rec.because == "tea2" and rec.because_kind == "liked"


def test_members_without_history_get_the_best_sellers(bag_encoder):
    recommender = Recommender(bag_encoder, ITEMS, popularity={"sock": 9, "pot": 5, "old": 20},
                              rules=RerankRules(k=2))
    result = recommender.recommend({"new": MemberHistory()})["new"]
    assert [(r.item, r.because_kind) for r in result] == [("sock", "popular"), ("pot", "popular")]


def test_likely_buyers_are_the_closest_members_who_have_not_bought():
    members = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    assert [i for i, _ in likely_buyers(members, np.array([1, 0], dtype=np.float32), 2)] == [0, 1]
    assert [i for i, _ in likely_buyers(members, np.array([1, 0], dtype=np.float32), 2, exclude=[0])] == [1, 2]
