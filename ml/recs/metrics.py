"""Ranking metrics with binary relevance: Recall@K, NDCG@K and catalogue coverage."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ml.bootstrap import paired_bootstrap_mean


def recall_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant items found in the first k recommendations (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(recommended[:k]) & relevant) / len(relevant)


def recall_at_k_capped(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    """|first k ∩ relevant| / min(k, |relevant|): 1.0 when the list holds as many of the relevant
    items as it could (the backtest protocol's Recall@K; 0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(recommended[:k]) & relevant) / min(k, len(relevant))


def ndcg_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    """DCG of the first k (a hit at 1-based rank r gains 1/log2(r+1)) over the best possible DCG,
    where all min(|relevant|, k) slots at the top are hits."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(recommended[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return dcg / ideal


def catalogue_coverage(recommendations: Iterable[Sequence[str]], catalogue_size: int, k: int) -> float:
    """Share of the catalogue that appears in anyone's first k recommendations."""
    if catalogue_size <= 0:
        return 0.0
    shown: set[str] = set()
    for items in recommendations:
        shown.update(items[:k])
    return len(shown) / catalogue_size


@dataclass(frozen=True)
class RankingReport:
    members: int  # members evaluated (those with a held-out order)
    recall: float
    ndcg: float
    coverage: float
    k: int

    def to_dict(self) -> dict[str, float | int]:
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()}


def ranking_report(
    recommendations: Mapping[str, Sequence[str]], held_out: Mapping[str, set[str]], *, catalogue_size: int, k: int = 10
) -> RankingReport:
    """Mean Recall@k and NDCG@k over the held-out members (a member with no recommendations scores 0),
    and coverage over the recommendations given to those members."""
    members = list(held_out)
    if not members:
        return RankingReport(members=0, recall=0.0, ndcg=0.0, coverage=0.0, k=k)
    recall = sum(recall_at_k(recommendations.get(m, ()), held_out[m], k) for m in members) / len(members)
    ndcg = sum(ndcg_at_k(recommendations.get(m, ()), held_out[m], k) for m in members) / len(members)
    coverage = catalogue_coverage((recommendations.get(m, ()) for m in members), catalogue_size, k)
    return RankingReport(members=len(members), recall=recall, ndcg=ndcg, coverage=coverage, k=k)


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """(mean of a - b, low, high): per-member scores of two methods on the same members, with a 95 %
    percentile interval from resampling the members ``resamples`` times (ml.bootstrap.paired_bootstrap_mean)."""
    interval = paired_bootstrap_mean(np.asarray(a), np.asarray(b), resamples=resamples, seed=seed)
    return interval.difference, interval.low, interval.high
