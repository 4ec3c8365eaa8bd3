"""Garbage cycles are collected on the GUI thread, never in the run's worker thread."""

from __future__ import annotations

import gc
import threading
import weakref


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_with_a_window_cycles_are_collected_by_the_gui_threads_timer(window, qtbot):
    assert not gc.isenabled()  # no thread collects on its own
    collected_in: list[str] = []
    gc.callbacks.append(lambda phase, info: phase == "stop" and collected_in.append(
        threading.current_thread().name))
    try:
        node = _Node()
        ref = weakref.ref(node)
        del node
        for _ in range(3 * gc.get_threshold()[0]):  # cycles past the youngest threshold
            _Node()
        assert ref() is not None  # nothing collected it on the spot
        qtbot.waitUntil(lambda: ref() is None, timeout=5000)
    finally:
        gc.callbacks.pop()
    assert collected_in and set(collected_in) == {threading.main_thread().name}


def test_a_worker_thread_allocating_cycles_never_collects(window, qtbot):
    # What deadlocked once: a run's thread allocating while cycles holding Qt objects wait.
    seen: list[str] = []
    gc.callbacks.append(lambda phase, info: phase == "start" and seen.append(
        threading.current_thread().name))
    try:
        def churn() -> None:
            for _ in range(20_000):
                _Node()

        t = threading.Thread(target=churn, name="churn")
        t.start()
        t.join()
    finally:
        gc.callbacks.pop()
    assert "churn" not in seen


def test_once_started_up_what_lives_is_frozen_once(tmp_path):
    # In a fresh process (this one's windows settled long ago): after SymPy's import, the
    # window's start-up freezes what lives (the next young collection on the GUI thread walked
    # SymPy's ~80 000 objects: 15-45 ms, bench row e); later calls freeze nothing more.
    import subprocess
    import sys

    code = (
        "import gc\n"
        "from gdstudio.ui.threads import collector\n"
        "import sympy\n"
        "assert gc.get_freeze_count() == 0\n"
        "collector.settle()\n"
        "first = gc.get_freeze_count()\n"
        "assert first > 10_000, first\n"
        "later = [[i] for i in range(1000)]\n"
        "collector.settle()\n"
        "assert gc.get_freeze_count() == first, (first, gc.get_freeze_count())\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_the_window_settles_once_sympy_is_imported(window, qtbot):
    from gdstudio.ui.threads import collector

    assert collector.is_settled()  # (SymPy was imported before this window was shown)
