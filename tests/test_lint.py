"""The code stays clean: ruff (configured in pyproject.toml) finds nothing in the library, tests and benchmarks."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (make test installs it with the dev extra)")
    folders = [name for name in ("chiplab", "tests", "benchmarks", "exercises") if (ROOT / name).is_dir()]
    # --no-cache: a stale cache once hid an import-order error that a clean clone reported
    result = subprocess.run([ruff, "check", "--no-cache", *folders], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_book_code_cells_are_clean():
    """The book's pages are MyST Markdown notebooks, which ruff cannot read: their code cells, joined in page order
    into one script per page, are checked under that page's name with a .py suffix (so pyproject.toml's
    ``book/**/*.py`` per-file ignores apply: imports sit in the cell that first needs them)."""
    from conftest_book import book_sources, is_notebook, read_cells

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (make test installs it with the dev extra)")
    problems = []
    for path in (path for path in book_sources() if is_notebook(path)):
        script = "\n\n".join(cell.source.strip("\n") for cell in read_cells(path) if cell.kind == "code") + "\n"
        name = path.relative_to(ROOT).with_suffix(".py").as_posix()
        result = subprocess.run(
            [ruff, "check", "--stdin-filename", name, "-"], cwd=ROOT, input=script, capture_output=True, text=True
        )
        if result.returncode != 0:
            problems.append(f"{path.relative_to(ROOT)} (code cells joined in order):\n{result.stdout}{result.stderr}")
    assert not problems, "\n".join(problems)
