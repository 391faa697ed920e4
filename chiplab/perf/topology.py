"""How a system's chips are wired, and what a collective or a point-to-point transfer costs on that wiring.

A scale-up domain is a **torus** (TPU ICI, Trainium NeuronLink: each chip has direct links to its neighbours
along two or three axes), a **switch** (NVLink through NVSwitch: every GPU one hop from every other, through all its
links) or a **full mesh** (AMD Infinity Fabric on an 8×MI300X platform: one direct link to each peer, no switch).
The facts live in ``chiplab/data/networks/topologies.toml``; the link bandwidth comes from the chip's own file.

Collectives (the ring algorithms of Thakur, Rabenseifner & Gropp, IJHPCA 2005, run along torus axes as in "How to
Scale Your Model", ch. 3). A collective over p chips of S bytes (the whole buffer) along a set of axes:

* **Bandwidth.** One axis of length n carries a ring in each direction when the axis wraps around (2·L·b per
  chip for L links per direction of b bytes/s one way); without the wraparound link the ring must fold back along
  the line and uses each direction once (L·b): half the bandwidth. The axes of a multi-axis collective run at the
  same time on disjoint links, each on its share of the data, so their bandwidths add:
  reduce-scatter and all-gather take (p − 1)/p · S / Σ B_axis; an all-reduce (= both) twice that.
* **Latency.** A ring step cannot start before the previous step's chunk arrived and was added, so each step pays
  one hop latency α (a hardware figure, about a microsecond on ICI, not a software step of several): n − 1 steps
  per axis with wraparound, 2(n − 1) without. The terms add, as in the α-β model: T = steps·α + bytes ÷ bandwidth.
* **Switch.** A ring through the switch: p − 1 steps of α at the GPU's whole NVLink bandwidth. With in-network
  reduction (NVLink SHARP) an all-reduce sends each byte to the switch once and receives the sum once, both
  directions at once: S / B + 2α instead of 2 (p − 1)/p · S / B.
* **Full mesh.** Each chip sends each peer its share over their own link, all links at once, in one step: a
  collective over p chips uses the p − 1 links among them, (p − 1)·L·b, and pays one α per pass. On 8 MI300X
  that is 7 × 64 GB/s = 448 GB/s one way; over 2 GPUs only one link's 64 GB/s (a switch would give all of it).
* **Beyond the domain** (a pod, a node): reduce-scatter inside, the reduced 1/domain of the data across domains on
  the scale-out network (DCN, EFA), all-gather inside. The phases work on chunks, so the scale-out phase of one
  chunk overlaps the in-domain phases of the next: T = max(in-domain, scale-out) with ``overlap_phases`` (the
  default), their sum without.

Point to point: hops = Σ over axes of the shortest way round (min(d, n − d) with wraparound, d without); the
transfer is cut-through, so T = hops·α + S / (L·b) (a switch: one hop at all the GPU's links; a full mesh: one hop on
the one link between the pair).

Host link: the chip's PCIe connection to its host (loading weights, offloading a KV cache), one way:
T = S / ``host_bytes_per_s``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from chiplab._checks import fraction, instance_of, non_negative, one_of, positive_int, positive_int_at_most
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip

COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter")
# A collective's group: a billion chips is beyond any system, and bounding it keeps the float arithmetic finite
# (10**400 chips overflowed num_chips / domain)
MAX_COLLECTIVE_CHIPS = 10**9
AXIS_NAMES = ("x", "y", "z")


@dataclass(frozen=True, kw_only=True)
class Topology:
    """The wiring of one system (see the module docstring and the data file for each field)."""

    chip_id: str
    kind: str  # "torus", "switch" or "full_mesh"
    axes: tuple[int, ...]  # the largest slice's shape (switch: the domain size)
    wraparound_from: int
    links_per_direction: int
    link_one_way_bytes_per_s: float  # one link, one way
    hop_latency_s: float
    in_network_reduction: bool
    scale_out_bytes_per_s: float
    scale_out_latency_s: float
    host_bytes_per_s: float | None
    source: str
    assumptions: tuple[str, ...]
    slice_growth: str = "in_order"

    @property
    def num_chips(self) -> int:
        """Chips in one scale-up domain."""
        return math.prod(self.axes)

    @property
    def axis_names(self) -> tuple[str, ...]:
        return AXIS_NAMES[:len(self.axes)] if self.kind == "torus" else (self.kind,)

    def slice_shape(self, num_chips: int) -> tuple[int, ...]:
        """The shape of a slice of ``num_chips`` chips. TPU slices grow as evenly as they can (2×2×1, 2×2×2,
        2×2×4, …: ``slice_growth = "balanced"``); others fill x, then y, then z (a Trn2 instance's 4×4 torus
        before the UltraServer axis: ``"in_order"``)."""
        num_chips = positive_int("num_chips", num_chips)
        if num_chips > self.num_chips:
            raise ChiplabInputError(f"num_chips ({num_chips}) exceeds {self.chip_id}'s scale-up domain of "
                                    f"{self.num_chips} chips; beyond it, use collective_time_s's scale-out path")
        if self.slice_growth == "balanced":
            shape, left = [1] * len(self.axes), num_chips
            for factor in _prime_factors(num_chips):
                fits = [i for i in range(len(shape)) if shape[i] * factor <= self.axes[i]]
                if not fits:
                    break
                shape[min(fits, key=lambda i: (shape[i], -self.axes[i]))] *= factor
                left //= factor
        if self.slice_growth != "balanced" or left != 1:
            shape, left = [], num_chips
            for size in self.axes:
                length = max(d for d in range(1, min(size, left) + 1) if left % d == 0)
                shape.append(length)
                left //= length
        if left != 1:
            raise ChiplabInputError(f"{num_chips} chips do not form a slice of {self.chip_id}'s "
                                    f"{'×'.join(map(str, self.axes))} {self.kind}")
        return tuple(shape)

    def wraps(self, axis: int, length: int) -> bool:
        """Does an axis of this length (in a slice) have its wraparound link?"""
        return length == self.axes[axis] or length % self.wraparound_from == 0

    def axis_bandwidth_bytes_per_s(self, axis: int, length: int) -> float:
        """One chip's one-way bandwidth into a ring along an axis (switch: into the switch; full mesh: to the other
        ``length − 1`` chips of the slice, one link each)."""
        per_direction = self.links_per_direction * self.link_one_way_bytes_per_s
        if self.kind == "switch":
            return per_direction
        if self.kind == "full_mesh":
            return per_direction * (length - 1)
        return per_direction * (2 if self.wraps(axis, length) else 1)


def _prime_factors(number: int) -> list[int]:
    """Prime factors, largest first (so odd factors such as 5 and 7 find an axis before the twos fill them)."""
    factors, divisor = [], 2
    while divisor * divisor <= number:
        while number % divisor == 0:
            factors.append(divisor)
            number //= divisor
        divisor += 1
    if number > 1:
        factors.append(number)
    return sorted(factors, reverse=True)


def _chip_link_one_way(chip: Chip, links_per_chip: int) -> float:
    link = chip.links[0] if chip.links else None
    if link is not None and link.per_link_one_way_bytes_per_s:
        return link.per_link_one_way_bytes_per_s
    if link is not None and link.one_way_bandwidth_bytes_per_s:
        return link.one_way_bandwidth_bytes_per_s / (link.num_links or links_per_chip)
    raise ChiplabInputError(f"chip {chip.id!r}: its link bandwidth is not in the catalog")


@lru_cache(maxsize=1)
def _topology_data() -> dict:
    return tomllib.loads(resources.files("chiplab").joinpath("data", "networks", "topologies.toml").read_text())


def known_topologies() -> tuple[str, ...]:
    return tuple(sorted(_topology_data()))


@lru_cache(maxsize=1)
def _links_of_recorded_systems() -> dict:
    from chiplab.hardware.catalog import load_chip

    return {chip_id: load_chip(chip_id).links for chip_id in _topology_data()}


def system_of(chip: Chip) -> str | None:
    """The recorded system ``chip`` is wired as: its own id, or for a chip built from a catalog chip (a what-if,
    ``design_chip``) the catalog chip with exactly the same links."""
    if chip.id in _topology_data():
        return chip.id
    if not chip.links:
        return None
    return next((chip_id for chip_id, links in _links_of_recorded_systems().items() if links == chip.links), None)


def load_topology(chip: Chip) -> Topology:
    """The wiring of ``chip``'s system, from ``data/networks/topologies.toml`` (see :func:`system_of`)."""
    instance_of("chip", chip, Chip, "a Chip (load_chip('tpu_v5p'))")
    system = system_of(chip)
    entry = None if system is None else _topology_data()[system]
    if entry is None:
        raise ChiplabInputError(f"no topology is recorded for chip {chip.id!r}; known: "
                                f"{', '.join(known_topologies())}")
    axes = tuple(entry["axes"])
    links_per_chip = entry["links_per_direction"] * {"torus": 2 * len(axes), "full_mesh": axes[0] - 1}.get(
        entry["kind"], 1)
    return Topology(
        chip_id=chip.id, kind=entry["kind"], axes=axes, wraparound_from=entry.get("wraparound_from", axes[0]),
        links_per_direction=entry["links_per_direction"],
        link_one_way_bytes_per_s=_chip_link_one_way(chip, links_per_chip), hop_latency_s=entry["hop_latency_s"],
        in_network_reduction=entry["in_network_reduction"], scale_out_bytes_per_s=entry["scale_out_bytes_per_s"],
        scale_out_latency_s=entry["scale_out_latency_s"], host_bytes_per_s=entry.get("host_bytes_per_s"),
        source=entry["source"], assumptions=tuple(entry.get("assumption", ())),
        slice_growth=entry.get("slice_growth", "in_order"))


