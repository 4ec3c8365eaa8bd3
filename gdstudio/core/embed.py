"""The app's own code, copied into an exported script: one description of each rule.

An exported script (:mod:`gdstudio.core.codegen`) must compute what the app computes: the stop
rules (:mod:`.descent.rules`), the optimizers' arithmetic (:func:`.descent.optimizers.
numpy_update` and its fused multiply-add), the regression's loss from the data's sums and the
number format of the rows. Rather than a second copy written by hand (which would drift when
the app's rule changes), :func:`embedded_code` copies the source text of the named functions,
classes and constants, and of everything at module level they use, from the modules that
define them, in their order there. Names imported from outside gdstudio become imports; names
given in ``stubs`` become the stub's text (a class the code only names in an ``isinstance``).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import textwrap
from collections.abc import Iterable, Mapping
from types import ModuleType

__all__ = ["embedded_code", "class_members_code"]

_BUILTINS = frozenset(dir(builtins))


def _strip_annotations(node: ast.AST) -> ast.AST:
    """A copy of ``node`` without annotations (names used only there are not dependencies)."""
    node = ast.parse(ast.unparse(node)).body[0] if isinstance(node, ast.stmt) else node
    for n in ast.walk(node):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n.returns = None
        elif isinstance(n, ast.arg):
            n.annotation = None
        elif isinstance(n, ast.AnnAssign):
            n.annotation = ast.Constant(None)
    return node


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(_strip_annotations(node)) if isinstance(n, ast.Name)}


def _defined(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def _segment(lines: list[str], stmt: ast.stmt) -> str:
    first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
    end = stmt.end_lineno or stmt.lineno
    # A comment block right above the statement (``#: …``) belongs to it.
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    return "\n".join(lines[first - 1 : end])


class _Module:
    def __init__(self, module: ModuleType) -> None:
        self.name = module.__name__
        source = inspect.getsource(module)
        self.lines = source.splitlines()
        tree = ast.parse(source)
        self.order: list[ast.stmt] = []
        self.defs: dict[str, ast.stmt] = {}
        self.imports: dict[str, tuple[str, str | None]] = {}  # name → (module, attribute)
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
                for a in stmt.names:
                    self.imports[a.asname or a.name] = (stmt.module, a.name)
            elif isinstance(stmt, ast.Import):
                for a in stmt.names:
                    self.imports[a.asname or a.name.split(".")[0]] = (a.name, None)
            for name in _defined(stmt):
                self.defs[name] = stmt
                self.order.append(stmt)


def _import_line(name: str, module: str, attribute: str | None) -> str:
    if attribute is None:
        return f"import {module}" if module == name else f"import {module} as {name}"
    return (f"from {module} import {attribute}" if attribute == name
            else f"from {module} import {attribute} as {name}")


def embedded_code(
    roots: Mapping[str, Iterable[str]], stubs: Mapping[str, str] | None = None
) -> tuple[list[str], str]:
    """(import lines, code) defining ``roots`` (module name → names in it) and their
    dependencies, copied from gdstudio's source; see the module's docstring."""
    stubs = dict(stubs or {})
    modules: dict[str, _Module] = {}
    wanted: dict[str, set[int]] = {}  # module → ids of statements to copy
    imports: set[str] = set()
    used_stubs: list[str] = []
    seen: set[tuple[str, str]] = set()
    first_seen: list[str] = []  # modules in the order they are needed (dependencies later)
    todo = [(m, n) for m, names in roots.items() for n in names]
    while todo:
        mod_name, name = todo.pop()
        if (mod_name, name) in seen:
            continue
        seen.add((mod_name, name))
        if mod_name not in modules:
            modules[mod_name] = _Module(importlib.import_module(mod_name))
            first_seen.append(mod_name)
        mod = modules[mod_name]
        if name in stubs:
            if name not in used_stubs:
                used_stubs.append(name)
            continue
        if name in mod.defs:
            stmt = mod.defs[name]
            wanted.setdefault(mod_name, set()).add(id(stmt))
            todo += [(mod_name, n) for n in _used_names(stmt)]
        elif name in mod.imports:
            source, attribute = mod.imports[name]
            if source.startswith("gdstudio") and attribute is not None:
                if attribute != name:  # pragma: no cover - the app's code imports plainly
                    raise ValueError(f"cannot copy {name} (imported as another name)")
                todo.append((source, attribute))
            elif source != "__future__":
                imports.add(_import_line(name, source, attribute))
        elif name not in _BUILTINS:
            pass  # a local name (an argument, a variable): not module level
    parts = [textwrap.dedent(stubs[s]).strip() for s in used_stubs]
    # A module's dependencies come from modules needed after it: copy those first.
    for mod_name in reversed(first_seen):
        mod = modules[mod_name]
        ids = wanted.get(mod_name, set())
        done: set[int] = set()
        for stmt in mod.order:
            if id(stmt) in ids and id(stmt) not in done:
                done.add(id(stmt))
                parts.append(_segment(mod.lines, stmt))
    return sorted(imports), "\n\n\n".join(parts)


def class_members_code(cls: type, roots: Iterable[str]) -> tuple[str, set[str]]:
    """The source of ``cls``'s members named ``roots`` and of the members they call through
    ``self``, indented as a class body; and the module-level names they use."""
    source = textwrap.dedent(inspect.getsource(cls))
    lines = source.splitlines()
    tree = ast.parse(source).body[0]
    assert isinstance(tree, ast.ClassDef)
    members = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef,))}
    keep: set[str] = set()
    outer: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in keep or name not in members:
            continue
        keep.add(name)
        node = members[name]
        for n in ast.walk(node):
            if (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id == "self"):
                todo.append(n.attr)
        outer |= _used_names(node)
    text = [
        _segment(lines, s) for s in tree.body
        if isinstance(s, ast.FunctionDef) and s.name in keep
    ]
    return "\n\n".join(text), outer
