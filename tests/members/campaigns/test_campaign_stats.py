"""Pure statistics: power estimate, holdout buckets and the uplift on a constructed example."""

import hashlib
import math

import pytest

from ml.campaigns.stats import (
    GroupOutcome,
    holdout_bucket,
    holdout_threshold_hex,
    power_plan,
    required_per_group,
    two_proportion_power,
    uplift_compute,
)


def test_required_sample_size_matches_the_textbook_two_proportion_formula():
    # 10 % -> 15 %, alpha 0.05 two-sided, power 0.8: the classic answer is 686 per group
    # ((1.96*sqrt(2*.125*.875) + 0.8416*sqrt(.09+.1275))^2 / .05^2 = 685.6).
    assert required_per_group(p_control=0.10, p_treatment=0.15) == 686


def test_power_at_the_required_size_is_about_eighty_percent():
    power = two_proportion_power(p_control=0.10, p_treatment=0.15, n_control=686, n_treatment=686)
    assert 0.79 < power < 0.82


def test_no_difference_needs_no_sample_and_has_no_power_to_gain():
    assert required_per_group(p_control=0.1, p_treatment=0.1) is None
    assert power_plan(audience_size=10_000, baseline_rate=0.1, expected_rate=0.1).measurable is False


def test_large_audience_gets_the_smallest_holdout_that_reaches_power():
    plan = power_plan(audience_size=100_000, baseline_rate=0.10, expected_rate=0.15)
    assert plan.measurable
    assert plan.holdout_share == 0.05  # the floor: 5,000 held out is plenty
    assert plan.power >= 0.8


def test_medium_audience_needs_a_larger_holdout():
    plan = power_plan(audience_size=3_000, baseline_rate=0.10, expected_rate=0.15)
    assert plan.measurable
    assert 0.05 < plan.holdout_share <= 0.5
    smaller = plan.holdout_share - 0.01
    assert two_proportion_power(p_control=0.10, p_treatment=0.15, n_control=round(3_000 * smaller),
                                n_treatment=3_000 - round(3_000 * smaller)) < 0.8


def test_small_audience_is_reported_as_too_small_to_measure():
    plan = power_plan(audience_size=300, baseline_rate=0.10, expected_rate=0.12)
    assert not plan.measurable
    assert plan.minimum_audience == 2 * required_per_group(p_control=0.10, p_treatment=0.12)
    assert "too small to measure" in plan.explanation
    assert plan.holdout_share == 0.10


def test_holdout_bucket_is_stable_and_uniform_enough():
    assert holdout_bucket(campaign_id=7, member_id=42) == holdout_bucket(campaign_id=7, member_id=42)
    buckets = [holdout_bucket(campaign_id=7, member_id=m) for m in range(20_000)]
    held = sum(b < 0.2 for b in buckets) / len(buckets)
    assert 0.19 < held < 0.21
    other = [holdout_bucket(campaign_id=8, member_id=m) < 0.2 for m in range(20_000)]
    assert other != [b < 0.2 for b in buckets]  # each campaign draws its own holdout


def test_threshold_hex_orders_like_the_bucket():
    threshold = holdout_threshold_hex(0.2)
    for member_id in range(2_000):
        prefix = hashlib.md5(f"3:{member_id}".encode()).hexdigest()[:8]
        assert (prefix < threshold) == (holdout_bucket(campaign_id=3, member_id=member_id) < 0.2)


def test_uplift_on_a_constructed_example():
    # Target: 1,000 members, 150 bought, 30,000.00 revenue (sd 80); holdout: 1,000, 100 bought, 20,000.00 (sd 60).
    uplift = uplift_compute(
        target=GroupOutcome(members=1000, converters=150, revenue=30_000.0, revenue_sd=80.0),
        holdout=GroupOutcome(members=1000, converters=100, revenue=20_000.0, revenue_sd=60.0),
    )
    se = math.sqrt(0.15 * 0.85 / 1000 + 0.10 * 0.90 / 1000)
    assert uplift.conversion.estimate == pytest.approx(0.05)
    assert uplift.conversion.low == pytest.approx(0.05 - 1.959964 * se, abs=1e-6)
    assert uplift.conversion.high == pytest.approx(0.05 + 1.959964 * se, abs=1e-6)
    assert uplift.significant
    se_r = math.sqrt(80**2 / 1000 + 60**2 / 1000)
    assert uplift.revenue_per_member.estimate == pytest.approx(10.0)
    assert uplift.revenue_per_member.low == pytest.approx(10.0 - 1.959964 * se_r, abs=1e-4)
    assert uplift.incremental_revenue.estimate == pytest.approx(10_000.0)


def test_uplift_with_no_real_difference_is_not_significant():
    uplift = uplift_compute(
        target=GroupOutcome(members=200, converters=21, revenue=2_100.0, revenue_sd=40.0),
        holdout=GroupOutcome(members=200, converters=20, revenue=2_000.0, revenue_sd=40.0),
    )
    assert not uplift.significant
    assert uplift.conversion.low < 0 < uplift.conversion.high


def test_uplift_refuses_an_empty_group():
    with pytest.raises(ValueError, match="need members"):
        uplift_compute(target=GroupOutcome(10, 1, 10.0, 1.0), holdout=GroupOutcome(0, 0, 0.0, 0.0))
