"""Scoring throughput: our Scorer vs the per-review transformers pipeline loop, same model, same reviews.

The baseline is what tutorials show: ``clf = pipeline("text-classification", ...)`` and one
``clf(text)`` call per review. Ours sorts by length, pads per batch and runs batches under
inference_mode -- and also returns an embedding per review, which the pipeline does not.

    .venv/bin/python bench/score_bench.py [--model ARTIFACT_DIR] [--n 2000] [--batch-size 64] [--threads 2] [--chunk 500]

The two sides take turns on chunks of --chunk reviews (pipeline, then ours, on the same chunk), so
both see the same background load on a shared machine.

Without --model the bench builds an artifact from the packaged all-MiniLM-L6-v2 with a freshly
initialised (untrained) 3-class head: throughput does not depend on the head's weights.
Last line: ``RESULT ours_per_s=... pipeline_per_s=... ratio=...``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REVIEWS = REPO.parent / "shared" / "datasets" / "womens_clothing_reviews" / "womens_clothing_reviews.csv"


def untrained_artifact(folder: Path, max_length: int) -> Path:
    """A Scorer-loadable artifact: packaged MiniLM + new sentiment head, no training."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ml.base_model import resolve_base_model
    from ml.labels import label_maps

    base = resolve_base_model(None)
    id2label, label2id = label_maps("sentiment")
    model = AutoModelForSequenceClassification.from_pretrained(
        base.location, num_labels=3, id2label=id2label, label2id=label2id, local_files_only=True
    )
    model.save_pretrained(folder / "model")
    AutoTokenizer.from_pretrained(base.location, local_files_only=True).save_pretrained(folder / "model")
    (folder / "config.json").write_text(json.dumps(
        {"task": "sentiment", "max_length": max_length, "title_joined": False, "base_model": base.to_dict(),
         "note": "untrained head, built by bench/score_bench.py for timing only"}
    ))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="artifact directory from `python -m ml train`")
    parser.add_argument("--n", type=int, default=2000, help="reviews to score (default 2000)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=256, help="only for the built artifact")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=500, help="reviews per alternating round (default 500)")
    args = parser.parse_args()

    import torch
    from transformers import pipeline

    from ml.data import read_csv_rows
    from ml.scoring import Scorer

    torch.set_num_threads(args.threads)
    rows = [r for r in read_csv_rows(REVIEWS, ["Review Text"]) if r["Review Text"].strip()]
    texts = [r["Review Text"] for r in random.Random(args.seed).sample(rows, args.n)]

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or untrained_artifact(Path(tmp) / "artifact", args.max_length)
        which = f"artifact {args.model}" if args.model else "packaged all-MiniLM-L6-v2 + untrained 3-class head"
        scorer = Scorer(model_dir, device="cpu")
        clf = pipeline("text-classification", model=str(Path(model_dir) / "model"), device=-1, top_k=None)
        print(f"score bench: {args.n} real clothing reviews, {which}, max_length {scorer.max_length}, "
              f"torch threads {torch.get_num_threads()}, torch {torch.__version__}")
        scorer.score(texts[:8])  # warm-up both (first-call allocations, lazy init)
        clf(texts[0], truncation=True, max_length=scorer.max_length)

        # The two sides alternate on the same chunks, so a load spike from other work on this
        # shared machine slows both instead of whichever happened to run at that moment.
        piped, ours, pipeline_s, ours_s = [], [], 0.0, 0.0
        for start_at in range(0, len(texts), args.chunk):
            chunk = texts[start_at : start_at + args.chunk]
            start = time.perf_counter()
            piped += [clf(text, truncation=True, max_length=scorer.max_length) for text in chunk]
            pipeline_s += time.perf_counter() - start
            start = time.perf_counter()
            ours += scorer.score(chunk, batch_size=args.batch_size)
            ours_s += time.perf_counter() - start

    ours_per_s, pipeline_per_s = args.n / ours_s, args.n / pipeline_s
    print(f"pipeline, one call per review: {args.n} in {pipeline_s:.2f} s = {pipeline_per_s:,.1f} reviews/s")
    print(f"Scorer, length-sorted batches of {args.batch_size} per chunk of {args.chunk} (+ embeddings): {args.n} in {ours_s:.2f} s "
          f"= {ours_per_s:,.1f} reviews/s")
    # top_k=None answers one string with [[{label, score}, ...]] or [{...}] depending on the version
    tops = [max(p[0] if isinstance(p[0], list) else p, key=lambda d: d["score"])["label"] for p in piped]
    print(f"same top label from both: {sum(t == r.label for t, r in zip(tops, ours)) / len(texts):.1%}")
    print(f"RESULT ours_per_s={ours_per_s:.1f} pipeline_per_s={pipeline_per_s:.1f} ratio={ours_per_s / pipeline_per_s:.2f}")


if __name__ == "__main__":
    main()
