"""Shared pieces of the robustness suite: hostile values, a few valid objects, a hard per-example time limit and
the resource limits every example runs under (1 GiB, by the guard's own estimate)."""

from __future__ import annotations

import contextlib
import resource
import signal
import traceback
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from chiplab import resource_limits
from chiplab.errors import ChiplabInputError
from chiplab.units import GiB

# Each example must finish in this many seconds (a hang fails the test instead of stalling the run).
EXAMPLE_TIME_LIMIT_S = 10
# And may ask the resource guard for at most this much memory and time.
EXAMPLE_MEMORY_LIMIT_BYTES = 1 * GiB
EXAMPLE_GUARD_SECONDS = 5.0


class UnexpectedError(Exception):
    """A public call raised something other than ChiplabInputError (the text keeps the last frames)."""


class ExampleTimeout(Exception):
    """An example ran past EXAMPLE_TIME_LIMIT_S: a hang, or work the resource guard should have refused."""


# A safety net under the guard, not the check itself: address space beyond what the process has now plus this
# raises MemoryError (a test failure naming the call) instead of swapping the shared machine to death.
ADDRESS_SPACE_HEADROOM_BYTES = 3 * GiB // 2


@contextlib.contextmanager
def _address_space_cap():
    statm = Path("/proc/self/statm")
    if not statm.exists():  # not Linux: no cap, the guard's estimate is still checked
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = int(statm.read_text().split()[0]) * resource.getpagesize()
    cap = in_use + ADDRESS_SPACE_HEADROOM_BYTES
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextlib.contextmanager
def _alarm(seconds: float):
    def on_alarm(signum, frame):
        raise ExampleTimeout(f"example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_bounded(func, *args, **kwargs):
    """``func(*args, **kwargs)`` under the resource guard's limits, a hard wall-clock alarm (POSIX, main thread) and
    a cap on the address space. Returns its result; ChiplabInputError passes through; anything else becomes
    :class:`UnexpectedError` carrying the last frames as text."""
    failure = None
    with _alarm(EXAMPLE_TIME_LIMIT_S), _address_space_cap(), resource_limits(
            max_seconds=EXAMPLE_GUARD_SECONDS, max_memory_bytes=EXAMPLE_MEMORY_LIMIT_BYTES):
        try:
            return func(*args, **kwargs)
        except ChiplabInputError:
            raise
        except Exception as exc:
            # Keep the frames as text only: they may hold a huge local (a string repeated 2**30 times) that a
            # stored traceback would keep alive, example after example, until the machine runs out of memory.
            failure = "".join(traceback.format_exception(exc, limit=-3))[-2500:]
            exc.__traceback__ = None
    raise UnexpectedError(failure)  # outside the except block: no __context__ pointing at the old frames


@cache
def valid_objects() -> tuple:
    """Objects of chiplab's own types, so that fuzzed calls sometimes get past the first type check."""
    from chiplab import Gemm, SystolicArraySpec
    from chiplab.hardware import load_chip
    from chiplab.perf.calibration import IDEAL
    from chiplab.workloads.footprint import Parallelism
    from chiplab.workloads.presets import load_model

    return (Gemm(m=64, n=48, k=32), Gemm(m=8, n=4096, k=4096), SystolicArraySpec(num_rows=4, num_cols=4),
            load_chip("trn2"), load_chip("toy_4x4"), load_chip("h100"), load_model("llama32-3b"),
            Parallelism(tensor=2, data=2), IDEAL)


NAMES = ["", " ", "x", "nope", "bf16", "BF16", "fp7", "ws", "WS", "os", "h100", "trn2", "tpu-v5e", "toy_4x4",
         "llama3-8b", "llama32-3b", "on-demand", "training", "decode", "all_reduce", "offchip", "HBM", "SBUF",
         "poisson", "a\x00b", "line\nbreak", "../etc/passwd"]

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2, 3, 8, 128, 4096, 2**31, 2**63, 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.5, 1e-300, 1e300, 1e308, float("nan"), float("inf"), -float("inf")]),
)


def hostile_values() -> st.SearchStrategy:
    """Anything a user might pass: numbers of every kind, strings, None, booleans, containers, chiplab objects."""
    return st.one_of(
        NUMBERS,
        st.sampled_from(NAMES),
        st.text(max_size=8),
        st.none(),
        st.booleans(),
        st.lists(st.integers(-3, 5), max_size=3),
        st.tuples(st.integers(1, 8), st.integers(1, 8)),
        st.dictionaries(st.sampled_from(["bf16", "fp8", "x"]), NUMBERS, max_size=2),
        st.sampled_from(valid_objects()),
    )
