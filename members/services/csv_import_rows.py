"""The streaming pass over a CSV file: bytes in, parsed rows and rejected lines out.

Shared by the Postgres and SQLite import paths. The file is read as bytes and decoded one
physical line at a time, so a line with bytes that are not UTF-8 is rejected on its own and
the lines around it are kept. Line numbers are physical lines with the header as line 1; a
record whose quoted field spans several lines is reported by its first line.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from members.services.csv_import_fields import ValueRejected
from members.services.csv_import_specs import ImportSpec


@dataclass(frozen=True)
class RowError:
    """A rejected record: its first physical line (header = line 1) and why, in words."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedRow:
    """A record whose values all parsed: `values` follow spec.columns."""

    line: int
    values: tuple


class ImportFileError(ValueError):
    """The whole file is unusable (no header, missing columns); no row was imported."""


def _decoded_lines(raw_lines: Iterable[bytes], bad_lines: dict[int, str]) -> Iterator[str]:
    """Decode each line on its own; a line that cannot be stored is noted in `bad_lines` by number."""
    for number, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_lines[number] = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start + 1})"
            line = raw.decode("utf-8", errors="replace")
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte-order mark some spreadsheets write
        if "\x00" in line:
            bad_lines[number] = "contains a NUL byte"  # Postgres text cannot hold one
        yield line


def csv_rows_parse(*, spec: ImportSpec, raw_lines: Iterable[bytes]) -> Iterator[ParsedRow | RowError]:
    """Yield a ParsedRow or a RowError for each record of the file, in file order.

    Raises ImportFileError (before yielding anything) when the file is empty or its header
    lacks columns of `spec`; extra columns are ignored and column order does not matter.
    A key (spec.key_columns) may appear once per file: a later record with the key of an
    earlier accepted record is rejected, naming the earlier line, so the file's author decides
    which version is right instead of the importer silently picking one. Blank lines are skipped.
    """
    bad_lines: dict[int, str] = {}
    reader = csv.reader(_decoded_lines(raw_lines, bad_lines))
    header = next(reader, None)
    if header is None:
        raise ImportFileError(
            f"The {spec.kind} file is empty; expected a header row: {', '.join(spec.header)}."
        )
    if 1 in bad_lines:
        raise ImportFileError(f"The {spec.kind} file's header (line 1) is unreadable: {bad_lines[1]}.")
    header = [name.strip() for name in header]
    missing = [name for name in spec.header if name not in header]
    if missing:
        raise ImportFileError(
            f"The {spec.kind} file's header lacks {len(missing)} column(s): {', '.join(missing)}. "
            f"Expected: {', '.join(spec.header)}."
        )
    duplicated = sorted({name for name in header if header.count(name) > 1 and name in spec.header})
    if duplicated:
        raise ImportFileError(f"The {spec.kind} file's header names a column twice: {', '.join(duplicated)}.")

    positions = [header.index(name) for name in spec.header]
    key_indexes = [spec.header.index(name) for name in spec.key_columns]
    parsers = [(column.name, column.parse) for column in spec.columns]
    width = len(header)
    seen_keys: dict[tuple, int] = {}
    last_line = 1
    while True:
        line = last_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last_line = reader.line_num
            yield RowError(line, f"not readable as CSV ({exc})")
            continue
        last_line = reader.line_num
        undecodable = [bad_lines.pop(n) for n in range(line, last_line + 1) if n in bad_lines]
        if undecodable:
            yield RowError(line, undecodable[0])
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != width:
            yield RowError(line, f"{len(fields)} fields where the header has {width}")
            continue
        values, reasons = [], []
        for (name, parse), position in zip(parsers, positions, strict=True):
            try:
                values.append(parse(fields[position].strip()))
            except ValueRejected as exc:
                reasons.append(f"{name} {exc}")
        if reasons:
            yield RowError(line, "; ".join(reasons))
            continue
        key = tuple(values[i] for i in key_indexes)
        first = seen_keys.setdefault(key, line)
        if first != line:
            described = ", ".join(
                f"{name} {value!r}" for name, value in zip(spec.key_columns, key, strict=True)
            )
            yield RowError(line, f"duplicate of line {first} ({described}); a key may appear once per file")
            continue
        yield ParsedRow(line, tuple(values))
