"""Design your own chip: a catalog chip with its arrays, cores, clock, SRAM and HBM changed, validated like any chip.

A design starts from a *base* chip of the catalog and keeps everything the knobs do not touch: the memory
hierarchy's roles and labels, the links (so it can scale out like its base), the number formats and each
processing element's rate per format (Trainium2's double-rate FP8, say). The knobs are the ones an architect
turns first: the array's rows and columns, the arrays per core, the cores per chip, the matrix clock, the
scratchpad (SBUF, VMEM, GPU shared memory) per core, the accumulator, and the off-chip memory.

How a design's numbers follow from its base (each one a stated modelling choice):

* **Peak.** For every number format whose peak the base can derive from its geometry (rows, columns, clock and
  MACs per PE per cycle all published), the design's peak is the base's *published* peak scaled by how much the
  matrix hardware grew::

      peak(design) = peak(base) × (cores · arrays · rows · cols · clock)(design) / (same)(base)

  so an unchanged design performs exactly like its base, including the gap some vendors leave between their
  published chip total and the geometry (Trainium2's total sits ~6% above its Tensor Engines; the catalog
  documents it). Formats the base publishes but cannot derive from geometry (no per-PE rate) are dropped: the
  knobs say nothing about them.
* **Vector units** (norms, softmax, the optimizer) scale with the number of cores; the vector clock is separate
  from the matrix clock and stays.
* **Memory.** The scratchpad and accumulator capacities are per core; the off-chip bandwidth and capacity are the
  chip's. Shared levels (a GPU's L2, TPU v4's CMEM) and their sizes stay as they are.
* **Unknowns.** A new design's die area and transistor count are unknown (None); so is its power unless you give
  ``tdp_w`` — the model does not derive power from a floor plan.
* **Provenance.** Numbers the design leaves unchanged keep their sources; changed numbers are design choices and
  have none. The chip is ``kind="toy"`` (invented, not in the catalog) with ``family="custom"``.

>>> design = design_chip("trainium2", num_rows=256, num_cols=256)
>>> design.peak_flops_per_s("bf16") / load_chip("trainium2").peak_flops_per_s("bf16")   # 4× the PEs
4.0
>>> design_chip("trainium2").peak_flops_per_s("bf16") == load_chip("trainium2").peak_flops_per_s("bf16")
True
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, cast

from chiplab._checks import positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip, list_chips, load_chip
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import DTYPES, MemoryLevel, positive_number
from chiplab.hardware.provenance import Provenance

# More cores than this on one chip is a typo (H100 has 132 SMs, MI300X 304 CUs): it catches 1280 for 128.
MAX_NUM_CORES = 4096
# More matrix units per core than this is not a plausible core (TPU v4/v5p have 4 MXUs per TensorCore).
MAX_ARRAYS_PER_CORE = 64

def can_be_designed_from(chip: Chip) -> bool:
    """Whether ``chip`` can be a design's base: some number format's peak follows from its published geometry,
    clock and per-PE rate, and it has a scratchpad with a known size to tile into."""
    unit = chip.core.matrix_unit
    scratchpad = next((level for level in chip.memory_levels if level.role == "scratchpad"), None)
    return (any(unit.can_derive_peak(dtype) for dtype in DTYPES) and scratchpad is not None
            and scratchpad.capacity_bytes is not None and chip.hbm.bandwidth_bytes_per_s is not None)


def designable_bases() -> list[str]:
    """Catalog chips a design can start from (see :func:`can_be_designed_from`), in catalog order."""
    return [chip_id for chip_id in list_chips() if can_be_designed_from(load_chip(chip_id))]


def _matrix_scale(unit_count: int, rows: int, cols: int, clock_hz: float) -> float:
    return unit_count * rows * cols * clock_hz


def _int_or_none(name: str, value: object, upper: int | None = None) -> int | None:
    if value is None:
        return None
    number = positive_int(name, value)
    if upper is not None and number > upper:
        raise ChiplabInputError(f"{name} must be between 1 and {upper:,}; got {value!r}")
    return number


def _number_or_none(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ChiplabInputError(f"{name} must be a finite number > 0; got {value!r}")
    return positive_number(name, value)


def _replace_level(levels: tuple[MemoryLevel, ...], role: str, **changes: Any) -> tuple[MemoryLevel, ...]:
    """``levels`` with the outermost level of ``role`` changed (validated by MemoryLevel again)."""
    target = next((level for level in levels if level.role == role), None)
    if target is None:
        raise ChiplabInputError(f"the base chip has no {role} level to change; its levels are "
                                f"{', '.join(f'{lvl.vendor_label} ({lvl.role})' for lvl in levels)}")
    new = dataclasses.replace(target, **changes)
    return tuple(new if level is target else level for level in levels)


def design_chip(base: str | Chip = "trainium2", *, num_rows: int | None = None, num_cols: int | None = None,
                num_arrays_per_core: int | None = None, num_cores: int | None = None,
                clock_hz: float | None = None, scratchpad_bytes: int | None = None,
                accumulator_bytes: int | None = None, hbm_bandwidth_bytes_per_s: float | None = None,
                hbm_capacity_bytes: int | None = None, tdp_w: float | None = None, chip_id: str = "custom",
                display_name: str | None = None) -> Chip:
    """A chip like ``base`` (a catalog id, alias or :class:`Chip`) with the given parts changed; every argument
    left as None keeps the base's value. See the module docstring for what follows from what.

    ``scratchpad_bytes`` and ``accumulator_bytes`` are per core; ``hbm_*`` are the chip's off-chip memory.
    Invalid values raise :class:`~chiplab.errors.ChiplabInputError` naming the parameter, the value and the
    allowed range.
    """
    base_chip = as_chip(base)
    if not can_be_designed_from(base_chip):
        raise ChiplabInputError(
            f"base must be a chip whose peak follows from its published array, clock and per-PE rate and which "
            f"has a scratchpad of known size; {base_chip.id!r} lacks one of them. Designable bases: "
            f"{', '.join(designable_bases())}")
    unit = base_chip.core.matrix_unit
    assert unit.array is not None and unit.clock_hz is not None  # can_be_designed_from checked them
    num_rows = _int_or_none("num_rows", num_rows)
    num_cols = _int_or_none("num_cols", num_cols)
    num_arrays_per_core = _int_or_none("num_arrays_per_core", num_arrays_per_core, MAX_ARRAYS_PER_CORE)
    num_cores = _int_or_none("num_cores", num_cores, MAX_NUM_CORES)
    clock_hz = _number_or_none("clock_hz", clock_hz)
    scratchpad_bytes = _int_or_none("scratchpad_bytes", scratchpad_bytes)
    accumulator_bytes = _int_or_none("accumulator_bytes", accumulator_bytes)
    hbm_bandwidth_bytes_per_s = _number_or_none("hbm_bandwidth_bytes_per_s", hbm_bandwidth_bytes_per_s)
    hbm_capacity_bytes = _int_or_none("hbm_capacity_bytes", hbm_capacity_bytes)
    tdp_w = _number_or_none("tdp_w", tdp_w)

    # The base's tile-load rate (rows a cycle) carries over to a resized array, like its per-PE MAC rates; an
    # array with fewer rows than that rate loads its whole tile in one cycle (the rate is capped at its rows).
    rows = num_rows or unit.array.num_rows
    array = dataclasses.replace(unit.array, num_rows=rows, num_cols=num_cols or unit.array.num_cols,
                                stationary_load_rows_per_cycle=min(unit.array.stationary_load_rows_per_cycle, rows))
    new_unit = dataclasses.replace(unit, array=array, num_per_core=num_arrays_per_core or unit.num_per_core,
                                   clock_hz=clock_hz or unit.clock_hz)  # MatrixUnit checks the clock's range
    cores = num_cores or base_chip.num_cores
    scale = (_matrix_scale(cores * new_unit.num_per_core, array.num_rows, array.num_cols,
                           cast(float, new_unit.clock_hz))  # the base's clock or the one given: never None
             / _matrix_scale(base_chip.num_matrix_units, unit.array.num_rows, unit.array.num_cols, unit.clock_hz))
    published = {dtype: peak * scale for dtype, peak in base_chip.published_peak_flops_per_s.items()
                 if unit.can_derive_peak(dtype)}
    vector = {dtype: peak * cores / base_chip.num_cores for dtype, peak in base_chip.vector_peak_flops_per_s.items()}

    levels = base_chip.memory_levels
    if scratchpad_bytes is not None:
        levels = _replace_level(levels, "scratchpad", capacity_bytes=scratchpad_bytes)
    if accumulator_bytes is not None:
        levels = _replace_level(levels, "accumulator", capacity_bytes=accumulator_bytes)
    offchip_changes = {name: value for name, value in (("bandwidth_bytes_per_s", hbm_bandwidth_bytes_per_s),
                                                       ("capacity_bytes", hbm_capacity_bytes)) if value is not None}
    if offchip_changes:
        levels = _replace_level(levels, "offchip", **offchip_changes)

    changes = {name: value for name, value in (
        ("num_rows", num_rows), ("num_cols", num_cols), ("num_arrays_per_core", num_arrays_per_core),
        ("num_cores", num_cores), ("clock_hz", clock_hz), ("scratchpad_bytes", scratchpad_bytes),
        ("accumulator_bytes", accumulator_bytes), ("hbm_bandwidth_bytes_per_s", hbm_bandwidth_bytes_per_s),
        ("hbm_capacity_bytes", hbm_capacity_bytes), ("tdp_w", tdp_w)) if value is not None}
    described = ", ".join(f"{name}={value:g}" for name, value in changes.items()) or "no changes"
    exceptions = {dtype: reason for dtype, reason in base_chip.peak_check_exceptions.items()
                  if dtype == "all" or dtype in published}
    design = dataclasses.replace(
        base_chip, id=chip_id, display_name=display_name or f"Custom design (from {base_chip.display_name})",
        vendor="chiplab design", family="custom", kind="toy", num_cores=cores,
        core=dataclasses.replace(base_chip.core, matrix_unit=new_unit), memory_levels=levels,
        published_peak_flops_per_s=published, vector_peak_flops_per_s=vector, tdp_w=tdp_w, die_area_mm2=None,
        num_transistors=None, aliases=(), peak_check_exceptions=exceptions,
        designed_from=base_chip.designed_from or base_chip.id,
        notes=(f"Designed in chiplab from {base_chip.id} ({described}); not a real chip.",
               f"Peaks are {base_chip.id}'s published peaks × {scale:.4g}, the growth of its matrix hardware "
               "(cores × arrays × rows × cols × clock)."),
        provenance={})
    return dataclasses.replace(design, provenance=_unchanged_provenance(base_chip, design))


def _unchanged_provenance(base: Chip, design: Chip) -> dict[str, Provenance]:
    """The base's sources for the numbers the design did not change (changed numbers are design choices)."""
    before, after = base.numeric_fields(), design.numeric_fields()
    kept = {key for key, value in after.items() if key in before and before[key] == value}
    kept |= {key for key, value in design.text_fields().items() if base.text_fields().get(key) == value}
    return {key: record for key, record in base.provenance.items() if key in kept}
