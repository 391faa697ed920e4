"""Calibration: the efficiency factors the hardware model cannot derive, as named, sourced parameters.

chiplab's array, memory and network models describe *hardware*: what the silicon can do with a perfectly
scheduled kernel. Real software loses some of it — kernel launch and synchronisation gaps, imperfect overlap of
transfers with compute, clocks that throttle under power limits, achievable DRAM bandwidth below the datasheet's.
Those losses are not hidden in the model; they live here, each with a value, a source and a one-line reason, and
every estimate reports which calibration it used.

By default every estimator uses the calibration *fitted* for the chip from the micro-benchmark record
(:func:`chiplab.perf.fitted_calibration`, see :mod:`chiplab.perf.calibration_fit`).
:meth:`Calibration.ideal` (also ``IDEAL``: all ones, no overhead) is the explicit upper bound on performance.
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import fraction, instance_of, non_negative, one_of
from chiplab.errors import ChiplabInputError
from chiplab.perf.collectives import Network, collective_time_s

# Memory-bound kernel classes calibrated apart (see chiplab.perf.calibration_fit): STREAM-like element-wise traffic,
# a GEMM the ideal model finds HBM-bound (a decode step's weight GEMMs) and decode attention over a KV cache.
STREAM = "stream"
WEIGHT_STREAM = "weight_stream"
KV_ATTENTION = "kv_attention"
MEMORY_KERNEL_CLASSES = (STREAM, WEIGHT_STREAM, KV_ATTENTION)
IDEAL_SOURCE = "no calibration: the ideal hardware of chiplab's models (an upper bound on performance)"
# Collective libraries change protocol with the message size (NCCL/RCCL: LL for small messages, LL128 and Simple for
# large ones; NVIDIA, "NCCL environment variables", NCCL_PROTO). The fit keeps three size bands apart: a per-call
# latency from messages up to LATENCY_MAX_MESSAGE_BYTES, an efficiency from messages of BANDWIDTH_MIN_MESSAGE_BYTES
# and more, and between them the "bulk" line (see Calibration.collective_s and chiplab.perf.calibration_fit).
LATENCY_MAX_MESSAGE_BYTES = 2**20
BANDWIDTH_MIN_MESSAGE_BYTES = 256 * 2**20


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """Efficiency factors applied on top of the hardware model (see the module docstring)."""

    name: str = "ideal"
    matmul_efficiency_fraction: float = 1.0  # achieved ÷ modelled matrix-unit throughput on large GEMMs
    memory_efficiency_fraction: float = 1.0  # achievable ÷ datasheet off-chip bandwidth
    network_efficiency_fraction: float = 1.0  # achievable ÷ modelled link bandwidth in collectives
    kernel_overhead_s: float = 0.0  # fixed time per kernel (op instance group) launched: dispatch, sync
    source: str = IDEAL_SOURCE
    collective_latency_s: float = 0.0  # fixed software time per collective call (beyond the links' hop latency)
    host_efficiency_fraction: float = 1.0  # achievable ÷ recorded host-link (PCIe) bandwidth
    fallbacks: tuple[str, ...] = ()  # factors taken from the chip's family or from all chips, in words
    # Memory-bound kernels reach less of the bandwidth than STREAM does, so their classes are calibrated apart:
    weight_stream_efficiency_fraction: float = 1.0  # HBM-bound GEMMs over weights (decode GEMV / skinny GEMM)
    kv_attention_efficiency_fraction: float = 1.0  # decode attention over a KV cache
    # Messages between the latency and bandwidth bands (1 MiB < size < 256 MiB): a line fitted over that band, its
    # per-call time and its efficiency; None: the band is timed like the others (no measured line for this chip).
    bulk_collective_latency_s: float | None = None
    bulk_network_efficiency_fraction: float | None = None

    def __post_init__(self) -> None:
        instance_of("name", self.name, str, "a short name such as 'measured'")
        instance_of("source", self.source, str, "the source of the factors (a URL or paper and table)")
        # An efficiency of 0 would make every time infinite, so the fractions exclude it; NaN, infinities and
        # booleans are refused by the shared checks (a True overhead is not 1 second).
        for field in ("matmul_efficiency_fraction", "memory_efficiency_fraction", "network_efficiency_fraction",
                      "host_efficiency_fraction", "weight_stream_efficiency_fraction",
                      "kv_attention_efficiency_fraction"):
            object.__setattr__(self, field, fraction(field, getattr(self, field), allow_zero=False))
        for field in ("kernel_overhead_s", "collective_latency_s"):
            object.__setattr__(self, field, non_negative(field, getattr(self, field)))
        instance_of("fallbacks", self.fallbacks, tuple, "a tuple of sentences")
        if (self.bulk_collective_latency_s is None) != (self.bulk_network_efficiency_fraction is None):
            raise ChiplabInputError("bulk_collective_latency_s and bulk_network_efficiency_fraction go together: give "
                                    f"both or neither; got {self.bulk_collective_latency_s!r} and "
                                    f"{self.bulk_network_efficiency_fraction!r}")
        if self.bulk_collective_latency_s is not None:
            object.__setattr__(self, "bulk_collective_latency_s",
                               non_negative("bulk_collective_latency_s", self.bulk_collective_latency_s))
            object.__setattr__(self, "bulk_network_efficiency_fraction", fraction(
                "bulk_network_efficiency_fraction", self.bulk_network_efficiency_fraction, allow_zero=False))

    @classmethod
    def ideal(cls) -> Calibration:
        """The ideal hardware: every efficiency 1, no overhead — an upper bound on performance."""
        return IDEAL

    def memory_efficiency_of(self, kernel_class: str) -> float:
        """The achievable fraction of off-chip bandwidth for a memory-bound kernel of ``kernel_class``:
        ``"weight_stream"`` (a GEMM over weights), ``"kv_attention"`` (attention over a KV cache) or ``"stream"``
        (every other op: STREAM-like element-wise traffic)."""
        kernel_class = one_of("kernel_class", kernel_class, MEMORY_KERNEL_CLASSES)
        return {WEIGHT_STREAM: self.weight_stream_efficiency_fraction,
                KV_ATTENTION: self.kv_attention_efficiency_fraction}.get(kernel_class,
                                                                             self.memory_efficiency_fraction)

    @property
    def is_ideal(self) -> bool:
        return self == IDEAL

    def collective_s(self, kind: str, num_bytes: float, num_chips: int, network: Network,
                     chips_per_domain: int | None = None) -> float:
        """One collective call under this calibration: the network model at ``network_efficiency_fraction`` of
        its bandwidth, plus ``collective_latency_s`` when there is anyone to talk to (``chips_per_domain``: see
        :func:`chiplab.perf.collectives.collective_time_s`).

        With a bulk line (``bulk_collective_latency_s``), a message above ``LATENCY_MAX_MESSAGE_BYTES`` takes at
        least the line's time, bulk latency + the model at ``bulk_network_efficiency_fraction``, evaluated at most
        at ``BANDWIDTH_MIN_MESSAGE_BYTES``: the libraries' bandwidth protocols pay a larger fixed cost per call and
        reach their full bandwidth only on the largest messages. Beyond that size the bandwidth rule takes over
        where it is slower, so the time never falls as the message grows."""
        def model_s(size: float, efficiency: float) -> float:
            return collective_time_s(kind, size, num_chips, network, efficiency, chips_per_domain)

        time_s = model_s(num_bytes, self.network_efficiency_fraction)
        if num_chips <= 1:
            return time_s
        time_s += self.collective_latency_s
        if (self.bulk_collective_latency_s is not None and self.bulk_network_efficiency_fraction is not None
                and num_bytes > LATENCY_MAX_MESSAGE_BYTES):
            bulk_s = self.bulk_collective_latency_s + model_s(min(num_bytes, BANDWIDTH_MIN_MESSAGE_BYTES),
                                                              self.bulk_network_efficiency_fraction)
            time_s = max(time_s, bulk_s)
        return time_s


IDEAL = Calibration()
