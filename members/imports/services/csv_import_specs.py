"""What each CSV import kind looks like: its columns, their types, its natural key and its references.

This is the one place that describes the files (docs/csv-formats.md is the version for people).
The importer (csv_import.py) is generic over these specs: adding a column means adding a Column
here, and its limits come from the model field it is stored in.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from members.core.models.member import Gender
from members.imports.services import csv_import_fields as f
from members.models import Member, MemberStatus, Order, OrderItem, OrderStatus, Product, Review, Tier

# Postgres column types of the staging table (SQLite staging columns are untyped).
TEXT, TIMESTAMP, NUMERIC, INTEGER, BOOLEAN = "text", "timestamptz", "numeric", "integer", "boolean"

POSTGRES_INT_MAX = 2_147_483_647


@dataclass(frozen=True)
class Column:
    """One CSV column: its header name, how to parse it, and where the value is stored.

    `field` is the model field written with the value; None for a column that only identifies
    another row (a Reference resolves it to a foreign key). The header name doubles as the
    staging table's column name, so it must be a plain lower-case identifier.
    """

    name: str
    parse: f.Parser
    sql_type: str
    field: str | None


@dataclass(frozen=True)
class Reference:
    """A CSV column holding another row's natural key, stored as the foreign key `field`.

    A blank value stores NULL, unless `default_for_new` is given: then a blank keeps an existing
    row's current value and a new row gets `default_for_new()` (members.tier).
    """

    column: str
    field: str
    key: str
    noun: str
    default_for_new: Callable[[], int] | None = None


@dataclass(frozen=True)
class ImportSpec:
    """One import kind.

    `key_columns`: the CSV columns that identify a row; a file may hold each key once.
    `conflict_fields`: the model fields of the unique constraint the upsert targets (the same
    identity, after references are resolved to ids).
    `insert_only`: (model field, SQL literal) written only when a row is created, for NOT NULL
    columns the CSV does not carry (Django's field defaults are not database defaults).
    """

    kind: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    conflict_fields: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    insert_only: tuple[tuple[str, str], ...] = ()

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _lowest_tier_id() -> int:
    """New members start on the lowest rung of the ladder (migration 0002 creates it)."""
    tier_id = Tier.objects.order_by("rank").values_list("pk", flat=True).first()
    if tier_id is None:
        raise LookupError("There are no tiers: run `manage.py migrate` to create the default ladder.")
    return tier_id


MEMBERS = ImportSpec(
    kind="members",
    model=Member,
    columns=(
        Column("external_id", f.external_id(Member, "external_id"), TEXT, "external_id"),
        Column("email", f.email(Member, "email"), TEXT, "email"),
        Column("name", f.text(Member, "name"), TEXT, "name"),
        Column("joined_at", f.timestamp(), TIMESTAMP, "joined_at"),
        Column("country", f.text(Member, "country"), TEXT, "country"),
        Column("city", f.text(Member, "city"), TEXT, "city"),
        Column(
            "birth_year", f.whole_number(minimum=1900, maximum=2100, required=False), INTEGER, "birth_year"
        ),
        Column("gender", f.choice(["", *Gender.values], default=""), TEXT, "gender"),
        Column("status", f.choice(MemberStatus.values, default=MemberStatus.ACTIVE), TEXT, "status"),
        Column("marketing_consent", f.boolean(default=False), BOOLEAN, "marketing_consent"),
        Column("tier", f.optional_key(Tier, "code"), TEXT, None),
    ),
    key_columns=("external_id",),
    conflict_fields=("external_id",),
    references=(Reference("tier", "tier", "code", "tier", default_for_new=_lowest_tier_id),),
)

PRODUCTS = ImportSpec(
    kind="products",
    model=Product,
    columns=(
        Column("sku", f.text(Product, "sku", required=True), TEXT, "sku"),
        Column("title", f.text(Product, "title", required=True), TEXT, "title"),
        Column("description", f.text(Product, "description"), TEXT, "description"),
        Column("category", f.text(Product, "category"), TEXT, "category"),
        Column("brand", f.text(Product, "brand"), TEXT, "brand"),
        Column("price", f.money(Product, "price"), NUMERIC, "price"),
        Column("currency", f.currency(default="USD"), TEXT, "currency"),
        Column("active", f.boolean(default=True), BOOLEAN, "active"),
    ),
    key_columns=("sku",),
    conflict_fields=("sku",),
)

ORDERS = ImportSpec(
    kind="orders",
    model=Order,
    columns=(
        Column("external_id", f.external_id(Order, "external_id"), TEXT, "external_id"),
        Column("member_external_id", f.text(Member, "external_id", required=True), TEXT, None),
        Column("placed_at", f.timestamp(), TIMESTAMP, "placed_at"),
        Column("status", f.choice(OrderStatus.values, default=OrderStatus.PLACED), TEXT, "status"),
        Column("channel", f.text(Order, "channel"), TEXT, "channel"),
        Column("currency", f.currency(default="USD"), TEXT, "currency"),
        Column("total", f.money(Order, "total"), NUMERIC, "total"),
    ),
    key_columns=("external_id",),
    conflict_fields=("external_id",),
    references=(Reference("member_external_id", "member", "external_id", "member"),),
)

ORDER_ITEMS = ImportSpec(
    kind="order_items",
    model=OrderItem,
    columns=(
        Column("order_external_id", f.text(Order, "external_id", required=True), TEXT, None),
        Column("line_number", f.whole_number(minimum=1, maximum=POSTGRES_INT_MAX), INTEGER, "line_number"),
        Column("sku", f.text(Product, "sku", required=True), TEXT, None),
        Column("quantity", f.whole_number(minimum=1, maximum=POSTGRES_INT_MAX), INTEGER, "quantity"),
        Column("unit_price", f.money(OrderItem, "unit_price"), NUMERIC, "unit_price"),
    ),
    key_columns=("order_external_id", "line_number"),
    conflict_fields=("order", "line_number"),
    references=(
        Reference("order_external_id", "order", "external_id", "order"),
        Reference("sku", "product", "sku", "product"),
    ),
)

REVIEWS = ImportSpec(
    kind="reviews",
    model=Review,
    columns=(
        Column("external_id", f.external_id(Review, "external_id"), TEXT, "external_id"),
        Column("member_external_id", f.text(Member, "external_id", required=True), TEXT, None),
        Column("product_sku", f.text(Product, "sku", required=True), TEXT, None),
        Column("order_external_id", f.optional_key(Order, "external_id"), TEXT, None),
        Column("rating", f.whole_number(minimum=1, maximum=5), INTEGER, "rating"),
        Column("title", f.text(Review, "title"), TEXT, "title"),
        Column("body", f.text(Review, "body"), TEXT, "body"),
        Column("language", f.text(Review, "language", default="en"), TEXT, "language"),
        Column("created_at", f.timestamp(), TIMESTAMP, "created_at"),
    ),
    key_columns=("external_id",),
    conflict_fields=("external_id",),
    references=(
        Reference("member_external_id", "member", "external_id", "member"),
        Reference("product_sku", "product", "sku", "product"),
        Reference("order_external_id", "order", "external_id", "order"),
    ),
    # Model outputs start empty; the review-scoring job fills them.
    insert_only=(
        ("sentiment", "''"),
        ("topics", "'[]'"),
        ("model_version", "''"),
        ("sentiment_probabilities", "'{}'"),
        ("entities", "'[]'"),
        ("sentiment_label_human", "''"),
    ),
)

SPECS: dict[str, ImportSpec] = {spec.kind: spec for spec in (MEMBERS, PRODUCTS, ORDERS, ORDER_ITEMS, REVIEWS)}