def _chosen_axes(topology: Topology, shape: tuple[int, ...], axes: tuple[str, ...] | str | None) -> list[int]:
    names = topology.axis_names
    if axes is None:
        return [i for i, length in enumerate(shape) if length > 1]
    if isinstance(axes, str):
        axes = (axes,)
    if not isinstance(axes, tuple | list) or not all(isinstance(name, str) for name in axes):
        raise ChiplabInputError(f"axes must be None, an axis name or a tuple of them ({', '.join(names)}); "
                                f"got {axes!r}")
    chosen = []
    for name in axes:
        if name not in names:
            raise ChiplabInputError(f"axis {name!r} is not an axis of {topology.chip_id}'s {topology.kind}; "
                                    f"allowed: {', '.join(names)}")
        chosen.append(names.index(name))
    return chosen


def in_domain_time_s(kind: str, num_bytes: float, topology: Topology, num_chips: int | None = None,
                     axes: tuple[str, ...] | str | None = None, efficiency_fraction: float = 1.0) -> float:
    """A collective inside one scale-up domain: over a slice of ``num_chips`` (default: the whole domain),
    along ``axes`` (names such as ("x", "y"); default: every axis of the slice). See the module docstring."""
    kind = one_of("kind", kind, COLLECTIVES)
    num_bytes = non_negative("num_bytes", num_bytes)
    instance_of("topology", topology, Topology, "a Topology (load_topology(chip))")
    efficiency = fraction("efficiency_fraction", efficiency_fraction, allow_zero=False)
    shape = topology.slice_shape(num_chips or topology.num_chips)
    chosen = _chosen_axes(topology, shape, axes)
    p = math.prod(shape[i] for i in chosen)
    if p == 1:
        return 0.0
    passes = 2 if kind == "all_reduce" else 1
    if topology.kind == "full_mesh":
        bandwidth = topology.axis_bandwidth_bytes_per_s(0, p) * efficiency
        return passes * ((p - 1) / p * num_bytes / bandwidth + topology.hop_latency_s)
    if topology.kind == "switch":
        bandwidth = topology.axis_bandwidth_bytes_per_s(0, p) * efficiency
        if kind == "all_reduce" and topology.in_network_reduction:
            return num_bytes / bandwidth + 2 * topology.hop_latency_s
        return passes * ((p - 1) / p * num_bytes / bandwidth + (p - 1) * topology.hop_latency_s)
    bandwidth = sum(topology.axis_bandwidth_bytes_per_s(i, shape[i]) for i in chosen) * efficiency
    steps = sum((shape[i] - 1) * (1 if topology.wraps(i, shape[i]) else 2) for i in chosen)
    return passes * ((p - 1) / p * num_bytes / bandwidth + steps * topology.hop_latency_s)


