"""Next-buy recommendations against buy-again, ALS and popularity on Online Retail II, plain Python.

Protocol (issue 11): history = lines before the cutoff (cancellations, non-positive quantity or
price and guest lines removed); truth = stock codes each customer buys in the next --horizon days;
Recall@10 = |top-10 ∩ bought| / min(10, |bought|), averaged over the customers who buy in the
horizon (customers without history get each method's fallback, popularity); NDCG@10 with binary
gains. Also the last-order protocol of bench/recs_bench.py (each customer's last invoice held out,
everything else is history, as of the end of the data), so both are visible.

Every method reads only purchases before the cutoff (ml.recs.next_buy); ours trains its ranker
on the window [cutoff - 90 d, cutoff) of the same history. Choose constants on an earlier cutoff
(--cutoff 2010-06-01), then report 2010-09-01.

    OMP_NUM_THREADS=1 .venv/bin/python bench/recs_backtest_bench.py --cutoff 2010-09-01 [--text tfidf]

Last line per protocol: RESULT protocol=… recall10=… buyagain_recall10=… als_recall10=…
popularity_recall10=… ndcg10=… … ratio_vs_best_baseline=…
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_SOURCE = ROOT.parent / "shared" / "datasets" / "online_retail_ii_2009_2010" / "online_retail_II_2009-2010.parquet"
K = 10


def load(source: Path, *, drop_non_products: bool):
    """Purchase rows (customer, stock code, invoice, time) under the protocol's filters."""
    import pandas as pd

    from ml.recs.data import Purchase

    df = pd.read_parquet(source)
    df = df[df["Customer ID"].notna() & ~df["Invoice"].str.startswith("C") & (df["Quantity"] > 0) & (df["Price"] > 0)]
    codes = df["StockCode"].str.upper()
    if drop_non_products:  # as the importer does (members/imports/services/online_retail.py)
        from members.imports.services.online_retail import NON_PRODUCT_CODES, NON_PRODUCT_PREFIXES

        df = df[~codes.isin(NON_PRODUCT_CODES) & ~codes.str.startswith(NON_PRODUCT_PREFIXES)]
        codes = df["StockCode"].str.upper()
    at = pd.to_datetime(df["InvoiceDate"]).dt.tz_localize(UTC)
    titles = (df.assign(code=codes).groupby("code")["Description"]
              .agg(lambda d: d.dropna().mode().iloc[0] if d.notna().any() else "").to_dict())
    return [Purchase(str(m), c, i, t.to_pydatetime()) for m, c, i, t in
            zip(df["Customer ID"].astype(int), codes, df["Invoice"], at)], titles


def tfidf_vectors(titles):
    """Item vectors from the stock codes' descriptions (ml.recs.fast_items: TF-IDF + SVD), for the
    text source; the transformer's item tower plays this part in the service."""
    from ml.recs.data import CatalogItem, item_text
    from ml.recs.fast_items import TfidfItemEncoder

    keys = sorted(titles)
    vectors = TfidfItemEncoder().encode([item_text(CatalogItem(k, titles[k] or k)) for k in keys])
    return dict(zip(keys, vectors, strict=True))


def score(recs, truth, metric, k=K):
    members = list(truth)
    return sum(metric(recs.get(m, ()), truth[m], k) for m in members) / max(len(members), 1)


