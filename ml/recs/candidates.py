"""Candidate sources for next-buy recommendations, as of a cutoff: only purchases before it count.

``PurchaseIndex`` turns purchase rows into arrays (one line per member, order and item) and the
statistics every source and feature reads: per (member, item) how often and how recently it was
bought and its purchase cycle, per member and per item counts and ages. The sources score every
allowed item for a batch of members as a dense (members x items) array:

- buy again: recency-decayed count of the orders holding the item (the member's own history);
- co-purchase: item-item cosine over orders (pruned to ``COPURCHASE_NEIGHBOURS`` per item),
  summed over the member's items weighted by how recently they were bought;
- ALS: implicit-feedback matrix factorisation (the ``implicit`` library);
- popularity: distinct buyers in the last ``RECENT_DAYS``;
- text: cosine between the member's recency-weighted mean item vector and each item vector, when
  the caller has item embeddings (the two-tower encoder); it may only propose long-tail and new
  items, which the other sources rarely reach.

Everything is set-based (numpy / scipy.sparse); the cost grows with members x items per batch,
never with members squared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import sparse

from ml.recs.data import Purchase

DAY_SECONDS = 86_400.0
RECENT_DAYS = 30.0  # "popular right now" window
QUARTER_DAYS = 90.0  # "lately" for member activity and item trend features
DECAY_DAYS = 90.0  # e-folding time of a past purchase's weight in buy-again and co-purchase scores
COPURCHASE_NEIGHBOURS = 100  # strongest co-purchased items kept per item (keeps the matrix sparse)
BATCH_CELLS = 4_000_000  # members x items scored at once per dense array (~16 MB of float32)


@dataclass
class PurchaseIndex:
    """Purchases before ``cutoff`` as arrays. ``items`` is the catalogue the sources may propose
    (``allowed``) plus every item bought; ``members`` is everyone who bought before the cutoff."""

    cutoff: datetime
    members: list[str]
    items: list[str]
    allowed: np.ndarray  # bool per item: may be recommended (in the given catalogue, active)
    line_member: np.ndarray  # one entry per distinct (member, order, item)
    line_item: np.ndarray
    line_order: np.ndarray
    line_age: np.ndarray  # days between the order and the cutoff (> 0)

    def __post_init__(self) -> None:
        self.member_index = {m: i for i, m in enumerate(self.members)}
        self.item_index = {k: i for i, k in enumerate(self.items)}
        n_m, n_i = len(self.members), len(self.items)
        shape = (n_m, n_i)
        ones = np.ones(len(self.line_member), dtype=np.float32)
        # Pair statistics as CSR matrices (duplicates sum on conversion).
        self.pair_count = sparse.csr_matrix((ones, (self.line_member, self.line_item)), shape=shape)
        decay = np.exp(-self.line_age / DECAY_DAYS).astype(np.float32)
        self.pair_decay = sparse.csr_matrix((decay, (self.line_member, self.line_item)), shape=shape)
        self.pair_last_age = _pair_reduce(self.line_member, self.line_item, self.line_age, shape, np.minimum)
        self.pair_first_age = _pair_reduce(self.line_member, self.line_item, self.line_age, shape, np.maximum)
        # Member statistics (orders, not lines).
        order_keys, first = np.unique(self.line_order, return_index=True)
        order_member, order_age = self.line_member[first], self.line_age[first]
        self.order_count = len(order_keys)
        self.member_orders = np.bincount(order_member, minlength=n_m).astype(np.float32)
        self.member_last_age = _group_reduce(order_member, order_age, n_m, np.minimum)
        self.member_first_age = _group_reduce(order_member, order_age, n_m, np.maximum)
        self.member_items = np.diff(self.pair_count.indptr).astype(np.float32)
        repeated = self.pair_count.copy()
        repeated.data = (repeated.data >= 2).astype(np.float32)
        self.member_repeat_share = _safe_div(np.asarray(repeated.sum(axis=1)).ravel(), self.member_items)
        # Item statistics.
        binary = self.pair_count.copy()
        binary.data[:] = 1.0
        self.item_buyers = np.asarray(binary.sum(axis=0)).ravel().astype(np.float32)
        self.item_repeat_rate = _safe_div(np.asarray(repeated.sum(axis=0)).ravel(), self.item_buyers)
        recent = self.line_age <= RECENT_DAYS
        self.item_recent_buyers = np.bincount(
            self.line_item[recent], minlength=n_i).astype(np.float32)  # lines ~ buyers within 30 days
        quarter = self.line_age <= QUARTER_DAYS
        self.item_quarter_buyers = np.bincount(self.line_item[quarter], minlength=n_i).astype(np.float32)
        self.member_quarter_orders = np.bincount(
            order_member[order_age <= QUARTER_DAYS], minlength=n_m).astype(np.float32)
        self.item_first_age = _group_reduce(self.line_item, self.line_age, n_i, np.maximum)
        self.item_last_age = _group_reduce(self.line_item, self.line_age, n_i, np.minimum)
        self._copurchase: sparse.csr_matrix | None = None

    @property
    def copurchase_columns(self) -> sparse.csc_matrix:
        """``copurchase`` by column, row indices sorted: one item's co-purchased items at once."""
        if getattr(self, "_copurchase_columns", None) is None:
            columns = self.copurchase.tocsc()
            columns.sort_indices()
            self._copurchase_columns = columns
        return self._copurchase_columns

    @property
    def copurchase(self) -> sparse.csr_matrix:
        """Item-item cosine over orders, diagonal zeroed, each row pruned to its strongest neighbours."""
        if self._copurchase is None:
            orders = sparse.csr_matrix(
                (np.ones(len(self.line_order), dtype=np.float32), (self.line_order, self.line_item)),
                shape=(int(self.line_order.max()) + 1 if len(self.line_order) else 0, len(self.items)))
            orders.data[:] = 1.0
            counts = (orders.T @ orders).tocsr()
            counts.setdiag(0)
            counts.eliminate_zeros()
            norm = np.sqrt(np.maximum(np.asarray(orders.sum(axis=0)).ravel(), 1.0))  # orders holding each item
            cosine = sparse.diags(1.0 / norm) @ counts @ sparse.diags(1.0 / norm)
            self._copurchase = _prune_rows(cosine.tocsr().astype(np.float32), COPURCHASE_NEIGHBOURS)
        return self._copurchase


