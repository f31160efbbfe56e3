"""Two-tower retrieval: one encoder embeds catalogue items (item_text) and member histories
(history_text) into the same space; a member's candidates are the items with the highest cosine
similarity, plus an optional popularity prior, found by batched matrix products.

Exact search: a (members x items) product per batch is milliseconds for catalogues up to ~10^5
items; past that an approximate index (e.g. FAISS IVF) would replace ``top_k``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from ml.recs.data import CatalogItem, MemberHistory, history_text, item_text
from ml.recs.rerank import RerankRules, rerank

MEMBER_BATCH = 512  # members scored per matrix product
MAX_HISTORY_TITLES = 20  # titles in a history text; the encoder truncates beyond its max length anyway
CANDIDATES = 100  # retrieved per member before the business rules pick the final k


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str | None], *, batch_size: int = ...) -> np.ndarray: ...


def top_k(
    queries: np.ndarray, keys: np.ndarray, k: int, *, bias: np.ndarray | None = None,
    exclude: Sequence[Sequence[int]] | None = None, batch_size: int = MEMBER_BATCH,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the k best keys per query row (score = dot product + bias[key]).

    ``exclude[i]`` lists key indices query i may not get (they score -inf; if fewer than k keys
    remain, the tail holds -inf scores and callers drop them). Returns two (len(queries), k) arrays.
    """
    k = min(k, keys.shape[0])
    key_t = torch.from_numpy(np.ascontiguousarray(keys, dtype=np.float32))
    bias_t = None if bias is None else torch.from_numpy(np.asarray(bias, dtype=np.float32))
    all_idx, all_scores = [], []
    with torch.inference_mode():
        for start in range(0, queries.shape[0], batch_size):
            q = torch.from_numpy(np.ascontiguousarray(queries[start : start + batch_size], dtype=np.float32))
            scores = q @ key_t.T
            if bias_t is not None:
                scores += bias_t
            if exclude is not None:
                for row, banned in enumerate(exclude[start : start + batch_size]):
                    if len(banned):
                        scores[row, torch.as_tensor(list(banned), dtype=torch.long)] = -math.inf
            values, indices = torch.topk(scores, k, dim=1)
            all_idx.append(indices.numpy())
            all_scores.append(values.numpy())
    if not all_idx:
        return np.zeros((0, k), dtype=np.int64), np.zeros((0, k), dtype=np.float32)
    return np.concatenate(all_idx), np.concatenate(all_scores)


@dataclass(frozen=True)
class Recommended:
    item: str
    score: float
    because: str | None  # the history item this one is most similar to; None for popularity picks
    because_kind: str  # "bought", "liked" (reviewed positively), "again" (bought before), "popular"


