"""The parts a chip is built from: matrix units, cores, memory levels and chip-to-chip links.

Every class is a frozen, keyword-only dataclass that checks itself in ``__post_init__``, so a what-if made with
``dataclasses.replace`` is validated too. ``None`` means "not published in any source read" (never zero).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from chiplab._checks import finite, one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware._frozen import FrozenMap, freeze
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.units import FORMAT_BITS

# Number formats a chip may publish a peak for: every format of chiplab.units.FORMAT_BITS but the int32 accumulators.
DTYPES = tuple(dtype for dtype in FORMAT_BITS if dtype != "int32")

# Vendor-neutral roles, outermost first. Trainium's SBUF and TPU's VMEM are both "scratchpad": software-managed
# SRAM next to the matrix unit. GPU shared memory/L1 plays the same part; L2, TPU CMEM and AMD's Infinity Cache
# are "shared" by all cores; PSUM, TPU v1's accumulators and Blackwell's TMEM are "accumulator"s.
MEMORY_ROLES = ("offchip", "shared", "scratchpad", "accumulator", "register")

LINK_DIRECTIONS = ("bidirectional", "unidirectional")

# Clocks outside this range are almost surely a unit slip (GHz typed as Hz, or MHz as Hz).
MIN_CLOCK_HZ, MAX_CLOCK_HZ = 1e3, 1e11
# More MACs per PE per cycle than this is not a plausible datapath (Trainium3's MX mode does 4).
MAX_MACS_PER_PE_PER_CYCLE = 64


def positive_number(name: str, value: object, *, upper: float = math.inf) -> float:
    """Return ``value`` as a float if it is a finite number in (0, upper], else raise naming ``name``.

    NaN, infinities, booleans and integers too large for a float are refused (an infinite bandwidth would make
    every kernel compute-bound and teach nothing)."""
    allowed = "a number > 0" if upper == math.inf else f"a number in (0, {upper:g}]"
    try:
        number = finite(name, value)
    except ChiplabInputError:
        raise ChiplabInputError(f"{name} must be {allowed}; got {value!r}") from None
    if not 0 < number <= upper:
        raise ChiplabInputError(f"{name} must be {allowed}; got {value!r}")
    return number


def optional_positive(name: str, value: object, *, upper: float = math.inf) -> float | None:
    """Like :func:`positive_number` but ``None`` (unknown) passes through."""
    return None if value is None else positive_number(name + " (None if unknown)", value, upper=upper)


def clock(name: str, value: object) -> float | None:
    """A clock in Hz, or None; rejects values that look like GHz or MHz typed as Hz."""
    if value is None:
        return None
    hz = positive_number(name, value)
    if not MIN_CLOCK_HZ <= hz <= MAX_CLOCK_HZ:
        raise ChiplabInputError(f"{name} must be between {MIN_CLOCK_HZ:g} and {MAX_CLOCK_HZ:g} Hz "
                                f"(1.4 GHz is 1.4e9); got {value!r}")
    return hz


def dtype_table(name: str, table: Mapping[str, object] | None, *, upper: float = math.inf) -> FrozenMap:
    """A {dtype: positive number} table with known dtype names, frozen."""
    if not isinstance(table, Mapping):
        raise ChiplabInputError(f"{name} must be a mapping from dtype to number; got {table!r}")
    checked = {}
    for dtype, value in table.items():
        key = one_of(f"{name} key", dtype, DTYPES)
        checked[key] = positive_number(f"{name}[{key!r}]", value, upper=upper)
    return freeze(checked)


def _label(owner: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChiplabInputError(f"{owner}: {name} must be a non-empty string; got {value!r}")
    return value.strip()


@dataclass(frozen=True, kw_only=True)
class MatrixUnit:
    """One matrix-multiply engine: a TPU MXU, a Trainium Tensor Engine, a GPU tensor core.

    ``array`` is its grid of processing elements (PEs) and ``macs_per_pe_per_cycle`` how many multiply-accumulates
    each PE finishes per cycle for each dtype (Trainium2's FP8 "double-row" mode does 2). When
    ``is_systolic_array`` is False the grid is an *equivalent* one (R·C = published MACs per clock), not a
    physical systolic array; GPU tensor cores are wide dot-product units fed from registers.

    >>> mxu = MatrixUnit(label="MXU", array=SystolicArraySpec(num_rows=128, num_cols=128), clock_hz=1.5e9,
    ...                  macs_per_pe_per_cycle={"bf16": 1})
    >>> f"{mxu.peak_flops_per_s('bf16'):.4g}"   # 2 FLOP per MAC x 128 x 128 x 1.5 GHz
    '4.915e+13'
    """

    label: str = "matrix unit"
    num_per_core: int = 1
    array: SystolicArraySpec | None = None
    clock_hz: float | None = None
    macs_per_pe_per_cycle: Mapping[str, float] = field(default_factory=FrozenMap)
    is_systolic_array: bool = True

    def __post_init__(self) -> None:
        label = _label("matrix unit", "label", self.label)
        object.__setattr__(self, "label", label)
        owner = f"matrix unit {label!r}"
        object.__setattr__(self, "num_per_core", positive_int(f"{owner}: num_per_core", self.num_per_core))
        if self.array is not None and not isinstance(self.array, SystolicArraySpec):
            raise ChiplabInputError(f"{owner}: array must be a SystolicArraySpec or None; got {self.array!r}")
        object.__setattr__(self, "clock_hz", clock(f"{owner}: clock_hz", self.clock_hz))
        object.__setattr__(self, "macs_per_pe_per_cycle", dtype_table(
            f"{owner}: macs_per_pe_per_cycle", self.macs_per_pe_per_cycle, upper=MAX_MACS_PER_PE_PER_CYCLE))
        if not isinstance(self.is_systolic_array, bool):
            raise ChiplabInputError(f"{owner}: is_systolic_array must be True or False; "
                                    f"got {self.is_systolic_array!r}")

    def can_derive_peak(self, dtype: str) -> bool:
        """Whether geometry, clock and per-PE rate are all known for ``dtype``."""
        return self.array is not None and self.clock_hz is not None and dtype in self.macs_per_pe_per_cycle

    def peak_flops_per_s(self, dtype: str) -> float:
        """Peak of ONE unit: 2 FLOP/MAC × rows × cols × MACs/PE/cycle × clock."""
        dtype = one_of("dtype", dtype, DTYPES)
        if not self.can_derive_peak(dtype):
            raise ChiplabInputError(
                f"matrix unit {self.label!r} cannot derive a {dtype} peak: it needs array, clock_hz and "
                f"macs_per_pe_per_cycle[{dtype!r}] (array={self.array}, clock_hz={self.clock_hz}, "
                f"dtypes with a rate: {', '.join(self.macs_per_pe_per_cycle) or 'none'})")
        assert self.array is not None and self.clock_hz is not None
        return 2.0 * self.array.num_pes * self.macs_per_pe_per_cycle[dtype] * self.clock_hz


@dataclass(frozen=True, kw_only=True)
class Core:
    """One core: a TPU TensorCore, a NeuronCore, a GPU SM or CU. The chip has ``Chip.num_cores`` identical ones.

    The vector and scalar engines' clocks are given where the vendor publishes them (Trainium's NKI guides).
    """

    label: str
    matrix_unit: MatrixUnit
    vector_clock_hz: float | None = None
    scalar_clock_hz: float | None = None

    def __post_init__(self) -> None:
        label = _label("core", "label", self.label)
        object.__setattr__(self, "label", label)
        if not isinstance(self.matrix_unit, MatrixUnit):
            raise ChiplabInputError(f"core {label!r}: matrix_unit must be a MatrixUnit; got {self.matrix_unit!r}")
        for name in ("vector_clock_hz", "scalar_clock_hz"):
            object.__setattr__(self, name, clock(f"core {label!r}: {name}", getattr(self, name)))


@dataclass(frozen=True, kw_only=True)
class MemoryLevel:
    """One level of the memory hierarchy.

    ``capacity_bytes`` and ``bandwidth_bytes_per_s`` are per instance: per core when ``per_core`` is True,
    else for the whole chip. Bandwidth is what the level can deliver towards the compute units.

    >>> MemoryLevel(role="scratchpad", vendor_label="SBUF", capacity_bytes=24 * 2**20, per_core=True).role
    'scratchpad'
    """

    role: str
    vendor_label: str
    capacity_bytes: int | None = None
    bandwidth_bytes_per_s: float | None = None
    per_core: bool = False
    technology: str = ""

    def __post_init__(self) -> None:
        label = _label("memory level", "vendor_label", self.vendor_label)
        object.__setattr__(self, "vendor_label", label)
        owner = f"memory level {label!r}"
        object.__setattr__(self, "role", one_of(f"{owner}: role", self.role, MEMORY_ROLES))
        if self.capacity_bytes is not None:
            object.__setattr__(self, "capacity_bytes",
                               positive_int(f"{owner}: capacity_bytes (None if unknown)", self.capacity_bytes))
        object.__setattr__(self, "bandwidth_bytes_per_s",
                           optional_positive(f"{owner}: bandwidth_bytes_per_s", self.bandwidth_bytes_per_s))
        if not isinstance(self.per_core, bool):
            raise ChiplabInputError(f"{owner}: per_core must be True or False; got {self.per_core!r}")
        if not isinstance(self.technology, str):
            raise ChiplabInputError(f"{owner}: technology must be a string; got {self.technology!r}")


@dataclass(frozen=True, kw_only=True)
class Link:
    """Chip-to-chip interconnect: TPU ICI, AWS NeuronLink, NVIDIA NVLink, AMD Infinity Fabric.

    ``bandwidth_bytes_per_s`` is the vendor's per-chip aggregate over all ``num_links``; ``direction`` says
    whether it adds both directions ("bidirectional", how NVLink/ICI/NeuronLink totals are quoted) or counts
    one. ``per_link_one_way_bytes_per_s`` is kept separately where a source quotes per-link figures.
    ``max_chips`` is the largest group the link connects directly (pod, UltraServer, NVLink domain).
    """

    name: str
    bandwidth_bytes_per_s: float | None = None
    direction: str = "bidirectional"
    num_links: int | None = None
    per_link_one_way_bytes_per_s: float | None = None
    topology: str = ""
    max_chips: int | None = None

    def __post_init__(self) -> None:
        name = _label("link", "name", self.name)
        object.__setattr__(self, "name", name)
        owner = f"link {name!r}"
        object.__setattr__(self, "bandwidth_bytes_per_s",
                           optional_positive(f"{owner}: bandwidth_bytes_per_s", self.bandwidth_bytes_per_s))
        object.__setattr__(self, "direction", one_of(f"{owner}: direction", self.direction, LINK_DIRECTIONS))
        object.__setattr__(self, "per_link_one_way_bytes_per_s", optional_positive(
            f"{owner}: per_link_one_way_bytes_per_s", self.per_link_one_way_bytes_per_s))
        for count in ("num_links", "max_chips"):
            value = getattr(self, count)
            if value is not None:
                object.__setattr__(self, count, positive_int(f"{owner}: {count} (None if unknown)", value))
        if not isinstance(self.topology, str):
            raise ChiplabInputError(f"{owner}: topology must be a string; got {self.topology!r}")

    @property
    def one_way_bandwidth_bytes_per_s(self) -> float | None:
        """The aggregate in one direction (half a bidirectional total)."""
        if self.bandwidth_bytes_per_s is None:
            return None
        return self.bandwidth_bytes_per_s / (2 if self.direction == "bidirectional" else 1)
