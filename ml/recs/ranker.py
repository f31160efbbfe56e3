"""Candidates and their features for a batch of members, and the learned ranker over them.

For each member the candidates are the union of each source's best items (ml.recs.candidates);
each (member, item) row gets every source's score and its rank among the member's candidates,
the member's own history with the item (orders, recency, purchase cycle and how "due" it is),
the item's popularity, age and repeat rate, and the member's activity. The ranker is scikit-learn's
HistGradientBoostingClassifier (pointwise: "bought within the label window?"), trained on an
earlier window of the same shop: features as of cutoff - label_days, labels = bought in
[cutoff - label_days, cutoff). Whether already-bought items belong in the list is therefore
learned per shop from the repeat features, not a fixed rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ml.recs.candidates import AlsModel, PurchaseIndex, member_batches, text_member_vectors, top_n_mask

FEATURES = (
    "again_orders", "again_decay", "again_days_since", "again_cycle_days", "again_due", "again_share",
    "co_score", "co_rank", "als_score", "als_rank", "text_score", "text_rank", "pop_recent", "pop_rank",
    "item_buyers", "item_repeat_rate", "item_first_age", "item_last_age",
    "member_orders", "member_last_age", "member_items", "member_repeat_share", "member_cycle_days",
    "item_quarter_buyers", "member_quarter_orders", "again_since_last_order",
)
COL = {name: i for i, name in enumerate(FEATURES)}
COLD_POPULAR_DAYS = 180.0
LONG_TAIL_QUANTILE = 0.5  # items at or below this quantile of buyers (or never sold) are long-tail
TIE_BREAK_SOURCES = ("co", "text", "als", "pop")  # when ranks tie, the more specific reason wins


@dataclass(frozen=True)
class CandidateConfig:
    again: int = 50  # the member's own items kept as candidates (by decayed order count)
    copurchase: int = 50
    als: int = 50
    popular: int = 30
    text: int = 20  # long-tail / new items proposed by the text two-tower


@dataclass
class Sources:
    """What scores a batch: the index, a fitted ALS (optional), item vectors (optional)."""

    index: PurchaseIndex
    als: AlsModel | None = None
    item_vectors: np.ndarray | None = None  # (items x d), rows aligned with index.items

    def __post_init__(self) -> None:
        buyers = self.index.item_buyers
        sold = buyers[buyers > 0]
        threshold = float(np.quantile(sold, LONG_TAIL_QUANTILE)) if len(sold) else 0.0
        self.long_tail = buyers <= threshold
        self.pop_order = np.argsort(-(self.index.item_recent_buyers + 1e-3 * buyers), kind="stable")
        # Members without history get the items most members bought over the last half year
        # (chosen on the 2010-06-01 validation cutoff: 30 days 0.092, 180 days 0.110, all 0.103).
        index, n_items = self.index, len(self.index.items)
        lately = index.line_age <= COLD_POPULAR_DAYS
        pairs = np.unique(index.line_member[lately] * n_items + index.line_item[lately])
        lately_buyers = np.bincount(pairs % n_items, minlength=n_items) if n_items else np.zeros(0)
        self.cold_order = np.argsort(-(lately_buyers + 1e-3 * buyers), kind="stable")


@dataclass
class CandidateBatch:
    member_rows: np.ndarray  # index.members rows of each candidate
    item_cols: np.ndarray  # index.items columns
    features: np.ndarray  # (candidates x len(FEATURES)) float32, NaN = not applicable


def candidate_batches(sources: Sources, rows: np.ndarray, config: CandidateConfig) -> Iterator[CandidateBatch]:
    """Candidates with features for the members at ``rows`` of the index, batch by batch."""
    index = sources.index
    n_items = len(index.items)
    valid = index.allowed[None, :]
    popular = [i for i in sources.pop_order if index.allowed[i] and index.item_buyers[i] > 0][: config.popular]
    for batch in member_batches(rows, n_items):
        count = index.pair_count[batch].toarray()
        decay = index.pair_decay[batch].toarray()
        bought = count > 0
        last = np.where(bought, index.pair_last_age[batch].toarray() - 1.0, np.nan)
        first = np.where(bought, index.pair_first_age[batch].toarray() - 1.0, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            cycle = np.where(count >= 2, (first - last) / np.maximum(count - 1, 1), np.nan)
            due = last / cycle
        co = (index.pair_decay[batch] @ index.copurchase).toarray()
        als = sources.als.scores(batch) if sources.als is not None else np.zeros_like(decay)
        if sources.item_vectors is not None:
            text = text_member_vectors(index, sources.item_vectors, batch) @ sources.item_vectors.T
        else:
            text = np.zeros_like(decay)
        mask = top_n_mask(decay, config.again, valid)
        mask |= top_n_mask(co, config.copurchase, valid)
        mask |= top_n_mask(als, config.als, valid)
        if sources.item_vectors is not None:
            mask |= top_n_mask(text, config.text, valid & sources.long_tail[None, :])
        mask[:, popular] = True
        b, i = np.nonzero(mask)
        members = batch[b]
        pop = index.item_recent_buyers[i]
        cols = {
            "again_orders": count[b, i], "again_decay": decay[b, i], "again_days_since": last[b, i],
            "again_cycle_days": cycle[b, i], "again_due": due[b, i],
            "again_share": count[b, i] / np.maximum(index.member_orders[members], 1.0),
            "co_score": co[b, i], "als_score": als[b, i],
            "text_score": text[b, i] if sources.item_vectors is not None else np.full(len(b), np.nan),
            "pop_recent": pop,
            "item_buyers": index.item_buyers[i], "item_repeat_rate": index.item_repeat_rate[i],
            "item_first_age": index.item_first_age[i], "item_last_age": index.item_last_age[i],
            "member_orders": index.member_orders[members], "member_last_age": index.member_last_age[members],
            "member_items": index.member_items[members], "member_repeat_share": index.member_repeat_share[members],
            "item_quarter_buyers": index.item_quarter_buyers[i],
            # 0 = in the member's latest order; trees cannot subtract two features themselves
            "again_since_last_order": last[b, i] - index.member_last_age[members],
            "member_quarter_orders": index.member_quarter_orders[members],
            "member_cycle_days": (index.member_first_age[members] - index.member_last_age[members])
            / np.maximum(index.member_orders[members] - 1.0, 1.0),
        }
        for name, score in (("co", co[b, i]), ("als", als[b, i]), ("text", cols["text_score"]), ("pop", pop)):
            cols[f"{name}_rank"] = _rank_within(b, np.nan_to_num(score, nan=-np.inf))
        features = np.empty((len(b), len(FEATURES)), dtype=np.float32)
        for name, j in COL.items():
            features[:, j] = cols[name]
        yield CandidateBatch(member_rows=members, item_cols=i, features=features)


def _rank_within(groups: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score within its group (groups sorted ascending, as np.nonzero gives)."""
    order = np.lexsort((-scores, groups))
    starts = np.r_[0, np.flatnonzero(np.diff(groups[order])) + 1]
    position = np.arange(len(order))
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.float32)
    ranks[order] = position - group_start + 1
    return ranks


