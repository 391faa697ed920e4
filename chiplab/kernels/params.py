"""The numbers a simulated core runs on: the chip catalog's bandwidths, capacities, clocks and array, plus the
engine facts in ``chiplab/data/kernels/engines.toml`` (instruction limits, vector widths, DMA queues, latencies),
each published or a labelled assumption.

>>> params = core_params("trn2")
>>> params.num_partitions, params.engine_labels["matrix"], params.scratchpad.vendor_label
(128, 'Tensor Engine', 'SBUF')
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from chiplab._checks import non_negative, non_negative_int, positive, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip, MemoryLevel, SystolicArraySpec, as_chip, list_chips
from chiplab.tables import markdown_table

ENGINES = ("dma", "matrix", "vector", "scalar")

_VALUE_KEYS = ("num_partitions", "accumulator_bank_bytes_per_partition", "matmul_max_partitions",
               "matmul_max_stationary_free", "matmul_max_moving_free", "vector_rows_per_cycle",
               "vector_cols_per_cycle", "scalar_rows_per_cycle", "scalar_cols_per_cycle",
               "instruction_overhead_cycles", "num_dma_queues", "dma_latency_s")


@dataclass(frozen=True, kw_only=True)
class Assumption:
    """One engine fact with where it comes from: ``kind`` is "published" or "assumption"."""

    name: str
    value: float
    kind: str
    source_url: str
    accessed: str
    note: str


@dataclass(frozen=True, kw_only=True)
class CoreParams:
    """Everything the kernel simulator needs about ONE core of ``chip``.

    A limit of 0 means "no limit" (TPU VMEM has no partitions; toy chips fold any matmul). ``offchip_bandwidth``
    is the core's equal share of the chip's HBM bandwidth: a kernel runs on every core at once (SPMD), so each
    core gets ``HBM bandwidth / num_cores``. ``matrix_clock_hz`` is the catalog's clock, or where a chip
    publishes none (TPU v6e) the clock at which its array geometry reaches the published bf16 peak.
    """

    chip: Chip
    family: str
    engine_labels: Mapping[str, str]
    offchip: MemoryLevel
    scratchpad: MemoryLevel
    accumulator: MemoryLevel
    offchip_bandwidth_bytes_per_s: float
    array: SystolicArraySpec
    num_matrix_units: int
    matrix_clock_hz: float
    vector_clock_hz: float
    scalar_clock_hz: float
    num_partitions: int
    accumulator_bank_bytes_per_partition: int
    matmul_max_partitions: int
    matmul_max_stationary_free: int
    matmul_max_moving_free: int
    vector_rows_per_cycle: int
    vector_cols_per_cycle: int
    scalar_rows_per_cycle: int
    scalar_cols_per_cycle: int
    instruction_overhead_cycles: int
    num_dma_queues: int
    dma_latency_s: float
    sources: tuple[Assumption, ...] = ()

    def __post_init__(self) -> None:
        for name in ("num_matrix_units", "vector_rows_per_cycle", "vector_cols_per_cycle", "scalar_rows_per_cycle",
                     "scalar_cols_per_cycle", "num_dma_queues"):
            object.__setattr__(self, name, positive_int(f"CoreParams.{name}", getattr(self, name)))
        for name in ("num_partitions", "accumulator_bank_bytes_per_partition", "matmul_max_partitions",
                     "matmul_max_stationary_free", "matmul_max_moving_free", "instruction_overhead_cycles"):
            object.__setattr__(self, name, non_negative_int(f"CoreParams.{name}", getattr(self, name)))
        for name in ("offchip_bandwidth_bytes_per_s", "matrix_clock_hz", "vector_clock_hz", "scalar_clock_hz"):
            object.__setattr__(self, name, positive(f"CoreParams.{name}", getattr(self, name)))
        object.__setattr__(self, "dma_latency_s", non_negative("CoreParams.dma_latency_s", self.dma_latency_s))

    @property
    def accumulates_in_scratchpad(self) -> bool:
        """True where matmul results land in the scratchpad (TPU VMEM), not a separate accumulator (PSUM)."""
        return self.accumulator is self.scratchpad

    def macs_per_pe_per_cycle(self, dtype: str) -> float:
        """The matrix unit's rate for ``dtype`` (Trainium2 fp8 = 2, fp32 = 0.25), or an error listing the dtypes."""
        rates = self.chip.core.matrix_unit.macs_per_pe_per_cycle
        if dtype in rates:
            return rates[dtype]
        if not rates:  # the geometry-derived clock below already folds the (unpublished) rate in
            return 1.0
        raise ChiplabInputError(f"{self.chip.display_name}'s {self.engine_labels['matrix']} has no {dtype} rate; "
                                f"dtype must be one of {', '.join(rates)}")

    def peak_flops_per_s(self, dtype: str) -> float:
        """Matrix peak of this core: 2 × rows × cols × units × rate × clock."""
        return 2.0 * self.array.num_pes * self.num_matrix_units * self.macs_per_pe_per_cycle(dtype) \
            * self.matrix_clock_hz

    def describe_assumptions(self) -> list[str]:
        """One line per engine fact: value, published or assumed, and why."""
        return [f"{a.name} = {a.value:g} ({a.kind}; {a.note}; {a.source_url}, accessed {a.accessed})"
                for a in self.sources]

    def assumptions_table(self) -> str:
        """The engine facts as a Markdown table: name, value, published or assumed, why."""
        return markdown_table(["parameter", "value", "kind", "why"],
                              [[a.name, f"{a.value:g}", a.kind, a.note] for a in self.sources])


