"""Writing one artifact directory atomically; shared by every trainer in ml/.

A trainer writes everything (``model/``, ``metrics.json``, ``config.json``, ...) into
``<output_dir>.partial`` and renames it to ``output_dir`` only once the artifact is complete, so a
failed or cancelled run never leaves a half-written artifact and a reader never sees one:

    with ArtifactWriter(config.output_dir) as artifact:   # refuses a non-empty output_dir
        ...train, with checkpoints in artifact.checkpoint_dir...
        artifact.save_model(model, tokenizer)
        artifact.write_json("config.json", {...})
        artifact.commit()                                  # the rename
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Self


def is_main_process() -> bool:
    """True except on the extra ranks of a torchrun / accelerate launch (they set RANK)."""
    return int(os.environ.get("RANK", "0")) == 0


def write_json(path: Path, payload: Any) -> None:
    """Indented UTF-8 JSON with a final newline; values JSON does not know (paths, dates) as str."""
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def library_versions(with_peft: bool = False) -> dict[str, str]:
    """Versions of the libraries a run depends on, for config.json (reproducing a run needs them)."""
    names = ["torch", "transformers", "accelerate", "scikit-learn", "numpy", "safetensors"]
    versions = {name: metadata.version(name) for name in names + (["peft"] if with_peft else [])}
    versions["python"] = platform.python_version()
    return versions


class ArtifactWriter:
    """Context manager over ``<output_dir>.partial``; see the module docstring.

    Entering refuses an ``output_dir`` that exists and is not an empty directory (each run needs its
    own), and starts a fresh ``.partial``. Leaving without :meth:`commit` (an exception, a
    cancellation) removes the ``.partial``. Under a multi-process launch only rank 0 touches the
    disk: the Trainer saves checkpoints from rank 0 alone and the other ranks only read the best one
    back, so on other ranks this creates, removes and renames nothing.
    """

    def __init__(self, output_dir: str | Path) -> None:
        self.output_dir = Path(output_dir)
        self.partial = self.output_dir.with_name(self.output_dir.name + ".partial")
        self.writes = is_main_process()
        self.committed = False

    def __enter__(self) -> Self:
        if self.writes:
            if self.output_dir.exists() and (not self.output_dir.is_dir() or any(self.output_dir.iterdir())):
                raise FileExistsError(
                    f"{self.output_dir} already exists and is not empty; each run needs its own directory.")
            shutil.rmtree(self.partial, ignore_errors=True)
            self.partial.mkdir(parents=True)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.writes and not self.committed:
            shutil.rmtree(self.partial, ignore_errors=True)

    @property
    def checkpoint_dir(self) -> Path:
        """Where the Trainer may keep checkpoints; removed by :meth:`save_model`."""
        return self.partial / "checkpoints"

    def save_model(self, model: Any, tokenizer: Any) -> Path:
        """``model/``: safetensors weights, the model config (with its label maps) and the tokenizer.
        The Trainer's checkpoints are no longer needed once the final weights are saved."""
        model_dir = self.partial / "model"
        model.save_pretrained(model_dir, safe_serialization=True)
        tokenizer.save_pretrained(model_dir)
        shutil.rmtree(self.checkpoint_dir, ignore_errors=True)
        return model_dir

    def write_json(self, name: str, payload: Any) -> None:
        write_json(self.partial / name, payload)

    def commit(self) -> Path:
        """Publish the artifact: rename ``.partial`` to ``output_dir`` (an empty one is replaced)."""
        if self.output_dir.exists():
            self.output_dir.rmdir()  # checked empty on entry
        self.partial.rename(self.output_dir)
        self.committed = True
        return self.output_dir
