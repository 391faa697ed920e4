"""One view of an LLM step, whatever its mode, for the LLM explorer and the book; and a serving batch sweep.

:func:`estimate_llm` runs a training step (:func:`chiplab.perf.training.estimate_training`), a prefill or a decode
step (:func:`chiplab.perf.inference.estimate_serving`) and returns the same :class:`LLMEstimate` for all three: the
per-chip op breakdown, where the step's wall time goes, the throughput, MFU and the memory each chip needs. It adds
no model of its own; it only reads the estimates it wraps.

:func:`sweep_serving_batch` serves the same requests at several batch sizes: larger batches share each read of the
weights among more sequences, until the KV cache fills the memory (Pope et al. 2022, "Efficiently Scaling
Transformer Inference", Sec. 2).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from chiplab._checks import instance_of, one_of, positive_int, published
from chiplab._guard import MODEL_ESTIMATES_PER_S, check_sweep
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import Calibration
from chiplab.perf.estimate_bands import BandRanges, speed_range
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.step import OpEstimate, StepEstimate
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.perf.validation_bands import ErrorBand
from chiplab.tables import markdown_table
from chiplab.units import format_bytes
from chiplab.workloads.describe import ATTENTION_PROJECTIONS, ATTENTION_SCORES, LOGITS, MLP, NON_MATMUL, gemm_category
from chiplab.workloads.footprint import MemoryFootprint, Parallelism
from chiplab.workloads.recompute import RECOMPUTE_MODES
from chiplab.workloads.transformer import TransformerConfig

MODES = ("training", "prefill", "decode")
TENSOR_PARALLEL_COMM = "tensor-parallel comm"
OTHER_OPS = "other ops (norms, softmax, activations)"
OPTIMIZER = "optimizer update"
STEP_CATEGORIES = (ATTENTION_PROJECTIONS, ATTENTION_SCORES, MLP, LOGITS, OTHER_OPS, OPTIMIZER)


def op_category(op: OpEstimate) -> str:
    """The part of the model an estimated op belongs to (:data:`STEP_CATEGORIES`); the optimizer on its own."""
    if op.phase == "optimizer":
        return OPTIMIZER
    category = gemm_category(op.phase, op.name) if op.is_gemm else NON_MATMUL
    return OTHER_OPS if category == NON_MATMUL else category


@dataclass(frozen=True)
class CategoryTime:
    """Time of one part of the model in a step, split by what limits its ops."""

    category: str
    compute_bound_s: float  # ops limited by the matrix or vector units
    memory_bound_s: float  # ops limited by off-chip memory

    @property
    def time_s(self) -> float:
        return self.compute_bound_s + self.memory_bound_s


def time_by_category(step: StepEstimate) -> tuple[CategoryTime, ...]:
    """A step's time per :data:`STEP_CATEGORIES` entry (always all of them, in that order)."""
    totals = {category: [0.0, 0.0] for category in STEP_CATEGORIES}
    for op in step.ops:
        totals[op_category(op)][0 if op.bottleneck in ("compute", "vector") else 1] += op.time_s
    return tuple(CategoryTime(category, compute, memory) for category, (compute, memory) in totals.items())


@dataclass(frozen=True)
class LLMEstimate(BandRanges):
    """A training, prefill or decode step on ``num_chips`` chips, as the explorer shows it.

    ``step`` is what one chip computes (for training: one microbatch of its shard, the optimizer excluded).
    ``parts_s`` splits the step's wall time ``time_s`` into named parts that add up to it: the training breakdown
    (compute, pipeline bubble, communication, optimizer), or, when serving, the ops grouped by what limits them
    plus the tensor-parallel communication. ``num_tokens`` are the tokens the whole group processes (training,
    prefill) or generates (decode) in ``time_s``. ``time_s_range`` and ``tokens_per_s_range`` (of the group) come
    from :class:`~chiplab.perf.estimate_bands.BandRanges`.
    """

    mode: str
    model_name: str
    chip_id: str
    num_chips: int
    step: StepEstimate
    parts_s: Mapping[str, float]
    time_s: float
    num_tokens: int
    mfu_fraction: float
    memory: MemoryFootprint
    memory_capacity_bytes: float
    memory_label: str
    assumptions: tuple[str, ...]
    band: ErrorBand | None = None  # the training or serving estimate's error band (chiplab.perf.estimate_bands)

    @property
    def tokens_per_s_per_chip_range(self) -> tuple[float, float] | None:
        """(low, high) of the true tokens/s per chip over :attr:`band`; None without a band."""
        return speed_range(self.band, self.tokens_per_s_per_chip)

    @property
    def time_by_category(self) -> tuple[CategoryTime, ...]:
        """One chip's ``step`` split into parts of the model, each split into compute- and memory-bound time."""
        return time_by_category(self.step)

    @property
    def tokens_per_s(self) -> float:
        return self.num_tokens / self.time_s

    @property
    def tokens_per_s_per_chip(self) -> float:
        return self.tokens_per_s / self.num_chips

    @property
    def memory_fraction(self) -> float:
        """Share of one chip's off-chip memory that the step needs."""
        return self.memory.total_bytes / self.memory_capacity_bytes


