"""Turn MemberFeatures rows (dicts) into a numeric matrix, and feature deviations into words.

Missing values stay NaN: scikit-learn's histogram gradient boosting routes them natively, and
"never reviewed" is information, not a zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

Row = Mapping[str, object]


def _num(value) -> float:
    return float("nan") if value is None else float(value)


def _days_without_order(row: Row) -> float:
    # Never ordered: the whole membership counts as time without an order.
    return _num(row["recency_days"] if row["recency_days"] is not None else row["tenure_days"])


def _purchase_cycle(row: Row) -> float:
    """Mean days between purchase days (NaN below two purchase days): the member's own rhythm."""
    days, first, last = row["purchase_days"] or 0, row["first_order_days"], row["recency_days"]
    if days < 2 or first is None or last is None:
        return float("nan")
    return (float(first) - float(last)) / (days - 1)


def _days_overdue(row: Row) -> float:
    """Days since the last order beyond the member's own purchase cycle (negative: not due yet)."""
    cycle = _purchase_cycle(row)
    return float("nan") if np.isnan(cycle) else float(row["recency_days"]) - cycle


def _top_category_share(row: Row) -> float:
    shares = row.get("category_shares") or {}
    return max((float(v) for v in shares.values()), default=float("nan"))


# name -> how to read it from a row. The order is the model's column order.
FEATURES: dict[str, Callable[[Row], float]] = {
    "days_without_order": _days_without_order,
    "has_ordered": lambda r: 1.0 if (r["lifetime_orders"] or 0) > 0 else 0.0,
    "frequency_90": lambda r: _num(r["frequency_90"]),
    "frequency_365": lambda r: _num(r["frequency_365"]),
    "monetary_90": lambda r: _num(r["monetary_90"]),
    "monetary_365": lambda r: _num(r["monetary_365"]),
    "avg_order_value": lambda r: _num(r["avg_order_value"]),
    "return_cancel_rate": lambda r: _num(r["return_cancel_rate"]),
    "tenure_days": lambda r: _num(r["tenure_days"]),
    "lifetime_orders": lambda r: _num(r["lifetime_orders"]),
    "purchase_days": lambda r: _num(r["purchase_days"]),
    "first_order_days": lambda r: _num(r["first_order_days"]),
    "top_category_share": _top_category_share,
    "category_count": lambda r: float(len(r.get("category_shares") or {})),
    "review_count": lambda r: _num(r["review_count"]),
    "avg_rating": lambda r: _num(r["avg_rating"]),
    "negative_review_share": lambda r: _num(r["negative_review_share"]),
    "days_since_last_review": lambda r: _num(r["days_since_last_review"]),
    "negative_service_reviews_90": lambda r: _num(r["negative_service_reviews_90"]),
    # Seasonality and rhythm (issue 11): last year's version of the coming 90 days, and how late the
    # member is against their own purchase cycle. Rows from before these columns existed read 0/NaN.
    "frequency_same_period_ly": lambda r: _num(r.get("frequency_same_period_ly", 0)),
    "monetary_same_period_ly": lambda r: _num(r.get("monetary_same_period_ly", 0)),
    "purchase_cycle_days": _purchase_cycle,
    "days_overdue": _days_overdue,
    "negative_reviews_90": lambda r: _num(r.get("negative_reviews_90", 0)),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)


def feature_matrix(rows: Sequence[Row], names: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """(n_rows, len(names)) float64 matrix; NaN where a value is missing. `names` lets a model
    saved with an older feature list read the rows the way it was trained."""
    out = np.empty((len(rows), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        read = FEATURES[name]
        out[:, j] = [read(row) for row in rows]
    return out


def _plural(n: float, word: str) -> str:
    n = round(n)
    return f"{n} {word}{'' if n == 1 else 's'}"


# How each feature reads in a reason; the value is the member's own.
_REASON_TEXT: dict[str, Callable[[float], str]] = {
    "days_without_order": lambda v: f"no order for {int(v)} days",
    "has_ordered": lambda v: "has never ordered" if v < 0.5 else "has ordered before",
    "frequency_90": lambda v: f"{_plural(v, 'order')} in the last 90 days",
    "frequency_365": lambda v: f"{_plural(v, 'order')} in the last year",
    "monetary_90": lambda v: f"spent {v:.2f} in the last 90 days",
    "monetary_365": lambda v: f"spent {v:.2f} in the last year",
    "avg_order_value": lambda v: f"average order value {v:.2f}",
    "return_cancel_rate": lambda v: f"return rate {v:.0%}",
    "tenure_days": lambda v: f"member for {int(v)} days",
    "lifetime_orders": lambda v: f"{_plural(v, 'order')} in total",
    "purchase_days": lambda v: f"bought on {_plural(v, 'day')} in total",
    "first_order_days": lambda v: f"first order {int(v)} days ago",
    "top_category_share": lambda v: f"{v:.0%} of spend in one category",
    "category_count": lambda v: f"bought from {_plural(v, 'category')}".replace("categorys", "categories"),
    "review_count": lambda v: f"{_plural(v, 'review')} written",
    "avg_rating": lambda v: f"average rating {v:.1f}",
    "negative_review_share": lambda v: f"{v:.0%} of reviews negative",
    "days_since_last_review": lambda v: f"last review {int(v)} days ago",
    "negative_service_reviews_90": lambda v: f"{_plural(v, 'negative review')} about service or delivery (90 days)",
    "frequency_same_period_ly": lambda v: f"{_plural(v, 'order')} in the same 90 days last year",
    "monetary_same_period_ly": lambda v: f"spent {v:.2f} in the same 90 days last year",
    "purchase_cycle_days": lambda v: f"buys every {v:.0f} days on average",
    "days_overdue": lambda v: (f"{v:.0f} days overdue against own purchase cycle" if v > 0
                               else f"next purchase due in {-v:.0f} days"),
    "negative_reviews_90": lambda v: f"{_plural(v, 'negative review')} in the last 90 days",
    "bgnbd_expected_purchases": lambda v: f"{v:.2f} purchases expected in 90 days from past rhythm",
    "bgnbd_p_alive": lambda v: f"{v:.0%} likely still an active customer",
}


def reason_text(name: str, value: float) -> str:
    """One reason in words, e.g. reason_text("days_without_order", 140) -> "no order for 140 days"."""
    if np.isnan(value):
        return {"avg_rating": "no reviews yet", "return_cancel_rate": "no orders in the last year"}.get(
            name, f"{name.replace('_', ' ')} unknown"
        )
    return _REASON_TEXT[name](value)


def training_matrix(rows: Sequence[Row], names: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """feature_matrix for fitting: a column missing in every row (no order items, no reviews yet)
    becomes constant 0, because scikit-learn's binning cannot take an all-NaN column; a constant
    column is never split on, so scoring rows that do have the value is unaffected."""
    X = feature_matrix(rows, names)
    if len(X):
        X[:, np.isnan(X).all(axis=0)] = 0.0
    return X