class Recommender:
    """Items embedded once; members recommended in batches (see ``recommend``).

    ``popularity`` maps item -> purchase count; with ``popularity_weight`` > 0 each score gets
    weight * log(1 + count) / log(1 + max count), a prior that breaks ties towards what sells.
    Members with no history get the most popular allowed items (kind "popular").
    """

    def __init__(
        self, encoder: TextEncoder, items: Sequence[CatalogItem], *, popularity: Mapping[str, float] | None = None,
        repeatable: set[str] = frozenset(), popularity_weight: float = 0.0, rules: RerankRules = RerankRules(),
        item_vectors: np.ndarray | None = None,
    ) -> None:
        self.encoder = encoder
        self.items = list(items)
        self.index = {item.key: i for i, item in enumerate(self.items)}
        self.rules = rules
        self.active = [item.active for item in self.items]
        self.categories = [item.category for item in self.items]
        self.repeatable = {self.index[key] for key in repeatable if key in self.index}
        counts = np.array([float((popularity or {}).get(item.key, 0.0)) for item in self.items], dtype=np.float32)
        top = float(counts.max()) if len(counts) else 0.0
        self.popularity = np.log1p(counts) / math.log1p(top) if top > 0 else np.zeros_like(counts)
        self.bias = popularity_weight * self.popularity if popularity_weight else None
        self.item_vectors = item_vectors if item_vectors is not None else encoder.encode([item_text(i) for i in self.items])

    def member_texts(self, histories: Sequence[MemberHistory]) -> list[str]:
        title = lambda key: self.items[self.index[key]].title  # noqa: E731
        return [
            history_text([title(k) for k in h.bought if k in self.index][:MAX_HISTORY_TITLES],
                         [title(k) for k in h.liked if k in self.index][:MAX_HISTORY_TITLES])
            for h in histories
        ]

    def member_vectors(self, histories: Sequence[MemberHistory]) -> np.ndarray:
        return self.encoder.encode(self.member_texts(histories))

    def _banned(self, history: MemberHistory) -> list[int]:
        bought = {self.index[k] for k in history.bought if k in self.index}
        inactive = [i for i, ok in enumerate(self.active) if not ok]
        return sorted((bought - self.repeatable).union(inactive))

    def recommend(
        self, histories: Mapping[str, MemberHistory], *, candidates: int = CANDIDATES,
        member_vectors: np.ndarray | None = None,
    ) -> dict[str, list[Recommended]]:
        """Up to rules.k Recommended per member, best first, business rules applied.

        ``member_vectors`` (rows in ``histories`` order) skips encoding when the caller has them.
        """
        members = list(histories)
        warm = [m for m in members if any(k in self.index for k in histories[m].bought + histories[m].liked)]
        result: dict[str, list[Recommended]] = {m: self._popular(histories[m]) for m in members if m not in set(warm)}
        if not warm:
            return result
        if member_vectors is None:
            vectors = self.member_vectors([histories[m] for m in warm])
        else:
            position = {m: i for i, m in enumerate(members)}
            vectors = member_vectors[[position[m] for m in warm]]
        banned = [self._banned(histories[m]) for m in warm]
        indices, scores = top_k(vectors, self.item_vectors, candidates, bias=self.bias, exclude=banned)
        for row, member in enumerate(warm):
            history = histories[member]
            pairs = [(int(i), float(s)) for i, s in zip(indices[row], scores[row]) if np.isfinite(s)]
            chosen = rerank(pairs, bought={self.index[k] for k in history.bought if k in self.index},
                            repeatable=self.repeatable, active=self.active, categories=self.categories, rules=self.rules)
            result[member] = [self._explain(history, item, score) for item, score in chosen]
        return result

    def _popular(self, history: MemberHistory) -> list[Recommended]:
        order = np.argsort(-self.popularity, kind="stable")
        banned = set(self._banned(history))
        pairs = [(int(i), float(self.popularity[i])) for i in order[: CANDIDATES + len(banned)] if int(i) not in banned]
        chosen = rerank(pairs, bought=set(), repeatable=set(), active=self.active, categories=self.categories,
                        rules=self.rules)
        return [Recommended(self.items[i].key, score, None, "popular") for i, score in chosen]

    def _explain(self, history: MemberHistory, item: int, score: float) -> Recommended:
        key = self.items[item].key
        if key in history.bought:
            return Recommended(key, score, key, "again")
        sources = [(k, "liked") for k in history.liked if k in self.index][:MAX_HISTORY_TITLES]
        sources += [(k, "bought") for k in history.bought if k in self.index][:MAX_HISTORY_TITLES]
        vectors = self.item_vectors[[self.index[k] for k, _ in sources]]
        best = int(np.argmax(vectors @ self.item_vectors[item]))
        return Recommended(key, score, sources[best][0], sources[best][1])


def likely_buyers(member_vectors: np.ndarray, target: np.ndarray, k: int, *, exclude: Sequence[int] = ()) -> list[tuple[int, float]]:
    """The k member rows most similar to ``target`` (an item vector, or a category's mean item
    vector), best first, skipping rows in ``exclude`` (e.g. members who already bought it)."""
    if member_vectors.shape[0] == 0:
        return []
    indices, scores = top_k(target[None, :], member_vectors, k + len(exclude))
    banned = set(exclude)
    picks = [(int(i), float(s)) for i, s in zip(indices[0], scores[0]) if int(i) not in banned]
    return picks[:k]


def category_vector(item_vectors: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """The L2-normalised mean of a category's item vectors."""
    mean = item_vectors[list(rows)].mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)
