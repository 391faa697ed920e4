"""The calibration fitted from the micro-benchmark record — and only from it — applied by default.

Each micro-benchmark (``chiplab/data/measurements/micro_*.toml``) is run through chiplab's own model of the same
work on the same chip, and the fit keeps *measured ÷ modelled*, never measured ÷ datasheet peak (the model already
loses some of the peak to mapping, fill and drain, HBM traffic):

* **matmul** — per chip, dtype and shape class: modelled time of that exact GEMM (:func:`gemm_on_chip`) ÷
  measured time. Shape classes (:func:`shape_class_of`): ``"large"`` when the geometric mean of m, n, k is at
  least 2048 (every chip's best-shape and large-square runs), ``"small"`` below. Only the large class is applied:
  the record's small GEMMs (TPU v5e 1024³ from Python, 512–2048³ calls of a third-party Trainium library) are
  single calls timed with their host dispatch, which a compiled training or serving step does not pay per GEMM;
  they are fitted and reported (``chiplab calibration``) so the gap stays visible.
* **memory** — per chip: measured bandwidth ÷ the catalog's off-chip bandwidth (the model's HBM time).
* **weight_stream** — per chip and dtype: a GEMM micro-benchmark the ideal model finds HBM-bound (a decode step's
  GEMV or skinny GEMM over its weights, batch 1–64) is a bandwidth measurement of that kernel class, not of the
  matrix units: modelled (HBM) time ÷ measured time. Real GEMV kernels reach less of the bandwidth than STREAM does.
* **kv_attention** — per chip: ``memory_bandwidth`` entries with ``kernel_class = "kv_cache_attention"`` (decode
  attention over a paged KV cache, bandwidth as the benchmark counts K/V bytes) ÷ the catalog's bandwidth. Applied
  to the attention GEMMs of a step, as ``weight_stream`` is to its weight GEMMs and ``memory`` to every other op
  (:meth:`Calibration.memory_efficiency_of`); each matters only where the op is memory-bound.
* **network** — per chip (its system, as :func:`network_for` wires it): for messages of at least 256 MiB, modelled
  ÷ measured collective time (:func:`collective_time_s`); then a fixed per-call latency from messages of at most
  1 MiB inside one scale-up domain: measured − modelled at that efficiency (median, never below 0).
* **bulk** — per chip, messages between those bands (1 MiB < size < 256 MiB, inside one domain), where the
  libraries run their bandwidth protocols with a larger fixed cost and less than their full bandwidth (NCCL/RCCL
  switch LL → LL128 → Simple as messages grow): a line measured = latency + modelled ÷ efficiency, fitted jointly
  through the chip's points of at least two sizes by least squares on relative error (Azure's all-reduce sweeps:
  MI300X 64 µs at 0.70, H100 31 µs at 0.50). :meth:`Calibration.collective_s` times a message above 1 MiB by the
  slower of this line (held at its 256 MiB value beyond) and the latency + network rule. A chip without its own line
  takes its family's median, never all chips' (a GPU library's protocols say nothing of XLA's or Neuron's); a
  family without one keeps the two-band model.
* **host** — per chip with a recorded host link: measured ÷ recorded PCIe bandwidth (messages ≥ 1 MiB).

Several entries of one chip (a tutorial's unoptimised steps, NCCL with and without NVLink SHARP) are different
kernels of the same work: the factor is the best of them (*achievable*), not their mean. A factor above 1 (the
model pessimistic) is reported as fitted and applied as 1, so the ideal calibration stays an upper bound.

**Fallback.** A chip without its own measurement takes the median of its vendor family's chips (GPU: NVIDIA and
AMD; TPU; Trainium/Inferentia), then of all chips. For matmul the chain is walked per dtype first: a chip with no
entry in that dtype takes its family's median *in that dtype* before its own other dtypes (so a chip's FP8 falls
back to its peers' FP8, never to its own BF16); only a dtype no chip measured takes the same chain over any dtype.
Peers can be far apart: MI300X's own FP8 entries (hipblaslt-bench) fit two thirds of what the NVIDIA FP8 median
gave it before it had one. The two memory-bound kernel classes follow the same chain; where no chip at
all measured a class, it takes the chip's STREAM ``memory`` factor, and a class is applied at most at that factor
(a peer's GEMV must not make a chip stream faster than its own STREAM does; ``chiplab calibration`` shows MI300X's
capped row). Their record is GPU-only so far (December 2026), so TPUs and Trainium take the all-chips median of GPU
kernels. The calibration says
which factors fell back (``Calibration.fallbacks``, repeated in every estimate's assumptions).
Toy chips (``kind = "toy"``) are invented hardware with no software to measure: they keep the ideal calibration.

**Kernel overhead** is 0: an ASSUMPTION. The record has no published per-kernel launch cost inside a compiled
step (XLA, Neuron and CUDA graphs launch kernels back to back); the standalone small-GEMM calls above bound what a
*host-dispatched* call costs. **End-to-end runs are never read** (:attr:`CalibrationFit.inputs` lists what was).
"""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass

