"""Import members, products, orders, order items and reviews from CSV: an idempotent, set-based upsert.

    report = import_csv_file(kind="orders", path=Path("orders.csv"), encoding="auto")

How it works, per batch of BATCH_SIZE readable records, in one transaction:
0. csv_import_encoding picks how the file is read (UTF-8, GB18030 or UTF-16; asked or detected).
1. csv_import_rows reads the file in one streaming pass: records with the wrong number of fields,
   bytes that are not valid in the encoding, NULs or an unclosed quote become RowErrors by line.
2. Postgres: the records go, as text, through COPY into a TEMP table, and one CREATE TABLE AS
   checks and converts every value in SQL (the columns' SqlRules, csv_import_fields) into the
   staging table. The few rows SQL does not accept are handed to the Python parsers, which have
   the final word and the words for the reason (or accept an unusual form, such as "1.500").
   SQLite (the embedded first-run database): each record is parsed in Python and the batch goes
   into the staging table by executemany. Everything after this is the same SQL on both.
   A key (spec.key_columns) may appear once per file; a later duplicate is rejected by line.
3. Rows naming an unknown member/product/order/tier are reported and removed from staging.
4. INSERT ... SELECT ... ON CONFLICT (natural key) DO UPDATE ... WHERE the stored values differ.
   The WHERE is what makes a re-import a no-op: unchanged rows are not rewritten, so their
   updated_at (set explicitly here; auto_now is an ORM feature) stays as it was.

Batches commit one by one: a failure mid-file (the database going away) keeps earlier batches,
and running the same file again finishes the job, because the import is idempotent.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from members.imports.services.csv_import_encoding import (
    AUTO,
    ENCODING_CHOICES,
    EncodingMismatch,
    csv_file_encoding,
)
from members.imports.services.csv_import_rows import (
    ImportFileError,
    ParsedRow,
    RawRow,
    RowError,
    csv_records,
    csv_rows_parse,
    duplicate_error,
    row_parse,
)
from members.imports.services.csv_import_specs import SPECS, ImportSpec, Reference
from members.reviews.services.scoring import reviews_schedule_scoring
from members.tiers.services.tier_rechecks import tier_rechecks_for_refunded_orders

__all__ = [
    "BATCH_SIZE",
    "ENCODING_CHOICES",
    "IMPORT_KINDS",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "csv_data_rows_count",
    "import_csv_file",
]

# Rows per transaction: big enough that COPY and the upsert dominate, small enough that one
# transaction holds a bounded number of row locks and a bounded staging table.
BATCH_SIZE = 50_000

IMPORT_KINDS: tuple[str, ...] = tuple(SPECS)

STAGING = "csv_import_staging"
RAW = "csv_import_raw"  # Postgres: the records as text, before the SQL checks


@dataclass
class ImportReport:
    """What an import did. rows_total = created + updated + unchanged + rejected."""

    kind: str
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str = "utf-8"  # the codec the file was read with: utf-8, gb18030, utf-16 or utf-16-le
    encoding_label: str = "UTF-8"  # the same for people, with how it was chosen: "GB18030 (detected)"

    @property
    def ok(self) -> bool:
        return self.rejected == 0


def import_csv_file(*, kind: str, path: Path, encoding: str = AUTO, batch_size: int = BATCH_SIZE,
                    on_rows: Callable[[int], None] | None = None) -> ImportReport:
    """Upsert every good record of the CSV file at `path` as `kind` (one of IMPORT_KINDS).

    `encoding` is one of ENCODING_CHOICES: "auto" (the default) detects UTF-8, UTF-16 or GB18030
    (csv_import_encoding); report.encoding and report.encoding_label say what was used.

    `on_rows(n)` hears, after each batch, how many more rows were read (progress bars).

    Bad records are skipped and listed in report.errors (sorted by line); good ones are kept.
    Raises ValueError for an unknown kind or encoding, ImportFileError when the file as a whole is
    unusable (empty, header lacking columns, a byte-order mark contradicting `encoding`: nothing is
    imported), OSError when it cannot be read.
    """
    spec = SPECS.get(kind)
    if spec is None:
        raise ValueError(f"Unknown import kind {kind!r}; expected one of {', '.join(IMPORT_KINDS)}.")
    try:
        chosen = csv_file_encoding(path=path, requested=encoding)
    except EncodingMismatch as exc:
        raise ImportFileError(str(exc)) from None
    report = ImportReport(kind=kind, encoding=chosen.codec, encoding_label=chosen.label)
    now = timezone.now()  # one timestamp for the whole import: its rows share an updated_at
    defaults = {ref.column: ref.default_for_new() for ref in spec.references if ref.default_for_new}
    seen_keys: dict[tuple, int] = {}  # Postgres: key -> first line, across batches
    if connection.vendor == "postgresql":
        read, load = csv_records, functools.partial(_batch_import_postgres, seen_keys=seen_keys)
    else:
        read, load = csv_rows_parse, _batch_import
    batch: list[RawRow | ParsedRow] = []
    reported = 0  # rows already passed to on_rows
    with Path(path).open("rb") as raw_lines:
        for item in read(spec=spec, raw_lines=raw_lines, codec=chosen.codec):
            report.rows_total += 1
            if isinstance(item, RowError):
                report.errors.append(item)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                load(spec=spec, rows=batch, now=now, defaults=defaults, report=report)
                batch = []
                reported = _report_rows(on_rows, report.rows_total, reported)
    if batch:
        load(spec=spec, rows=batch, now=now, defaults=defaults, report=report)
    _report_rows(on_rows, report.rows_total, reported)
    report.errors.sort(key=lambda error: error.line)
    report.rejected = len(report.errors)
    if kind == "orders" and report.updated:
        tier_rechecks_for_refunded_orders(updated_at=now)
    if kind == "reviews" and report.created:
        transaction.on_commit(reviews_schedule_scoring)  # new reviews are unscored: score them shortly
    return report


def _report_rows(on_rows: Callable[[int], None] | None, rows_read: int, reported: int) -> int:
    if on_rows and rows_read > reported:
        on_rows(rows_read - reported)
    return rows_read


def csv_data_rows_count(*, path: Path) -> int:
    """Non-blank lines after the header: the records, for a progress bar's total and ETA (a
    record with a quoted newline counts twice, so it is an upper bound). One quick pass."""
    with Path(path).open("rb") as raw:
        lines = sum(1 for line in raw if line.strip())
    return max(lines - 1, 0)


def _batch_import(
    *, spec: ImportSpec, rows: list[ParsedRow], now: datetime, defaults: dict[str, int], report: ImportReport
) -> None:
    """SQLite: parsed rows into staging by executemany, then the shared SQL."""
    sql = _sql_for(spec.kind, connection.vendor)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.create_staging)
        _staging_load(cursor, spec=spec, rows=rows)
        _staging_upsert(cursor, sql=sql, rows=len(rows), removed=0, now=now, defaults=defaults, report=report)
        cursor.execute(f"DROP TABLE {STAGING}")


def _batch_import_postgres(
    *, spec: ImportSpec, rows: list[RawRow], now: datetime, defaults: dict[str, int], report: ImportReport,
    seen_keys: dict[tuple, int],
) -> None:
    """Postgres: records as text through COPY, checked and converted in SQL, then the shared SQL."""
    sql = _sql_for(spec.kind, connection.vendor)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.create_raw)
        with cursor.copy(f"COPY {RAW} FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row.line, *row.fields))
        cursor.execute(sql.stage)
        # The rows SQL did not accept (usually none): parse() decides, and says why in words.
        cursor.execute(sql.select_unaccepted)
        rejected, accepted = [], []
        for line, *fields in cursor.fetchall():
            item = row_parse(spec=spec, row=RawRow(line, tuple(fields)))
            if isinstance(item, RowError):
                report.errors.append(item)
                rejected.append(line)
            else:
                accepted.append((*item.values, item.line))
        if accepted:
            cursor.executemany(sql.update_accepted, accepted)
        # A key may appear once per file: the first accepted line keeps it, in this batch or an earlier one.
        cursor.execute(sql.select_keys)
        for line, *key in cursor.fetchall():
            first = seen_keys.setdefault(tuple(key), line)
            if first != line:
                report.errors.append(duplicate_error(spec=spec, line=line, first=first, key=tuple(key)))
                rejected.append(line)
        if rejected:
            cursor.execute(f"DELETE FROM {STAGING} WHERE line = ANY(%s)", [rejected])
        _staging_upsert(
            cursor, sql=sql, rows=len(rows), removed=len(rejected), now=now, defaults=defaults, report=report
        )
        cursor.execute(f"DROP TABLE {STAGING}, {RAW}")  # inside a test's transaction ON COMMIT comes late


def _staging_upsert(
    cursor, *, sql: "_KindSql", rows: int, removed: int, now: datetime, defaults: dict[str, int],
    report: ImportReport,
) -> None:
    """Reject rows naming unknown references, then upsert the staging table into the model's table."""
    for reference, select_unknown, delete_unknown in sql.reference_checks:
        cursor.execute(select_unknown)
        unknown = cursor.fetchall()
        if unknown:
            cursor.execute(delete_unknown)
            removed += len(unknown)
            report.errors.extend(
                RowError(line, f"unknown {reference.noun} {key!r} in {reference.column}")
                for line, key in unknown
            )
    params = [defaults[column] for column in sql.default_params] + [_db_value(now)] * sql.now_params
    created, updated = _upsert(cursor, sql=sql, params=params)
    report.created += created
    report.updated += updated
    report.unchanged += rows - removed - created - updated


