"""Figures (matplotlib only): ``draw_*(result, ax=None) -> Axes`` on results computed by the models."""

from chiplab.viz.cost import draw_matchup, draw_stacked_breakdown, draw_tornado
from chiplab.viz.cost_pictures import draw_offer_comparison, draw_own_or_rent, draw_scenario_costs
from chiplab.viz.diagrams import draw_chip, draw_core, draw_pe, draw_skewed_array, draw_topology
from chiplab.viz.display import AccessibleFigure, accessible
from chiplab.viz.fast_text import GlyphCachingCanvas
from chiplab.viz.kernels import TimelinePicture, draw_kernel_comparison, draw_kernel_roofline, draw_timeline
from chiplab.viz.memory import (
    LevelTimesPicture,
    TileLandscapePicture,
    draw_energy_breakdown,
    draw_level_times,
    draw_roofline,
    draw_tile_landscape,
)
from chiplab.viz.perf import (
    draw_error_distribution,
    draw_predicted_vs_measured,
    draw_scaling,
    draw_step_breakdown,
    draw_training_breakdown,
)
from chiplab.viz.roofline import LabelsApart, RooflinesPicture, draw_rooflines
from chiplab.viz.scalesim import draw_stall_sweep
from chiplab.viz.silicon import draw_chip_hour_breakdown
from chiplab.viz.style import COLORS, OKABE_ITO, alt_text, readable, set_alt_text
from chiplab.viz.systolic import (
    ArrayPicture,
    animate_array,
    animation_html,
    draw_array_state,
    draw_utilization_sweep,
)
from chiplab.viz.workloads import draw_flops_breakdown, draw_intensity_sweep, draw_serving_sweep, draw_six_n

__all__ = [
    "COLORS",
    "OKABE_ITO",
    "AccessibleFigure",
    "ArrayPicture",
    "GlyphCachingCanvas",
    "LabelsApart",
    "LevelTimesPicture",
    "RooflinesPicture",
    "TileLandscapePicture",
    "TimelinePicture",
    "accessible",
    "alt_text",
    "animate_array",
    "animation_html",
    "draw_array_state",
    "draw_chip",
    "draw_chip_hour_breakdown",
    "draw_core",
    "draw_energy_breakdown",
    "draw_error_distribution",
    "draw_flops_breakdown",
    "draw_intensity_sweep",
    "draw_kernel_comparison",
    "draw_kernel_roofline",
    "draw_level_times",
    "draw_matchup",
    "draw_offer_comparison",
    "draw_own_or_rent",
    "draw_pe",
    "draw_predicted_vs_measured",
    "draw_roofline",
    "draw_rooflines",
    "draw_scaling",
    "draw_scenario_costs",
    "draw_serving_sweep",
    "draw_six_n",
    "draw_skewed_array",
    "draw_stacked_breakdown",
    "draw_stall_sweep",
    "draw_step_breakdown",
    "draw_tile_landscape",
    "draw_timeline",
    "draw_topology",
    "draw_tornado",
    "draw_training_breakdown",
    "draw_utilization_sweep",
    "readable",
    "set_alt_text",
]
