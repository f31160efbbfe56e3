import pytest

from ml.base_model import BaseModelError, packaged_model_path, resolve_base_model


def test_empty_base_model_is_the_packaged_minilm():
    for value in (None, ""):
        resolved = resolve_base_model(value)
        assert resolved.location == str(packaged_model_path())
        assert "all-MiniLM-L6-v2" in resolved.description and resolved.local_files_only


def test_local_folder_is_used_as_is(tiny_base_model):
    resolved = resolve_base_model(str(tiny_base_model))
    assert resolved.location == str(tiny_base_model.resolve()) and resolved.local_files_only


def test_hub_name_needs_the_download_opt_in(monkeypatch):
    monkeypatch.delenv("MEMBERHUB_ALLOW_DOWNLOADS", raising=False)
    with pytest.raises(BaseModelError, match="MEMBERHUB_ALLOW_DOWNLOADS=1"):
        resolve_base_model("bert-base-uncased")
    monkeypatch.setenv("MEMBERHUB_ALLOW_DOWNLOADS", "1")
    resolved = resolve_base_model("bert-base-uncased")
    assert resolved.location == "bert-base-uncased" and not resolved.local_files_only


def test_folder_without_model_config_is_refused(tmp_path):
    with pytest.raises(BaseModelError, match="no config.json"):
        resolve_base_model(str(tmp_path))
