"""Figures of LLM workloads: where the FLOPs go, the 6N rule of thumb, GEMM intensity, serving batch sweeps, and
the live step picture of the LLM explorer.

Every function draws results computed by the models (:mod:`chiplab.workloads.describe`, :mod:`chiplab.perf.llm`);
nothing here computes the model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from chiplab.perf.llm import LLMEstimate, ServingSweep
from chiplab.perf.training import BREAKDOWN_PARTS
from chiplab.units import format_bytes, format_seconds
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, chip_label, get_axes, set_alt_text
from chiplab.workloads.describe import CATEGORIES, FlopsBreakdown, IntensitySweep, SixNComparison

_CATEGORY_COLORS = dict(zip(CATEGORIES, [OKABE_ITO[c] for c in ("sky_blue", "vermillion", "blue", "orange",
                                                                   "black")], strict=True))
_SERIES = [OKABE_ITO[c] for c in ("blue", "vermillion", "green", "orange", "purple", "sky_blue", "black")]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
_PLAIN = FuncFormatter(lambda value, _: f"{value:,.0f}")  # 1,024 rather than 2^10 on log-2 axes


def draw_flops_breakdown(breakdowns: Mapping[str, FlopsBreakdown], ax: Axes | None = None) -> Axes:
    """One stacked horizontal bar per labelled breakdown: the share of its FLOPs in each category."""
    if not breakdowns:
        raise ValueError("breakdowns must map at least one label to a FlopsBreakdown")
    ax = get_axes(ax, figsize=(7.0, 0.6 * len(breakdowns) + 1.6))
    labels = list(breakdowns)
    left = np.zeros(len(labels))
    for category in CATEGORIES:
        shares = np.array([b.fraction(category) * 100 for b in breakdowns.values()])
        ax.barh(labels, shares, left=left, color=_CATEGORY_COLORS[category], label=category, edgecolor="white")
        left += shares
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the step's FLOPs (%)")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    described = "; ".join(f"{label}: MLP {b.fraction(CATEGORIES[2]):.0%}, attention scores "
                          f"{b.fraction(CATEGORIES[1]):.0%}, projections {b.fraction(CATEGORIES[0]):.0%}"
                          for label, b in breakdowns.items())
    set_alt_text(ax, f"Stacked bars of where the FLOPs of each step go ({described}).")
    return ax


def draw_six_n(comparison: SixNComparison, ax: Axes | None = None) -> Axes:
    """Counted training FLOPs per token ÷ 6N against the sequence length, one line per model."""
    ax = get_axes(ax)
    worst = max(comparison.rows, key=lambda row: row.counted_over_six_n)
    for index, name in enumerate(comparison.model_names):
        rows = comparison.rows_of(name)
        ax.plot([r.seq_len for r in rows], [r.counted_over_six_n for r in rows], marker=_MARKERS[index % 7],
                color=_SERIES[index % len(_SERIES)], label=name)
    ax.axhline(1.0, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({r.seq_len for r in comparison.rows}))
    ax.xaxis.set_major_formatter(_PLAIN)
    ax.tick_params(axis="x", labelsize=FONT_SIZE - 2)
    ax.set_xlabel("sequence length T (tokens)")
    ax.set_ylabel("counted FLOPs per token ÷ 6N")
    ax.legend(fontsize=FONT_SIZE - 1, frameon=False)
    set_alt_text(ax, f"Line chart: the real training FLOPs per token divided by 6N, against sequence length, for "
                     f"{', '.join(comparison.model_names)}; the ratio is near 1 at short sequences and grows with "
                     f"T, most for small models ({worst.model_name} reaches {worst.counted_over_six_n:.1f} at "
                     f"T = {worst.seq_len:,}).")
    return ax


def draw_intensity_sweep(sweep: IntensitySweep, ax: Axes | None = None) -> Axes:
    """Arithmetic intensity of a weight GEMM against the tokens m (log-log), with each chip's ridge point."""
    ax = get_axes(ax)
    ax.loglog(sweep.num_tokens, sweep.intensity_flops_per_byte, color=COLORS["busy"], marker="o", markersize=3,
              label=f"{sweep.label}")
    for index, ridge in enumerate(sweep.ridges):
        color = _SERIES[(index + 1) % len(_SERIES)]
        ax.axhline(ridge.ridge_flops_per_byte, color=color, linestyle="--", linewidth=1,
                   label=f"{ridge.chip_name}: ridge {ridge.ridge_flops_per_byte:.0f} FLOP/B")
        if ridge.tokens_needed is not None:
            ax.plot([ridge.tokens_needed], [ridge.ridge_flops_per_byte], marker="o", color=color)
    ax.set_xlabel("tokens m sharing each read of the weights")
    ax.set_ylabel(f"FLOPs per byte ({sweep.dtype})")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="lower right")
    ridges = ", ".join(f"{r.chip_name} {r.tokens_needed or 'never'}" for r in sweep.ridges)
    set_alt_text(ax, f"Log-log line chart: the intensity of {sweep.label} grows in proportion to the tokens m, from "
                     f"{sweep.intensity_flops_per_byte[0]:.2g} FLOP per byte at m = {sweep.num_tokens[0]} to "
                     f"{sweep.intensity_flops_per_byte[-1]:.3g} at m = {sweep.num_tokens[-1]:,}; dashed lines mark "
                     f"each chip's ridge point, crossed at these token counts: {ridges}.")
    return ax


