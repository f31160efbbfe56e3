"""Topic keywords, sentence splitting and entity rules on Chinese (and mixed) review text."""

import pytest

from ml.entities import SIZE, Catalogue, RuleEntityExtractor, find_prices, find_sizes
from ml.topics import TopicSpec, WeakTopicLabeller, keyword_hits, keyword_regex, split_sentences


def matched(text: str, *keywords: str) -> list[str]:
    return [hit for _, _, hit in keyword_hits(text, keyword_regex(keywords))]


def test_sentences_split_on_full_width_punctuation_and_newlines():
    text = "送餐很快，好吃。味道足！还会再点吗？会；下次见\n第二行"
    assert split_sentences(text) == ["送餐很快，好吃。", "味道足！", "还会再点吗？", "会；", "下次见", "第二行"]


def test_a_half_width_mark_before_chinese_ends_a_sentence_but_decimals_stay_whole():
    assert split_sentences("太慢了!再也不点了") == ["太慢了!", "再也不点了"]
    assert split_sentences("Rated 3.5 stars. OK") == ["Rated 3.5 stars.", "OK"]
    assert split_sentences("好吃。。。下次再来！？") == ["好吃。。。", "下次再来！？"]  # a run ends one sentence


def test_chinese_keywords_match_inside_running_text():
    assert matched("这家送餐速度很快，分量也足", "送餐", "分量") == ["送餐", "分量"]
    assert matched("送 餐", "送餐") == []  # literal characters: no stemming, no inserted spaces
    assert matched("配送太慢", "配送 太慢") == ["配送太慢"]  # a space in a keyword allows any or none


def test_english_keywords_keep_word_boundaries_but_a_chinese_neighbour_is_one():
    assert matched("outfit benefit fitness", "fit") == []
    assert matched("这件衣服size偏小，fit不好", "size", "fit") == ["size", "fit"]


def test_a_mixed_keyword_needs_a_boundary_only_at_its_latin_end():
    assert matched("买了AT恤", "T恤") == []
    assert matched("买了T恤很好", "T恤") == ["T恤"]


def test_a_chinese_staff_topic_is_labelled_by_its_keywords():
    topic = TopicSpec("delivery_speed", "配送速度", "送餐快慢", ("送餐", "配送", "太慢"))
    labeller = WeakTopicLabeller([topic])
    slow, tasty = labeller.label(["等了两个小时，配送太慢了", "味道很好"])
    assert slow.topics == ["delivery_speed"] and slow.evidence["delivery_speed"].keywords == ("配送", "太慢")
    assert tasty.topics == []


@pytest.mark.parametrize(("text", "expected"), [
    ("只要¥12很划算", ["¥12"]),
    ("￥12.5一份", ["￥12.5"]),
    ("一共12元", ["12元"]),
    ("花了12.50元，还有30块钱的券", ["12.50元", "30块钱"]),
    ("才12块，值", ["12块"]),
    ("人民币40元", ["人民币40元"]),
    ("3块蛋糕都碎了", []),  # 块 is also the measure word "pieces"
    ("版本v1.5元", []),
    ("It cost ¥12. Fine", ["¥12"]),  # the English and Chinese rules agree: one span
])
def test_chinese_price_patterns(text, expected):
    spans = find_prices(text)
    assert [s.text for s in spans] == expected
    assert all(text[s.start:s.end] == s.text and s.label == "PRICE" for s in spans)


def test_chinese_sizes_are_found_with_their_character_offsets():
    text = "平时穿M码，这次买了大码和XL，均码偏小，38码的鞋"
    spans = find_sizes(text)
    assert [s.text for s in spans] == ["M码", "大码", "XL", "均码", "38码"]
    assert all(text[s.start:s.end] == s.text and s.label == SIZE for s in spans)
    assert find_sizes("起码要等一小时，号码不对") == []


def test_chinese_brands_and_products_are_found_inside_running_text():
    catalogue = Catalogue(brands=["优衣库", "Nike"], products=["优衣库 羽绒服"])
    extractor = RuleEntityExtractor(catalogue)
    text = "我在优衣库买的Nike鞋，优衣库羽绒服只要¥299，大码"
    spans = [(s.label, s.text, s.start, s.end) for s in extractor.extract_one(text)]
    assert spans == [
        ("BRAND", "优衣库", 2, 5),
        ("BRAND", "Nike", 7, 11),
        ("PRODUCT", "优衣库羽绒服", 13, 19),  # a space in the catalogue name matches none in the text
        ("PRICE", "¥299", 21, 25),
    ]
    with_sizes = RuleEntityExtractor(catalogue, sizes=True).extract_one(text)
    assert [(s.label, s.text) for s in with_sizes][-1] == (SIZE, "大码")
