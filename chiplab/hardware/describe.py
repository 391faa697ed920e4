"""Markdown tables of the chip catalog, for the book and notebooks: chips side by side, their memory levels,
ridge points, peak checks, what is unpublished, and where every number comes from.

Every cell is read from the catalog when the table is built; nothing here is typed by hand. Unknown values
show as "unpublished" (never as zero), and derived values say so.

>>> print(chip_table(["toy_4x4"], ["cores", "array", "peak_int8"]))
| chip | cores | matrix-unit array | peak int8 |
|---|---|---|---|
| Toy 4x4 (teaching chip) | 1 × core | 4×4 | 32 GFLOP/s (from geometry) |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from chiplab._checks import one_of, some_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip, as_chips
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import DTYPES, MEMORY_ROLES, MemoryLevel
from chiplab.hardware.source_tables import source_cell
from chiplab.tables import markdown_table
from chiplab.units import format_bytes, format_rate

UNPUBLISHED = "unpublished"
CONVENTIONS = ("flops_per_byte", "macs_per_byte")


def _array(chip: Chip) -> str:
    unit = chip.core.matrix_unit
    if unit.array is None:
        return UNPUBLISHED
    shape = f"{unit.array.num_rows}×{unit.array.num_cols}"
    return shape if unit.is_systolic_array else f"{shape} (equivalent)"


def _rate_or_unknown(value: float | None, unit: str) -> str:
    return UNPUBLISHED if value is None else format_rate(value, unit)


def peak_cell(chip: Chip, dtype: str) -> str:
    """The chip's dense ``dtype`` peak as text, saying where it comes from when the vendor publishes none."""
    dtype = one_of("dtype", dtype, DTYPES)
    if dtype in chip.published_peak_flops_per_s:
        return format_rate(chip.published_peak_flops_per_s[dtype], "FLOP/s")
    derived = chip.derived_peak_flops_per_s(dtype)
    if derived is not None:
        return format_rate(derived, "FLOP/s") + " (from geometry)"
    if dtype in chip.vector_peak_flops_per_s:
        return format_rate(chip.vector_peak_flops_per_s[dtype], "FLOP/s") + " (vector unit)"
    return "—"


def _links(chip: Chip) -> str:
    if not chip.links:
        return "none"
    return "; ".join(f"{link.name}: {_rate_or_unknown(link.bandwidth_bytes_per_s, 'B/s')}" for link in chip.links)


# Columns of chip_table: name → (header, cell). Peak columns exist for every dtype, as "peak_<dtype>".
COLUMNS: dict[str, tuple[str, Callable[[Chip], str]]] = {
    "vendor": ("vendor", lambda c: c.vendor),
    "cores": ("cores", lambda c: f"{c.num_cores} × {c.core.label}"),
    "matrix_units": ("matrix units per core", lambda c: f"{c.core.matrix_unit.num_per_core} × "
                                                        f"{c.core.matrix_unit.label}"),
    "array": ("matrix-unit array", _array),
    "systolic": ("systolic?", lambda c: "yes" if c.core.matrix_unit.is_systolic_array else "no"),
    "matrix_clock": ("matrix-unit clock", lambda c: _rate_or_unknown(c.core.matrix_unit.clock_hz, "Hz")),
    "hbm_capacity": ("off-chip capacity", lambda c: UNPUBLISHED if c.hbm.capacity_bytes is None
                     else format_bytes(c.hbm.capacity_bytes)),
    "hbm_bandwidth": ("off-chip bandwidth", lambda c: _rate_or_unknown(c.hbm.bandwidth_bytes_per_s, "B/s")),
    "tdp": ("power (TDP)", lambda c: _rate_or_unknown(c.tdp_w, "W")),
    "process": ("process", lambda c: c.process_node or UNPUBLISHED),
    "links": ("chip-to-chip links", _links),
}


def _peak_column(dtype: str) -> Callable[[Chip], str]:
    return lambda chip: peak_cell(chip, dtype)


COLUMNS.update({f"peak_{dtype}": (f"peak {dtype}", _peak_column(dtype)) for dtype in DTYPES})
DEFAULT_COLUMNS = ("vendor", "cores", "matrix_units", "array", "matrix_clock", "peak_bf16", "hbm_capacity",
                   "hbm_bandwidth")


