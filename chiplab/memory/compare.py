"""One GEMM on the rooflines of several chips: where it lands, what bounds it, and from which m it is
compute-bound.

The classic roofline places a kernel by its *arithmetic intensity*: FLOPs per byte of off-chip traffic. Here
the traffic is the GEMM's unique footprint, A, B and C each moved once (``unique_footprint_bytes``) — the least
any tiling can move, so the intensity is the best case and the bound a true upper bound. For C[m, n] =
A[m, k] @ B[k, n] in a format of b bytes,

    intensity = 2·m·n·k / (b · (m·k + k·n + m·n))  FLOP/byte,

which for a small m (a few tokens through a big weight matrix, as in LLM decoding) is about 2·m / b: the weights
are read once per step and used by only m rows. The intensity grows with m, so each chip has a *critical m*
above which the GEMM is compute-bound (:func:`critical_m`).

>>> from chiplab.hardware import load_chip
>>> decode = Gemm(m=8, n=8192, k=8192)
>>> placed = place_on_roofline(decode, load_chip("tpu_v5e"))
>>> round(placed.point.intensity, 1), placed.point.bound
(8.0, 'HBM')
>>> critical_m(load_chip("tpu_v5e"), n=8192, k=8192, dtype="bf16")
256
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chiplab._checks import instance_of, positive_int
from chiplab._guard import ROOFLINE_PLACEMENTS_PER_S, check_sweep
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip, as_chips
from chiplab.hardware.chip import Chip
from chiplab.memory.core_gemm import GemmOnCore
from chiplab.memory.roofline_model import Roofline, RooflinePoint, roofline
from chiplab.memory.tiling import unique_footprint_bytes
from chiplab.tables import markdown_table
from chiplab.workloads.gemm import Gemm

GEMM_EXAMPLE = "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)"


@dataclass(frozen=True)
class RooflinePlacement:
    """A GEMM placed on one chip's classic (off-chip) roofline."""

    chip_id: str
    display_name: str
    roofline: Roofline
    point: RooflinePoint

    @property
    def ridge_point(self) -> float:
        """The chip's ridge point at the off-chip level, in the roofline's convention."""
        return self.roofline.ridge_point(self.point.level)

    @property
    def fraction_of_peak(self) -> float:
        """Attainable ÷ peak: 1 when compute-bound, intensity ÷ ridge point below the ridge."""
        return self.point.attainable_flops_per_s / self.roofline.peak_flops_per_s

    @property
    def is_memory_bound(self) -> bool:
        return self.point.bound != "compute"


@dataclass(frozen=True)
class RooflineComparison:
    """One GEMM on several chips; chips that cannot run its format are listed in ``skipped`` with the reason."""

    gemm: Gemm
    convention: str
    placements: tuple[RooflinePlacement, ...]
    skipped: tuple[tuple[str, str], ...]

    @property
    def unit(self) -> str:
        return "FLOP/byte" if self.convention == "flops_per_byte" else "MAC/byte"

    @property
    def roofs(self) -> tuple[Roofline, ...]:
        return tuple(p.roofline for p in self.placements)

    @property
    def points_by_chip(self) -> dict[str, list[RooflinePoint]]:
        """Chip id → [the GEMM's point], as ``chiplab.viz.draw_rooflines`` takes it."""
        return {p.chip_id: [p.point] for p in self.placements}

    def to_markdown(self) -> str:
        rows = [[p.display_name, f"{p.point.intensity:.3g}", f"{p.ridge_point:.3g}",
                 f"{p.point.bound}-bound", f"{p.fraction_of_peak:.1%}"] for p in self.placements]
        return markdown_table(["chip", f"intensity ({self.unit})", f"ridge point ({self.unit})", "bound",
                               "attainable fraction of peak"], rows)




def place_on_roofline(gemm: Gemm, chip: str | Chip, convention: str = "flops_per_byte",
                      label: str | None = None) -> RooflinePlacement:
    """Place ``gemm`` (at its unique footprint) on ``chip``'s off-chip roofline for the GEMM's format; the point
    is labelled ``label`` (default: the GEMM's description)."""
    instance_of("gemm", gemm, Gemm, GEMM_EXAMPLE)
    chip = as_chip(chip)
    roof = roofline(chip, gemm.dtype, convention)
    point = roof.place(label or str(gemm), gemm.num_flops, unique_footprint_bytes(gemm), level="offchip")
    return RooflinePlacement(chip.id, chip.display_name, roof, point)


def compare_on_rooflines(gemm: Gemm, chips: Iterable[str | Chip],
                         convention: str = "flops_per_byte") -> RooflineComparison:
    """Place ``gemm`` on each chip's roofline; a chip with no peak for the GEMM's format is skipped, with why."""
    placements, skipped = [], []
    for chip in as_chips(chips, "chips"):
        try:
            placements.append(place_on_roofline(gemm, chip, convention))
        except ChiplabInputError as error:
            skipped.append((chip.id, str(error)))
    if not placements and not skipped:
        raise ChiplabInputError("chips must name at least one chip, e.g. ['tpu_v5e', 'trainium2']")
    return RooflineComparison(gemm, convention, tuple(placements), tuple(skipped))


