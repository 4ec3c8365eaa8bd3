"""Lessons (Qt-free): the format, every error with its line, inheritance, scoring, progress,
and the shipped lessons, whose every number is recomputed by the core."""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path

import pytest

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core import lessons as L
from gdstudio.core.lessons.build import step_config
from gdstudio.core.lessons.parse import STEP_FIELDS
from gdstudio.core.lessons.scoring import momentum_factor
from gdstudio.core.lessons.text import number_tokens, rounds_to

REPO = Path(__file__).resolve().parents[2]

BASE = """\
+++
title = "A test lesson"
+++
An intro.

+++
title = "Start"
problem = "function"
expr = "x**2 - 4*x + 5"
x0 = 7
lr = 0.1
epochs = 3

[predict]
kind = "number"
ask = "x after 3 updates?"
quantity = "x"
epoch = 3
tolerance = 1e-9

[[check]]
quantity = "x"
epoch = 3
shown = "4.56"
+++
Some *text* with `code` and **bold**.

## After the run

x₃ = 4.56.

+++
title = "Faster"
lr = 0.7
epochs = 50

[predict]
kind = "choice"
ask = "What does it do?"
+++
Now r = 0.7.
"""


def parse(text: str, name: str = "t.md") -> L.Lesson:
    return L.parse_lesson(textwrap.dedent(text), source=name)


def error_of(text: str) -> L.LessonError:
    with pytest.raises(L.LessonError) as info:
        parse(text)
    return info.value


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[nth - 1]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def test_a_lesson_parses_into_frozen_dataclasses():
    lesson = parse(BASE)
    assert lesson.title == "A test lesson" and lesson.name == "a-test-lesson"
    assert lesson.intro == "An intro." and len(lesson.steps) == 2
    first, second = lesson.steps
    assert first.index == 0 and first.title == "Start" and first.line == line_of(BASE, "+++", 3)
    assert first.text.startswith("Some *text*") and first.after == "x₃ = 4.56."
    assert first.setup.expr == "x**2 - 4*x + 5" and first.setup.x0 == 7.0
    assert first.setup.lr == 0.1 and first.setup.epochs == 3 and first.setup.engine is None
    assert first.setup.line_of("lr") == line_of(BASE, "lr = 0.1")
    p = first.prediction
    assert p.kind == "number" and p.quantity.name == "x" and p.quantity.epoch == 3
    assert p.tolerance == 1e-9 and p.line == line_of(BASE, "[predict]")
    (check,) = first.checks
    assert check.shown == "4.56" and check.value == 4.56
    assert check.line == line_of(BASE, "[[check]]")
    assert second.prediction.kind == "choice" and second.prediction.options == L.BEHAVIOURS
    assert second.prediction.target.name == "behaviour"
    with pytest.raises(AttributeError):
        first.title = "x"  # type: ignore[misc]
    assert len(lesson.fingerprint) == 16


def test_the_name_comes_from_the_header_or_the_file():
    named = BASE.replace('title = "A test lesson"', 'title = "T"\nname = "my-one"')
    assert parse(named).name == "my-one"
    assert L.parse_lesson(BASE, source="x.md", name="from-file").name == "from-file"
    err = error_of(BASE.replace('title = "A test lesson"', 'title = "T"\nname = "Bad Name"'))
    assert err.line == 3 and "lower-case" in err.reason


