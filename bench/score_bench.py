"""Review scoring end to end (sentiment + stored embedding + topics + entities): one shared encoder
pass per review vs the per-review pipeline that runs each head separately, same model, same reviews.

    .venv/bin/python bench/score_bench.py [--model ARTIFACT_DIR] [--n 600] [--chunk 200] [--batch-size 64]
        [--threads 2] [--f1-rows 1000] [--head-rows 1000] [--precisions fp32,bf16,int8]

What runs (no database: the ml-level equivalent of members.reviews.services.scoring.score_reviews,
ml.review_analysis.analyse_reviews, which that service calls; DB writes and webhooks not included):

* pipeline -- what tutorials show, one call per review and head: ``pipeline("text-classification")``
  for sentiment, ``pipeline("feature-extraction")`` on the same fine-tune for the stored embedding
  (mean-pooled), the weak topic labeller on the base encoder (the review's sentences), the rule
  entity extractor.
* two-pass -- the service before this change: batched Scorer (sentiment + embedding in one pass)
  and, separately, the topic labeller encoding every sentence again with the base encoder.
* ours -- analyse_reviews with the labeller on the scorer itself: one batched pass per review gives
  sentiment, the embedding and the sentence embeddings the topics compare with their prototypes;
  once at fp32 and once at the --ours-precision (int8 by default).

The sides take turns on chunks of --chunk reviews, so background load on a shared machine slows
all of them alike. Then macro-F1 of each --precisions choice on --f1-rows labelled reviews (stars
-> sentiment), the same model and rows (bf16 forced by autocast even where the CPU emulates it,
to measure it), and the topic agreement of the shared pass with the base encoder's topics.

Without --model the bench builds a classifier it can afford on a shared CPU: the packaged MiniLM,
frozen, with a 3-class head fitted by logistic regression on --head-rows other reviews (F1 rows,
head rows and timed rows are disjoint). Its topics-vs-base agreement then measures only pooling
sentences from the review's pass instead of encoding them alone (the encoder is the base one). Last line: ``RESULT ours_per_s=... pipeline_per_s=... ratio=...``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REVIEWS = REPO.parent / "shared" / "datasets" / "womens_clothing_reviews" / "womens_clothing_reviews.csv"


def frozen_encoder_artifact(folder: Path, max_length: int, texts: list[str], labels: list[int]) -> Path:
    """A Scorer-loadable artifact without a fine-tune (which a shared 2-core CPU cannot afford here):
    the packaged MiniLM, frozen, and a 3-class head fitted by logistic regression on its pooled
    [CLS] output for ``texts`` -- a working classifier, so F1 per precision means something."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ml.base_model import resolve_base_model
    from ml.labels import label_maps

    base = resolve_base_model(None)
    id2label, label2id = label_maps("sentiment")
    model = AutoModelForSequenceClassification.from_pretrained(
        base.location, num_labels=3, id2label=id2label, label2id=label2id, local_files_only=True
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(base.location, local_files_only=True)
    pooled = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            encoded = tokenizer(texts[start : start + 64], padding=True, truncation=True, max_length=max_length,
                                return_tensors="pt")
            pooled.append(model.base_model(**encoded).pooler_output)
    head = LogisticRegression(max_iter=3000, class_weight="balanced").fit(torch.cat(pooled).numpy(), labels)
    assert list(head.classes_) == [0, 1, 2], head.classes_
    model.classifier.weight.data = torch.tensor(head.coef_, dtype=torch.float32)
    model.classifier.bias.data = torch.tensor(head.intercept_, dtype=torch.float32)
    model.save_pretrained(folder / "model")
    tokenizer.save_pretrained(folder / "model")
    (folder / "config.json").write_text(json.dumps(
        {"task": "sentiment", "max_length": max_length, "title_joined": True, "base_model": base.to_dict(),
         "note": "frozen encoder + logistic-regression head, built by bench/score_bench.py"}
    ))
    return folder


def topic_agreement(reference: list[list[str]], got: list[list[str]]) -> tuple[float, float]:
    """(share of reviews with the same topic set, micro-F1 of got's assignments against reference)."""
    same = sum(set(a) == set(b) for a, b in zip(reference, got)) / max(len(got), 1)
    tp = sum(len(set(a) & set(b)) for a, b in zip(reference, got))
    wrong = sum(len(set(a) ^ set(b)) for a, b in zip(reference, got))
    return same, 2 * tp / max(2 * tp + wrong, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="artifact directory from `python -m ml train` (trained with titles)")
    parser.add_argument("--n", type=int, default=600, help="reviews to time (default 600)")
    parser.add_argument("--chunk", type=int, default=200, help="reviews per alternating round (default 200)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=256, help="only for the built artifact")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ours-precision", default="int8", help="the second 'ours' side's precision")
    parser.add_argument("--f1-rows", type=int, default=1000, help="labelled reviews for the precision F1 (0: skip)")
    parser.add_argument("--head-rows", type=int, default=1000, help="without --model: reviews the head is fitted on")
    parser.add_argument("--precisions", default="fp32,bf16,int8")
    args = parser.parse_args()

    import numpy as np
    import torch
    from transformers import pipeline

    from ml.data import compose_text, read_csv_rows
    from ml.entities import Catalogue, RuleEntityExtractor
    from ml.labels import parse_rating, sentiment_from_rating
    from ml.metrics import macro_f1
    from ml.review_analysis import analyse_reviews
    from ml.scoring import Encoder, Scorer, mean_pool
    from ml.topics import WeakTopicLabeller

    torch.set_num_threads(args.threads)
    rows = [r for r in read_csv_rows(REVIEWS, ["Review Text", "Title", "Rating", "Class Name"])
            if r["Review Text"].strip() and parse_rating(r["Rating"])]
    rng = random.Random(args.seed)
    sample = rng.sample(rows, args.n + args.f1_rows + (0 if args.model else args.head_rows))
    timed, labelled, head_rows = sample[: args.n], sample[args.n : args.n + args.f1_rows], sample[args.n + args.f1_rows :]
    bodies, titles = [r["Review Text"] for r in timed], [r["Title"] for r in timed]
    # the catalogue the service builds from Product rows: here the dataset's class names
    extractor = RuleEntityExtractor(Catalogue(products=sorted({r["Class Name"] for r in rows if r["Class Name"]})))

    with tempfile.TemporaryDirectory() as tmp:
        label_of = {label: i for i, label in enumerate(("negative", "neutral", "positive"))}
        model_dir = args.model or frozen_encoder_artifact(
            Path(tmp) / "artifact", args.max_length, [compose_text(r["Review Text"], r["Title"]) for r in head_rows],
            [label_of[sentiment_from_rating(parse_rating(r["Rating"]))] for r in head_rows])
        which = (f"artifact {args.model}" if args.model else
                 f"packaged all-MiniLM-L6-v2, frozen, + 3-class LR head fitted on {len(head_rows)} other reviews")
        scorer = Scorer(model_dir, device="cpu")
        quantised = Scorer(model_dir, device="cpu", precision=args.ours_precision)
        shared_labeller = WeakTopicLabeller(encoder=scorer)
        shared_labeller_q = WeakTopicLabeller(encoder=quantised)
        base_labeller = WeakTopicLabeller(encoder=Encoder(None, device="cpu"))
        max_length = scorer.max_length
        clf = pipeline("text-classification", model=str(Path(model_dir) / "model"), device=-1, top_k=None)
        features = pipeline("feature-extraction", model=str(Path(model_dir) / "model"), device=-1, framework="pt")
        print(f"score bench: {args.n} real clothing reviews (title + body), {which}, max_length {max_length}, "
              f"torch threads {torch.get_num_threads()}, torch {torch.__version__}, "
              f"ours precision {args.ours_precision} (in effect: {quantised.precision})")

        def per_review(body: str, title: str) -> tuple[str, np.ndarray, list[str], list]:
            text = compose_text(body, title)
            top = clf(text, truncation=True, max_length=max_length)
            hidden = features(text, truncation=True, max_length=max_length, return_tensors=True)
            embedding = mean_pool(hidden, torch.ones(hidden.shape[:2], dtype=torch.long))[0].numpy()
            topics = base_labeller.label([text])[0].topics
            entities = [s.to_dict() for s in extractor.extract_one(body)]
            top = top[0] if isinstance(top[0], list) else top
            return max(top, key=lambda d: d["score"])["label"], embedding, topics, entities

        def two_pass(b: list[str], t: list[str]) -> list[tuple[str, list[str]]]:
            results = scorer.score(b, t, batch_size=args.batch_size)
            weak = base_labeller.label([compose_text(x, y) for x, y in zip(b, t)])
            found = extractor.extract(b)
            return [(r.label, w.topics) for r, w, _ in zip(results, weak, found)]

        sides = {
            "pipeline": lambda b, t: [per_review(x, y) for x, y in zip(b, t)],
            "two-pass": two_pass,
            "ours fp32": lambda b, t: analyse_reviews(scorer, b, t, labeller=shared_labeller, extractor=extractor,
                                                      batch_size=args.batch_size),
            f"ours {args.ours_precision}": lambda b, t: analyse_reviews(
                quantised, b, t, labeller=shared_labeller_q, extractor=extractor, batch_size=args.batch_size),
        }
        for run in sides.values():  # warm-up (first-call allocations, lazy init)
            run(bodies[:4], titles[:4])
        seconds = dict.fromkeys(sides, 0.0)
        outputs: dict[str, list] = {name: [] for name in sides}
        for start_at in range(0, args.n, args.chunk):
            b, t = bodies[start_at : start_at + args.chunk], titles[start_at : start_at + args.chunk]
            for name, run in sides.items():
                started = time.perf_counter()
                outputs[name] += run(b, t)
                seconds[name] += time.perf_counter() - started
        per_s = {name: args.n / s for name, s in seconds.items()}
        for name in sides:
            print(f"{name:>14}: {args.n} reviews in {seconds[name]:7.2f} s = {per_s[name]:6.1f} reviews/s "
                  f"({per_s[name] / per_s['pipeline']:.2f}x the pipeline)")

        base_topics = [topics for _, topics in outputs["two-pass"]]
        pipe_labels = [label for label, *_ in outputs["pipeline"]]
        for name in ("ours fp32", f"ours {args.ours_precision}"):
            same, micro = topic_agreement(base_topics, [a.topics for a in outputs[name]])
            labels = sum(a.score.label == p for a, p in zip(outputs[name], pipe_labels)) / args.n
            print(f"{name}: same label as the pipeline {labels:.1%}; topics vs the base encoder's: same set {same:.1%}, "
                  f"micro-F1 {micro:.3f}")

        f1_line = ""
        if args.f1_rows:
            label_ids = {label: i for i, label in enumerate(scorer.labels)}
            gold = [label_ids[sentiment_from_rating(parse_rating(r["Rating"]))] for r in labelled]
            f_bodies, f_titles = [r["Review Text"] for r in labelled], [r["Title"] for r in labelled]
            f1 = {}
            for precision in args.precisions.split(","):
                model = quantised if precision == args.ours_precision else (
                    scorer if precision in ("fp32", "bf16") else Scorer(model_dir, device="cpu", precision=precision))
                # bf16 forced by autocast, to measure it on a CPU without native bf16 units as well
                forced = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
                started = time.perf_counter()
                with forced:
                    predicted = [label_ids[r.label] for r in model.score(f_bodies, f_titles, batch_size=args.batch_size)]
                f1[precision] = 100 * macro_f1(gold, predicted, len(scorer.labels))
                print(f"macro-F1 {precision}: {f1[precision]:.2f} on {len(gold)} reviews "
                      f"({len(gold) / (time.perf_counter() - started):.1f} reviews/s, sentiment only)")
            f1_line = " " + " ".join(f"f1_delta_{p}={f1[p] - f1['fp32']:+.2f}" for p in f1 if p != "fp32")

    print(f"RESULT ours_per_s={per_s['ours fp32']:.1f} pipeline_per_s={per_s['pipeline']:.1f} "
          f"ratio={per_s['ours fp32'] / per_s['pipeline']:.2f} two_pass_per_s={per_s['two-pass']:.1f} "
          f"ours_{args.ours_precision}_per_s={per_s[f'ours {args.ours_precision}']:.1f} "
          f"ratio_{args.ours_precision}={per_s[f'ours {args.ours_precision}'] / per_s['pipeline']:.2f}{f1_line}")


if __name__ == "__main__":
    main()
