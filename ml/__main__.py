"""Command line: ``python -m ml train ...`` and ``python -m ml score ...`` (no Django needed).

Bad input ends with a one-line ``error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from ml.config import ScoreConfig, TrainConfig, field_help

DEFAULT_CPU_MAX_MINUTES = 10.0  # what a CPU shop can afford; a GPU trains the full data without a limit


def _max_minutes(requested: float | None) -> float | None:
    if requested is not None:
        return requested or None  # 0 = no limit
    import torch

    return None if torch.cuda.is_available() else DEFAULT_CPU_MAX_MINUTES


def _train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune a model on a CSV of reviews and write an artifact directory")
    h = lambda name: field_help(TrainConfig, name)
    p.add_argument("--task", default="sentiment", help=h("task"))
    p.add_argument("--data", required=True, type=Path, help="UTF-8 CSV with a header row")
    p.add_argument("--text-column", required=True, help=h("text_column"))
    p.add_argument("--rating-column", help=h("rating_column"))
    p.add_argument("--title-column", help=h("title_column"))
    p.add_argument("--label-column", help=h("label_column"))
    p.add_argument("--timestamp-column", help=h("timestamp_column"))
    p.add_argument("--out", required=True, help=h("output_dir"))
    p.add_argument("--base-model", default="", help=h("base_model"))
    p.add_argument("--epochs", type=float, default=TrainConfig.epochs, help=h("epochs"))
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size, help=h("batch_size"))
    p.add_argument("--grad-accum", type=int, default=TrainConfig.grad_accum, help=h("grad_accum"))
    p.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate, help=h("learning_rate"))
    p.add_argument("--max-length", type=int, default=TrainConfig.max_length, help=h("max_length"))
    p.add_argument("--max-train-samples", type=int, help=h("max_train_samples"))
    p.add_argument("--max-minutes", type=float, default=None,
                   help=h("max_minutes") + f" Default: {DEFAULT_CPU_MAX_MINUTES:g} on a CPU, none on a GPU; 0 = no limit.")
    p.add_argument("--max-eval-samples", type=int, default=TrainConfig.max_eval_samples, help=h("max_eval_samples"))
    p.add_argument("--no-stack", action="store_true", help="turn off " + h("stack_tfidf"))
    p.add_argument("--eval-steps", type=int, help=h("eval_steps"))
    p.add_argument("--early-stopping-patience", type=int, default=TrainConfig.early_stopping_patience,
                   help=h("early_stopping_patience"))
    p.add_argument("--seed", type=int, default=TrainConfig.seed, help=h("seed"))
    p.add_argument("--no-class-weights", action="store_true", help="turn off " + h("use_class_weights"))
    p.add_argument("--lora", action="store_true", help=h("lora"))
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")


def _score_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a CSV with a trained artifact; writes label + probabilities per row")
    p.add_argument("--model", required=True, help=field_help(ScoreConfig, "model_dir"))
    p.add_argument("--data", required=True, type=Path, help="UTF-8 CSV with a header row")
    p.add_argument("--text-column", required=True, help="column holding the text to score")
    p.add_argument("--title-column", help="optional title column (used as the model was trained)")
    p.add_argument("--out", required=True, type=Path, help="CSV to write: the input columns + label + prob_<label>")
    p.add_argument("--batch-size", type=int, default=64, help=field_help(ScoreConfig, "batch_size"))
    p.add_argument("--device", help=field_help(ScoreConfig, "device"))
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")


def _run_train(args: argparse.Namespace) -> None:
    from ml.data import read_csv_rows, required_columns
    from ml.train import train

    config = TrainConfig(
        task=args.task, base_model=args.base_model, text_column=args.text_column, title_column=args.title_column,
        rating_column=args.rating_column, label_column=args.label_column, timestamp_column=args.timestamp_column,
        max_length=args.max_length, epochs=args.epochs, batch_size=args.batch_size, grad_accum=args.grad_accum,
        learning_rate=args.learning_rate, early_stopping_patience=args.early_stopping_patience,
        eval_steps=args.eval_steps, seed=args.seed, use_class_weights=not args.no_class_weights, lora=args.lora,
        output_dir=args.out, max_train_samples=args.max_train_samples, max_minutes=_max_minutes(args.max_minutes),
        max_eval_samples=args.max_eval_samples, stack_tfidf=not args.no_stack,
    )
    rows = read_csv_rows(args.data, required_columns(config))
    result = train(config, rows, show_progress=sys.stderr.isatty())
    if not result.run_config:
        return  # an extra rank of a torchrun launch: rank 0 wrote the artifact and reports it
    metrics = result.metrics
    summary = {name: round(m["macro_f1"], 4) for name, m in metrics["test"].items()}
    print(f"artifact: {result.artifact_dir}")
    budget = f", stopped by the time budget of {config.max_minutes:g} min" if metrics["stopped_by_budget"] else ""
    print(f"trained {metrics['steps_run']} steps ({metrics['epochs_run']:.2f} epochs) in "
          f"{result.run_config['duration_s']:.0f} s{budget} on {result.run_config['device']} "
          f"({metrics['train_samples_per_second']} training samples/s); recipe: {metrics['finetuned_recipe']}")
    print(f"test macro-F1 ({metrics['test_size']} rows): {json.dumps(summary)}")
    print(f"served: {metrics['served']} -- {metrics['decision']['reason']}")
    if metrics["served"] != "finetuned":
        print(f"the baseline artifact to serve: {result.artifact_dir / 'baseline'}")


def _run_score(args: argparse.Namespace) -> None:
    from ml.data import read_csv_rows
    from ml.scoring import Scorer

    rows = read_csv_rows(args.data, [c for c in (args.text_column, args.title_column) if c])
    scorer = Scorer(args.model, device=args.device)
    titles = [row.get(args.title_column) for row in rows] if args.title_column else None
    results = scorer.score(
        [row.get(args.text_column) for row in rows], titles, batch_size=args.batch_size,
        show_progress=sys.stderr.isatty(),
    )
    columns = list(rows[0].keys()) if rows else []
    prob_columns = [f"prob_{label}" for label in scorer.labels]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "label", *prob_columns])
        for row, result in zip(rows, results):
            probs = [f"{result.probabilities[label]:.6f}" for label in scorer.labels]
            writer.writerow([*(row.get(c, "") for c in columns), result.label, *probs])
    print(f"scored {len(results)} rows -> {args.out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    _score_parser(sub)
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from ml.base_model import BaseModelError
    from ml.callbacks import TrainingCancelled
    from ml.data import DataError
    from ml.scoring import ArtifactError

    try:
        _run_train(args) if args.command == "train" else _run_score(args)
    except (DataError, BaseModelError, ArtifactError, FileExistsError, TrainingCancelled, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
