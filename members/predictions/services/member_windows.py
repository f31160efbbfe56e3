"""Labelled windows the member models train, calibrate and backtest on.

A window for date W is the MemberFeatures snapshot as of W with what each member did in the
`horizon_days` days after W (churned, spend): every label of a window for W <= T - horizon lies
before T's cut-off, so a model built for T from such windows has seen nothing after T.

For a model date T (members.predictions.services.churn / spend_forecast):
- T - h: the most recent labelled window (production models are fitted on it);
- T - 2h: the window before (the registry's backtest trains there and evaluates on T - h);
- T - 365 and T - 365 - h: the same period last year and the one before it, for the seasonal
  adjustment, used only when the shop's data reaches back that far (SEASON_MIN_MEMBERS members
  with an order before the earlier one).
Snapshots are computed on first use and kept for the whole refresh (churn and forecast share them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from members.core.models.order import REVENUE_STATUSES
from members.models import Order
from members.predictions.selectors.member_features import OUTCOME_DAYS, member_feature_rows, member_outcomes
from members.predictions.services.member_features import features_cutoff, member_features_compute

YEAR_DAYS = 365
SEASON_MIN_MEMBERS = 100  # members who had bought by the earlier last-year window's date


@dataclass
class LabelledWindow:
    as_of: date
    rows: list[dict]
    churned: list[int]
    spend: list[float]


def labelled_window(*, as_of: date, horizon_days: int = OUTCOME_DAYS) -> LabelledWindow:
    """Compute (or refresh) the snapshot as of `as_of` and read it with its outcomes."""
    member_features_compute(as_of=as_of)
    rows = member_feature_rows(as_of=as_of)
    ids, churned, spend = member_outcomes(as_of=as_of, days=horizon_days)
    assert [r["member_id"] for r in rows] == ids  # both ordered by member id over the same snapshot
    return LabelledWindow(as_of, rows, churned, spend)


@dataclass
class TrainingWindows:
    """The windows for one model date (see the module docstring), computed lazily."""

    as_of: date
    horizon_days: int = OUTCOME_DAYS
    _cache: dict[date, LabelledWindow] = field(default_factory=dict, repr=False)

    def window(self, day: date) -> LabelledWindow:
        if day not in self._cache:
            self._cache[day] = labelled_window(as_of=day, horizon_days=self.horizon_days)
        return self._cache[day]

    def latest(self, before: date | None = None) -> LabelledWindow:
        """The most recent window whose labels end by `before` (default: the model date)."""
        return self.window((before or self.as_of) - timedelta(days=self.horizon_days))

    def seasonal(self, reference: date) -> tuple[LabelledWindow, LabelledWindow] | None:
        """(same period last year, the period before it) for a model dated `reference`, or None
        when the data does not reach back far enough for both to mean something."""
        season = reference - timedelta(days=YEAR_DAYS)
        before = season - timedelta(days=self.horizon_days)
        # Counting stops at the threshold (LIMIT in a subquery): cheap at millions of orders.
        buyers = (Order.objects.filter(status__in=REVENUE_STATUSES, placed_at__lt=features_cutoff(as_of=before))
                  .order_by().values("member_id").distinct()[:SEASON_MIN_MEMBERS].count())  # fmt: skip
        if buyers < SEASON_MIN_MEMBERS:
            return None
        return self.window(season), self.window(before)

    # The two windows the registry's backtest uses, under the names the rest of the code reads.
    @property
    def train_as_of(self) -> date:
        return self.as_of - timedelta(days=2 * self.horizon_days)

    @property
    def eval_as_of(self) -> date:
        return self.as_of - timedelta(days=self.horizon_days)

    @property
    def train_rows(self) -> list[dict]:
        return self.window(self.train_as_of).rows

    @property
    def train_churn(self) -> list[int]:
        return self.window(self.train_as_of).churned

    @property
    def train_spend(self) -> list[float]:
        return self.window(self.train_as_of).spend

    @property
    def eval_rows(self) -> list[dict]:
        return self.window(self.eval_as_of).rows

    @property
    def eval_churn(self) -> list[int]:
        return self.window(self.eval_as_of).churned

    @property
    def eval_spend(self) -> list[float]:
        return self.window(self.eval_as_of).spend


def training_windows(*, as_of: date, horizon_days: int = OUTCOME_DAYS) -> TrainingWindows:
    """The windows for model date `as_of`; the two registry windows are computed now."""
    windows = TrainingWindows(as_of=as_of, horizon_days=horizon_days)
    windows.train_rows, windows.eval_rows  # noqa: B018 -- compute both snapshots up front
    return windows
