"""The layering rule of the architecture: models import no matplotlib or ipywidgets; figures import no
ipywidgets. Checked in a fresh interpreter, since any earlier import would hide a violation."""

import pkgutil
import subprocess
import sys

import pytest

import chiplab


def _modules(package: str) -> list[str]:
    module = __import__(package, fromlist=["_"])
    found = [package]
    if hasattr(module, "__path__"):
        found += [info.name for info in pkgutil.walk_packages(module.__path__, prefix=package + ".")]
    return found


MODEL_MODULES = [
    name for name in _modules("chiplab")
    if not name.startswith(("chiplab.viz", "chiplab.explore")) and name != "chiplab.__main__"
]
VIZ_MODULES = _modules("chiplab.viz")


def _imported_by(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_models_do_not_import_plotting_or_widgets(module):
    assert not _imported_by(module) & {"matplotlib", "ipywidgets"}, module


@pytest.mark.parametrize("module", VIZ_MODULES)
def test_figures_do_not_import_widgets(module):
    assert "ipywidgets" not in _imported_by(module), module


def test_the_package_is_found():
    assert chiplab.__version__
    assert "chiplab.systolic.engines" in MODEL_MODULES
