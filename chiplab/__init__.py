"""chiplab: why custom AI silicon can beat GPUs on cost, from one processing element to dollars per token."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chiplab.errors import ChiplabInputError

if TYPE_CHECKING:
    from chiplab._guard import resource_limits
    from chiplab.hardware import SystolicArraySpec
    from chiplab.systolic import Dataflow, estimate, simulate
    from chiplab.workloads import Conv2d, Gemm

__version__ = "0.1.0"

__all__ = ["ChiplabInputError", "Conv2d", "Dataflow", "Gemm", "SystolicArraySpec", "estimate", "resource_limits",
           "simulate"]

# Imported on first use (PEP 562), so that ``import chiplab`` and the ``chiplab`` command start fast: a command
# loads only the models it runs (benchmarks/bench_startup.py measures it).
_LAZY_NAMES = {"SystolicArraySpec": "chiplab.hardware", "Dataflow": "chiplab.systolic",
               "estimate": "chiplab.systolic", "simulate": "chiplab.systolic", "Conv2d": "chiplab.workloads",
               "Gemm": "chiplab.workloads", "resource_limits": "chiplab._guard"}
_SUBPACKAGES = ("cli", "cost", "explore", "grading", "hardware", "kernels", "memory", "perf", "scalesim",
                "systolic", "viz", "workloads")


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    elif name in _SUBPACKAGES:  # ``import chiplab; chiplab.hardware.load_chip(...)`` keeps working
        value = importlib.import_module(f"chiplab.{name}")
    else:
        raise AttributeError(f"module 'chiplab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBPACKAGES, "__version__"})
