from ml.recs.rerank import RerankRules, rerank

ACTIVE = [True] * 8


def _items(result):
    return [item for item, _ in result]


def test_items_already_bought_are_dropped_unless_repeatable():
    candidates = [(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.6)]
    result = rerank(candidates, bought={0, 1}, repeatable={1}, active=ACTIVE, categories=[""] * 8,
                    rules=RerankRules(k=10))
    assert _items(result) == [1, 2, 3]


def test_inactive_items_never_appear():
    active = [True, False, True, False, True, True, True, True]
    result = rerank([(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.6)], bought=set(), repeatable=set(), active=active,
                    categories=[""] * 8)
    assert _items(result) == [0, 2]


def test_category_diversity_caps_a_category_and_keeps_the_order_of_the_rest():
    categories = ["tops", "tops", "tops", "shoes", "bags", "", "", ""]
    candidates = [(0, 0.9), (1, 0.85), (2, 0.8), (3, 0.7), (4, 0.6)]
    result = rerank(candidates, bought=set(), repeatable=set(), active=ACTIVE, categories=categories,
                    rules=RerankRules(k=3, max_per_category=2))
    assert _items(result) == [0, 1, 3]


def test_capped_items_fill_the_list_when_nothing_else_is_left():
    categories = ["tops"] * 5 + ["shoes", "", ""]
    candidates = [(0, 0.9), (1, 0.85), (2, 0.8), (5, 0.5), (3, 0.4)]
    result = rerank(candidates, bought=set(), repeatable=set(), active=ACTIVE, categories=categories,
                    rules=RerankRules(k=4, max_per_category=2))
    assert _items(result) == [0, 1, 5, 2]


def test_items_without_a_category_are_not_capped():
    result = rerank([(i, 1 - i / 10) for i in range(6)], bought=set(), repeatable=set(), active=ACTIVE,
                    categories=[""] * 8, rules=RerankRules(k=5, max_per_category=1))
    assert _items(result) == [0, 1, 2, 3, 4]
