"""Performance model: workload × chip → time, bottleneck, MFU, per-op breakdown; scale-out collectives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._lazy import lazy_exports

if TYPE_CHECKING:
    from chiplab.perf.bucketing import Bucketing
    from chiplab.perf.calibration import IDEAL, Calibration
    from chiplab.perf.calibration_errors import CalibrationReport, FactorRow, calibration_report
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
    from chiplab.perf.evaluation import evaluation_s, forward_s_per_token
    from chiplab.perf.head_padding import pad_for_tensor_parallel, replicate_kv_for_nxdi
    from chiplab.perf.inference import ServingEstimate, estimate_serving
    from chiplab.perf.llm import sweep_serving_batch, training_table
    from chiplab.perf.lora import frozen_base_memory, frozen_base_step
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
    from chiplab.perf.validation import ValidationReport, validate, validate_training, validate_with
    from chiplab.perf.validation_bands import ErrorBand, error_band
    from chiplab.perf.validation_summary import orderings, summarize
    from chiplab.perf.validation_tables import (
        bands_table,
        median_error,
        misses_table,
        not_run_list,
        num_improved,
        num_misses_dominated_by,
        num_right,
        num_with_defaults,
        orderings_table,
        share_optimistic,
        summary_table,
    )

# Each public name and the module that defines it, imported on first use (chiplab/_lazy.py says why).
_EXPORTS = {
    "Bucketing": "bucketing",
    "IDEAL": "calibration", "Calibration": "calibration",
    "CalibrationReport": "calibration_errors", "FactorRow": "calibration_errors",
    "calibration_report": "calibration_errors",
    "CalibrationFit": "calibration_fit", "fit_calibration": "calibration_fit",
    "fitted_calibration": "calibration_fit", "shape_class_of": "calibration_fit",
    "ChipGemm": "chip_gemm", "candidate_dataflows": "chip_gemm", "default_dataflow": "chip_gemm",
    "gemm_on_chip": "chip_gemm",
    "DEFAULT_SCALE_OUT_BYTES_PER_S": "collectives", "Network": "collectives", "collective_time_s": "collectives",
    "neighbour_transfer_time_s": "collectives", "network_for": "collectives",
    "band_for": "estimate_bands",
    "evaluation_s": "evaluation", "forward_s_per_token": "evaluation",
    "pad_for_tensor_parallel": "head_padding", "replicate_kv_for_nxdi": "head_padding",
    "ServingEstimate": "inference", "estimate_serving": "inference",
    "sweep_serving_batch": "llm", "training_table": "llm",
    "frozen_base_memory": "lora", "frozen_base_step": "lora",
    "EndToEndRun": "measurements", "MeasurementRecord": "measurements", "MicroBenchmark": "measurements",
    "end_to_end_runs": "measurements", "get_measurement": "measurements", "load_measurements": "measurements",
    "micro_benchmarks": "measurements", "read_measurements": "measurements",
    "ScalingSweep": "scaling", "sweep_data_parallel": "scaling",
    "SpeedTargetResult": "serving_target", "largest_fitting_batch": "serving_target",
    "serve_at_speed": "serving_target",
    "OpEstimate": "step", "StepEstimate": "step", "estimate_step": "step", "op_of": "step",
    "Topology": "topology", "host_transfer_time_s": "topology", "in_domain_time_s": "topology",
    "known_topologies": "topology", "load_topology": "topology", "point_to_point_hops": "topology",
    "point_to_point_time_s": "topology", "topology_collective_time_s": "topology",
    "TrainingEstimate": "training", "estimate_training": "training", "shard": "training",
    "ValidationReport": "validation", "validate": "validation", "validate_training": "validation",
    "validate_with": "validation",
    "orderings": "validation_summary", "summarize": "validation_summary",
    "bands_table": "validation_tables", "median_error": "validation_tables", "misses_table": "validation_tables",
    "not_run_list": "validation_tables", "num_improved": "validation_tables", "num_right": "validation_tables",
    "num_misses_dominated_by": "validation_tables", "num_with_defaults": "validation_tables",
    "orderings_table": "validation_tables", "share_optimistic": "validation_tables",
    "summary_table": "validation_tables",
    "ErrorBand": "validation_bands", "error_band": "validation_bands",
}

__all__ = [
    "DEFAULT_SCALE_OUT_BYTES_PER_S",
    "IDEAL",
    "Bucketing",
    "Calibration",
    "CalibrationFit",
    "CalibrationReport",
    "ChipGemm",
    "EndToEndRun",
    "ErrorBand",
    "FactorRow",
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
    "bands_table",
    "calibration_report",
    "candidate_dataflows",
    "collective_time_s",
    "default_dataflow",
    "end_to_end_runs",
    "error_band",
    "estimate_serving",
    "estimate_step",
    "estimate_training",
    "evaluation_s",
    "fit_calibration",
    "fitted_calibration",
    "forward_s_per_token",
    "frozen_base_memory",
    "frozen_base_step",
    "gemm_on_chip",
    "get_measurement",
    "host_transfer_time_s",
    "in_domain_time_s",
    "known_topologies",
    "largest_fitting_batch",
    "load_measurements",
    "load_topology",
    "median_error",
    "micro_benchmarks",
    "misses_table",
    "neighbour_transfer_time_s",
    "network_for",
    "not_run_list",
    "num_improved",
    "num_misses_dominated_by",
    "num_right",
    "num_with_defaults",
    "op_of",
    "orderings",
    "orderings_table",
    "pad_for_tensor_parallel",
    "point_to_point_hops",
    "point_to_point_time_s",
    "read_measurements",
    "replicate_kv_for_nxdi",
    "serve_at_speed",
    "shape_class_of",
    "shard",
    "share_optimistic",
    "summarize",
    "summary_table",
    "sweep_data_parallel",
    "sweep_serving_batch",
    "topology_collective_time_s",
    "training_table",
    "validate",
    "validate_training",
    "validate_with",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
