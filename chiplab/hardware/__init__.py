"""Hardware descriptions: frozen, keyword-only, self-validating dataclasses, and the sourced chip catalog.

>>> from chiplab.hardware import load_chip
>>> chip = load_chip("tpu_v4")
>>> chip.num_matrix_units, str(chip.core.matrix_unit.array)
(8, '128×128 array')
"""

from chiplab.hardware.catalog import as_chip, as_chips, get_source, list_chips, load_chip, load_chip_file, load_sources
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
    sources_table,
    unknowns_table,
)
from chiplab.hardware.plausibility import PlausibleRange, plausible_range
from chiplab.hardware.provenance import SOURCE_KINDS, Alternative, Provenance, Source, published_value_si
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.hardware.what_if import with_level

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
