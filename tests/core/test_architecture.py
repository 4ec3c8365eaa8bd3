"""The house rules, checked on the source: no module takes another module's private names,
the core imports no Qt (also an import-linter contract in CI), one exec."""

from __future__ import annotations

import ast
from pathlib import Path

import gdstudio

ROOT = Path(gdstudio.__file__).resolve().parent


def _modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        out.append((str(path.relative_to(ROOT.parent)), ast.parse(path.read_text())))
    return out


def test_no_module_imports_another_modules_private_names():
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gdstudio"):
                if any(part.startswith("_") for part in (node.module or "").split(".")):
                    found.append(f"{name}: from {node.module}")
                found += [f"{name}: {alias.name} from {node.module}" for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not found, found


def test_the_only_exec_is_the_generated_code_module():
    sites = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("exec", "eval")):
                sites.append(name)
    assert sites == ["gdstudio/core/expr/compile.py"], sites


def test_the_core_imports_no_qt():
    for name, tree in _modules():
        if not name.startswith("gdstudio/core/"):
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for imported in names:
                assert not imported.startswith(("PySide6", "pyqtgraph", "shiboken6",
                                                 "gdstudio.ui")), f"{name}: {imported}"


def test_text_colours_go_through_the_theme():
    """A text colour set in a style sheet by hand stays what it was on a light window when the
    theme turns dark (red errors, purple statuses at 2:1): they go through
    ``theme.set_text_colour`` / ``theme.readable``, which adapt them."""
    found = []
    for name, tree in _modules():
        if name == "gdstudio/ui/theme.py":
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "setStyleSheet"):
                text = ast.unparse(node.args[0]) if node.args else ""
                if "color:" in text.replace(" ", "") and "background" not in text:
                    found.append(f"{name}:{node.lineno}")
    assert not found, found


def test_one_gradient_norm_safe_from_overflow():
    """|gradient| is worked out in one place (``descent.rules.grad_norms``: scaled, so that
    components of 1e200 give 5e200, not inf); ``np.linalg.norm`` and sqrt(sum(g²)) by hand
    overflow there (the analysis and the lessons had their own)."""
    sites = []
    for name, tree in _modules():
        if name == "gdstudio/core/descent/rules.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "norm" \
                    and isinstance(node.value, ast.Attribute) and node.value.attr == "linalg":
                sites.append(f"{name}:{node.lineno} linalg.norm")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "sqrt" and node.args \
                    and isinstance(node.args[0], ast.Call) \
                    and isinstance(node.args[0].func, ast.Attribute) \
                    and node.args[0].func.attr == "sum":
                sites.append(f"{name}:{node.lineno} sqrt(sum(…))")
    assert not sites, sites
