"""The streaming pass over a CSV file: bytes in, records (csv_records: text, for Postgres to check
in SQL) or parsed rows (csv_rows_parse: typed, for SQLite) and rejected lines out.

Shared by the Postgres and SQLite import paths. The file is read as bytes and decoded one
physical line at a time in the encoding csv_import_encoding chose (UTF-8, GB18030 or UTF-16), so
a line with bytes that are not valid in it is rejected on its own, naming the byte, and the lines
around it are kept: nothing is replaced silently. Line numbers are physical
lines with the header as line 1; a record whose quoted field spans several lines is reported by
its first line. A quote that is never closed where the record should end (wrong field count or
unreadable) rejects only its own line: the lines it swallowed are read again, one by one.
"""

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from members.imports.services.csv_import_encoding import UTF8, UTF16
from members.imports.services.csv_import_fields import ValueRejected
from members.imports.services.csv_import_specs import ImportSpec


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


# A lone surrogate: what a UTF-16 file holds where a character's second half is missing or broken.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf16_text_lines(raw_lines: Iterable[bytes], codec: str) -> Iterator[str]:
    """UTF-16 text split into lines. The raw "lines" were split at byte 0x0a, which is not a line
    end in UTF-16, so the text is decoded incrementally and split again. Broken surrogate pairs
    pass through (surrogatepass) for _decoded_lines to reject by line."""
    decoder = codecs.getincrementaldecoder(codec)(errors="surrogatepass")  # utf-16 reads the byte-order mark
    pending = ""
    for chunk in raw_lines:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        yield from (line + "\n" for line in complete)
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:  # an odd number of bytes: the last character is cut in half
        pending += "\ud800"
    if pending:
        yield pending


def _decoded_lines(raw_lines: Iterable[bytes], bad_lines: dict[int, str], codec: str) -> Iterator[tuple[int, str]]:
    """(number, line) for each physical line; a line that cannot be stored is noted in `bad_lines`."""
    if codec.startswith(UTF16):
        lines = enumerate(_utf16_text_lines(raw_lines, codec), start=1)
    else:
        lines = enumerate(_byte_lines(raw_lines, bad_lines, codec), start=1)
    for number, line in lines:
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte-order mark some spreadsheets write
        if "\x00" in line:
            bad_lines[number] = "contains a NUL byte"  # Postgres text cannot hold one
        if codec.startswith(UTF16) and (broken := _LONE_SURROGATE.search(line)):
            bad_lines[number] = f"not valid UTF-16 (a broken surrogate pair at character {broken.start() + 1})"
            line = _LONE_SURROGATE.sub("\ufffd", line)
        yield number, line


def _byte_lines(raw_lines: Iterable[bytes], bad_lines: dict[int, str], codec: str) -> Iterator[str]:
    """Lines of an ASCII-compatible encoding (UTF-8, GB18030): 0x0a ends a line in both."""
    name = codec.upper()
    for number, raw in enumerate(raw_lines, start=1):
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as exc:
            bad_lines[number] = f"not valid {name} (byte 0x{raw[exc.start]:02x} at position {exc.start + 1})"
            yield raw.decode(codec, errors="replace")  # keeps the fields apart; the line is rejected


class _LineFeed:
    """The csv reader's input: numbered lines, remembering those the current record took, so a
    record that swallowed lines by an unclosed quote can hand them back to be read again."""

    def __init__(self, lines: Iterator[tuple[int, str]]):
        self._lines = lines
        self._returned: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        item = self._returned.popleft() if self._returned else next(self._lines)
        self.taken.append(item)
        return item[1]

    def give_back(self, items: list[tuple[int, str]]) -> None:
        self._returned.extendleft(reversed(items))


@dataclass(frozen=True)
class RawRow:
    """A record read from the file, before its values are parsed: `fields` follow spec.columns,
    stripped of surrounding whitespace (str.strip, in C: cheaper here than btrim in SQL)."""

    line: int
    fields: tuple[str, ...]


