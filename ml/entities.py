"""Brand, product and price mentions in review text: rules, BIO tags, and span decoding.

The rule-based extractor needs no model (the Django side shows it first):

* catalogue names (brands, product titles) match case-insensitively on word boundaries, any run
  of whitespace matching any other; at each position the longest name wins, so "Nike Air Max 90"
  is one PRODUCT, not the BRAND "Nike" plus text. A name that is both a brand and a title is a
  PRODUCT (the more specific reading).
* prices: a currency sign or code before or after a number (``$12.99``, ``12,99 €``, ``£5``,
  ``EUR 40``, ``US$ 1,299.00``) or a number followed by a currency word (``20 dollars``,
  ``15 bucks``, ``30 euros``); Chinese prices ``¥12``, ``￥12.5``, ``人民币40``, ``12元``, ``12块钱``
  and ``12块`` (not ``3块蛋糕``: 块 is also the measure word "pieces", so a bare 块 followed by
  another Chinese character is not a price).
* sizes (only with ``RuleEntityExtractor(sizes=True)``): ``大码``/``均码``/``加大码``, ``XL``/``XXL``/
  ``3XL``/``XS``, ``M码``/``L号``, ``38码``. SIZE is not one of ENTITY_TYPES: the token head
  (ml.entity_train) does not learn it, so weak training rows never carry it.

Chinese has no spaces, so a Chinese character next to a name or price counts as a boundary
("我在优衣库买的", "只要¥12很划算"), and next to a Chinese character whitespace is optional, in the
catalogue and in the text ("优衣库 羽绒服" finds "优衣库羽绒服"); a name is still not found inside a
longer Latin word. The price
of that: a Chinese name inside a longer Chinese word matches too (brand 小米 in 小米粥, millet porridge).

Overlaps are resolved longest first (then leftmost). Spans are on character offsets of the
original text, ``text[start:end] == span.text``, so the UI can highlight them.

For the token-classification head (ml.entity_train), :func:`bio_labels` turns spans into BIO tags
over a fast tokenizer's tokens (via its offset mapping) and :func:`decode_bio` turns predicted tags
back into character spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ml.language import HAN_CLASS, is_han

ENTITY_TYPES = ("BRAND", "PRODUCT", "PRICE")
SIZE = "SIZE"  # found by rules only (RuleEntityExtractor(sizes=True)); not in ENTITY_TYPES / BIO_LABELS
BIO_LABELS = ("O",) + tuple(f"{prefix}-{kind}" for kind in ENTITY_TYPES for prefix in ("B", "I"))
IGNORE_INDEX = -100  # special tokens: left out of the loss (PyTorch's cross-entropy default)

_NUMBER = r"\d{1,3}(?:[,.\u00a0 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SIGN = r"US\$|C\$|A\$|[$£€¥₹]"
_CODE = r"USD|EUR|GBP|CAD|AUD|CHF|JPY|INR"
_WORDS = r"dollars?|bucks|euros?|pounds?|quid|cents?|yen|francs?|rupees?"
PRICE_PATTERN = re.compile(
    rf"(?<![\w$£€¥₹])(?:"
    rf"(?:{_SIGN})\s?(?:{_NUMBER})"  # $12.99, US$ 1,299.00, £5
    rf"|(?:{_CODE})\s?(?:{_NUMBER})"  # EUR 40
    rf"|(?:{_NUMBER})\s?(?:{_SIGN}|{_CODE})"  # 12,99 €, 40EUR
    rf"|(?:{_NUMBER})\s(?:{_WORDS})"  # 20 dollars
    rf")(?![\w])",
    re.IGNORECASE,
)

# Boundaries for mixed Chinese text: no Latin letter, digit or underscore on that side, but a
# Chinese character is fine (\w alone would count it as a letter and never match inside Chinese).
_START = rf"(?<![^\W{HAN_CLASS}])"
_END = rf"(?![^\W{HAN_CLASS}])"
_CN_SIGN = r"[¥￥]|RMB|CNY|人民币"
_CN_UNIT = rf"元|块钱|块(?![{HAN_CLASS}])|RMB|CNY"
CHINESE_PRICE_PATTERN = re.compile(
    rf"{_START}(?<![.,])(?:"
    rf"(?:{_CN_SIGN})\s?(?:{_NUMBER})(?:\s?(?:元|块钱))?"  # ¥12, ￥12.5, 人民币40元
    rf"|(?:{_NUMBER})\s?(?:{_CN_UNIT})"  # 12元, 12块钱, 12块
    rf"){_END}",
    re.IGNORECASE,
)
SIZE_PATTERN = re.compile(
    rf"(?:加大|特大|大|中|小|均)码"  # 大码, 均码
    rf"|{_START}(?:[2-6]?X{{1,3}}L|XS|[SML]|\d{{2,3}})[码号]"  # XL码, M号, 38码
    rf"|{_START}(?:[2-6]XL|X{{1,3}}L|XS){_END}",  # XL, XXL, 3XL, XS
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EntitySpan:
    start: int  # character offset in the original text (inclusive)
    end: int  # character offset (exclusive)
    label: str  # one of ENTITY_TYPES
    text: str  # original_text[start:end]
    score: float  # 1.0 for rules; the model's mean token probability otherwise

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_overlaps(spans: Iterable[EntitySpan]) -> list[EntitySpan]:
    """Keep non-overlapping spans, longest first (then higher score, then leftmost); sorted by start."""
    kept: list[EntitySpan] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _trie_pattern(keys: Iterable[str]) -> str:
    """A regex matching exactly `keys` (lower-case names whose words are separated by one space;
    any whitespace matches a space), factored as a trie. Longest match first, like an alternation
    sorted by length: the branches of a node start with different characters, so at most one can
    continue, and a name that ends inside a longer one is an optional (greedy) tail."""
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}  # a name ends here

    def build(node: dict, previous: str = "") -> str:
        branches = [_joint(previous, char) + (r"\s+" if char == " " else re.escape(char)) + build(child, char)
                    for char, child in sorted(node.items()) if char != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return "(?:" + body + ")?"
        return body

    return "(?:" + build(trie) + ")"


def _joint(previous: str, char: str) -> str:
    """Between two characters of a name where one is Chinese, any whitespace or none: the keys have
    no space there (:func:`name_key`), and text may have one or not ("优衣库 羽绒服", "Nike鞋")."""
    if previous and previous != " " and char != " " and (is_han(previous) or is_han(char)):
        return r"\s*"
    return ""


def name_key(name: object) -> str:
    """A catalogue name as looked up: lower case, runs of whitespace as one space, and no space
    next to a Chinese character (Chinese text is written without them)."""
    key = " ".join(str(name or "").split()).lower()
    return _SPACE_BY_HAN.sub("", key)


_SPACE_BY_HAN = re.compile(rf"(?<=[{HAN_CLASS}]) | (?=[{HAN_CLASS}])")


class Catalogue:
    """Brand names and product titles to look for (blank and duplicate names are ignored)."""

    def __init__(self, *, brands: Iterable[str] = (), products: Iterable[str] = ()) -> None:
        self.labels: dict[str, str] = {}
        for label, names in (("BRAND", brands), ("PRODUCT", products)):  # PRODUCT second: it wins a tie
            for name in names:
                key = name_key(name)
                if key:
                    self.labels[key] = label
        # One alternation of a thousand titles is tried title by title at every position of every
        # review (6 ms a review for the demo's catalogue); the same names as a trie are tried one
        # character at a time, so a position that starts no name fails at once.
        self.pattern = (
            re.compile(_START + _trie_pattern(self.labels) + _END, re.IGNORECASE) if self.labels else None
        )

    def __len__(self) -> int:
        return len(self.labels)

    def find(self, text: str) -> list[EntitySpan]:
        if self.pattern is None or not text:
            return []
        spans = []
        for match in self.pattern.finditer(text):
            label = self.labels[name_key(match.group(0))]
            spans.append(EntitySpan(match.start(), match.end(), label, match.group(0), 1.0))
        return spans


def find_prices(text: str) -> list[EntitySpan]:
    """English and Chinese price mentions, without overlaps (the longer reading wins), by start."""
    spans = [EntitySpan(m.start(), m.end(), "PRICE", m.group(0), 1.0)
             for pattern in (PRICE_PATTERN, CHINESE_PRICE_PATTERN) for m in pattern.finditer(text or "")]
    return resolve_overlaps(spans)


def find_sizes(text: str) -> list[EntitySpan]:
    return [EntitySpan(m.start(), m.end(), SIZE, m.group(0), 1.0) for m in SIZE_PATTERN.finditer(text or "")]


class RuleEntityExtractor:
    """Catalogue + price-pattern extraction (and sizes when asked); no model needed."""

    def __init__(self, catalogue: Catalogue | None = None, *, sizes: bool = False) -> None:
        self.catalogue = catalogue or Catalogue()
        self.sizes = sizes  # off by default: SIZE spans would be refused as training rows (ml.entity_train)

    def extract_one(self, text: str | None) -> list[EntitySpan]:
        text = text or ""
        return resolve_overlaps([*self.catalogue.find(text), *find_prices(text),
                                 *(find_sizes(text) if self.sizes else ())])

    def extract(self, texts: Sequence[str | None]) -> list[list[EntitySpan]]:
        """Spans per text, in input order, each list sorted by start offset."""
        return [self.extract_one(t) for t in texts]


def bio_labels(offsets: Sequence[tuple[int, int]], spans: Sequence[EntitySpan],
               special: Sequence[bool] | None = None) -> list[int]:
    """BIO label ids (indices into BIO_LABELS) for tokens with character ``offsets``.

    A token belongs to a span when its characters overlap it; the first such token is ``B-``,
    the rest ``I-``. Special tokens (``special[i]`` True, or an empty (0, 0) offset) get
    IGNORE_INDEX so they stay out of the loss.
    """
    ids = {label: i for i, label in enumerate(BIO_LABELS)}
    result = []
    ordered = sorted(spans, key=lambda s: s.start)
    started: set[int] = set()
    for t, (start, end) in enumerate(offsets):
        if (special is not None and special[t]) or start == end:
            result.append(IGNORE_INDEX)
            continue
        tag = "O"
        for k, span in enumerate(ordered):
            if start < span.end and end > span.start:
                tag = ("I-" if k in started else "B-") + span.label
                started.add(k)
                break
        result.append(ids[tag])
    return result


def decode_bio(text: str, offsets: Sequence[tuple[int, int]], label_ids: Sequence[int],
               probabilities: Sequence[float] | None = None) -> list[EntitySpan]:
    """Character spans from per-token BIO predictions (IGNORE_INDEX or (0, 0) tokens are skipped).

    An ``I-X`` that does not continue an ``X`` span starts one (lenient decoding, as seqeval's
    default). A span's score is the mean probability of its tokens' predicted tags.
    """
    spans: list[EntitySpan] = []
    current: list[Any] | None = None  # [label, start, end, [probabilities]]

    def close() -> None:
        if current is not None:
            label, start, end, probs = current
            spans.append(EntitySpan(start, end, label, text[start:end], float(sum(probs) / len(probs))))

    for t, (start, end) in enumerate(offsets):
        label_id = label_ids[t]
        if label_id == IGNORE_INDEX or start == end:
            continue
        tag = BIO_LABELS[label_id]
        p = 1.0 if probabilities is None else float(probabilities[t])
        if tag == "O":
            close()
            current = None
            continue
        prefix, kind = tag.split("-", 1)
        if prefix == "I" and current is not None and current[0] == kind:
            current[2] = end
            current[3].append(p)
        else:
            close()
            current = [kind, start, end, [p]]
    close()
    return spans
