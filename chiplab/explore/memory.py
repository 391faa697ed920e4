"""The tiling & memory explorer: a GEMM on one core of a chip, its tiles, the time each memory level needs and
the landscape of tile shapes; with what-if sliders for the scratchpad's capacity and the off-chip bandwidth.

Controls → model (``scale_level`` what-ifs, ``core_view``, ``best_tiling`` / ``place_gemm``) → figures
(``LevelTimesPicture``, ``TileLandscapePicture``). Two images, so that a change that leaves the tile landscape
as it was (tile sizes by hand, off-chip bandwidth) redraws only the small bar chart and moves one marker.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets

from chiplab._checks import published
from chiplab.errors import ChiplabInputError
from chiplab.explore._args import MAX_GEMM_DIM, catalog_chip_id, text_option, whole_between
from chiplab.explore._figure import FigureImage, MessageLine, Quiet
from chiplab.explore._text import FACTORS, format_seconds
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.hardware.chip import Chip
from chiplab.hardware.what_if import scale_level
from chiplab.memory.core_gemm import GemmOnCore, place_gemm
from chiplab.memory.core_views import CoreView, core_view
from chiplab.memory.search import TileSearch, best_tiling
from chiplab.memory.tiling import Tiling
from chiplab.units import format_bytes, format_rate
from chiplab.viz.memory import LevelTimesPicture, TileLandscapePicture
from chiplab.workloads.gemm import DTYPE_BYTES, Gemm

LEVELS_RECT = (0.17, 0.16, 0.8, 0.64)
LANDSCAPE_RECT = (0.17, 0.2, 0.75, 0.68)


def tileable_chips() -> list[str]:
    """Catalog chips whose matrix-unit geometry and scratchpad capacity are published (a GEMM can be tiled)."""
    found = []
    for chip_id in list_chips():
        chip = load_chip(chip_id)
        scratchpads = [level for level in chip.memory_levels if level.role == "scratchpad"]
        if chip.core.matrix_unit.array is not None and scratchpads and scratchpads[0].capacity_bytes is not None:
            found.append(chip_id)
    return found


def _dtypes(chip_id: str) -> list[str]:
    return [dtype for dtype in load_chip(chip_id).peak_dtypes if dtype in DTYPE_BYTES]


class MemoryExplorer:
    """Build it with :func:`memory_explorer`; the controls are attributes, so tests and benchmarks drive them."""

    def __init__(self, chip: str, dtype: str, m: int, n: int, k: int):
        chips = tileable_chips()
        if chip not in chips:
            raise ChiplabInputError(f"chip must be one with a published array and scratchpad: {', '.join(chips)}; "
                                    f"got {chip!r}")
        wide = {"style": {"description_width": "initial"}}
        self.chip = widgets.Dropdown(options=[(load_chip(c).display_name, c) for c in chips], value=chip,
                                     description="chip", **wide)
        self.dtype = widgets.Dropdown(options=_dtypes(chip), value=dtype, description="format",
                                      layout=widgets.Layout(width="150px"), **wide)
        dims = {"min": 1, "max": MAX_GEMM_DIM, "layout": widgets.Layout(width="140px"),
                "style": {"description_width": "20px"}}
        self.m = widgets.BoundedIntText(value=m, description="m", **dims)
        self.n = widgets.BoundedIntText(value=n, description="n", **dims)
        self.k = widgets.BoundedIntText(value=k, description="k", **dims)
        tiles = {**dims, "layout": widgets.Layout(width="150px"), "style": {"description_width": "45px"}}
        self.auto = widgets.Checkbox(value=True, description="auto (best tiling)", indent=False)
        self.tile_m = widgets.BoundedIntText(value=128, description="tile m", disabled=True, **tiles)
        self.tile_n = widgets.BoundedIntText(value=128, description="tile n", disabled=True, **tiles)
        self.tile_k = widgets.BoundedIntText(value=128, description="tile k", disabled=True, **tiles)
        self.double_buffered = widgets.Checkbox(value=True, description="double buffering", indent=False)
        slider = {"options": FACTORS, "value": 1.0, "continuous_update": False,
                  "layout": widgets.Layout(width="360px"), "style": {"description_width": "150px"}}
        self.scratchpad = widgets.SelectionSlider(description="scratchpad size", **slider)
        self.hbm = widgets.SelectionSlider(description="off-chip bandwidth", **slider)
        self.levels_figure = FigureImage(figsize=(6.2, 3.0))
        self.landscape_figure = FigureImage(figsize=(5.0, 3.6))
        self.message = MessageLine(self.levels_figure, self.landscape_figure)
        self.search: TileSearch | None = None
        self.result: GemmOnCore | None = None
        self.levels_picture: LevelTimesPicture | None = None
        self.landscape_picture: TileLandscapePicture | None = None
        self._landscape_key: tuple[object, ...] | None = None  # what the tile landscape shows now
        self._quiet = Quiet()  # raised while the explorer itself changes controls
        self.chip.observe(self._on_chip_change, names="value")
        self.auto.observe(self._on_auto_change, names="value")
        for control in (self.dtype, self.m, self.n, self.k, self.tile_m, self.tile_n, self.tile_k,
                        self.double_buffered, self.scratchpad, self.hbm):
            control.observe(self._on_change, names="value")
        self._label_sliders()
        self._refresh()
        self.widget = widgets.VBox([
            widgets.HBox([self.chip, self.dtype]),
            widgets.HBox([widgets.Label("GEMM C[m,n] = A[m,k] @ B[k,n]:"), self.m, self.n, self.k]),
            widgets.HBox([self.auto, self.tile_m, self.tile_n, self.tile_k, self.double_buffered]),
            widgets.HBox([self.scratchpad, self.hbm]),
            self.message.widget,
            widgets.HBox([self.levels_figure.image, self.landscape_figure.image]),
        ])

    # --- controls → model ----------------------------------------------------------------------------------

    def _what_if_chip(self) -> Chip:
        chip = scale_level(load_chip(self.chip.value), "scratchpad", capacity_factor=self.scratchpad.value)
        return scale_level(chip, "offchip", bandwidth_factor=self.hbm.value)

    def _model(self) -> str:
        chip = self._what_if_chip()
        gemm = Gemm(m=self.m.value, n=self.n.value, k=self.k.value, dtype=self.dtype.value)
        view = core_view(chip, gemm.dtype)
        self.search = best_tiling(gemm, view, "ws", double_buffered=self.double_buffered.value)
        if self.auto.value:
            result = self.search.best
        else:
            tiling = Tiling(tile_m=self.tile_m.value, tile_n=self.tile_n.value, tile_k=self.tile_k.value,
                            double_buffered=self.double_buffered.value)
            result = place_gemm(gemm, view, tiling, "ws")
        self.result = result
        return self._summary(result, view)

    def _summary(self, result: GemmOnCore, view: CoreView) -> str:
        tiling = result.tiling
        untimed = [level.label for level in result.levels if level.time_s is None]
        # core_view refuses a chip whose scratchpad capacity or off-chip bandwidth is unknown: both are published.
        capacity_bytes = published(f"{view.scratchpad.vendor_label} capacity", view.scratchpad.capacity_bytes)
        chip_bandwidth_bytes_per_s = published(f"{view.offchip.vendor_label} bandwidth",
                                               view.offchip.bandwidth_bytes_per_s)
        return (
            f"<b>{format_seconds(result.time_s)}</b> on one core · {result.fraction_of_peak:.0%} of its peak · "
            f"bottleneck <b>{result.bottleneck}</b> · tile {tiling.tile_m}×{tiling.tile_n}×{tiling.tile_k} "
            f"({'best' if self.auto.value else 'by hand'}) · each element of A loaded from "
            f"{view.offchip.vendor_label} is used {result.a_reuse:,.0f} times, of B {result.b_reuse:,.0f} times"
            f"<br>{view.scratchpad.vendor_label} {format_bytes(capacity_bytes)} per core · "
            f"{view.offchip.vendor_label} {format_rate(chip_bandwidth_bytes_per_s, 'B/s')} per chip, "
            f"{format_rate(view.offchip_bandwidth_bytes_per_s, 'B/s')} for this core"
            + (f" · not timed (bandwidth unpublished): {', '.join(untimed)}" if untimed else "")
        )

    # --- events ------------------------------------------------------------------------------------------------

    def _label_sliders(self) -> None:
        chip = load_chip(self.chip.value)
        self.scratchpad.description = f"{chip.memory_level('scratchpad').vendor_label} size (per core)"
        self.hbm.description = f"{chip.hbm.vendor_label} bandwidth"

    def _on_chip_change(self, _change: object = None) -> None:
        with self._quiet:
            options = _dtypes(self.chip.value)
            keep = self.dtype.value if self.dtype.value in options else ("bf16" if "bf16" in options else options[0])
            self.dtype.options = options
            self.dtype.value = keep
            self._label_sliders()
        self._refresh()

    def _on_auto_change(self, _change: object = None) -> None:
        for box in (self.tile_m, self.tile_n, self.tile_k):
            box.disabled = self.auto.value
        self._refresh()

    def _on_change(self, _change: Mapping[str, object] | None = None) -> None:
        if self._quiet:
            return
        if _change is not None and _change["owner"] in (self.tile_m, self.tile_n, self.tile_k) and self.auto.value:
            return
        self._refresh()

    def _refresh(self) -> None:
        if not self.message.guard(self._model) or self.result is None or self.search is None:
            return
        if self.auto.value:  # show the winning tiles in the (disabled) boxes, as a starting point for "by hand"
            tiling = self.result.tiling
            with self._quiet:
                self.tile_m.value, self.tile_n.value, self.tile_k.value = tiling.tile_m, tiling.tile_n, tiling.tile_k
        self._draw(self.result, self.search)

    # --- model → figures -----------------------------------------------------------------------------------

    def _draw(self, result: GemmOnCore, search: TileSearch) -> None:
        if self.levels_picture is None:
            self.levels_picture = LevelTimesPicture(result, self.levels_figure.new_axes(LEVELS_RECT),
                                                    relative=True)
            self.levels_figure.set_dynamic(self.levels_picture.dynamic_artists)
            self.levels_figure.render()
        else:  # a fixed axis with a bar for every possible level: redraw only bars, texts and level names
            self.levels_picture.update(result)
            self.levels_figure.render_dynamic()
        choice = None if self.auto.value else result.tiling
        key = (self.chip.value, self.dtype.value, self.m.value, self.n.value, self.k.value, self.scratchpad.value,
               self.double_buffered.value, choice)
        if key == self._landscape_key:  # e.g. only the off-chip bandwidth moved: the map is unchanged
            return
        self._landscape_key = key
        if self.landscape_picture is None or self.landscape_picture.ax.figure is not self.landscape_figure.figure:
            self.landscape_picture = TileLandscapePicture(search, self.landscape_figure.new_axes(LANDSCAPE_RECT))
            self.landscape_picture.show_choice(choice)
            self.landscape_figure.set_dynamic(self.landscape_picture.dynamic_artists)
            self.landscape_figure.render()
            return
        self.landscape_picture.update(search)  # in place: map, markers and tick labels over a cached frame
        self.landscape_picture.show_choice(choice)
        self.landscape_figure.render_dynamic()


def memory_explorer(chip: str = "trainium2", dtype: str = "bf16", m: int = 128, n: int = 8192,
                    k: int = 8192) -> widgets.VBox:
    """A widget to display in one line: ``memory_explorer()``; try the off-chip bandwidth slider."""
    chip = catalog_chip_id("chip", chip)
    m, n, k = (whole_between(name, value, 1, MAX_GEMM_DIM) for name, value in (("m", m), ("n", n), ("k", k)))
    return MemoryExplorer(chip, text_option("dtype", dtype, _dtypes(chip)), m, n, k).widget
