"""The layout holds: parts import only the parts below them, no module grows past 400 lines,
and each package says what it holds (docs/ARCHITECTURE.md).

The import contracts live in pyproject.toml (`[tool.importlinter]`) and run here, so the README's
test command checks them; a planted upward import shows the check can fail.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "ledger"
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
MAX_LINES = 400


def lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_every_part_imports_only_the_parts_below_it_and_the_domain_does_no_io() -> None:
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_domain_module_that_imports_the_api_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "ledger")
    planted = tmp_path / "ledger" / "domain" / "errors.py"
    planted.write_text(planted.read_text() + "\nimport ledger.api.app  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "ledger.domain.errors -> ledger.api.app" in result.stdout


def test_no_module_is_longer_than_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_says_what_it_holds_and_what_it_may_import() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "import" in docstring.lower(), f"{init.relative_to(PACKAGE)}: {docstring!r}"
