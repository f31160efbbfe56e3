"""Idempotent upserts by external id for the partner API (single PUT and bulk).

Contract shared by every *_upsert_many function:
- `records` are already validated and shaped by the API serializers (field name -> Python value);
  references are external ids / SKUs and are resolved here, in one query per kind for the batch.
- Returns one UpsertResult per record, in order. A record is "rejected" (with field errors) when it
  names an unknown reference or repeats an external id earlier in the same batch; the others are
  written. Nothing of a rejected record is written (an order and its items are one record).
- Validate-then-write: all writes happen in one transaction of a fixed number of queries
  (lock existing rows, bulk insert, bulk update), however many records. A record whose values equal
  the stored row is "unchanged" and is not written, so updated_at only moves on a real change.
- Two writers racing to create the same external id: the loser's IntegrityError retries the batch,
  which then sees the row as existing.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from members.models import Member, Order, OrderItem, Product, Review, Tier
from members.tiers.services.tier_rechecks import REFUND_STATUSES, tier_rechecks_schedule

UpsertStatus = Literal["created", "updated", "unchanged", "rejected"]
MAX_RACE_RETRIES = 3

MEMBER_FIELDS = ("email", "name", "joined_at", "country", "city", "birth_year", "gender", "status",
                 "marketing_consent")
PRODUCT_FIELDS = ("title", "description", "category", "brand", "price", "currency", "active")
ORDER_FIELDS = ("member_id", "placed_at", "status", "channel", "currency", "total")
REVIEW_FIELDS = ("member_id", "product_id", "order_id", "rating", "title", "body", "language", "created_at")


@dataclass(frozen=True)
class UpsertResult:
    external_id: str
    status: UpsertStatus
    errors: dict[str, list[str]] = field(default_factory=dict)
    pk: int | None = None


@dataclass
class _Row:
    """One record resolved to model field values (or rejected with errors)."""

    key: str
    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)
    touched: bool = False  # changed outside `values` (an order's items): counts as an update


def _with_race_retry(write: Callable[[], list[UpsertResult]]) -> list[UpsertResult]:
    for attempt in range(MAX_RACE_RETRIES):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            if attempt == MAX_RACE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _reject_duplicates(rows: list[_Row], key_name: str) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.key in seen and not row.errors:
            row.errors[key_name] = ["Appears more than once in this batch."]
        seen.add(row.key)


def _write_rows(*, model: type[models.Model], key_field: str, fields: Sequence[str], rows: list[_Row],
                existing: dict[str, models.Model], new_defaults: Callable[[], dict]) -> list[UpsertResult]:
    """Insert new keys, update changed ones, leave equal ones alone; returns a result per row."""
    results: list[UpsertResult | None] = []
    created, changed = [], []
    defaults: dict | None = None
    now = timezone.now()
    for row in rows:
        if row.errors:
            results.append(UpsertResult(external_id=row.key, status="rejected", errors=row.errors))
            continue
        instance = existing.get(row.key)
        if instance is None:
            if defaults is None:
                defaults = new_defaults()
            instance = model(**{key_field: row.key, **defaults, **row.values})
            created.append(instance)
            results.append(None)
        elif row.touched or any(getattr(instance, name) != row.values[name] for name in fields):
            for name in fields:
                setattr(instance, name, row.values[name])
            instance.updated_at = now  # bulk_update skips auto_now
            changed.append(instance)
            results.append(None)
        else:
            results.append(UpsertResult(external_id=row.key, status="unchanged", pk=instance.pk))
    model.objects.bulk_create(created)
    if changed:
        model.objects.bulk_update(changed, [*fields, "updated_at"])
    created_keys = {getattr(obj, key_field) for obj in created}
    instances = {getattr(obj, key_field): obj for obj in [*created, *changed]}
    return [
        result
        if result is not None
        else UpsertResult(
            external_id=row.key,
            status="created" if row.key in created_keys else "updated",
            pk=instances[row.key].pk,
        )
        for row, result in zip(rows, results, strict=True)
    ]


def _lock_existing(model: type[models.Model], key_field: str, rows: list[_Row]) -> dict[str, models.Model]:
    keys = [row.key for row in rows if not row.errors]
    if not keys:
        return {}
    queryset = model.objects.select_for_update().filter(**{f"{key_field}__in": keys}).order_by("pk")
    return {getattr(obj, key_field): obj for obj in queryset}


def _entry_tier_defaults() -> dict:
    tier = Tier.objects.order_by("rank").first()
    if tier is None:
        raise Tier.DoesNotExist("The tier ladder is empty; new members need an entry tier.")
    return {"tier": tier}


def member_upsert_many(*, records: Sequence[dict]) -> list[UpsertResult]:
    """Upsert members by external_id. New members join the lowest-rank tier; the tier of an
    existing member is never changed here (tier moves go through TierChange)."""

    def write() -> list[UpsertResult]:
        rows = [_Row(key=r["external_id"], values={f: r[f] for f in MEMBER_FIELDS}) for r in records]
        _reject_duplicates(rows, "external_id")
        existing = _lock_existing(Member, "external_id", rows)
        return _write_rows(model=Member, key_field="external_id", fields=MEMBER_FIELDS, rows=rows,
                           existing=existing, new_defaults=_entry_tier_defaults)

    return _with_race_retry(write)


def product_upsert_many(*, records: Sequence[dict]) -> list[UpsertResult]:
    """Upsert products by sku."""

    def write() -> list[UpsertResult]:
        rows = [_Row(key=r["sku"], values={f: r[f] for f in PRODUCT_FIELDS}) for r in records]
        _reject_duplicates(rows, "sku")
        existing = _lock_existing(Product, "sku", rows)
        return _write_rows(model=Product, key_field="sku", fields=PRODUCT_FIELDS, rows=rows,
                           existing=existing, new_defaults=dict)

    return _with_race_retry(write)


def _id_map(model: type[models.Model], key_field: str, keys: set[str], *extra: str) -> dict:
    if not keys:
        return {}
    return {
        row[0]: row[1:] if extra else row[1]
        for row in model.objects.filter(**{f"{key_field}__in": keys}).values_list(key_field, "id", *extra)
    }


def order_upsert_many(*, records: Sequence[dict]) -> list[UpsertResult]:
    """Upsert orders by external_id with their items (all or nothing per order).

    `items` absent from a record leaves an existing order's items as they are; present (even empty),
    it is the complete list and replaces them when different.
    """

    def write() -> list[UpsertResult]:
        members = _id_map(Member, "external_id", {r["member"] for r in records})
        products = _id_map(Product, "sku", {i["sku"] for r in records for i in r.get("items") or ()})
        rows = [_order_row(r, members, products) for r in records]
        _reject_duplicates(rows, "external_id")
        existing = _lock_existing(Order, "external_id", rows)
        stored_items = _stored_items(existing.values())
        replace_keys = set()
        for row, record in zip(rows, records, strict=True):
            if row.errors or record.get("items") is None:
                continue
            wanted = {(i["line_number"], products[i["sku"]], i["quantity"], i["unit_price"])
                      for i in record["items"]}
            current = existing.get(row.key)
            if current is None or stored_items.get(current.pk, set()) != wanted:
                replace_keys.add(row.key)
                row.touched = current is not None
        refunded_member_ids = [
            existing[row.key].member_id
            for row in rows
            if not row.errors and row.key in existing
            and existing[row.key].status not in REFUND_STATUSES and row.values["status"] in REFUND_STATUSES
        ]
        results = _write_rows(model=Order, key_field="external_id", fields=ORDER_FIELDS, rows=rows,
                              existing=existing, new_defaults=dict)
        _replace_items(records, results, replace_keys, products)
        tier_rechecks_schedule(member_ids=refunded_member_ids)
        return results

    return _with_race_retry(write)


def _order_row(record: dict, members: dict, products: dict) -> _Row:
    errors: dict[str, list[str]] = {}
    member_id = members.get(record["member"])
    if member_id is None:
        errors["member"] = [f"Unknown member {record['member']!r}."]
    for index, item in enumerate(record.get("items") or ()):
        if item["sku"] not in products:
            errors[f"items[{index}].sku"] = [f"Unknown product sku {item['sku']!r}."]
    values = {f: record[f] for f in ORDER_FIELDS if f != "member_id"}
    return _Row(key=record["external_id"], values={**values, "member_id": member_id}, errors=errors)


def _stored_items(orders) -> dict[int, set[tuple]]:
    order_ids = [order.pk for order in orders]
    stored: dict[int, set[tuple]] = {}
    if order_ids:
        for order_id, *item in OrderItem.objects.filter(order_id__in=order_ids).values_list(
            "order_id", "line_number", "product_id", "quantity", "unit_price"
        ):
            stored.setdefault(order_id, set()).add(tuple(item))
    return stored


def _replace_items(records: Sequence[dict], results: list[UpsertResult], replace_keys: set[str],
                   products: dict) -> None:
    order_ids = {}
    for record, result in zip(records, results, strict=True):
        if result.external_id in replace_keys and result.status in ("created", "updated"):
            order_ids[result.pk] = record["items"]
    if not order_ids:
        return
    OrderItem.objects.filter(order_id__in=list(order_ids)).delete()
    OrderItem.objects.bulk_create(
        OrderItem(order_id=order_id, line_number=i["line_number"], product_id=products[i["sku"]],
                  quantity=i["quantity"], unit_price=i["unit_price"])
        for order_id, items in order_ids.items()
        for i in items
    )


def review_upsert_many(*, records: Sequence[dict]) -> list[UpsertResult]:
    """Upsert reviews by external_id. Model outputs (sentiment, topics, ...) are never touched;
    an optional order must belong to the same member."""

    def write() -> list[UpsertResult]:
        members = _id_map(Member, "external_id", {r["member"] for r in records})
        products = _id_map(Product, "sku", {r["product"] for r in records})
        orders = _id_map(Order, "external_id", {r["order"] for r in records if r.get("order")}, "member_id")
        rows = [_review_row(r, members, products, orders) for r in records]
        _reject_duplicates(rows, "external_id")
        existing = _lock_existing(Review, "external_id", rows)
        return _write_rows(model=Review, key_field="external_id", fields=REVIEW_FIELDS, rows=rows,
                           existing=existing, new_defaults=dict)

    results = _with_race_retry(write)
    _review_scoring_after_commit(results)
    return results


def _review_scoring_after_commit(results: list[UpsertResult]) -> None:
    """New reviews arrive unscored; changed ones are queued for re-scoring. One debounced scoring
    task picks them up (members/reviews/services/scoring.py), whatever the burst size."""
    from members.reviews.services.scoring import reviews_mark_unscored, reviews_schedule_scoring

    updated = [r.pk for r in results if r.status == "updated"]
    if updated:
        reviews_mark_unscored(review_ids=updated)
    if updated or any(r.status == "created" for r in results):
        transaction.on_commit(reviews_schedule_scoring, robust=True)


def _review_row(record: dict, members: dict, products: dict, orders: dict) -> _Row:
    errors: dict[str, list[str]] = {}
    member_id = members.get(record["member"])
    product_id = products.get(record["product"])
    order_id = None
    if member_id is None:
        errors["member"] = [f"Unknown member {record['member']!r}."]
    if product_id is None:
        errors["product"] = [f"Unknown product sku {record['product']!r}."]
    if record.get("order"):
        found = orders.get(record["order"])
        if found is None:
            errors["order"] = [f"Unknown order {record['order']!r}."]
        elif member_id is not None and found[1] != member_id:
            errors["order"] = [f"Order {record['order']!r} belongs to another member."]
        else:
            order_id = found[0]
    values = {f: record[f] for f in ("rating", "title", "body", "language", "created_at")}
    values.update(member_id=member_id, product_id=product_id, order_id=order_id)
    return _Row(key=record["external_id"], values=values, errors=errors)