def purchase_index_build(
    purchases: Iterable[Purchase], *, cutoff: datetime, catalogue: Sequence[str] | None = None,
) -> PurchaseIndex:
    """Index the purchases placed strictly before ``cutoff``. ``catalogue`` (item keys that may be
    recommended, e.g. active products) defaults to every item bought before the cutoff."""
    lines: dict[tuple[str, str, str], datetime] = {}
    for p in purchases:
        if p.at < cutoff:
            lines.setdefault((p.member, p.order, p.item), p.at)
    members = sorted({m for m, _, _ in lines})
    bought = {i for _, _, i in lines}
    allowed_keys = set(catalogue) if catalogue is not None else bought
    items = sorted(bought | allowed_keys)
    m_index = {m: i for i, m in enumerate(members)}
    i_index = {k: i for i, k in enumerate(items)}
    o_index: dict[tuple[str, str], int] = {}
    n = len(lines)
    line_member = np.empty(n, dtype=np.int64)
    line_item = np.empty(n, dtype=np.int64)
    line_order = np.empty(n, dtype=np.int64)
    line_age = np.empty(n, dtype=np.float64)
    for row, ((member, order, item), at) in enumerate(lines.items()):
        line_member[row] = m_index[member]
        line_item[row] = i_index[item]
        line_order[row] = o_index.setdefault((member, order), len(o_index))
        line_age[row] = (cutoff - at).total_seconds() / DAY_SECONDS
    allowed = np.array([k in allowed_keys for k in items], dtype=bool)
    return PurchaseIndex(cutoff=cutoff, members=members, items=items, allowed=allowed, line_member=line_member,
                         line_item=line_item, line_order=line_order, line_age=line_age)


