"""Memory hierarchies: tiling a GEMM into on-chip SRAM, bytes and time per level, rooflines and energy."""

from chiplab.memory.core_view import CoreView, core_view
from chiplab.memory.energy import EnergyBreakdown, EnergyTable, energy_breakdown, horowitz_2014, no_reuse_energy
from chiplab.memory.gemm_on_core import GemmOnCore, LevelTraffic, gemm_on_core, place_gemm
from chiplab.memory.roofline import Ceiling, Roofline, RooflinePoint, roofline
from chiplab.memory.search import TileSearch, best_tiling
from chiplab.memory.tiling import Tiling, unique_footprint_bytes

__all__ = [
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
    "core_view",
    "energy_breakdown",
    "gemm_on_core",
    "horowitz_2014",
    "no_reuse_energy",
    "place_gemm",
    "roofline",
    "unique_footprint_bytes",
]
