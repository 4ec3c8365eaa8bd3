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
