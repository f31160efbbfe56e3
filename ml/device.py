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