def test_texts_are_a_safe_markdown_subset():
    text = "A <b>tag</b> & *it* **bold** `a<b`\n\n- one\n- two\n\n1. first\n\n```\nx = 1 < 2\n```"
    html = L.to_html(text)
    assert "&lt;b&gt;tag&lt;/b&gt; &amp; <i>it</i> <b>bold</b> <code>a&lt;b</code>" in html
    assert "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>" in html
    assert "<pre>x = 1 &lt; 2</pre>" in html
    kinds = [b.kind for b in L.blocks(text)]
    assert kinds == ["paragraph", "bullet", "bullet", "numbered", "code"]
    assert L.plain_text(text).splitlines()[0] == "A <b>tag</b> & it bold a<b"
    # line breaks inside a paragraph are kept (formulas line up as typed)
    assert L.plain_text("x₁ = 6\nx₂ = 5.2") == "x₁ = 6\nx₂ = 5.2"
    # in HTML (the window's panel, as wide as the person makes it) a paragraph's line break
    # is a space, as in Markdown: prose wrapped in the file flows; formulas are code blocks
    assert L.to_html("The slope tells\nthe direction.") == "<p>The slope tells the direction.</p>"
    formula = L.to_html("Two updates:\n\n    x₁ = 6\n    x₂ = 5.2\n\nthen more.")
    assert formula == ('<p>Two updates:</p><p style="margin-left: 1.5em;">x₁ = 6<br>x₂ = 5.2</p>'
                       "<p>then more.</p>")
    assert [b.kind for b in L.blocks("a\n\n    x = 1\n\nb")] == ["paragraph", "formula",
                                                                 "paragraph"]
    assert L.plain_text("a\n\n    x₁ = 6\n    x₂ = 5.2") == "a\n\nx₁ = 6\nx₂ = 5.2"
    assert "5.2" in number_tokens("    x₂ = 5.2")  # a formula's numbers are checked


@pytest.mark.parametrize("text, value", [("4.56", 4.56), ("−3", -3.0), ("1e-6", 1e-6),
                                         ("10⁻⁶", 1e-6), ("2.5×10⁻³", 2.5e-3), ("100,000", 1e5),
                                         (" 7 ", 7.0)])
def test_numbers_as_people_write_them(text, value):
    assert L.read_number(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "nan", "inf", "1e999", "4,5"])
def test_not_numbers(text):
    with pytest.raises(ValueError):
        L.read_number(text)


def test_rounding_to_what_is_shown():
    assert rounds_to(4.5600000000000005, "4.56") and rounds_to(2.6630977, "2.66")
    assert not rounds_to(2.667, "2.66") and rounds_to(1963.9919, "1963.99")
    assert rounds_to(0.0010183341, "0.001018") and not rounds_to(0.0010186, "0.001018")
    assert rounds_to(1.04e-6, "1e-6") and rounds_to(-5410.1212, "−5410.12")


def test_number_tokens_skip_code_and_words():
    text = "x₁ = 6, then 5.2 and `x = 99` f2 10⁻⁶\n```\n7.5\n```"
    assert number_tokens(text) == ["6", "5.2", "10⁻⁶"]


# --------------------------------------------------------------------------------------------
# Errors: each with its line
# --------------------------------------------------------------------------------------------

