"""Performance model: workload × chip → time, bottleneck, MFU, per-op breakdown; scale-out collectives."""

from chiplab.perf.calibration import IDEAL, Calibration
from chiplab.perf.calibration_errors import CalibrationReport, calibration_report
from chiplab.perf.calibration_fit import CalibrationFit, fit_calibration, fitted_calibration, shape_class_of
from chiplab.perf.chip_gemm import ChipGemm, candidate_dataflows, default_dataflow, gemm_on_chip
from chiplab.perf.collectives import (
    DEFAULT_SCALE_OUT_BYTES_PER_S,
    Network,
    collective_time_s,
    neighbour_transfer_time_s,
    network_for,
)
from chiplab.perf.estimate_bands import band_for
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
from chiplab.perf.serving_target import SpeedTargetResult, largest_fitting_batch, serve_at_speed
from chiplab.perf.step import OpEstimate, StepEstimate, estimate_step, op_of
from chiplab.perf.topology import (
    Topology,
    host_transfer_time_s,
    in_domain_time_s,
    known_topologies,
    load_topology,
    point_to_point_hops,
    point_to_point_time_s,
    topology_collective_time_s,
)
from chiplab.perf.training import TrainingEstimate, estimate_training, shard
from chiplab.perf.validation import ValidationReport, validate, validate_training
from chiplab.perf.validation_bands import ErrorBand, error_band

__all__ = [
    "DEFAULT_SCALE_OUT_BYTES_PER_S",
    "IDEAL",
    "Calibration",
    "CalibrationFit",
    "CalibrationReport",
    "ChipGemm",
    "EndToEndRun",
    "ErrorBand",
    "MeasurementRecord",
    "MicroBenchmark",
    "Network",
    "OpEstimate",
    "ScalingSweep",
    "ServingEstimate",
    "SpeedTargetResult",
    "StepEstimate",
    "Topology",
    "TrainingEstimate",
    "ValidationReport",
    "band_for",
    "calibration_report",
    "candidate_dataflows",
    "collective_time_s",
    "default_dataflow",
    "end_to_end_runs",
    "error_band",
    "estimate_serving",
    "estimate_step",
    "estimate_training",
    "fit_calibration",
    "fitted_calibration",
    "gemm_on_chip",
    "get_measurement",
    "host_transfer_time_s",
    "in_domain_time_s",
    "known_topologies",
    "largest_fitting_batch",
    "load_measurements",
    "load_topology",
    "micro_benchmarks",
    "neighbour_transfer_time_s",
    "network_for",
    "op_of",
    "point_to_point_hops",
    "point_to_point_time_s",
    "read_measurements",
    "serve_at_speed",
    "shape_class_of",
    "shard",
    "sweep_data_parallel",
    "sweep_serving_batch",
    "topology_collective_time_s",
    "training_table",
    "validate",
    "validate_training",
]
