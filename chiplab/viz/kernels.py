"""Figures of a kernel run (``chiplab.kernels``): the profiler-style timeline, one row per engine, and a comparison
of kernel variants. Nothing here computes the model; everything is read from a ``KernelRun``.

In JupyterLab with ``%matplotlib widget`` (ipympl) the timeline zooms and pans with the toolbar, and
:meth:`TimelinePicture.connect_hover` shows the instruction under the mouse (its engine, its kernel line and its
start and end times).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch
from matplotlib.text import Annotation

from chiplab.errors import ChiplabInputError
from chiplab.kernels import KernelRun
from chiplab.memory.roofline_model import Ceiling, Roofline, RooflinePoint
from chiplab.units import time_scale
from chiplab.viz.memory import draw_roofline
from chiplab.viz.style import COLORS, OKABE_ITO, get_axes, set_alt_text

# Instruction kinds → colour (Okabe-Ito, readable with every common colour-vision deficiency).
KIND_COLORS = {
    "load": OKABE_ITO["sky_blue"],
    "store": OKABE_ITO["orange"],
    "matmul": OKABE_ITO["blue"],
    "vector": OKABE_ITO["green"],
    "scalar": OKABE_ITO["vermillion"],
}
KIND_LABELS = {"load": "DMA load", "store": "DMA store", "matmul": "matmul", "vector": "vector op",
               "scalar": "activation (scalar engine)"}
BAR_HEIGHT = 0.7


def instruction_kind(label: str) -> str:
    """Colour class of an instruction label ("load", "dot", "activation:exp", "reduce:max", ...)."""
    if label in ("load", "store"):
        return label
    if label in ("matmul", "dot"):
        return "matmul"
    return "scalar" if label.startswith("activation") else "vector"


class TimelinePicture:
    """The timeline's artists, kept so explorers can redraw only the bars (``update``) and ipympl can answer hover
    events. ``x_max_s`` fixes the time axis (to compare variants on one scale); by default it fits the run."""

    def __init__(self, run: KernelRun, ax: Axes | None = None, x_max_s: float | None = None):
        self.ax = get_axes(ax, figsize=(6.4, 3.2))
        used = [i for i, e in enumerate(run.engines) if e.num_instructions]
        if not used:
            raise ChiplabInputError("the kernel ran no instructions, so there is no timeline to draw")
        self.rows = {engine: row for row, engine in enumerate(reversed(used))}
        x_max_s = run.total_s if x_max_s is None else x_max_s
        self.scale, self.unit = time_scale(max(x_max_s, 1e-12))
        # One PolyCollection per kind: tens of thousands of bars draw in milliseconds.
        self.collections = {kind: PolyCollection([], facecolors=color, edgecolors=color, linewidths=0.3,
                                                 label=KIND_LABELS[kind]) for kind, color in KIND_COLORS.items()}
        for collection in self.collections.values():
            self.ax.add_collection(collection)
        ax = self.ax
        ax.set_xlim(0, x_max_s / self.scale * 1.01)
        ax.set_ylim(-0.6, len(used) - 0.4)
        ax.set_yticks(range(len(used)))
        ax.set_yticklabels([run.engines[e].name for e in reversed(used)])
        ax.set_xlabel(f"time ({self.unit})")
        ax.grid(axis="x", color=COLORS["idle"], linewidth=0.5)
        self.title = ax.set_title("", fontsize=10, y=1.02)   # a fixed place: automatic placement misreads the
        # empty collections of kinds a kernel does not use
        self.annotation: Annotation | None = None
        self.update(run)
        kinds = set(self._kinds)
        ax.legend(handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in KIND_COLORS if k in kinds],
                  loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=3, fontsize=8, frameon=False)

    @property
    def dynamic_artists(self) -> list:
        """What :meth:`update` changes (explorers redraw only these over a cached background)."""
        return [*self.collections.values(), self.title]

    def update(self, run: KernelRun) -> None:
        """Show another run of the same kernel shape (same engines) on the same axes."""
        self.run = run
        t = run.timeline
        if any(e not in self.rows for e in np.unique(t.engine)):
            raise ChiplabInputError("update needs a run that uses the same engines; draw a new TimelinePicture")
        self._kinds = np.array([instruction_kind(op[0]) for op in t.ops])
        self._rows_of = np.array([self.rows[e] for e in t.engine])
        self._x0, self._x1 = t.start_s / self.scale, t.end_s / self.scale
        for kind, collection in self.collections.items():
            mask = self._kinds == kind
            x0, x1, y = self._x0[mask], self._x1[mask], self._rows_of[mask]
            y0, y1 = y - BAR_HEIGHT / 2, y + BAR_HEIGHT / 2
            corners = np.stack([np.stack([x0, y0], 1), np.stack([x0, y1], 1), np.stack([x1, y1], 1),
                                np.stack([x1, y0], 1)], axis=1)
            collection.set_verts(list(corners))
        self.title.set_text(f"{run.name}: {run.total_s / self.scale:.3g} {self.unit}, {run.peak_fraction:.0%} of "
                            f"matrix peak\non one {run.params.chip.core.label} of {run.params.chip.display_name}")
        busiest = max(run.engines, key=lambda e: e.busy_s)
        set_alt_text(self.ax, f"Timeline of {run.name}: one row per engine ({len(self.rows)} rows), one bar per "
                              f"instruction ({t.num_instructions} in all); total {run.total_s / self.scale:.3g} "
                              f"{self.unit}; the busiest engine is {busiest.name} at {busiest.busy_fraction:.0%}.")

    def instruction_at(self, x: float, y: float) -> int | None:
        """Index of the instruction drawn at data coordinates (x, y), if any."""
        hits = np.flatnonzero((np.abs(self._rows_of - y) <= BAR_HEIGHT / 2) & (self._x0 <= x) & (x <= self._x1))
        return int(hits[0]) if len(hits) else None

    def connect_hover(self) -> None:
        """Show the instruction under the mouse (needs an interactive backend such as ipympl)."""
        ax = self.ax
        annotation = self.annotation = ax.annotate(
            "", xy=(0, 0), xytext=(10, 10), textcoords="offset points", fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.9}, visible=False)

        def on_move(event):
            if event.inaxes is not ax:
                return
            i = self.instruction_at(event.xdata, event.ydata)
            annotation.set_visible(i is not None)
            if i is not None:
                annotation.xy = (event.xdata, event.ydata)
                annotation.set_text(self.run.timeline.describe(i))
            ax.figure.canvas.draw_idle()

        ax.figure.canvas.mpl_connect("motion_notify_event", on_move)


def draw_timeline(run: KernelRun, ax: Axes | None = None) -> Axes:
    """A profiler-style timeline of ``run``: one row per engine, one bar per instruction, coloured by kind."""
    return TimelinePicture(run, ax).ax


def draw_kernel_comparison(runs: Sequence[KernelRun], ax: Axes | None = None) -> Axes:
    """Time of several kernels side by side, with each engine's busy time drawn inside the bar."""
    if not runs:
        raise ChiplabInputError("runs must hold at least one KernelRun")
    ax = get_axes(ax, figsize=(6.4, 0.8 + 0.6 * len(runs)))
    scale, unit = time_scale(max(r.total_s for r in runs))
    names = [r.name for r in runs]
    y = np.arange(len(runs))[::-1]
    ax.barh(y, [r.total_s / scale for r in runs], color=COLORS["idle"], height=0.8, label="total time")
    roles = [("dma", "DMA busy", KIND_COLORS["load"]), ("matrix", "matrix unit busy", KIND_COLORS["matmul"])]
    for offset, (role, label, color) in zip((-0.2, 0.2), roles, strict=True):
        ax.barh(y + offset, [r.engine(role).busy_s / scale for r in runs], height=0.3, color=color, label=label)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.set_xlabel(f"time ({unit})")
    ax.legend(loc="lower right", fontsize=8)
    for yi, r in zip(y, runs, strict=True):
        ax.text(r.total_s / scale, yi, f" {r.total_s / scale:.3g} {unit}, {r.peak_fraction:.0%} of peak",
                va="center", fontsize=8)
    ax.set_xlim(0, max(r.total_s for r in runs) / scale * 1.45)
    set_alt_text(ax, "Kernel variants compared: " + "; ".join(
        f"{r.name} {r.total_s / scale:.3g} {unit} (DMA busy {r.engine('dma').busy_fraction:.0%}, matrix unit "
        f"busy {r.engine('matrix').busy_fraction:.0%})" for r in runs))
    return ax