def _upsert(cursor, *, sql: "_KindSql", params: list) -> tuple[int, int]:
    """Run the upsert; return (created, updated). Rows whose values are unchanged are not touched."""
    if connection.vendor == "postgresql":
        # xmax = 0 marks a freshly inserted tuple; an updated one carries the updating transaction.
        cursor.execute(
            f"WITH upserted AS ({sql.upsert} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted",
            params,
        )
        created, updated = cursor.fetchone()
        return created, updated
    # SQLite has no xmax: count the keys that already exist, then the rows the upsert wrote.
    cursor.execute(sql.count_existing)
    (existing,) = cursor.fetchone()
    cursor.execute(sql.upsert, params)
    written = cursor.rowcount
    cursor.execute(f"SELECT count(*) FROM {STAGING}")
    (staged,) = cursor.fetchone()
    created = staged - existing
    return created, written - created


def _staging_load(cursor, *, spec: ImportSpec, rows: list[ParsedRow]) -> None:
    """SQLite: parsed rows into the staging table."""
    names = ", ".join(("line", *spec.header))
    placeholders = ", ".join(["%s"] * (len(spec.columns) + 1))
    cursor.executemany(
        f"INSERT INTO {STAGING} ({names}) VALUES ({placeholders})",
        [(row.line, *(_db_value(value) for value in row.values)) for row in rows],
    )


