"""Where the torch engine computes: the devices this machine has, and checking one by name.

torch is imported only when asked (it takes seconds); the window asks in a child process.
"""

from __future__ import annotations

from typing import Any

from gdstudio.core.errors import DeviceError


def available_devices() -> list[str]:
    """Devices the torch engine can use here; ``cpu`` always, then CUDA devices and MPS."""
    out = ["cpu"]
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return out
    try:
        if torch.cuda.is_available():
            count = torch.cuda.device_count()
            # one GPU: "cuda"; several: each by index ("cuda" would repeat "cuda:0")
            out += ["cuda"] if count == 1 else [f"cuda:{i}" for i in range(count)]
    except Exception:  # noqa: BLE001 - a broken driver must not break the app
        pass
    try:
        if torch.backends.mps.is_available():
            out.append("mps")
    except Exception:  # noqa: BLE001
        pass
    return out


def check_device(name: str) -> Any:
    """The ``torch.device`` for ``name``, or :class:`DeviceError` with a clear reason."""
    import torch

    text = str(name).strip().lower()
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        index = 0
        if text.startswith("cuda:"):
            try:
                index = int(text[5:])
            except ValueError:
                raise DeviceError(f"bad device {name!r}: write cuda or cuda:N") from None
        if not torch.cuda.is_available():
            built = ("a CPU-only build" if torch.version.cuda is None
                     else f"CUDA {torch.version.cuda}")
            raise DeviceError(
                f"device {name!r} is not available: this machine has no usable CUDA GPU "
                f"(torch {torch.__version__}, {built})"
            )
        count = torch.cuda.device_count()
        if not 0 <= index < count:
            raise DeviceError(f"device {name!r} is not available: there are {count} CUDA device(s)")
        return torch.device("cuda", index)
    if text == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceError(
                "device 'mps' is not available: it needs Apple silicon with macOS 12.3+"
            )
        return torch.device("mps")
    raise DeviceError(f"unknown device {name!r}; use cpu, cuda, cuda:N or mps")
