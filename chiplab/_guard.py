"""The resource guard: every expensive path estimates its time and memory *before* it allocates or loops.

A path that may be slow or large (the cycle-level simulator, SCALE-Sim runs, tile searches, sweeps) calls
:func:`check_resources` with its own estimate of the work and of the bytes it is about to allocate. The guard
refuses, with :class:`~chiplab.errors.ChiplabInputError`, what exceeds the limits, and the message gives the
estimate, the limit and how to raise it; otherwise it returns the estimate so that the caller can show progress
when :attr:`ResourceEstimate.is_slow`.

>>> estimate = check_resources("a toy run", work=1e6, work_unit="PE-updates", work_per_s=1e8, memory_bytes=1024)
>>> estimate.estimated_s, estimate.is_slow
(0.01, False)
>>> with resource_limits(max_memory_bytes=2**20):  # doctest: +ELLIPSIS
...     check_resources("a big trace", memory_bytes=2**30)
Traceback (most recent call last):
...
chiplab.errors.ChiplabInputError: a big trace would need about 1 GiB of memory, more than the limit of 1 MiB...

Limits, from the innermost that is set:

1. ``with resource_limits(max_seconds=..., max_memory_bytes=...):`` around the call (Python, tests);
2. the environment variables ``CHIPLAB_MAX_SECONDS`` and ``CHIPLAB_MAX_MEMORY_BYTES`` (the command line);
3. :data:`DEFAULT_MAX_SECONDS` and :data:`DEFAULT_MAX_MEMORY_BYTES`.

Estimates are deliberately rough (a laptop core; the rates are measured by ``benchmarks/``): the guard exists to
stop a 15-minute or 7 GiB surprise, not to predict run times to the second.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from chiplab._checks import positive
from chiplab.errors import ChiplabInputError
from chiplab.units import GiB, format_bytes, format_duration, format_seconds

# Two minutes: longer than any interactive teaching example, far shorter than the 15-minute runs found by probing.
DEFAULT_MAX_SECONDS = 120.0
# 2 GiB: fits beside a browser and JupyterLab on an 8 GiB student laptop.
DEFAULT_MAX_MEMORY_BYTES = 2 * GiB
# Runs estimated above this many seconds are "slow": callers show progress on stderr.
SLOW_S = 5.0
# A plain Python/numpy loop body on one laptop core; callers pass their own measured rate where they have one.
DEFAULT_WORK_PER_S = 1e8

ENV_MAX_SECONDS = "CHIPLAB_MAX_SECONDS"
ENV_MAX_MEMORY_BYTES = "CHIPLAB_MAX_MEMORY_BYTES"


@dataclass(frozen=True)
class ResourceLimits:
    """The largest run the guard lets through: estimated seconds and bytes allocated at once."""

    max_seconds: float
    max_memory_bytes: float

    def __post_init__(self):
        positive("max_seconds", self.max_seconds)
        positive("max_memory_bytes", self.max_memory_bytes)


@dataclass(frozen=True)
class ResourceEstimate:
    """What a guarded computation was estimated to cost, and the limits it was checked against."""

    what: str
    work: float
    work_unit: str
    estimated_s: float
    memory_bytes: float
    limits: ResourceLimits

    @property
    def is_slow(self) -> bool:
        """True when the run is expected to take long enough that progress should be shown."""
        return self.estimated_s >= SLOW_S


_LIMITS: contextvars.ContextVar[ResourceLimits | None] = contextvars.ContextVar("chiplab_resource_limits",
                                                                                  default=None)


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        return positive(name, float(text))
    except ValueError:
        raise ChiplabInputError(f"environment variable {name} must be a number > 0; got {text!r}") from None


def current_limits() -> ResourceLimits:
    """The limits in force here: the innermost :func:`resource_limits`, else the environment, else the defaults."""
    limits = _LIMITS.get()
    if limits is not None:
        return limits
    return ResourceLimits(max_seconds=_env_number(ENV_MAX_SECONDS, DEFAULT_MAX_SECONDS),
                          max_memory_bytes=_env_number(ENV_MAX_MEMORY_BYTES, DEFAULT_MAX_MEMORY_BYTES))


@contextlib.contextmanager
def resource_limits(*, max_seconds: float | None = None, max_memory_bytes: float | None = None
                    ) -> Iterator[ResourceLimits]:
    """Run the block under other limits (unset ones keep their current value); yields the limits in force."""
    outer = current_limits()
    limits = ResourceLimits(max_seconds=outer.max_seconds if max_seconds is None else max_seconds,
                            max_memory_bytes=outer.max_memory_bytes if max_memory_bytes is None
                            else max_memory_bytes)
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


def _as_float(value: float) -> float:
    """A count as a float; integers beyond float range become infinity (they are refused, never wrapped)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def check_resources(what: str, *, work: float = 0, work_unit: str = "operations",
                    work_per_s: float = DEFAULT_WORK_PER_S, estimated_s: float | None = None,
                    memory_bytes: float = 0, shrink_hint: str = "") -> ResourceEstimate:
    """Refuse ``what`` if it would exceed the limits in force, else return its estimate.

    ``work`` (in ``work_unit``, e.g. PE-updates) at ``work_per_s`` gives the time estimate unless the caller
    passes ``estimated_s`` from a finer model. ``memory_bytes``: what the run allocates at once. Counts may be
    exact Python integers of any size. ``shrink_hint`` says how to make the run smaller ("use estimate() for the
    closed form"); the message always says how to raise the limits too.
    """
    work_f, memory_f = _as_float(work), _as_float(memory_bytes)
    seconds = work_f / work_per_s if estimated_s is None else _as_float(estimated_s)
    limits = current_limits()
    estimate = ResourceEstimate(what=what, work=work_f, work_unit=work_unit, estimated_s=seconds,
                                memory_bytes=memory_f, limits=limits)
    problems = []
    if not memory_f <= limits.max_memory_bytes:
        problems.append(f"about {_bytes(memory_f)} of memory, more than the limit of "
                        f"{format_bytes(limits.max_memory_bytes)}")
    if not seconds <= limits.max_seconds:
        problems.append(f"about {_seconds(seconds)} ({_count(work_f)} {work_unit}), more than the limit of "
                        f"{format_seconds(limits.max_seconds)}")
    if problems:
        hint = f"{shrink_hint}; or" if shrink_hint else "Make it smaller, or"
        raise ChiplabInputError(
            f"{what} would need {' and '.join(problems)}. {hint} raise the limits with "
            f"chiplab.resource_limits(max_seconds=..., max_memory_bytes=...) or the environment variables "
            f"{ENV_MAX_SECONDS} / {ENV_MAX_MEMORY_BYTES}"
        )
    return estimate