ERRORS = [
    # (change to BASE, the line's needle in the changed text, words of the reason)
    (("lr = 0.1", "lrate = 0.1"), "lrate", ["unknown field 'lrate'", "did you mean 'lr'",
                                            "allowed: title, problem, expr"]),
    (('title = "A test lesson"', 'title = "A"\nauthor = "me"'), "author",
     ["unknown field 'author'", "allowed: title, name, summary, format"]),
    (("tolerance = 1e-9", "tolerance = 1e-9\ntol = 2"), "tol = 2", ["unknown field 'tol'",
                                                                   "in [predict]"]),
    (('shown = "4.56"', 'shown = "4.56"\nshow = 1'), "show = 1", ["unknown field 'show'",
                                                                  "in [[check]]"]),
    (("lr = 0.1", "lr = -1"), "lr = -1", ["lr must be > 0, got -1"]),
    (("lr = 0.1", 'lr = "fast"'), "lr = ", ["lr must be a number, got 'fast'"]),
    (("epochs = 3", "epochs = 500000"), "epochs = 500000", ["epochs must be from 0 to 100,000"]),
    (("epochs = 3", "epochs = 2.5"), "epochs = 2.5", ["epochs must be a whole number"]),
    (("lr = 0.1", 'lr = 0.1\nengine = "gpu"'), "engine", ["engine must be one of manual, torch"]),
    (("x0 = 7", "x0 = [1, 2, 3]"), "x0 =", ["x0 must be a number", "got 3 numbers"]),
    (("x0 = 7", "x0 = [1, 2]"), "x0 =", ["the start needs 1 value (x), got 2"]),
    (("lr = 0.1", 'lr = 0.1\npanels = ["curve", "radar"]'), "panels", ["panels must be one of"]),
    (("lr = 0.1", 'lr = 0.1\nscale_x = true'), "scale_x", ["scale_x applies to regression"]),
    (('expr = "x**2 - 4*x + 5"', 'expr = "x**2 +* 4"'), "expr =", ["expr does not parse"]),
    (('expr = "x**2 - 4*x + 5"', 'expr = "__import__(1)"'), "expr =", ["expr does not parse"]),
    (('expr = "x**2 - 4*x + 5"', 'expr = "x*y"'), "expr =", ["expr does not parse",
                                                            'problem = "surface"']),
    (('kind = "choice"', 'kind = "guess"'), 'kind = "guess"',
     ["unknown prediction kind 'guess' (allowed: choice, number)"]),
    (('quantity = "x"\nepoch = 3\ntolerance', 'quantity = "xx"\nepoch = 3\ntolerance'),
     'quantity = "xx"', ["unknown quantity 'xx'", "allowed: x, y, m, c"]),
    (('quantity = "x"\nepoch = 3\ntolerance', 'quantity = "m"\nepoch = 3\ntolerance'),
     'quantity = "m"', ["quantity 'm' does not apply to a function problem"]),
    (('quantity = "x"\nepoch = 3\ntolerance', 'quantity = "status"\ntolerance'),
     'quantity = "status"', ["a number prediction needs a number"]),
    (('shown = "4.56"', 'shown = "9.99"'), 'shown = "9.99"',
     ["check shows '9.99', which is not in"]),
    (("epoch = 3\nshown", "epoch = 30\nshown"), "epoch = 30", ["epoch 30 is beyond the run's 3"]),
    (("epoch = 3\nshown", "lane = 2\nepoch = 3\nshown"), "lane = 2", ["lane 2 does not exist"]),
    (("lr = 0.7", "lr = 0.7\nrace = [{ lr = 0.1 }, { rate = 2 }]"), "race",
     ["unknown field 'rate' in a lane of race"]),
    (("x0 = 7", "x0 = 7 7"), "x0 = 7 7", ["not valid TOML"]),
    (("Now r = 0.7.", "## A heading\nNow r = 0.7."), "## A heading", ["headings are not allowed"]),
    (("## After the run", "## After the run\n\n## After the run"), "## After the run",
     ["may appear once"]),
    (('title = "Faster"\n', ""), "+++", ["a step needs a title"]),
    (('problem = "function"', 'problem = "function"\ndata = "no-such-data"'), "data =",
     ["regression"]),
]


@pytest.mark.parametrize("change, needle, words", ERRORS, ids=[e[1] for e in ERRORS])
def test_every_error_names_its_line(change, needle, words):
    text = BASE.replace(*change)
    assert text != BASE
    err = error_of(text)
    nth = 2 if needle == "## After the run" else (4 if needle == "+++" else 1)
    if needle == "+++":  # the second step's opening +++ (its title was removed)
        nth = 5
    assert err.line == line_of(text, needle, nth), (str(err), text)
    for w in words:
        assert w in err.reason, err.reason
    assert str(err) == f"t.md:{err.line}: {err.reason}" and "\n" not in str(err)


def test_unknown_step_field_lists_all_allowed():
    err = error_of(BASE.replace("lr = 0.1", "lrate = 0.1"))
    assert err.reason.endswith("allowed: " + ", ".join(STEP_FIELDS) + ")")


def test_errors_of_the_file_as_a_whole():
    assert error_of("title = 'x'\n").line == 1 and "starts with its header" in error_of("x").reason
    err = error_of('+++\ntitle = "T"\n+++\ntext\n')
    assert "no steps" in err.reason and err.line == 1
    err = error_of('+++\ntitle = "T"\n+++\n\n+++\ntitle = "s"\n')
    assert "never closed" in err.reason and err.line == 5
    assert "needs a title" in error_of('+++\nname = "t"\n+++\n').reason
    err = error_of(BASE.replace("Now r = 0.7.", "Now\x00"))
    assert "NUL" in err.reason and err.line == line_of(BASE, "Now r = 0.7.")


def test_a_multi_line_race_names_the_lane_at_fault():
    text = BASE.replace("lr = 0.7", "lr = 0.7\nrace = [\n  { lr = 0.1 },\n"
                                    "  { lr = 0.3, optimizer = \"fast\" },\n]")
    err = error_of(text)
    assert err.line == line_of(text, "{ lr = 0.3") and "optimizer must be one of" in err.reason


