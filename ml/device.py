"""Device and numeric precision choices, shared by training and scoring."""

from __future__ import annotations

import contextlib

import torch


def pick_device(requested: str | None = None) -> torch.device:
    """The requested device, else the first CUDA GPU, else the CPU."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def gpu_dtype() -> torch.dtype | None:
    """bf16 where the GPU supports it (Ampere and newer), fp16 on older GPUs, None (fp32) on CPU."""
    if not torch.cuda.is_available():
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast_for(device: torch.device) -> contextlib.AbstractContextManager:
    """Mixed-precision autocast on a GPU; a no-op on CPU, where scoring stays exact fp32 (bf16 on
    CPUs with native units was measured faster for training only: see bf16_autocast)."""
    dtype = gpu_dtype()
    if device.type == "cuda" and dtype is not None:
        return torch.autocast(device_type="cuda", dtype=dtype)
    return contextlib.nullcontext()


def cpu_has_bf16() -> bool:
    """Whether this CPU has native bf16 units (oneDNN says so); emulated bf16 is slower than fp32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
        return False


def bf16_autocast(device: torch.device, wanted: bool) -> tuple[contextlib.AbstractContextManager, str]:
    """(context manager, "bf16" or "fp32"): bf16 autocast only where it is native, on a GPU or a
    CPU, since emulated bf16 is slower than fp32."""
    if wanted and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16), "bf16"
    if wanted and device.type == "cpu" and cpu_has_bf16():
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16), "bf16"
    return contextlib.nullcontext(), "fp32"


# Numeric precision of CPU scoring (settings.REVIEW_SCORING_PRECISION, ml.scoring.Scorer(precision=...)).
# Measured on the clothing reviews in BENCHMARKS.md ("Review scoring throughput"): a choice is kept only
# while its macro-F1 stays within 0.5 pt of fp32 on the same model and rows.
SCORING_PRECISIONS = ("fp32", "bf16", "int8")


def scoring_precision(model: torch.nn.Module, device: torch.device, precision: str) -> tuple[torch.nn.Module, str]:
    """(model to run, precision in effect) for a requested scoring precision; run the model under
    scoring_autocast(device, precision in effect). On a GPU every choice runs as autocast_for says
    (bf16/fp16): int8 dynamic quantisation is a CPU kernel. On a CPU: "bf16" autocasts only where
    oneDNN has native bf16 units (elsewhere bf16 is emulated and slower than fp32, so fp32 runs);
    "int8" stores every Linear layer's weights as int8 and quantises activations per batch
    (torch dynamic quantisation; embeddings, LayerNorm and softmax stay fp32)."""
    if precision not in SCORING_PRECISIONS:
        raise ValueError(f"precision must be one of {SCORING_PRECISIONS}, got {precision!r}")
    if device.type != "cpu":
        dtype = gpu_dtype()
        return model, "fp32" if dtype is None else str(dtype).removeprefix("torch.")
    if precision == "int8":
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8), "int8"
    if precision == "bf16" and cpu_has_bf16():
        return model, "bf16"
    return model, "fp32"


def scoring_autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast for a model prepared by scoring_precision: bf16 on a CPU that has it, else autocast_for."""
    if device.type == "cpu" and precision == "bf16":
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return autocast_for(device)