def _serving_parts(step: StepEstimate, comm_s: float, memory_label: str) -> dict[str, float]:
    """Ops limited by compute (matrix or vector units), ops limited by memory, and communication."""
    by_bottleneck = step.time_by("bottleneck")
    compute = by_bottleneck.pop("compute", 0.0) + by_bottleneck.pop("vector", 0.0)
    return {"ops limited by compute": compute, f"ops limited by {memory_label}": sum(by_bottleneck.values()),
            TENSOR_PARALLEL_COMM: comm_s}


@functools.lru_cache(maxsize=1024)
def estimate_llm(config: TransformerConfig, chip: Chip, *, mode: str, batch: int, seq_len: int,
                 output_len: int = 256, parallelism: Parallelism | None = None, recompute: str = "none",
                 calibration: Calibration | None = None) -> LLMEstimate:
    """Estimate one step of ``config`` on ``chip`` in ``mode`` ("training", "prefill" or "decode"); cached.

    Training: ``batch`` is the global batch of sequences of ``seq_len`` tokens, split by ``parallelism``
    (tensor × pipeline × data). Serving: ``batch`` concurrent requests with a prompt of ``seq_len`` tokens and
    ``output_len`` generated tokens, on a tensor-parallel group (``parallelism.tensor``; pipeline and data
    parallelism must be 1: replicas serve independent requests). A decode step is the mean one, at the context
    ``seq_len + output_len / 2``. Invalid combinations raise :class:`~chiplab.errors.ChiplabInputError` naming
    the problem (a split that does not divide the heads, a model that does not fit).
    """
    mode = one_of("mode", mode, MODES)
    recompute = one_of("recompute", recompute, RECOMPUTE_MODES)
    parallelism = parallelism or Parallelism()
    label = chip.hbm.vendor_label
    if mode == "training":
        estimate = estimate_training(config, chip, parallelism=parallelism, global_batch=batch, seq_len=seq_len,
                                     recompute=recompute, calibration=calibration)
        return LLMEstimate(mode=mode, model_name=config.name, chip_id=chip.id, num_chips=estimate.num_chips,
                           step=estimate.microbatch_step, parts_s=estimate.breakdown_s(), time_s=estimate.time_s,
                           num_tokens=estimate.global_batch * estimate.seq_len, mfu_fraction=estimate.mfu_fraction,
                           memory=estimate.memory, memory_capacity_bytes=estimate.memory_capacity_bytes,
                           memory_label=label, assumptions=estimate.assumptions, band=estimate.band)
    if parallelism.pipeline != 1 or parallelism.data != 1:
        raise ChiplabInputError(
            f"serving ({mode}) splits a model over a tensor-parallel group only; pipeline ({parallelism.pipeline}) "
            f"and data ({parallelism.data}) parallelism must be 1 (more replicas serve more requests, each "
            "on its own)")
    parallelism.check(config)
    served = estimate_serving(config, chip, batch=batch, prompt_len=seq_len, output_len=output_len,
                              tensor_parallel=parallelism.tensor, calibration=calibration)
    if mode == "prefill":
        step, time_s, comm_s, num_tokens = served.prefill, served.prefill_s, served.prefill_comm_s, batch * seq_len
    else:
        step, time_s, comm_s, num_tokens = served.mean_decode, served.decode_step_s, served.decode_comm_s, batch
    capacity = published(f"{chip.id}: HBM capacity", chip.hbm.capacity_bytes)
    return LLMEstimate(mode=mode, model_name=config.name, chip_id=chip.id, num_chips=parallelism.tensor, step=step,
                       parts_s=_serving_parts(step, comm_s, label), time_s=time_s, num_tokens=num_tokens,
                       mfu_fraction=step.model_flops / (time_s * step.peak_flops_per_s), memory=served.memory,
                       memory_capacity_bytes=capacity, memory_label=label,
                       assumptions=(*step.assumptions, f"calibration: {served.calibration.name} "
                                                    f"({served.calibration.source})"), band=served.band)


# --- serving: how batching amortises the weights ----------------------------------------------------------------