def test_verify_is_bounded():
    from gdstudio.core.lessons import checks

    checks_text = "".join(f'\n[[check]]\nquantity = "epochs_run"\n'
                          f'with = {{ epochs = {90_000 + i} }}\nvalue = {90_000 + i}\n'
                          for i in range(60))
    text = BASE.replace("[[check]]", checks_text.lstrip("\n") + "\n[[check]]", 1)
    report = L.verify(parse(text))
    assert not report.ok and f"{checks.MAX_VERIFY_EPOCHS:,} epochs" in str(report.problems[0])


def test_regression_fields_and_races_in_inline_and_table_form():
    text = BASE.replace('lr = 0.7\nepochs = 50', textwrap.dedent("""\
        problem = "regression"
        seed = 3
        epochs = 20

        [[race]]
        lr = 1e-4

        [[race]]
        lr = 2e-4
        optimizer = "momentum"
        momentum = 0.5
        """))
    lesson = parse(text)
    race = lesson.steps[1].setup.race
    assert [lane.lr for lane in race] == [1e-4, 2e-4] and race[1].optimizer == "momentum"
    assert race[1].line == line_of(text, "[[race]]", 2)
    bad = text.replace("momentum = 0.5", "momentum = 1.5")
    err = error_of(bad)
    assert err.line == line_of(bad, "momentum = 1.5") and "momentum must be" in err.reason


# --------------------------------------------------------------------------------------------
# Inheritance: a step sets only what it changes
# --------------------------------------------------------------------------------------------


def test_steps_inherit_what_they_do_not_set():
    lesson = parse(BASE)
    first, second = L.lesson_configs(lesson)
    assert isinstance(first.problem, FunctionProblem) and first.problem.text == "x**2 - 4*x + 5"
    assert float(first.start_params()[0]) == 7.0 and first.lr == 0.1 and first.epochs == 3
    assert second.problem is first.problem  # the same problem object: its theory is reused
    assert float(second.start_params()[0]) == 7.0 and second.lr == 0.7 and second.epochs == 50
    assert second.engine == "manual" and second.device == "cpu"


def test_the_first_step_starts_from_the_windows_defaults():
    config = step_config(L.Setup(lr=0.3))
    assert config.problem.text == "x**2 - 4*x + 5" and float(config.start_params()[0]) == 7.0
    assert config.lr == 0.3 and config.epochs == 50
    assert L.default_config().lr == 0.1


def test_changing_the_problem_kind_resets_start_and_rate():
    before = RunConfig(problem=FunctionProblem(), x0=3.0, lr=0.7, epochs=80, tol=1e-9)
    reg = step_config(L.Setup(problem="regression", seed=1), before)
    assert isinstance(reg.problem, RegressionProblem) and reg.problem.synthetic_spec.seed == 1
    assert reg.lr == 1e-4 and tuple(reg.start_params()) == (0.0, 0.0)
    assert reg.epochs == 80 and reg.tol == 1e-9  # the run's other settings carry on
    same = step_config(L.Setup(lr=2e-4), reg)
    assert same.problem is reg.problem and same.lr == 2e-4
    reseeded = step_config(L.Setup(seed=5), step_config(L.Setup(synthetic=50, noise=2.0), reg))
    assert (reseeded.problem.synthetic_spec.n, reseeded.problem.synthetic_spec.noise) == (50, 2.0)
    surface = step_config(L.Setup(expr="x**2 + 25*y**2"), reg)  # f(x, y) from its text
    assert surface.problem.dim == 2 and surface.lr == 0.1
    back = step_config(L.Setup(problem="function"), surface)
    assert back.problem.text == "x**2 - 4*x + 5" and float(back.start_params()[0]) == 7.0
    scaled = step_config(L.Setup(scale_x=True), reg)
    assert scaled.scale_x and not step_config(L.Setup(problem="function"), scaled).scale_x


def test_epochs_of_a_window_config_are_capped():
    big = RunConfig(problem=FunctionProblem(), epochs=5_000_000)
    assert step_config(L.Setup(), big).epochs == L.MAX_LESSON_EPOCHS