from chiplab._checks import instance_of, one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import DTYPES
from chiplab.perf._measurement_types import FAMILY_OF_VENDOR, MicroBenchmark
from chiplab.perf.calibration import IDEAL_SOURCE, KV_ATTENTION, WEIGHT_STREAM, Calibration
from chiplab.perf.calibration_points import FitPoint as FitPoint  # re-exported: the fit's points live there
from chiplab.perf.calibration_points import fit_points
from chiplab.perf.calibration_points import shape_class_of as shape_class_of  # re-exported (chiplab.perf)
from chiplab.perf.measurements import load_measurements
from chiplab.units import format_seconds

QUANTITIES = ("matmul", "memory", WEIGHT_STREAM, KV_ATTENTION, "network", "latency", "bulk_latency", "bulk_network",
              "host")
_BULK = ("bulk_latency", "bulk_network")  # the two coefficients of one line, fitted together (_bulk_line)
_MEMORY_CLASSES = (WEIGHT_STREAM, KV_ATTENTION)  # with no measurement on any chip they take the STREAM factor
SHAPE_CLASSES = ("large", "small")
APPLIED_SHAPE_CLASS = "large"


@dataclass(frozen=True)
class Factor:
    """A fitted factor for one chip, and where it came from."""

    value: float
    level: str  # "own", "family <name>", "all chips", "none" (no measurement anywhere: the ideal value)
    entry_ids: tuple[str, ...]

    @property
    def applied(self) -> float:
        return min(self.value, 1.0) if self.level != "none" else self.value


