"""The manual engine's optimizers are ``torch.optim``'s arithmetic, bit for bit (issue 13).

Each run is compared with ``torch.optim``'s own class stepping a tensor of the same dtype, fed
the same gradient at every step (the problem's analytic gradient, which is not what is under
test here), and with ``np.array_equal``: not a tolerance.

One operation cannot be matched: torch's CPU ``sqrt`` is MKL's vector square root (``vsSqrt``,
``vdSqrt`` in its "high accuracy" mode), which is within one unit in the last place of the
correctly rounded root but not always it (about 1 float32 root in 6, 1 float64 root in 80, on
this project's machines), by an algorithm that depends on the CPU. The manual engine's root is
IEEE's, correctly rounded. So the bit-for-bit comparisons run torch.optim with an IEEE root
(``ieee_sqrt``: every other operation is torch's own); a separate test bounds the difference
from torch's unchanged root.
"""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.descent.fused import fma
from gdstudio.core.descent.optimizers import OPTIMIZERS

torch = pytest.importorskip("torch")

EPOCHS = 50
QUAD = FunctionProblem("x**2 - 4*x + 5")
ROSENBROCK = FunctionProblem.preset("rosenbrock")
SYN = RegressionProblem.synthetic()

#: (problem, start, learning rate per optimizer family)
PROBLEMS = {
    "quadratic": (QUAD, 7.0, {"plain": 0.1, "adaptive": 0.3}),
    "rosenbrock": (ROSENBROCK, None, {"plain": 1e-4, "adaptive": 0.01}),
    "regression": (SYN, None, {"plain": 1e-4, "adaptive": 0.5}),
}


@pytest.fixture
def ieee_sqrt(monkeypatch):
    """torch's ``Tensor.sqrt`` on CPU float tensors correctly rounded (NumPy's, IEEE 754)."""
    real = torch.Tensor.sqrt

    def sqrt(self):
        if self.device.type == "cpu" and self.dtype in (torch.float32, torch.float64):
            return torch.from_numpy(np.asarray(np.sqrt(self.detach().numpy())))
        return real(self)

    monkeypatch.setattr(torch.Tensor, "sqrt", sqrt)


def _torch_optimizer(name: str, p, lr: float, hyper: dict):
    """torch.optim's class for ``name``, with the hyper-parameters spelled out."""
    optim = torch.optim
    if name == "sgd":
        return optim.SGD([p], lr=lr)
    if name in ("momentum", "nesterov"):
        return optim.SGD([p], lr=lr, momentum=hyper["momentum"], nesterov=name == "nesterov")
    if name == "adam":
        return optim.Adam([p], lr=lr, betas=(hyper["beta1"], hyper["beta2"]), eps=1e-8)
    if name == "rmsprop":
        return optim.RMSprop([p], lr=lr, alpha=hyper["alpha"], eps=1e-8)
    assert name == "adagrad"
    return optim.Adagrad([p], lr=lr, eps=1e-10)


def _torch_trajectory(config: RunConfig, hyper: dict) -> np.ndarray:
    """The parameters after each of ``config.epochs`` steps of torch.optim, fed the problem's
    analytic gradient (in the run's dtype) at each point."""
    dt = np.float64 if config.dtype == "float64" else np.float32
    tdt = torch.float64 if config.dtype == "float64" else torch.float32
    p = torch.tensor(config.start_params(), dtype=tdt)
    opt = _torch_optimizer(config.optimizer, p, config.lr, hyper)
    rows = []
    for _ in range(config.epochs):
        _, g = config.problem.loss_and_grad(p.detach().numpy().astype(dt)[None, :])
        p.grad = torch.from_numpy(np.asarray(g, dtype=dt).reshape(p.shape).copy())
        opt.step()
        rows.append(p.detach().numpy().astype(np.float64).copy())
    return np.array(rows)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem_name", list(PROBLEMS))
