"""Recommendation metrics for the member backtest: ours (the product's recommendations as of the
cut-off) next to buy-again, popularity and ALS, on what members bought in the horizon.

Protocol (docs/backtest.md, ml.member_models.backtest_metrics): history = revenue order lines
placed before the cut-off (midnight UTC after as_of); truth = the products each member with a
history bought in the `horizon_days` days after it. Every method sees the history only: ours via
members.recs.services.recommendations.recommendations_compute(as_of=...), which writes nothing; the
baselines via ml.recs.next_buy.baseline_recommend(cutoff=...).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from members.core.models.order import REVENUE_STATUSES
from members.models import OrderItem, Product
from members.predictions.features import features_cutoff
from ml.bootstrap import paired_bootstrap_mean
from ml.member_models.backtest_metrics import K, RecommendationScores, next_buy_truth, recommendation_scores
from ml.recs.data import Purchase

BASELINES = ("buy_again", "als", "popularity")


def _purchases(*, until) -> list[Purchase]:
    """Revenue order lines placed before `until` (one query), oldest first, keys as strings."""
    rows = (OrderItem.objects.filter(order__status__in=REVENUE_STATUSES, order__placed_at__lt=until)
            .order_by("order__placed_at", "order_id", "line_number")
            .values_list("order__member_id", "product_id", "order_id", "order__placed_at"))  # fmt: skip
    return [Purchase(str(m), str(p), str(o), at) for m, p, o, at in rows.iterator(chunk_size=20_000)]


def _ours(*, as_of: date, members: list[str], k: int) -> dict[str, list[str]] | str:
    """The product's own recommendations as of the cut-off, or why there are none (in words)."""
    try:
        from members.recs.services.recommendations import recommendations_compute
    except ImportError:
        return "the recommendations service has no recommendations_compute(as_of=...) yet"
    computed = recommendations_compute(as_of=as_of, member_ids=[int(m) for m in members], k=k)
    return {str(member): [str(p) for p in products] for member, products in computed.items()}


def recommendation_backtest(*, as_of: date, horizon_days: int = 90, k: int = K, include_ours: bool = True) -> dict:
    """Recall@k and NDCG@k of ours and of each baseline over the members with a history who buy in
    the horizon, with a paired bootstrap interval of ours minus each baseline (Recall@k)."""
    from ml.recs.next_buy import baseline_recommend

    cutoff = features_cutoff(as_of=as_of)
    end = cutoff + timedelta(days=horizon_days)
    purchases = _purchases(until=end)
    history = [p for p in purchases if p.at < cutoff]
    with_history = {p.member for p in history}
    truth = {m: items for m, items in next_buy_truth(((p.member, p.item, p.at) for p in purchases),
                                                     start=cutoff, end=end).items() if m in with_history}  # fmt: skip
    members = sorted(truth)
    result: dict = {"protocol": "next_buy", "as_of": str(as_of), "horizon_days": horizon_days, "k": k,
                    "members": len(members), "history_lines": len(history)}  # fmt: skip
    if not members:
        result["note"] = "nobody with a history bought in the horizon"
        return result
    catalogue = [str(pk) for pk in Product.objects.order_by("id").values_list("id", flat=True)]
    methods = baseline_recommend(history, cutoff=cutoff, members=members, k=k, catalogue=catalogue)
    if include_ours:
        ours = _ours(as_of=as_of, members=members, k=k)
        if isinstance(ours, str):
            result["ours_unavailable"] = ours
        else:
            methods = {"ours": ours, **methods}
    scores: dict[str, RecommendationScores] = {
        name: recommendation_scores(recs, truth, k=k) for name, recs in methods.items()
    }
    result["methods"] = {name: s.summary() for name, s in scores.items()}
    if "ours" in scores:
        result["ours_vs"] = {
            name: paired_bootstrap_mean(np.array(scores["ours"].recall), np.array(s.recall)).as_dict()
            for name, s in scores.items() if name != "ours"
        }  # fmt: skip
    return result
