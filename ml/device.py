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
    """Mixed-precision autocast on a GPU; a no-op on CPU, where fp32 is both exact and fastest."""
    dtype = gpu_dtype()
    if device.type == "cuda" and dtype is not None:
        return torch.autocast(device_type="cuda", dtype=dtype)
    return contextlib.nullcontext()
