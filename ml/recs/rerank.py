"""Business rules applied to retrieved candidates, in this order:

1. inactive items never appear;
2. items the member already bought appear only if they are repeatable (see data.repeatable_items);
3. category diversity: at most ``max_per_category`` items of one category in the list, unless too
   few other candidates remain to fill it -- then the best over-cap items fill the tail, so a
   member still gets ``k`` recommendations when the candidates allow. Items without a category are
   not capped (there is nothing to diversify on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RerankRules:
    k: int = 10  # recommendations kept per member
    max_per_category: int = 3  # diversity cap per category within the k


DEFAULT_RULES = RerankRules()


def rerank(
    candidates: Sequence[tuple[int, float]],
    *,
    bought: set[int],
    repeatable: set[int],
    active: Sequence[bool],
    categories: Sequence[str],
    rules: RerankRules = DEFAULT_RULES,
) -> list[tuple[int, float]]:
    """Filter and reorder ``candidates`` ((item index, score), best first) into at most ``rules.k``."""
    allowed = [
        (item, score) for item, score in candidates
        if active[item] and (item not in bought or item in repeatable)
    ]
    kept: list[tuple[int, float]] = []
    overflow: list[tuple[int, float]] = []
    per_category: Counter[str] = Counter()
    for item, score in allowed:
        category = categories[item]
        if category and per_category[category] >= rules.max_per_category:
            overflow.append((item, score))
            continue
        per_category[category] += 1
        kept.append((item, score))
        if len(kept) == rules.k:
            return kept
    return kept + overflow[: rules.k - len(kept)]