@dataclass(frozen=True)
class ServingSweep:
    """The same requests served at several batch sizes; ``fits`` says where weights + KV cache fit in memory."""

    model_name: str
    chip_id: str
    tensor_parallel: int
    prompt_len: int
    output_len: int
    estimates: tuple[ServingEstimate, ...]
    fits: tuple[bool, ...]
    memory_capacity_bytes: float

    @property
    def batch(self) -> np.ndarray:
        return np.array([e.batch for e in self.estimates])

    @property
    def output_tokens_per_s_per_chip(self) -> np.ndarray:
        return np.array([e.output_tokens_per_s_per_chip for e in self.estimates])

    @property
    def output_tokens_per_s_per_chip_range(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(low, high) arrays of the true output tokens/s per chip over the estimates' error band (one band: the
        chip and kind are the same for every batch); None without a band."""
        ranges = [e.output_tokens_per_s_per_chip_range for e in self.estimates]
        known = [r for r in ranges if r is not None]
        if len(known) < len(ranges):
            return None
        return np.array([low for low, _ in known]), np.array([high for _, high in known])

    @property
    def tokens_per_s_per_user(self) -> np.ndarray:
        """What one request sees while decoding: 1 ÷ the decode step time."""
        return np.array([1 / e.time_per_output_token_s for e in self.estimates])

    @property
    def decode_mfu_fraction(self) -> np.ndarray:
        return np.array([e.mean_decode.mfu_fraction for e in self.estimates])

    @property
    def largest_fitting_batch(self) -> int | None:
        fitting = [e.batch for e, fits in zip(self.estimates, self.fits, strict=True) if fits]
        return max(fitting) if fitting else None

    def at(self, batch: int) -> ServingEstimate:
        for estimate in self.estimates:
            if estimate.batch == batch:
                return estimate
        raise ChiplabInputError(f"batch {batch} is not in this sweep; swept: {', '.join(map(str, self.batch))}")

    def to_markdown(self) -> str:
        rows = [[e.batch, f"{e.output_tokens_per_s_per_chip:,.0f}", f"{1 / e.time_per_output_token_s:,.1f}",
                 f"{e.time_per_output_token_s * 1e3:.3g}", f"{e.mean_decode.mfu_fraction:.1%}",
                 format_bytes(e.memory.total_bytes), "yes" if fits else "no"]
                for e, fits in zip(self.estimates, self.fits, strict=True)]
        return markdown_table(["batch", "output tokens/s per chip", "tokens/s per request", "ms per output token",
                               "decode MFU", "memory per chip", "fits?"], rows)


def sweep_serving_batch(config: TransformerConfig, chip: Chip, *, batches: Iterable[int], prompt_len: int,
                        output_len: int, tensor_parallel: int = 1,
                        calibration: Calibration | None = None) -> ServingSweep:
    """Serve ``batch`` requests of ``prompt_len`` + ``output_len`` tokens for each batch in ``batches``.

    Batches whose weights and KV cache exceed the chip's memory are still estimated (``fits`` is False for
    them), so a figure can show where the memory wall stands.
    """
    check_sweep("batches", batches, work_unit="serving estimates", per_s=MODEL_ESTIMATES_PER_S)
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    values = [positive_int("batch", batch) for batch in batches]
    if not values:
        raise ChiplabInputError("batches must list at least one batch size, e.g. [1, 8, 64]")
    estimates = tuple(estimate_serving(config, chip, batch=batch, prompt_len=prompt_len, output_len=output_len,
                                       tensor_parallel=tensor_parallel, calibration=calibration,
                                       check_memory=False) for batch in values)
    capacity = published(f"{chip.id}: HBM capacity", chip.hbm.capacity_bytes)
    return ServingSweep(model_name=config.name, chip_id=chip.id, tensor_parallel=tensor_parallel,
                        prompt_len=prompt_len, output_len=output_len, estimates=estimates,
                        fits=tuple(e.memory.total_bytes <= capacity for e in estimates),
                        memory_capacity_bytes=capacity)


# --- training runs side by side ---------------------------------------------------------------------------------

def training_table(estimates: Mapping[str, TrainingEstimate]) -> str:
    """Training estimates side by side (e.g. one job on several chips): chips, step time, throughput per chip, MFU,
    and the shares of the step lost to the pipeline bubble and to communication, and memory per chip."""
    # isinstance accepts the abstract Mapping; mypy refuses an abstract class where instance_of wants a type[T].
    instance_of("estimates", estimates, Mapping, "a mapping of labels to TrainingEstimates")  # type: ignore[type-abstract]
    if not estimates or not all(isinstance(e, TrainingEstimate) for e in estimates.values()):
        raise ChiplabInputError("estimates must map at least one label to a TrainingEstimate")
    rows = []
    for label, e in estimates.items():
        comm_s = e.tensor_comm_s + e.pipeline_comm_s + e.data_comm_exposed_s + e.fsdp_gather_exposed_s
        rows.append([label, f"{e.num_chips:,}", f"{e.time_s:.3g}", f"{e.tokens_per_s / e.num_chips:,.0f}",
                     f"{e.mfu_fraction:.1%}", f"{e.bubble_s / e.time_s:.1%}", f"{comm_s / e.time_s:.1%}",
                     f"{format_bytes(e.memory.total_bytes)} of {format_bytes(e.memory_capacity_bytes)}"])
    return markdown_table(["run", "chips", "step time (s)", "tokens/s per chip", "MFU", "pipeline bubble",
                           "communication (exposed)", "memory per chip"], rows)
