"""SCALE-Sim 3.0.0 interoperability: its config and topology files in, its three reports out, in closed form.

``run_scalesim(config, topology, outdir, input_type)`` reproduces ``python -m scalesim.scale -c CONFIG -t TOPOLOGY
-p OUTDIR -i gemm|conv`` in CALC and USER mode: COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and
DETAILED_ACCESS_REPORT.csv, byte for byte, without SCALE-Sim's cycle-by-cycle replay. ``sweep_dram_bandwidth``
runs one GEMM in USER mode over DRAM bandwidths for the three dataflows (stall cycles and the knee). With
``[sparsity] SparsitySupport = true`` (``ScaleSimConfig.sparsity``, a ``SparsityConfig``) the layers are pruned as
SCALE-Sim prunes them, layer-wise N:M or row-wise, and SPARSE_REPORT.csv is written too.
tests/golden/scalesim/CONVENTIONS.md lists every SCALE-Sim convention and quirk reproduced here, with the
SCALE-Sim file and function it comes from.
"""

from chiplab.scalesim.compute import FoldPlan, LayerCompute, compute_layer, plan_layer
from chiplab.scalesim.config import ScaleSimConfig, load_config
from chiplab.scalesim.reports import write_reports
from chiplab.scalesim.run import ScaleSimLayerResult, run_scalesim, simulate_layer
from chiplab.scalesim.sparsity import FilterStorage, SparsityConfig
from chiplab.scalesim.sweep import StallSweep, sweep_dram_bandwidth
from chiplab.scalesim.topology import ScaleSimInputWarning, ScaleSimLayer, load_topology

__all__ = [
    "FilterStorage",
    "FoldPlan",
    "LayerCompute",
    "ScaleSimConfig",
    "ScaleSimInputWarning",
    "ScaleSimLayer",
    "ScaleSimLayerResult",
    "SparsityConfig",
    "StallSweep",
    "compute_layer",
    "load_config",
    "load_topology",
    "plan_layer",
    "run_scalesim",
    "simulate_layer",
    "sweep_dram_bandwidth",
    "write_reports",
]
