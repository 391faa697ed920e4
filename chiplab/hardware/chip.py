"""A whole accelerator chip in one vocabulary: TPUs, Trainium/Inferentia and GPUs side by side.

Chip → ``num_cores`` identical :class:`Core`\\ s → each with ``num_per_core`` :class:`MatrixUnit`\\ s; an ordered
memory hierarchy (outermost → innermost); chip-to-chip :class:`Link`\\ s; power; and a provenance record for
every number. Load real chips with :func:`chiplab.hardware.load_chip`; make what-ifs with
``dataclasses.replace`` (validated like the original).

Peaks count FLOP/s with a multiply-accumulate as 2 operations, integer formats included (vendors' TOPS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from chiplab._checks import one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware._frozen import FrozenMap, freeze
from chiplab.hardware.components import (
    DTYPES,
    MEMORY_ROLES,
    Core,
    Link,
    MemoryLevel,
    dtype_table,
    optional_positive,
)
from chiplab.hardware.plausibility import check_any_chip
from chiplab.hardware.provenance import Provenance

# "baseline": a real chip kept so a paper's comparisons can be reproduced (the TPU v1 paper's Haswell CPU and K80
# GPU), not an AI accelerator the models target; listed after the real chips, before the toys.
CHIP_KINDS = ("real", "baseline", "toy")

# A published peak "closes" when cores × units × rows × cols × 2 × clock × rate lands within this fraction
# of it. The TPUs and GPUs that close do so within 0.3%; Trainium's chip totals sit 3-7% above their Tensor
# Engine geometry, which is exactly the kind of gap the catalog documents instead of hiding.
PEAK_CHECK_TOLERANCE_FRACTION = 0.02

# Key of ``peak_check_exceptions`` that applies to every dtype with a published peak.
ALL_DTYPES = "all"

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, kw_only=True)
class PeakCheck:
    """Does the published peak follow from the geometry? See :meth:`Chip.peak_check`."""

    chip_id: str
    dtype: str
    published_flops_per_s: float | None
    derived_flops_per_s: float | None
    tolerance_fraction: float
    documented_exception: str

    @property
    def relative_gap_fraction(self) -> float | None:
        """(derived − published) / published, or None when either is unknown."""
        if self.published_flops_per_s is None or self.derived_flops_per_s is None:
            return None
        return (self.derived_flops_per_s - self.published_flops_per_s) / self.published_flops_per_s

    @property
    def closes(self) -> bool:
        gap = self.relative_gap_fraction
        return gap is not None and abs(gap) <= self.tolerance_fraction


@dataclass(frozen=True, kw_only=True)
class Chip:
    """One accelerator chip. See the module docstring and ``chiplab/data/chips/README.md``.

    >>> from chiplab.hardware import load_chip
    >>> toy = load_chip("toy_4x4")
    >>> toy.peak_flops_per_s("int8"), toy.ridge_point_flops_per_byte("int8")
    (32000000000.0, 8.0)
    """

    id: str
    display_name: str
    vendor: str
    family: str
    kind: str
    num_cores: int
    core: Core
    memory_levels: tuple[MemoryLevel, ...]
    links: tuple[Link, ...] = ()
    published_peak_flops_per_s: Mapping[str, float] = field(default_factory=FrozenMap)
    vector_peak_flops_per_s: Mapping[str, float] = field(default_factory=FrozenMap)
    tdp_w: float | None = None
    process_node: str = ""
    die_area_mm2: float | None = None
    num_transistors: int | None = None
    aliases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    peak_check_exceptions: Mapping[str, str] = field(default_factory=FrozenMap)
    provenance: Mapping[str, Provenance] = field(default_factory=FrozenMap)
    # A design (chiplab.hardware.custom) names the catalog chip it was designed from, so that what hardware cannot
    # say about it — the software efficiency of the fitted calibration — is its base's; "" for a catalog chip.
    designed_from: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ChiplabInputError(f"chip id must be lower-case letters, digits and _ (e.g. 'tpu_v5e'); "
                                    f"got {self.id!r}")
        owner = f"chip {self.id!r}"
        for name in ("display_name", "vendor", "family"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ChiplabInputError(f"{owner}: {name} must be a non-empty string; got {getattr(self, name)!r}")
        object.__setattr__(self, "kind", one_of(f"{owner}: kind", self.kind, CHIP_KINDS))
        object.__setattr__(self, "num_cores", positive_int(f"{owner}: num_cores", self.num_cores))
        if not isinstance(self.core, Core):
            raise ChiplabInputError(f"{owner}: core must be a Core; got {self.core!r}")
        self._check_memory_levels(owner)
        self._check_links(owner)
        for table in ("published_peak_flops_per_s", "vector_peak_flops_per_s"):
            object.__setattr__(self, table, dtype_table(f"{owner}: {table}", getattr(self, table)))
        object.__setattr__(self, "tdp_w", optional_positive(f"{owner}: tdp_w", self.tdp_w))
        object.__setattr__(self, "die_area_mm2", optional_positive(f"{owner}: die_area_mm2", self.die_area_mm2))
        if self.num_transistors is not None:
            object.__setattr__(self, "num_transistors",
                               positive_int(f"{owner}: num_transistors", self.num_transistors))
        for name in ("aliases", "notes"):
            texts = getattr(self, name)
            if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
                raise ChiplabInputError(f"{owner}: {name} must be a list of strings; got {texts!r}")
            object.__setattr__(self, name, tuple(texts))
        for name in ("peak_check_exceptions", "provenance"):
            if not isinstance(getattr(self, name), Mapping):
                raise ChiplabInputError(f"{owner}: {name} must be a mapping; got {getattr(self, name)!r}")
        self._check_exceptions(owner)
        if not all(isinstance(p, Provenance) for p in self.provenance.values()):
            raise ChiplabInputError(f"{owner}: provenance values must be Provenance records")
        object.__setattr__(self, "provenance", freeze(self.provenance))
        check_any_chip(self)

    def _check_memory_levels(self, owner: str) -> None:
        levels = tuple(self.memory_levels)
        if not levels or not all(isinstance(level, MemoryLevel) for level in levels):
            raise ChiplabInputError(f"{owner}: memory_levels must be a non-empty sequence of MemoryLevel, "
                                    f"outermost first; got {self.memory_levels!r}")
        ranks = [MEMORY_ROLES.index(level.role) for level in levels]
        for outer, inner, level in zip(ranks, ranks[1:], levels[1:], strict=False):
            if inner < outer:
                raise ChiplabInputError(
                    f"{owner}: memory_levels must run outermost → innermost ({' → '.join(MEMORY_ROLES)}); "
                    f"{level.vendor_label!r} ({level.role}) comes after a level further in")
        labels = [level.vendor_label.lower() for level in levels]
        if len(set(labels)) != len(labels):
            raise ChiplabInputError(f"{owner}: memory level vendor_labels must be unique; got {labels}")
        object.__setattr__(self, "memory_levels", levels)

    def _check_links(self, owner: str) -> None:
        links = tuple(self.links)
        if not all(isinstance(link, Link) for link in links):
            raise ChiplabInputError(f"{owner}: links must be Link objects; got {self.links!r}")
        names = [link.name.lower() for link in links]
        if len(set(names)) != len(names):
            raise ChiplabInputError(f"{owner}: link names must be unique; got {names}")
        object.__setattr__(self, "links", links)

    def _check_exceptions(self, owner: str) -> None:
        allowed = (ALL_DTYPES, *self.published_peak_flops_per_s)
        for dtype, reason in self.peak_check_exceptions.items():
            one_of(f"{owner}: peak_check_exceptions key (a dtype with a published peak)", dtype, allowed)
            if not isinstance(reason, str) or not reason.strip():
                raise ChiplabInputError(f"{owner}: peak_check_exceptions[{dtype!r}] must explain the gap; "
                                        f"got {reason!r}")
        object.__setattr__(self, "peak_check_exceptions", freeze(self.peak_check_exceptions))

    # --- compute -----------------------------------------------------------------------------------------

    @property
    def num_matrix_units(self) -> int:
        """Matrix units on the whole chip: cores × units per core."""
        return self.num_cores * self.core.matrix_unit.num_per_core

    def derived_peak_flops_per_s(self, dtype: str) -> float | None:
        """cores × units × (2 × rows × cols × MACs/PE/cycle × clock), or None if any factor is unpublished."""
        dtype = one_of("dtype", dtype, DTYPES)
        unit = self.core.matrix_unit
        return self.num_matrix_units * unit.peak_flops_per_s(dtype) if unit.can_derive_peak(dtype) else None

    @property
    def peak_dtypes(self) -> tuple[str, ...]:
        """Dtypes for which :meth:`peak_flops_per_s` has an answer, in :data:`DTYPES` order."""
        return tuple(d for d in DTYPES if d in self.published_peak_flops_per_s
                     or self.core.matrix_unit.can_derive_peak(d) or d in self.vector_peak_flops_per_s)

    def peak_flops_per_s(self, dtype: str) -> float:
        """Dense peak for ``dtype``: the vendor's published chip peak when there is one, else the peak derived
        from the matrix units, else the vector (non-matrix) peak."""
        dtype = one_of("dtype", dtype, DTYPES)
        if dtype in self.published_peak_flops_per_s:
            return self.published_peak_flops_per_s[dtype]
        derived = self.derived_peak_flops_per_s(dtype)
        if derived is not None:
            return derived
        if dtype in self.vector_peak_flops_per_s:
            return self.vector_peak_flops_per_s[dtype]
        raise ChiplabInputError(f"chip {self.id!r} has no {dtype} peak; dtype must be one of "
                                f"{', '.join(self.peak_dtypes) or '(none known)'}")

    def peak_check(self, dtype: str) -> PeakCheck:
        """Compare the published peak for ``dtype`` with cores × units × rows × cols × 2 × clock × rate."""
        dtype = one_of("dtype", dtype, DTYPES)
        reason = self.peak_check_exceptions.get(dtype) or self.peak_check_exceptions.get(ALL_DTYPES, "")
        return PeakCheck(chip_id=self.id, dtype=dtype,
                         published_flops_per_s=self.published_peak_flops_per_s.get(dtype),
                         derived_flops_per_s=self.derived_peak_flops_per_s(dtype),
                         tolerance_fraction=PEAK_CHECK_TOLERANCE_FRACTION, documented_exception=reason)

    # --- memory ------------------------------------------------------------------------------------------

    def memory_level(self, role_or_label: str) -> MemoryLevel:
        """The level with this vendor label ("HBM", "SBUF", "VMEM"), else the outermost with this role."""
        wanted = str(role_or_label).strip().lower()
        for level in self.memory_levels:
            if level.vendor_label.lower() == wanted:
                return level
        for level in self.memory_levels:
            if level.role == wanted:
                return level
        choices = [level.vendor_label for level in self.memory_levels]
        choices += sorted({level.role for level in self.memory_levels})
        raise ChiplabInputError(f"chip {self.id!r} has no memory level {role_or_label!r}; "
                                f"role_or_label must be one of {', '.join(choices)}")

    @property
    def hbm(self) -> MemoryLevel:
        """The off-chip main memory (HBM on most chips; DDR3 on TPU v1, DRAM on Inferentia1)."""
        return self.memory_level("offchip")

    def total_capacity_bytes(self, role_or_label: str) -> int | None:
        """Capacity of a level summed over the chip (× num_cores for per-core levels); None if unknown."""
        level = self.memory_level(role_or_label)
        if level.capacity_bytes is None:
            return None
        return level.capacity_bytes * (self.num_cores if level.per_core else 1)

    def ridge_point_flops_per_byte(self, dtype: str, level: str = "offchip") -> float:
        """Operational intensity (FLOP per byte moved from ``level``) above which a kernel is compute-bound:
        peak FLOP/s ÷ the level's bandwidth. Counts FLOPs (2 per MAC); halve it for MACs per byte."""
        memory = self.memory_level(level)
        if memory.bandwidth_bytes_per_s is None:
            raise ChiplabInputError(f"chip {self.id!r}: the bandwidth of {memory.vendor_label} is not known, "
                                    f"so it has no ridge point; pick a level with a bandwidth")
        bandwidth = memory.bandwidth_bytes_per_s * (self.num_cores if memory.per_core else 1)
        return self.peak_flops_per_s(dtype) / bandwidth

    # --- provenance --------------------------------------------------------------------------------------

    def numeric_fields(self) -> dict[str, float]:
        """Every known number of the chip by its provenance key: where the number sits in the chip's TOML file,
        with memory levels and links named by label, e.g. ``"memory.HBM.bandwidth_bytes_per_s"``."""
        values: dict[str, float | None] = {"num_cores": self.num_cores, "tdp_w": self.tdp_w,
                                           "die_area_mm2": self.die_area_mm2,
                                           "num_transistors": self.num_transistors}
        unit = self.core.matrix_unit
        values["core.vector_clock_hz"] = self.core.vector_clock_hz
        values["core.scalar_clock_hz"] = self.core.scalar_clock_hz
        values["core.matrix_unit.num_per_core"] = unit.num_per_core
        values["core.matrix_unit.clock_hz"] = unit.clock_hz
        if unit.array is not None:
            values["core.matrix_unit.num_rows"] = unit.array.num_rows
            values["core.matrix_unit.num_cols"] = unit.array.num_cols
            if unit.array.stationary_load_rows_per_cycle != 1:  # 1, one row a cycle, is the unsourced default
                values["core.matrix_unit.stationary_load_rows_per_cycle"] = unit.array.stationary_load_rows_per_cycle
        for dtype, rate in unit.macs_per_pe_per_cycle.items():
            values[f"core.matrix_unit.macs_per_pe_per_cycle.{dtype}"] = rate
        for dtype, peak in self.published_peak_flops_per_s.items():
            values[f"peak_flops_per_s.{dtype}"] = peak
        for dtype, peak in self.vector_peak_flops_per_s.items():
            values[f"vector_peak_flops_per_s.{dtype}"] = peak
        for level in self.memory_levels:
            values[f"memory.{level.vendor_label}.capacity_bytes"] = level.capacity_bytes
            values[f"memory.{level.vendor_label}.bandwidth_bytes_per_s"] = level.bandwidth_bytes_per_s
        for link in self.links:
            for name in ("bandwidth_bytes_per_s", "num_links", "per_link_one_way_bytes_per_s", "max_chips"):
                values[f"links.{link.name}.{name}"] = getattr(link, name)
        return {path: value for path, value in values.items() if value is not None}

    def text_fields(self) -> dict[str, str]:
        """Sourced facts that are words, not numbers (process node, link topology)."""
        texts = {"process_node": self.process_node}
        texts.update({f"links.{link.name}.topology": link.topology for link in self.links})
        return {path: text for path, text in texts.items() if text}

    def __str__(self) -> str:
        unit = self.core.matrix_unit
        shape = str(unit.array) if unit.array else "array size unpublished"
        return (f"{self.display_name}: {self.num_cores} × {self.core.label}, "
                f"{unit.num_per_core} × {unit.label} ({shape}) each; "
                f"memory {' → '.join(level.vendor_label for level in self.memory_levels)}")
