"""The baselines our recommender must beat: popularity, and implicit-feedback ALS.

Both apply the same "not already bought unless repeatable" and "active only" rules as ours, so
the comparison measures the ranking, not the filtering.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ml.recs.data import CatalogItem, MemberHistory, Purchase


def purchase_counts(purchases: Iterable[Purchase]) -> Counter[str]:
    """item -> number of distinct (member, order) purchases."""
    return Counter(p.item for p in {(p.member, p.order, p.item): p for p in purchases}.values())


def popularity_recommend(
    counts: Mapping[str, float], histories: Mapping[str, MemberHistory], *, items: Sequence[CatalogItem],
    repeatable: set[str], k: int = 10,
) -> dict[str, list[str]]:
    """Everyone gets the best sellers they may still be offered."""
    active = {item.key for item in items if item.active}
    ranked = [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if key in active]
    result = {}
    for member, history in histories.items():
        bought = set(history.bought) - repeatable
        result[member] = [key for key in ranked[: k + len(bought)] if key not in bought][:k]
    return result


class AlsUnavailable(RuntimeError):
    """The ``implicit`` library is not installed."""


def als_recommend(
    purchases: Iterable[Purchase], histories: Mapping[str, MemberHistory], *, items: Sequence[CatalogItem],
    repeatable: set[str], k: int = 10, factors: int = 64, iterations: int = 15, regularization: float = 0.05,
    alpha: float = 20.0, seed: int = 42,
) -> dict[str, list[str]]:
    """implicit's AlternatingLeastSquares on (member x item) purchase counts, confidence 1 + alpha * count."""
    try:
        from implicit.als import AlternatingLeastSquares
    except ImportError as exc:
        raise AlsUnavailable("pip install implicit (a binary wheel exists for CPython 3.11 on Linux x86-64)") from exc
    from scipy.sparse import csr_matrix

    item_index = {item.key: i for i, item in enumerate(items)}
    members = sorted({p.member for p in purchases} | set(histories))
    member_index = {m: i for i, m in enumerate(members)}
    counts = Counter((member_index[p.member], item_index[p.item]) for p in purchases if p.item in item_index)
    rows, cols = zip(*counts) if counts else ((), ())
    values = np.fromiter((1 + alpha * c for c in counts.values()), dtype=np.float32, count=len(counts))
    matrix = csr_matrix((values, (rows, cols)), shape=(len(members), len(items)))
    model = AlternatingLeastSquares(factors=factors, iterations=iterations, regularization=regularization,
                                    random_state=seed, use_gpu=False)
    model.fit(matrix, show_progress=False)
    inactive = [i for i, item in enumerate(items) if not item.active]
    result = {}
    targets = list(histories)
    for member in targets:
        row = member_index[member]
        bought = [item_index[key] for key in histories[member].bought if key in item_index and key not in repeatable]
        banned = np.array(sorted(set(bought) | set(inactive)), dtype=np.int64)
        ids, _ = model.recommend(row, matrix[row], N=k, filter_already_liked_items=False,
                                 filter_items=banned if len(banned) else None)
        result[member] = [items[int(i)].key for i in ids]
    return result
