"""The expression parser: what it accepts, what it refuses (and says why), bounded work."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.core.errors import ExpressionError
from gdstudio.core.expr.expression import parse_expression
from gdstudio.core.expr.parse import MAX_LENGTH

# text → (value at x = 1.5, derivative at x = 1.5), computed by hand / with math
ACCEPT = [
    ("x**2 - 4*x + 5", 1.5**2 - 6 + 5, 2 * 1.5 - 4),
    ("x^2 - 4*x + 5", 1.5**2 - 6 + 5, 2 * 1.5 - 4),
    ("−x² + 3", -(1.5**2) + 3, -3.0),
    ("2×x ÷ 4", 0.75, 0.5),
    ("sin(x) + cos(x)", math.sin(1.5) + math.cos(1.5), math.cos(1.5) - math.sin(1.5)),
    ("tan(x)", math.tan(1.5), 1 / math.cos(1.5) ** 2),
    ("exp(-x)", math.exp(-1.5), -math.exp(-1.5)),
    ("log(x)", math.log(1.5), 1 / 1.5),
    ("ln(x)", math.log(1.5), 1 / 1.5),
    ("sqrt(x)", math.sqrt(1.5), 0.5 / math.sqrt(1.5)),
    ("abs(x - 2)", 0.5, -1.0),
    ("tanh(x)", math.tanh(1.5), 1 - math.tanh(1.5) ** 2),
    ("sinh(x) * cosh(x)", math.sinh(1.5) * math.cosh(1.5), math.cosh(3.0)),
    ("pi * x", math.pi * 1.5, math.pi),
    ("e**x", math.exp(1.5), math.exp(1.5)),
    ("x**(1/3)", 1.5 ** (1 / 3), (1 / 3) * 1.5 ** (-2 / 3)),
    ("(x+1)*(x-1)/3", (2.5 * 0.5) / 3, 2 * 1.5 / 3),
    ("+x - -x", 3.0, 2.0),
    ("1e-3 * x**4", 1e-3 * 1.5**4, 4e-3 * 1.5**3),
    ("2**x", 2**1.5, math.log(2) * 2**1.5),
    ("  x  ", 1.5, 1.0),
    ("7", 7.0, 0.0),
]


@pytest.mark.parametrize("text, value, slope", ACCEPT)
def test_accepts_and_differentiates(text, value, slope):
    e = parse_expression(text)
    assert e.evaluate(1.5) == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert e.gradient(1.5)[0] == pytest.approx(slope, rel=1e-12, abs=1e-15)
    # the scalar (math) and array (numpy) back ends agree
    assert e.math_function(1.5) == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert float(e.math_gradient(1.5)) == pytest.approx(slope, rel=1e-12, abs=1e-15)
    xs = np.array([1.5, 1.5])
    np.testing.assert_allclose(e.numpy_gradient(xs), [slope, slope], rtol=1e-12, atol=1e-15)


REFUSE = [
    ("", "empty"),
    ("   ", "empty"),
    ("__import__('os').system('rm -rf /')", "__import__"),
    ("os.system('ls')", "attribute"),
    ("x.real", "attribute"),
    ("(lambda: 1)()", "lambda"),
    ("lambda x: x", "lambda"),
    ("[x for x in range(9)]", "comprehension"),
    ("sum(i for i in range(10))", "not allowed"),
    ("f'{x}'", "strings"),
    ("'abc'", "strings"),
    ("__builtins__", "double underscore"),
    ("x.__class__", "attribute"),
    ("open('/etc/passwd')", "unknown function"),
    ("eval('1')", "unknown function"),
    ("x if x else 1", "not allowed"),
    ("x < 1", "comparison"),
    ("x and 1", "'and'/'or'"),
    ("x[0]", "indexing"),
    ("(x, 1)", "single expression"),
    ("y + 1", "unknown variable"),
    ("foo(x)", "unknown function"),
    ("sin", "is a function"),
    ("sin(x, 2)", "exactly one argument"),
    ("log(x, base=2)", "exactly one argument"),
    ("True * x", "not allowed"),
    ("1j * x", "complex"),
    ("x % 2", "only + - * /"),
    ("x // 2", "only + - * /"),
    ("~x", "unary"),
    ("2x", "2*x"),
    ("x +", "invalid syntax"),
    ("(x + 1", "missing ')'"),
    ("x + 1)", "unmatched ')'"),
    ("x = 1", "invalid syntax"),
    ("1/0", "undefined"),
    ("log(0)", "undefined"),
    ("sqrt(-1) * x", "not real"),
    ("9**9**9**9", "too large"),
    ("x**10**10", "exponent is too large"),
    ("10**10**10 * x", "too large"),
    ("1e999 * x", "too large"),
    ("x \u2603 2", "unexpected character"),
    ("x\x00", "unexpected character"),
]


@pytest.mark.parametrize("text, fragment", REFUSE)
def test_refuses_with_a_message_naming_the_problem(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert fragment.lower() in str(info.value).lower(), str(info.value)


def test_message_names_the_offending_part_and_position():
    with pytest.raises(ExpressionError) as info:
        parse_expression("x**2 + foo(x)")
    assert "'foo'" in str(info.value)
    assert info.value.position == 7


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "x" + ")" * 10_000,
        "-" * 100_000 + "x",
        "x+" * 500_000 + "x",
        "sin(" * 5000 + "x" + ")" * 5000,
        "x" * 1_000_000,
        "((((((((((x**2)**2)**2)**2)**2)**2)**2)**2)**2)**2)",
        "x" + "*x" * 450,
    ],
)
def test_resource_bombs_are_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        parse_expression(text)
    assert time.perf_counter() - start < 2.0


def test_length_limit_is_exact():
    ok = "x" + "+x" * ((MAX_LENGTH - 1) // 2)
    assert len(ok) <= MAX_LENGTH
    with pytest.raises(ExpressionError, match="too large|too long"):
        parse_expression(ok + "+x" * 10)


def test_two_variables():
    e = parse_expression("(1 - x)**2 + 100*(y - x**2)**2", ("x", "y"))
    assert e.evaluate(1.0, 1.0) == 0.0
    gx, gy = e.gradient(-1.0, 2.0)
    # d/dx = -2(1-x) - 400x(y - x²), d/dy = 200(y - x²)
    assert gx == pytest.approx(-2 * 2 - 400 * -1 * (2 - 1))
    assert gy == pytest.approx(200 * (2 - 1))


def test_undefined_points_give_nan_not_exceptions_in_arrays():
    e = parse_expression("log(x) + sqrt(x) + 1/x")
    with np.errstate(all="raise"):
        out = e.numpy_function(np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(out[0]) and not np.isfinite(out[1]) and out[2] == 2.0


def test_torch_function_matches_numpy():
    torch = pytest.importorskip("torch")
    e = parse_expression("sin(3*x) + 0.1*x**2 + abs(x) + exp(-x) + sqrt(x**2 + 1)")
    xs = np.linspace(-3, 3, 41)
    t = e.torch_function()(torch.tensor(xs))
    np.testing.assert_allclose(t.numpy(), e.numpy_function(xs), rtol=1e-14, atol=1e-14)


_chars = st.sampled_from(list("x0123456789.+-*/^() e_abcdgilnopqrstwy,[]{}'\"\\:;=<>!@#%&|~`")
                         + ["**", "sin(", "log(", "__", "lambda ", " if ", "\u2212", "\u00b2",
                            "\u00e9"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_chars, max_size=40).map("".join))
def test_parser_only_ever_raises_its_own_error(text):
    try:
        e = parse_expression(text)
    except ExpressionError:
        return
    # if accepted, it can be evaluated and differentiated without an exception
    e.evaluate(0.7)
    e.gradient(0.7)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parser_survives_arbitrary_unicode(text):
    try:
        parse_expression(text)
    except ExpressionError:
        pass


def test_parsing_and_evaluating_f_does_not_import_sympy():
    # The window shows f(x) before SymPy (about half a second to import) has loaded.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from gdstudio.core import FunctionProblem\n"
        "p = FunctionProblem('x**2 - 4*x + 5')\n"
        "import numpy as np\n"
        "assert p.expression.numpy_function(np.array([7.0]))[0] == 26.0\n"
        "assert 'sympy' not in sys.modules, 'sympy imported too early'\n"
        "assert p.expression.derivative_text == '2*x - 4'\n"
        "assert 'sympy' in sys.modules\n"
        "print('lazy')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "lazy"


def test_undefined_everywhere_found_when_the_symbolic_form_is_built():
    # x/(x - x) is only seen to be 0/0 symbolically: refused when the derivative is asked for
    e = parse_expression("x/(x - x)")
    with pytest.raises(ExpressionError, match="undefined"):
        _ = e.derivative_text


def test_a_derivative_that_cannot_be_compiled_is_an_input_error_not_a_crash():
    # d/dx |sqrt(x)| comes out of SymPy with atan2 (x may be negative): the manual engine says
    # so, with the way out; the torch engine differentiates it by autograd (closed form:
    # for x > 0, f = sqrt(x), f' = 1/(2 sqrt(x))).
    import math

    from gdstudio.core import FunctionProblem, RunConfig, run
    from gdstudio.core.errors import ExpressionError, InputError

    config = RunConfig(problem=FunctionProblem("abs(sqrt(x))"), x0=1.0, lr=0.01, epochs=1)
    with pytest.raises(ExpressionError, match="cannot be evaluated numerically.*torch engine"):
        run(config)
    assert issubclass(ExpressionError, InputError)
    h = run(config.with_(engine="torch"))
    assert h.grad[0, 0] == pytest.approx(1 / (2 * math.sqrt(1.0)), rel=1e-12)
    assert h.params[1, 0] == pytest.approx(1.0 - 0.01 * 0.5, rel=1e-12)


def test_the_known_preset_gradients_are_sympys_own():
    # The presets' gradients are kept without SymPy (a first run needs no SymPy import); they
    # must be exactly what SymPy's derivative prints, or runs would differ in their last bits.
    from gdstudio.core.expr.expression import load_symbolic
    from gdstudio.core.expr.known import KNOWN_GRADIENTS
    from gdstudio.core.problems import FUNCTION_PRESETS, SURFACE_PRESETS

    symbolic = load_symbolic()
    presets = [(p.expr, ("x",)) for p in FUNCTION_PRESETS.values()]
    presets += [(p.expr, ("x", "y")) for p in SURFACE_PRESETS.values()]
    keys = set()
    for text, variables in presets:
        e = parse_expression(text, variables)
        keys.add((e.text, e.variables))
        want = tuple(symbolic.array_bodies(list(e.gradient_sym), e.variables, "math"))
        assert KNOWN_GRADIENTS[(e.text, e.variables)] == want, text
    assert keys == set(KNOWN_GRADIENTS)  # no stale entry


def test_a_preset_runs_without_importing_sympy():
    import subprocess
    import sys

    code = ("import sys\nfrom gdstudio.core import RunConfig, run\n"
            "h = run(RunConfig(lr=0.1, epochs=5))\n"
            "assert abs(h.params[-1, 0] - 3.6384) < 1e-12, h.params[-1]\n"
            "print('sympy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_a_typed_function_still_gets_sympys_derivative():
    e = parse_expression("x**3 + exp(2*x)")
    assert e.gradient_source() == ("((2.0*exp((2.0*x))) + (3.0*(x**2)))",) \
        or "exp" in e.gradient_source()[0]
    assert e.math_gradient(0.5) == pytest.approx(3 * 0.25 + 2 * math.exp(1.0), rel=1e-15)
