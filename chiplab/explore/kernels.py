"""The kernel explorer: one matmul kernel on one simulated core; tile sizes, buffering and dataflow are the
controls, and the profiler-style timeline redraws.

Controls → model (``chiplab.kernels.run_matmul`` in time-only mode) → figure (``TimelinePicture``).
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from chiplab.explore._args import catalog_chip_id, text_option
from chiplab.explore._figure import FigureImage, MessageLine
from chiplab.hardware import load_chip
from chiplab.kernels import KernelRun, MatmulTiling, core_params, instruction_tile, run_matmul, supported_chips
from chiplab.units import format_bytes, format_seconds
from chiplab.viz.kernels import TimelinePicture

SIZES = [256, 512, 1024, 2048]
BLOCK_TILES = [1, 2, 4]
DATAFLOWS = [("weight-stationary", "ws"), ("output-stationary", "os"), ("input-stationary", "is")]
TIMELINE_RECT = (0.16, 0.27, 0.82, 0.56)


class KernelExplorer:
    """Build it with :func:`kernel_explorer`; the controls are attributes, so tests and benchmarks drive them."""

    def __init__(self, chip: str, size: int, block_m_tiles: int, block_n_tiles: int, buffers: int,
                 dataflow: str):
        chips = [c for c in supported_chips() if load_chip(c).kind == "real"]
        self.chip = widgets.Dropdown(options=[(load_chip(c).display_name, c) for c in chips], value=chip,
                                     description="chip", layout=widgets.Layout(width="300px"))
        self.size = widgets.SelectionSlider(options=SIZES, value=size, description="m = n = k",
                                            layout=widgets.Layout(width="360px"))
        self.block_m = widgets.SelectionSlider(options=BLOCK_TILES, value=block_m_tiles,
                                               description="block m (tiles)")
        self.block_n = widgets.SelectionSlider(options=BLOCK_TILES, value=block_n_tiles,
                                               description="block n (tiles)")
        self.buffers = widgets.ToggleButtons(options=[("one buffer", 1), ("double-buffered", 2)], value=buffers,
                                             description="buffering")
        self.dataflow = widgets.ToggleButtons(options=DATAFLOWS, value=dataflow, description="dataflow")
        self.figure = FigureImage(figsize=(8.0, 3.4))
        self.message = MessageLine(self.figure)
        self.run: KernelRun | None = None
        self.picture: TimelinePicture | None = None
        self._axes_key: tuple | None = None
        for control in (self.chip, self.size, self.block_m, self.block_n, self.buffers, self.dataflow):
            control.observe(self._on_change, names="value")
        self._on_change()
        self.widget = widgets.VBox([
            widgets.HBox([self.chip, self.size]),
            widgets.HBox([self.block_m, self.block_n]),
            self.buffers, self.dataflow, self.message.widget, self.figure.image,
        ])

    def tiling(self) -> MatmulTiling:
        tile_k, tile_m, tile_n = instruction_tile(core_params(self.chip.value))
        return MatmulTiling(tile_k, tile_m, tile_n, self.block_m.value * tile_m, self.block_n.value * tile_n,
                            self.buffers.value)

    def _model(self) -> str:
        size = self.size.value
        run = self.run = run_matmul(self.chip.value, shape=(size, size, size), tiling=self.tiling(), values=False,
                                    dataflow=self.dataflow.value)
        hbm = run.level(run.params.offchip.vendor_label)
        return (f"{html.escape(run.name)}: <b>{format_seconds(run.total_s)}</b>, "
                f"<b>{run.peak_fraction:.0%}</b> of the matrix unit's peak; "
                f"DMA busy {run.engine('dma').busy_fraction:.0%}, "
                f"{html.escape(run.params.engine_labels['matrix'])} busy {run.engine('matrix').busy_fraction:.0%}; "
                f"{format_bytes(hbm.read_bytes)} read from {html.escape(hbm.level)}; "
                f"{run.timeline.num_instructions:,} instructions; {run.roofline.bound}-bound on the core's roofline")

    def _on_change(self, _change=None) -> None:
        if not self.message.guard(self._model) or self.run is None:
            return
        key = (self.chip.value, self.size.value)
        if key == self._axes_key and self.picture is not None:  # same chip and size: only the bars and title move
            self.picture.update(self.run)
            self.figure.render_dynamic()
            return
        # New chip or size: a fresh time axis, scaled to the one-buffer, one-tile kernel (the slowest), so every
        # tiling and buffering choice is drawn against the same scale.
        self._axes_key = key
        size = self.size.value
        slowest = run_matmul(self.chip.value, shape=(size, size, size), variant="naive", values=False)
        self.picture = TimelinePicture(self.run, self.figure.new_axes(TIMELINE_RECT),
                                       x_max_s=max(slowest.total_s, self.run.total_s))
        self.figure.set_dynamic(self.picture.dynamic_artists)
        self.figure.render()


def kernel_explorer(chip: str = "trainium2", size: int = 1024, block_m_tiles: int = 2, block_n_tiles: int = 2,
                    buffers: int = 2, dataflow: str = "ws") -> widgets.VBox:
    """A widget to display in one line: ``kernel_explorer()``; change tiling and buffering, watch the timeline."""
    chip = text_option("chip", catalog_chip_id("chip", chip), supported_chips())
    size = int(text_option("size", str(size), [str(s) for s in SIZES]))
    block_m_tiles, block_n_tiles = (int(text_option(name, str(v), [str(b) for b in BLOCK_TILES]))
                                    for name, v in (("block_m_tiles", block_m_tiles), ("block_n_tiles", block_n_tiles)))
    buffers = int(text_option("buffers", str(buffers), ["1", "2"]))
    dataflow = text_option("dataflow", dataflow, [value for _, value in DATAFLOWS])
    return KernelExplorer(chip, size, block_m_tiles, block_n_tiles, buffers, dataflow).widget