@dataclass(frozen=True)
class RankerConfig:
    max_iter: int = 200
    learning_rate: float = 0.08
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    seed: int = 0
    min_positives: int = 30  # fewer positive rows than this: too little to learn, use the fallback blend
    balance_members: bool = True  # each member's rows weigh the same in total (Recall@K is a mean over members)


class LearnedRanker:
    """HistGradientBoostingClassifier over FEATURES; ``score`` = P(bought in the label window)."""

    kind = "learned"

    def __init__(self, config: RankerConfig = RankerConfig()) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model = HistGradientBoostingClassifier(
            max_iter=config.max_iter, learning_rate=config.learning_rate, max_leaf_nodes=config.max_leaf_nodes,
            min_samples_leaf=config.min_samples_leaf, early_stopping=True, validation_fraction=0.1,
            n_iter_no_change=20, random_state=config.seed,
        )
        self.config = config

    def fit(self, features: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> LearnedRanker:
        weights = None
        if self.config.balance_members:
            _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
            weights = (1.0 / counts[inverse]) * (len(groups) / len(counts))
        # Columns with fewer than two distinct values (e.g. text scores without item vectors) carry
        # nothing, and scikit-learn's binning rejects them.
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.columns = np.flatnonzero(np.nanmin(features, axis=0) < np.nanmax(features, axis=0))
        self.model.fit(features[:, self.columns], labels, sample_weight=weights)
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(features[:, self.columns])[:, 1]


class BlendRanker:
    """Used when the shop has too little history to learn from: each source's rank as a reciprocal,
    summed; the member's own items count with the shop's repeat share (a clothing shop where
    nobody buys twice does not fill lists with what members already have). Scores of -inf mean
    "do not offer"."""

    kind = "blend"

    def __init__(self, repeat_share: float) -> None:
        self.repeat_share = repeat_share

    def score(self, features: np.ndarray) -> np.ndarray:
        f = lambda name: np.nan_to_num(features[:, COL[name]], nan=0.0)
        reciprocal = lambda name: np.where(f(f"{name}_score" if name != "pop" else "pop_recent") > 0,
                                           1.0 / np.maximum(f(f"{name}_rank"), 1.0), 0.0)
        again = np.where(f("again_orders") > 0, f("again_decay") / (1.0 + f("again_decay")), 0.0)
        score = (2.0 * self.repeat_share * again + reciprocal("co") + reciprocal("als") + 0.5 * reciprocal("text")
                 + 0.5 * reciprocal("pop"))
        # Nobody in the shop ever bought an item twice: what a member has is not offered again.
        return np.where((f("again_orders") > 0) & (self.repeat_share == 0), -np.inf, score)