def chip_table(chip_ids: Iterable[str | Chip], fields: Sequence[str] = DEFAULT_COLUMNS) -> str:
    """One row per chip, one column per field (names from :data:`COLUMNS`, e.g. ``"array"``, ``"peak_fp8"``)."""
    fields = some_of("field", fields, COLUMNS)
    headers = ["chip", *(COLUMNS[name][0] for name in fields)]
    rows = [[chip.display_name, *(COLUMNS[name][1](chip) for name in fields)] for chip in as_chips(chip_ids)]
    return markdown_table(headers, rows)


def _per_core(chip: Chip, level: MemoryLevel) -> str:
    """" per SM", " per TensorCore"... for a per-core level of a chip with several cores."""
    return f" per {chip.core.label}" if level.per_core and chip.num_cores > 1 else ""


def _capacity(chip: Chip, level: MemoryLevel) -> str:
    if level.capacity_bytes is None:
        return UNPUBLISHED
    return format_bytes(level.capacity_bytes) + _per_core(chip, level)


def _bandwidth(chip: Chip, level: MemoryLevel) -> str:
    if level.bandwidth_bytes_per_s is None:
        return UNPUBLISHED
    return format_rate(level.bandwidth_bytes_per_s, "B/s") + _per_core(chip, level)


def memory_table(chip_ids: Iterable[str | Chip]) -> str:
    """Every memory level of every chip, outermost first: role, vendor label, capacity, bandwidth, technology."""
    rows = [[chip.display_name, level.role, level.vendor_label, _capacity(chip, level), _bandwidth(chip, level),
             level.technology or "—"]
            for chip in as_chips(chip_ids) for level in chip.memory_levels]
    return markdown_table(["chip", "role", "vendor's name", "capacity", "bandwidth", "technology"], rows)


def roles_table(chip_ids: Iterable[str | Chip], roles: Sequence[str] = MEMORY_ROLES) -> str:
    """One row per chip, one column per vendor-neutral role: the vendor's name for it and its capacity.
    Shows at a glance that SBUF, VMEM and shared memory play the same part."""
    roles = some_of("role", roles, MEMORY_ROLES)
    rows = [[chip.display_name, *(_role_cell(chip, role) for role in roles)] for chip in as_chips(chip_ids)]
    return markdown_table(["chip", *roles], rows)


def _role_cell(chip: Chip, role: str) -> str:
    """The levels of ``role`` on ``chip``: each one's vendor name and capacity ("—" for none)."""
    return "; ".join(f"{level.vendor_label} ({_capacity(chip, level)})" for level in _levels(chip, role)) or "—"


def _levels(chip: Chip, role: str) -> list[MemoryLevel]:
    return [level for level in chip.memory_levels if level.role == role]


def capacity_table(chip_ids: Iterable[str | Chip], roles: Sequence[str] = ("shared", "scratchpad", "accumulator",
                                                                         "register")) -> str:
    """On-chip memory per chip, summed over its cores, one column per role (several levels of one role add up),
    next to the off-chip capacity and bandwidth."""
    roles = some_of("role", roles, MEMORY_ROLES)
    rows = [[chip.display_name, *(_whole_chip_cell(chip, role) for role in roles), COLUMNS["hbm_capacity"][1](chip),
             COLUMNS["hbm_bandwidth"][1](chip)] for chip in as_chips(chip_ids)]
    return markdown_table(["chip", *(f"{role}, whole chip" for role in roles), "off-chip capacity",
                           "off-chip bandwidth"], rows)


def _whole_chip_cell(chip: Chip, role: str) -> str:
    """The capacity of every ``role`` level summed over the chip's cores and named ("—" for none, unpublished if
    one of them is)."""
    levels = _levels(chip, role)
    totals = [chip.total_capacity_bytes(level.vendor_label) for level in levels]
    if not levels:
        return "—"
    if None in totals:
        return UNPUBLISHED
    total_bytes = sum(total for total in totals if total is not None)  # none is None here
    return f"{format_bytes(total_bytes)} ({', '.join(level.vendor_label for level in levels)})"


def ridge_point(chip: Chip, dtype: str = "bf16", convention: str = "flops_per_byte") -> float:
    """Peak ÷ off-chip bandwidth: FLOPs (or, with ``convention="macs_per_byte"``, MACs) per byte of off-chip
    traffic above which a kernel can be compute-bound."""
    convention = one_of("convention", convention, CONVENTIONS)
    flops_per_byte = as_chip(chip).ridge_point_flops_per_byte(dtype)
    return flops_per_byte / 2 if convention == "macs_per_byte" else flops_per_byte


