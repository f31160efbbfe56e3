import math

import pytest

from ml.recs.metrics import catalogue_coverage, ndcg_at_k, paired_bootstrap, ranking_report, recall_at_k


def test_ndcg_matches_the_hand_computed_value():
    # Hits at ranks 1 and 3: DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal (two hits at 1, 2) = 1 + 1/log2(3).
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b", "y"], {"a", "b"}, 10) == pytest.approx(expected)
    assert expected == pytest.approx(0.9197, abs=1e-4)


def test_ndcg_is_one_for_a_perfect_ranking_and_zero_without_hits():
    assert ndcg_at_k(["a", "b", "x"], {"a", "b"}, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a"}, 2) == 0.0


def test_ndcg_ignores_hits_below_the_cutoff():
    assert ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0
    assert ndcg_at_k(["x", "a"], {"a"}, 2) == pytest.approx(1 / math.log2(3))


def test_recall_counts_relevant_items_found_in_the_first_k():
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 2) == pytest.approx(0.25)
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 3) == pytest.approx(0.5)
    assert recall_at_k(["a"], set(), 10) == 0.0


def test_coverage_is_the_share_of_the_catalogue_shown_to_anyone():
    assert catalogue_coverage([["a", "b"], ["b", "c"], ["d", "e"]], 10, 2) == pytest.approx(0.5)


def test_report_averages_over_held_out_members_and_scores_missing_ones_zero():
    report = ranking_report({"m1": ["a", "x"], "m2": ["b"]}, {"m1": {"a"}, "m2": {"z"}, "m3": {"a"}},
                            catalogue_size=4, k=10)
    assert report.members == 3
    assert report.recall == pytest.approx(1 / 3)
    assert report.ndcg == pytest.approx(1 / 3)
    assert report.coverage == pytest.approx(3 / 4)


def test_a_paired_bootstrap_interval_excludes_zero_only_for_a_consistent_gain():
    mean, low, high = paired_bootstrap([0.5] * 50 + [0.4] * 50, [0.3] * 100)
    assert mean == pytest.approx(0.15) and 0 < low <= mean <= high
    mean, low, high = paired_bootstrap([1.0, 0.0] * 50, [0.0, 1.0] * 50)
    assert mean == 0.0 and low < 0 < high
