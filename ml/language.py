"""Which script a review is written in, and whether a tokenizer can read it.

The packaged all-MiniLM-L6-v2 has an English WordPiece vocabulary: on Chinese food-delivery
reviews (../shared/datasets/waimai_10k) 66% of its tokens are ``[UNK]``, so a fine-tune sees
mostly the same token and learns nothing. This module measures that before anyone trains.

Detection is by character class, not by a language-identification model, because
* the question that matters is whether the base model's *vocabulary covers the script*, and the
  script is written in the code points themselves (Han ideographs are unambiguous);
* it needs no extra dependency and no model download (nothing may download at run time), and it
  is deterministic and costs microseconds per review.
The price: languages that share a script are not told apart (French counts as "en", the Latin
script; Japanese counts as "other" as soon as it holds kana, even though it also uses Han).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

ZH = "zh"  # Han ideographs, no kana
EN = "en"  # Latin script
OTHER = "other"  # any other script (Cyrillic, Arabic, kana, Hangul...), or no letters at all
LANGUAGES = (ZH, EN, OTHER)

# A review is "zh" when Han characters are at least this share of its letters. One Han character
# carries about a word, so a Chinese review with an English brand name ("Nike鞋很舒服") stays zh,
# while an English review naming a Chinese shop ("ordered from 优衣库, great fit") stays en.
MIN_HAN_SHARE = 0.3

# Above this share of [UNK] tokens the base model "cannot read" a language: a few unknown emoji or
# rare symbols in English stay far below it (the clothing reviews: 0 of 1.35M tokens), while the
# packaged MiniLM on Chinese reviews sits at 66%. Between the two, 15% means roughly one word in
# seven is invisible to the model -- too many for a fine-tune to be trusted over a char n-gram baseline.
UNREADABLE_UNK_SHARE = 0.15

# Code point ranges of Han ideographs: CJK Unified Ideographs, Extension A, Compatibility
# Ideographs, and Extensions B-F plus the supplement (the planes above the BMP).
_HAN_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
# The same ranges as a regular-expression character-class body, e.g. f"[{HAN_CLASS}]".
HAN_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _HAN_RANGES)
_KANA_RANGES = ((0x3040, 0x30FF), (0x31F0, 0x31FF))  # hiragana, katakana (+ phonetic extensions)


def is_han(char: str) -> bool:
    """True for a Han ideograph (a Chinese character, also used in Japanese and Korean)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _HAN_RANGES)


def has_han(text: str) -> bool:
    return any(is_han(c) for c in text)


def _is_kana(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _KANA_RANGES)


def detect_language(text: str | None) -> str:
    """"zh", "en" or "other" for one text, by its letters' scripts (see the module docstring)."""
    text = text or ""
    han = latin = other = 0
    for i, char in enumerate(text):
        if is_han(char):
            han += 1
        elif _is_kana(char):
            # Japanese: kana inside words say so even when Han characters dominate. A kana between
            # symbols, as in the emoticon (づ｡◕‿‿◕｡)づ closing a Chinese review, is decoration.
            neighbours = text[max(i - 1, 0):i] + text[i + 1:i + 2]
            if any(is_han(c) or _is_kana(c) for c in neighbours):
                return OTHER
        elif char.isalpha():
            if char.isascii() or "LATIN" in unicodedata.name(char, ""):
                latin += 1
            else:
                other += 1
    letters = han + latin + other
    if not letters:
        return OTHER
    if han / letters >= MIN_HAN_SHARE:
        return ZH
    return EN if latin >= other else OTHER


def language_shares(texts: Iterable[str | None]) -> dict[str, float]:
    """Share of texts per language (every key of LANGUAGES present, shares sum to 1; all 0 for no texts)."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for text in texts:
        counts[detect_language(text)] += 1
    total = sum(counts.values())
    return {language: (count / total if total else 0.0) for language, count in counts.items()}


def dominant_language(texts: Iterable[str | None]) -> str:
    """The most common language of ``texts`` (ties go to the order of LANGUAGES; "other" for none)."""
    shares = language_shares(texts)
    if not any(shares.values()):
        return OTHER
    return max(LANGUAGES, key=lambda language: shares[language])


@dataclass(frozen=True)
class UnkStats:
    texts: int
    tokens: int  # tokens the tokenizer produced, special tokens ([CLS], [SEP]) not counted
    unk_tokens: int

    @property
    def unk_share(self) -> float:
        return self.unk_tokens / self.tokens if self.tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "unk_share": round(self.unk_share, 4)}


def _count_unk(tokenizer: Any, texts: Sequence[str]) -> UnkStats:
    unk_id = getattr(tokenizer, "unk_token_id", None)
    if not texts:
        return UnkStats(0, 0, 0)
    # Whole texts, untruncated: the share is about the vocabulary, not the model's max length.
    # verbose=False keeps the "longer than the maximum sequence length" warning quiet.
    ids = tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    tokens = sum(len(row) for row in ids)
    # A byte-level tokenizer (GPT-2, RoBERTa) has no unk token and can read every script.
    unk = 0 if unk_id is None else sum(row.count(unk_id) for row in ids)
    return UnkStats(len(texts), tokens, unk)


def unk_share(tokenizer: Any, texts: Sequence[str | None]) -> float:
    """Share of the tokens ``tokenizer`` produces for ``texts`` that are its unknown token."""
    return _count_unk(tokenizer, ["" if t is None else str(t) for t in texts]).unk_share


def unk_stats_by_language(tokenizer: Any, texts: Sequence[str | None]) -> dict[str, UnkStats]:
    """UnkStats per detected language (only languages that occur)."""
    groups: dict[str, list[str]] = {}
    for text in texts:
        text = "" if text is None else str(text)
        groups.setdefault(detect_language(text), []).append(text)
    return {language: _count_unk(tokenizer, group) for language, group in groups.items()}


def cannot_read(share: float) -> bool:
    """True when a tokenizer's unk share says the base model cannot read the text (see UNREADABLE_UNK_SHARE)."""
    return share > UNREADABLE_UNK_SHARE


