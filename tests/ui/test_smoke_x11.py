"""Smoke test: ``python -m gdstudio`` in a real X server (Xvfb), as a person would launch it.

Starts Xvfb itself (it must be on PATH: the test FAILS, it does not skip, if it is missing),
waits for the window, takes a screenshot and checks it shows something (many colours), then
presses Ctrl+Q and checks the exit code is 0 and stderr carries no Qt thread warnings.
xdotool and ImageMagick's ``import`` are used when present; otherwise the screenshot comes
from Qt (QScreen.grabWindow on the X server) and the app is closed with SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

TITLE = "Gradient Descent Studio"
INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install xvfb xdotool imagemagick)"

QT_GRAB = textwrap.dedent(
    """
    import sys
    from PySide6.QtGui import QGuiApplication
    app = QGuiApplication([])
    ok = app.primaryScreen().grabWindow(0).save(sys.argv[1], "PNG")
    sys.exit(0 if ok else 1)
    """
)


@pytest.fixture
def xvfb(tmp_path):
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail(f"Xvfb is not on PATH: this smoke test needs a real X server; {INSTALL_HINT}")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp",
         "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # written once the server accepts connections
        if not number:
            proc.kill()
            err = proc.communicate(timeout=10)[1].decode(errors="replace")
            pytest.fail(f"Xvfb did not start: {err.strip()[-500:]}")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)  # also closes the stderr pipe
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.communicate()


def _env(display: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the test session's offscreen platform is not for the app
    env.pop("WAYLAND_DISPLAY", None)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_RUNTIME_DIR=str(runtime))
    return env


def _screenshot(env: dict[str, str], path: Path) -> None:
    if shutil.which("import"):
        cmd = ["import", "-window", "root", str(path)]
    else:
        cmd = [sys.executable, "-c", QT_GRAB, str(path)]
    subprocess.run(cmd, env=env, check=True, timeout=60, capture_output=True)


def _colours(path: Path) -> tuple[int, float]:
    """Distinct colours, and the fraction of pixels that are not black."""
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    assert not image.isNull(), f"cannot read {path}"
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), dtype=np.uint32,
                           count=image.bytesPerLine() * height // 4).reshape(height, -1)[:, :width]
    rgb = pixels & 0x00FFFFFF
    return int(np.unique(rgb).size), float(np.mean(rgb != 0))


@pytest.mark.xvfb
def test_gdstudio_opens_a_real_window_and_quits_cleanly(xvfb, tmp_path, qtbot):
    env = _env(xvfb, tmp_path)
    app = subprocess.Popen([sys.executable, "-m", "gdstudio"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        xdotool = shutil.which("xdotool")
        window_id = None
        if xdotool:
            found = subprocess.run(
                [xdotool, "search", "--sync", "--onlyvisible", "--name", TITLE],
                env=env, capture_output=True, text=True, timeout=60,
            )
            assert found.returncode == 0, f"no window titled {TITLE!r}: {found.stderr}"
            window_id = found.stdout.split()[0]

        shot = tmp_path / "screen.png"
        seen: list[tuple[int, float]] = []

        def painted() -> bool:
            assert app.poll() is None, f"gdstudio exited early: {app.communicate()[1][-2000:]}"
            _screenshot(env, shot)
            seen.append(_colours(shot))
            colours, lit = seen[-1]
            return colours >= 500 and lit > 0.5

        qtbot.waitUntil(painted, timeout=60_000)
        colours, lit = seen[-1]
        assert colours >= 500 and lit > 0.5, seen[-3:]

        if window_id is not None:
            subprocess.run([xdotool, "windowfocus", "--sync", window_id], env=env,
                           check=True, timeout=30)
            subprocess.run([xdotool, "key", "--clearmodifiers", "ctrl+q"], env=env,
                           check=True, timeout=30)
        else:
            app.send_signal(signal.SIGTERM)
        out, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err[-2000:]
    for bad in ("QThread", "Traceback", "Fatal", "Destroyed while"):
        assert bad not in err, err[-2000:]
