"""Hardware descriptions: frozen, keyword-only, self-validating dataclasses, and the sourced chip catalog.

>>> from chiplab.hardware import load_chip
>>> chip = load_chip("tpu_v4")
>>> chip.num_matrix_units, str(chip.core.matrix_unit.array)
(8, '128×128 array')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._lazy import lazy_exports

if TYPE_CHECKING:
    from chiplab.hardware.catalog import (
        as_chip,
        as_chips,
        get_source,
        list_chips,
        load_chip,
        load_chip_file,
        load_sources,
    )
    from chiplab.hardware.catalog_page import catalog_markdown
    from chiplab.hardware.chip import PEAK_CHECK_TOLERANCE_FRACTION, Chip, PeakCheck
    from chiplab.hardware.components import DTYPES, MEMORY_ROLES, Core, Link, MatrixUnit, MemoryLevel
    from chiplab.hardware.custom import design_chip
    from chiplab.hardware.describe import (
        capacity_table,
        chip_table,
        links_table,
        memory_table,
        peak_check_table,
        ridge_point,
        ridge_table,
        roles_table,
        unknowns_table,
    )
    from chiplab.hardware.plausibility import PlausibleRange, plausible_range
    from chiplab.hardware.provenance import SOURCE_KINDS, Alternative, Provenance, Source, published_value_si
    from chiplab.hardware.source_tables import sources_table
    from chiplab.hardware.systolic_array import SystolicArraySpec
    from chiplab.hardware.what_if import with_level

# Each public name and the module that defines it, imported on first use (chiplab/_lazy.py says why).
_EXPORTS = {
    "as_chip": "catalog", "as_chips": "catalog", "get_source": "catalog", "list_chips": "catalog",
    "load_chip": "catalog", "load_chip_file": "catalog", "load_sources": "catalog",
    "catalog_markdown": "catalog_page",
    "PEAK_CHECK_TOLERANCE_FRACTION": "chip", "Chip": "chip", "PeakCheck": "chip",
    "DTYPES": "components", "MEMORY_ROLES": "components", "Core": "components", "Link": "components",
    "MatrixUnit": "components", "MemoryLevel": "components",
    "design_chip": "custom",
    "capacity_table": "describe", "chip_table": "describe", "links_table": "describe", "memory_table": "describe",
    "peak_check_table": "describe", "ridge_point": "describe", "ridge_table": "describe", "roles_table": "describe",
    "unknowns_table": "describe", "sources_table": "source_tables",
    "PlausibleRange": "plausibility", "plausible_range": "plausibility",
    "SOURCE_KINDS": "provenance", "Alternative": "provenance", "Provenance": "provenance", "Source": "provenance",
    "published_value_si": "provenance",
    "SystolicArraySpec": "systolic_array",
    "with_level": "what_if",
}

__all__ = [
    "DTYPES",
    "MEMORY_ROLES",
    "PEAK_CHECK_TOLERANCE_FRACTION",
    "SOURCE_KINDS",
    "Alternative",
    "Chip",
    "Core",
    "Link",
    "MatrixUnit",
    "MemoryLevel",
    "PeakCheck",
    "PlausibleRange",
    "Provenance",
    "Source",
    "SystolicArraySpec",
    "as_chip",
    "as_chips",
    "capacity_table",
    "catalog_markdown",
    "chip_table",
    "design_chip",
    "get_source",
    "links_table",
    "list_chips",
    "load_chip",
    "load_chip_file",
    "load_sources",
    "memory_table",
    "peak_check_table",
    "plausible_range",
    "published_value_si",
    "ridge_point",
    "ridge_table",
    "roles_table",
    "sources_table",
    "unknowns_table",
    "with_level",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