def _bytes(num_bytes: float) -> str:
    return format_bytes(num_bytes) if math.isfinite(num_bytes) else "more bytes than a float can count"


def _seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    return format_duration(seconds)


def _count(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "more than 1e308"


# Measured with cold caches on this project's 2-core reference machine (2026-12-07): a serving or training estimate
# of a new shape takes ~30 ms (10 to 20 per second with margin); a roofline placement ~0.15 ms.
MODEL_ESTIMATES_PER_S = 15.0
ROOFLINE_PLACEMENTS_PER_S = 3000.0


def check_sweep(name: str, values: object, *, work_unit: str, per_s: float) -> Collection:
    """``values`` if it is a collection with a length (list, tuple, range, numpy array) whose sweep fits the limits
    in force; a lazy iterable (which could be endless) is refused, and so is a sweep too long to finish (with the
    estimate and how to raise it)."""
    if isinstance(values, str | bytes) or not isinstance(values, Collection):
        raise ChiplabInputError(f"{name} must be a list, tuple, range or array of values, e.g. [1, 8, 64]; "
                                f"got {values!r} ({type(values).__name__})")
    check_resources(f"a sweep over {len(values):,} {name}", work=len(values), work_unit=work_unit,
                    work_per_s=per_s, shrink_hint=f"Sweep fewer {name}")
    return values