def topology_collective_time_s(kind: str, num_bytes: float, num_chips: int, topology: Topology,
                               efficiency_fraction: float = 1.0, overlap_phases: bool = True,
                               chips_per_domain: int | None = None) -> float:
    """A collective over ``num_chips`` chips, hierarchical beyond one domain (see the module docstring).

    ``chips_per_domain``: how many of the group's chips share one scale-up domain (default: as many as fit). A
    data-parallel group whose replicas each fill part of a node with their tensor-parallel ranks has fewer members
    per node (Megatron-LM orders ranks tensor, context, data, pipeline, so a node of 8 GPUs at TP 4 holds 2 of them):
    then each member carries 1/chips_per_domain of the data across the scale-out network, not 1/domain."""
    instance_of("topology", topology, Topology, "a Topology (load_topology(chip))")
    num_chips = positive_int_at_most("num_chips", num_chips, MAX_COLLECTIVE_CHIPS)
    domain = min(num_chips, topology.num_chips)
    if chips_per_domain is not None:
        domain = min(domain, positive_int("chips_per_domain", chips_per_domain))
    if num_chips <= domain:
        return in_domain_time_s(kind, num_bytes, topology, num_chips, None, efficiency_fraction)
    num_domains = math.ceil(num_chips / domain)
    inside = in_domain_time_s(kind, num_bytes, topology, domain, None, efficiency_fraction)
    passes = 2 if kind == "all_reduce" else 1
    per_chip = num_bytes / domain
    across = passes * ((num_domains - 1) / num_domains * per_chip / (topology.scale_out_bytes_per_s
                       * efficiency_fraction) + (num_domains - 1) * topology.scale_out_latency_s)
    return max(inside, across) if overlap_phases else inside + across


