"""A model step on one chip: every op timed, the step time, tokens per second, MFU and HFU.

GEMM ops go through :func:`chiplab.perf.chip_gemm.gemm_on_chip` (systolic array + tiling + HBM). Vector ops
(norms, softmax, activations, the optimizer) run at the chip's vector throughput where the catalog has one, and
at its off-chip bandwidth (they are almost always memory-bound); where no vector peak is published, only their
bytes are timed, and the estimate says so in ``assumptions``. Ops run one after another (no overlap between
ops); within an op, transfers overlap compute.

MFU (model FLOPs utilisation, Chowdhery et al. 2022, PaLM, App. B) = model FLOPs ÷ (step time × peak), counting
the forward and backward matmuls only; HFU adds recomputed matmuls. Both use the chip's dense peak for the dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import instance_of, published
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import KV_ATTENTION, STREAM, WEIGHT_STREAM, Calibration
from chiplab.perf.calibration_fit import calibration_or_fitted
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.tables import markdown_table, totals_by
from chiplab.workloads.ops import GemmOp, ModelStep, Op, VectorOp


@dataclass(frozen=True)
class OpEstimate:
    """One op (all ``count`` instances) on the chip."""

    name: str
    stage: str
    phase: str
    is_gemm: bool
    count: int
    flops: int
    hbm_bytes: int
    compute_s: float
    memory_s: float
    time_s: float
    bottleneck: str
    array_utilization_fraction: float | None  # GEMMs: achieved ÷ peak matrix throughput of that op
    mapping: str = ""  # GEMMs: how the compiler maps it (ChipGemm.mapping), e.g. "IS (A stationary), ..."


@dataclass(frozen=True)
class StepEstimate:
    """A model step on one chip, with its per-op breakdown."""

    step_name: str
    step_kind: str
    chip_id: str
    dtype: str
    calibration: Calibration
    ops: tuple[OpEstimate, ...]
    num_tokens: int
    model_flops: int
    hardware_flops: int
    peak_flops_per_s: float
    assumptions: tuple[str, ...]

    @property
    def time_s(self) -> float:
        return sum(op.time_s for op in self.ops)

    @property
    def tokens_per_s(self) -> float:
        return self.num_tokens / self.time_s

    @property
    def mfu_fraction(self) -> float:
        return self.model_flops / (self.time_s * self.peak_flops_per_s)

    @property
    def hfu_fraction(self) -> float:
        return self.hardware_flops / (self.time_s * self.peak_flops_per_s)

    def time_by(self, attribute: str) -> dict[str, float]:
        """Step time grouped by "phase", "stage", "name" or "bottleneck", in first-seen order."""
        return totals_by(self.ops, key=lambda op: getattr(op, attribute), value=lambda op: op.time_s)

    def table(self) -> str:
        rows = [[op.name, op.stage, op.count, f"{op.time_s * 1e3:.3g}", f"{op.time_s / self.time_s:.1%}",
                 op.bottleneck, "" if op.array_utilization_fraction is None else
                 f"{op.array_utilization_fraction:.0%}"] for op in self.ops]
        return markdown_table(["op", "stage", "count", "time (ms)", "share", "bottleneck", "of peak"], rows)


def _gemm_estimate(op: GemmOp, chip: Chip, calibration: Calibration) -> OpEstimate:
    # One kernel = ``num_batched`` GEMMs streamed together; ``count / num_batched`` kernels run one after another.
    placed = gemm_on_chip(op.gemm, chip, num_batched=op.num_batched)
    num_kernels = op.count // op.num_batched
    compute = placed.compute_s / calibration.matmul_efficiency_fraction
    # Operands that stay on chip (fused FlashAttention) cost no HBM traffic; scale the placed bytes accordingly.
    offchip_fraction = (op.read_bytes + op.written_bytes) / op.gemm.unique_bytes
    hbm_bytes = placed.hbm_bytes * offchip_fraction
    memory = hbm_bytes / (placed.hbm_bandwidth_bytes_per_s * calibration.memory_efficiency_of(_kernel_class(op)))
    per_kernel = max(compute, memory) + calibration.kernel_overhead_s
    bottleneck = "compute" if compute >= memory else chip.hbm.vendor_label
    utilization = op.num_batched * op.gemm.num_flops / (per_kernel * placed.peak_flops_per_s)
    return OpEstimate(op.name, op.stage, op.phase, True, op.count, op.total_flops, int(hbm_bytes * num_kernels),
                      compute * num_kernels, memory * num_kernels, per_kernel * num_kernels, bottleneck, utilization,
                      placed.mapping)


def _kernel_class(op: GemmOp) -> str:
    """The memory-bound kernel class whose achievable bandwidth times ``op``'s HBM traffic (see
    :mod:`chiplab.perf.calibration_fit`): a GEMM over weights streams them like a GEMV in decode; an attention GEMM
    streams the KV cache (decode) or its activations; anything else is timed like STREAM."""
    if op.kind == "weight":
        return WEIGHT_STREAM
    return KV_ATTENTION if op.phase == "attention" else STREAM


def _vector_estimate(op: VectorOp, chip: Chip, dtype: str, calibration: Calibration) -> OpEstimate:
    bandwidth = published(f"{chip.id}: HBM bandwidth", chip.hbm.bandwidth_bytes_per_s) * \
        calibration.memory_efficiency_fraction
    memory = (op.read_bytes + op.written_bytes) / bandwidth
    vector_peak = chip.vector_peak_flops_per_s.get(dtype) or chip.vector_peak_flops_per_s.get("fp32")
    compute = op.num_flops / vector_peak if vector_peak else 0.0
    per_instance = max(compute, memory) + calibration.kernel_overhead_s
    bottleneck = "vector" if compute > memory else chip.hbm.vendor_label
    return OpEstimate(op.name, op.stage, op.phase, False, op.count, op.total_flops, op.total_bytes,
                      compute * op.count, memory * op.count, per_instance * op.count, bottleneck, None)


def estimate_step(step: ModelStep, chip: Chip, calibration: Calibration | None = None) -> StepEstimate:
    """Time every op of ``step`` on ``chip`` and add them up, under ``calibration`` (default: the one fitted for
    the chip and the step's dtype, :func:`chiplab.perf.fitted_calibration`; ``Calibration.ideal()`` for the upper
    bound)."""
    instance_of("step", step, ModelStep, "a ModelStep (e.g. model.training_step(batch=1, seq_len=2048))")
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    dtype = next((op.gemm.dtype for op in step.ops if isinstance(op, GemmOp)), "bf16")
    calibration = calibration_or_fitted(chip, dtype, calibration)
    estimates = []
    for op in step.ops:
        estimates.append(_gemm_estimate(op, chip, calibration) if isinstance(op, GemmOp)
                         else _vector_estimate(op, chip, dtype, calibration))
    assumptions = list(calibration.fallbacks)
    if not chip.vector_peak_flops_per_s:
        assumptions.append(f"{chip.id} publishes no vector throughput: non-matmul ops are timed by their bytes only")
    return StepEstimate(step_name=step.name, step_kind=step.kind, chip_id=chip.id, dtype=dtype,
                        calibration=calibration, ops=tuple(estimates), num_tokens=step.num_tokens,
                        model_flops=step.model_flops, hardware_flops=step.hardware_flops,
                        peak_flops_per_s=chip.peak_flops_per_s(dtype), assumptions=tuple(assumptions))


def op_of(step: ModelStep, name: str, stage: str = "forward") -> Op:
    """The op called ``name`` in ``stage`` (handy in notebooks and tests)."""
    instance_of("step", step, ModelStep, "a ModelStep (e.g. model.training_step(batch=1, seq_len=2048))")
    found = next((op for op in step.ops if op.name == name and op.stage == stage), None)
    if found is None:
        names = sorted({op.name for op in step.ops if op.stage == stage})
        raise ChiplabInputError(f"no op {name!r} in stage {stage!r} of {step.name}; ops in that stage: "
                                f"{', '.join(names) or 'none'}")
    return found
