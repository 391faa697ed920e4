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


# numpy alone takes ~120 ms to import, the whole start-up budget: no command's --help may load it, nor the
# performance or cost models (chiplab.perf, chiplab.cost, chiplab.hardware and chiplab.workloads import their
# modules on first use, chiplab/_lazy.py; the commands import the models inside the functions that run them).
NEVER_FOR_HELP = ("chiplab.cost", "chiplab.perf", "numpy", "matplotlib", "ipywidgets")
# chiplab validate's choices (vendor families, kinds) come from the record's light module
ALLOWED_FOR_HELP = {"chiplab.perf", "chiplab.perf.validation_record"}
# what a command's --help must not load beyond NEVER_FOR_HELP (the catalog and the systolic models are slow too)
# (the catalog parses every chip file; the chip model and the model presets are most of the rest)
SLOW_TO_LOAD = ("chiplab.hardware.catalog", "chiplab.hardware.chip", "chiplab.workloads.presets")
ALSO_NEVER = {"chips": ("chiplab.systolic",), "chip": ("chiplab.systolic",)}


@pytest.mark.parametrize("command", [*COMMAND_MODULES, None], ids=[*COMMAND_MODULES, "chiplab --help"])
def test_help_imports_only_what_it_needs(command):
    argv = ["--help"] if command is None else [command, "--help"]
    modules = _imported_after(f"from chiplab.cli import main\ntry:\n    main({argv!r})\n"
                              "except SystemExit:\n    pass")
    never = NEVER_FOR_HELP + SLOW_TO_LOAD + ALSO_NEVER.get(command or "", ())
    loaded = sorted(m for m in modules if m.startswith(never) and m not in ALLOWED_FOR_HELP)
    assert not loaded, f"chiplab {' '.join(argv)} imported {loaded}"


def test_the_extra_rules_name_real_commands():
    assert set(ALSO_NEVER) <= set(COMMAND_MODULES)
