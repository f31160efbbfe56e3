"""The backtest protocol's recommendation metrics and ground truth. Plain Python, no Django.

Protocol (docs/backtest.md): history = revenue order lines before the cut-off; the horizon is the
`horizon_days` days after it. A member's next-buy truth is the set of items they bought in the
horizon (repeats of items bought before included). Over the members who buy in the horizon:

    Recall@k = |top-k ∩ bought| / min(k, |bought|)     (1.0 when the k slots are all hits)
    NDCG@k   = DCG of the top k over the best DCG with min(k, |bought|) hits at the top

The "last-order" protocol the recommendation bench used before (each customer's last order held
out, ml.recs.data.split_last_order) is reported beside it with the same functions.

Members and items are opaque string keys, as in ml.recs.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

K = 10


def recall_at_k(recommended: Sequence[str], bought: set[str], k: int = K) -> float:
    """|top-k ∩ bought| / min(k, |bought|); 0 when nothing was bought."""
    if not bought:
        return 0.0
    return len(set(recommended[:k]) & bought) / min(k, len(bought))


def ndcg_at_k(recommended: Sequence[str], bought: set[str], k: int = K) -> float:
    """A hit at 1-based rank r gains 1/log2(r+1); divided by the gain of min(k, |bought|) top hits."""
    if not bought:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(recommended[:k]) if item in bought)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(bought), k)))
    return dcg / ideal


def next_buy_truth(
    purchases: Iterable[tuple[str, str, datetime]], *, start: datetime, end: datetime
) -> dict[str, set[str]]:
    """member -> items bought in [start, end) from (member, item, bought at) rows."""
    truth: dict[str, set[str]] = defaultdict(set)
    for member, item, at in purchases:
        if start <= at < end:
            truth[member].add(item)
    return dict(truth)


def buy_again_top_items(
    purchases: Iterable[tuple[str, str, str]], *, members: Iterable[str] | None = None, k: int = K
) -> dict[str, list[str]]:
    """The "buy again" baseline: each member's k most-bought items, counted in distinct orders,
    from (member, item, order) rows of the history; ties by item key. `members` limits the output."""
    seen = {(m, i, o) for m, i, o in purchases}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for member, item, _order in seen:
        counts[member][item] += 1
    wanted = set(members) if members is not None else set(counts)
    return {
        member: [item for item, _ in sorted(counts[member].items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
        for member in wanted
        if member in counts
    }


@dataclass
class RecommendationScores:
    """Per-member Recall@k and NDCG@k (same member order for every method: paired comparisons)."""

    members: list[str]
    recall: list[float]
    ndcg: list[float]
    k: int = K
    extra: dict = field(default_factory=dict)

    @property
    def mean_recall(self) -> float:
        return sum(self.recall) / len(self.recall) if self.recall else 0.0

    @property
    def mean_ndcg(self) -> float:
        return sum(self.ndcg) / len(self.ndcg) if self.ndcg else 0.0

    def summary(self) -> dict:
        return {"members": len(self.members), f"recall_at_{self.k}": round(self.mean_recall, 4),
                f"ndcg_at_{self.k}": round(self.mean_ndcg, 4)}  # fmt: skip


def recommendation_scores(
    recommendations: Mapping[str, Sequence[str]], truth: Mapping[str, set[str]], *, k: int = K
) -> RecommendationScores:
    """Score every member of `truth` (sorted by key); a member without recommendations scores 0."""
    members = sorted(truth)
    return RecommendationScores(
        members=members,
        recall=[recall_at_k(recommendations.get(m, ()), truth[m], k) for m in members],
        ndcg=[ndcg_at_k(recommendations.get(m, ()), truth[m], k) for m in members],
        k=k,
    )
