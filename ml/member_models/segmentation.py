"""Learned member segments: cluster behaviour features (plus reduced review-text embeddings when
members have them) with k-means, and describe each cluster by what sets it apart. Plain Python.

Input rows are dicts with the MemberFeatures column names (members/predictions/models/features.py). Steps:
1. `segmentation_matrix`: interpretable features (orders, spend, recency, basket, returns, tenure,
   reviews, sentiment, shares of the population's top categories); skewed counts and amounts are
   log1p-transformed, missing values take the population median, every column is standardised.
   Members' text embeddings, where present, are reduced with PCA and appended (others get zeros,
   i.e. the mean) so a shop without reviews clusters on behaviour alone.
2. `segment_members`: k-means for each k in a range, fitted on at most `fit_sample` rows and
   scored by silhouette on at most `silhouette_sample` rows (exact silhouette is O(n^2)), or one
   fixed k; every row is then assigned to its nearest centroid.
3. `describe_cluster`: z-scores of the cluster's mean vs the population on each feature; the two
   strongest deviations make the name ("Loyal high spenders") and the figures make the description.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

Row = Mapping[str, object]

# Behaviour columns: (name, how to read it, log1p-transform it). Order is the matrix column order.
_DAYS_WITHOUT_ORDER = "days_without_order"
BEHAVIOUR_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("frequency_365", True),
    ("monetary_365", True),
    (_DAYS_WITHOUT_ORDER, True),
    ("avg_order_value", True),
    ("return_cancel_rate", False),
    ("tenure_days", True),
    ("review_count", True),
    ("negative_review_share", False),
)
# Read for the descriptions only (not clustered on): the real recency (null for never ordered), stars.
DESCRIBE_ONLY_COLUMNS = ("recency_days", "avg_rating")
CATEGORY_PREFIX = "category:"
MAX_CATEGORIES = 6  # the population's top categories by total share get a column each
MIN_CATEGORY_SHARE = 0.02  # ... if they hold at least this much of the population's spend
TEXT_COMPONENTS = 8  # PCA dimensions kept from the review-text embeddings
TEXT_WEIGHT = 0.5  # text columns count half as much as a behaviour column in the distances
# k by silhouette takes the SMALLEST k within this of the best score: on real shops the curve is
# flat (the demo: 0.17-0.19 for k = 2..8) and the largest k then splits one kind of member into
# several near-identical segments that nobody can tell apart.
SILHOUETTE_TOLERANCE = 0.01
MIN_NAMING_Z = 0.25  # a deviation smaller than this (in population standard deviations) is not distinctive


@dataclass(frozen=True)
class SegmentationConfig:
    k: int | None = field(
        default=None, metadata={"help": "Fixed number of segments; None: choose by silhouette."}
    )
    k_min: int = field(default=2, metadata={"help": "Smallest k tried."})
    k_max: int = field(default=8, metadata={"help": "Largest k tried."})
    fit_sample: int = field(
        default=100_000, metadata={"help": "Rows k-means is fitted on (all rows are assigned)."}
    )
    silhouette_sample: int = field(default=10_000, metadata={"help": "Rows the silhouette is computed on."})
    seed: int = field(default=42, metadata={"help": "Seeds sampling and k-means initialisation."})
    threads: int = field(default=1, metadata={"help": "BLAS/OpenMP threads for k-means and the silhouette. 1: the "
                                                      "refresh shares the cores with the database, and oversubscribed "
                                                      "threads ran the silhouettes 2x slower."})  # fmt: skip


@dataclass
class SegmentationMatrix:
    columns: list[str]  # standardised columns, text ones named text:0 ...
    values: np.ndarray  # (n, len(columns)) standardised, used for clustering
    raw: np.ndarray  # (n, behaviour + category columns) untransformed values with NaN for missing
    raw_columns: list[str]
    categories: list[str]


@dataclass
class ClusterProfile:
    label: int
    size: int
    means: dict[str, float | None]  # raw-feature means (NaN-aware; None when every value is missing)
    zscores: dict[str, float]  # cluster mean of each standardised column vs the population (0)
    name: str
    description: str
    centroid: list[float]
    # More specific names, best first, for when `name` is taken (by a larger cluster, or by a
    # segment kept from an earlier run): see segment_name_choose.
    name_candidates: list[str] = field(default_factory=list)


@dataclass
class SegmentationResult:
    labels: np.ndarray  # cluster label per input row
    k: int
    silhouette: float | None  # None when k was fixed and there was nothing to compare
    silhouettes: dict[int, float]
    profiles: list[ClusterProfile]
    columns: list[str]


def _num(value) -> float:
    return float("nan") if value is None else float(value)


def _read(row: Row, name: str) -> float:
    if name == _DAYS_WITHOUT_ORDER:
        # Never ordered: the whole membership counts as time without an order.
        recency = row.get("recency_days")
        return _num(recency if recency is not None else row.get("tenure_days"))
    if name.startswith(CATEGORY_PREFIX):
        shares = row.get("category_shares") or {}
        return float(shares.get(name[len(CATEGORY_PREFIX) :], 0.0)) if shares else 0.0
    return _num(row.get(name))


def top_categories(rows: Sequence[Row], *, limit: int = MAX_CATEGORIES) -> list[str]:
    """The categories with the largest summed share across members (ties by name)."""
    totals: dict[str, float] = {}
    for row in rows:
        for category, share in (row.get("category_shares") or {}).items():
            totals[category] = totals.get(category, 0.0) + float(share)
    grand = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return [c for c, total in ranked[:limit] if grand and total / grand >= MIN_CATEGORY_SHARE]


def segmentation_matrix(rows: Sequence[Row], *, seed: int = 42) -> SegmentationMatrix:
    """Standardised feature matrix for `rows` (see the module docstring)."""
    categories = top_categories(rows)
    feature_columns = [name for name, _ in BEHAVIOUR_COLUMNS] + [CATEGORY_PREFIX + c for c in categories]
    logs = [log for _, log in BEHAVIOUR_COLUMNS] + [False] * len(categories)
    raw_columns = feature_columns + list(DESCRIBE_ONLY_COLUMNS)
    raw = np.array([[_read(row, name) for name in raw_columns] for row in rows], dtype=np.float64)
    raw = raw.reshape(len(rows), len(raw_columns))
    values = raw[:, : len(feature_columns)].copy()
    for j, log in enumerate(logs):
        col = values[:, j]
        if log:
            col = np.log1p(np.clip(col, 0, None))
        missing = np.isnan(col)
        fill = float(np.nanmedian(col)) if (~missing).any() else 0.0
        col = np.where(missing, fill, col)
        std = col.std()
        values[:, j] = (col - col.mean()) / std if std > 0 else 0.0
    columns = list(feature_columns)
    text = _text_components(rows, seed=seed)
    if text is not None:
        values = np.hstack([values, text])
        columns += [f"text:{i}" for i in range(text.shape[1])]
    return SegmentationMatrix(
        columns=columns, values=values, raw=raw, raw_columns=raw_columns, categories=categories
    )


def _text_components(rows: Sequence[Row], *, seed: int) -> np.ndarray | None:
    """PCA of the members' text embeddings (zeros for members without one), or None when fewer than
    two members have one or the embeddings disagree in length."""
    present = [i for i, row in enumerate(rows) if row.get("text_embedding")]
    if len(present) < max(2, TEXT_COMPONENTS):
        return None
    dims = {len(rows[i]["text_embedding"]) for i in present}
    if len(dims) != 1:
        return None
    from sklearn.decomposition import PCA  # imported when used: web processes import this module

    emb = np.array([rows[i]["text_embedding"] for i in present], dtype=np.float64)
    n_comp = min(TEXT_COMPONENTS, emb.shape[1], len(present) - 1)
    reduced = PCA(n_components=n_comp, random_state=seed).fit_transform(emb)
    std = reduced.std(axis=0)
    reduced = reduced / np.where(std > 0, std, 1.0) * TEXT_WEIGHT
    out = np.zeros((len(rows), n_comp))
    out[present] = reduced
    return out


def segment_members(rows: Sequence[Row], *, config: SegmentationConfig | None = None) -> SegmentationResult:
    """Cluster `rows` and describe each cluster. Needs at least 2 rows more than the smallest k."""
    config = config or SegmentationConfig()
    with threadpool_limits(limits=config.threads):
        return _segment_members(rows, config)


def _segment_members(rows: Sequence[Row], config: SegmentationConfig) -> SegmentationResult:
    matrix = segmentation_matrix(rows, seed=config.seed)
    n = len(rows)
    ks = [config.k] if config.k else list(range(config.k_min, config.k_max + 1))
    ks = [k for k in ks if 2 <= k < n]
    if not ks:
        raise ValueError(
            f"{n} members are too few to form segments (need more than {config.k or config.k_min})."
        )
    from sklearn.cluster import KMeans  # imported when used: web processes import this module

    rng = np.random.default_rng(config.seed)
    fit_idx = rng.choice(n, size=min(n, config.fit_sample), replace=False)
    sil_idx = rng.choice(n, size=min(n, config.silhouette_sample), replace=False)
    X = matrix.values
    best: tuple[float, int, KMeans] | None = None
    silhouettes: dict[int, float] = {}
    fitted: list[tuple[float, int, KMeans]] = []
    candidates: list[tuple[int, KMeans, np.ndarray]] = []
    for k in ks:
        model = KMeans(n_clusters=k, n_init=4, random_state=config.seed).fit(X[fit_idx])
        if len(ks) == 1:
            best = (float("nan"), k, model)
            break
        sample_labels = model.predict(X[sil_idx])
        if len(set(sample_labels.tolist())) < 2:
            continue
        candidates.append((k, model, sample_labels))
    scores = silhouette_scores(X[sil_idx], [labels for _, _, labels in candidates]) if candidates else []
    for (k, model, _), score in zip(candidates, scores, strict=True):
        silhouettes[k] = round(score, 4)
        fitted.append((score, k, model))
    if fitted:
        top = max(score for score, _, _ in fitted)
        best = min((f for f in fitted if f[0] >= top - SILHOUETTE_TOLERANCE), key=lambda f: f[1])
    if best is None:
        raise ValueError("every member has the same features: there is nothing to segment.")
    score, k, model = best
    labels = model.predict(X)
    profiles = describe_clusters(matrix, labels, model.cluster_centers_)
    return SegmentationResult(
        labels=labels,
        k=k,
        silhouette=None if math.isnan(score) else round(score, 4),
        silhouettes=silhouettes,
        profiles=profiles,
        columns=matrix.columns,
    )


SILHOUETTE_BLOCK_CELLS = 10_000_000  # distances held at once (80 MB of float64)


def silhouette_scores(X: np.ndarray, labelings: Sequence[np.ndarray]) -> list[float]:
    """The mean silhouette (Euclidean, as sklearn's silhouette_score) of each labeling of the same
    rows, from ONE pass over the pairwise distances: choosing k scored seven labelings of the same
    10,000-row sample, and sklearn computed the same 10^8 distances seven times (23 of a 100,000-member
    refresh's 45 s). Per block of rows, the summed distance to every cluster is the distance block
    times the labeling's one-hot matrix. A point alone in its cluster scores 0, as in sklearn."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    onehots, sizes, codes = [], [], []
    for labels in labelings:
        _, code = np.unique(np.asarray(labels), return_inverse=True)
        onehot = np.zeros((n, code.max() + 1))
        onehot[np.arange(n), code] = 1.0
        onehots.append(onehot)
        sizes.append(onehot.sum(axis=0))
        codes.append(code)
    totals = [0.0] * len(onehots)
    squared = np.einsum("ij,ij->i", X, X)
    block = max(1, SILHOUETTE_BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):
        rows = slice(start, min(n, start + block))
        distances = squared[rows, None] + squared[None, :] - 2.0 * (X[rows] @ X.T)
        np.maximum(distances, 0.0, out=distances)
        np.sqrt(distances, out=distances)
        for i, (onehot, size, code) in enumerate(zip(onehots, sizes, codes, strict=True)):
            sums = distances @ onehot  # (block rows, clusters): summed distance to each cluster
            own = code[rows]
            own_size = size[own]
            a = sums[np.arange(len(own)), own] / np.maximum(own_size - 1, 1)
            means = sums / size
            means[np.arange(len(own)), own] = np.inf
            b = means.min(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                s = np.where(own_size > 1, (b - a) / np.maximum(a, b), 0.0)
            totals[i] += float(np.nan_to_num(s).sum())
    return [total / n for total in totals]


# ---- describing clusters -------------------------------------------------------------------------

# (column, direction) -> (adjective, noun phrase). A name is "<adjective of the 2nd> <noun of the 1st>".
_VOCABULARY: dict[tuple[str, int], tuple[str, str]] = {
    ("monetary_365", 1): ("High-spending", "high spenders"),
    ("monetary_365", -1): ("Low-spending", "low spenders"),
    ("frequency_365", 1): ("Frequent", "frequent buyers"),
    ("frequency_365", -1): ("Occasional", "occasional buyers"),
    (_DAYS_WITHOUT_ORDER, 1): ("Lapsed", "lapsed customers"),
    (_DAYS_WITHOUT_ORDER, -1): ("Recently active", "recent buyers"),
    ("avg_order_value", 1): ("Big-basket", "big-basket shoppers"),
    ("avg_order_value", -1): ("Small-basket", "small-basket shoppers"),
    ("return_cancel_rate", 1): ("Return-prone", "frequent returners"),
    ("return_cancel_rate", -1): ("Keep-it", "keepers"),
    ("tenure_days", 1): ("Loyal", "long-time members"),
    ("tenure_days", -1): ("New", "newcomers"),
    ("review_count", 1): ("Vocal", "active reviewers"),
    ("review_count", -1): ("Quiet", "quiet members"),
    ("negative_review_share", 1): ("Unhappy", "unhappy reviewers"),
    ("negative_review_share", -1): ("Happy", "happy reviewers"),
}


def _words(column: str, direction: int) -> tuple[str, str] | None:
    if column.startswith(CATEGORY_PREFIX):
        category = column[len(CATEGORY_PREFIX) :]
        return (f"{category}-loving", f"{category} fans") if direction > 0 else None
    return _VOCABULARY.get((column, direction))


def _nanmean(values: np.ndarray) -> float | None:
    present = values[~np.isnan(values)]
    return float(present.mean()) if present.size else None


def describe_clusters(
    matrix: SegmentationMatrix, labels: np.ndarray, centers: np.ndarray
) -> list[ClusterProfile]:
    """One profile per label present, largest first, with names made unique."""
    profiles = []
    for label in sorted(set(labels.tolist()), key=lambda lb: (-int((labels == lb).sum()), lb)):
        mask = labels == label
        zscores = {
            c: round(float(matrix.values[mask, j].mean()), 3)
            for j, c in enumerate(matrix.columns)
            if not c.startswith("text:")
        }
        means = {c: _nanmean(matrix.raw[mask, j]) for j, c in enumerate(matrix.raw_columns)}
        name, description = describe_cluster(means=means, zscores=zscores)
        candidates = segment_name_candidates(zscores=zscores)
        profiles.append(
            ClusterProfile(
                label=int(label),
                size=int(mask.sum()),
                means=means,
                zscores=zscores,
                name=name,
                description=description,
                centroid=[round(float(v), 5) for v in centers[label]],
                name_candidates=candidates,
            )
        )
    taken: set[str] = set()
    for profile in profiles:  # largest first: the biggest cluster gets the plainest name
        profile.name = segment_name_choose(profile.name_candidates or [profile.name], taken=taken)
        taken.add(profile.name.lower())
    return profiles


def segment_name_candidates(*, zscores: Mapping[str, float]) -> list[str]:
    """Names for a cluster, plainest first: the two strongest deviations ("Frequent high
    spenders"), then the same qualified by the next deviations ("Frequent high spenders, loyal",
    "Frequent high spenders who love Dresses"), so two clusters alike in their top two traits
    still get names that say how they differ, never "(2)"."""
    ranked = sorted(
        ((abs(z), c, 1 if z > 0 else -1) for c, z in zscores.items() if abs(z) >= MIN_NAMING_Z), reverse=True
    )
    base, _ = describe_cluster(means={}, zscores=zscores)
    candidates = [base]
    behaviour = [w for _, c, d in ranked if not c.startswith(CATEGORY_PREFIX) and (w := _words(c, d))]
    category = [c[len(CATEGORY_PREFIX):] for _, c, d in ranked if c.startswith(CATEGORY_PREFIX) and d > 0]
    for adjective, _ in behaviour[2:5]:
        candidates.append(f"{base}, {adjective.lower()}")
    for name in category[:3]:
        candidates.append(f"{base} who love {name}")
    if len(behaviour) >= 4:
        candidates.append(f"{base}, {behaviour[2][0].lower()} and {behaviour[3][0].lower()}")
    return list(dict.fromkeys(candidates))


def segment_name_choose(candidates: Sequence[str], *, taken: set[str]) -> str:
    """The first candidate not in `taken` (lower-case names); past them all, the first one with
    the smallest free ordinal ("Typical members, group 2"): still distinct, and rare."""
    for name in candidates:
        if name.lower() not in taken:
            return name
    number = 2
    while f"{candidates[0]}, group {number}".lower() in taken:
        number += 1
    return f"{candidates[0]}, group {number}"


def describe_cluster(*, means: Mapping[str, float | None], zscores: Mapping[str, float]) -> tuple[str, str]:
    """(name, description) from a cluster's z-scores and raw means. The name uses the two strongest
    deviations that have words; the description quotes the figures merchandisers read."""
    ranked = sorted(
        ((abs(z), c, 1 if z > 0 else -1) for c, z in zscores.items() if abs(z) >= MIN_NAMING_Z), reverse=True
    )
    behaviour = [w for _, c, d in ranked if not c.startswith(CATEGORY_PREFIX) and (w := _words(c, d))]
    category = [w for _, c, d in ranked if c.startswith(CATEGORY_PREFIX) and (w := _words(c, d))]
    # Behaviour makes the head noun ("high spenders"); a category only qualifies it or stands alone.
    words = behaviour[:2] if len(behaviour) >= 2 else behaviour + category[:1] if behaviour else category[:2]
    if not words:
        name = "Typical members"
    elif len(words) == 1:
        name = words[0][1][0].upper() + words[0][1][1:]
    else:
        name = f"{words[1][0]} {words[0][1]}"
    return name, _description(means)


def _description(means: Mapping[str, float | None]) -> str:
    parts = []
    orders = means.get("frequency_365")
    if orders is not None:
        parts.append(f"{orders:.1f} orders a year" if orders >= 0.05 else "no orders in the last year")
    spend = means.get("monetary_365")
    if spend is not None and spend >= 0.5:
        parts.append(f"spends {spend:,.0f} a year")
    days = means.get("recency_days")  # members who ordered at least once
    if days is not None:
        parts.append(f"last order {days:.0f} days ago on average")
    shares = sorted(
        ((v or 0.0, c[len(CATEGORY_PREFIX) :]) for c, v in means.items() if c.startswith(CATEGORY_PREFIX)),
        reverse=True,
    )
    top = [c for v, c in shares[:2] if v >= 0.15]
    if top:
        parts.append("mostly " + " and ".join(top))
    negative = means.get("negative_review_share")
    if negative is not None:
        parts.append(f"{(1 - negative) * 100:.0f}% positive reviews")
    returns = means.get("return_cancel_rate")
    if returns is not None and returns >= 0.1:
        parts.append(f"{returns * 100:.0f}% of orders returned or cancelled")
    if not parts:
        return "No orders or reviews yet."
    text = ", ".join(parts)
    return text[0].upper() + text[1:] + "."