def test_race_and_panels_in_the_plan():
    text = BASE.replace(
        "lr = 0.7", 'lr = 0.7\nrace = [{ lr = 0.1 }, { lr = 0.3, optimizer = "momentum" }]')
    text = text.replace("lr = 0.1\nepochs = 3", 'lr = 0.1\nepochs = 3\npanels = ["curve", "loss"]')
    text += '\n+++\ntitle = "Third"\n+++\nNo race here.\n'
    plans = L.plan(parse(text))
    assert plans[0].race is None and plans[0].panels == ("curve", "loss")
    race = plans[1].race
    assert [lane.lr for lane in race.lanes] == [0.1, 0.3]
    assert [lane.optimizer.name for lane in race.lanes] == ["gd", "momentum"]
    assert [c.lr for c in plans[1].lane_configs] == [0.1, 0.3]
    assert plans[1].lane_configs[1].optimizer == "momentum" and plans[1].panels == ("curve", "loss")
    assert plans[2].race is None and plans[2].config.lr == 0.7  # the race is not inherited


# --------------------------------------------------------------------------------------------
# Outcomes and scoring
# --------------------------------------------------------------------------------------------


def quadratic(lr: float, epochs: int = 100) -> L.Outcome:
    return L.outcome_of(RunConfig(problem=FunctionProblem(), x0=7.0, lr=lr, epochs=epochs))


@pytest.mark.parametrize("lr, behaviour, status", [
    (0.01, "converges", "max_epochs"), (0.1, "converges", "max_epochs"),
    (0.3, "converges", "converged"), (0.7, "oscillates", "converged"),
    (1.0, "cycles", "cycling"), (1.1, "diverges", "diverged")])
def test_the_outcome_of_the_sources_rates(lr, behaviour, status):
    o = quadratic(lr)
    assert (o.behaviour, o.status) == (behaviour, status)
    assert o.target == (2.0,) and o.target_loss == 1.0 and o.critical_lr == 1.0
    assert o.value("critical_lr") == 1.0 and o.value("lambda_max") == 2.0
    assert o.value("factor") == pytest.approx(1 - 2 * lr)


def test_outcome_values():
    o = quadratic(0.1)
    assert [o.value("x", epoch=t) for t in range(4)] == pytest.approx([7, 6, 5.2, 4.56], abs=1e-12)
    assert o.value("grad", epoch=0) == 10.0 and o.value("loss", epoch=0) == 26.0
    assert o.value("epoch_within") == 70 and o.value("epoch_within", distance=1e-3) == 39
    assert o.value("distance", epoch=1) == 4.0 and o.value("epochs_run") == 100
    assert o.value("status") == "max_epochs" and o.value("regime") == "monotone"
    with pytest.raises(L.Unanswerable, match="never got within"):
        quadratic(0.01).value("epoch_within")
    with pytest.raises(L.Unanswerable, match="stopped at epoch 41"):
        quadratic(0.3).value("x", epoch=60)
    with pytest.raises(L.Unanswerable, match="not a parameter"):
        o.value("m")
    assert L.behaviour_of(quadratic(0.7, epochs=2).history, (2.0,)) == "oscillates"


def test_outcome_of_a_regression_and_a_surface():
    r = L.outcome_of(RunConfig(problem=RegressionProblem.synthetic(), lr=1e-4, epochs=10))
    assert r.target == pytest.approx((2.479084002630228, 9.940320161406078))
    assert r.value("critical_lr") == pytest.approx(0.0010183341163060508)
    assert r.value("grad_m", epoch=0) == pytest.approx(-5410.121262890007)
    s = L.outcome_of(RunConfig(problem=FunctionProblem("x**2 + 25*y**2", variables=("x", "y")),
                               x0=(-4.0, 1.5), lr=0.035, epochs=300))
    assert s.curvatures == pytest.approx((2.0, 50.0)) and s.behaviour == "oscillates"
    assert s.value("epoch_within") == 210 and s.value("condition_number") == pytest.approx(25)
    saddle = L.outcome_of(RunConfig(problem=FunctionProblem("x**2 - y**2", variables=("x", "y")),
                                    x0=(2.0, 0.01), lr=0.1, epochs=100))
    assert saddle.behaviour == "diverges" and saddle.target is None
    with pytest.raises(L.Unanswerable, match="no minimum"):
        saddle.value("epoch_within")