def _db_value(value):
    """Python value -> what the database driver stores (SQLite: Django's naive-UTC text for datetimes)."""
    if connection.vendor == "postgresql" or not isinstance(value, datetime):
        return value
    return connection.ops.adapt_datetimefield_value(value)


@dataclass(frozen=True)
class _KindSql:
    create_staging: str
    reference_checks: tuple[tuple[Reference, str, str], ...]
    upsert: str  # parameters: one id per default_params column, then now_params timestamps
    now_params: int
    default_params: tuple[str, ...]
    count_existing: str
    # Postgres only (see _postgres_checks): empty strings on SQLite.
    create_raw: str = ""
    stage: str = ""
    select_unaccepted: str = ""
    update_accepted: str = ""
    select_keys: str = ""


@cache
def _sql_for(kind: str, vendor: str) -> _KindSql:
    """Build the statements for one kind on one database; they depend on nothing else."""
    spec = SPECS[kind]
    qn = connection.ops.quote_name
    meta = spec.model._meta
    table = qn(meta.db_table)
    postgres = vendor == "postgresql"

    staging_columns = [f"line {'integer' if postgres else ''}"]
    staging_columns += [f"{c.name} {c.sql_type if postgres else ''}" for c in spec.columns]
    create_staging = f"CREATE TEMP TABLE {STAGING} ({', '.join(staging_columns)})"
    if postgres:
        create_staging += " ON COMMIT DROP"

    # Value expressions per target column, in terms of staging `s` and reference joins r0, r1, ...
    targets: dict[str, str] = {
        meta.get_field(c.field).column: f"s.{c.name}" for c in spec.columns if c.field is not None
    }
    joins, reference_checks, default_params = [], [], []
    for i, ref in enumerate(spec.references):
        fk = meta.get_field(ref.field)
        other = fk.related_model._meta
        other_table, other_key = qn(other.db_table), qn(other.get_field(ref.key).column)
        joins.append(f"LEFT JOIN {other_table} r{i} ON r{i}.{other_key} = s.{ref.column}")
        targets[fk.column] = f"r{i}.{qn(other.pk.column)}"
        unknown = (
            f"{ref.column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {other_table} o WHERE o.{other_key} = {STAGING}.{ref.column})"
        )
        reference_checks.append(
            (
                ref,
                f"SELECT line, {ref.column} FROM {STAGING} WHERE {unknown}",
                f"DELETE FROM {STAGING} WHERE {unknown}",
            )
        )
    conflict_columns = [meta.get_field(name).column for name in spec.conflict_fields]
    current_match = " AND ".join(f"cur.{qn(column)} = {targets[column]}" for column in conflict_columns)
    for ref in spec.references:
        if ref.default_for_new is not None:
            column = meta.get_field(ref.field).column
            targets[column] = f"COALESCE({targets[column]}, cur.{qn(column)}, %s)"
            default_params.append(ref.column)
    if default_params:
        joins.append(f"LEFT JOIN {table} cur ON {current_match}")

    compared = [column for column in targets if column not in conflict_columns]
    auto_now = [f.column for f in meta.concrete_fields if getattr(f, "auto_now", False)]
    auto_now_add = [f.column for f in meta.concrete_fields if getattr(f, "auto_now_add", False)]
    insert_only = [(meta.get_field(name).column, literal) for name, literal in spec.insert_only]

    insert_columns = [*targets, *auto_now, *auto_now_add, *(column for column, _ in insert_only)]
    select_values = [
        *targets.values(),
        *(["%s"] * (len(auto_now) + len(auto_now_add))),
        *(v for _, v in insert_only),
    ]
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"  # SQLite's IS NOT is null-safe, like Postgres's
    upsert = (
        f"INSERT INTO {table} AS t ({', '.join(qn(c) for c in insert_columns)}) "
        f"SELECT {', '.join(select_values)} FROM {STAGING} s {' '.join(joins)} "
        # WHERE true: SQLite needs it to parse ON CONFLICT after a join.
        f"WHERE true ON CONFLICT ({', '.join(qn(c) for c in conflict_columns)}) DO UPDATE SET "
        + ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in [*compared, *auto_now])
        + f" WHERE ({', '.join(f't.{qn(c)}' for c in compared)}) "
        f"{distinct} ({', '.join(f'excluded.{qn(c)}' for c in compared)})"
    )
    # Only SQLite uses this: how many staged keys exist already (Postgres reads xmax instead).
    reference_joins = joins[: len(spec.references)]
    count_existing = (
        f"SELECT count(*) FROM {STAGING} s {' '.join(reference_joins)} JOIN {table} cur ON {current_match}"
    )
    return _KindSql(
        create_staging=create_staging,
        reference_checks=tuple(reference_checks),
        upsert=upsert,
        now_params=len(auto_now) + len(auto_now_add),
        default_params=tuple(default_params),
        count_existing=count_existing,
        **(_postgres_checks(spec) if postgres else {}),
    )


