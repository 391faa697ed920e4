"""Named workloads and how fast one chip runs them (the performance model, cached)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from chiplab._checks import positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import Calibration
from chiplab.perf.calibration_fit import fitted_calibration
from chiplab.perf.estimate_bands import speed_range
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.perf.validation_bands import ErrorBand
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

# ---------------------------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrainingWorkload:
    """Pre-training a model preset: ``tensor`` × ``pipeline`` × ``data`` chips, ``global_batch`` sequences of
    ``seq_len`` tokens per step (also the setup of :class:`chiplab.cost.claims.TrainingMatchup`)."""

    model: str = "llama3_70b"
    tensor: int = 8
    pipeline: int = 4
    data: int = 16
    zero_stage: int = 1
    global_batch: int = 512
    seq_len: int = 4096
    recompute: str = "full"

    kind = "training"

    def __post_init__(self) -> None:
        for name in ("tensor", "pipeline", "data", "global_batch", "seq_len"):
            positive_int(name, getattr(self, name))

    @property
    def num_chips(self) -> int:
        return self.tensor * self.pipeline * self.data

    @property
    def label(self) -> str:
        # Readers see the model's name ("Llama 3 70B"), never the preset key.
        return (f"train {load_model(self.model).name} on {self.num_chips:,} chips (tensor {self.tensor}, "
                f"pipeline {self.pipeline}, "
                f"data {self.data}; {self.global_batch} × {self.seq_len} tokens per step)")


@dataclass(frozen=True, kw_only=True)
class ServingWorkload:
    """Serving a model preset: ``batch`` requests of ``prompt_len`` prompt and ``output_len`` generated tokens
    on ``tensor_parallel`` chips. Tokens counted are the generated ones."""

    model: str = "llama3_8b"
    batch: int = 32
    prompt_len: int = 2048
    output_len: int = 512
    tensor_parallel: int = 1

    kind = "serving"

    def __post_init__(self) -> None:
        for name in ("batch", "prompt_len", "output_len", "tensor_parallel"):
            positive_int(name, getattr(self, name))

    @property
    def num_chips(self) -> int:
        return self.tensor_parallel

    @property
    def label(self) -> str:
        chips = f"{self.tensor_parallel} chip{'s' if self.tensor_parallel > 1 else ''}"
        return (f"serve {load_model(self.model).name} on {chips} "
                f"({self.batch} requests, {self.prompt_len} prompt + {self.output_len} output tokens)")


Workload = TrainingWorkload | ServingWorkload

# Named setups for the explorers and the book. Each fits in the memory of every chip the book compares (a test
# checks the main ones); "decode-heavy" is the serving case where memory bandwidth, not the array, decides.
WORKLOADS: Mapping[str, Workload] = {
    "pre-train Llama 3 70B": TrainingWorkload(),
    "pre-train Llama 3 8B": TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=16, global_batch=256),
    "pre-train Llama 3.2 3B (on-device size)": TrainingWorkload(model="llama32_3b", tensor=2, pipeline=1, data=32,
                                                                global_batch=512),
    "serve Llama 3 8B (chat)": ServingWorkload(),
    "serve Llama 3 8B (decode-heavy)": ServingWorkload(prompt_len=128, output_len=2048),
    "serve Llama 3 70B (8 chips)": ServingWorkload(model="llama3_70b", tensor_parallel=8),
}


def workload(name: str | Workload) -> Workload:
    """A workload by its name in :data:`WORKLOADS` (or the workload itself)."""
    if isinstance(name, TrainingWorkload | ServingWorkload):
        return name
    if name not in WORKLOADS:
        raise ChiplabInputError(f"workload must be one of {', '.join(repr(k) for k in WORKLOADS)}; got {name!r}")
    return WORKLOADS[name]


@dataclass(frozen=True)
class Throughput:
    """How fast one chip works on a workload (the performance model's answer, per chip)."""

    chip_id: str
    workload: Workload
    tokens_per_s_per_chip: float
    num_chips: int
    mfu_fraction: float | None  # training: model FLOPs utilisation; serving: None (decode is memory-bound)
    bottleneck: str  # what limits the ops that take most of the step ("compute", "HBM", ...)
    estimate: TrainingEstimate | ServingEstimate

    @property
    def band(self) -> ErrorBand | None:
        """The estimate's error band (None with efficiencies typed by hand: see chiplab.perf.estimate_bands)."""
        return self.estimate.band

    @property
    def tokens_per_s_per_chip_range(self) -> tuple[float, float] | None:
        """(low, high) of the true tokens/s per chip over :attr:`band`; None without a band."""
        return speed_range(self.band, self.tokens_per_s_per_chip)


@lru_cache(maxsize=512)
def _throughput(work: Workload, chip: Chip, calibration: Calibration | None) -> Throughput:
    model = load_model(work.model)
    if isinstance(work, TrainingWorkload):
        parallelism = Parallelism(tensor=work.tensor, pipeline=work.pipeline, data=work.data,
                                  zero_stage=work.zero_stage)
        training = estimate_training(model, chip, parallelism=parallelism, global_batch=work.global_batch,
                                     seq_len=work.seq_len, recompute=work.recompute, calibration=calibration)
        return Throughput(chip.id, work, training.tokens_per_s / training.num_chips, training.num_chips,
                          training.mfu_fraction, _slowest(training.microbatch_step.time_by("bottleneck")), training)
    serving = estimate_serving(model, chip, batch=work.batch, prompt_len=work.prompt_len,
                               output_len=work.output_len, tensor_parallel=work.tensor_parallel,
                               calibration=calibration)
    return Throughput(chip.id, work, serving.output_tokens_per_s_per_chip, work.tensor_parallel, None,
                      _slowest(serving.mean_decode.time_by("bottleneck")), serving)


def _slowest(seconds_by_bottleneck: Mapping[str, float]) -> str:
    """What limits the ops that take most of the step."""
    return max(seconds_by_bottleneck, key=lambda name: seconds_by_bottleneck[name])


def efficiencies_of(work: str | Workload, chip: str | Chip) -> tuple[float, float]:
    """(matmul, memory) efficiency of ``chip``'s fitted calibration for the workload's arithmetic: what a side
    with no efficiency given assumes."""
    fitted = fitted_calibration(as_chip(chip), load_model(workload(work).model).dtype)
    return fitted.matmul_efficiency_fraction, fitted.memory_efficiency_fraction


def estimate_throughput(work: str | Workload, chip: str | Chip, *, matmul_efficiency_fraction: float | None = None,
                        memory_efficiency_fraction: float | None = None) -> Throughput:
    """Tokens per second per chip of ``chip`` (a catalog id or a :class:`Chip`, e.g. a design) on a workload.

    The chip runs on its fitted calibration (:func:`chiplab.perf.fitted_calibration`), as in every estimator.
    An efficiency given replaces the fitted one (achieved ÷ modelled matrix throughput, achievable ÷ datasheet HBM
    bandwidth; 1.0 is the ideal hardware), the other factors staying fitted, so a sensitivity moves one assumption
    at a time. Only the fitted calibration itself carries the validation record's error band: for a calibration
    changed by hand the record says nothing. Results are cached, so the explorers pay for each (workload, chip,
    efficiency) once.
    """
    work, chip = workload(work), as_chip(chip)
    fitted = fitted_calibration(chip, load_model(work.model).dtype)
    matmul = fitted.matmul_efficiency_fraction if matmul_efficiency_fraction is None else matmul_efficiency_fraction
    memory = fitted.memory_efficiency_fraction if memory_efficiency_fraction is None else memory_efficiency_fraction
    calibration = fitted
    if (matmul, memory) != (fitted.matmul_efficiency_fraction, fitted.memory_efficiency_fraction):
        # A memory efficiency given by hand holds for every memory-bound kernel class (STREAM-like ops, weight GEMVs,
        # KV-cache attention), so the one assumption moves the whole decode step.
        weight_stream, kv_attention = (
            (fitted.weight_stream_efficiency_fraction, fitted.kv_attention_efficiency_fraction)
            if memory_efficiency_fraction is None else (memory, memory))
        calibration = dataclasses.replace(
            fitted, name=f"{fitted.name}, efficiencies of the cost scenario", matmul_efficiency_fraction=matmul,
            memory_efficiency_fraction=memory, weight_stream_efficiency_fraction=weight_stream,
            kv_attention_efficiency_fraction=kv_attention,
            source=f"{fitted.source}; matmul and memory efficiencies assumed by the cost scenario")
    return _throughput(work, chip, calibration)
