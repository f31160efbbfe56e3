"""Reads of the member models' registry (churn risk, spend forecast) for the Models page and the
member page: each version's backtest quality next to the baselines scored in the same run.

The figures come from MemberModelVersion.metrics as members.predictions.services.churn / spend_forecast store
them ({"backtest": {"model": {...}, "recency": {...}, "bgnbd": {...}, ...}} for churn;
{"backtest": {"model": {...}, "naive_last_90_days": {...}, ...}} for the forecast). A figure the
run could not compute (NaN: one class only) is stored as null and read as None.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from members.models import MemberModelKind, MemberModelVersion

VERSIONS_PER_KIND = 10  # the Models page shows this many of each kind's newest versions


@dataclass(frozen=True)
class ChurnQuality:
    """Backtest figures of a churn version (one window ahead, on members it was not trained on)."""

    roc_auc: float | None
    pr_auc: float | None
    lift_top_decile: float | None  # churn rate among the riskiest 10 % / the overall churn rate
    brier: float | None
    recency_roc_auc: float | None
    recency_lift_top_decile: float | None
    bgnbd_roc_auc: float | None  # 1 - P(alive); see BENCHMARKS.md for its blind spot
    bgnbd_lift_top_decile: float | None
    bgnbd_expected_purchases_roc_auc: float | None  # BG/NBD ranked by expected purchases instead
    bgnbd_error: str  # why BG/NBD could not be fitted, in words ("" when it was)
    eval_rows: int | None
    eval_churn_rate: float | None


@dataclass(frozen=True)
class ForecastQuality:
    """Backtest figures of a spend-forecast version, next to "the same as the last 90 days"."""

    mae: float | None
    rmse: float | None
    interval_coverage: float | None  # share of actual spends inside the 10-90 % interval
    naive_mae: float | None
    naive_rmse: float | None
    mae_vs_naive: float | None  # below 1: better than the naive forecast
    eval_rows: int | None
    eval_mean_spend: float | None


@dataclass(frozen=True)
class MemberModelRow:
    version: MemberModelVersion
    status: str  # "active", "candidate" (backtested worse, never scored) or "retired" (replaced)
    churn: ChurnQuality | None = None
    forecast: ForecastQuality | None = None

    @property
    def label(self) -> str:
        return f"{self.version.kind}-v{self.version.version}"

    @property
    def served_baseline(self) -> str:
        """The baseline's name when this version is a served baseline, not a trained model ("" otherwise)."""
        metrics = self.version.metrics if isinstance(self.version.metrics, dict) else {}
        return str(metrics.get("baseline") or "") if metrics.get("served") == "baseline" else ""