def _data() -> dict[str, Any]:
    text = resources.files("chiplab").joinpath("data", "kernels", "engines.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@functools.lru_cache(maxsize=1)
def _families() -> dict[str, dict[str, Any]]:
    data = _data()
    by_chip = {}
    for family, table in data["families"].items():
        for chip_id in table["chips"]:
            by_chip[chip_id] = (family, table)
    return {"by_chip": by_chip, "sources": data["sources"]}


def supported_chips() -> tuple[str, ...]:
    """Catalog ids of the chips whose cores the kernel simulator models."""
    return tuple(chip for chip in list_chips() if chip in _families()["by_chip"])


def _level(chip: Chip, role: str) -> MemoryLevel | None:
    return next((level for level in chip.memory_levels if level.role == role), None)


def _matrix_clock_hz(chip: Chip) -> float:
    unit = chip.core.matrix_unit
    if unit.clock_hz is not None:
        return unit.clock_hz
    # No published clock (TPU v6e): the clock at which rows x cols x units x 2 FLOP reaches the published peak.
    peak = chip.published_peak_flops_per_s.get("bf16")
    if peak is None or unit.array is None:
        raise ChiplabInputError(f"chip {chip.id!r} publishes neither a matrix clock nor a bf16 peak; "
                                f"the kernel simulator needs one of them")
    return peak / (2.0 * unit.array.num_pes * chip.num_matrix_units)


@functools.lru_cache(maxsize=64)
def _core_params_cached(chip: Chip) -> CoreParams:
    found = _families()["by_chip"].get(chip.id)
    if found is None:
        raise ChiplabInputError(f"chip must be one whose core the kernel simulator models: "
                                f"{', '.join(supported_chips())}; got {chip.id!r}")
    family, table = found
    values = table["values"]
    offchip, scratchpad = _level(chip, "offchip"), _level(chip, "scratchpad")
    accumulator = _level(chip, "accumulator") or scratchpad
    unit = chip.core.matrix_unit
    if scratchpad is None or scratchpad.capacity_bytes is None or offchip is None \
            or offchip.bandwidth_bytes_per_s is None or accumulator is None or accumulator.capacity_bytes is None \
            or unit.array is None:
        raise ChiplabInputError(f"chip {chip.id!r} lacks a scratchpad or accumulator capacity, an off-chip memory "
                                f"with a bandwidth or an array size; the kernel simulator needs them all")
    matrix_clock = _matrix_clock_hz(chip)
    sources = _families()["sources"]
    facts = tuple(Assumption(name=key, value=values[key], kind=table["provenance"][key]["kind"],
                             source_url=sources[table["provenance"][key]["source"]]["url"],
                             accessed=sources[table["provenance"][key]["source"]]["accessed"],
                             note=table["provenance"][key]["note"]) for key in _VALUE_KEYS)
    return CoreParams(
        chip=chip, family=family, engine_labels=dict(table["engine_labels"]), offchip=offchip,
        scratchpad=scratchpad, accumulator=accumulator,
        offchip_bandwidth_bytes_per_s=offchip.bandwidth_bytes_per_s / chip.num_cores,
        array=unit.array, num_matrix_units=unit.num_per_core, matrix_clock_hz=matrix_clock,
        # Where the vector and scalar clocks are unpublished (TPUs, toys) the whole core runs at one clock.
        vector_clock_hz=chip.core.vector_clock_hz or matrix_clock,
        scalar_clock_hz=chip.core.scalar_clock_hz or matrix_clock,
        sources=facts, **{key: values[key] for key in _VALUE_KEYS})


def core_params(chip: str | Chip) -> CoreParams:
    """The simulator's view of one core of ``chip`` (a Chip or a catalog name such as "trn2" or "tpu_v5e")."""
    return _core_params_cached(as_chip(chip))
