"""Chinese reviews through the product's own training path: what does `python -m ml train` serve?

Data: waimai_10k (../shared/datasets/waimai_10k, Chinese food-delivery reviews, label 1 positive /
0 negative; read at run time, never copied into the repository). Seeded random 80/20 split, both
parts written as CSVs to a temporary directory.

1. ``python -m ml train`` (a subprocess, as an operator runs it) on the 80% file with the default
   base model (the packaged all-MiniLM-L6-v2) and a small time budget. Its language check
   (ml.language, before the model is loaded) finds the base model cannot read Chinese, skips the
   fine-tune and serves the baseline; the run's metrics.json holds the verdict and what is served.
2. ``python -m ml score`` with that run's artifact on the 20% file: served_acc is the accuracy of
   what the product serves, on reviews it never saw. (The CLI keeps its own test rows out of the
   80% file, default split 0.6/0.2/0.2: the served baseline learns from train + validation, 80% of it.)
3. For comparison, in process: ml.baseline's TF-IDF + LR fitted on the whole 80% with the n-grams it
   picks itself (character n-grams for Chinese: char_ngram_acc), on as many rows as the served
   model learned from (char_ngram_same_rows_acc: a like-for-like check of the product's path),
   and with word n-grams.

    .venv/bin/python bench/language_bench.py [--seed 42] [--test-share 0.2] [--max-minutes 2]

Last line: ``RESULT served=... served_acc=... char_ngram_acc=... unk_share=...`` (unk_share: the
base model tokenizer's unknown-token share on the training texts, from the run's metrics.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REVIEWS = REPO.parent / "shared" / "datasets" / "waimai_10k" / "waimai_10k.csv"
LABELS = {1: "positive", 0: "negative"}
# The labels go in as star ratings (5 / 1, weak labels: ml.labels): human labels in a label column
# would all become the test set (ml.splits), leaving nothing to train on.
STARS = {"positive": 5, "negative": 1}


def read_reviews(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["review"], LABELS[int(row["label"])]) for row in csv.DictReader(handle) if row["review"].strip()]


def write_csv(path: Path, reviews: list[tuple[str, str]], *, with_labels: bool) -> None:
    """The test file has no label column: the gold labels stay here, the scorer only sees the text."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "rating"] if with_labels else ["review"])
        writer.writerows([(text, STARS[label]) for text, label in reviews] if with_labels
                         else [(text,) for text, _ in reviews])


def accuracy(true: list[str], predicted: list[str]) -> float:
    return sum(t == p for t, p in zip(true, predicted)) / len(true)


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    """`python -m ml ...` from the repository root; its output is echoed, a failure ends the bench."""
    command = [sys.executable, "-m", "ml", *args]
    print("$ python -m ml " + " ".join(args), flush=True)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    for line in (done.stdout + done.stderr).splitlines():
        print(f"  | {line}")
    if done.returncode != 0:
        raise SystemExit(f"python -m ml {args[0]} failed with exit status {done.returncode}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--max-minutes", type=float, default=2.0,
                        help="time budget given to `python -m ml train` (a fine-tune, if one runs, stops by then)")
    args = parser.parse_args()

    reviews = read_reviews(REVIEWS)
    random.Random(args.seed).shuffle(reviews)
    cut = round(len(reviews) * (1 - args.test_share))
    train, test = reviews[:cut], reviews[cut:]
    print(f"waimai_10k: {len(reviews)} reviews, train {len(train)}, test {len(test)} (seed {args.seed})")

    with tempfile.TemporaryDirectory(prefix="language-bench-") as tmp:
        folder = Path(tmp)
        write_csv(folder / "train.csv", train, with_labels=True)
        write_csv(folder / "test.csv", test, with_labels=False)
        started = time.monotonic()
        run_cli(["train", "--data", str(folder / "train.csv"), "--text-column", "review", "--rating-column", "rating",
                 "--out", str(folder / "run"), "--max-minutes", f"{args.max_minutes:g}", "--seed", str(args.seed)])
        train_s = time.monotonic() - started
        metrics = json.loads((folder / "run" / "metrics.json").read_text(encoding="utf-8"))
        run_cli(["score", "--model", str(folder / "run"), "--data", str(folder / "test.csv"),
                 "--text-column", "review", "--out", str(folder / "scored.csv")])
        with (folder / "scored.csv").open(encoding="utf-8", newline="") as handle:
            scored = [row["label"] for row in csv.DictReader(handle)]
    print(f"train command: {train_s:.1f} s; language: {json.dumps(metrics['language']['shares'])}, "
          f"unknown tokens {metrics['language']['overall_unk_share']:.1%}")

    from ml.baseline import WORD_ANALYZER, fit_baseline
    from ml.labels import TASK_LABELS

    labels = list(TASK_LABELS["sentiment"])
    train_texts, train_y = [t for t, _ in train], [labels.index(y) for _, y in train]
    test_texts, test_y = [t for t, _ in test], [y for _, y in test]
    direct = {}
    for name, analyzer in (("auto", None), ("word", WORD_ANALYZER)):
        model = fit_baseline(train_texts, train_y, num_labels=len(labels), seed=args.seed, analyzer=analyzer)
        direct[name] = accuracy(test_y, [labels[i] for i in model.predict(test_texts)])
        print(f"baseline {name:4s}: {model.description} [{model.analyzer}] accuracy {direct[name]:.4f}")
    served_rows = int(metrics.get("baseline_train_rows") or 0)
    same_rows = accuracy(test_y, [labels[i] for i in fit_baseline(
        train_texts[:served_rows], train_y[:served_rows], num_labels=len(labels), seed=args.seed).predict(test_texts)]
    ) if served_rows else float("nan")
    print(f"baseline auto on the served model's row count ({served_rows}): accuracy {same_rows:.4f}")

    served_acc = accuracy(test_y, scored)
    print(f"RESULT served={metrics['served']} served_acc={served_acc:.4f} char_ngram_acc={direct['auto']:.4f} "
          f"char_ngram_same_rows_acc={same_rows:.4f} served_rows={served_rows} train_rows={len(train)} "
          f"unk_share={metrics['language']['overall_unk_share']:.4f}")


if __name__ == "__main__":
    main()
