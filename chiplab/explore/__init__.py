"""Explorers (ipywidgets only): controls → model → figure, each a function returning a widget to display."""

from chiplab.explore.cost import CostExplorer, cost_explorer
from chiplab.explore.design import DesignExplorer, design_explorer
from chiplab.explore.kernels import KernelExplorer, kernel_explorer
from chiplab.explore.llm import LLMExplorer, llm_chips, llm_explorer
from chiplab.explore.memory import MemoryExplorer, memory_explorer
from chiplab.explore.roofline import RooflineExplorer, roofline_explorer
from chiplab.explore.systolic import SystolicExplorer, systolic_explorer

__all__ = [
    "CostExplorer",
    "DesignExplorer",
    "KernelExplorer",
    "LLMExplorer",
    "MemoryExplorer",
    "RooflineExplorer",
    "SystolicExplorer",
    "cost_explorer",
    "design_explorer",
    "kernel_explorer",
    "llm_chips",
    "llm_explorer",
    "memory_explorer",
    "roofline_explorer",
    "systolic_explorer",
]