def ridge_table(chip_ids: Iterable[str | Chip], dtype: str = "bf16", convention: str = "flops_per_byte") -> str:
    """Peak, off-chip bandwidth and ridge point per chip, with the source of each input. Chips without a
    ``dtype`` peak are left out."""
    dtype = one_of("dtype", dtype, DTYPES)
    unit = "FLOP/byte" if one_of("convention", convention, CONVENTIONS) == "flops_per_byte" else "MAC/byte"
    rows = []
    for chip in as_chips(chip_ids):
        if dtype not in chip.peak_dtypes or chip.hbm.bandwidth_bytes_per_s is None:
            continue
        peak_key = f"peak_flops_per_s.{dtype}"
        if peak_key not in chip.provenance:  # a peak derived from the geometry: cite the array and clock
            peak_key = "core.matrix_unit.clock_hz"
        rows.append([chip.display_name, peak_cell(chip, dtype), format_rate(chip.hbm.bandwidth_bytes_per_s, "B/s"),
                     f"{ridge_point(chip, dtype, convention):.0f}", source_cell(chip, peak_key),
                     source_cell(chip, f"memory.{chip.hbm.vendor_label}.bandwidth_bytes_per_s")])
    if not rows:
        raise ChiplabInputError(f"none of the chips has a {dtype} peak and a known off-chip bandwidth")
    return markdown_table(["chip", f"peak {dtype}", "off-chip bandwidth", f"ridge point ({unit})",
                           "peak from", "bandwidth from"], rows)


def peak_check_table(chip_ids: Iterable[str | Chip], dtype: str = "bf16") -> str:
    """Published peak vs cores × units × rows × cols × 2 × clock × MACs per PE per cycle, and the documented
    reason wherever they disagree or the geometry is incomplete."""
    rows = []
    for chip in as_chips(chip_ids):
        check = chip.peak_check(dtype)
        if check.published_flops_per_s is None and check.derived_flops_per_s is None:
            continue
        gap = check.relative_gap_fraction
        rows.append([chip.display_name,
                     "—" if check.published_flops_per_s is None else format_rate(check.published_flops_per_s,
                                                                                  "FLOP/s"),
                     "cannot derive" if check.derived_flops_per_s is None
                     else format_rate(check.derived_flops_per_s, "FLOP/s"),
                     "—" if gap is None else f"{gap:+.1%}",
                     "yes" if check.closes else "no",
                     check.documented_exception or "—"])
    return markdown_table(["chip", f"published {dtype} peak", "from the geometry", "geometry vs published",
                           "closes?",
                           "documented explanation"], rows)


def unpublished_fields(chip: Chip) -> tuple[str, ...]:
    """Quantities of ``chip`` that no source read publishes, in words ("SBUF bandwidth", "matrix-unit clock")."""
    unit = chip.core.matrix_unit
    missing = []
    if unit.array is None:
        missing.append("matrix-unit array size")
    if unit.clock_hz is None:
        missing.append("matrix-unit clock")
    for level in chip.memory_levels:
        if level.capacity_bytes is None:
            missing.append(f"{level.vendor_label} capacity")
        if level.bandwidth_bytes_per_s is None:
            missing.append(f"{level.vendor_label} bandwidth")
    for name, value in (("TDP", chip.tdp_w), ("die area", chip.die_area_mm2), ("process node", chip.process_node)):
        if not value:
            missing.append(name)
    return tuple(missing)


def unknowns_table(chip_ids: Iterable[str | Chip]) -> str:
    """What the catalog leaves out for each chip, because no source read publishes it."""
    rows = [[chip.display_name, ", ".join(unpublished_fields(chip)) or "—"] for chip in as_chips(chip_ids)]
    return markdown_table(["chip", "not published in any source read"], rows)


def links_table(chip_ids: Iterable[str | Chip]) -> str:
    """Chip-to-chip links: aggregate bandwidth (and which directions it adds), count, topology, group size."""
    rows = []
    for chip in as_chips(chip_ids):
        for link in chip.links:
            rows.append([chip.display_name, link.name, _rate_or_unknown(link.bandwidth_bytes_per_s, "B/s"),
                         link.direction, link.num_links or UNPUBLISHED, link.topology or UNPUBLISHED,
                         link.max_chips or UNPUBLISHED])
    return markdown_table(["chip", "link", "bandwidth per chip", "counted", "links", "topology",
                           "largest directly linked group"], rows)