@dataclass(frozen=True)
class LanguageCheck:
    """What ml.train records before fine-tuning: which languages the texts are in, how much of
    each the base model's tokenizer turns into unknown tokens, and the verdict."""

    dominant: str
    shares: dict[str, float]  # share of texts per language
    unk: dict[str, UnkStats]  # per language that occurs
    overall_unk_share: float
    readable: bool  # False: serve the char n-gram baseline instead of a fine-tune

    @property
    def unreadable_languages(self) -> list[str]:
        return [language for language, stats in self.unk.items() if cannot_read(stats.unk_share)]

    def reason(self) -> str:
        """One sentence for a person (empty when readable)."""
        if self.readable:
            return ""
        return (f"the base model cannot read these texts: {self.overall_unk_share:.0%} of their tokens are unknown "
                f"to its tokenizer (mostly {self.dominant}; limit {UNREADABLE_UNK_SHARE:.0%})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "dominant": self.dominant,
            "shares": {k: round(v, 4) for k, v in self.shares.items()},
            "unk": {k: v.to_dict() for k, v in self.unk.items()},
            "overall_unk_share": round(self.overall_unk_share, 4),
            "readable": self.readable,
            "unreadable_languages": self.unreadable_languages,
            "unreadable_unk_share": UNREADABLE_UNK_SHARE,
        }


def check_language(tokenizer: Any, texts: Sequence[str | None]) -> LanguageCheck:
    """Detect the texts' languages and decide whether ``tokenizer``'s model can read them.

    The verdict is on all texts together (a shop with a few Chinese reviews among many English
    ones is still served by the fine-tune); the per-language figures say where the unknowns are.
    """
    per_language = unk_stats_by_language(tokenizer, texts)
    tokens = sum(s.tokens for s in per_language.values())
    overall = sum(s.unk_tokens for s in per_language.values()) / tokens if tokens else 0.0
    shares = language_shares(texts)
    return LanguageCheck(
        dominant=dominant_language(texts), shares=shares, unk=per_language, overall_unk_share=overall,
        readable=not cannot_read(overall),
    )


def unk_shares(tokenizer: Any, texts: Sequence[str | None]) -> list[float]:
    """The unknown-token share of each text on its own (0 for a text with no tokens), in one tokenizer call:
    what a scorer flags per review when its model cannot read that review (see cannot_read)."""
    texts = ["" if t is None else str(t) for t in texts]
    if not texts:
        return []
    unk_id = getattr(tokenizer, "unk_token_id", None)
    ids = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    if unk_id is None:
        return [0.0] * len(texts)
    return [row.count(unk_id) / len(row) if row else 0.0 for row in ids]


LANGUAGE_CHECK_MAX_TEXTS = 5000  # a seeded sample is enough for a share; tokenising 1M reviews is not needed


def check_base_model_language(base_model: str | None, texts: Sequence[str | None], *, seed: int = 0,
                              max_texts: int = LANGUAGE_CHECK_MAX_TEXTS) -> LanguageCheck:
    """check_language with the tokenizer of ``base_model`` (ml.base_model: None = the packaged MiniLM),
    on at most ``max_texts`` of ``texts`` (a seeded random sample). Loads only the tokenizer."""
    import random

    from transformers import AutoTokenizer

    from ml.base_model import resolve_base_model

    base = resolve_base_model(base_model)
    tokenizer = AutoTokenizer.from_pretrained(base.location, local_files_only=base.local_files_only)
    texts = list(texts)
    if len(texts) > max_texts:
        texts = random.Random(seed).sample(texts, max_texts)
    return check_language(tokenizer, texts)
