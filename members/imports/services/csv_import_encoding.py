"""Which encoding a CSV file is read in: asked for by name, or detected ("auto").

    encoding = csv_file_encoding(path=Path("orders.csv"), requested="auto")
    encoding.codec   # "gb18030": what csv_import_rows decodes each line with
    encoding.label   # "GB18030 (detected)": what the summary and the job's log say

auto, in this order:
1. A byte-order mark decides: UTF-8 (EF BB BF) or UTF-16 (FF FE / FE FF, spreadsheets' "Unicode text").
2. A file that is valid UTF-8 from end to end is UTF-8: one chunked pass in C, no per-line Python,
   so the usual case stays as fast as before.
3. Otherwise each line holding non-ASCII bytes votes: UTF-8 if it is valid UTF-8; GB18030 if it is
   not, decodes as GB18030 (GBK and GB2312 are subsets) and holds a byte pair in GB2312's hanzi rows
   (0xB0-0xF7, 0xA1-0xFE: the common Chinese characters). GB18030 wins only with more votes than UTF-8.
   The vote is what keeps a UTF-8 file with one corrupt line from being read wholesale as GB18030
   mojibake (UTF-8 Chinese text is usually valid GB18030 too), and the hanzi-pair test keeps a stray
   Latin-1 "Müller" (FC 6C is a valid GB18030 pair) from flipping a whole file.
   Lines that fit neither are rejected one by one later, by line and byte, in the chosen encoding.

Big5, Shift JIS and Windows-1252 files are not detected; convert them to UTF-8 first.
"""

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

AUTO = "auto"
UTF8 = "utf-8"
GB18030 = "gb18030"
UTF16 = "utf-16"
UTF16_LE = "utf-16-le"  # UTF-16 asked for by name in a file without a byte-order mark (Windows' order)
ENCODING_CHOICES: tuple[str, ...] = (AUTO, UTF8, GB18030, UTF16)

# Bytes read per step of the UTF-8 check: large enough that the loop is a few dozen steps per GB.
SNIFF_CHUNK_BYTES = 1 << 20
_GB2312_HANZI_PAIR = re.compile(rb"[\xb0-\xf7][\xa1-\xfe]")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class FileEncoding:
    """How a file is read: `codec` (a Python codec name) and `how` it was chosen."""

    codec: str
    how: str  # "asked for", "byte-order mark", "detected" or "" (plain UTF-8, the contract)

    @property
    def label(self) -> str:
        name = {UTF8: "UTF-8", GB18030: "GB18030", UTF16: "UTF-16", UTF16_LE: "UTF-16LE"}[self.codec]
        return f"{name} ({self.how})" if self.how else name


class EncodingMismatch(ValueError):
    """The encoding asked for contradicts the file's byte-order mark; the message says so in words."""


def csv_file_encoding(*, path: Path, requested: str = AUTO) -> FileEncoding:
    """Choose how to read the file at `path`; `requested` is one of ENCODING_CHOICES.

    A named encoding is used as asked, except that a byte-order mark of another encoding raises
    EncodingMismatch (reading a UTF-16 file as UTF-8 would reject every line for a reason nobody
    could act on). UTF-16 without a mark is read little-endian. Raises ValueError for an unknown name.
    """
    if requested not in ENCODING_CHOICES:
        raise ValueError(f"Unknown encoding {requested!r}; expected one of {', '.join(ENCODING_CHOICES)}.")
    if not Path(path).is_file():
        # A pipe or FIFO (a stream being fed) can be read once only: sniffing would eat its first
        # bytes. It is read as asked, and as UTF-8 (the contract) when nothing was asked.
        if requested == UTF16:
            return FileEncoding(UTF16, "asked for")
        return FileEncoding(requested, "asked for") if requested != AUTO else FileEncoding(UTF8, "")
    with Path(path).open("rb") as file:
        head = file.read(3)
        bom = UTF16 if head[:2] in _UTF16_BOMS else UTF8 if head == codecs.BOM_UTF8 else None
        if requested != AUTO:
            if bom is not None and bom != requested:
                raise EncodingMismatch(
                    f"The file starts with a {bom.upper()} byte-order mark but was to be read as {requested.upper()}; "
                    f"read it as {bom} or auto."
                )
            if requested == UTF16 and bom is None:
                return FileEncoding(UTF16_LE, "asked for; no byte-order mark, read little-endian")
            return FileEncoding(requested, "asked for")
        if bom is not None:
            return FileEncoding(bom, "byte-order mark")
        file.seek(0)
        if _is_utf8(file):
            return FileEncoding(UTF8, "")
        file.seek(0)
        return FileEncoding(GB18030, "detected") if _gb18030_outvotes_utf8(file) else FileEncoding(UTF8, "")


def _is_utf8(file) -> bool:
    decoder = codecs.getincrementaldecoder(UTF8)()  # carries a character split across two chunks
    try:
        while chunk := file.read(SNIFF_CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _gb18030_outvotes_utf8(lines) -> bool:
    utf8_votes = gb18030_votes = 0
    for raw in lines:  # 0x0a is never part of a GB18030 or UTF-8 multi-byte character: lines split safely
        if raw.isascii():
            continue
        try:
            raw.decode(UTF8)
            utf8_votes += 1
            continue
        except UnicodeDecodeError:
            pass
        try:
            raw.decode(GB18030)
        except UnicodeDecodeError:
            continue
        if _GB2312_HANZI_PAIR.search(raw):
            gb18030_votes += 1
    return gb18030_votes > utf8_votes
