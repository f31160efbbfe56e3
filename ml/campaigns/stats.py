"""Campaign statistics: holdout buckets, the power estimate and the measured uplift. Plain Python.

Formulas (docs/campaigns.md explains them for merchandisers):
- Holdout: a member is held out when the first 8 hex digits of md5("<campaign id>:<member id>"),
  read as a number in [0, 1), fall below the holdout share. Random across members, the same on every
  run, and computable in SQL (services.campaigns compares the hex prefix as a string).
- Power: two-sided two-proportion z-test at ALPHA, unpooled variance, normal approximation.
- Uplift: difference of the target and holdout conversion rates and of revenue per member, with
  95 % normal (Welch) intervals.
"""

import hashlib
import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

ALPHA = 0.05
POWER = 0.80
# The holdout share is the smallest share that reaches POWER, kept within these bounds: below 5 %
# the holdout is too noisy to trust; above 50 % we would withhold the offer from most of the audience.
MIN_HOLDOUT_SHARE = 0.05
MAX_HOLDOUT_SHARE = 0.50
# When even a 50/50 split cannot reach POWER, the effect is not measurable with this audience; we
# still keep a modest holdout so that the campaign reports a (wide) interval rather than nothing.
UNDERPOWERED_HOLDOUT_SHARE = 0.10
HASH_PREFIX_DIGITS = 8
_HASH_SPACE = 16**HASH_PREFIX_DIGITS
_Z = NormalDist()


def holdout_bucket(*, campaign_id: int, member_id: int) -> float:
    """The member's position in [0, 1) for this campaign (see the module docstring)."""
    digest = hashlib.md5(f"{campaign_id}:{member_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:HASH_PREFIX_DIGITS], 16) / _HASH_SPACE


def holdout_threshold_hex(share: float) -> str:
    """The hex prefix below which a member is held out: bucket < share  <=>  prefix < this string."""
    return format(min(_HASH_SPACE - 1, round(share * _HASH_SPACE)), f"0{HASH_PREFIX_DIGITS}x")


def two_proportion_power(*, p_control: float, p_treatment: float, n_control: int, n_treatment: int,
                         alpha: float = ALPHA) -> float:
    """Probability that a two-sided two-proportion z-test at `alpha` detects the difference."""
    if n_control <= 0 or n_treatment <= 0:
        return 0.0
    diff = abs(p_treatment - p_control)
    se = math.sqrt(p_control * (1 - p_control) / n_control + p_treatment * (1 - p_treatment) / n_treatment)
    if se == 0:
        return 1.0 if diff > 0 else 0.0
    return _Z.cdf(diff / se - _Z.inv_cdf(1 - alpha / 2))


def required_per_group(*, p_control: float, p_treatment: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Members needed in each of two equal groups; None when the rates are equal (nothing to detect)."""
    diff = abs(p_treatment - p_control)
    if diff == 0:
        return None
    z_a, z_b = _Z.inv_cdf(1 - alpha / 2), _Z.inv_cdf(power)
    p_bar = (p_control + p_treatment) / 2
    n = (z_a * math.sqrt(2 * p_bar * (1 - p_bar))
         + z_b * math.sqrt(p_control * (1 - p_control) + p_treatment * (1 - p_treatment))) ** 2 / diff**2
    return math.ceil(n)


@dataclass(frozen=True)
class PowerPlan:
    audience_size: int
    baseline_rate: float
    expected_rate: float
    required_per_group: int | None  # for a 50/50 split
    minimum_audience: int | None
    holdout_share: float
    holdout_size: int
    power: float  # achieved with holdout_share
    measurable: bool
    explanation: str

    def as_dict(self) -> dict:
        return asdict(self)


def power_plan(*, audience_size: int, baseline_rate: float, expected_rate: float) -> PowerPlan:
    """Choose the holdout share for an audience: the smallest share in [MIN, MAX]_HOLDOUT_SHARE (1 %
    steps) whose split reaches POWER; UNDERPOWERED_HOLDOUT_SHARE, flagged not measurable, if none does."""
    needed = required_per_group(p_control=baseline_rate, p_treatment=expected_rate)
    minimum = 2 * needed if needed else None
    steps = range(round(MIN_HOLDOUT_SHARE * 100), round(MAX_HOLDOUT_SHARE * 100) + 1)
    for pct in steps:
        share = pct / 100
        holdout = round(audience_size * share)
        power = two_proportion_power(p_control=baseline_rate, p_treatment=expected_rate,
                                     n_control=holdout, n_treatment=audience_size - holdout)
        if power >= POWER:
            return PowerPlan(audience_size, baseline_rate, expected_rate, needed, minimum, share, holdout, power, True,
                             f"A {pct} % holdout ({holdout:,} members) detects the expected change from "
                             f"{baseline_rate:.1%} to {expected_rate:.1%} with {power:.0%} power.")
    share = UNDERPOWERED_HOLDOUT_SHARE
    holdout = round(audience_size * share)
    power = two_proportion_power(p_control=baseline_rate, p_treatment=expected_rate,
                                 n_control=holdout, n_treatment=audience_size - holdout)
    if minimum is None:
        why = "The prediction expects no change in conversion, so there is no effect to measure."
    else:
        why = (f"An audience of {audience_size:,} is too small to measure the expected change from "
               f"{baseline_rate:.1%} to {expected_rate:.1%}: that needs about {minimum:,} members "
               f"({needed:,} per group).")
    return PowerPlan(audience_size, baseline_rate, expected_rate, needed, minimum, share, holdout, power, False,
                     f"{why} A {share:.0%} holdout is kept anyway; the measured uplift will have a wide interval.")


@dataclass(frozen=True)
class GroupOutcome:
    members: int
    converters: int
    revenue: float  # total over the group
    revenue_sd: float  # standard deviation of revenue per member (sample)

    @property
    def conversion_rate(self) -> float:
        return self.converters / self.members if self.members else 0.0

    @property
    def revenue_per_member(self) -> float:
        return self.revenue / self.members if self.members else 0.0


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Uplift:
    conversion: Interval  # target rate - holdout rate (absolute)
    revenue_per_member: Interval  # target - holdout
    incremental_revenue: Interval  # revenue_per_member x target members
    significant: bool  # the conversion interval excludes zero


def uplift_compute(*, target: GroupOutcome, holdout: GroupOutcome, alpha: float = ALPHA) -> Uplift:
    """Measured uplift of target over holdout with (1 - alpha) normal intervals.

    Raises ValueError when either group is empty (there is nothing to compare).
    """
    if target.members == 0 or holdout.members == 0:
        raise ValueError("Both the target and the holdout group need members to measure an uplift.")
    z = _Z.inv_cdf(1 - alpha / 2)
    pt, ph = target.conversion_rate, holdout.conversion_rate
    d = pt - ph
    se = math.sqrt(pt * (1 - pt) / target.members + ph * (1 - ph) / holdout.members)
    conversion = Interval(d, d - z * se, d + z * se)
    r = target.revenue_per_member - holdout.revenue_per_member
    se_r = math.sqrt(target.revenue_sd**2 / target.members + holdout.revenue_sd**2 / holdout.members)
    revenue = Interval(r, r - z * se_r, r + z * se_r)
    n = target.members
    incremental = Interval(r * n, revenue.low * n, revenue.high * n)
    return Uplift(conversion, revenue, incremental, conversion.low > 0 or conversion.high < 0)
