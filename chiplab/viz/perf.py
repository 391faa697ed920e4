"""Figures of the performance model: a step's time per op, training time breakdowns (with error bars where the
estimates carry a band), scale-out efficiency, and the validation against published runs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from chiplab.perf.scaling import ScalingSweep
from chiplab.perf.step import StepEstimate
from chiplab.perf.training import TrainingEstimate
from chiplab.perf.validation import ValidationReport
from chiplab.perf.validation_record import FAMILY_LABELS
from chiplab.perf.validation_summary import WITHIN_FRACTION
from chiplab.perf.validation_tables import errors_by_group
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, chip_label, draw_range, get_axes, readable, set_alt_text

# One colour per part of TrainingEstimate.breakdown_s (BREAKDOWN_PARTS); zip below is strict so a new part without
# a colour fails loudly instead of silently vanishing from the stack.
_PART_COLORS = [OKABE_ITO[c] for c in ("blue", "yellow", "vermillion", "green", "sky_blue", "orange", "purple")]
_FAMILY_COLORS = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion")]  # TPU, Trainium, NVIDIA, AMD


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
    for color, part in zip(_PART_COLORS[:len(parts)], parts, strict=True):
        values = np.array([e.breakdown_s()[part] for e in estimates.values()])
        ax.bar(names, values, bottom=bottom, color=color, label=part)
        bottom += values
    banded = False
    for x, estimate in enumerate(estimates.values()):
        band = estimate.time_s_range  # the true step time if chiplab errs as on published runs (None: no band)
        top = bottom[x]
        if band is not None:  # a range, not ± around the bar: it may lie wholly above an optimistic prediction
            banded = True
            draw_range(ax, x, band[0], band[1])
            top = max(top, band[1])
        ax.annotate(f"MFU {estimate.mfu_fraction:.0%}", (x, top), ha="center", va="bottom",
                    fontsize=FONT_SIZE - 2)
    ax.set_ylabel("seconds per training step")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False)
    if banded:
        ax.set_title("error bars: the model's error band on published training runs", fontsize=FONT_SIZE - 1)
    summary = ", ".join(f"{n}: {e.time_s:.3g} s, MFU {e.mfu_fraction:.0%}" for n, e in estimates.items())
    set_alt_text(ax, f"Stacked bars of training step time split into compute, bubble, communication and optimizer "
                     f"({summary})" + ("; error bars show the range of the true step time from the model's "
                                       "validation errors." if banded else "."))
    return ax


def draw_predicted_vs_measured(report: ValidationReport, ax: Axes | None = None) -> Axes:
    """Each validated run as a point: measured against predicted speed per chip (tokens/s per chip, log–log),
    coloured by vendor family, filled for training and hollow for serving; the diagonal is a perfect prediction
    and the dotted lines ±10 %."""
    ax = get_axes(ax, figsize=(6.4, 5.0))
    measured = [c.published_tokens_per_s_per_chip for c in report.cases]
    predicted = [c.predicted_tokens_per_s_per_chip for c in report.cases]
    low, high = min(measured + predicted) / 2, max(measured + predicted) * 2
    line = np.array([low, high])
    ax.loglog(line, line, color="black", linewidth=1)
    for factor in (1 - WITHIN_FRACTION, 1 + WITHIN_FRACTION):
        ax.loglog(line, line * factor, color="grey", linestyle=":", linewidth=0.8)
    for (family, label), color in zip(FAMILY_LABELS.items(), _FAMILY_COLORS, strict=True):
        for kind, face in (("training", color), ("serving", "none")):
            cases = report.select(family=family, kind=kind).cases
            if cases:
                ax.scatter([c.published_tokens_per_s_per_chip for c in cases],
                           [c.predicted_tokens_per_s_per_chip for c in cases], s=36, facecolors=face,
                           edgecolors=color, linewidths=1.5, label=f"{label} {kind} ({len(cases)})")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("measured tokens/s per chip (published)")
    ax.set_ylabel("chiplab's tokens/s per chip")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="upper left")
    above = sum(p > m for p, m in zip(predicted, measured, strict=True))
    set_alt_text(ax, f"Log-log scatter of {len(measured)} published runs, chiplab's predicted speed per chip against "
                     f"the measured one, by vendor family; {above} points lie above the diagonal (chiplab faster "
                     "than measured).")
    return ax


def draw_error_distribution(report: ValidationReport, ideal: ValidationReport | None = None,
                            ax: Axes | None = None) -> Axes:
    """Each case's predicted ÷ measured speed (1 + its signed error; > 1: chiplab faster than measured) per vendor
    family and kind, on a log axis so that "twice too fast" and "twice too slow" are equally far from 1; ±10 %
    shaded. With ``ideal``, the same cases under the ideal calibration as grey crosses."""
    groups = {name: errors for name, errors in errors_by_group(report).items() if errors}
    ax = get_axes(ax, figsize=(6.4, 1.2 + 0.45 * len(groups)))
    ax.axvspan(1 - WITHIN_FRACTION, 1 + WITHIN_FRACTION, color=OKABE_ITO["green"], alpha=0.2, linewidth=0)
    ax.axvline(1, color="black", linewidth=1)
    ideal_groups = errors_by_group(ideal) if ideal is not None else {}
    for y, (name, errors) in enumerate(groups.items()):
        ax.scatter(1 + np.array(errors), y + np.linspace(-0.15, 0.15, len(errors)), s=22, color=COLORS["busy"],
                   label="fitted calibration (the default)" if y == 0 else None, zorder=3)
        if ideal_groups.get(name):
            ideal_ratios = 1 + np.array(ideal_groups[name])
            ax.scatter(ideal_ratios, y + np.linspace(-0.15, 0.15, len(ideal_ratios)), s=22, marker="x",
                       color="grey", label="ideal hardware (no calibration)" if y == 0 else None, zorder=2)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}×"))
    ax.set_yticks(range(len(groups)), list(groups))
    ax.invert_yaxis()
    ax.set_xlabel("chiplab's speed ÷ measured speed (> 1: chiplab faster; shaded: within ±10 %)")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
    every = [e for errors in groups.values() for e in errors]
    set_alt_text(ax, f"Dot plot of {len(every)} cases' predicted over measured speed by vendor family and kind; "
                     f"{sum(e > 0 for e in every)} lie above 1 (chiplab faster than measured)"
                     + ("; grey crosses show the same cases under the ideal calibration." if ideal else "."))
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
