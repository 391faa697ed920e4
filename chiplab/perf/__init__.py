"""Performance model: workload × chip → time, bottleneck, MFU, per-op breakdown; scale-out collectives."""

from chiplab.perf.calibration import IDEAL, Calibration
from chiplab.perf.collectives import Network, collective_time_s, network_for
from chiplab.perf.gemm_on_chip import ChipGemm, default_dataflow, gemm_on_chip
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.scaling import ScalingSweep, sweep_data_parallel
from chiplab.perf.step import OpEstimate, StepEstimate, estimate_step
from chiplab.perf.training import TrainingEstimate, estimate_training, shard

__all__ = [
    "IDEAL",
    "Calibration",
    "ChipGemm",
    "Network",
    "OpEstimate",
    "ScalingSweep",
    "ServingEstimate",
    "StepEstimate",
    "TrainingEstimate",
    "collective_time_s",
    "default_dataflow",
    "estimate_serving",
    "estimate_step",
    "estimate_training",
    "gemm_on_chip",
    "network_for",
    "shard",
    "sweep_data_parallel",
]
