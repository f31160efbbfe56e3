"""Sentiment quality: fine-tuned MiniLM vs TF-IDF + logistic regression vs majority class.

Data: the real Women's E-Commerce Clothing Reviews (../shared/datasets/womens_clothing_reviews).
Labels are weak labels from the stars (1-2 negative, 3 neutral, 4-5 positive); title and text
are joined. The data has no timestamps, so the split is a seeded random split stratified by
label (train/validation/test 60/20/20 of the sample). All three models are trained on the same
train split and scored on the same test split; macro-F1 over the three classes is the headline.

    .venv/bin/python bench/quality_bench.py [--sample 5000] [--epochs 2] [--max-length 128] [--threads 2]

Budget mode (issue 10): the whole training call -- fine-tune, stacked head, baseline, test
predictions -- must fit ``--max-minutes`` of wall clock; the served model is the one ml.selection
picks on the test split (the fine-tune only when its paired bootstrap interval vs TF-IDF + LR is
above zero), so ``served_macro_f1`` can never be below TF-IDF + LR's:

    .venv/bin/python bench/quality_bench.py --max-minutes 10 --threads 2 --epochs 3

Last line: ``RESULT finetuned_macro_f1=... tfidf_lr_macro_f1=... majority_macro_f1=... served=...
served_macro_f1=... train_seconds=...``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REVIEWS = REPO.parent / "shared" / "datasets" / "womens_clothing_reviews" / "womens_clothing_reviews.csv"


def main() -> None:
    from ml.config import TrainConfig  # no torch import: cheap before argument parsing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=5000, help="reviews drawn (seeded) from the 18,783; 0 = all")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-minutes", type=float, help="wall-clock budget for the whole training call")
    parser.add_argument("--lora", action="store_true", help="train LoRA adapters (needs the optional peft package)")
    parser.add_argument("--no-stack", action="store_true", help="fine-tuned head only (no stacked TF-IDF head)")
    parser.add_argument("--keep", type=Path, help="write the artifact here instead of a temporary folder")
    args = parser.parse_args()

    import torch

    from ml.data import read_csv_rows
    from ml.train import train

    torch.set_num_threads(args.threads)
    rows = read_csv_rows(REVIEWS, ["Review Text", "Title", "Rating"])
    sample = random.Random(args.seed).sample(rows, args.sample) if args.sample else rows
    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(
            text_column="Review Text", title_column="Title", rating_column="Rating", max_length=args.max_length,
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed,
            output_dir=str(args.keep or Path(tmp) / "artifact"), max_minutes=args.max_minutes,
            stack_tfidf=not args.no_stack, lora=args.lora,
        )
        start = time.perf_counter()
        result = train(config, sample)
        elapsed = time.perf_counter() - start
    data = result.run_config["data"]
    test = result.metrics["test"]
    print(f"quality bench: {len(sample)} reviews -> train {data['train_rows_used']} / validation "
          f"{data['validation_rows']} / test {data['test_rows']} ({data['split_strategy']}); "
          f"{data['rows_without_text']} rows without text or title dropped")
    metrics = result.metrics
    budget = f" (budget {args.max_minutes:g} min{', stopped by it' if metrics['stopped_by_budget'] else ''})" \
        if args.max_minutes else ""
    print(f"fine-tune: packaged all-MiniLM-L6-v2, max_length {args.max_length}, {metrics['epochs_run']:.2f} "
          f"epochs ({metrics['steps_run']} steps of {args.batch_size}), {result.run_config['device']} "
          f"{result.run_config['precision']}, {args.threads} threads, {elapsed:.0f} s total{budget}; "
          f"recipe: {metrics['finetuned_recipe']}; validation {metrics['validation']}")
    for name, report in test.items():
        per_class = " ".join(f"{label}={m['f1']:.3f}" for label, m in report["per_class"].items())
        print(f"{name:>13}: macro-F1 {report['macro_f1']:.4f} accuracy {report['accuracy']:.4f}  F1 {per_class}")
    margin = test["finetuned"]["macro_f1"] - test["tfidf_logreg"]["macro_f1"]
    print(f"fine-tune vs TF-IDF + LR: {margin:+.4f} macro-F1 ({'beats' if margin > 0 else 'does NOT beat'} the baseline)")
    decision = metrics["decision"]
    print(f"served: {metrics['served']} -- {decision['reason']}")
    served_f1 = test[metrics["served"]]["macro_f1"]
    print(f"RESULT finetuned_macro_f1={test['finetuned']['macro_f1']:.4f} "
          f"tfidf_lr_macro_f1={test['tfidf_logreg']['macro_f1']:.4f} majority_macro_f1={test['majority']['macro_f1']:.4f} "
          f"served={metrics['served']} served_macro_f1={served_f1:.4f} train_seconds={elapsed:.0f}")


if __name__ == "__main__":
    main()
