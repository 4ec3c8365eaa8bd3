"""The derivatives of the shipped presets, known without SymPy.

SymPy takes about half a second to import. A run's first row needs its gradient, so the
window's first run (the source's example) would wait for SymPy; instead the presets' gradients
are kept here exactly as SymPy's derivative prints (:func:`~.symbolic.array_bodies`), and a
test checks every entry against SymPy itself: they are the same source, hence the same
numbers, as a run that asked SymPy. Anything else typed is differentiated by SymPy.
"""

from __future__ import annotations

__all__ = ["KNOWN_GRADIENTS", "known_gradient"]

#: (normalised text, variables) → each gradient component as source of ``_v0``, ``_v1``, …
KNOWN_GRADIENTS: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {
    ('x**2 - 4*x + 5', ('x',)): ('((-4.0) + (2.0*_v0))',),
    ('x**4 - 4*x**2 + x', ('x',)): ('(1.0 + ((-8.0)*_v0) + (4.0*(_v0**3)))',),
    ('sin(3*x) + 0.1*x**2', ('x',)): ('((3.0*cos((3.0*_v0))) + (0.2*_v0))',),
    ('abs(x)', ('x',)): ('sign(_v0)',),
    ('x**4', ('x',)): ('(4.0*(_v0**3))',),
    ('x**2 + 10*y**2', ('x', 'y')): ('(2.0*_v0)', '(20.0*_v1)'),
    ('(1 - x)**2 + 100*(y - x**2)**2', ('x', 'y')): (
        '((-2.0) + (2.0*_v0) + ((-400.0)*_v0*(_v1 + ((-1.0)*(_v0**2)))))',
        '(((-200.0)*(_v0**2)) + (200.0*_v1))',
    ),
    ('(x**2 + y - 11)**2 + (x + y**2 - 7)**2', ('x', 'y')): (
        '((-14.0) + (2.0*_v0) + (2.0*(_v1**2)) + (4.0*_v0*((-11.0) + _v1 + (_v0**2))))',
        '((-22.0) + (2.0*_v1) + (2.0*(_v0**2)) + (4.0*_v1*((-7.0) + _v0 + (_v1**2))))',
    ),
    ('x**2 - y**2', ('x', 'y')): ('(2.0*_v0)', '((-2.0)*_v1)'),
    ('(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2', ('x', 'y')): (
        (
            '((((-2.0) + (2.0*_v1))*(1.5 + ((-1.0)*_v0) + (_v0*_v1))) + (((-2.0) + '
            '(2.0*(_v1**2)))*(2.25 + ((-1.0)*_v0) + (_v0*(_v1**2)))) + (((-2.0) + '
            '(2.0*(_v1**3)))*(2.625 + ((-1.0)*_v0) + (_v0*(_v1**3)))))'
        ),
        (
            '((2.0*_v0*(1.5 + ((-1.0)*_v0) + (_v0*_v1))) + (4.0*_v0*_v1*(2.25 + ((-1.0)*_v0) + '
            '(_v0*(_v1**2)))) + (6.0*_v0*(_v1**2)*(2.625 + ((-1.0)*_v0) + (_v0*(_v1**3)))))'
        ),
    ),
}


def known_gradient(text: str, variables: tuple[str, ...]) -> tuple[str, ...] | None:
    """The known gradient bodies of ``text`` (None: ask SymPy)."""
    return KNOWN_GRADIENTS.get((text, tuple(variables)))