@dataclass(frozen=True)
class RooflineSweep:
    """GEMMs that differ only in m, placed on several chips' rooflines (points labelled "m=…")."""

    ms: tuple[int, ...]
    comparisons: tuple[RooflineComparison, ...]  # one per m

    @property
    def roofs(self) -> tuple[Roofline, ...]:
        return self.comparisons[0].roofs

    @property
    def points_by_chip(self) -> dict[str, list[RooflinePoint]]:
        """Chip id → its points, one per m, as ``chiplab.viz.draw_rooflines`` takes them."""
        points: dict[str, list[RooflinePoint]] = {}
        for comparison in self.comparisons:
            for chip_id, chip_points in comparison.points_by_chip.items():
                points.setdefault(chip_id, []).extend(chip_points)
        return points

    def placement(self, m: int, chip_id: str) -> RooflinePlacement:
        """The placement of the GEMM with this ``m`` on chip ``chip_id``."""
        for value, comparison in zip(self.ms, self.comparisons, strict=True):
            for placed in comparison.placements:
                if value == m and placed.chip_id == chip_id:
                    return placed
        raise ChiplabInputError(f"no placement for m={m} on {chip_id!r}; ms are {list(self.ms)}")


def sweep_m_on_rooflines(chips: Sequence[str | Chip], ms: Sequence[int], n: int, k: int, dtype: str = "bf16",
                         convention: str = "flops_per_byte") -> RooflineSweep:
    """Place C[m, n] = A[m, k] @ B[k, n] for each m on each chip's roofline (chips without ``dtype`` skipped)."""
    ms = _whole_numbers("ms", ms)
    chips = as_chips(chips, "chips")
    comparisons = []
    for m in ms:
        gemm = Gemm(m=m, n=n, k=k, dtype=dtype)
        placements, skipped = [], []
        for chip in chips:
            try:
                placements.append(place_on_roofline(gemm, chip, convention, label=f"m={m:,}"))
            except ChiplabInputError as error:
                skipped.append((chip.id, str(error)))
        comparisons.append(RooflineComparison(gemm, convention, tuple(placements), tuple(skipped)))
    if not comparisons[0].placements:
        raise ChiplabInputError(f"none of the chips has a {dtype} peak")
    return RooflineSweep(tuple(ms), tuple(comparisons))


def _whole_numbers(name: str, values: object) -> tuple[int, ...]:
    values = check_sweep(name, values, work_unit="roofline placements", per_s=ROOFLINE_PLACEMENTS_PER_S)
    numbers = tuple(positive_int(f"{name}[{i}]", value) for i, value in enumerate(values))
    if not numbers:
        raise ChiplabInputError(f"{name} must hold at least one m, e.g. [8, 4096]")
    return numbers


def critical_m(chip: str | Chip, n: int, k: int, dtype: str = "bf16") -> int | None:
    """The smallest m for which C[m, n] = A[m, k] @ B[k, n] reaches ``chip``'s off-chip ridge point (is
    compute-bound on its classic roofline), or None if no m does (the intensity never exceeds 2·n·k / (b·(n+k))).

    From intensity(m) ≥ ridge:  m · (2·n·k − ridge·b·(n + k)) ≥ ridge·b·n·k.
    """
    chip = as_chip(chip)
    probe = Gemm(m=1, n=n, k=k, dtype=dtype)
    ridge = chip.ridge_point_flops_per_byte(dtype)
    b = probe.bytes_per_element
    slope = 2 * n * k - ridge * b * (n + k)
    if slope <= 0:
        return None
    m = max(1, math.ceil(ridge * b * n * k / slope - 1e-9))
    return m


def boundedness_table(chips: Sequence[str | Chip], ms: Sequence[int], n: int, k: int,
                      dtype: str = "bf16") -> str:
    """Rows: GEMMs C[m, n] = A[m, k] @ B[k, n] for each m; columns: chips; cells: what bounds the GEMM and the
    fraction of peak its roofline allows. A last row gives each chip's :func:`critical_m`. Chips without a
    ``dtype`` peak are left out."""
    ms = _whole_numbers("ms", ms)
    with_peak = [chip for chip in as_chips(chips, "chips") if dtype in chip.peak_dtypes]
    if not with_peak:
        raise ChiplabInputError(f"none of the chips has a {dtype} peak; pick chips that run {dtype}")
    rows = []
    for m in ms:
        gemm = Gemm(m=m, n=n, k=k, dtype=dtype)
        row: list[object] = [f"m = {m:,}"]
        for chip in with_peak:
            placed = place_on_roofline(gemm, chip)
            fraction = placed.fraction_of_peak
            row.append("compute-bound" if not placed.is_memory_bound
                       else f"{placed.point.bound}-bound, {fraction:.1%} of peak" if fraction < 0.1
                       else f"{placed.point.bound}-bound, {fraction:.0%} of peak")
        rows.append(row)
    critical = [critical_m(chip, n, k, dtype) for chip in with_peak]
    rows.append(["compute-bound from", *("never" if m is None else f"m = {m:,}" for m in critical)])
    return markdown_table([f"GEMM (n = {n:,}, k = {k:,}, {dtype})", *(chip.display_name for chip in with_peak)], rows)


def hierarchical_points(result: GemmOnCore, roof: Roofline) -> tuple[RooflinePoint, ...]:
    """The placed GEMM ``result`` on every level of ``roof`` that has a ceiling: its intensity at each level is
    its FLOPs per byte *actually moved there* under its tiling (the hierarchical roofline)."""
    instance_of("result", result, GemmOnCore, "a placed GEMM from chiplab.memory.gemm_on_core")
    instance_of("roof", roof, Roofline, "a Roofline from chiplab.memory.roofline")
    points = []
    for level in result.levels:
        if any(level.label == ceiling.label for ceiling in roof.ceilings) and level.num_bytes > 0:
            points.append(roof.place(level.label, result.gemm.num_flops, level.num_bytes, level=level.label))
    return tuple(points)