def test_outcome_refuses_more_than_a_lessons_epochs():
    with pytest.raises(L.LessonError.__mro__[1]):  # an InputError (ConfigError)
        L.outcome_of(RunConfig(problem=FunctionProblem(), epochs=L.MAX_LESSON_EPOCHS + 1))


def choice(lane=None) -> L.Prediction:
    return L.Prediction("choice", "What?", L.Quantity("behaviour", lane=lane))


def number(name, *, epoch=None, tolerance=None, relative=None, distance=None) -> L.Prediction:
    return L.Prediction("number", "How much?", L.Quantity(name, epoch=epoch, distance=distance),
                        tolerance=tolerance, relative=relative)


def test_scoring_a_choice_right_and_wrong():
    o = quadratic(0.7)
    right = L.score(choice(), "oscillates", o)
    assert right.right and right.truth == "oscillates"
    assert right.text == ("Right: it oscillates, since r·f″ = 0.7·2 = 1.4 > 1, so each step "
                          "overshoots x* = 2, but |1 − r·f″| = 0.4 < 1, so it still converges.")
    wrong = L.score(choice(), "diverges", o)
    assert not wrong.right and wrong.text.startswith("Not this time: it oscillates (you said it "
                                                     "diverges), since r·f″ = 0.7·2 = 1.4 > 1")
    assert "for ever" in L.score(choice(), "cycles", quadratic(1.0)).text
    assert "by more than it corrects" in L.score(choice(), "diverges", quadratic(1.1)).text
    assert "never overshoots" in L.score(choice(), "converges", quadratic(0.1)).text
    for text in (right.text, wrong.text):  # one sentence
        assert text.count(". ") == 0 and text.endswith(".")


def test_scoring_a_number_right_and_wrong():
    o = quadratic(0.1)
    p = number("x", epoch=3, tolerance=1e-9)
    v = L.score(p, 4.56, o)
    assert v.right and v.text.startswith("Right: x after 3 epochs is 4.56")
    assert v.truth == pytest.approx(4.56)
    v = L.score(p, 5, o)
    assert not v.right and v.text.startswith("Off by 0.44: x after 3 epochs is 4.56, you said 5;")
    assert "1 − r·f″" not in v.text and "r·f″ = 0.1·2 = 0.2 < 1" in v.text
    assert L.score(p, "4.56", o).right  # typed text is read as a number
    assert not L.score(p, "four", o).right
    # defaults: integers exact, other numbers to 1e-6 relative
    epochs = number("epoch_within", distance=1e-6)
    assert L.score(epochs, 70, o).right and not L.score(epochs, 71, o).right
    assert L.score(number("x", epoch=3), 4.56 * (1 + 5e-7), o).right
    assert not L.score(number("x", epoch=3), 4.56 * (1 + 5e-6), o).right
    assert L.score(number("x", epoch=3, relative=0.01), 4.6, o).right
    assert L.score(number("epoch_within", tolerance=3), 73, o).right
    crit = L.score(number("critical_lr"), 1, o)
    assert crit.right
    assert crit.text == "Right: the critical learning rate 2/f″(x*) is 1; 2/f″ = 2/2."
    never = L.score(number("epoch_within"), 700, quadratic(0.01))
    assert not never.right and "never got within" in never.text


def test_scoring_momentum_explains_by_its_own_limit():
    o = L.outcome_of(RunConfig(problem=FunctionProblem("x**2 + 25*y**2", variables=("x", "y")),
                               x0=(-4.0, 1.5), lr=0.05, epochs=300, optimizer="momentum",
                               momentum=0.5))
    v = L.score(choice(), "oscillates", o)
    assert v.right and "2·(1 + μ)/λmax = 0.06, above r = 0.05" in v.text
    assert momentum_factor(0.05, 50.0, 0.5) == pytest.approx(math.sqrt(0.5))