def _postgres_checks(spec: ImportSpec) -> dict[str, str]:
    """The statements that take the records from text (RAW) to typed, checked values (STAGING).

    STAGING gets the columns the shared SQL expects, plus `ok`: every column's SqlRule check held.
    Each value is converted only where its own check held (CASE), so no cast can fail on a bad
    row; a row that is not ok is left to the Python parsers. The subquery is fenced with OFFSET 0
    so each check is evaluated once. RAW's values are stripped already (csv_records).
    """
    names = [column.name for column in spec.columns]
    checks = ", ".join(
        f"({column.parse.sql.check.replace('{v}', column.name)}) AS {column.name}__ok" for column in spec.columns
    )
    values = ", ".join(
        f"CASE WHEN {column.name}__ok THEN {column.parse.sql.value.replace('{v}', column.name)} END AS {column.name}"
        for column in spec.columns
    )
    all_ok = " AND ".join(f"{name}__ok" for name in names)
    stage = (
        f"CREATE TEMP TABLE {STAGING} ON COMMIT DROP AS SELECT line, {all_ok} AS ok, {values} FROM "
        f"(SELECT line, {', '.join(names)}, {checks} FROM {RAW} OFFSET 0) checked"
    )
    return {
        "create_raw": f"CREATE TEMP TABLE {RAW} (line integer, {', '.join(f'{n} text' for n in names)}) ON COMMIT DROP",
        "stage": stage,
        "select_unaccepted": (
            f"SELECT line, {', '.join(names)} FROM {RAW} WHERE line IN (SELECT line FROM {STAGING} WHERE NOT ok)"
            " ORDER BY line"
        ),
        "update_accepted": (
            f"UPDATE {STAGING} SET ok = true, {', '.join(f'{n} = %s' for n in names)} WHERE line = %s"
        ),
        "select_keys": f"SELECT line, {', '.join(spec.key_columns)} FROM {STAGING} WHERE ok ORDER BY line",
    }
