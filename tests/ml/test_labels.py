import pytest

from ml.config import TrainConfig
from ml.data import DataError, build_examples, compose_text
from ml.labels import class_weights, label_maps, parse_rating, sentiment_from_rating


@pytest.mark.parametrize(
    ("rating", "label"), [(1, "negative"), (2, "negative"), (3, "neutral"), (4, "positive"), (5, "positive")]
)
def test_star_rating_maps_to_sentiment(rating, label):
    assert sentiment_from_rating(rating) == label


def test_rating_parsing_accepts_numbers_and_rejects_nonsense():
    assert parse_rating("4") == 4
    assert parse_rating("4.0") == 4
    assert parse_rating(5) == 5
    assert parse_rating("") is None
    for bad in ("4.5", "0", "6", "great"):
        with pytest.raises(ValueError):
            parse_rating(bad)


def test_human_label_overrides_star_rating():
    config = TrainConfig(text_column="body", rating_column="rating", label_column="label")
    rows = [
        {"body": "fine", "rating": "5", "label": "Negative"},
        {"body": "fine", "rating": "5", "label": ""},
    ]
    examples, summary = build_examples(rows, config)
    _, label2id = label_maps("sentiment")
    assert [e.label_id for e in examples] == [label2id["negative"], label2id["positive"]]
    assert [e.human for e in examples] == [True, False]
    assert summary.rows_human_labelled == 1


def test_rows_without_text_or_label_are_left_out_and_counted():
    config = TrainConfig(text_column="body", title_column="title", rating_column="rating")
    rows = [
        {"body": "", "title": "", "rating": "5"},
        {"body": "nice", "title": "", "rating": ""},
        {"body": "", "title": "Great", "rating": "4"},
    ]
    examples, summary = build_examples(rows, config)
    assert [e.text for e in examples] == ["Great"]
    assert (summary.rows_without_text, summary.rows_without_label) == (1, 1)


def test_bad_rating_error_names_the_csv_line():
    config = TrainConfig(text_column="body", rating_column="rating")
    with pytest.raises(DataError, match="line 3: rating 'seven'"):
        build_examples([{"body": "a", "rating": "1"}, {"body": "b", "rating": "seven"}], config)


def test_title_and_text_are_joined_into_one_input():
    assert compose_text("fits well", "Love it") == "Love it. fits well"
    assert compose_text("fits well", "Love it!") == "Love it! fits well"
    assert compose_text(None, "Love it") == "Love it"
    assert compose_text("  ", None) == ""


def test_class_weights_are_inverse_frequency():
    # 6 negative, 3 neutral, 1 positive: n / (k * count) = 10/18, 10/9, 10/3
    weights = class_weights([0] * 6 + [1] * 3 + [2], 3)
    assert weights == pytest.approx([10 / 18, 10 / 9, 10 / 3])


def test_class_weight_of_an_absent_class_is_one():
    assert class_weights([0, 0, 2, 2], 3) == pytest.approx([1.0, 1.0, 1.0])


def test_label_maps_round_trip():
    id2label, label2id = label_maps("sentiment")
    assert id2label == {0: "negative", 1: "neutral", 2: "positive"}
    assert {label: id2label[i] for label, i in label2id.items()} == {v: v for v in id2label.values()}
