"""First-look tables for the seed story: the chips a claim involves (peaks, memory, power, sources), which prices
exist for them and which do not, and what "more efficient" would mean on the spec sheet alone.

Every cell is read from the catalog and the price data when the table is built; an unknown is written
"unpublished" or "none found", never guessed.

>>> ratios = spec_ratios("trainium2", "h100_sxm")
>>> round(ratios.peak_ratio, 3)        # Trainium2's Tensor Engines' 632 TFLOPS over NVIDIA's 989.4 (dense BF16)
0.639
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chiplab._checks import one_of
from chiplab.cost._toml import load_cost_data
from chiplab.cost.prices import offers_for
from chiplab.cost.records import MissingPrice
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import DTYPES
from chiplab.tables import markdown_table
from chiplab.units import format_bytes, format_rate

UNPUBLISHED = "unpublished"


def _source(chip: Chip, key: str) -> str:
    record = chip.provenance.get(key)
    if record is None:
        return "—"
    return record.source.id if record.kind == "vendor spec" else f"{record.source.id} ({record.kind})"


def _chips(chip_ids: Sequence[str]) -> list[Chip]:
    if (isinstance(chip_ids, str) or not isinstance(chip_ids, Sequence) or not chip_ids
            or not all(isinstance(chip_id, str) for chip_id in chip_ids)):
        raise ChiplabInputError(f"chip_ids must be a list of one or more chip ids, e.g. ['trainium2', 'h100_sxm']; "
                                f"got {chip_ids!r}")
    return [load_chip(chip_id) for chip_id in chip_ids]


def seed_chips_table(chip_ids: Sequence[str], dtype: str = "bf16") -> str:
    """The chips side by side: dense peak for ``dtype``, off-chip memory, power, and the source of each."""
    dtype = one_of("dtype", dtype, DTYPES)
    rows = []
    for chip in _chips(chip_ids):
        published = chip.published_peak_flops_per_s.get(dtype)
        peak = (format_rate(published, "FLOP/s") if published is not None
                else format_rate(chip.peak_flops_per_s(dtype), "FLOP/s") + " (from geometry)")
        hbm = chip.hbm
        sources = " / ".join(_source(chip, key) for key in (
            f"peak_flops_per_s.{dtype}", f"memory.{hbm.vendor_label}.bandwidth_bytes_per_s", "tdp_w"))
        rows.append([
            chip.display_name, peak,
            UNPUBLISHED if hbm.capacity_bytes is None else format_bytes(hbm.capacity_bytes),
            UNPUBLISHED if hbm.bandwidth_bytes_per_s is None else format_rate(hbm.bandwidth_bytes_per_s, "B/s"),
            UNPUBLISHED if chip.tdp_w is None else format_rate(chip.tdp_w, "W"), sources,
        ])
    return markdown_table(["chip", f"dense {dtype} peak", "off-chip memory", "off-chip bandwidth", "power (TDP)",
                           "sources (peak / bandwidth / power; vendor specs unless marked)"], rows)


def missing_prices(chip: str | None = None) -> tuple[MissingPrice, ...]:
    """The prices the research looked for and did not find (all, or one chip's)."""
    missing = load_cost_data().missing
    if chip is None:
        return tuple(missing)
    chip_id = load_chip(chip).id
    return tuple(m for m in missing if m.chip_id == chip_id)


def price_availability_table(chip_ids: Sequence[str]) -> str:
    """Per chip: the sourced cloud offers chiplab has (count, kinds, range per chip-hour) and the gaps on record."""
    rows = []
    for chip in _chips(chip_ids):
        offers = offers_for(chip.id)
        if offers:
            low = min(offers, key=lambda p: p.usd_per_chip_hour)
            high = max(offers, key=lambda p: p.usd_per_chip_hour)
            kinds = ", ".join(sorted({p.kind for p in offers}))
            # One dollar sign at most per cell: MyST reads "$1 to $3" as inline math.
            span = (f"{low.usd_per_chip_hour:.2f}" if low is high
                    else f"{low.usd_per_chip_hour:.2f} to {high.usd_per_chip_hour:.2f}")
            found = f"{len(offers)} ({kinds}): {span} USD per chip-hour"
        else:
            found = "none found"
        gaps = "; ".join(f"{m.kind} {m.instance}" for m in missing_prices(chip.id)) or "—"
        rows.append([chip.display_name, found, gaps])
    return markdown_table(["chip", "sourced cloud prices in chiplab", "looked for, not found"], rows)


@dataclass(frozen=True)
class SpecRatios:
    """Chip A over chip B on the spec sheet: what "more efficient" could mean before any model runs."""

    chip_a: str
    chip_b: str
    dtype: str
    peak_ratio: float                     # dense peak FLOP/s per chip
    peak_per_watt_ratio: float | None     # peak FLOP/s per W of TDP (None where a TDP is unpublished)
    hbm_bandwidth_ratio: float            # off-chip bytes/s per chip
    hbm_capacity_ratio: float | None      # off-chip bytes per chip

    def table(self) -> str:
        def cell(value: float | None) -> str:
            return "unpublished" if value is None else f"{value:.2f}×"

        rows = [["peak FLOP/s per chip", cell(self.peak_ratio)],
                ["peak FLOP/s per watt (TDP)", cell(self.peak_per_watt_ratio)],
                ["off-chip bandwidth per chip", cell(self.hbm_bandwidth_ratio)],
                ["off-chip capacity per chip", cell(self.hbm_capacity_ratio)]]
        names = f"{load_chip(self.chip_a).display_name} ÷ {load_chip(self.chip_b).display_name}"  # never catalog keys
        return markdown_table([f"{self.dtype}: {names}", "ratio"], rows)


def spec_ratios(chip_a: str, chip_b: str, dtype: str = "bf16") -> SpecRatios:
    """Ratios of A's published figures to B's (> 1: A has more)."""
    a, b = load_chip(chip_a), load_chip(chip_b)
    per_watt = None
    if a.tdp_w is not None and b.tdp_w is not None:
        per_watt = (a.peak_flops_per_s(dtype) / a.tdp_w) / (b.peak_flops_per_s(dtype) / b.tdp_w)
    if a.hbm.bandwidth_bytes_per_s is None or b.hbm.bandwidth_bytes_per_s is None:
        raise ChiplabInputError(f"both chips need a published off-chip bandwidth; {a.id}: "
                                f"{a.hbm.bandwidth_bytes_per_s}, {b.id}: {b.hbm.bandwidth_bytes_per_s}")
    capacity = (None if a.hbm.capacity_bytes is None or b.hbm.capacity_bytes is None
                else a.hbm.capacity_bytes / b.hbm.capacity_bytes)
    return SpecRatios(chip_a=a.id, chip_b=b.id, dtype=dtype,
                      peak_ratio=a.peak_flops_per_s(dtype) / b.peak_flops_per_s(dtype),
                      peak_per_watt_ratio=per_watt,
                      hbm_bandwidth_ratio=a.hbm.bandwidth_bytes_per_s / b.hbm.bandwidth_bytes_per_s,
                      hbm_capacity_ratio=capacity)
