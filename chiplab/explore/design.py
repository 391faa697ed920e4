"""The "design your own chip" explorer: start from a real chip, change its arrays, cores, clock, SRAM and HBM
bandwidth, give it a price per chip-hour, and see its speed on a workload and its tokens per dollar next to real
chips at their sourced prices.

Controls → model (:func:`chiplab.hardware.custom.design_chip` builds and validates the chip;
:func:`chiplab.cost.scenarios.compare_design` runs the performance model on it and on the reference chips, cached)
→ figure (:class:`chiplab.viz.cost_pictures.OfferPicture` on a fixed relative axis: only bars and texts are
redrawn). A design the model rejects (an array too large, a model that no longer fits in memory) shows the
model's message.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from chiplab._checks import published
from chiplab.cost.scenarios import WORKLOADS, OfferComparison, compare_design, reference_offers, scenario_chips
from chiplab.errors import ChiplabInputError
from chiplab.explore._figure import FigureImage, MessageLine, Quiet
from chiplab.hardware.catalog import load_chip
from chiplab.hardware.chip import Chip
from chiplab.hardware.custom import design_chip, designable_bases
from chiplab.units import GiB, KiB, MiB, format_bytes, format_rate
from chiplab.viz.cost_pictures import OfferPicture

FIGURE_RECT = (0.02, 0.12, 0.96, 0.78)
DESIGN_ID = "your_design"
# The knobs' choices; each base chip's own value is added to them, so a design starts as an exact copy.
ARRAY_SIDES = (8, 16, 32, 64, 128, 256, 512)
CLOCKS_HZ = (0.5e9, 0.75e9, 1.0e9, 1.25e9, 1.5e9, 1.75e9, 2.0e9, 2.4e9, 2.8e9, 3.2e9, 4.0e9)
SCRATCHPADS_BYTES = (64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB, 24 * MiB, 32 * MiB, 64 * MiB,
                     128 * MiB, 256 * MiB)
HBM_BANDWIDTHS_BYTES_PER_S = (0.5e12, 0.8e12, 1.2e12, 1.6e12, 2.0e12, 2.9e12, 3.35e12, 4.0e12, 4.8e12, 6.0e12,
                              8.0e12, 12.0e12, 16.0e12)
HBM_CAPACITIES_BYTES = (16 * GiB, 32 * GiB, 64 * GiB, 96 * GiB, 128 * GiB, 192 * GiB, 256 * GiB)


def design_bases() -> list[str]:
    """Real chips a design can start from that can also run the workloads (they have a scale-up link) and whose
    HBM capacity is published (the capacity knob starts from it)."""
    runnable = set(scenario_chips())
    return [chip_id for chip_id in designable_bases()
            if chip_id in runnable and load_chip(chip_id).hbm.capacity_bytes is not None]


def _with(values: tuple[float, ...], base_value: float) -> list[float]:
    return sorted({*values, base_value})


class DesignExplorer:
    """Build it with :func:`design_explorer`; the controls are attributes, so tests and benchmarks drive them."""

    def __init__(self, base: str, workload: str, usd_per_chip_hour: float | None = None):
        bases = design_bases()
        base = load_chip(base).id
        if base not in bases:
            raise ChiplabInputError(f"base must be one of {', '.join(bases)}; got {base!r}")
        if workload not in WORKLOADS:
            raise ChiplabInputError(f"workload must be one of {', '.join(WORKLOADS)}; got {workload!r}")
        wide = {"style": {"description_width": "initial"}}
        self.base = widgets.Dropdown(options=[(load_chip(c).display_name, c) for c in bases], value=base,
                                     description="start from", layout=widgets.Layout(width="360px"), **wide)
        self.workload = widgets.Dropdown(options=list(WORKLOADS), value=workload, description="workload",
                                         layout=widgets.Layout(width="400px"), **wide)
        slider = {"continuous_update": False, "layout": widgets.Layout(width="380px"),
                  "style": {"description_width": "170px"}}
        self.rows = widgets.SelectionSlider(options=[0], description="array rows", **slider)
        self.cols = widgets.SelectionSlider(options=[0], description="array columns", **slider)
        self.arrays = widgets.IntSlider(value=1, min=1, max=8, description="arrays per core", **slider)
        self.cores = widgets.IntSlider(value=1, min=1, max=512, description="cores", **slider)
        self.clock = widgets.SelectionSlider(options=[0], description="matrix clock", **slider)
        self.sram = widgets.SelectionSlider(options=[0], description="scratchpad per core", **slider)
        self.hbm = widgets.SelectionSlider(options=[0], description="HBM bandwidth", **slider)
        self.hbm_capacity = widgets.SelectionSlider(options=[0], description="HBM capacity", **slider)
        self.price = widgets.BoundedFloatText(value=1.0, min=0.01, max=1000.0, step=0.1,
                                              description="your price, USD per chip-hour (what-if)",
                                              layout=widgets.Layout(width="380px"), **wide)
        self.figure = FigureImage(figsize=(8.4, 3.4))
        self.message = MessageLine(self.figure)
        self.design: Chip | None = None
        self.comparison: OfferComparison | None = None
        self.picture: OfferPicture | None = None
        self._quiet = Quiet()  # raised while the explorer itself changes controls
        self._load_base()
        # The what-if price starts at the first sourced reference price: "what if it cost what that chip costs?"
        self.price.value = usd_per_chip_hour or next(p for _, p in reference_offers() if p is not None
                                                     ).usd_per_chip_hour
        self.base.observe(self._on_base, names="value")
        for control in (self.workload, self.rows, self.cols, self.arrays, self.cores, self.clock, self.sram,
                        self.hbm, self.hbm_capacity, self.price):
            control.observe(self._on_change, names="value")
        self._refresh()
        self.widget = widgets.VBox([
            widgets.HBox([self.base, self.workload]),
            widgets.HBox([self.rows, self.cols]),
            widgets.HBox([self.arrays, self.cores]),
            widgets.HBox([self.clock, self.sram]),
            widgets.HBox([self.hbm, self.hbm_capacity]),
            self.price,
            self.message.widget,
            self.figure.image,
        ])

    # --- controls → model ----------------------------------------------------------------------------------

    def _load_base(self) -> None:
        """Set every knob to the base chip's value (each knob's choices include it)."""
        chip = load_chip(self.base.value)
        unit = chip.core.matrix_unit
        # design_bases() offers only chips with all of these published (hardware.custom.can_be_designed_from and
        # the capacity filter above); a knob cannot start from an unknown value.
        array = published(f"{chip.id}: matrix-unit array", unit.array)
        clock_hz = published(f"{chip.id}: matrix-unit clock", unit.clock_hz)
        scratchpad_bytes = published(f"{chip.id}: scratchpad capacity", chip.memory_level("scratchpad").capacity_bytes)
        hbm_bytes_per_s = published(f"{chip.id}: HBM bandwidth", chip.hbm.bandwidth_bytes_per_s)
        hbm_bytes = published(f"{chip.id}: HBM capacity", chip.hbm.capacity_bytes)
        with self._quiet:
            for control, values, value, label in (
                    (self.rows, ARRAY_SIDES, array.num_rows, str),
                    (self.cols, ARRAY_SIDES, array.num_cols, str),
                    (self.clock, CLOCKS_HZ, clock_hz, lambda hz: format_rate(hz, "Hz")),
                    (self.sram, SCRATCHPADS_BYTES, scratchpad_bytes, format_bytes),
                    (self.hbm, HBM_BANDWIDTHS_BYTES_PER_S, hbm_bytes_per_s,
                     lambda rate: format_rate(rate, "B/s")),
                    (self.hbm_capacity, HBM_CAPACITIES_BYTES, hbm_bytes, format_bytes)):
                control.options = [(label(v), v) for v in _with(values, value)]
                control.value = value
            self.arrays.max = max(self.arrays.max, unit.num_per_core)
            self.arrays.value = unit.num_per_core
            self.cores.value = chip.num_cores

    def _model(self) -> str:
        design = self.design = design_chip(self.base.value, num_rows=self.rows.value, num_cols=self.cols.value,
                                  num_arrays_per_core=self.arrays.value, num_cores=self.cores.value,
                                  clock_hz=self.clock.value, scratchpad_bytes=self.sram.value,
                                  hbm_bandwidth_bytes_per_s=self.hbm.value, hbm_capacity_bytes=self.hbm_capacity.value,
                                  chip_id=DESIGN_ID, display_name="Your design")
        comparison = self.comparison = compare_design(design, self.price.value, self.workload.value)
        return self._summary(comparison, design)

    def _summary(self, comparison: OfferComparison, design: Chip) -> str:
        mine = comparison.row(DESIGN_ID)
        mfu = mine.throughput.mfu_fraction
        lines = [f"<b>{html.escape(comparison.workload.label)}</b>",
                 f"Your design: peak {format_rate(design.peak_flops_per_s('bf16'), 'FLOP/s')} bf16, ridge point "
                 f"{design.ridge_point_flops_per_byte('bf16'):,.0f} FLOP/byte of HBM traffic · "
                 f"<b>{mine.tokens_per_s_per_chip:,.0f}</b> tokens/s per chip"
                 + ("" if mfu is None else f", MFU {mfu:.0%}") + f", bottleneck <b>{mine.throughput.bottleneck}</b>"
                 + f" · <b>{mine.tokens_per_usd:,.0f}</b> tokens per USD at ${self.price.value:.2f}/chip-hour"]
        rivals = [(row, per_usd) for row in comparison.rows
                  if row.chip_id != DESIGN_ID and (per_usd := row.tokens_per_usd) is not None]
        if rivals:
            best, best_per_usd = max(rivals, key=lambda rival: rival[1])
            limit = comparison.break_even_usd_per_chip_hour(DESIGN_ID, best.chip_id)
            lines.append(f"To beat the best priced chip here ({html.escape(best.display_name)}, "
                         f"{best_per_usd:,.0f} tokens per USD) your chip-hour must cost less than "
                         f"<b>${limit:.2f}</b>")
        if comparison.skipped:
            lines.append("<small>Not shown: " + html.escape("; ".join(f"{c}: {why}" for c, why in comparison.skipped))
                         + "</small>")
        return "<br>".join(lines)

    # --- events ------------------------------------------------------------------------------------------------

    def _on_base(self, _change: object = None) -> None:
        self._load_base()
        self._refresh()

    def _on_change(self, _change: object = None) -> None:
        if not self._quiet:
            self._refresh()

    def _refresh(self) -> None:
        if not self.message.guard(self._model) or self.comparison is None:
            return
        comparison = self.comparison
        if self.picture is not None and self.picture.fits(comparison):
            self.picture.update(comparison)
            self.figure.render_dynamic()
            return
        self.picture = OfferPicture(self.figure.new_axes(FIGURE_RECT), len(comparison.rows))
        self.picture.update(comparison)
        self.figure.set_dynamic(self.picture.dynamic_artists)
        self.figure.render()


def design_explorer(base: str = "trainium2", workload: str = "pre-train Llama 3 70B",
                    usd_per_chip_hour: float | None = None) -> widgets.VBox:
    """A widget to display in one line: ``design_explorer()``. The design starts as a copy of ``base``; the
    what-if price starts at the first sourced reference price unless ``usd_per_chip_hour`` is given."""
    return DesignExplorer(base, workload, usd_per_chip_hour).widget
