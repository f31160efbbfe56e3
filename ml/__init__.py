"""Review intelligence models for MemberHub: plain Python, never imports Django.

Rows and paths go in; dataclasses and artifact directories come out. The Django side
(members/services/...) turns reviews into rows, calls :func:`ml.train.train` or
:class:`ml.scoring.Scorer`, and stores what comes back.

Modules:
    config      dataclass configs, one help string per field (BaseTrainConfig shared by every trainer)
    base_model  where the encoder weights come from (packaged MiniLM, a folder, or the hub on opt-in)
    labels      label sets per task and the weak-labelling rules (stars -> sentiment)
    data        reading CSV files and turning rows into labelled examples
    splits      train/validation/test splits (by time when timestamps exist)
    metrics     classification metrics and the TF-IDF / majority baselines
    bootstrap   paired bootstrap intervals (is model A better than B on the same rows?)
    train       fine-tuning with the Hugging Face Trainer; writes one artifact directory
    classifier_trainer, forward, trainer_args   the Trainer pieces, forward passes and arguments of train
    artifacts   ArtifactWriter: every trainer's artifact is written to <dir>.partial, then renamed
    scoring     Scorer (artifact -> labels, probabilities, embeddings) and Encoder (base model embeddings)
    score_result  ScoreResult and model_input, shared by every scorer (fine-tune and baseline)
    language    which script a text is in, and whether a tokenizer can read it (checked before fine-tuning)
"""