def draw_serving_sweep(sweep: ServingSweep, ax: Axes | None = None) -> Axes:
    """Throughput per chip and per request against the batch size (log-log); batches that do not fit in memory
    are drawn hollow, in a shaded region."""
    ax = get_axes(ax)
    batch = sweep.batch
    fits = np.array(sweep.fits)
    per_chip, per_user = sweep.output_tokens_per_s_per_chip, sweep.tokens_per_s_per_user
    ax.loglog(batch, per_chip, color=COLORS["busy"], label="output tokens/s per chip")
    band = sweep.output_tokens_per_s_per_chip_range  # the true value if the model errs as on published runs
    if band is not None:
        ax.fill_between(batch, band[0], band[1], color=COLORS["busy"], alpha=0.15, linewidth=0,
                        label="per chip, model error band")
    ax.loglog(batch, per_user, color=OKABE_ITO["vermillion"], linestyle="--", label="tokens/s seen by one request")
    ax.scatter(batch[fits], per_chip[fits], color=COLORS["busy"], zorder=3, s=14)
    ax.scatter(batch[fits], per_user[fits], color=OKABE_ITO["vermillion"], zorder=3, s=14)
    if not fits.all():
        first = batch[~fits].min()
        ax.axvspan(first / 1.3, batch.max() * 1.3, color="#E8E8E8", zorder=0, label="does not fit in memory")
        ax.scatter(batch[~fits], per_chip[~fits], facecolors="white", edgecolors=COLORS["busy"], zorder=3, s=14)
        ax.scatter(batch[~fits], per_user[~fits], facecolors="white", edgecolors=OKABE_ITO["vermillion"],
                   zorder=3, s=14)
    ax.set_xscale("log", base=2)
    ax.set_xticks(batch)
    ax.xaxis.set_major_formatter(_PLAIN)
    ax.tick_params(axis="x", labelsize=FONT_SIZE - 2)
    ax.set_xlabel("batch (requests decoded together)")
    ax.set_ylabel("tokens per second")
    ax.set_title(f"{sweep.model_name} on {sweep.tensor_parallel} × "
                 f"{chip_label(sweep.chip_id)}: prompt {sweep.prompt_len:,}, "
                 f"output {sweep.output_len:,} tokens", fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    largest = sweep.largest_fitting_batch
    set_alt_text(ax, f"Log-log chart of serving {sweep.model_name} on "
                     f"{chip_label(sweep.chip_id)}: as the batch grows from "
                     f"{batch.min()} to {batch.max()}, output tokens per second per chip rise from "
                     f"{per_chip[0]:,.0f} to {per_chip[-1]:,.0f} while each request's own speed falls from "
                     f"{per_user[0]:,.0f} to {per_user[-1]:,.0f} tokens per second; the largest batch that fits "
                     f"in memory is {largest}.")
    return ax


# --- the LLM explorer's picture ---------------------------------------------------------------------------------

_COMPUTE_COLOR = COLORS["busy"]
_MEMORY_COLOR = OKABE_ITO["vermillion"]
_CAPACITY_COLOR = OKABE_ITO["green"]
_MEMORY_PARTS = (("weights", "weights_bytes"), ("gradients", "gradients_bytes"),
                 ("optimizer state", "optimizer_state_bytes"), ("activations", "activations_bytes"),
                 ("KV cache", "kv_cache_bytes"))


def _part_color(name: str) -> str:
    """Parts of a step coloured by meaning, consistently with the compute/memory colours of the ops."""
    if name in ("compute", "ops limited by compute"):
        return _COMPUTE_COLOR
    if "comm" in name:
        return OKABE_ITO["sky_blue"]
    if "bubble" in name:
        return OKABE_ITO["yellow"]
    if "optimizer" in name:
        return OKABE_ITO["purple"]
    return _MEMORY_COLOR  # ops limited by a memory level


class LLMStepPicture:
    """Three panels of bars, each with its own axis and unit, so that an explorer redraws only bars and short
    texts:

    * one chip's step per part of the model (attention projections, scores, MLP, logits, other ops, optimizer),
      each bar split into time limited by compute (blue) and by memory (vermillion), as % of one chip's step time;
    * where the whole step's wall time goes (:attr:`LLMEstimate.parts_s`: compute, bubble, communication...), as %
      of the step's wall time;
    * the memory each chip needs, as % of one chip's off-chip memory.

    The panels are drawn inside ``ax`` (which itself shows no axis). Every label is drawn once, in the background:
    the parts of the model and of memory never change, and the parts of the step are fixed by the estimate the
    picture was made for (training or serving, see :meth:`fits`). What :meth:`update` touches — bars, the values
    next to them, the caption — is in :attr:`dynamic_artists`; a value of zero hides its text, which is also the
    fastest thing to draw.
    """

    NUM_PARTS = len(BREAKDOWN_PARTS)  # a training step has the most parts (serving steps have three)
    # Each panel: its header and the quantity (with its unit) on its own x axis.
    PANELS = (("one chip's step, per part of the model", "% of one chip's step time"),
              ("where the whole step's time goes", "% of the whole step's wall time"),
              ("memory per chip", "% of one chip's off-chip memory"))
    _PANEL_GAP_ROWS = 3.2  # room for a panel's header above it and its tick labels and axis label below it

    def __init__(self, estimate: LLMEstimate, ax: Axes):
        self.ax = ax
        ax.set_axis_off()
        categories = [c.category for c in estimate.time_by_category]
        groups = (len(categories), self.NUM_PARTS, len(_MEMORY_PARTS))
        self.part_names = list(estimate.parts_s)[: self.NUM_PARTS]
        fixed_labels = (categories, self.part_names, [label for label, _ in _MEMORY_PARTS])
        total_rows = sum(groups) + self._PANEL_GAP_ROWS * len(groups)
        self.panels: list[Axes] = []
        self.bars, self.labels, self.notes = [], [], []
        top = 1.0
        for (header, unit), size, labels in zip(self.PANELS, groups, fixed_labels, strict=True):
            height = size / total_rows
            top -= 1.0 / total_rows  # the header's row
            panel = ax.inset_axes((0.0, top - height, 1.0, height))
            top -= height + (self._PANEL_GAP_ROWS - 1.0) / total_rows
            self.panels.append(panel)
            self._frame(panel, size, header, unit)
            at_left = blended_transform_factory(panel.transAxes, panel.transData)
            group_bars, group_labels, group_notes = [], [], []
            for row in range(size):
                group_bars.append(panel.barh(row, 0.0, height=0.7, color=_COMPUTE_COLOR)[0])
                group_labels.append(panel.text(-0.02, row, labels[row] if row < len(labels) else "",
                                               transform=at_left, ha="right", va="center", fontsize=FONT_SIZE - 2))
                group_notes.append(panel.text(0.0, row, "", ha="left", va="center", fontsize=FONT_SIZE - 2))
            self.bars.append(group_bars)
            self.labels.append(group_labels)
            self.notes.append(group_notes)
        # The memory-bound part of each model part, stacked right of its compute-bound part.
        self.extra_bars = [self.panels[0].barh(bar.get_y() + bar.get_height() / 2, 0.0, height=0.7,
                                               color=_MEMORY_COLOR)[0] for bar in self.bars[0]]
        # Right of the 100% line, where no bar reaches.
        self.panels[0].legend(handles=[Patch(color=_COMPUTE_COLOR, label="compute-bound"),
                                       Patch(color=_MEMORY_COLOR, label="memory-bound")],
                              fontsize=FONT_SIZE - 2, frameon=False, loc="center right", borderpad=0,
                              borderaxespad=0, handlelength=1.0, handletextpad=0.4)
        self.caption = ax.text(0.0, 1.02, "", transform=ax.transAxes, fontsize=FONT_SIZE - 1, va="bottom")
        self.update(estimate)

    @staticmethod
    def _frame(panel: Axes, rows: int, header: str, unit: str) -> None:
        panel.set_xlim(0, 1.3)
        panel.set_ylim(rows - 0.5, -0.5)
        panel.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25", "50", "75", "100"])
        panel.tick_params(axis="x", labelsize=FONT_SIZE - 2, pad=1)
        panel.set_yticks([])
        panel.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
        for side in ("top", "right"):
            panel.spines[side].set_visible(False)
        panel.set_title(header, loc="left", fontsize=FONT_SIZE - 1, fontweight="bold", pad=3)
        panel.set_xlabel(unit, fontsize=FONT_SIZE - 2, labelpad=1)

    @property
    def dynamic_artists(self) -> list:
        """Bars, the values next to them and the caption (labels and axes are background)."""
        return [*self.bars[0], *self.extra_bars, *self.bars[1], *self.bars[2], *self.notes[0], *self.notes[1],
                *self.notes[2], self.caption]

    def fits(self, estimate: LLMEstimate) -> bool:
        """Can :meth:`update` show ``estimate``: are the parts of its step the ones labelled (training and serving
        steps have different parts)?"""
        return list(estimate.parts_s)[: self.NUM_PARTS] == self.part_names

    def update(self, estimate: LLMEstimate) -> None:
        if not self.fits(estimate):
            raise ValueError(f"this picture shows a step made of {self.part_names}; make a new LLMStepPicture for "
                             f"one made of {list(estimate.parts_s)}")
        step_s = estimate.step.time_s
        for bar, extra, note, part in zip(self.bars[0], self.extra_bars, self.notes[0], estimate.time_by_category,
                                          strict=True):
            bar.set_width(part.compute_bound_s / step_s)
            extra.set_x(part.compute_bound_s / step_s)
            extra.set_width(part.memory_bound_s / step_s)
            _set_note(note, format_seconds(part.time_s), part.time_s / step_s, part.time_s > 0)
        parts = list(estimate.parts_s.items())
        for index, (bar, note) in enumerate(zip(self.bars[1], self.notes[1], strict=True)):
            name, seconds = parts[index] if index < len(parts) else ("", 0.0)
            bar.set_visible(bool(name))
            bar.set_width(seconds / estimate.time_s)
            bar.set_color(_part_color(name))
            _set_note(note, format_seconds(seconds), seconds / estimate.time_s, seconds > 0)
        capacity = estimate.memory_capacity_bytes
        for bar, note, (_, field) in zip(self.bars[2], self.notes[2], _MEMORY_PARTS, strict=True):
            num_bytes = getattr(estimate.memory, field)
            bar.set_width(min(num_bytes / capacity, 1.0))
            bar.set_color(_CAPACITY_COLOR)
            _set_note(note, format_bytes(num_bytes), min(num_bytes / capacity, 1.0), num_bytes > 0)
        self.caption.set_text(f"{estimate.model_name}, {estimate.mode} on {estimate.num_chips} × "
                              f"{chip_label(estimate.chip_id)}: "
                              f"{format_seconds(estimate.time_s)} per step, MFU {estimate.mfu_fraction:.0%}")
        biggest_part = max(estimate.time_by_category, key=lambda part: part.time_s)
        bound = "memory" if biggest_part.memory_bound_s > biggest_part.compute_bound_s else "compute"
        biggest = max(estimate.parts_s.items(), key=lambda item: item[1])
        set_alt_text(self.ax, f"Bar chart of a {estimate.mode} step of {estimate.model_name} on "
                              f"{estimate.num_chips} "
                              f"{chip_label(estimate.chip_id)} chips: on one chip, {biggest_part.category} "
                              f"takes the most time ({biggest_part.time_s / step_s:.0%}, mostly limited by {bound}); "
                              f"the largest part of the whole step is {biggest[0]} "
                              f"({biggest[1] / estimate.time_s:.0%}); each chip needs {estimate.memory_fraction:.0%} "
                              f"of its memory.")


def _set_note(note, text: str, bar_end: float, shown: bool) -> None:
    note.set_visible(shown)
    if shown:
        note.set_text(text)
        note.set_x(bar_end + 0.01)


def draw_llm_step(estimate: LLMEstimate, ax: Axes | None = None) -> Axes:
    """The LLM explorer's picture of one estimate, as a static figure (see :class:`LLMStepPicture`)."""
    ax = get_axes(ax, figsize=(8.0, 5.4))
    LLMStepPicture(estimate, ax)
    return ax
