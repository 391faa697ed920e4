"""The layering rule of the architecture: model code never imports matplotlib or ipywidgets."""

import subprocess
import sys

import pytest

MODEL_PACKAGES = ["chiplab", "chiplab.systolic", "chiplab.hardware", "chiplab.workloads", "chiplab.cli"]


@pytest.mark.parametrize("module", MODEL_PACKAGES)
def test_models_do_not_import_plotting_or_widgets(module):
    code = (
        f"import sys, {module}; bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"importing {module} pulled in {out}"