def draw_kernel_roofline(runs: Sequence[KernelRun], ax: Axes | None = None) -> Axes:
    """Kernels placed on ONE core's roofline (its matrix peak, its share of HBM bandwidth) at the throughput they
    achieved: the gap below the roof is time lost to latency, turn-taking and the vector engines."""
    if not runs:
        raise ChiplabInputError("runs must hold at least one KernelRun")
    first = runs[0].roofline
    params = runs[0].params
    flops = runs[0].matrix_flops_by_dtype
    dtype = max(flops, key=lambda d: flops[d], default="bf16")
    roof = Roofline(chip_id=params.chip.id, dtype=dtype, peak_flops_per_s=first.peak_flops_per_s,
                    ceilings=(Ceiling(label=f"{params.offchip.vendor_label} (one core's share)", role="offchip",
                                      bandwidth_bytes_per_s=first.bandwidth_bytes_per_s),))
    points = [RooflinePoint(label=r.name, level="offchip", intensity=r.roofline.intensity_flops_per_byte,
                            attainable_flops_per_s=r.roofline.achieved_flops_per_s, bound=r.roofline.bound)
              for r in runs]
    low = min(p.intensity for p in points) / 10
    high = max(max(p.intensity for p in points) * 10, first.ridge_flops_per_byte * 10)
    ax = draw_roofline(roof, points, ax=ax, intensity_range=(low, high))
    ax.set_title(f"One {params.chip.core.label} of {params.chip.display_name}: kernels at their achieved "
                 f"throughput", fontsize=10)
    set_alt_text(ax, f"Roofline of one {params.chip.core.label} of {params.chip.display_name} with "
                     f"{len(runs)} kernels placed at the throughput they achieved: " + "; ".join(
                         f"{r.name} at {r.roofline.intensity_flops_per_byte:.3g} FLOP/byte, "
                         f"{r.roofline.achieved_flops_per_s / 1e12:.3g} TFLOP/s" for r in runs))
    return ax
