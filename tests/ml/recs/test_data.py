from datetime import UTC, datetime

from ml.recs.data import (
    CatalogItem,
    Opinion,
    Purchase,
    history_text,
    item_text,
    member_histories,
    next_item_pairs,
    next_item_text_pairs,
    repeatable_items,
    split_last_order,
)


def _at(day: int) -> datetime:
    return datetime(2025, 1, day, tzinfo=UTC)


PURCHASES = [
    Purchase("ann", "tea", "o1", _at(1)), Purchase("ann", "mug", "o1", _at(1)),
    Purchase("ann", "tea", "o2", _at(5)), Purchase("ann", "pot", "o3", _at(9)),
    Purchase("bob", "mug", "o4", _at(2)),
]


def test_the_last_order_of_each_member_with_history_is_held_out():
    split = split_last_order(PURCHASES)
    assert split.held_out == {"ann": {"pot"}}
    assert {(p.member, p.order) for p in split.train} == {("ann", "o1"), ("ann", "o2"), ("bob", "o4")}


def test_pairs_link_the_history_before_an_order_to_each_item_in_it():
    pairs = next_item_pairs(PURCHASES)
    # Newest first: within an order the later line counts as newer; o2 re-bought tea, so it leads.
    assert pairs == [(["mug", "tea"], "tea"), (["tea", "mug"], "pot")]


def test_histories_are_newest_first_and_liked_items_need_four_stars():
    histories = member_histories(PURCHASES, [Opinion("ann", "mug", 5, _at(3)), Opinion("ann", "pot", 2, _at(10))])
    assert histories["ann"].bought == ["pot", "tea", "mug"]
    assert histories["ann"].liked == ["mug"]
    assert histories["bob"].liked == []


def test_an_item_is_repeatable_when_enough_buyers_bought_it_twice():
    rows = [Purchase(m, "tea", f"{m}{n}", _at(n + 1)) for m in ("a", "b", "c") for n in range(2 if m == "a" else 1)]
    assert repeatable_items(rows, min_buyers=3, min_repeat_share=0.3) == {"tea"}
    assert repeatable_items(rows, min_buyers=3, min_repeat_share=0.5) == set()


def test_texts_name_the_item_and_the_history():
    item = CatalogItem("1", "Linen shirt", category="Tops", brand="Northwind", description="Relaxed fit")
    assert item_text(item) == "Linen shirt. category: Tops. brand: Northwind. Relaxed fit"
    assert history_text(["Linen shirt"], ["Wool hat"]) == "bought: Linen shirt. liked: Wool hat"


def test_fine_tune_pairs_name_only_the_newest_titles_and_keep_the_item_key():
    items = [CatalogItem("tea", "Green tea"), CatalogItem("mug", "Mug"), CatalogItem("pot", "Teapot", category="Kitchen")]
    pairs, keys = next_item_text_pairs(PURCHASES, items, history_titles=1)
    assert pairs == [("bought: Mug", "Green tea"), ("bought: Green tea", "Teapot. category: Kitchen")]
    assert keys == ["tea", "pot"]
