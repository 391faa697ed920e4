"""Explorers (ipywidgets only): controls → model → figure, each a function returning a widget to display."""

from chiplab.explore.systolic import SystolicExplorer, systolic_explorer

__all__ = ["SystolicExplorer", "systolic_explorer"]
