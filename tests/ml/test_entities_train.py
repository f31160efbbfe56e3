"""Token-classification training on weak entity labels, end to end on a tiny random BERT."""

from __future__ import annotations

import itertools
import json
import random
from types import SimpleNamespace

import pytest
import torch

from ml.entities import BIO_LABELS, Catalogue, RuleEntityExtractor
from ml.entity_train import (
    EntityTrainConfig,
    ModelEntityExtractor,
    span_metrics,
    train_entities,
    weak_entity_rows,
)

CATALOGUE = Catalogue(brands=["Nike", "Adidas"], products=["Air Max", "Boho Dress"])


def tiny_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    templates = ["I bought {} for {}", "{} was {} on sale", "love it, {} and {}", "nothing to say about {} {}"]
    names = ["Nike", "Adidas", "Air Max", "Boho Dress", "this top"]
    prices = ["$12", "$30.50", "20 dollars", "£5", "a lot"]
    return [rng.choice(templates).format(rng.choice(names), rng.choice(prices)) for _ in range(n)]


@pytest.fixture(scope="module")
def entity_artifact(tiny_base_model, tmp_path_factory):
    rows = weak_entity_rows(tiny_texts(80), RuleEntityExtractor(CATALOGUE))
    out = tmp_path_factory.mktemp("entities") / "entities-v1"
    config = EntityTrainConfig(base_model=str(tiny_base_model), max_length=24, epochs=3, batch_size=8,
                               learning_rate=2e-3, output_dir=str(out))
    return train_entities(config, rows)


def test_training_writes_a_token_classification_artifact(entity_artifact):
    for name in ("model/model.safetensors", "model/tokenizer.json", "metrics.json", "config.json"):
        assert (entity_artifact / name).is_file(), name
    model_config = json.loads((entity_artifact / "model" / "config.json").read_text())
    assert model_config["architectures"] == ["BertForTokenClassification"]
    assert model_config["id2label"]["1"] == "B-BRAND"
    metrics = json.loads((entity_artifact / "metrics.json").read_text())
    assert set(metrics["test"]["per_type"]) == {"BRAND", "PRODUCT", "PRICE"}
    assert 0.0 <= metrics["test"]["micro"]["f1"] <= 1.0


def test_model_extractor_returns_spans_on_original_offsets_in_input_order(entity_artifact):
    extractor = ModelEntityExtractor(entity_artifact, device="cpu")
    texts = ["I bought Nike for $12 " * 40, "", None, "😀", "love it, Boho Dress and £5"]
    results = extractor.extract(texts, batch_size=2)
    assert len(results) == len(texts)
    assert results[1] == [] and results[2] == []
    for text, spans in zip(texts, results):
        for span in spans:
            assert (text or "")[span.start:span.end] == span.text
            assert 0.0 <= span.score <= 1.0
        assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert extractor.extract([texts[4]])[0] == results[4]


class NikeTagger(torch.nn.Module):
    """Stands in for a trained head: tags the token "nike" B-BRAND and everything else O."""

    def __init__(self, nike_id: int) -> None:
        super().__init__()
        self.nike_id = nike_id

    def forward(self, input_ids, **kwargs):
        logits = torch.zeros(*input_ids.shape, len(BIO_LABELS))
        logits[..., 0] = 5.0
        logits[..., BIO_LABELS.index("B-BRAND")] = (input_ids == self.nike_id).float() * 10.0
        return SimpleNamespace(logits=logits)


def test_long_texts_are_read_in_windows_so_late_mentions_are_seen(entity_artifact):
    extractor = ModelEntityExtractor(entity_artifact, device="cpu")
    extractor.model = NikeTagger(extractor.tokenizer.convert_tokens_to_ids("nike"))
    text = "I bought Nike for $12. " * 30  # about 240 tokens; the artifact reads 24 at a time
    spans = extractor.extract([text, "short Nike"], batch_size=1)
    starts = [i for i in range(len(text)) if text.startswith("Nike", i)]
    assert [s.start for s in spans[0]] == starts  # every mention once, windows' duplicates merged
    assert all(s.text == "Nike" and s.label == "BRAND" for s in spans[0])
    assert [(s.start, s.text) for s in spans[1]] == [(6, "Nike")]


def test_span_metrics_count_exact_matches_only():
    gold = RuleEntityExtractor(CATALOGUE).extract(["Nike for $12"])
    assert span_metrics(gold, gold)["micro"]["f1"] == 1.0
    assert span_metrics(gold, [[]])["micro"]["recall"] == 0.0
