"""core/ and dialogs/ stay pure: no I/O, clock, environment or randomness (STYLE.md habit 1).
import-linter keeps third-party I/O libraries out; this keeps the standard library's out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_MODULES = {
    "os",
    "sys",
    "io",
    "time",
    "random",
    "socket",
    "subprocess",
    "asyncio",
    "threading",
    "logging",
    "pathlib",
    "shutil",
    "tempfile",
    "urllib",
    "http",
    "sqlite3",
    "secrets",
    "uuid",
    "importlib",
}
FORBIDDEN_CALLS = {"open", "print", "input", "now", "today", "utcnow", "getenv"}


def _sources() -> list[Path]:
    return sorted([*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("dialogs").rglob("*.py")])


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_packages_do_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path}: imports {name}"
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            assert called not in FORBIDDEN_CALLS, f"{path}:{node.lineno}: calls {called}()"
