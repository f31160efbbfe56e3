"""A synthetic customer base whose churn signal is known: it lives in recency and complaints.

Each member's chance of buying in the next 90 days falls with days since the last order and with
negative service reviews; frequency adds a little. Ratings are noise, so the complaint count is
the only place the review signal lives. Rows have the MemberFeatures column names.
"""

import numpy as np


def synthetic_rows(n: int, seed: int) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """(rows, churn labels, next-90-day spend)."""
    rng = np.random.default_rng(seed)
    rows, churn, spend = [], np.zeros(n, dtype=int), np.zeros(n)
    for i in range(n):
        tenure = int(rng.integers(100, 1500))
        orders = int(rng.poisson(4))
        recency = int(rng.integers(0, min(tenure, 400))) if orders else None
        complaints = int(rng.random() < 0.15)
        freq365 = min(orders, int(rng.poisson(2))) if orders else 0
        aov = float(rng.gamma(4, 15)) if orders else None
        logit = -1.0 + 0.012 * (recency if recency is not None else tenure) + 2.5 * complaints - 0.25 * freq365
        churn[i] = int(rng.random() < 1 / (1 + np.exp(-logit)))
        spend[i] = 0.0 if churn[i] else float(rng.gamma(2, (aov or 40) / 2))
        rows.append({
            "recency_days": recency, "first_order_days": (recency + int(rng.integers(0, 300)) * (orders > 1)) if orders else None,
            "purchase_days": orders, "lifetime_orders": orders, "lifetime_spend": orders * (aov or 0),
            "frequency_90": min(freq365, int(recency is not None and recency < 90)), "frequency_365": freq365,
            "monetary_90": (aov or 0) * int(recency is not None and recency < 90), "monetary_365": freq365 * (aov or 0),
            "avg_order_value": aov, "return_cancel_rate": float(rng.random() * 0.3) if freq365 else None,
            "tenure_days": tenure, "category_shares": {"Dresses": 0.5, "Knits": 0.5} if orders else {},
            "review_count": complaints + int(rng.poisson(1)), "avg_rating": float(rng.uniform(1, 5)),
            "negative_review_share": float(rng.random()), "days_since_last_review": 20,
            "negative_service_reviews_90": complaints,
        })  # fmt: skip
    return rows, churn, spend
