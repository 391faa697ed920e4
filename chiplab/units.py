"""Unit constants and display formatting. Storage is always SI base units; only display code formats.

>>> format_bytes(4 * MiB)
'4 MiB'
>>> format_rate(1.5e12, "FLOP/s")
'1.5 TFLOP/s'
"""

from __future__ import annotations

KiB = 1024
MiB = 1024**2
GiB = 1024**3
KB = 1000
MB = 1000**2
GB = 1000**3
TB = 1000**4

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
JOULES_PER_KWH = 3.6e6

# Every number format chiplab knows and its bits per value, widest first (the order a chip's peaks are listed in):
# the one dtype table. tf32 is stored in 32 bits (19 of them significant); int32 is an accumulator format only;
# fp4 and int4 are sub-byte formats that TPU v5e+ and B200 quote peaks for and that weights may be stored in.
FORMAT_BITS = {"fp64": 64, "fp32": 32, "tf32": 32, "int32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8,
               "fp4": 4, "int4": 4}

_SI_PREFIXES = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
_BINARY_PREFIXES = [(GiB * 1024, "TiB"), (GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")]


def _trim(x: float) -> str:
    return f"{x:.3g}"


def format_bytes(num_bytes: float) -> str:
    """Format a byte count with binary prefixes (capacities are binary by convention)."""
    for scale, label in _BINARY_PREFIXES:
        if abs(num_bytes) >= scale:
            return f"{_trim(num_bytes / scale)} {label}"
    return f"{_trim(num_bytes)} B"


def format_rate(value: float, unit: str) -> str:
    """Format a rate (FLOP/s, B/s, Hz, ...) with SI prefixes (vendors quote rates in powers of 1000)."""
    for scale, prefix in _SI_PREFIXES:
        if abs(value) >= scale:
            return f"{_trim(value / scale)} {prefix}{unit}"
    return f"{_trim(value)} {unit}"


_TIME_UNITS = [(1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")]


def time_scale(seconds: float) -> tuple[float, str]:
    """The largest time unit that keeps ``seconds`` ≥ 1 in it: (seconds per unit, unit)."""
    return next(((scale, unit) for scale, unit in _TIME_UNITS if abs(seconds) >= scale), _TIME_UNITS[-1])


def format_seconds(seconds: float) -> str:
    """'1.23 ms', '45.6 µs': three significant digits in the largest unit that keeps the number ≥ 1.

    >>> format_seconds(0.00123), format_seconds(2.5)
    ('1.23 ms', '2.5 s')
    """
    scale, unit = time_scale(seconds)
    return f"{seconds / scale:.3g} {unit}"


def format_duration(seconds: float) -> str:
    """A duration a person reads: '2.5 hours', '12 minutes', else :func:`format_seconds` ('45.6 µs').

    >>> format_duration(9000.0), format_duration(720.0), format_duration(0.5)
    ('2.5 hours', '12 minutes', '500 ms')
    """
    if seconds >= SECONDS_PER_HOUR:
        return f"{seconds / SECONDS_PER_HOUR:.3g} hours"
    if seconds >= SECONDS_PER_MINUTE:
        return f"{seconds / SECONDS_PER_MINUTE:.3g} minutes"
    return format_seconds(seconds)


def format_number(value: float) -> str:
    """'1,353' for large values, '7.98' for small ones (three significant digits).

    >>> format_number(1353.4), format_number(7.981)
    ('1,353', '7.98')
    """
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def format_usd_short(value: float) -> str:
    """'$6.57M', '$37,080', '$4.10', '$0.0042': short, for figures and explorers (every glyph costs redraw time).

    >>> format_usd_short(6.57e6), format_usd_short(37080), format_usd_short(4.1), format_usd_short(0.0042)
    ('$6.57M', '$37,080', '$4.10', '$0.0042')
    """
    if value >= 1e9:
        return f"${value / 1e9:.3g}B"
    if value >= 1e6:
        return f"${value / 1e6:.3g}M"
    if value >= 100:
        return f"${value:,.0f}"
    return f"${value:.2f}" if value >= 0.01 else f"${value:.2g}"


def format_usd(value: float) -> str:
    """'$1,234' or '$3.21': a dollar amount for tables and captions (three significant digits when small)."""
    return "$" + format_number(value)


def _two_significant(value: float) -> str:
    """``value`` rounded to two significant figures, with thousands separators: '1,200', '3.4', '0.041'."""
    if value == 0:
        return "0"
    rounded = float(f"{value:.2g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 10 else f"{rounded:.2g}"


def format_usd_estimate(value: float) -> str:
    """A price *from the model* at two significant figures: '$3.4', '$12', '$1,200'. The model's speeds are good
    to tens of percent (chapter 9), so a third figure, let alone cents, would claim a precision it does not have.

    >>> format_usd_estimate(3.4567), format_usd_estimate(12.3), format_usd_estimate(1234.0)
    ('$3.5', '$12', '$1,200')
    """
    return "$" + _two_significant(value)


def format_usd_range(low: float, high: float) -> str:
    """A range of model-derived prices at two significant figures: '$2.1–$3.4'.

    >>> format_usd_range(2.123, 3.389)
    '$2.1–$3.4'
    """
    return f"{format_usd_estimate(low)}–{format_usd_estimate(high)}"


def format_ratio_range(low: float, high: float) -> str:
    """A range of ratios at two significant figures: '0.81–1.3×'.

    >>> format_ratio_range(0.8123, 1.349)
    '0.81–1.3×'
    """
    return f"{_two_significant(low)}–{_two_significant(high)}×"
