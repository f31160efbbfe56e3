"""Rule-based entities: catalogue and price spans on character offsets, BIO tags and decoding."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from ml.base_model import packaged_model_path
from ml.entities import (
    BIO_LABELS,
    IGNORE_INDEX,
    Catalogue,
    EntitySpan,
    RuleEntityExtractor,
    bio_labels,
    decode_bio,
    find_prices,
)

CATALOGUE = Catalogue(brands=["Nike", "Levi's", "Retailer Basics"], products=["Nike Air Max 90", "Boho Maxi Dress"])


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(packaged_model_path(), local_files_only=True)


def spans_of(text):
    return [(s.label, s.text, s.start, s.end) for s in RuleEntityExtractor(CATALOGUE).extract_one(text)]


def test_brand_product_and_price_spans_point_at_the_original_characters():
    text = "Got the NIKE air max 90 for $129.99 - Nike never fails. Also a boho maxi dress, 20 dollars."
    spans = RuleEntityExtractor(CATALOGUE).extract_one(text)
    assert [(s.label, s.text) for s in spans] == [
        ("PRODUCT", "NIKE air max 90"), ("PRICE", "$129.99"), ("BRAND", "Nike"),
        ("PRODUCT", "boho maxi dress"), ("PRICE", "20 dollars"),
    ]
    for span in spans:
        assert text[span.start:span.end] == span.text
        assert span.score == 1.0


def test_longest_catalogue_name_wins_and_names_need_word_boundaries():
    assert spans_of("nike air max 90") == [("PRODUCT", "nike air max 90", 0, 15)]
    assert spans_of("Nikes and snike") == []


@pytest.mark.parametrize("text, expected", [
    ("only $12.99!", "$12.99"), ("12,99 € each", "12,99 €"), ("a £5 top", "£5"), ("20 dollars", "20 dollars"),
    ("EUR 40 total", "EUR 40"), ("US$ 1,299.00", "US$ 1,299.00"), ("15 bucks", "15 bucks"), ("€30", "€30"),
])
def test_price_patterns(text, expected):
    assert [s.text for s in find_prices(text)] == [expected]


def test_sizes_and_percentages_are_not_prices():
    assert find_prices("I wear a size 8, 100% cotton, 5'4\" and 130 lbs") == []


def test_empty_emoji_and_long_texts_are_fine():
    extractor = RuleEntityExtractor(CATALOGUE)
    long_text = "filler words " * 5000 + "Nike for $5"
    assert extractor.extract(["", None, "😀👗"]) == [[], [], []]
    spans = extractor.extract_one(long_text)
    assert [s.text for s in spans] == ["Nike", "$5"] and long_text[spans[1].start:spans[1].end] == "$5"


def test_no_catalogue_still_finds_prices():
    assert [s.label for s in RuleEntityExtractor().extract_one("Paid $40 for Nike")] == ["PRICE"]


def test_bio_tags_follow_token_offsets(tokenizer):
    text = "Love my Nike Air Max 90, $129.99!"
    spans = RuleEntityExtractor(CATALOGUE).extract_one(text)
    encoded = tokenizer(text, return_offsets_mapping=True)
    special = [sid is None for sid in encoded.sequence_ids()]
    labels = bio_labels(encoded["offset_mapping"], spans, special)
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    tagged = [(tok, BIO_LABELS[i]) for tok, i in zip(tokens, labels) if i != IGNORE_INDEX]
    assert labels[0] == IGNORE_INDEX and labels[-1] == IGNORE_INDEX  # [CLS], [SEP]
    assert tagged[:2] == [("love", "O"), ("my", "O")]
    assert tagged[2:7] == [("nike", "B-PRODUCT"), ("air", "I-PRODUCT"), ("max", "I-PRODUCT"),
                           ("90", "I-PRODUCT"), (",", "O")]
    assert [t for t, tag in tagged if tag.endswith("PRICE")] == ["$", "129", ".", "99"]
    assert next(tag for _, tag in tagged if tag.endswith("PRICE")) == "B-PRICE"


def test_decoding_bio_tags_round_trips_to_the_same_character_spans(tokenizer):
    text = "Levi's jeans: 12,99 € at Retailer Basics"
    spans = RuleEntityExtractor(CATALOGUE).extract_one(text)
    encoded = tokenizer(text, return_offsets_mapping=True)
    special = [sid is None for sid in encoded.sequence_ids()]
    labels = bio_labels(encoded["offset_mapping"], spans, special)
    assert decode_bio(text, encoded["offset_mapping"], labels) == spans


def test_decoding_starts_a_span_at_a_stray_inside_tag():
    ids = {label: i for i, label in enumerate(BIO_LABELS)}
    text = "a Nike b"
    decoded = decode_bio(text, [(0, 1), (2, 6), (7, 8)], [ids["O"], ids["I-BRAND"], ids["O"]], [0.9, 0.8, 0.9])
    assert decoded == [EntitySpan(2, 6, "BRAND", "Nike", 0.8)]
