"""Figures of SCALE-Sim runs: stall cycles against DRAM bandwidth (USER mode) for the three dataflows."""

from __future__ import annotations

from matplotlib.axes import Axes

from chiplab.scalesim.sweep import StallSweep
from chiplab.viz.style import FONT_SIZE, OKABE_ITO, get_axes, set_alt_text

_DATAFLOW_STYLE = {"ws": ("weight stationary", OKABE_ITO["blue"], "o"),
                   "os": ("output stationary", OKABE_ITO["vermillion"], "s"),
                   "is": ("input stationary", OKABE_ITO["green"], "^")}


def draw_stall_sweep(sweep: StallSweep, ax: Axes | None = None) -> Axes:
    """Stall cycles (as a multiple of the stall-free compute cycles) against DRAM bandwidth, one line per
    dataflow, log-log; a dotted line marks each dataflow's knee, the first bandwidth with no stalls."""
    ax = get_axes(ax)
    bandwidths = sweep.bandwidths_words_per_cycle
    knees = []
    for dataflow, (name, color, marker) in _DATAFLOW_STYLE.items():
        compute = sweep.compute_cycles(dataflow)
        # Zero stalls cannot sit on a log axis: draw them at the floor and say so in the legend.
        ratios = [max(s / compute, 1e-3) for s in sweep.stall_cycles[dataflow]]
        ax.plot(bandwidths, ratios, color=color, marker=marker, label=name)
        knee = sweep.knee_words_per_cycle(dataflow)
        if knee is not None:
            ax.axvline(knee, color=color, linestyle=":", linewidth=1)
        knees.append(f"{name}: {knee if knee is not None else 'beyond the sweep'}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("DRAM bandwidth (words per cycle)")
    ax.set_ylabel("stall cycles / compute cycles\n(0 drawn at 0.001)")
    layer = sweep.layer
    ax.set_title(f"{layer.m}x{layer.n}x{layer.k} GEMM on {sweep.num_rows}x{sweep.num_cols}, "
                 f"{sweep.sram_bytes // 1024} KiB SRAMs (SCALE-Sim USER mode)", fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE - 1, frameon=False)
    set_alt_text(ax, f"Log-log line chart: stall cycles of a {layer.m}x{layer.n}x{layer.k} GEMM fall roughly in "
                     f"proportion to DRAM bandwidth from {bandwidths[0]} to {bandwidths[-1]} words per cycle, "
                     f"then drop to zero at the knee; knees: {'; '.join(knees)}.")
    return ax
