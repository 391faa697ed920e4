"""Performance model: workload × chip → time, bottleneck, MFU, per-op breakdown; scale-out collectives."""

from chiplab.perf.calibration import IDEAL, Calibration
from chiplab.perf.collectives import DEFAULT_SCALE_OUT_BYTES_PER_S, Network, collective_time_s, network_for
from chiplab.perf.gemm_on_chip import ChipGemm, default_dataflow, gemm_on_chip
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.llm import sweep_serving_batch, training_table
from chiplab.perf.measurements import (
    EndToEndRun,
    MeasurementRecord,
    MicroBenchmark,
    end_to_end_runs,
    get_measurement,
    load_measurements,
    micro_benchmarks,
    read_measurements,
)
from chiplab.perf.scaling import ScalingSweep, sweep_data_parallel
from chiplab.perf.step import OpEstimate, StepEstimate, estimate_step, op_of
from chiplab.perf.training import TrainingEstimate, estimate_training, shard
from chiplab.perf.validation import validate_training

__all__ = [
    "DEFAULT_SCALE_OUT_BYTES_PER_S",
    "IDEAL",
    "Calibration",
    "ChipGemm",
    "EndToEndRun",
    "MeasurementRecord",
    "MicroBenchmark",
    "Network",
    "OpEstimate",
    "ScalingSweep",
    "ServingEstimate",
    "StepEstimate",
    "TrainingEstimate",
    "collective_time_s",
    "default_dataflow",
    "end_to_end_runs",
    "estimate_serving",
    "estimate_step",
    "estimate_training",
    "gemm_on_chip",
    "get_measurement",
    "load_measurements",
    "micro_benchmarks",
    "network_for",
    "op_of",
    "read_measurements",
    "shard",
    "sweep_data_parallel",
    "sweep_serving_batch",
    "training_table",
    "validate_training",
]
