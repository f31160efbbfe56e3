"""ml.artifacts.ArtifactWriter: every trainer's artifact appears complete or not at all."""

import json

import pytest

from ml.artifacts import ArtifactWriter


def test_a_committed_artifact_replaces_the_partial_folder(tmp_path):
    out = tmp_path / "run"
    with ArtifactWriter(out) as artifact:
        artifact.write_json("config.json", {"seed": 42, "where": out})
        assert artifact.partial.name == "run.partial" and not out.exists()
        assert artifact.commit() == out
    assert json.loads((out / "config.json").read_text()) == {"seed": 42, "where": str(out)}
    assert not (tmp_path / "run.partial").exists()


def test_an_empty_output_folder_is_reused_and_a_full_one_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with ArtifactWriter(empty) as artifact:
        artifact.write_json("metrics.json", {})
        artifact.commit()
    assert (empty / "metrics.json").is_file()
    with pytest.raises(FileExistsError, match="not empty"), ArtifactWriter(empty):
        pass


def test_a_failure_before_commit_leaves_nothing_behind(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), ArtifactWriter(out) as artifact:
        artifact.write_json("config.json", {})
        artifact.checkpoint_dir.mkdir()
        raise RuntimeError("cancelled")
    assert not out.exists() and not (tmp_path / "run.partial").exists()


def test_only_rank_zero_touches_the_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), ArtifactWriter(out):
        raise RuntimeError("rank 1 fails")
    assert list(tmp_path.iterdir()) == []
