"""Hardware descriptions: frozen, keyword-only, self-validating dataclasses, and the sourced chip catalog.

>>> from chiplab.hardware import load_chip
>>> chip = load_chip("tpu_v4")
>>> chip.num_matrix_units, str(chip.core.matrix_unit.array)
(8, '128×128 array')
"""

from chiplab.hardware.catalog import get_source, list_chips, load_chip, load_chip_file, load_sources
from chiplab.hardware.chip import PEAK_CHECK_TOLERANCE_FRACTION, Chip, PeakCheck
from chiplab.hardware.components import DTYPES, MEMORY_ROLES, Core, Link, MatrixUnit, MemoryLevel
from chiplab.hardware.provenance import SOURCE_KINDS, Alternative, Provenance, Source, published_value_si
from chiplab.hardware.systolic_array import SystolicArraySpec

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
    "Provenance",
    "Source",
    "SystolicArraySpec",
    "get_source",
    "list_chips",
    "load_chip",
    "load_chip_file",
    "load_sources",
    "published_value_si",
]
