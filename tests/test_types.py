"""Type checking: mypy, configured in pyproject.toml ([tool.mypy]) as a ratchet — strict rules on the cleaned
modules, the rest listed as "still to tighten". ``make check`` runs the same command; this test keeps ``make test``
honest where mypy is installed (the dev extra installs it)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _overrides() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["overrides"]


@pytest.mark.slow
def test_mypy_is_clean():
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    if mypy is None:
        pytest.skip("mypy is not installed (make test installs it with the dev extra)")
    result = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ratchet_only_lists_real_modules():
    """A renamed or deleted module must leave the lists too (mypy would silently ignore a stale entry)."""
    package = ROOT / "chiplab"
    names = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
             for p in package.rglob("*.py")}
    listed = [module for override in _overrides() for module in override["module"]
              if module.startswith("chiplab")]
    stale = [m for m in listed if not (m in names or (m.endswith(".*") and any(n.startswith(m[:-1]) for n in names)))]
    assert not stale, f"remove from [tool.mypy] overrides in pyproject.toml: {stale}"
    skipped = next((o["module"] for o in _overrides() if o.get("ignore_errors")), [])   # empty since kernels/
    strict = next(o["module"] for o in _overrides() if o.get("disallow_untyped_defs"))
    assert not set(skipped) & set(strict)
    print(f"mypy ratchet: {len(skipped)} entries still to tighten, {len(strict)} strict")
