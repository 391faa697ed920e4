"""chiplab: why custom AI silicon can beat GPUs on cost, from one processing element to dollars per token."""

from chiplab._guard import resource_limits
from chiplab.errors import ChiplabInputError
from chiplab.hardware import SystolicArraySpec
from chiplab.systolic import Dataflow, estimate, simulate
from chiplab.workloads import Conv2d, Gemm

__version__ = "0.1.0"

__all__ = ["ChiplabInputError", "Conv2d", "Dataflow", "Gemm", "SystolicArraySpec", "estimate", "resource_limits",
           "simulate"]