def test_parse_answer():
    assert L.parse_answer(choice(), " Oscillates ") == "oscillates"
    assert L.parse_answer(number("x"), "−3") == -3.0
    with pytest.raises(L.LessonError.__mro__[1], match="choose one of"):
        L.parse_answer(choice(), "explodes")
    with pytest.raises(L.LessonError.__mro__[1], match="not a number"):
        L.parse_answer(number("x"), "seven")


# --------------------------------------------------------------------------------------------
# Checks and progress
# --------------------------------------------------------------------------------------------


def test_verify_recomputes_every_check():
    report = L.verify(parse(BASE))
    assert report.ok and [r.ok for r in report.checks] == [True]
    bad = BASE.replace('shown = "4.56"', 'shown = "4.57"').replace("x₃ = 4.56.", "x₃ = 4.57.")
    report = L.verify(parse(bad))
    assert not report.ok and report.checks[0].value == pytest.approx(4.56)
    (problem,) = report.problems
    assert problem.line == line_of(bad, "[[check]]")
    assert "the text says 4.57, the core gives 4.5600000000000005" in problem.reason
    never = BASE.replace('quantity = "x"\nepoch = 3\ntolerance = 1e-9',
                         'quantity = "epoch_within"\ntolerance = 1')
    report = L.verify(parse(never))
    assert [p.line for p in report.problems] == [line_of(never, "[predict]")]
    assert "the prediction has no answer" in report.problems[0].reason


def test_progress_round_trips_through_json():
    lesson = parse(BASE)
    progress = L.Progress.start(lesson)
    o = quadratic(0.1, epochs=3)
    p = lesson.steps[0].prediction
    progress = progress.answered(0, 5.0, L.score(p, 5.0, o)).answered(0, 4.56, L.score(p, 4.56, o))
    verdict = L.score(choice(), "oscillates", quadratic(0.7))
    progress = progress.at(1).answered(1, "oscillates", verdict)
    data = progress.to_dict()
    again = L.Progress.from_dict(json.loads(json.dumps(data)))
    assert again == progress and again.fits(lesson)
    assert again.step == 1 and again.right_steps == {0, 1}
    assert again.last_attempt(0).answer == 4.56 and again.last_attempt(0).right
    assert [a.right for a in again.attempts] == [False, True, True]
    other = parse(BASE.replace("An intro.", "Another intro."))
    assert not again.fits(other)  # another version of the lesson


@pytest.mark.parametrize("bad", [
    None, [], {"step": 0}, {"lesson": "x", "step": -1}, {"lesson": "x", "step": True},
    {"lesson": "x", "attempts": [{"step": 0, "answer": None, "right": True}]},
    {"lesson": "x", "attempts": [{"step": 0, "answer": 1, "right": "yes"}]},
    {"lesson": "x", "attempts": [{"step": 0, "answer": math.inf, "right": True}]},
    {"lesson": "x", "version": 99},
])
def test_progress_refuses_what_it_did_not_write(bad):
    with pytest.raises(L.LessonError.__mro__[1]):
        L.Progress.from_dict(bad)


# --------------------------------------------------------------------------------------------
# The shipped lessons
# --------------------------------------------------------------------------------------------

SHIPPED = ["first-example", "learning-rates", "regression", "autograd", "momentum"]


def test_the_shipped_lessons_are_listed_in_order():
    assert L.shipped_names() == SHIPPED
    for name in SHIPPED:
        found = L.shipped_path(name)  # the checkout's file, or the installed package's copy
        assert found is not None and found.name == f"{name}.md"
        assert found.read_bytes() == (REPO / "resources" / "lessons" / f"{name}.md").read_bytes()
    assert L.shipped_path("../pyproject") is None and L.shipped_path("nope") is None


