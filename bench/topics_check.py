"""Weak topic labels on real clothing reviews with the real packaged MiniLM (a check, not a test).

Prints per-topic counts (keyword hits, similarity-only hits), then a few examples per topic with
their evidence so a person can judge them, and writes every labelled review to a JSONL file for
hand-checking. Results of the hand check are in docs/ml-topics.md.

    .venv/bin/python bench/topics_check.py [--reviews 200] [--examples 3] [--seed 11] [--out topics_check.jsonl]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
DATASET = REPO_ROOT.parent / "shared" / "datasets" / "womens_clothing_reviews" / "womens_clothing_reviews.csv"


def load_reviews(n: int, seed: int) -> list[str]:
    with DATASET.open(newline="", encoding="utf-8") as handle:
        texts = [row["Review Text"].strip() for row in csv.DictReader(handle) if (row["Review Text"] or "").strip()]
    return random.Random(seed).sample(texts, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default="topics_check.jsonl")
    args = parser.parse_args()
    torch.set_num_threads(2)

    from ml.topics import WeakTopicLabeller

    texts = load_reviews(args.reviews, args.seed)
    labeller = WeakTopicLabeller.with_base_model()
    started = time.perf_counter()
    results = labeller.label(texts)
    elapsed = time.perf_counter() - started

    print(f"{len(texts)} reviews from {DATASET.name} (seed {args.seed}), labelled in {elapsed:.1f}s")
    print(f"{'topic':20} {'assigned':>8} {'keyword':>8} {'sim_only':>8} {'mean_sim':>8}")
    for topic in labeller.topics:
        evidence = [r.evidence[topic.code] for r in results]
        assigned = [e for e in evidence if e.assigned]
        keyword = sum(1 for e in assigned if e.keywords)
        mean_sim = sum(e.similarity for e in evidence) / len(evidence)
        print(f"{topic.code:20} {len(assigned):8d} {keyword:8d} {len(assigned) - keyword:8d} {mean_sim:8.3f}")
    print(f"reviews with no topic: {sum(1 for r in results if not r.topics)}")

    for topic in labeller.topics:
        print(f"\n== {topic.code}")
        hits = [(t, r.evidence[topic.code]) for t, r in zip(texts, results) if r.evidence[topic.code].assigned]
        for text, e in hits[: args.examples]:
            print(f"- score={e.score:.2f} sim={e.similarity:.2f} keywords={list(e.keywords)}\n  {text[:300]}")

    with open(args.out, "w", encoding="utf-8") as handle:
        for i, (text, r) in enumerate(zip(texts, results)):
            row = {"i": i, "text": text, "topics": r.topics,
                   "evidence": {c: [round(e.score, 3), round(e.similarity, 3), list(e.keywords)]
                                for c, e in r.evidence.items()}}
            handle.write(json.dumps(row) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