def _figure(section: dict, key: str) -> float | None:
    value = section.get(key) if isinstance(section, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def churn_quality(*, metrics: dict) -> ChurnQuality:
    """The figures of a churn version's stored metrics (missing ones are None)."""
    backtest = metrics.get("backtest") or {}
    model, recency = backtest.get("model") or {}, backtest.get("recency") or {}
    bgnbd = backtest.get("bgnbd") or {}
    rows = backtest.get("eval_rows")
    return ChurnQuality(
        roc_auc=_figure(model, "roc_auc"),
        pr_auc=_figure(model, "pr_auc"),
        lift_top_decile=_figure(model, "lift_top_decile"),
        brier=_figure(model, "brier"),
        recency_roc_auc=_figure(recency, "roc_auc"),
        recency_lift_top_decile=_figure(recency, "lift_top_decile"),
        bgnbd_roc_auc=_figure(bgnbd, "roc_auc"),
        bgnbd_lift_top_decile=_figure(bgnbd, "lift_top_decile"),
        bgnbd_expected_purchases_roc_auc=_figure(bgnbd.get("expected_purchases") or {}, "roc_auc"),
        bgnbd_error=str(bgnbd.get("error") or ""),
        eval_rows=rows if isinstance(rows, int) else None,
        eval_churn_rate=_figure(backtest, "eval_churn_rate"),
    )


def forecast_quality(*, metrics: dict) -> ForecastQuality:
    """The figures of a spend-forecast version's stored metrics (missing ones are None)."""
    backtest = metrics.get("backtest") or {}
    model, naive = backtest.get("model") or {}, backtest.get("naive_last_90_days") or {}
    rows = backtest.get("eval_rows")
    return ForecastQuality(
        mae=_figure(model, "mae"),
        rmse=_figure(model, "rmse"),
        interval_coverage=_figure(model, "interval_coverage"),
        naive_mae=_figure(naive, "mae"),
        naive_rmse=_figure(naive, "rmse"),
        mae_vs_naive=_figure(backtest, "mae_vs_naive"),
        eval_rows=rows if isinstance(rows, int) else None,
        eval_mean_spend=_figure(backtest, "eval_mean_spend"),
    )


def member_model_status(version: MemberModelVersion) -> str:
    """active / candidate / retired. The registry (members.predictions.services.churn_registry) records its
    promotion decision in metrics["promotion"]: an inactive version it refused is a candidate, one
    it served was active once and has been replaced. (Older versions: a note "Kept v2 active".)"""
    if version.active:
        return "active"
    promotion = version.metrics.get("promotion") if isinstance(version.metrics, dict) else None
    if isinstance(promotion, dict):
        return "retired" if promotion.get("promote") else "candidate"
    return "candidate" if version.note.startswith("Kept ") else "retired"


def member_model_row(version: MemberModelVersion) -> MemberModelRow:
    if version.kind == MemberModelKind.CHURN:
        return MemberModelRow(
            version, member_model_status(version), churn=churn_quality(metrics=version.metrics)
        )
    return MemberModelRow(
        version, member_model_status(version), forecast=forecast_quality(metrics=version.metrics)
    )


def member_model_versions_recent(*, per_kind: int = VERSIONS_PER_KIND) -> dict[str, list[MemberModelRow]]:
    """Each kind's newest `per_kind` versions, newest first, with their backtest figures: one query
    (row_number() per kind). Every kind is a key, with an empty list until it is trained."""
    versions = (
        MemberModelVersion.objects.annotate(
            newest=Window(RowNumber(), partition_by=[F("kind")], order_by=F("version").desc())
        )
        .filter(newest__lte=per_kind)
        .order_by("kind", "-version")
    )
    rows: dict[str, list[MemberModelRow]] = {kind: [] for kind in MemberModelKind.values}
    for version in versions:
        rows.setdefault(version.kind, []).append(member_model_row(version))
    return rows


BACKTESTS_SHOWN = 5


@dataclass(frozen=True)
class BacktestRow:
    """One member backtest run with its headline figures (None until it succeeded)."""

    run: object  # MemberBacktest
    churn_auc: float | None = None
    churn_recency_auc: float | None = None
    churn_bgnbd_auc: float | None = None
    churn_ece: float | None = None
    churn_brier: float | None = None
    churn_pr_auc: float | None = None
    churn_verdict: str = ""
    forecast_mae: float | None = None
    forecast_naive_mae: float | None = None
    forecast_bias_pct: float | None = None
    forecast_verdict: str = ""
    recs: tuple = ()  # (method, Recall@10, NDCG@10)
    recs_members: int | None = None
    recs_note: str = ""

    @property
    def live(self) -> bool:
        return self.run.status in ("queued", "running")


def backtest_row(run) -> BacktestRow:
    m = run.metrics if isinstance(run.metrics, dict) else {}
    churn, forecast, recs = m.get("churn") or {}, m.get("forecast") or {}, m.get("recommendations") or {}
    model, recency = churn.get("model") or {}, churn.get("recency") or {}
    bgnbd = (churn.get("bgnbd") or {}).get("expected_purchases") or {}
    fmodel, naive = forecast.get("model") or {}, forecast.get("naive_last_90_days") or {}
    return BacktestRow(
        run=run,
        churn_auc=_figure(model, "roc_auc"), churn_recency_auc=_figure(recency, "roc_auc"),
        churn_bgnbd_auc=_figure(bgnbd, "roc_auc"), churn_ece=_figure(model, "ece"), churn_brier=_figure(model, "brier"),
        churn_pr_auc=_figure(model, "pr_auc"), churn_verdict=str((churn.get("promotion") or {}).get("reason", "")),
        forecast_mae=_figure(fmodel, "mae"), forecast_naive_mae=_figure(naive, "mae"),
        forecast_bias_pct=_figure(fmodel, "total_bias_pct"),
        forecast_verdict=str((forecast.get("promotion") or {}).get("reason", "")),
        recs=tuple((name, _figure(v, "recall_at_10"), _figure(v, "ndcg_at_10"))
                   for name, v in (recs.get("methods") or {}).items()),
        recs_members=recs.get("members") if isinstance(recs.get("members"), int) else None,
        recs_note=str(recs.get("ours_unavailable") or ""),
    )  # fmt: skip


def member_backtests_recent(*, limit: int = BACKTESTS_SHOWN) -> list[BacktestRow]:
    """The newest backtest runs, newest first: one query."""
    from members.models import MemberBacktest

    return [backtest_row(run) for run in MemberBacktest.objects.order_by("-created_at", "-pk")[:limit]]
