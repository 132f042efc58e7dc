"""The one hardware detection: the class rule on real cards' reported memory, the driver's answer
read through a stand-in nvidia-smi, CUDA_VISIBLE_DEVICES, and no torch import on the light path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from retouch.executors import hardware
from retouch.executors.hardware import Device, detect_device, device_from_driver, hardware_class


@pytest.mark.parametrize(
    ("memory_gb", "expected"),
    [
        (None, "cpu"),
        (6.0, "gpu-8gb"),  # a GPU below the smallest class still plans as the smallest
        (7.8, "gpu-8gb"),  # an 8 GB card as torch reports it
        (10.0, "gpu-8gb"),  # a 10 GB card is not a 12 GB one
        (11.0, "gpu-8gb"),  # nor is an 11 GB card
        (11.8, "gpu-12gb"),  # a 12 GB card as torch reports it
        (14.75, "gpu-16gb"),  # a T4 with ECC on (its default)
        (15.0, "gpu-16gb"),  # a T4 with ECC off
        (20.0, "gpu-16gb"),
        (22.5, "gpu-24gb"),  # an L4 / A10
        (24.0, "gpu-24gb"),  # an RTX 4090
        (45.0, "gpu-48gb"),  # an L40S
        (79.1, "gpu-80gb"),  # an H100 80GB as torch reports it
        (139.8, "gpu-80gb"),  # an H200: the largest class there is
    ],
)
def test_hardware_class_by_reported_memory(memory_gb: float | None, expected: str) -> None:
    assert hardware_class(memory_gb) == expected


def _fake_smi(tmp_path: Path, body: str) -> Path:
    """A stand-in nvidia-smi that records its arguments and prints BODY."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "args"}\nprintf "{body}"\n')
    smi.chmod(0o755)
    return bin_dir


def test_driver_reports_the_visible_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(_fake_smi(tmp_path, "NVIDIA L4, 23034\\n")))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    device = device_from_driver()
    assert device == Device(
        kind="cuda", name="NVIDIA L4", memory_gb=22.5, source="driver", hardware="gpu-24gb"
    )
    assert "--id=2" in (tmp_path / "args").read_text().split()


@pytest.mark.parametrize("visible", ["", "-1"])
def test_hidden_gpus_are_the_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, visible: str
) -> None:
    monkeypatch.setenv("PATH", str(_fake_smi(tmp_path, "NVIDIA L4, 23034\\n")))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert device_from_driver().hardware == "cpu"
    assert not (tmp_path / "args").exists()  # the driver was not even asked


@pytest.mark.parametrize("body", ["", "garbage\\n", "NVIDIA X, [N/A]\\n"])
def test_unreadable_driver_answer_is_the_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    monkeypatch.setenv("PATH", str(_fake_smi(tmp_path, body)))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert device_from_driver() == Device(kind="cpu", source="none", hardware="cpu")


def test_no_driver_is_the_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(hardware, "_apple_mps", lambda: False)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert detect_device() == Device(kind="cpu", source="none", hardware="cpu")


def test_detection_without_torch_imports_no_torch(tmp_path: Path) -> None:
    """Asking the light way (no probe, torch not loaded) never loads torch or the MCP SDK."""
    env = {**os.environ, "PATH": str(_fake_smi(tmp_path, "NVIDIA H100, 81559\\n"))}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    code = (
        "import sys\n"
        "from retouch.executors.hardware import detect_hardware\n"
        "print(detect_hardware(), 'torch' in sys.modules, 'mcp' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["gpu-80gb", "False", "False"]


def test_torch_view_once_torch_is_loaded() -> None:
    """With torch imported, torch's answer is the one used (here: no CUDA on this machine)."""
    torch = pytest.importorskip("torch")
    device = detect_device()
    assert device.source == "torch"
    assert (device.kind == "cuda") == torch.cuda.is_available()
