"""Fast start: ``import chiplab`` loads no model, and a ``chiplab`` command imports only the module that defines it
(the speed itself is measured by benchmarks/bench_startup.py; tests check what gets imported, not the clock)."""

import argparse
import json
import subprocess
import sys

import pytest

from chiplab.cli import COMMAND_MODULES, build_parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def test_the_dispatch_table_lists_every_command_once():
    assert _commands(build_parser()) == set(COMMAND_MODULES)
    for command, module in COMMAND_MODULES.items():
        same_module = {c for c, m in COMMAND_MODULES.items() if m == module}
        assert _commands(build_parser(command)) == same_module, command


def _imported_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_chiplab_loads_no_model():
    modules = _imported_after("import chiplab")
    assert "numpy" not in modules
    assert {m for m in modules if m.startswith("chiplab.")} <= {"chiplab.errors"}


# numpy alone takes ~120 ms to import, the whole start-up budget: the systolic-array and catalog commands' --help
# must not load it (chiplab.systolic and chiplab.hardware import their modules on first use, chiplab/_lazy.py).
@pytest.mark.parametrize(("command", "never"), [
    ("scalesim", ("chiplab.perf", "chiplab.cost", "chiplab.hardware.catalog", "numpy", "matplotlib", "ipywidgets")),
    ("gemm", ("chiplab.perf", "chiplab.cost", "numpy", "matplotlib")),
    ("simulate", ("chiplab.perf", "chiplab.cost", "numpy", "matplotlib")),
    ("chips", ("chiplab.perf", "chiplab.cost", "chiplab.systolic", "numpy", "matplotlib")),
])
def test_a_command_imports_only_what_it_needs(command, never):
    modules = _imported_after(f"from chiplab.cli import main\ntry:\n    main([{command!r}, '--help'])\n"
                              "except SystemExit:\n    pass")
    loaded = sorted(m for m in modules if m.split(".")[0] in {"chiplab", "matplotlib", "ipywidgets", "numpy"}
                    and m.startswith(never))
    assert not loaded, f"chiplab {command} --help imported {loaded}"
