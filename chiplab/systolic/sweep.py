"""Sweeps of the closed form, computed once for plotting (viz never computes the model itself)."""

from __future__ import annotations

from collections.abc import Iterable, Sized
from dataclasses import dataclass

import numpy as np

from chiplab._checks import one_of, positive_int
from chiplab._guard import check_resources
from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic.closed_form import estimate
from chiplab.systolic.dataflow import Dataflow, parse_dataflow
from chiplab.workloads.gemm import Gemm

# The closed form's speed on one laptop core, rounded down (benchmarks/bench_systolic.py measures it).
CLOSED_FORM_ESTIMATES_PER_S = 2e4

@dataclass(frozen=True)
class UtilizationSweep:
    """Utilisation of one array as one GEMM dimension varies and the other two stay fixed."""

    array: SystolicArraySpec
    dataflow: Dataflow
    convention: str
    base: Gemm  # the fixed dimensions; ``varied_dim`` takes each of ``values`` in turn
    varied_dim: str
    values: np.ndarray
    total_cycles: np.ndarray
    compute_utilization_fraction: np.ndarray
    mapping_efficiency_fraction: np.ndarray


def sweep_utilization(
    array: SystolicArraySpec,
    base: Gemm,
    varied_dim: str,
    values: Iterable[int],
    dataflow: Dataflow | str = "ws",
    convention: str = "pipelined",
) -> UtilizationSweep:
    """Estimate ``base`` with ``varied_dim`` ("m", "n" or "k") set to each of ``values``.

    >>> s = sweep_utilization(SystolicArraySpec(num_rows=4, num_cols=4), Gemm(m=64, n=4, k=4), "n", [4, 5, 8])
    >>> s.mapping_efficiency_fraction.round(3).tolist()
    [1.0, 0.625, 1.0]
    """
    varied_dim = one_of("varied_dim", varied_dim, ("m", "n", "k"))
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ChiplabInputError(f"values must be a list of whole numbers >= 1; got {values!r}")
    if isinstance(values, Sized):  # each point is one closed-form estimate (~30 µs): refuse a sweep of 10**9
        check_resources(f"a sweep of {len(values):,} {varied_dim} values", work=len(values),
                        work_unit="closed-form estimates", work_per_s=CLOSED_FORM_ESTIMATES_PER_S)
    checked = [positive_int(f"values[{i}]", v) for i, v in enumerate(values)]
    # Sizes beyond int64 stay exact Python integers (an object array) rather than overflowing.
    values = np.array(checked, dtype=np.int64 if max(checked, default=0) < 2**63 else object)
    if values.size == 0:
        raise ChiplabInputError("values must contain at least one dimension size; got an empty sequence")
    flow = parse_dataflow(dataflow)
    dims = base.dims()
    sizes = [{**dims, varied_dim: int(v)} for v in values]
    timings = [estimate(Gemm(m=s["m"], n=s["n"], k=s["k"], dtype=base.dtype), array, flow, convention) for s in sizes]
    return UtilizationSweep(
        array=array,
        dataflow=flow,
        convention=timings[0].convention,
        base=base,
        varied_dim=varied_dim,
        values=values,
        total_cycles=np.array([t.total_cycles for t in timings]),
        compute_utilization_fraction=np.array([t.compute_utilization_fraction for t in timings]),
        mapping_efficiency_fraction=np.array([t.mapping_efficiency_fraction for t in timings]),
    )
