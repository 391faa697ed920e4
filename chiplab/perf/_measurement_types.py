"""The record types of the measurement record (see :mod:`chiplab.perf.measurements`, which re-exports them).

Every entry names its source, where in it the value sits, when it was read and the setup as published; a setup field
the source does not give holds the text ``"not stated"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from chiplab.hardware.catalog import load_chip
from chiplab.hardware.provenance import Source

NOT_STATED = "not stated"      # a setup field the source does not give
NOT_IN_CATALOG = "not in catalog"  # a model chiplab has no preset for yet (then ``needs_model`` says which)

# Vendor families the targets and error bands are kept per: GPUs (NVIDIA and AMD), TPUs, and AWS Trainium/Inferentia.
FAMILY_OF_VENDOR = {"NVIDIA": "gpu", "AMD": "gpu", "Google": "tpu", "AWS": "trainium"}
FAMILIES = ("gpu", "tpu", "trainium")


@dataclass(frozen=True, kw_only=True)
class MeasuredAlternative:
    """What another source (or revision) gives for the same quantity, kept so readers can judge the choice."""

    quantity: str
    value: float
    source: Source
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class _Entry:
    id: str
    chip: str
    num_chips: int | str
    system: str
    software: str
    measured: Mapping[str, float]      # quantity (unit in the name) → SI value
    as_published: Mapping[str, str]    # quantity → the text as the source printed it
    source: Source
    where: str                          # table / section / file in the source
    accessed: date
    note: str = ""
    alternatives: tuple[MeasuredAlternative, ...] = ()
    choice: str = ""
    file: str = ""

    @property
    def vendor(self) -> str:
        return load_chip(self.chip).vendor

    @property
    def family(self) -> str:
        """``"gpu"`` (NVIDIA and AMD), ``"tpu"`` or ``"trainium"`` (Trainium and Inferentia)."""
        return FAMILY_OF_VENDOR[self.vendor]


@dataclass(frozen=True, kw_only=True)
class MicroBenchmark(_Entry):
    """One micro-benchmark: may be used to calibrate (fit) the model. Shape and collective fields are
    ``None`` where they do not apply to the kind, ``"not stated"`` where the source does not give them."""

    kind: str
    dtype: str
    method: str
    m: int | str | None = None
    n: int | str | None = None
    k: int | str | None = None
    shape_class: str | None = None
    collective: str | None = None
    message_bytes: int | str | None = None
    algorithm: str | None = None
    direction: str | None = None
    kernel_class: str | None = None  # memory_bandwidth: "stream" (None: the same) or "kv_cache_attention"


@dataclass(frozen=True, kw_only=True)
class EndToEndRun(_Entry):
    """One published training or serving run: validation only, never fitted."""

    workload: str
    model: str
    model_as_published: str
    precision: str
    tensor_parallel: int | str
    needs_model: str = ""
    pipeline_parallel: int | str | None = None
    data_parallel: int | str | None = None
    context_parallel: int | str | None = None
    expert_parallel: int | str | None = None
    sharding: str | None = None
    pipeline_schedule: str | None = None
    micro_batch: int | str | None = None
    global_batch: int | str | None = None
    seq_len: int | str | None = None
    recompute: str | None = None
    train_tokens: int | str | None = None   # tokens a time-to-train run processed (MLPerf's train_samples)
    eval_tokens: int | str | None = None    # tokens of one evaluation pass inside a timed run (MLPerf's eval set)
    num_evals: int | str | None = None      # evaluation passes inside the timed run (from its log)
    batch: int | str | None = None
    concurrency: int | str | None = None
    input_tokens: int | str | None = None
    output_tokens: int | str | None = None


@dataclass(frozen=True)
class MeasurementRecord:
    benchmarks: tuple[MicroBenchmark, ...]
    runs: tuple[EndToEndRun, ...]
