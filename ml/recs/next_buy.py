"""Next-buy recommendations as of a cutoff, the baselines they must beat, and the truth to score them.

Every function takes all purchase rows and a cutoff, and reads only purchases placed strictly
before the cutoff, so a backtest on a database that holds later orders cannot see the future.

- ``NextBuyModel`` / ``next_buy_recommend``: candidates from several sources (ml.recs.candidates), features and a
  ranker learned on an earlier window of the same shop (ml.recs.ranker), reasons from the source
  that proposed each item.
- ``baseline_recommend``: "buy again" (each member's most-bought items), popularity, implicit ALS.
- ``backtest_recommendations``: ours and every baseline for the same members, for bench and backtest.
- ``next_buy_sets`` and ``ml.recs.metrics.recall_at_k_capped``: the protocol's truth and metric.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ml.recs.candidates import AlsModel, PurchaseIndex, item_vector_matrix, purchase_index_build
from ml.recs.data import Purchase
from ml.recs.ranker import (
    COL,
    TIE_BREAK_SOURCES,
    BlendRanker,
    CandidateConfig,
    LearnedRanker,
    RankerConfig,
    Sources,
    candidate_batches,
)

LABEL_DAYS = 90  # the ranker learns "bought within the next 90 days" (the protocol's horizon)
MAX_TRAIN_MEMBERS = 4000  # members sampled for the training window (keeps training linear and bounded)


@dataclass(frozen=True)
class NextBuyConfig:
    label_days: int = LABEL_DAYS
    max_train_members: int = MAX_TRAIN_MEMBERS  # per training window
    train_windows: int = 2  # consecutive label windows stacked for training, newest first
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    ranker: RankerConfig = field(default_factory=RankerConfig)
    als_factors: int = 64
    threads: int = 1
    seed: int = 0


@dataclass(frozen=True)
class NextBuy:
    item: str
    score: float
    source: str  # "again" (bought before), "co" (bought with), "als", "text" (similar), "pop" (popular),
    # "catalogue" (a member without history in a shop that has sold fewer than k items)
    because: str | None = None  # the member's item behind a "co" or "text" pick
    cycle_days: float | None = None  # for "again": the member's mean days between purchases of it


@dataclass
class NextBuyResult:
    recommendations: dict[str, list[NextBuy]]
    ranker: str  # "learned" or "blend" (too little history to learn from)
    train_rows: int = 0
    train_positives: int = 0


def _sources(index: PurchaseIndex, vectors: Mapping[str, np.ndarray] | None, config: NextBuyConfig) -> Sources:
    als = None
    if index.pair_count.nnz and len(index.members) > 2 and len(index.items) > 2:
        try:
            als = AlsModel(index, factors=config.als_factors, threads=config.threads, seed=config.seed)
        except ImportError:
            als = None
    return Sources(index=index, als=als, item_vectors=item_vector_matrix(index, vectors))


def ranker_train(
    purchases: Sequence[Purchase], *, cutoff: datetime, catalogue: Sequence[str] | None = None,
    item_vectors: Mapping[str, np.ndarray] | None = None, config: NextBuyConfig = NextBuyConfig(),
) -> tuple[LearnedRanker | None, int, int]:
    """Fit the ranker on the window before ``cutoff``: features as of cutoff - label_days, label =
    bought in [cutoff - label_days, cutoff). Returns (ranker or None when fewer than
    min_positives rows are positive, rows, positives)."""
    parts = [_training_rows(purchases, cutoff=cutoff - timedelta(days=w * config.label_days), catalogue=catalogue,
                            item_vectors=item_vectors, config=config, seed=config.seed + w)
             for w in range(config.train_windows)]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None, 0, 0
    features = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    # Members of different windows are different groups for the per-member weights.
    members = np.concatenate([p[2] + w * (1 << 32) for w, p in enumerate(parts)])
    positives = int(labels.sum())
    if positives < config.ranker.min_positives or positives == len(labels):
        return None, len(labels), positives
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=config.threads):
        ranker = LearnedRanker(config.ranker).fit(features, labels.astype(np.int8), members)
    return ranker, len(labels), positives


def _training_rows(purchases, *, cutoff, catalogue, item_vectors, config: NextBuyConfig, seed: int):
    """(features, labels, member rows) for one label window ending at ``cutoff``, or None."""
    start = cutoff - timedelta(days=config.label_days)
    index = purchase_index_build(purchases, cutoff=start, catalogue=catalogue)
    bought_later: set[tuple[int, int]] = set()
    for p in purchases:
        if start <= p.at < cutoff and p.member in index.member_index and p.item in index.item_index:
            bought_later.add((index.member_index[p.member], index.item_index[p.item]))
    rows = np.array(sorted({m for m, _ in bought_later}), dtype=np.int64)
    if len(rows) > config.max_train_members:
        rows = np.sort(np.random.default_rng(seed).choice(rows, config.max_train_members, replace=False))
    if not len(rows):
        return None
    sources = _sources(index, item_vectors, config)
    parts = list(candidate_batches(sources, rows, config.candidates))
    members = np.concatenate([p.member_rows for p in parts])
    items = np.concatenate([p.item_cols for p in parts])
    labels = np.fromiter(((int(m), int(i)) in bought_later for m, i in zip(members, items)), dtype=bool,
                         count=len(members))
    return np.concatenate([p.features for p in parts]), labels, members


class NextBuyModel:
    """The ranker and candidate sources fitted once as of ``cutoff`` (purchases before it only);
    ``recommend`` then serves any members, batch after batch, without refitting.

    ``catalogue`` lists the items that may be recommended (e.g. active products; default:
    everything bought). ``item_vectors`` (item key -> vector, e.g. the two-tower item tower)
    enables the text source for long-tail and new items.
    """

    def __init__(
        self, purchases: Iterable[Purchase], *, cutoff: datetime, catalogue: Sequence[str] | None = None,
        item_vectors: Mapping[str, np.ndarray] | None = None, config: NextBuyConfig = NextBuyConfig(),
    ) -> None:
        rows = [p for p in purchases if p.at < cutoff]
        ranker, self.train_rows, self.train_positives = ranker_train(
            rows, cutoff=cutoff, catalogue=catalogue, item_vectors=item_vectors, config=config)
        index = purchase_index_build(rows, cutoff=cutoff, catalogue=catalogue)
        if ranker is None:
            share = float(np.mean(index.member_repeat_share)) if len(index.members) else 0.0
            self.scorer: LearnedRanker | BlendRanker = BlendRanker(repeat_share=share)
        else:
            self.scorer = ranker
        self.ranker = self.scorer.kind
        self.index, self.config = index, config
        self.sources = _sources(index, item_vectors, config)

    @property
    def members(self) -> list[str]:
        """Everyone who bought before the cutoff."""
        return self.index.members

    def recommend(self, members: Sequence[str], *, k: int = 10, explain: bool = True) -> dict[str, list[NextBuy]]:
        """Up to k NextBuy per member, best first; a member without history gets the items most
        members bought in the last half year (source "pop")."""
        index, sources = self.index, self.sources
        known = np.array(sorted({index.member_index[m] for m in members if m in index.member_index}), dtype=np.int64)
        result: dict[str, list[NextBuy]] = {}
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.config.threads):
            for batch in candidate_batches(sources, known, self.config.candidates):
                scores = self.scorer.score(batch.features)
                order = np.lexsort((-scores, batch.member_rows))
                starts = np.r_[0, np.flatnonzero(np.diff(batch.member_rows[order])) + 1, len(order)]
                for lo, hi in itertools.pairwise(starts):
                    picked = [j for j in order[lo:hi][:k] if np.isfinite(scores[j])]
                    if picked:
                        member = index.members[int(batch.member_rows[picked[0]])]
                        result[member] = [_next_buy(sources, batch, int(j), float(scores[j]), explain) for j in picked]
        popular = [NextBuy(index.items[i], 0.0, "pop") for i in sources.cold_order
                   if index.allowed[i] and index.item_buyers[i] > 0][:k]
        # A shop with fewer than k items ever sold tops the list up from the catalogue.
        popular += [NextBuy(key, 0.0, "catalogue") for i, key in enumerate(index.items)
                    if index.allowed[i] and index.item_buyers[i] == 0][: k - len(popular)]
        for member in members:
            result.setdefault(member, popular)
        return result


def next_buy_recommend(
    purchases: Iterable[Purchase], *, cutoff: datetime, members: Sequence[str] | None = None,
    catalogue: Sequence[str] | None = None, item_vectors: Mapping[str, np.ndarray] | None = None, k: int = 10,
    config: NextBuyConfig = NextBuyConfig(), explain: bool = True,
) -> NextBuyResult:
    """NextBuyModel fitted as of ``cutoff`` and asked for ``members`` (default: everyone who bought
    before the cutoff) in one call."""
    model = NextBuyModel(purchases, cutoff=cutoff, catalogue=catalogue, item_vectors=item_vectors, config=config)
    wanted = list(members) if members is not None else list(model.members)
    return NextBuyResult(recommendations=model.recommend(wanted, k=k, explain=explain), ranker=model.ranker,
                         train_rows=model.train_rows, train_positives=model.train_positives)


def _next_buy(sources: Sources, batch, row: int, score: float, explain: bool) -> NextBuy:
    index, f = sources.index, batch.features[row]
    member, item = int(batch.member_rows[row]), int(batch.item_cols[row])
    key = index.items[item]
    if f[COL["again_orders"]] > 0:
        cycle = f[COL["again_cycle_days"]]
        return NextBuy(key, score, "again", None, None if np.isnan(cycle) else float(cycle))
    ranks = {name: (f[COL[f"{name}_rank"]] if _positive(f, name) else np.inf) for name in TIE_BREAK_SOURCES}
    source = min(TIE_BREAK_SOURCES, key=lambda name: ranks[name])
    if not np.isfinite(ranks[source]):
        source = "pop"
    because = _because(sources, member, item, source) if explain and source in ("co", "text") else None
    return NextBuy(key, score, source, because)


def _positive(features: np.ndarray, name: str) -> bool:
    value = features[COL["pop_recent" if name == "pop" else f"{name}_score"]]
    return bool(np.isfinite(value) and value > 0)


def _because(sources: Sources, member: int, item: int, source: str) -> str | None:
    """The member's own item that best explains ``item``: strongest co-purchase link weighted by
    recency ("co"), or most similar vector ("text")."""
    index = sources.index
    decay = index.pair_decay
    lo, hi = decay.indptr[member], decay.indptr[member + 1]  # the member's row, without sparse indexing
    mine, weights = decay.indices[lo:hi], decay.data[lo:hi]
    if not len(mine):
        return None
    if source == "co":
        # copurchase[mine, item] from the item's column (sorted rows): a search instead of a sparse slice,
        # which cost ~1 ms per recommendation.
        columns = index.copurchase_columns
        start, end = columns.indptr[item], columns.indptr[item + 1]
        rows, values = columns.indices[start:end], columns.data[start:end]
        at = np.minimum(np.searchsorted(rows, mine), max(len(rows) - 1, 0))
        links = (np.where(rows[at] == mine, values[at], 0.0) if len(rows) else np.zeros(len(mine))) * weights
    else:
        links = sources.item_vectors[mine] @ sources.item_vectors[item]
    best = int(np.argmax(links))
    return index.items[int(mine[best])] if links[best] > 0 else None


def baseline_recommend(
    purchases: Iterable[Purchase], *, cutoff: datetime, members: Sequence[str], k: int = 10,
    catalogue: Sequence[str] | None = None, threads: int = 1,
) -> dict[str, dict[str, list[str]]]:
    """{"buy_again", "popularity", "als"} -> member -> k item keys, from purchases before the cutoff.

    buy_again: the member's items by number of orders holding them (ties: most recent first),
    topped up with the most popular items when the member has fewer than k. popularity: items
    with the most buyers. ALS: implicit ALS (already-bought items allowed, since repeats count).
    "als" is missing when the ``implicit`` library is not installed.
    """
    index = purchase_index_build(purchases, cutoff=cutoff, catalogue=catalogue)
    popular_cols = [int(i) for i in np.argsort(-index.item_buyers, kind="stable") if index.allowed[i]][:k]
    popular = [index.items[i] for i in popular_cols]
    result: dict[str, dict[str, list[str]]] = defaultdict(dict)
    als = None
    if len(index.members) > 2 and len(index.items) > 2:
        try:
            als = AlsModel(index, threads=threads)
        except ImportError:
            pass
    for member in members:
        result["popularity"][member] = popular
        row = index.member_index.get(member)
        if row is None:
            result["buy_again"][member] = popular
            if als is not None:
                result["als"][member] = popular
            continue
        counts = index.pair_count[row]
        last = index.pair_last_age[row]
        ages = dict(zip(last.indices, last.data))
        mine = sorted((int(i) for i, c in zip(counts.indices, counts.data) if index.allowed[i]),
                      key=lambda i: (-counts[0, i], ages[i]))
        again = [index.items[i] for i in mine[:k]]
        again += [key for key in popular if key not in again][: k - len(again)]
        result["buy_again"][member] = again
        if als is not None:
            scores = als.scores(np.array([row]))[0]
            scores[~index.allowed] = -np.inf
            best = np.argsort(-scores, kind="stable")[:k]
            result["als"][member] = [index.items[int(i)] for i in best]
    return dict(result)


def backtest_recommendations(
    purchases: Sequence[Purchase], *, cutoff: datetime, members: Sequence[str] | None = None, k: int = 10,
    catalogue: Sequence[str] | None = None, item_vectors: Mapping[str, np.ndarray] | None = None,
    config: NextBuyConfig = NextBuyConfig(),
) -> dict[str, dict[str, list[str]]]:
    """{"ours", "buy_again", "popularity", "als"} -> member -> k item keys, all as of ``cutoff``.
    ``members`` defaults to everyone who bought before the cutoff."""
    if members is None:
        members = sorted({p.member for p in purchases if p.at < cutoff})
    ours = next_buy_recommend(purchases, cutoff=cutoff, members=members, catalogue=catalogue,
                              item_vectors=item_vectors, k=k, config=config, explain=False)
    result = {"ours": {m: [r.item for r in recs] for m, recs in ours.recommendations.items()}}
    result.update(baseline_recommend(purchases, cutoff=cutoff, members=members, k=k, catalogue=catalogue,
                                     threads=config.threads))
    return result


def next_buy_sets(purchases: Iterable[Purchase], *, cutoff: datetime, horizon_days: int = 90) -> dict[str, set[str]]:
    """member -> items bought in [cutoff, cutoff + horizon_days): the protocol's truth."""
    end = cutoff + timedelta(days=horizon_days)
    truth: dict[str, set[str]] = defaultdict(set)
    for p in purchases:
        if cutoff <= p.at < end:
            truth[p.member].add(p.item)
    return dict(truth)
