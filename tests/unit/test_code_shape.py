"""The code stays in pieces one can hold in mind: modules ≤ 400 lines, functions ≤ 50.

(Cyclomatic complexity ≤ 10 is ruff's C901, configured in pyproject.toml.)
"""

from __future__ import annotations

import ast

from marketplace.config import PROJECT_ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
SOURCES = sorted((PROJECT_ROOT / "marketplace").rglob("*.py"))


def _too_big(path) -> list[str]:
    text = path.read_text()
    name = str(path.relative_to(PROJECT_ROOT))
    found = []
    if text.count("\n") > MAX_MODULE_LINES:
        found.append(f"{name}: {text.count(chr(10))} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}: {node.name}() {length} lines")
    return found


def test_no_module_or_function_grows_too_big():
    assert [problem for path in SOURCES for problem in _too_big(path)] == []
