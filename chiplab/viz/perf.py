"""Figures of the performance model: a step's time per op, training time breakdowns, scale-out efficiency."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from chiplab.perf.scaling import ScalingSweep
from chiplab.perf.step import StepEstimate
from chiplab.perf.training import TrainingEstimate
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, chip_label, get_axes, readable, set_alt_text

_PART_COLORS = [OKABE_ITO[c] for c in ("blue", "yellow", "vermillion", "sky_blue", "orange", "purple")]


def draw_step_breakdown(step: StepEstimate, ax: Axes | None = None, by: str = "name", top: int = 12) -> Axes:
    """Horizontal bars of a step's time grouped ``by`` op "name", "phase" or "stage" (largest first);
    blue = limited by compute, vermillion = limited by memory."""
    ax = get_axes(ax, figsize=(6.4, 4.2))
    totals = step.time_by(by)
    compute_bound = {op.name for op in step.ops if op.bottleneck in ("compute", "vector")}
    items = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:top]
    labels = [label for label, _ in items]
    colors = [COLORS["busy"] if (by == "name" and label in compute_bound) else OKABE_ITO["vermillion"]
              if by == "name" else COLORS["mapping"] for label in labels]
    ax.barh([readable(label) for label in labels], [value * 1e3 for _, value in items], color=colors)
    ax.invert_yaxis()
    ax.set_xlabel("time per step (ms)")
    ax.set_title(f"{step.step_name} on {chip_label(step.chip_id)}: MFU {step.mfu_fraction:.0%}", fontsize=FONT_SIZE - 1)
    if by == "name":
        ax.legend(handles=[Patch(color=COLORS["busy"], label="compute-bound"),
                           Patch(color=OKABE_ITO["vermillion"], label="memory-bound")],
                  fontsize=FONT_SIZE - 2, frameon=False, loc="lower right")
    biggest = items[0]
    set_alt_text(ax, f"Bar chart of where one step of {step.step_name} spends its time on "
                     f"{chip_label(step.chip_id)}; the "
                     f"largest part is {readable(biggest[0])} at {biggest[1] / step.time_s:.0%} of the step.")
    return ax


def draw_training_breakdown(estimates: Mapping[str, TrainingEstimate], ax: Axes | None = None) -> Axes:
    """Stacked bars of a training step's time: compute, pipeline bubble, communication, optimizer."""
    ax = get_axes(ax)
    names = list(estimates)
    parts = list(next(iter(estimates.values())).breakdown_s())
    bottom = np.zeros(len(names))
    for color, part in zip(_PART_COLORS, parts, strict=False):
        values = np.array([e.breakdown_s()[part] for e in estimates.values()])
        ax.bar(names, values, bottom=bottom, color=color, label=part)
        bottom += values
    for x, estimate in enumerate(estimates.values()):
        ax.annotate(f"MFU {estimate.mfu_fraction:.0%}", (x, bottom[x]), ha="center", va="bottom",
                    fontsize=FONT_SIZE - 2)
    ax.set_ylabel("seconds per training step")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False)
    summary = ", ".join(f"{n}: {e.time_s:.3g} s, MFU {e.mfu_fraction:.0%}" for n, e in estimates.items())
    set_alt_text(ax, f"Stacked bars of training step time split into compute, bubble, communication and optimizer "
                     f"({summary}).")
    return ax


def draw_scaling(sweep: ScalingSweep, ax: Axes | None = None) -> Axes:
    """Scale-out efficiency (throughput per chip relative to the smallest run) against the number of chips."""
    ax = get_axes(ax)
    ax.semilogx(sweep.num_chips, sweep.efficiency_fraction * 100, marker="o", color=COLORS["utilization"])
    ax.axhline(100, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel("chips")
    ax.set_ylabel("throughput per chip (% of smallest run)")
    ax.set_ylim(0, 110)
    ax.set_title(f"{sweep.model_name} on {chip_label(sweep.chip_id)}: data-parallel scaling", fontsize=FONT_SIZE)
    set_alt_text(ax, f"Line chart: per-chip throughput of {sweep.model_name} on {chip_label(sweep.chip_id)} stays at "
                     f"{sweep.efficiency_fraction[-1]:.0%} of the smallest run's at {sweep.num_chips[-1]} chips.")
    return ax
