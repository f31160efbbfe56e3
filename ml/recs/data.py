"""The rows recommendations are built from, the texts the encoder sees, and the time split.

Members and items are opaque string keys (a member's external id, a product's SKU): the Django
side and the benchmark both hand in plain rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

DESCRIPTION_CHARS = 200  # enough to name the product; the encoder truncates anyway
# Newest titles in a history text, in fine-tuning and in the member tower's text view alike. Ten
# Online Retail titles are ~67 MiniLM tokens (p99 82); twenty were ~128 and doubled a fine-tune step.
HISTORY_TEXT_TITLES = 10
POSITIVE_RATING = 4  # a review of 4 or 5 stars counts as "reviewed positively"


@dataclass(frozen=True)
class CatalogItem:
    key: str
    title: str
    category: str = ""
    brand: str = ""
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class Purchase:
    member: str
    item: str
    order: str  # purchases sharing an order id were bought together
    at: datetime


@dataclass(frozen=True)
class Opinion:
    member: str
    item: str
    rating: int  # 1-5 stars
    at: datetime


def item_text(item: CatalogItem) -> str:
    """What the item tower encodes: title, category, brand and the start of the description."""
    parts = [item.title.strip()]
    if item.category.strip():
        parts.append(f"category: {item.category.strip()}")
    if item.brand.strip():
        parts.append(f"brand: {item.brand.strip()}")
    if item.description.strip() and item.description.strip().lower() != item.title.strip().lower():
        parts.append(item.description.strip()[:DESCRIPTION_CHARS])
    return ". ".join(parts)


def history_text(bought: Sequence[str], liked: Sequence[str] = ()) -> str:
    """What the member tower encodes: titles bought (most recent first) and titles reviewed positively.

    The encoder truncates at its max length, so putting the most recent purchases first keeps them.
    """
    text = "bought: " + "; ".join(bought) if bought else "bought nothing yet"
    if liked:
        text += ". liked: " + "; ".join(liked)
    return text


@dataclass
class MemberHistory:
    """One member's past, most recent first, each item once."""

    bought: list[str] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)


def member_histories(purchases: Iterable[Purchase], opinions: Iterable[Opinion] = ()) -> dict[str, MemberHistory]:
    """Histories keyed by member: items bought (newest first, unique) and items rated >= 4 stars."""
    by_member: dict[str, list[Purchase]] = defaultdict(list)
    for purchase in purchases:
        by_member[purchase.member].append(purchase)
    histories: dict[str, MemberHistory] = defaultdict(MemberHistory)
    for member, rows in by_member.items():
        rows.sort(key=lambda p: (p.at, p.order), reverse=True)
        histories[member].bought = list(dict.fromkeys(p.item for p in rows))
    liked: dict[str, list[Opinion]] = defaultdict(list)
    for opinion in opinions:
        if opinion.rating >= POSITIVE_RATING:
            liked[opinion.member].append(opinion)
    for member, rows in liked.items():
        rows.sort(key=lambda o: o.at, reverse=True)
        histories[member].liked = list(dict.fromkeys(o.item for o in rows))
    return dict(histories)


def orders_by_member(purchases: Iterable[Purchase]) -> dict[str, list[tuple[datetime, str, list[str]]]]:
    """Each member's orders oldest first as (placed at, order id, items in line order)."""
    grouped: dict[tuple[str, str], tuple[datetime, list[str]]] = {}
    for p in purchases:
        at, items = grouped.setdefault((p.member, p.order), (p.at, []))
        items.append(p.item)
    result: dict[str, list[tuple[datetime, str, list[str]]]] = defaultdict(list)
    for (member, order), (at, items) in grouped.items():
        result[member].append((at, order, items))
    for orders in result.values():
        orders.sort(key=lambda o: (o[0], o[1]))
    return dict(result)


@dataclass
class TimeSplit:
    train: list[Purchase]  # everything except each evaluated member's last order
    held_out: dict[str, set[str]]  # evaluated member -> items of their last order


def split_last_order(purchases: Iterable[Purchase]) -> TimeSplit:
    """Hold out each member's last order; members with a single order stay whole in train.

    Only members with an earlier order are evaluated, since there is a history to recommend from.
    Ties on the timestamp break on the order id, so the split is deterministic.
    """
    rows = list(purchases)
    held_orders: dict[str, str] = {}
    held_out: dict[str, set[str]] = {}
    for member, orders in orders_by_member(rows).items():
        if len(orders) >= 2:
            _, order, items = orders[-1]
            held_orders[member] = order
            held_out[member] = set(items)
    train = [p for p in rows if held_orders.get(p.member) != p.order]
    return TimeSplit(train=train, held_out=held_out)


def next_item_pairs(
    purchases: Iterable[Purchase], *, max_history: int = 20
) -> list[tuple[list[str], str]]:
    """Training pairs (history before an order, newest first; an item of that order) for every
    order after a member's first. An item already in the history is still a positive: shops live on
    repeat purchases, and the reranker decides what may be offered again."""
    pairs: list[tuple[list[str], str]] = []
    for orders in orders_by_member(purchases).values():
        seen: list[str] = []
        for index, (_, _, items) in enumerate(orders):
            if index:
                history = list(dict.fromkeys(reversed(seen)))[:max_history]
                pairs.extend((history, item) for item in dict.fromkeys(items))
            seen.extend(items)
    return pairs


def next_item_text_pairs(
    purchases: Iterable[Purchase], items: Iterable[CatalogItem], *, history_titles: int = HISTORY_TEXT_TITLES
) -> tuple[list[tuple[str, str]], list[str]]:
    """The fine-tune's input: (history text of the newest ``history_titles`` titles, item text) for
    each next_item_pairs pair, and each pair's item key (for the duplicate mask). Every purchased
    key must be in ``items``."""
    catalogue = {item.key: item for item in items}
    raw = next_item_pairs(purchases, max_history=history_titles)
    pairs = [(history_text([catalogue[k].title for k in history]), item_text(catalogue[item])) for history, item in raw]
    return pairs, [item for _, item in raw]


def repeatable_items(purchases: Iterable[Purchase], *, min_buyers: int = 3, min_repeat_share: float = 0.25) -> set[str]:
    """Items people buy again: at least `min_buyers` buyers, and at least `min_repeat_share` of them
    bought it in two or more orders (consumables, refills). The catalogue has no such flag, so the
    purchase history decides."""
    orders_per: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in purchases:
        orders_per[(p.item, p.member)].add(p.order)
    buyers: dict[str, int] = defaultdict(int)
    repeaters: dict[str, int] = defaultdict(int)
    for (item, _member), orders in orders_per.items():
        buyers[item] += 1
        repeaters[item] += len(orders) >= 2
    return {item for item, n in buyers.items() if n >= min_buyers and repeaters[item] / n >= min_repeat_share}
