"""The theory of the problem set up, worked out off the GUI thread (SymPy's solve and simplify
never run there) and delivered to the window's model.

:class:`AnalysisService` keeps the theory of the problems seen (a new learning rate, start or
optimizer asks for nothing new), runs one analysis at a time as a :class:`~.tasks.Task`, and
when the problem changes faster than it can be analysed (typing an expression), analyses only
the newest when the one under way ends. Until the window is shown it holds its requests
(:meth:`AnalysisService.hold`), so that SymPy's import does not compete with the first paint.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject

from gdstudio.core import RunConfig
from gdstudio.core.theory import Theory, theory_key, theory_of
from gdstudio.ui.threads.tasks import Task, TaskContext

__all__ = ["AnalysisService"]

#: Theories kept (the problems a person goes back and forth between).
CACHE_SIZE = 16


class AnalysisService(QObject):
    """Delivers ``Theory`` objects to ``deliver`` (on the GUI thread) for requested configs."""

    def __init__(self, parent: QObject, deliver: Callable[[Theory], None]) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._cache: OrderedDict[tuple[object, ...], Theory] = OrderedDict()
        self._task: Task | None = None
        self._asked: RunConfig | None = None  # the newest request
        self._held = False

    @property
    def busy(self) -> bool:
        """An analysis is under way (or waiting for the window to be shown)."""
        return self._task is not None or (self._held and self._asked is not None)

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        self._next()

    def known(self, config: RunConfig) -> Theory | None:
        """The theory of ``config`` if it has been worked out already."""
        return self._cache.get(theory_key(config))

    def request(self, config: RunConfig) -> Theory | None:
        """The theory of ``config``: delivered at once (and returned) when known, else later."""
        self._asked = config
        known = self._cache.get(theory_key(config))
        if known is not None:
            self._asked = None
            self._cache.move_to_end(known.key)
            self._deliver(known)
            return known
        self._next()
        return None

    def stop(self) -> None:
        """No more deliveries (the window closes); an analysis under way is joined: its work
        is bounded (each SymPy step by its deadline, the path walk by its step and time caps),
        so no thread outlives the window."""
        self._asked = None
        if self._task is not None:
            self._task.detach()
            self._task.cancel()
            self._task.wait()

    def _next(self) -> None:
        config = self._asked
        if config is None or self._held or self._task is not None:
            return
        if theory_key(config) in self._cache:
            self.request(config)
            return

        def work(_context: TaskContext) -> Theory:
            return theory_of(config)

        task = Task(work, name="gdstudioAnalysis", parent=self)
        task.succeeded.connect(self._on_done)
        task.failed.connect(lambda err: self._on_done(
            Theory(config.problem, None, error=f"{type(err).__name__}: {err}",
                   key=theory_key(config))))
        task.finished.connect(self._on_finished)
        self._task = task.start()

    def _on_done(self, theory: Theory) -> None:
        self._cache[theory.key] = theory
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        asked = self._asked
        if asked is not None and theory_key(asked) == theory.key:
            self._asked = None
            self._deliver(theory)

    def _on_finished(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.deleteLater()
        self._next()  # a newer request came meanwhile
