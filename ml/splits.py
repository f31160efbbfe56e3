"""Train / validation / test splits.

* Timestamps on every example -> split by time: oldest 60% train, next 20% validation, newest
  20% test (shares from the config). This is how the model will be used -- trained on the past,
  scoring reviews that arrive later -- so it is the honest estimate.
* No timestamps -> seeded random split stratified by label (``random.Random(seed)``): each part
  gets its share of every class, so rare classes appear in validation and test too.
* At least ``MIN_HUMAN_TEST_ROWS`` human-labelled examples -> they are the test set, and the
  weakly labelled rest is split into train/validation by the train:validation shares (see ml.labels).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ml.data import Example
from ml.labels import MIN_HUMAN_TEST_ROWS


@dataclass(frozen=True)
class Split:
    train: list[Example]
    validation: list[Example]
    test: list[Example]
    strategy: str  # how it was made, in words, for config.json

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


def _cut_points(n: int, shares: Sequence[float]) -> list[int]:
    """Boundaries that divide n items by shares, rounding cumulatively so the parts add up to n."""
    points, running = [], 0.0
    for share in shares[:-1]:
        running += share
        points.append(round(n * running))
    return points


def _cut(items: list[Example], shares: Sequence[float]) -> list[list[Example]]:
    bounds = [0, *_cut_points(len(items), shares), len(items)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(len(shares))]


def split_by_time(items: Sequence[Example], shares: Sequence[float]) -> list[list[Example]]:
    """Oldest first; ties broken by input order so the split is deterministic."""
    ordered = sorted(items, key=lambda e: (e.timestamp, e.index))
    return _cut(ordered, shares)


def split_stratified(items: Sequence[Example], shares: Sequence[float], seed: int) -> list[list[Example]]:
    """Each class is shuffled, then all classes are interleaved by relative position within their
    class, and the interleaved list is cut once: part sizes follow the shares exactly and every
    class is spread over the parts in proportion (to within one row)."""
    rng = random.Random(seed)
    by_label: dict[int, list[Example]] = defaultdict(list)
    for example in items:
        by_label[example.label_id].append(example)
    keyed: list[tuple[float, int, Example]] = []
    for label in sorted(by_label):
        group = by_label[label]
        rng.shuffle(group)
        keyed.extend(((j + 0.5) / len(group), label, example) for j, example in enumerate(group))
    keyed.sort(key=lambda item: (item[0], item[1]))
    parts = _cut([example for _, _, example in keyed], shares)
    for part in parts:
        part.sort(key=lambda e: e.index)  # stable, input-ordered parts; the Trainer shuffles per epoch
    return parts


def _split(items: Sequence[Example], shares: Sequence[float], seed: int) -> tuple[list[list[Example]], str]:
    if items and all(e.timestamp is not None for e in items):
        return split_by_time(items, shares), "by time (oldest train, newest test)"
    return split_stratified(items, shares, seed), f"seeded random, stratified by label (seed {seed})"


def split_examples(examples: Sequence[Example], *, shares: Sequence[float], seed: int) -> Split:
    """Split labelled examples; see the module docstring for the rules."""
    human = [e for e in examples if e.human]
    if len(human) >= MIN_HUMAN_TEST_ROWS:
        weak = [e for e in examples if not e.human]
        train_share, val_share = shares[0], shares[1]
        total = train_share + val_share
        (train, validation), how = _split(weak, (train_share / total, val_share / total), seed)
        strategy = f"human-labelled rows ({len(human)}) as test set; weak-labelled rows split {how}"
        return Split(train, validation, sorted(human, key=lambda e: e.index), strategy)
    (train, validation, test), how = _split(examples, shares, seed)
    return Split(train, validation, test, how)


def cap_examples(examples: list[Example], limit: int | None, seed: int) -> list[Example]:
    """A seeded random subset of at most ``limit`` examples, in input order."""
    if limit is None or len(examples) <= limit:
        return examples
    chosen = random.Random(seed).sample(examples, limit)
    return sorted(chosen, key=lambda e: e.index)