@pytest.fixture(scope="module")
def shipped():
    return {name: L.load_lesson(name) for name in SHIPPED}


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_lesson_parses_builds_and_runs(shipped, name):
    lesson = shipped[name]
    assert lesson.name == name and lesson.source == name and lesson.title and lesson.summary
    plans = L.plan(lesson)
    assert len(plans) == len(lesson.steps) >= 2
    for p in plans:
        assert isinstance(p.config, RunConfig) and p.config.epochs <= L.MAX_LESSON_EPOCHS
        for config in (p.config, *p.lane_configs, L.prediction_config(p)):
            o = L.outcome_of(config)
            assert o.history.epochs_run <= config.epochs
        assert L.to_html(p.step.text) and p.step.title
    assert any(s.prediction is not None for s in lesson.steps)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_number_in_the_shipped_texts_is_the_cores(shipped, name):
    report = L.verify(shipped[name])
    assert report.ok, [str(p) for p in report.problems]
    assert report.checks and all(r.ok for r in report.checks)
    # and no number in a text escapes the checks: none can drift silently
    assert L.unchecked_numbers(shipped[name]) == []


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_prediction_scores(shipped, name):
    for p in L.plan(shipped[name]):
        pred = p.step.prediction
        if pred is None:
            continue
        o = L.outcome_of(L.prediction_config(p))
        q = pred.quantity
        truth = o.value(q.name, epoch=q.epoch, distance=q.distance)
        v = L.score(pred, truth, o)
        assert v.right and v.text.startswith("Right: "), v.text
        wrong = ("diverges" if truth != "diverges" else "converges") if pred.kind == "choice" \
            else float(truth) * 3 + 100
        assert not L.score(pred, wrong, o).right


def test_the_sources_errors_are_not_copied(shipped):
    for lesson in shipped.values():
        for step in lesson.steps:
            assert step.setup.expr is None or "5*x" not in step.setup.expr
            for text in (step.text, step.after):
                assert "(Y - m*X + c)**2" not in text or "sign" in text or "adds c" in text
    reg = shipped["regression"].steps[0]
    assert "(Y - (m*X + c))**2" in reg.text and "(y − (m·x + c))²" in reg.text
    assert shipped["first-example"].steps[0].setup.expr == "x**2 - 4*x + 5"


def test_the_source_facts_the_lessons_teach(shipped):
    """The facts of the brief, computed by the core (not read from the lessons)."""
    f = FunctionProblem("x**2 - 4*x + 5")
    xs = L.outcome_of(RunConfig(problem=f, x0=7.0, lr=0.1, epochs=3)).history.params[:, 0]
    assert xs == pytest.approx([7, 6, 5.2, 4.56], abs=1e-12)
    assert quadratic(1.0).history.params[:4, 0].tolist() == [7.0, -3.0, 7.0, -3.0]
    data = RegressionProblem.synthetic()
    assert L.outcome_of(RunConfig(problem=data, lr=1e-4, epochs=1000)).behaviour == "converges"
    assert L.outcome_of(RunConfig(problem=data, lr=1e-2, epochs=100)).status == "diverged"
    torch_run = L.plan(shipped["autograd"])[1].config
    assert torch_run.engine == "torch"


def test_lessons_ship_with_the_package():
    text = (REPO / "pyproject.toml").read_text()
    assert '"gdstudio.core.lessons"' in text and '"lessons/*.md"' in text
    assert '"lessons/order.txt"' in text
    order = (REPO / "resources" / "lessons" / "order.txt").read_text().split()
    assert order == SHIPPED


def test_an_installed_package_finds_its_lessons(tmp_path, monkeypatch):
    """Away from a checkout the lessons come from gdstudio.resources (resource_dir)."""
    import shutil

    from gdstudio.core.lessons import resources as resources_module
    from gdstudio.core.lessons import shipped as shipped_module

    (tmp_path / "lessons").mkdir()
    shutil.copy(REPO / "resources" / "lessons" / "momentum.md", tmp_path / "lessons")
    monkeypatch.setattr("gdstudio.resource_files.resource_dir", lambda: tmp_path)
    away = str(tmp_path / "a" / "b" / "c" / "d" / "x.py")  # (no checkout above it)
    monkeypatch.setattr(resources_module, "__file__", away)
    assert shipped_module.shipped_names() == ["momentum"]
    assert L.load_lesson("momentum").name == "momentum"


def test_docs_example_is_a_valid_lesson(tmp_path):
    """docs/lessons.md's complete example parses and checks."""
    doc = (REPO / "docs" / "lessons.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- example -->\n````markdown\n(.*?)\n````", doc, re.S)
    assert m, "docs/lessons.md has a complete example between <!-- example --> fences"
    lesson = L.parse_lesson(m.group(1), source="example.md")
    assert L.verify(lesson).ok and L.unchecked_numbers(lesson) == []
