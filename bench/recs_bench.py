"""Recommendation quality and throughput on real transactions (UCI Online Retail II 2009-2010).

Time split: each customer's last invoice is held out (customers with one invoice only train).
Compared in the same run, all with the same rules (active only, not already bought unless
repeatable): popularity, implicit ALS, and ours, the two-tower model. Its two knobs (weight of the
history-text view in the member tower, popularity prior) are chosen on *other* customers'
held-out invoices (--val-members), never on the evaluated ones; every combination is printed.
Optional: a contrastive fine-tune on the train split's (history -> next item) pairs, with the
settings the `members.recs.fine_tune` Celery task uses (--finetune-seconds; its encoder goes through the
same knob choice and replaces ours only if it scores higher), and the cross-encoder reranker
experiment on a sample (--cross-members). members/s = evaluated customers / (history encoding +
retrieval + rerank) for the chosen configuration.

    .venv/bin/python bench/recs_bench.py --cross-members 100 --cross-seconds 60
    OMP_NUM_THREADS=1 .venv/bin/python bench/recs_bench.py --threads 1 --cross-members 0 \
        --finetune-seconds 900 --max-pairs 12800

Scale mode (bench/recs_scale.py): ``--members 100000`` times the chunked nightly generation
(full rebuild with one and two workers, incremental night) on a synthetic shop in its own database.

Last line: RESULT ours_recall10=… popularity_recall10=… als_recall10=… ours_ndcg10=…
popularity_ndcg10=… als_ndcg10=… members_per_s=… [base_ndcg10=… finetuned_ndcg10=… finetune_steps=…]
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
    from members.imports.services.online_retail import retail_lines_read
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
    parser.add_argument("--max-pairs", type=int, default=20000,
                        help="training pairs sampled (one epoch = max-pairs / 32 steps; the learning rate decays to 0 over it)")
    parser.add_argument("--finetune-fp32", action="store_true", help="fine-tune without bf16 autocast")
    parser.add_argument("--cross-members", type=int, default=200, help="members for the cross-encoder experiment (0 skips)")
    parser.add_argument("--cross-seconds", type=float, default=90.0)
    parser.add_argument("--eval-members", type=int, default=1000, help="evaluated customers sampled (0 = all)")
    parser.add_argument("--val-members", type=int, default=400, help="other customers that choose the weights")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--members", type=int, default=0,
                        help="scale mode: chunked nightly generation on a synthetic shop of this many members, "
                             "with real workers (bench/recs_scale.py); the quality options are ignored")
    args = parser.parse_args()
    if args.members:
        from recs_scale import scale_main

        scale_main(args)
        return

    import django
    import torch

    django.setup()
    torch.set_num_threads(args.threads)
    from ml.recs.baselines import AlsUnavailable, als_recommend, popularity_recommend, purchase_counts
    from ml.recs.data import (
        item_text,
        member_histories,
        next_item_text_pairs,
        repeatable_items,
        split_last_order,
    )
    from ml.recs.finetune import RecsTrainConfig, fine_tune
    from ml.recs.metrics import ndcg_at_k, paired_bootstrap, ranking_report
    from ml.recs.rerank import RerankRules
    from ml.recs.retrieval import RECS_MAX_LENGTH, Recommender, mix_member_vectors
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
    als_ranked = None
    try:
        t = time.monotonic()
        als_ranked = als_recommend(split.train, eval_histories, items=items, repeatable=repeatable, k=K)
        results["als"] = report("als (implicit)", als_ranked)
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
            ranked = {m: [r.item for r in rs] for m, rs in recs.items()}
            return ranking_report(ranked, members, catalogue_size=len(items), k=K), time.monotonic() - t, ranked

        val_scores = {combo: run("val", validation, *combo)[0].ndcg for combo in grid}
        chosen = max(grid, key=lambda combo: (val_scores[combo], -combo[0]))
        eval_reports = {}
        for combo in grid:
            eval_reports[combo], spent, ranked = run("eval", held, *combo)
            if combo == chosen:
                rate = len(held) / ((seconds["eval"][0] if combo[0] else 0.0) + seconds["eval"][1] + spent)
                chosen_ranked = ranked
            print(f"    text_weight={combo[0]} prior={combo[1]}: val ndcg10 {val_scores[combo]:.4f}  "
                  f"eval {eval_reports[combo].to_dict()}", flush=True)
        report_line = eval_reports[chosen]
        print(f"  {label} (chosen on validation: text_weight={chosen[0]} prior={chosen[1]}) {report_line.to_dict()}; "
              f"{rate:.1f} members/s (history text encoding {seconds['eval'][0]:.0f}s for {len(held)})", flush=True)
        recommender.text_weight, recommender.bias = chosen[0], (chosen[1] * recommender.popularity if chosen[1] else None)
        return recommender, report_line, rate, chosen, chosen_ranked

    def per_member_ndcg(ranked):
        return [ndcg_at_k(ranked.get(m, ()), held[m], K) for m in held]

    def compare(name, ranked, other_name, other_ranked):
        """Paired difference in NDCG@10 on the same evaluated members, with a bootstrap interval."""
        mean, low, high = paired_bootstrap(per_member_ndcg(ranked), per_member_ndcg(other_ranked))
        print(f"  ndcg10 {name} - {other_name}: {mean:+.4f} (95% paired bootstrap interval {low:+.4f} .. {high:+.4f}, "
              f"{len(held)} members)", flush=True)

    base = Encoder(None, max_length=RECS_MAX_LENGTH)
    recommender, results["ours"], members_per_s, _, ours_ranked = two_tower(base, "two-tower, packaged base encoder")

    if args.finetune_seconds:
        pairs, item_keys = next_item_text_pairs(split.train, items)  # as members/recs/services/recommendations_training.py
        with tempfile.TemporaryDirectory() as tmp:
            config = RecsTrainConfig(output_dir=tmp, epochs=1.0, batch_size=32, history_max_length=RECS_MAX_LENGTH,
                                     item_max_length=RECS_MAX_LENGTH, bf16=not args.finetune_fp32,
                                     max_pairs=args.max_pairs, max_seconds=args.finetune_seconds)
            trained = fine_tune(pairs, config, item_keys=item_keys)
            print(f"  fine-tune ({trained.precision}, {torch.get_num_threads()} thread(s)): {trained.steps} steps of "
                  f"{config.batch_size} ({trained.steps * config.batch_size} pairs seen of {trained.pairs} sampled from "
                  f"{len(pairs)}) in {trained.seconds:.0f}s = {trained.seconds / trained.steps:.2f} s/step, "
                  f"history padding {trained.history_padding:.1%}, "
                  f"loss {trained.first_loss:.3f} -> {trained.last_loss:.3f} (first step -> mean of last 10)", flush=True)
            tuned = Encoder(str(trained.model_dir), max_length=RECS_MAX_LENGTH)
            tuned_recommender, results["tuned"], tuned_rate, _, tuned_ranked = two_tower(tuned, "two-tower, fine-tuned encoder")
            results["base"] = results["ours"]
            compare("fine-tuned", tuned_ranked, "base", ours_ranked)
            if results["tuned"].ndcg > results["ours"].ndcg:
                print("  the fine-tuned encoder beats the base one: it is ours", flush=True)
                results["ours"], recommender, members_per_s = results["tuned"], tuned_recommender, tuned_rate
                ours_ranked = tuned_ranked
            else:
                print(f"  the fine-tuned encoder does not beat the base one (ndcg10 {results['tuned'].ndcg:.4f} vs "
                      f"{results['base'].ndcg:.4f}): the base encoder stays ours", flush=True)
    if als_ranked is not None:
        compare("ours", ours_ranked, "als", als_ranked)
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
    ] + ([f"base_ndcg10={r['base'].ndcg:.4f}", f"finetuned_ndcg10={r['tuned'].ndcg:.4f}",
          f"finetune_steps={trained.steps}"] if "tuned" in r else [])))


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
