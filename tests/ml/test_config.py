"""ml.config: one base config shared by the four trainers, each keeping its own defaults."""

import pytest

from ml.config import BaseTrainConfig, EncoderTrainConfig, EntityTrainConfig, TopicTrainConfig, TrainConfig
from ml.recs.finetune import RecsTrainConfig


def test_every_trainer_config_shares_the_base_fields():
    for cls in (TrainConfig, TopicTrainConfig, EntityTrainConfig, RecsTrainConfig):
        assert issubclass(cls, BaseTrainConfig)
        assert {"base_model", "output_dir", "epochs", "batch_size", "learning_rate", "seed"} <= set(cls().to_dict())


def test_each_trainer_keeps_its_own_defaults():
    assert (TrainConfig().learning_rate, TrainConfig().max_length, TrainConfig().epochs) == (1e-4, 256, 3.0)
    assert (TopicTrainConfig().epochs, TopicTrainConfig().learning_rate, TopicTrainConfig().max_length) == (4.0, 5e-5, 128)
    assert EntityTrainConfig().output_dir == "artifacts/entities"
    assert (RecsTrainConfig().batch_size, RecsTrainConfig().learning_rate, RecsTrainConfig().epochs) == (32, 3e-5, 1.0)


def test_the_split_is_stored_as_a_tuple_and_checked():
    assert TopicTrainConfig(split=[0.8, 0.1, 0.1]).split == (0.8, 0.1, 0.1)
    assert TrainConfig().split == (0.6, 0.2, 0.2)
    for cls in (TrainConfig, TopicTrainConfig, EntityTrainConfig):
        assert issubclass(cls, EncoderTrainConfig)
        with pytest.raises(ValueError, match="split"):
            cls(split=(0.5, 0.5, 0.5))