@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS if o != "gd"])
@pytest.mark.parametrize(
    "hyper",
    [
        {"momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "alpha": 0.99},
        # lerp's other branch (weight 1 − β₁ ≥ ½) and other rounding of 1 − β
        {"momentum": 0.3, "beta1": 0.3, "beta2": 0.9, "alpha": 0.7},
    ],
    ids=["defaults", "others"],
)
def test_manual_optimizer_is_torch_optim_bit_for_bit(optimizer, problem_name, dtype, hyper,
                                                     ieee_sqrt):
    problem, x0, rates = PROBLEMS[problem_name]
    lr = rates["plain" if optimizer in ("sgd", "momentum", "nesterov") else "adaptive"]
    config = RunConfig(problem=problem, lr=lr, epochs=EPOCHS, optimizer=optimizer, dtype=dtype,
                       **({"x0": x0} if x0 is not None else {}), **hyper)
    h = run(config)
    # (a run may reach f' = 0 exactly, and stop there: "converged")
    assert h.epochs_run == EPOCHS or h.status == "converged", h.status
    want = _torch_trajectory(config.with_(epochs=h.epochs_run), hyper)
    got = h.params[1:]
    bad = np.nonzero(~np.all(got == want, axis=1))[0]
    assert bad.size == 0, (f"first differing step {bad[0] + 1}", got[bad[0]], want[bad[0]])


@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_manual_engine_equals_torch_engine_on_the_quadratic(optimizer, dtype, ieee_sqrt):
    # On x² − 4x + 5 autograd's gradient is 2x − 4 rounded once, as the analytic one: the two
    # engines' whole histories are then equal (gd is the source's p − lr·g in both)
    config = RunConfig(problem=QUAD, x0=7.0, lr=0.05, epochs=EPOCHS, optimizer=optimizer,
                       dtype=dtype)
    m, t = run(config), run(config.with_(engine="torch"))
    assert np.array_equal(m.params, t.params)
    assert np.array_equal(m.grad, t.grad)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "adagrad"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_first_step_within_an_ulp_of_torchs_own_sqrt(optimizer, dtype):
    # with torch's root unchanged: the first step (the same root up to MKL's last bit) lands
    # within one unit in the last place of torch's (it was 67 float32 units off for Adam, 8 for
    # RMSprop, when 1 − β was rounded to float32 before the subtraction)
    dt = np.float64 if dtype == "float64" else np.float32
    for x0 in np.linspace(-30.0, 30.0, 41):
        config = RunConfig(problem=QUAD, x0=float(x0), lr=0.3, epochs=1, optimizer=optimizer,
                           dtype=dtype)
        got = dt(run(config).params[1, 0])
        want = dt(_torch_trajectory(config, {"beta1": 0.9, "beta2": 0.999, "alpha": 0.99})[0, 0])
        # (one unit of the larger of the start and the result: a step may land near 0)
        assert abs(got - want) <= np.spacing(max(abs(dt(x0)), abs(want))), (x0, got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_rounds_once(dtype):
    # against exact rational arithmetic, rounded once: the cases a double rounding gets wrong
    from fractions import Fraction

    rng = np.random.default_rng(5)
    n = 4000
    a = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(dtype)
    b = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(dtype)
    c = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(dtype)
    c[:500] = -(a[:500] * b[:500])  # cancellation
    # a·b = half a unit of c's last place less 2⁻¹⁰⁴ (float64: 2⁻¹⁵⁷) with c's last bit odd: a
    # double rounding lands on the midpoint, then rounds it to even (up); once rounded, it is c
    bits = 24 if dtype == np.float32 else 53
    odd = rng.integers(2 ** (bits - 2), 2 ** (bits - 1), 500, dtype=np.int64) * 2 + 1
    sign = rng.choice([-1.0, 1.0], 500)
    c[500:1000] = (sign * np.ldexp(odd.astype(np.float64), 1 - bits)).astype(dtype)
    a[500:1000] = (sign * np.ldexp(1 + np.ldexp(1.0, 1 - bits), -bits)).astype(dtype)
    b[500:1000] = dtype(1 - np.ldexp(1.0, 1 - bits))
    got = fma(a, b, c, dtype)
    assert got.dtype == dtype

    def exact(x, y, z):
        return Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))

    want = np.array([_round(exact(x, y, z), dtype) for x, y, z in zip(a, b, c, strict=True)],
                    dtype=dtype)
    assert np.array_equal(got, want)
    plain = (a.astype(np.float64) * b + c).astype(dtype) if dtype == np.float32 else a * b + c
    assert not np.array_equal(plain, want)  # the cases do tell a double rounding apart


def _round(q, dtype) -> float:
    """The rational ``q`` rounded to nearest, ties to even, in ``dtype`` (normal range)."""
    from fractions import Fraction

    if q == 0:
        return 0.0
    bits = 24 if dtype == np.float32 else 53
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    while Fraction(2) ** e > q:
        e -= 1
    while Fraction(2) ** (e + 1) <= q:
        e += 1
    scaled = q / Fraction(2) ** (e - bits + 1)  # in [2^(bits-1), 2^bits)
    whole = scaled.numerator // scaled.denominator
    rest = scaled - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2):
        whole += 1
    return sign * float(Fraction(whole) * Fraction(2) ** (e - bits + 1))
