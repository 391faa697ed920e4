"""The roofline explorer: pick chips, a number format and a GEMM; slide m (the batch, or tokens in flight) and
watch the GEMM's point climb each chip's roof from memory-bound to compute-bound.

Controls → model (``compare_on_rooflines``) → figure (``RooflinesPicture``). Moving m, n or k only moves the
points (blitting); another set of chips, format or intensity convention redraws the roofs.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from chiplab.errors import ChiplabInputError
from chiplab.explore._args import MAX_GEMM_DIM, chip_ids, text_option, whole_between
from chiplab.explore._figure import FigureImage, MessageLine
from chiplab.explore._text import format_number
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.memory.compare import RooflineComparison, compare_on_rooflines
from chiplab.viz.roofline import RooflinesPicture
from chiplab.workloads.gemm import DTYPE_BYTES, Gemm

# m from a single token to a large training batch, in powers of two (the points move on a log axis).
M_VALUES = [2**e for e in range(0, 16)]
DTYPES = [d for d in ("bf16", "fp16", "fp8", "int8", "fp32", "tf32") if d in DTYPE_BYTES]
CONVENTIONS = [("FLOP per byte", "flops_per_byte"), ("MAC per byte (TPU v1 paper)", "macs_per_byte")]
ROOF_RECT = (0.1, 0.13, 0.86, 0.8)


class RooflineExplorer:
    """Build it with :func:`roofline_explorer`; the controls are attributes, so tests and benchmarks drive them."""

    def __init__(self, chips: tuple[str, ...], dtype: str, m: int, n: int, k: int,
                 convention: str = "flops_per_byte"):
        options = [(load_chip(c).display_name, c) for c in list_chips()]
        self.chips = widgets.SelectMultiple(options=options, value=tuple(load_chip(c).id for c in chips),
                                            rows=8, description="chips", layout=widgets.Layout(width="340px"))
        self.dtype = widgets.Dropdown(options=DTYPES, value=dtype, description="format",
                                      layout=widgets.Layout(width="170px"))
        self.convention = widgets.ToggleButtons(options=CONVENTIONS, value=convention, description="intensity")
        if m not in M_VALUES:
            raise ChiplabInputError(f"m must be a power of two from 1 to {M_VALUES[-1]:,}; got {m!r}")
        self.m = widgets.SelectionSlider(options=[(f"{v:,}", v) for v in M_VALUES], value=m, continuous_update=True,
                                         description="m (tokens)", layout=widgets.Layout(width="480px"))
        dims = {"min": 1, "max": MAX_GEMM_DIM, "layout": widgets.Layout(width="150px"),
                "style": {"description_width": "20px"}}
        self.n = widgets.BoundedIntText(value=n, description="n", **dims)
        self.k = widgets.BoundedIntText(value=k, description="k", **dims)
        self.figure = FigureImage(figsize=(8.0, 4.6))
        self.message = MessageLine(self.figure)
        self.comparison: RooflineComparison | None = None
        self.picture: RooflinesPicture | None = None
        self._roofs_key: tuple[tuple[str, ...], str, str] | None = None
        for control in (self.chips, self.dtype, self.convention, self.m, self.n, self.k):
            control.observe(self._on_change, names="value")
        self._on_change()
        self.widget = widgets.VBox([
            widgets.HBox([self.chips, widgets.VBox([self.dtype, self.convention])]),
            widgets.HBox([widgets.Label("GEMM C[m,n] = A[m,k] @ B[k,n]:"), self.m, self.n, self.k]),
            self.message.widget,
            self.figure.image,
        ])

    def _model(self) -> str:
        if not self.chips.value:
            raise ChiplabInputError("chips: select at least one chip (ctrl- or shift-click to select several)")
        gemm = Gemm(m=self.m.value, n=self.n.value, k=self.k.value, dtype=self.dtype.value)
        comparison = self.comparison = compare_on_rooflines(gemm, self.chips.value, self.convention.value)
        if not comparison.placements:
            raise ChiplabInputError(f"none of the selected chips has a {gemm.dtype} peak; pick another format "
                                    "or other chips")
        return self._summary(comparison)

    @staticmethod
    def _summary(comparison: RooflineComparison) -> str:
        first = comparison.placements[0]
        parts = [f"{comparison.gemm}: intensity <b>{format_number(first.point.intensity)}</b> {comparison.unit}"]
        for placed in comparison.placements:
            bound = "compute-bound" if not placed.is_memory_bound else f"{placed.point.bound}-bound"
            parts.append(f"{html.escape(placed.display_name)}: ridge {format_number(placed.ridge_point)}, "
                         f"<b>{bound}</b>, {placed.fraction_of_peak:.0%} of peak")
        skipped = [chip_id for chip_id, _ in comparison.skipped]
        if skipped:
            parts.append(f"not shown (no {comparison.gemm.dtype} peak): {', '.join(skipped)}")
        return "<br>".join(parts)

    def _on_change(self, _change: object = None) -> None:
        if not self.message.guard(self._model) or self.comparison is None:
            return
        comparison = self.comparison
        placements = comparison.placements
        points = {p.chip_id: [p.point] for p in placements}
        gemm = comparison.gemm
        caption = f"m = {gemm.m:,}, n = {gemm.n:,}, k = {gemm.k:,} ({gemm.dtype})"
        key = (tuple(p.chip_id for p in placements), self.dtype.value, self.convention.value)
        if key == self._roofs_key and self.picture is not None:  # same roofs: only the points move
            self.picture.update(points, caption=caption)
            self.figure.render_dynamic()
            return
        self._roofs_key = key  # other roofs: redraw the whole figure (same axes, new roofs)
        if self.picture is None:
            self.picture = RooflinesPicture(comparison.roofs, self.figure.new_axes(ROOF_RECT))
        else:
            self.picture.set_roofs(comparison.roofs)
        self.picture.update(points, caption=caption)
        self.figure.set_dynamic(self.picture.dynamic_artists)
        self.figure.render()

def roofline_explorer(chips: tuple[str, ...] = ("tpu_v5e", "trainium2", "h100_sxm"), dtype: str = "bf16",
                      m: int = 8, n: int = 8192, k: int = 8192, convention: str = "flops_per_byte") -> widgets.VBox:
    """A widget to display in one line: ``roofline_explorer()``; slide m and watch the points climb."""
    n, k = (whole_between(name, value, 1, MAX_GEMM_DIM) for name, value in (("n", n), ("k", k)))
    return RooflineExplorer(chip_ids("chips", chips), text_option("dtype", dtype, DTYPES), m, n, k,
                            text_option("convention", convention, [value for _, value in CONVENTIONS])).widget
