"""The systolic-array explorer: array size, dataflow, GEMM shape and a cycle scrubber with play/step."""

from __future__ import annotations

import ipywidgets as widgets

from chiplab.explore._args import MAX_GEMM_DIM, whole_between
from chiplab.explore._figure import FigureImage, MessageLine
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic.dataflow import MAPPINGS, parse_dataflow
from chiplab.systolic.frames import ArrayFrames, array_frames
from chiplab.viz.fast_text import GlyphCachingCanvas
from chiplab.viz.systolic import ArrayPicture
from chiplab.workloads.gemm import Gemm

MAX_ARRAY_SIDE = 256  # the sliders' range: larger arrays are shown by the closed-form figures of the book


class SystolicExplorer:
    """Controls → ``array_frames`` (model) → ``ArrayPicture`` (figure). Build it with :func:`systolic_explorer`."""

    def __init__(self, num_rows: int, num_cols: int, dataflow: str, m: int, n: int, k: int):
        slider = {"continuous_update": False, "style": {"description_width": "60px"}}
        self.rows = widgets.IntSlider(value=num_rows, min=1, max=MAX_ARRAY_SIDE, description="rows R", **slider)
        self.cols = widgets.IntSlider(value=num_cols, min=1, max=MAX_ARRAY_SIDE, description="cols C", **slider)
        self.dataflow = widgets.ToggleButtons(
            options=[(m.long_name, f.value) for f, m in MAPPINGS.items()], value=dataflow, description="dataflow")
        dims = {"layout": widgets.Layout(width="150px"), "style": {"description_width": "20px"}}
        self.m = widgets.BoundedIntText(value=m, min=1, max=MAX_GEMM_DIM, description="m", **dims)
        self.n = widgets.BoundedIntText(value=n, min=1, max=MAX_GEMM_DIM, description="n", **dims)
        self.k = widgets.BoundedIntText(value=k, min=1, max=MAX_GEMM_DIM, description="k", **dims)
        self.cycle = widgets.IntSlider(value=0, min=0, max=1, description="cycle", continuous_update=True,
                                       layout=widgets.Layout(width="60%"))
        self.play = widgets.Play(value=0, min=0, max=1, interval=250, description="play")
        widgets.jslink((self.play, "value"), (self.cycle, "value"))
        self.figure = FigureImage(figsize=(7.0, 4.6))
        # Lines of PE values recur as values move through the array: draw them from remembered glyphs.
        self.figure.canvas = GlyphCachingCanvas(self.figure.figure)
        self.message = MessageLine(self.figure)
        self.frames: ArrayFrames | None = None
        self.picture: ArrayPicture | None = None
        for control in (self.rows, self.cols, self.dataflow, self.m, self.n, self.k):
            control.observe(self._on_problem_change, names="value")
        self.cycle.observe(self._on_cycle_change, names="value")
        self._on_problem_change()
        self.widget = widgets.VBox([
            widgets.HBox([self.rows, self.cols]),
            self.dataflow,
            widgets.HBox([widgets.Label("GEMM C[m,n] = A[m,k] @ B[k,n]:"), self.m, self.n, self.k]),
            widgets.HBox([self.play, self.cycle]),
            self.message.widget,
            self.figure.image,
        ])

    def _summary(self) -> str:
        array = SystolicArraySpec(num_rows=self.rows.value, num_cols=self.cols.value)
        frames = self.frames = array_frames(Gemm(m=self.m.value, n=self.n.value, k=self.k.value), array,
                                            self.dataflow.value)
        timing = frames.timing
        plan = timing.plan
        return (f"{timing.total_cycles:,} cycles · {plan.num_row_folds}×{plan.num_col_folds} folds · "
                f"utilisation {timing.compute_utilization_fraction:.1%} · "
                f"mapping efficiency {timing.mapping_efficiency_fraction:.1%}"
                + ("" if frames.run else " · (occupancy only: too large to show values)"))

    def _on_problem_change(self, _change: object = None) -> None:
        if not self.message.guard(self._summary) or self.frames is None:
            return
        last = self.frames.num_cycles - 1
        with self.cycle.hold_trait_notifications():
            self.cycle.max = self.play.max = last
            self.cycle.value = min(self.cycle.value, last)
        snap = self.frames.snapshot(self.cycle.value)
        if self.picture is not None and self.picture.fits(snap):
            self.picture.update(snap)  # same array and dataflow: only the cells change
            self.figure.render_dynamic()
            return
        if self.picture is not None and self.picture.can_reshape_to(snap):
            self.picture.reshape(snap)  # another array shape: same axes, labels and legend, new cells and ticks
        else:
            self.picture = ArrayPicture(snap, self.figure.new_axes())
        self.figure.set_dynamic(self.picture.dynamic_artists)
        self.figure.render()

    def _on_cycle_change(self, _change: object = None) -> None:
        if self.frames is None or self.picture is None or self.cycle.value >= self.frames.num_cycles:
            return
        self.picture.update(self.frames.snapshot(self.cycle.value))
        self.figure.render_dynamic()


def systolic_explorer(num_rows: int = 4, num_cols: int = 4, dataflow: str = "ws", m: int = 6, n: int = 5,
                      k: int = 4) -> widgets.VBox:
    """A widget to display in one line: ``systolic_explorer()``."""
    rows, cols = (whole_between(name, value, 1, MAX_ARRAY_SIDE)
                  for name, value in (("num_rows", num_rows), ("num_cols", num_cols)))
    m, n, k = (whole_between(name, value, 1, MAX_GEMM_DIM) for name, value in (("m", m), ("n", n), ("k", k)))
    return SystolicExplorer(rows, cols, parse_dataflow(dataflow).value, m, n, k).widget
