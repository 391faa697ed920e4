"""Each micro-benchmark set against chiplab's model of the same work: the points the calibration is fitted to.

A :class:`FitPoint` holds what a micro-benchmark measured beside what the ideal model gives for exactly that work
on that chip (:mod:`chiplab.perf.calibration_fit` says how the factors are made from them). :func:`fit_points`
turns one entry of the record into its points, or into the reason it cannot be used: a GEMM of unstated shape or
dtype, a collective the network model cannot place, a chip with no published bandwidth or recorded host link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.hardware.chip import Chip
from chiplab.perf._measurement_types import NOT_STATED, MicroBenchmark
from chiplab.perf.calibration import (
    BANDWIDTH_MIN_MESSAGE_BYTES,
    KV_ATTENTION,
    LATENCY_MAX_MESSAGE_BYTES,
    WEIGHT_STREAM,
)
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.perf.collectives import collective_time_s, network_for
from chiplab.perf.topology import COLLECTIVES, load_topology, system_of
from chiplab.workloads.gemm import Gemm

LARGE_GEMM_MIN_DIM = 2048  # geometric mean of m, n, k; every best-shape run of the record lies above it
# Collectives of BANDWIDTH_MIN_MESSAGE_BYTES and more are bandwidth-bound on every system recorded, those of at most
# LATENCY_MAX_MESSAGE_BYTES latency-bound; between them lies the "bulk" band (chiplab.perf.calibration).
HOST_MIN_MESSAGE_BYTES = 2**20
# nccl-tests' bus bandwidth = algorithm bandwidth × this (NVIDIA nccl-tests, doc/PERFORMANCE.md).
_BUS_FACTOR = {"all_reduce": lambda n: 2 * (n - 1) / n, "all_gather": lambda n: (n - 1) / n,
               "reduce_scatter": lambda n: (n - 1) / n}
# A kernel timed on one NeuronCore of a two-core Trainium (the NKI tutorial, trntensor): the record says so in
# ``system``; the model then times it on one of the chip's cores.
_ONE_CORE = re.compile(r"\b(?:1|one) NeuronCore\b", re.IGNORECASE)


def shape_class_of(gemm: Gemm) -> str:
    """``"large"`` when the geometric mean of m, n and k is at least ``LARGE_GEMM_MIN_DIM``, else ``"small"``."""
    instance_of("gemm", gemm, Gemm, "a Gemm(m=..., n=..., k=...)")
    return "large" if gemm.m * gemm.n * gemm.k >= LARGE_GEMM_MIN_DIM ** 3 else "small"


@dataclass(frozen=True)
class FitPoint:
    """One micro-benchmark against the model: what was measured, what the ideal model gives."""

    entry_id: str
    source_id: str
    quantity: str  # matmul | memory | weight_stream | kv_attention | network | latency | bulk | host
    chip_id: str
    key: str  # matmul: "<dtype> <shape class>"; weight_stream: the dtype; others: the method, collective or direction
    modelled_s: float  # the ideal model's time for the same work (memory/host: per byte, i.e. 1 / bandwidth)
    measured_s: float
    num_chips: int = 1
    detail: str = ""

    @property
    def efficiency_fraction(self) -> float:
        """Modelled ÷ measured time = measured ÷ modelled throughput."""
        return self.modelled_s / self.measured_s


def _gemm_point(entry: MicroBenchmark, chip: Chip) -> FitPoint | str:
    if entry.dtype == NOT_STATED:
        return "dtype not stated: the model cannot place its arithmetic"
    if not (isinstance(entry.m, int) and isinstance(entry.n, int) and isinstance(entry.k, int)):
        return "shape not stated (m, n, k)"
    if entry.dtype not in chip.peak_dtypes:  # a stated dtype the chip cannot run is an error
        raise ChiplabInputError(f"micro-benchmark {entry.id!r}: chip {chip.id!r} has no {entry.dtype} peak in the "
                                f"catalog, so the model cannot place this GEMM; fix its 'dtype' or 'chip'")
    gemm = Gemm(m=entry.m, n=entry.n, k=entry.k, dtype=entry.dtype)
    one_core = chip.num_cores > 1 and bool(_ONE_CORE.search(entry.system))
    placed = gemm_on_chip(gemm, chip)
    measured = entry.measured.get("time_s") or gemm.num_flops / entry.measured["flops_per_s"]
    detail = f"{entry.m}×{entry.n}×{entry.k}" + (" on one core" if one_core else "")
    if placed.bottleneck == chip.hbm.vendor_label and not one_core:
        # A skinny GEMM / GEMV (decode's weight GEMMs): the ideal model reads its matrix from HBM for longer than it
        # computes, so what it measures is the bandwidth such a kernel reaches, not the matrix units.
        return FitPoint(entry.id, entry.source.id, WEIGHT_STREAM, chip.id, entry.dtype, placed.time_s, measured,
                        detail=f"{detail}, HBM-bound in the model")
    # One of the chip's identical cores takes num_cores times the whole chip's time on a compute-bound GEMM.
    modelled = placed.time_s * (chip.num_cores if one_core else 1)
    return FitPoint(entry.id, entry.source.id, "matmul", chip.id, f"{entry.dtype} {shape_class_of(gemm)}",
                    modelled, measured, detail=detail)


def _collective_points(entry: MicroBenchmark, chip: Chip) -> list[FitPoint] | str:
    kind, size, n = entry.collective, entry.message_bytes, entry.num_chips
    if kind not in COLLECTIVES:
        return f"{kind!r} is not a collective the network model times ({', '.join(COLLECTIVES)})"
    if not isinstance(size, int) or not isinstance(n, int):
        return "message size or number of chips not stated"
    try:
        network = network_for(chip)
    except ChiplabInputError as exc:
        return f"no network model: {exc}"
    if "time_s" in entry.measured:
        measured = entry.measured["time_s"]
    elif "algorithm_bytes_per_s" in entry.measured:
        measured = size / entry.measured["algorithm_bytes_per_s"]
    else:
        measured = size * _BUS_FACTOR[kind](n) / entry.measured["bus_bytes_per_s"]
    modelled = collective_time_s(kind, size, n, network)
    points = []
    if size >= BANDWIDTH_MIN_MESSAGE_BYTES:
        points.append(FitPoint(entry.id, entry.source.id, "network", chip.id, kind, modelled, measured, n,
                               f"{size:,} B over {n} chips"))
    elif n <= network.scale_up_size:  # the latency band, or the bulk band between the two (inside one domain)
        band = "latency" if size <= LATENCY_MAX_MESSAGE_BYTES else "bulk"
        points.append(FitPoint(entry.id, entry.source.id, band, chip.id, kind, modelled, measured, n,
                               f"{size:,} B over {n} chips"))
    return points or (f"message of {size:,} B over {n} chips spans several scale-up domains below the bandwidth "
                      f"band (≥ {BANDWIDTH_MIN_MESSAGE_BYTES:,} B)")


def fit_points(entry: MicroBenchmark) -> list[FitPoint] | str:
    """The fit points of one entry, or why it cannot be used."""
    chip = load_chip(entry.chip)
    if entry.kind == "gemm":
        found = _gemm_point(entry, chip)
        return [found] if isinstance(found, FitPoint) else found
    if entry.kind == "collective":
        return _collective_points(entry, chip)
    measured_s = 1.0 / entry.measured["bytes_per_s"]  # per byte
    if entry.kind == "memory_bandwidth":
        if chip.hbm.bandwidth_bytes_per_s is None:
            return f"{chip.id} has no published off-chip bandwidth to compare with"
        quantity = KV_ATTENTION if entry.kernel_class == "kv_cache_attention" else "memory"
        return [FitPoint(entry.id, entry.source.id, quantity, chip.id, entry.method, 1.0 /
                         chip.hbm.bandwidth_bytes_per_s, measured_s)]
    # host_device
    host_bytes_per_s = load_topology(chip).host_bytes_per_s if system_of(chip) is not None else None
    if host_bytes_per_s is None:
        return f"no host link is recorded for {chip.id} (chiplab/data/networks/topologies.toml)"
    size = entry.message_bytes
    if isinstance(size, int) and size < HOST_MIN_MESSAGE_BYTES:
        return f"message of {size:,} B is latency-bound, not a bandwidth measurement"
    return [FitPoint(entry.id, entry.source.id, "host", chip.id, str(entry.direction),
                     1.0 / host_bytes_per_s, measured_s)]


