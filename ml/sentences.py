"""Splitting review text into sentences, shared by the topic labeller (ml.topics), which compares
each sentence with its topic prototypes, and ml.scoring, which pools each sentence's tokens from
the scoring pass (ml.topics imports ml.scoring's Encoder, so these cannot live in ml.topics)."""

from __future__ import annotations

import re

from ml.language import HAN_CLASS

MAX_SENTENCES = 32  # per review; very long texts keep their first sentences (cost grows per sentence)

# English sentence ends need whitespace after them ("3.5", "U.S." stay whole). Chinese puts no space
# after its full-width 。！？；, so those end a sentence by themselves (a run of them, "。。。" or "！？",
# ends one sentence), as does a half-width !?; that is directly followed by a Chinese character
# ("太慢了!再也不点了").
_SENTENCE_SPLIT = re.compile(rf"(?<=[.!?;\n])\s+|(?<=[。！？；])(?![。！？；!?])\s*|(?<=[!?;])(?=[{HAN_CLASS}])|\n+")


def split_sentences(text: str) -> list[str]:
    """Non-empty sentences of ``text`` (at most MAX_SENTENCES); the text itself if it has none."""
    parts = [p.strip() for p in _SENTENCE_SPLIT.split(text or "") if p and p.strip()]
    return parts[:MAX_SENTENCES] or [text.strip() or " "]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` in ``text`` of split_sentences(text), in the same order:
    ``text[start:end] == sentence``. The text itself (stripped) when it has no sentence; an empty
    or blank text gives one empty span, which covers no token (see ml.scoring.sentence_pool)."""
    spans, position = [], 0
    for sentence in split_sentences(text):
        start = (text or "").find(sentence, position)
        if start < 0:  # only the blank placeholder " " of an empty text
            spans.append((position, position))
            continue
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    return spans