def report(protocol, recs, truth, seconds, extra=""):
    from ml.recs.metrics import ndcg_at_k, paired_bootstrap, recall_at_k_capped

    recall = {name: score(r, truth, recall_at_k_capped) for name, r in recs.items()}
    ndcg = {name: score(r, truth, ndcg_at_k) for name, r in recs.items()}
    for name in recs:
        print(f"  {protocol:<10} {name:<11} recall10 {recall[name]:.4f}  ndcg10 {ndcg[name]:.4f}", flush=True)
    best = max((n for n in recs if n != "ours" and n != "popularity"), key=lambda n: recall[n])
    members = list(truth)
    per = lambda name: [recall_at_k_capped(recs[name].get(m, ()), truth[m], K) for m in members]
    mean, low, high = paired_bootstrap(per("ours"), per(best))
    print(f"  {protocol}: ours - {best} recall10 {mean:+.4f} (95% paired bootstrap {low:+.4f} .. {high:+.4f}, "
          f"{len(members)} customers)", flush=True)
    print("RESULT " + " ".join([
        f"protocol={protocol}", f"recall10={recall['ours']:.4f}", f"buyagain_recall10={recall['buy_again']:.4f}",
        f"als_recall10={recall.get('als', float('nan')):.4f}", f"popularity_recall10={recall['popularity']:.4f}",
        f"ndcg10={ndcg['ours']:.4f}", f"buyagain_ndcg10={ndcg['buy_again']:.4f}",
        f"als_ndcg10={ndcg.get('als', float('nan')):.4f}", f"popularity_ndcg10={ndcg['popularity']:.4f}",
        f"ratio_vs_best_baseline={recall['ours'] / max(recall[best], 1e-9):.3f}", f"customers={len(members)}",
        f"seconds={seconds:.0f}",
    ]) + extra, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--cutoff", default="2010-09-01", help="YYYY-MM-DD (UTC midnight)")
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--protocols", default="horizon,last-order")
    parser.add_argument("--drop-non-products", action="store_true", help="also drop POST, M, fees... as the importer does")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--text", choices=("none", "tfidf"), default="none",
                        help="item vectors for the text source (tfidf: from the descriptions)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    from ml.recs.data import split_last_order
    from ml.recs.next_buy import NextBuyConfig, backtest_recommendations, next_buy_recommend, next_buy_sets

    config = NextBuyConfig(threads=args.threads)
    started = time.monotonic()
    purchases, titles = load(args.source, drop_non_products=args.drop_non_products)
    vectors = tfidf_vectors(titles) if args.text == "tfidf" else None
    print(f"data: {len(purchases)} lines, {len({p.member for p in purchases})} customers, "
          f"{len({p.item for p in purchases})} stock codes ({time.monotonic() - started:.0f}s)", flush=True)

    if "horizon" in args.protocols:
        cutoff = datetime.fromisoformat(args.cutoff).replace(tzinfo=UTC)
        truth = next_buy_sets(purchases, cutoff=cutoff, horizon_days=args.horizon)
        known = {p.member for p in purchases if p.at < cutoff}
        t = time.monotonic()
        ours = next_buy_recommend(purchases, cutoff=cutoff, members=sorted(truth), k=K, config=config, explain=False,
                                  item_vectors=vectors)
        seconds = time.monotonic() - t
        recs = backtest_recommendations(purchases, cutoff=cutoff, members=sorted(truth), k=K, config=config)
        recs["ours"] = {m: [r.item for r in rs] for m, rs in ours.recommendations.items()}
        print(f"horizon: cutoff {cutoff:%Y-%m-%d}, {len(truth)} buyers in the next {args.horizon} days "
              f"({len(set(truth) & known)} with history); ranker {ours.ranker}, {ours.train_rows} training rows "
              f"({ours.train_positives} positive); ours in {seconds:.0f}s", flush=True)
        report("horizon", recs, truth, seconds, f" cutoff={cutoff:%Y-%m-%d} text={args.text}")
        known_truth = {m: s for m, s in truth.items() if m in known}
        report("horizon-known", recs, known_truth, seconds)
        sources = {}
        for rs in ours.recommendations.values():
            for r in rs:
                sources[r.source] = sources.get(r.source, 0) + 1
        print(f"  sources of ours' top-10s: {sources}", flush=True)

    if "last-order" in args.protocols:
        split = split_last_order(purchases)
        end = max(p.at for p in split.train)
        cutoff = end + timedelta(seconds=1)
        t = time.monotonic()
        recs = backtest_recommendations(split.train, cutoff=cutoff, members=sorted(split.held_out), k=K, config=config,
                                        item_vectors=vectors)
        report("last-order", recs, split.held_out, time.monotonic() - t)
    print(f"total {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