def csv_rows_parse(
    *, spec: ImportSpec, raw_lines: Iterable[bytes], codec: str = UTF8
) -> Iterator[ParsedRow | RowError]:
    """Yield a ParsedRow or a RowError for each record of the file, in file order.

    Raises ImportFileError (before yielding anything) when the file is empty or its header
    lacks columns of `spec`; extra columns are ignored and column order does not matter.
    A key (spec.key_columns) may appear once per file: a later record with the key of an
    earlier accepted record is rejected, naming the earlier line, so the file's author decides
    which version is right instead of the importer silently picking one. Blank lines are skipped.
    `codec` is the codec of csv_import_encoding.csv_file_encoding (UTF-8, GB18030 or UTF-16).
    """
    key_indexes = [spec.header.index(name) for name in spec.key_columns]
    seen_keys: dict[tuple, int] = {}
    for item in csv_records(spec=spec, raw_lines=raw_lines, codec=codec):
        if isinstance(item, RawRow):
            item = row_parse(spec=spec, row=item)
        if isinstance(item, RowError):
            yield item
            continue
        key = tuple(item.values[i] for i in key_indexes)
        first = seen_keys.setdefault(key, item.line)
        if first != item.line:
            yield duplicate_error(spec=spec, line=item.line, first=first, key=key)
            continue
        yield item


def duplicate_error(*, spec: ImportSpec, line: int, first: int, key: tuple) -> RowError:
    described = ", ".join(f"{name} {value!r}" for name, value in zip(spec.key_columns, key, strict=True))
    return RowError(line, f"duplicate of line {first} ({described}); a key may appear once per file")


def row_parse(*, spec: ImportSpec, row: RawRow) -> ParsedRow | RowError:
    """Parse a record's values with the columns' parsers: typed values, or every reason it is refused."""
    values, reasons = [], []
    for column, text in zip(spec.columns, row.fields, strict=True):
        text = text.strip()
        try:
            values.append(column.parse(text))
        except ValueRejected as exc:
            reasons.append(f"{column.name} {exc}")
        except ArithmeticError:  # OverflowError and kin: a parser's blind spot costs one row, not the file
            reasons.append(f"{column.name} {text!r} is out of range")
    if reasons:
        return RowError(row.line, "; ".join(reasons))
    return ParsedRow(row.line, tuple(values))


def csv_records(
    *, spec: ImportSpec, raw_lines: Iterable[bytes], codec: str = UTF8
) -> Iterator[RawRow | RowError]:
    """Yield a RawRow for each readable record of the file, or a RowError for one that is not
    (undecodable bytes, a NUL, a wrong number of fields, an unclosed quote), in file order.

    The values are not parsed: the Postgres importer checks them in SQL (csv_import_sql), the
    SQLite one with row_parse. Raises ImportFileError like csv_rows_parse.
    """
    bad_lines: dict[int, str] = {}
    feed = _LineFeed(_decoded_lines(raw_lines, bad_lines, codec))
    reader = csv.reader(feed)
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
    in_order = positions == list(range(len(header)))  # the file's own column order: no reordering
    width = len(header)
    feed.taken = []  # forget the header's lines
    while True:
        unreadable = ""
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, unreadable = [], f"not readable as CSV ({exc})"
        taken, feed.taken = feed.taken, []
        if not taken:
            return
        line, last_line = taken[0][0], taken[-1][0]
        if len(taken) > 1 and (unreadable or len(fields) != width):
            # A quote opened on this line and not closed where the record should end: reject this
            # line alone and read the lines it swallowed again, each on its own.
            feed.give_back(taken[1:])
            bad_lines.pop(line, None)
            yield RowError(
                line,
                f"a quoted field opened on this line is not closed properly ({unreadable or f'{len(fields)} fields'}"
                f" across lines {line}-{last_line}); the following lines were read on their own",
            )
            continue
        if unreadable:
            yield RowError(line, unreadable)
            continue
        if bad_lines:
            undecodable = [bad_lines.pop(n) for n in range(line, last_line + 1) if n in bad_lines]
            if undecodable:
                yield RowError(line, undecodable[0])
                continue
        if len(fields) != width:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            yield RowError(line, f"{len(fields)} fields where the header has {width}")
            continue
        yield RawRow(line, tuple(map(str.strip, fields if in_order else [fields[p] for p in positions])))
