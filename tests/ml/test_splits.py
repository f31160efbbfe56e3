from datetime import UTC, datetime, timedelta

from ml.data import Example
from ml.labels import MIN_HUMAN_TEST_ROWS
from ml.splits import cap_examples, split_examples

START = datetime(2024, 1, 1, tzinfo=UTC)


def _examples(n, *, timestamps=False, human=0):
    return [
        Example(i, f"text {i}", i % 3, i < human, START + timedelta(days=(i * 7) % n) if timestamps else None)
        for i in range(n)
    ]


def test_split_is_six_two_two_by_default():
    split = split_examples(_examples(100), shares=(0.6, 0.2, 0.2), seed=1)
    assert split.sizes() == {"train": 60, "validation": 20, "test": 20}


def test_split_by_time_puts_the_newest_rows_in_test():
    split = split_examples(_examples(100, timestamps=True), shares=(0.6, 0.2, 0.2), seed=1)
    assert "time" in split.strategy
    assert max(e.timestamp for e in split.train) < min(e.timestamp for e in split.validation)
    assert max(e.timestamp for e in split.validation) < min(e.timestamp for e in split.test)


def test_random_split_is_stratified_seeded_and_disjoint():
    examples = _examples(90)
    first = split_examples(examples, shares=(0.6, 0.2, 0.2), seed=7)
    again = split_examples(examples, shares=(0.6, 0.2, 0.2), seed=7)
    other = split_examples(examples, shares=(0.6, 0.2, 0.2), seed=8)
    assert [e.index for e in first.test] == [e.index for e in again.test]
    assert [e.index for e in first.test] != [e.index for e in other.test]
    for part in (first.train, first.validation, first.test):
        counts = [sum(e.label_id == c for e in part) for c in range(3)]
        assert len(set(counts)) == 1  # 30 per class cut 18/6/6 in every class
    indices = [e.index for part in (first.train, first.validation, first.test) for e in part]
    assert sorted(indices) == list(range(90))


def test_enough_human_labels_become_the_test_set_and_stay_out_of_training():
    examples = _examples(1000, human=MIN_HUMAN_TEST_ROWS)
    split = split_examples(examples, shares=(0.6, 0.2, 0.2), seed=1)
    assert len(split.test) == MIN_HUMAN_TEST_ROWS and all(e.human for e in split.test)
    assert not any(e.human for e in split.train + split.validation)
    assert (len(split.train), len(split.validation)) == (600, 200)


def test_few_human_labels_are_split_like_any_row():
    split = split_examples(_examples(1000, human=MIN_HUMAN_TEST_ROWS - 1), shares=(0.6, 0.2, 0.2), seed=1)
    assert any(e.human for e in split.train)
    assert len(split.test) == 200


def test_cap_takes_a_seeded_subset_in_input_order():
    examples = _examples(50)
    capped = cap_examples(examples, 10, seed=3)
    assert len(capped) == 10
    assert [e.index for e in capped] == sorted(e.index for e in capped)
    assert capped == cap_examples(examples, 10, seed=3)
    assert cap_examples(examples, None, seed=3) is examples
