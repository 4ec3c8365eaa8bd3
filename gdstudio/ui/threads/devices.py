"""The torch devices of this machine, listed without ever stalling the window.

Importing torch takes a second or two, most of it holding the interpreter lock: done in the
window's process it would stall the GUI thread (hundreds of milliseconds at a time), even from
a background thread. So a child process is asked (:func:`probe_devices_in_subprocess`), from a
task whose thread only waits (:mod:`.tasks`), shortly after the window is first shown and never
while a run plays (:class:`DeviceLister`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot

from gdstudio.ui.threads.tasks import Task, TaskContext, start_task

__all__ = ["DeviceLister", "probe_devices_in_subprocess"]

log = logging.getLogger(__name__)

_PROBE_CODE = (
    "import json\n"
    "from gdstudio.core.descent.devices import available_devices\n"
    "print(json.dumps(available_devices()))\n"
)


def probe_devices_in_subprocess(timeout: float = 120.0) -> list[str]:
    """The torch devices of this machine, asked of a separate Python process.

    Importing torch takes a second or two, most of it holding the interpreter lock: done in
    this process it would stall the window's thread (hundreds of milliseconds at a time) even
    from a background thread. A child process costs the window nothing. ``["cpu"]`` if the
    child fails.
    """
    import json
    import os
    import subprocess
    import sys

    import gdstudio

    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(gdstudio.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    try:
        with subprocess.Popen([sys.executable, "-c", _PROBE_CODE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) as child:
            if hasattr(os, "setpriority"):  # behind the window and its run for the CPU
                try:
                    os.setpriority(os.PRIO_PROCESS, child.pid, 10)
                except OSError:
                    pass
            try:
                stdout, stderr = child.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                raise
        lines = stdout.strip().splitlines()
        devices = json.loads(lines[-1]) if child.returncode == 0 and lines else None
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        log.warning("could not list torch devices: %s", err)
        return ["cpu"]
    if not (isinstance(devices, list) and devices and devices[0] == "cpu"
            and all(isinstance(d, str) for d in devices)):
        log.warning("could not list torch devices: %s", (stderr or stdout)[-300:])
        return ["cpu"]
    return devices


class DeviceLister(QObject):
    """Lists the devices once, ``delay_ms`` after :meth:`start_later`, postponed while
    ``busy()`` (a run plays); the list goes to ``deliver`` on the GUI thread."""

    def __init__(self, parent: QObject, deliver: Callable[[list], None],
                 busy: Callable[[], bool]) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._busy = busy
        self._probe: Task | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._probe_now)

    @property
    def pending(self) -> bool:
        """A probe is planned and has not started."""
        return self._timer.isActive()

    @property
    def started(self) -> bool:
        """The probe has started (it runs once)."""
        return self._probe is not None

    def start_later(self, delay_ms: int) -> None:
        """Probe in ``delay_ms`` (unless it has started or is planned already)."""
        if self._probe is None and not self._timer.isActive():
            self._timer.start(max(0, int(delay_ms)))

    def stop(self) -> None:
        """No probe any more; wait for one under way (the window closes)."""
        self._timer.stop()
        if self._probe is not None:
            self._probe.detach()
            self._probe.wait()

    @Slot()
    def _probe_now(self) -> None:
        if self._busy():
            # Importing torch (in the child) still costs this process's CPU a second or so:
            # never while a run plays; try again later.
            self._timer.start(max(self._timer.interval(), 20))
            return
        if self._probe is None:
            self._probe = start_task(_probe, name="gdstudioDeviceProbe", parent=self,
                                     on_success=self._deliver,
                                     on_failure=lambda _err: self._deliver(["cpu"]))


def _probe(_context: TaskContext) -> list[str]:
    return probe_devices_in_subprocess()
