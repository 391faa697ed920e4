"""The units a measurement record may publish its values in, and the check that a stored SI value matches the text.

Every measured quantity is stored in SI with its unit in the key (``flops_per_s``, ``bus_bytes_per_s``,
``time_per_output_token_s``) next to the text the source printed (``"794.5 TFLOPS"``). The key's ending says which
dimension it is; the published unit must be one of that dimension's units, and the two values must agree within
rounding. That catches ×1000 slips (``ms`` read as ``s``) and bits-vs-bytes slips (``Gbps`` read as ``GB/s``).

>>> published_si("40.69 GB/s", "bus_bytes_per_s")
40690000000.0
>>> published_si("25.35 ms", "time_per_output_token_s")
0.02535
"""

from __future__ import annotations

import re

from chiplab.errors import ChiplabInputError
from chiplab.hardware.provenance import PUBLISHED_UNITS

# Key endings → dimension; the first ending that matches wins, so the more specific ones come first.
_DIMENSION_OF_ENDING = (
    ("flops_per_s_per_chip", "flops_per_s"),
    ("flops_per_s", "flops_per_s"),
    ("bytes_per_s", "bytes_per_s"),
    ("tokens_per_s_per_chip", "tokens_per_s"),
    ("tokens_per_s", "tokens_per_s"),
    ("sequences_per_s", "sequences_per_s"),
    ("requests_per_s", "requests_per_s"),
    ("_fraction", "fraction"),
    ("_s", "s"),
)

# Published unit → (dimension, factor to SI): the one table the chip catalog reads too.
_UNITS = PUBLISHED_UNITS
_QUANTITY = re.compile(r"^[~≈]?\s*([0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*(\S+)")
RELATIVE_TOLERANCE = 0.01  # published figures are rounded; 1 % is far below the slips these checks are for


def dimension_of(key: str) -> str:
    """The dimension a measured key stores (``"bus_bytes_per_s"`` → ``"bytes_per_s"``), or raise naming the key."""
    for ending, dimension in _DIMENSION_OF_ENDING:
        if key.endswith(ending):
            return dimension
    endings = ", ".join(e for e, _ in _DIMENSION_OF_ENDING)
    raise ChiplabInputError(f"measured quantity {key!r} has no unit in its name; it must end in one of {endings}")


def published_si(text: object, key: str) -> float:
    """The SI value of a published figure (``"794.5 TFLOPS"``) for the measured ``key``; raise if it does not parse
    or its unit is of another dimension than the key's."""
    if not isinstance(text, str):
        raise ChiplabInputError(f"as_published for {key!r} must be the text the source printed; got {text!r}")
    match = _QUANTITY.match(text.strip())
    wanted = dimension_of(key)
    allowed = sorted(u for u, (d, _) in _UNITS.items() if d == wanted)
    if match is None or match.group(2) not in _UNITS:
        raise ChiplabInputError(f"as_published for {key!r} must start with a number and a unit ({', '.join(allowed)})"
                                f"; got {text!r}")
    dimension, factor = _UNITS[match.group(2)]
    if dimension != wanted:
        raise ChiplabInputError(f"as_published for {key!r} is in {match.group(2)!r}, a unit of {dimension}; "
                                f"{key!r} stores {wanted} ({', '.join(allowed)})")
    return float(match.group(1).replace(",", "")) * factor


def check_published(key: str, value: float, text: object) -> None:
    """Raise unless the stored SI ``value`` equals the published text within rounding."""
    expected = published_si(text, key)
    if abs(value - expected) > RELATIVE_TOLERANCE * abs(expected):
        raise ChiplabInputError(f"{key} = {value!r} does not match as_published {text!r} (= {expected:g} in SI); "
                                f"check the unit (×1000, bits vs bytes)")