@dataclass(frozen=True)
class CalibrationFit:
    """Every point the fit used, what it skipped and why, and the factors per chip (see the module docstring)."""

    points: tuple[FitPoint, ...]
    skipped: tuple[tuple[str, str], ...]  # (entry id, reason)
    inputs: tuple[str, ...]  # ids of every entry the fit read: micro-benchmarks only

    def _own(self, quantity: str, key: str | None) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Per chip: the best efficiency of its points (``latency``: the median extra time) and their ids."""
        by_chip: dict[str, list[FitPoint]] = {}
        for point in self.points:
            if point.quantity == quantity and (key is None or point.key == key):
                by_chip.setdefault(point.chip_id, []).append(point)
        if quantity == "latency":  # what the measured time has beyond the network model at the fitted efficiency
            return {chip: (statistics.median(max(0.0, p.measured_s - p.modelled_s / self.factor("network", chip)
                                                 .applied) for p in pts), tuple(p.entry_id for p in pts))
                    for chip, pts in by_chip.items()}
        return {chip: (max(p.efficiency_fraction for p in pts), tuple(p.entry_id for p in pts))
                for chip, pts in by_chip.items()}

    def factor(self, quantity: str, chip: str | Chip, dtype: str = "bf16",
               shape_class: str = APPLIED_SHAPE_CLASS) -> Factor:
        """The factor of ``quantity`` for ``chip``: its own, else its family's median, else all chips' median."""
        chip_id, family = _identity(chip)
        # matmul and weight_stream are kept per dtype (an fp8 GEMV reaches less of the bandwidth than a bf16 one).
        keys = {"matmul": [f"{dtype} {shape_class}", None], WEIGHT_STREAM: [dtype, None]}.get(quantity, [None])
        point_quantity = "bulk" if quantity in _BULK else quantity
        for key in keys:
            if key is None and quantity == "matmul":  # any dtype of the same shape class
                own: dict[str, tuple[float, tuple[str, ...]]] = {}
                for point_key in {p.key for p in self.points if p.key.endswith(shape_class)}:
                    for chip_name, found in self._own(quantity, point_key).items():
                        own[chip_name] = max(own.get(chip_name, found), found)
            else:
                own = self._own(quantity, key) if point_quantity == quantity else self._own_bulk(quantity)
            suffix = ", any dtype" if key is None and len(keys) > 1 else ""
            if chip_id in own:
                return Factor(own[chip_id][0], "own" + suffix, own[chip_id][1])
            peers = {c: v for c, v in own.items() if family is not None and _family(c) == family}
            for level, group in ((f"family {family}", peers), ("all chips", own)):
                if group and not (quantity in _BULK and level == "all chips"):  # a library's protocols: same family
                    return Factor(statistics.median(v for v, _ in group.values()), level + suffix,
                                  tuple(i for _, ids in group.values() for i in ids))
        if quantity in _MEMORY_CLASSES:  # no chip measured this kernel class: time it as STREAM does
            stream = self.factor("memory", chip)
            return Factor(stream.value, f"stream memory, {stream.level}", stream.entry_ids)
        return Factor(0.0 if quantity in ("latency", "bulk_latency") else 1.0, "none", ())

    def _own_bulk(self, quantity: str) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Per chip with a bulk line (:func:`_bulk_line`): its latency or its efficiency, and the entries."""
        by_chip: dict[str, list[FitPoint]] = {}
        for point in self.points:
            if point.quantity == "bulk":
                by_chip.setdefault(point.chip_id, []).append(point)
        found = {}
        for chip, pts in by_chip.items():
            line = _bulk_line(pts, self.factor("network", chip).applied)
            if line is not None:
                found[chip] = (line[_BULK.index(quantity)], tuple(p.entry_id for p in pts))
        return found

    def calibration_for(self, chip: str | Chip, dtype: str = "bf16") -> Calibration:
        """The fitted :class:`Calibration` of ``chip`` for GEMMs in ``dtype``."""
        chip_id, _ = _identity(chip)
        factors = {q: self.factor(q, chip, dtype) for q in QUANTITIES}
        applied = {q: found.value if q in ("latency", "bulk_latency") else found.applied
                   for q, found in factors.items()}
        for quantity in _MEMORY_CLASSES:  # never faster than the chip's own STREAM (see the module docstring)
            applied[quantity] = min(applied[quantity], applied["memory"])
        # A peer's bulk line must not stream faster than this chip's own large messages do.
        applied["bulk_network"] = min(applied["bulk_network"], applied["network"])
        has_bulk = factors["bulk_latency"].level != "none"
        parts, fallbacks = [], []
        for quantity, found in factors.items():
            what = f"{quantity} {dtype}" if quantity in ("matmul", WEIGHT_STREAM) else quantity
            value = format_seconds(found.value) if quantity in ("latency", "bulk_latency") else f"{found.value:.3g}"
            if applied[quantity] < found.value:  # say what the estimates use, not only what was fitted
                value += (f", applied as {applied[quantity]:.3g}: "
                          + ("at most the STREAM memory factor" if quantity in _MEMORY_CLASSES else
                             "at most the network factor" if quantity == "bulk_network" else "at most 1"))
            parts.append(f"{what} {value} ({found.level}: {', '.join(found.entry_ids) or 'no measurement'})")
            if quantity in _BULK and not has_bulk:
                if quantity == "bulk_latency":
                    fallbacks.append(f"calibration of {chip_id}: no bulk collective line measured in its family "
                                     "(messages of 1-256 MiB timed by the latency and network factors)")
            elif not found.level.startswith("own") or found.level.endswith("any dtype"):
                fallbacks.append(f"calibration of {chip_id}: {what} from {found.level} "
                                 f"({'ideal value' if found.level == 'none' else value})")
        source = ("fitted to chiplab's micro-benchmark record (chiplab/data/measurements/micro_*.toml, "
                  "chiplab.perf.calibration_fit): " + "; ".join(parts) + "; kernel overhead 0 (assumed: compiled "
                  "steps launch kernels back to back)")
        return Calibration(name=f"fitted ({chip_id}, {dtype})",
                           matmul_efficiency_fraction=applied["matmul"],
                           memory_efficiency_fraction=applied["memory"],
                           network_efficiency_fraction=applied["network"],
                           collective_latency_s=applied["latency"],
                           host_efficiency_fraction=applied["host"],
                           weight_stream_efficiency_fraction=applied[WEIGHT_STREAM],
                           kv_attention_efficiency_fraction=applied[KV_ATTENTION],
                           bulk_collective_latency_s=applied["bulk_latency"] if has_bulk else None,
                           bulk_network_efficiency_fraction=applied["bulk_network"] if has_bulk else None,
                           source=source, fallbacks=tuple(fallbacks))


