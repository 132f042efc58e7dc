"""The one hardware detection: which planner hardware class (``planner.registry.HARDWARE``) fits
this machine. The CLI (``retouch edit``/``batch``/``plan``) and the MCP server (``plan_edit``,
``list_models``) all ask here, so a plan and a run agree on what the machine is.

How the device is found, lightest first:

1. torch, only when it is already imported (or ``probe=True``): it sees ``CUDA_VISIBLE_DEVICES``
   and Apple's MPS;
2. the NVIDIA driver (``nvidia-smi``, no torch import), honouring ``CUDA_VISIBLE_DEVICES``;
3. the platform: an Apple-silicon Mac with torch installed runs on MPS (torch not imported);
4. none: the CPU.

The rule (``hardware_class``): the largest class whose memory the device has at least
``FIT`` (0.92) of. Cards are sold by their nominal size and report a little less (an L4 or A10:
22.5 GiB, a T4 with ECC: 14.75 GiB, an 80 GB H100: 79.1 GiB), while the
next size down is at most 11/12 = 0.917 of a class (an 11 GB card is not a 12 GB one). A GPU
smaller than the smallest class plans as ``gpu-8gb`` (it still runs the offloaded families);
Apple's MPS (unified memory) plans as ``gpu-16gb``.

Imports only the planner's registry; never torch at import time, never the server.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import platform
import subprocess
import sys
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.catalog.registry import HARDWARE
from retouch.planner.contract.schema import Hardware

FIT = 0.92  # a device fits a class when it has at least this share of the class's memory
MPS_CLASS: Hardware = "gpu-16gb"


class Device(BaseModel):
    """What diffusion would run on, and the hardware class plans are made for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["cuda", "mps", "cpu"] = Field(description="Where diffusion would run.")
    name: str | None = Field(default=None, description="GPU name, if any.")
    memory_gb: float | None = Field(default=None, description="GPU memory, GiB, if known.")
    source: Literal["torch", "driver", "platform", "none"] = Field(
        description="How this was found out."
    )
    hardware: Hardware = Field(description="The planner's hardware class that fits this device.")


def hardware_class(memory_gb: float | None) -> Hardware:
    """The largest GPU class (by memory, GiB) this device holds at least ``FIT`` of; ``gpu-8gb``
    for a smaller GPU; ``cpu`` when there is no GPU (``None``)."""
    if memory_gb is None:
        return "cpu"
    fits = [
        (spec.vram_gb, name)
        for name, spec in HARDWARE.items()
        if name != "cpu" and memory_gb >= spec.vram_gb * FIT
    ]
    return max(fits)[1] if fits else "gpu-8gb"


def _visible_gpu() -> str | None:
    """The first GPU ``CUDA_VISIBLE_DEVICES`` names ("0" when unset); None when it hides all."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is None:
        return "0"
    first = env.split(",")[0].strip()
    return None if first in ("", "-1") else first


def device_from_driver() -> Device:
    """The GPU as the NVIDIA driver reports it (``nvidia-smi``), without loading torch; the CPU
    when there is no driver, no visible GPU or an answer it cannot read."""
    cpu = Device(kind="cpu", source="none", hardware="cpu")
    gpu = _visible_gpu()
    if gpu is None:
        return cpu
    query = ["nvidia-smi", f"--id={gpu}", "--query-gpu=name,memory.total"]
    try:
        out = subprocess.run(
            [*query, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        name, mib = (part.strip() for part in out.stdout.strip().splitlines()[0].split(","))
        gb = round(float(mib) / 1024, 1)
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return cpu
    return Device(
        kind="cuda", name=name, memory_gb=gb, source="driver", hardware=hardware_class(gb)
    )


def device_from_torch() -> Device:
    """The device as torch sees it (imports torch): CUDA device 0, else MPS, else the CPU."""
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        gb = props.total_memory / 2**30
        return Device(
            kind="cuda",
            name=props.name,
            memory_gb=round(gb, 1),
            source="torch",
            hardware=hardware_class(gb),
        )
    if torch.backends.mps.is_available():
        return Device(kind="mps", name="Apple MPS", source="torch", hardware=MPS_CLASS)
    return Device(kind="cpu", source="torch", hardware="cpu")


def _apple_mps() -> bool:
    """An Apple-silicon Mac with torch installed (MPS), told without importing torch."""
    return (
        sys.platform == "darwin"
        and platform.machine() == "arm64"
        and importlib.util.find_spec("torch") is not None
    )


def detect_device(*, probe: bool = False) -> Device:
    """This machine's device: torch's view when torch is already imported or ``probe`` asks for
    it, else the driver's or the platform's (no torch import)."""
    if probe or "torch" in sys.modules:
        return device_from_torch()
    if _apple_mps():
        return Device(kind="mps", name="Apple MPS", source="platform", hardware=MPS_CLASS)
    return device_from_driver()


@functools.cache
def detect_hardware() -> Hardware:
    """The hardware class plans are made for when the caller names none (asked once per process;
    see the module docstring for the rule)."""
    return detect_device().hardware