def point_to_point_time_s(num_bytes: float, topology: Topology, source: tuple[int, ...],
                          destination: tuple[int, ...]) -> float:
    """Send ``num_bytes`` from the chip at coordinates ``source`` to ``destination`` in the full domain."""
    num_bytes = non_negative("num_bytes", num_bytes)
    return point_to_point_hops(topology, source, destination) * topology.hop_latency_s + num_bytes / (
        topology.links_per_direction * topology.link_one_way_bytes_per_s)


def point_to_point_hops(topology: Topology, source: tuple[int, ...], destination: tuple[int, ...]) -> int:
    """Links crossed on the shortest path (a switch or a full mesh: 1, or 0 to oneself)."""
    instance_of("topology", topology, Topology, "a Topology (load_topology(chip))")
    for name, coords in (("source", source), ("destination", destination)):
        if (not isinstance(coords, tuple) or len(coords) != len(topology.axes)
                or not all(isinstance(c, int) and 0 <= c < n for c, n in zip(coords, topology.axes, strict=True))):
            raise ChiplabInputError(f"{name} must be a tuple of {len(topology.axes)} coordinates within "
                                    f"{'×'.join(map(str, topology.axes))}; got {coords!r}")
    if topology.kind != "torus":
        return 0 if source == destination else 1
    hops = 0
    for i, (a, b) in enumerate(zip(source, destination, strict=True)):
        distance = abs(a - b)
        hops += min(distance, topology.axes[i] - distance) if topology.wraps(i, topology.axes[i]) else distance
    return hops


def host_transfer_time_s(num_bytes: float, topology: Topology) -> float:
    """Move ``num_bytes`` between the host and one chip over its PCIe link (one way)."""
    num_bytes = non_negative("num_bytes", num_bytes)
    instance_of("topology", topology, Topology, "a Topology (load_topology(chip))")
    if topology.host_bytes_per_s is None:
        raise ChiplabInputError(f"{topology.chip_id}: no host-link bandwidth is recorded; known for "
                                + ", ".join(c for c, e in _topology_data().items() if "host_bytes_per_s" in e))
    return num_bytes / topology.host_bytes_per_s
