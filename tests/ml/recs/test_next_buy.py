"""Next-buy recommendations (ml.recs.next_buy / ranker / candidates) on small synthetic shops."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ml.recs.candidates import purchase_index_build, top_n_mask
from ml.recs.data import Purchase
from ml.recs.metrics import recall_at_k_capped
from ml.recs.next_buy import baseline_recommend, next_buy_recommend, next_buy_sets
from tests.ml.recs.synthetic import CUTOFF, fashion_purchases, grocery_purchases

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def _p(member, item, order, days):
    return Purchase(member, item, order, T0 + timedelta(days=days))


def test_the_index_counts_orders_recency_and_cycle_per_member_and_item():
    rows = [_p("a", "tea", "1", 0), _p("a", "tea", "1", 0), _p("a", "pot", "1", 0), _p("a", "tea", "2", 30),
            _p("b", "pot", "3", 50), _p("a", "tea", "9", 70)]  # the last one is after the cutoff
    index = purchase_index_build(rows, cutoff=T0 + timedelta(days=60))
    a, tea, pot = index.member_index["a"], index.item_index["tea"], index.item_index["pot"]
    assert index.pair_count[a, tea] == 2  # two orders (a repeated line in one order counts once)
    assert index.pair_last_age[a, tea] - 1 == pytest.approx(30)  # stored as age + 1
    assert index.pair_first_age[a, tea] - 1 == pytest.approx(60)
    assert index.member_orders[a] == 2 and index.item_buyers[pot] == 2
    assert index.item_repeat_rate[tea] == 1.0 and index.item_repeat_rate[pot] == 0.0
    assert index.copurchase[tea, pot] == pytest.approx(1 / np.sqrt(2 * 2))  # one shared order of 2 and 2
    assert index.copurchase[tea, tea] == 0


def test_top_n_mask_keeps_the_best_positive_valid_cells_per_row():
    scores = np.array([[0.1, 0.9, 0.5, 0.0], [0.3, 0.0, 0.0, 0.0]])
    valid = np.array([[True, True, False, True]])
    mask = top_n_mask(scores, 2, valid)
    assert mask.tolist() == [[True, True, False, False], [True, False, False, False]]


def test_buy_again_baseline_counts_orders_and_tops_up_with_best_sellers():
    rows = [_p("a", "tea", "1", 0), _p("a", "tea", "2", 5), _p("a", "pot", "2", 5), _p("b", "mug", "3", 1),
            _p("c", "mug", "4", 2), _p("c", "cup", "4", 2)]
    recs = baseline_recommend(rows, cutoff=T0 + timedelta(days=10), members=["a", "new"], k=3)
    assert recs["buy_again"]["a"] == ["tea", "pot", "mug"]  # tea (2 orders), pot, then the best seller
    assert recs["buy_again"]["new"] == recs["popularity"]["new"] == ["mug", "cup", "pot"]


def test_next_buy_sets_and_capped_recall_follow_the_protocol():
    rows = [_p("a", "tea", "1", 0), _p("a", "pot", "2", 10), _p("a", "mug", "3", 95), _p("b", "tea", "4", 5)]
    truth = next_buy_sets(rows, cutoff=T0 + timedelta(days=5), horizon_days=90)
    assert truth == {"a": {"pot"}, "b": {"tea"}}  # day 95 is past the horizon, day 0 before the cutoff
    assert recall_at_k_capped(["x", "pot"], {"pot"}, 10) == 1.0
    many = {f"i{n}" for n in range(20)}
    assert recall_at_k_capped([f"i{n}" for n in range(10)], many, 10) == 1.0  # divides by min(10, 20)


def test_on_a_grocery_shop_the_learned_ranker_puts_each_members_staples_first_with_their_cycle():
    rows = grocery_purchases()
    result = next_buy_recommend(rows, cutoff=CUTOFF, k=10)
    assert result.ranker == "learned" and result.train_positives >= 30
    truth = next_buy_sets(rows, cutoff=CUTOFF, horizon_days=60)
    recall = np.mean([recall_at_k_capped([r.item for r in result.recommendations[m]], s, 10)
                      for m, s in truth.items() if m in result.recommendations])
    assert recall > 0.8
    first = result.recommendations["g0"][0]
    assert first.source == "again" and first.cycle_days is not None and 10 < first.cycle_days < 45


def test_on_a_fashion_shop_lists_are_not_what_members_already_have():
    rows = fashion_purchases()
    result = next_buy_recommend(rows, cutoff=CUTOFF, k=10)
    assert result.ranker == "learned"
    index = purchase_index_build(rows, cutoff=CUTOFF)
    owned_share = np.mean([
        np.mean([index.pair_count[index.member_index[m], index.item_index[r.item]] > 0 for r in recs[:5]])
        for m, recs in result.recommendations.items()
    ])
    assert owned_share < 0.2  # a buy-again list would be 100 % owned
    baselines = baseline_recommend(rows, cutoff=CUTOFF, members=sorted(result.recommendations), k=10)
    truth = next_buy_sets(rows, cutoff=CUTOFF, horizon_days=60)
    score = lambda recs: np.mean([recall_at_k_capped(recs.get(m, []), s, 10) for m, s in truth.items()])
    ours = score({m: [r.item for r in rs] for m, rs in result.recommendations.items()})
    assert ours > score(baselines["buy_again"]) + 0.1
    sources = {r.source for recs in result.recommendations.values() for r in recs}
    assert "co" in sources
    co = next(r for recs in result.recommendations.values() for r in recs if r.source == "co")
    assert co.because is not None and co.because.split("-")[0] == co.item.split("-")[0]  # same look


def test_purchases_after_the_cutoff_change_nothing():
    rows = grocery_purchases(members=60)
    later = [Purchase(p.member, "brand-new-item" if i % 2 else p.item, p.order + "-late", p.at + timedelta(days=90))
             for i, p in enumerate(rows) if p.at >= CUTOFF - timedelta(days=90)]
    before = next_buy_recommend(rows, cutoff=CUTOFF, k=10)
    after = next_buy_recommend(rows + later, cutoff=CUTOFF, k=10)
    assert any(p.at >= CUTOFF for p in rows + later)
    assert after.recommendations == before.recommendations


def test_a_tiny_shop_falls_back_to_the_blend_and_offers_nothing_owned_when_nobody_repeats():
    rows = [_p("a", "tea", "1", 0), _p("a", "pot", "1", 0), _p("b", "tea", "2", 3), _p("b", "cup", "2", 3),
            _p("c", "mug", "3", 4)]
    result = next_buy_recommend(rows, cutoff=T0 + timedelta(days=10), members=["a", "new"], k=3)
    assert result.ranker == "blend"
    assert {r.item for r in result.recommendations["a"]} <= {"cup", "mug"}
    assert [r.source for r in result.recommendations["new"]] == ["pop"] * 3


def test_the_text_source_reaches_an_item_nobody_bought_yet():
    rows = grocery_purchases(members=40)
    vectors = {f"item{i}": np.eye(61, dtype=np.float32)[i] for i in range(60)}
    vectors["new-tea"] = vectors["item0"] * 0.9 + vectors["item1"] * 0.1
    catalogue = list(vectors)
    result = next_buy_recommend(rows, cutoff=CUTOFF, catalogue=catalogue, item_vectors=vectors, k=60)
    texts = [r for recs in result.recommendations.values() for r in recs if r.item == "new-tea"]
    # Explained by whichever of its two neighbours the member bought (the member's strongest link).
    assert texts and all(r.source == "text" and r.because in {"item0", "item1"} for r in texts)
