"""Memory hierarchies: tiling a GEMM into on-chip SRAM, bytes and time per level, rooflines and energy."""

from chiplab.memory.compare import (
    boundedness_table,
    critical_m,
    hierarchical_points,
    place_on_roofline,
    sweep_m_on_rooflines,
)
from chiplab.memory.core_gemm import BatchThroughput, GemmOnCore, LevelTraffic, gemm_on_core, place_gemm
from chiplab.memory.core_views import CoreView, core_view
from chiplab.memory.describe import energy_table
from chiplab.memory.energy import EnergyBreakdown, EnergyTable, energy_breakdown, horowitz_2014, no_reuse_energy
from chiplab.memory.roofline_model import Ceiling, Roofline, RooflinePoint, roofline
from chiplab.memory.search import TileSearch, best_tiling
from chiplab.memory.tiling import Tiling, unique_footprint_bytes

__all__ = [
    "BatchThroughput",
    "Ceiling",
    "CoreView",
    "EnergyBreakdown",
    "EnergyTable",
    "GemmOnCore",
    "LevelTraffic",
    "Roofline",
    "RooflinePoint",
    "TileSearch",
    "Tiling",
    "best_tiling",
    "boundedness_table",
    "core_view",
    "critical_m",
    "energy_breakdown",
    "energy_table",
    "gemm_on_core",
    "hierarchical_points",
    "horowitz_2014",
    "no_reuse_energy",
    "place_gemm",
    "place_on_roofline",
    "roofline",
    "sweep_m_on_rooflines",
    "unique_footprint_bytes",
]
