"""Rules every way into the database shares (API serializers and CSV import), so none is laxer.

Plain Python, no Django: each check returns why a value is refused, in words, or "".
"""

import unicodedata
from datetime import datetime, timedelta

# Timestamps (joined_at, placed_at, created_at): outside these years a value is a typo or a
# dummy date meaning "unknown" (0001-01-01, 9999-12-31), and near the ends of datetime's range
# converting it to UTC overflows. Offsets beyond ±14:00 exist nowhere.
TIMESTAMP_MIN_YEAR = 1900
TIMESTAMP_MAX_YEAR = 2100
TIMESTAMP_MAX_OFFSET = timedelta(hours=14)
TIMESTAMP_RANGE_TEXT = f"between {TIMESTAMP_MIN_YEAR} and {TIMESTAMP_MAX_YEAR}, with a UTC offset within ±14:00"

# Characters that reorder how text is displayed (Trojan-Source style): "\u202egpj.exe" shows as
# "exe.jpg". Refused in names and other text; nobody types them on purpose.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def timestamp_problem(moment: datetime) -> str:
    """Why a parsed timestamp is out of range ("" when it is fine)."""
    offset = moment.utcoffset()
    if not TIMESTAMP_MIN_YEAR <= moment.year <= TIMESTAMP_MAX_YEAR or (
        offset is not None and abs(offset) > TIMESTAMP_MAX_OFFSET
    ):
        return f"is not {TIMESTAMP_RANGE_TEXT}"
    return ""


def text_problem(value: str) -> str:
    """Why free text cannot be stored: bidirectional-override characters ("" when it can)."""
    found = sorted({f"U+{ord(ch):04X}" for ch in value if ch in BIDI_CONTROLS})
    if found:
        return f"contains text-direction control characters ({', '.join(found)})"
    return ""


def external_id_problem(value: str) -> str:
    """Why `value` cannot be an external id ("" when it can).

    External ids are part of page and API addresses (/members/<id>/, /api/v1/reviews/<id>/): a "/"
    splits the address, so no URL can name the record and every page linking to it fails.
    Control and invisible formatting characters make ids that look alike but differ.
    """
    if "/" in value:
        return "must not contain '/' (external ids are part of page and API addresses)"
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return "must not contain control or invisible formatting characters"
    return ""
