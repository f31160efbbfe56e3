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

from ml.recs.data import HISTORY_TEXT_TITLES, CatalogItem, MemberHistory, history_text, item_text
from ml.recs.rerank import DEFAULT_RULES, RerankRules, rerank

MEMBER_BATCH = 512  # members scored per matrix product
MAX_HISTORY_TITLES = 20  # history items pooled into the member vector and searched for a reason
CANDIDATES = 100  # retrieved per member before the business rules pick the final k
RECS_MAX_LENGTH = 128  # token cap per history/item text, in fine-tuning and encoding alike (rarely binds:
# histories hold HISTORY_TEXT_TITLES titles, and batches pad only to their longest text)
RECENCY_DECAY = 0.9  # weight of the i-th most recent history item in the pooled member vector: 0.9**i


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def mix_member_vectors(text: np.ndarray, pooled: np.ndarray, text_weight: float) -> np.ndarray:
    """The member tower's output: text_weight * text + (1 - text_weight) * pooled, L2-normalised."""
    return _normalise(text_weight * text + (1.0 - text_weight) * pooled)


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
    import torch  # imported when used: web processes import this module for likely_buyers

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

    The member tower mixes two views of the history: the encoded history text (what the
    contrastive fine-tune trains) with weight ``text_weight``, and the recency-weighted mean of
    the history items' vectors with weight 1 - text_weight. ``text_weight=0`` needs no text
    encoding at all, so it is the fast path.
    """

    def __init__(
        self, encoder: TextEncoder, items: Sequence[CatalogItem], *, popularity: Mapping[str, float] | None = None,
        repeatable: set[str] = frozenset(), popularity_weight: float = 0.0, rules: RerankRules = DEFAULT_RULES,
        item_vectors: np.ndarray | None = None, text_weight: float = 0.5,
    ) -> None:
        if not 0.0 <= text_weight <= 1.0:
            raise ValueError(f"text_weight must be within [0, 1], got {text_weight}")
        self.text_weight = text_weight
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
        title = lambda key: self.items[self.index[key]].title
        return [
            history_text([title(k) for k in h.bought if k in self.index][:HISTORY_TEXT_TITLES],
                         [title(k) for k in h.liked if k in self.index][:HISTORY_TEXT_TITLES])
            for h in histories
        ]

    def pooled_vectors(self, histories: Sequence[MemberHistory]) -> np.ndarray:
        """Recency-weighted mean of each history's item vectors (bought, then liked), L2-normalised;
        a zero row for an empty history."""
        rows = np.zeros((len(histories), self.item_vectors.shape[1]), dtype=np.float32)
        for row, history in enumerate(histories):
            keys = [k for k in dict.fromkeys(history.bought + history.liked) if k in self.index][:MAX_HISTORY_TITLES]
            if keys:
                weights = RECENCY_DECAY ** np.arange(len(keys), dtype=np.float32)
                rows[row] = weights @ self.item_vectors[[self.index[k] for k in keys]]
        return _normalise(rows)

    def member_vectors(self, histories: Sequence[MemberHistory]) -> np.ndarray:
        pooled = self.pooled_vectors(histories)
        if self.text_weight == 0.0:
            return pooled
        text = self.encoder.encode(self.member_texts(histories))
        return mix_member_vectors(text, pooled, self.text_weight)

    def _owned(self, history: MemberHistory) -> set[int]:
        """Items bought or reviewed (a review means the member has it)."""
        return {self.index[k] for k in history.bought + history.liked if k in self.index}

    def _banned(self, history: MemberHistory) -> list[int]:
        bought = self._owned(history)
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
            chosen = rerank(pairs, bought=self._owned(history),
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
        if key in history.bought or key in history.liked:
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