class AlsModel:
    """implicit's ALS on (member x item) order counts, confidence 1 + alpha * count."""

    def __init__(self, index: PurchaseIndex, *, factors: int = 64, iterations: int = 15,
                 regularization: float = 0.05, alpha: float = 20.0, seed: int = 42, threads: int = 1) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        matrix = index.pair_count.copy().astype(np.float32)
        matrix.data = 1.0 + alpha * matrix.data
        factors = max(2, min(factors, min(matrix.shape) - 1)) if min(matrix.shape) > 2 else 2
        model = AlternatingLeastSquares(factors=factors, iterations=iterations, regularization=regularization,
                                        random_state=seed, num_threads=threads)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):  # implicit runs its own threads; BLAS's would fight them
            model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.user_factors[rows] @ self.item_factors.T


def text_member_vectors(index: PurchaseIndex, item_vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each member's recency-decayed mean of the vectors of the items they bought, L2-normalised."""
    pooled = index.pair_decay[rows] @ item_vectors
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def item_vector_matrix(index: PurchaseIndex, vectors: Mapping[str, np.ndarray] | None) -> np.ndarray | None:
    """(items x d) L2-normalised, zero rows for items without a vector; None without vectors."""
    if not vectors:
        return None
    dim = len(next(iter(vectors.values())))
    matrix = np.zeros((len(index.items), dim), dtype=np.float32)
    for i, key in enumerate(index.items):
        if key in vectors:
            matrix[i] = vectors[key]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def member_batches(rows: np.ndarray, n_items: int) -> Iterable[np.ndarray]:
    size = int(max(16, min(2048, BATCH_CELLS // max(n_items, 1))))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def top_n_mask(scores: np.ndarray, n: int, valid: np.ndarray) -> np.ndarray:
    """Boolean mask of each row's ``n`` highest scores among cells where ``valid`` (and score > 0)."""
    mask = np.zeros(scores.shape, dtype=bool)
    if n <= 0 or scores.shape[1] == 0:
        return mask
    masked = np.where(valid & (scores > 0), scores, -np.inf)
    n = min(n, scores.shape[1])
    top = np.argpartition(-masked, n - 1, axis=1)[:, :n]
    picked = np.take_along_axis(masked, top, axis=1) > -np.inf
    rows = np.repeat(np.arange(scores.shape[0]), n).reshape(-1, n)
    mask[rows[picked], top[picked]] = True
    return mask


def _pair_reduce(rows, cols, values, shape, ufunc) -> sparse.csr_matrix:
    key = rows * shape[1] + cols
    order = np.lexsort((values, key))
    key, values = key[order], values[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.array([], dtype=np.int64)
    reduced = ufunc.reduceat(values, starts) if len(key) else values
    uniq = key[starts] if len(key) else key
    # Store age + 1 so that a same-day purchase (age ~0) is not an implicit zero of the sparse matrix.
    return sparse.csr_matrix(((reduced + 1.0).astype(np.float32), (uniq // shape[1], uniq % shape[1])), shape=shape)


def _group_reduce(groups, values, size, ufunc) -> np.ndarray:
    out = np.full(size, np.nan, dtype=np.float32)
    if len(groups):
        initial = np.inf if ufunc is np.minimum else -np.inf
        acc = np.full(size, initial)
        ufunc.at(acc, groups, values)
        out = np.where(np.isfinite(acc), acc, np.nan).astype(np.float32)
    return out


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros(len(a), dtype=np.float32), where=b > 0).astype(np.float32)


def _prune_rows(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    indptr, indices, data = [0], [], []
    for row in range(matrix.shape[0]):
        lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
        cols, vals = matrix.indices[lo:hi], matrix.data[lo:hi]
        if hi - lo > keep:
            best = np.argpartition(-vals, keep - 1)[:keep]
            cols, vals = cols[best], vals[best]
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + len(cols))
    return sparse.csr_matrix(
        (np.concatenate(data) if data else np.array([], np.float32),
         np.concatenate(indices) if indices else np.array([], np.int32), np.array(indptr)), shape=matrix.shape)