def _bulk_line(points: list[FitPoint], network_fraction: float) -> tuple[float, float] | None:
    """(latency, efficiency) of the line measured = latency + modelled ÷ efficiency through one chip's bulk points,
    by least squares on relative errors (each point weighted 1/measured², so a 2 MiB call counts as much as a 128 MiB
    one). A line needs two message sizes: None with fewer. The efficiency is at most ``network_fraction`` (the
    large-message factor: the band cannot stream faster than the largest messages do) and the latency at least 0;
    where a bound binds, the other coefficient is refitted alone."""
    if len({p.modelled_s for p in points}) < 2:
        return None
    weights = [1.0 / p.measured_s ** 2 for p in points]
    sw = sum(weights)
    sx = sum(w * p.modelled_s for w, p in zip(weights, points, strict=True))
    sy = sum(w * p.measured_s for w, p in zip(weights, points, strict=True))
    sxx = sum(w * p.modelled_s ** 2 for w, p in zip(weights, points, strict=True))
    sxy = sum(w * p.modelled_s * p.measured_s for w, p in zip(weights, points, strict=True))
    slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)  # time per modelled second: 1 / efficiency
    latency_s = (sy - slope * sx) / sw
    if slope < 1.0 / network_fraction:
        slope = 1.0 / network_fraction
        latency_s = (sy - slope * sx) / sw
    if latency_s < 0:
        latency_s, slope = 0.0, max(sxy / sxx, 1.0 / network_fraction)
    return latency_s, 1.0 / slope


def _family(chip_id: str) -> str | None:
    return FAMILY_OF_VENDOR.get(load_chip(chip_id).vendor)


def _identity(chip: str | Chip) -> tuple[str, str | None]:
    """(catalog id, family) of a chip, its id or alias; a chip built outside the catalog keeps its own id and
    its vendor's family (None for an unknown vendor: all chips then)."""
    if isinstance(chip, Chip):
        return chip.id, FAMILY_OF_VENDOR.get(chip.vendor)
    found = load_chip(chip)
    return found.id, FAMILY_OF_VENDOR.get(found.vendor)


def fit_calibration(benchmarks: tuple[MicroBenchmark, ...] | list[MicroBenchmark]) -> CalibrationFit:
    """Fit every factor from ``benchmarks`` (micro-benchmarks only: an end-to-end run is refused)."""
    instance_of("benchmarks", benchmarks, (tuple, list), "a tuple of MicroBenchmark (micro_benchmarks())")
    points: list[FitPoint] = []
    skipped: list[tuple[str, str]] = []
    inputs = []
    for entry in benchmarks:
        if not isinstance(entry, MicroBenchmark):
            raise ChiplabInputError(f"calibration is fitted to micro-benchmarks only; got "
                                    f"{type(entry).__name__} {getattr(entry, 'id', entry)!r} (end-to-end runs are "
                                    "for validation, never fitted)")
        inputs.append(entry.id)
        found = fit_points(entry)
        if isinstance(found, str):
            skipped.append((entry.id, found))
        else:
            points += found
    return CalibrationFit(points=tuple(points), skipped=tuple(skipped), inputs=tuple(inputs))


@functools.lru_cache(maxsize=1)
def default_fit() -> CalibrationFit:
    """The fit of the shipped record (once per process)."""
    return fit_calibration(load_measurements().benchmarks)


_TOY = Calibration(name="ideal (toy chip)", source=f"{IDEAL_SOURCE}; a toy chip is invented hardware with no "
                   "software to measure")


def fitted_calibration(chip: str | Chip, dtype: str = "bf16") -> Calibration:
    """The default calibration of ``chip`` (a Chip, catalog id or alias) for GEMMs in ``dtype``.

    >>> fitted_calibration("h100_sxm").matmul_efficiency_fraction < 1
    True
    """
    dtype = one_of("dtype", dtype, DTYPES)
    if not isinstance(chip, Chip):
        chip = load_chip(chip)  # an id or alias; anything else is refused there, naming it
    if chip.designed_from:
        # A design runs its base's software: an unchanged design must perform exactly like its base
        # (chiplab.hardware.custom), so it takes the base's fit.
        chip = load_chip(chip.designed_from)
    if chip.kind == "toy":
        return _TOY
    # A catalog chip (or a what-if keeping its id) by id, so every what-if shares its fit; a chip of one's own
    # design by itself (its vendor's family, else all chips).
    return _fitted(chip.id if chip.id in list_chips() else chip, dtype)


def calibration_or_fitted(chip: Chip, dtype: str, calibration: Calibration | None) -> Calibration:
    """``calibration`` checked, or the chip's fitted one when None (the default of every estimator)."""
    if calibration is None:
        return fitted_calibration(chip, dtype)
    instance_of("calibration", calibration, Calibration,
                "a Calibration, None for the chip's fitted one, or Calibration.ideal() for the upper bound")
    return calibration


@functools.lru_cache(maxsize=256)
def _fitted(chip: str | Chip, dtype: str) -> Calibration:
    return default_fit().calibration_for(chip, dtype)
