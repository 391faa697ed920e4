"""Collective communication over a chip's links: ring and torus all-reduce, all-gather, reduce-scatter.

The alpha-beta model (Thakur, Rabenseifner & Gropp, "Optimization of Collective Communication Operations in
MPICH", IJHPCA 2005): a collective over p chips moving S bytes costs a bandwidth term and a latency term.

* reduce-scatter and all-gather: (p − 1)/p · S / B + steps · α
* all-reduce (= reduce-scatter + all-gather):       2 (p − 1)/p · S / B + 2 · steps · α

B is the bandwidth one chip can push into the collective. chiplab uses the chip's aggregate *one-way* link
bandwidth (half the vendor's bidirectional total): bidirectional rings along every axis of a torus, or all-to-all
through a switch, keep all of a chip's links busy at once — the optimistic, well-tuned case ("How to Scale Your
Model", ch. 3, makes the same assumption for TPU ICI). The topology enters through the number of latency steps:
p − 1 for a ring, Σ (p_i − 1) over the axes of a torus.

Where the system's wiring is recorded (``chiplab/data/networks/topologies.toml``), :func:`network_for` attaches it
and collectives follow :mod:`chiplab.perf.topology` instead: the torus axes a collective actually spans, their
wraparound links, per-hop latency, in-network reduction (NVLink SHARP) and the system's own scale-out network.
The aggregate model below remains for user-built networks (``Network(...)`` without a topology).

Beyond the scale-up domain (a TPU pod slice, a Trn2 UltraServer, an 8-GPU NVLink node) the collective is
hierarchical: reduce-scatter inside each domain, an all-reduce of 1/domain of the data across domains on the
slower scale-out network (DCN, EFA, InfiniBand), then all-gather inside.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from chiplab._checks import fraction, instance_of, non_negative, positive_int, positive_int_at_most
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.topology import (
    MAX_COLLECTIVE_CHIPS,
    Topology,
    load_topology,
    system_of,
    topology_collective_time_s,
)

# Scale-out bandwidth per chip when the caller gives none: an ASSUMPTION, the order of magnitude of current
# instances (AWS p5 and trn2 instances advertise 3.2 Tb/s of EFA per instance of 8 GPUs / 16 chips, i.e. 25-50
# GB/s per accelerator). Override it per study; it is reported in every estimate.
DEFAULT_SCALE_OUT_BYTES_PER_S = 25e9
# Per-step latency of a link hop: an ASSUMPTION of a few microseconds (NCCL and ICI hops are of this order).
DEFAULT_LINK_LATENCY_S = 5e-6


@dataclass(frozen=True, kw_only=True)
class Network:
    """What a collective sees of the machine (see the module docstring)."""

    link_bandwidth_bytes_per_s: float  # one chip's one-way bandwidth into a collective inside the domain
    scale_up_size: int  # chips in one scale-up domain
    torus_dims: int  # 1 = ring/switch, 2 or 3 = torus axes (latency steps only)
    scale_out_bandwidth_bytes_per_s: float = DEFAULT_SCALE_OUT_BYTES_PER_S
    latency_s: float = DEFAULT_LINK_LATENCY_S
    description: str = ""
    topology: Topology | None = None  # the system's wiring, when recorded: collectives then follow it

    def __post_init__(self) -> None:
        for name in ("link_bandwidth_bytes_per_s", "scale_out_bandwidth_bytes_per_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise ChiplabInputError(f"{name} must be a number > 0; got {value!r}")
        object.__setattr__(self, "scale_up_size", positive_int("scale_up_size", self.scale_up_size))


def network_for(chip: Chip, scale_out_bandwidth_bytes_per_s: float | None = None,
                latency_s: float | None = None) -> Network:
    """The network of ``chip`` from the catalog's first (scale-up) link, with its system's topology where one is
    recorded (then the scale-out bandwidth and hop latency are the topology's unless given here)."""
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    topology = load_topology(chip) if system_of(chip) is not None else None
    if topology is not None and (scale_out_bandwidth_bytes_per_s is not None or latency_s is not None):
        topology = dataclasses.replace(
            topology, scale_out_bytes_per_s=scale_out_bandwidth_bytes_per_s or topology.scale_out_bytes_per_s,
            hop_latency_s=topology.hop_latency_s if latency_s is None else latency_s)
    if scale_out_bandwidth_bytes_per_s is None:
        scale_out_bandwidth_bytes_per_s = (topology.scale_out_bytes_per_s if topology
                                           else DEFAULT_SCALE_OUT_BYTES_PER_S)
    if latency_s is None:
        latency_s = topology.hop_latency_s if topology else DEFAULT_LINK_LATENCY_S
    if not chip.links:
        raise ChiplabInputError(f"chip {chip.id!r} has no chip-to-chip link in the catalog; it cannot scale out")
    link = chip.links[0]
    one_way = link.one_way_bandwidth_bytes_per_s
    if one_way is None and link.per_link_one_way_bytes_per_s and link.num_links:
        one_way = link.per_link_one_way_bytes_per_s * link.num_links
    if one_way is None:
        raise ChiplabInputError(f"chip {chip.id!r}: the bandwidth of {link.name} is not known")
    if link.max_chips is None:
        raise ChiplabInputError(f"chip {chip.id!r}: the catalog does not say how many chips {link.name} connects "
                                "(its scale-up domain); pass network=Network(...) with scale_up_size to explore")
    dims = re.search(r"([23])D (torus|mesh)", link.topology)
    shape = "" if topology is None else f" ({'×'.join(map(str, topology.axes))} {topology.kind})"
    return Network(link_bandwidth_bytes_per_s=one_way,
                   scale_up_size=topology.num_chips if topology else link.max_chips,
                   torus_dims=int(dims.group(1)) if dims else 1,
                   scale_out_bandwidth_bytes_per_s=scale_out_bandwidth_bytes_per_s, latency_s=latency_s,
                   description=f"{link.name}, {link.topology or 'topology not given'}{shape}", topology=topology)


def _steps(num_chips: int, torus_dims: int) -> float:
    if torus_dims <= 1:
        return num_chips - 1
    side = num_chips ** (1 / torus_dims)
    return torus_dims * (side - 1)


def _flat(kind: str, num_bytes: float, num_chips: int, bandwidth: float, latency_s: float, dims: int) -> float:
    if num_chips == 1:
        return 0.0
    passes = 2 if kind == "all_reduce" else 1
    return passes * ((num_chips - 1) / num_chips * num_bytes / bandwidth + _steps(num_chips, dims) * latency_s)


def collective_time_s(kind: str, num_bytes: float, num_chips: int, network: Network,
                      efficiency_fraction: float = 1.0, chips_per_domain: int | None = None) -> float:
    """Time of an "all_reduce", "all_gather" or "reduce_scatter" of ``num_bytes`` over ``num_chips`` chips.

    ``chips_per_domain``: how many of the group share one scale-up domain, when fewer than fit (a data-parallel
    group beside tensor parallelism, :func:`chiplab.perf.topology.topology_collective_time_s`)."""
    if kind not in ("all_reduce", "all_gather", "reduce_scatter"):
        raise ChiplabInputError(f"kind must be one of all_reduce, all_gather, reduce_scatter; got {kind!r}")
    num_chips = positive_int_at_most("num_chips", num_chips, MAX_COLLECTIVE_CHIPS)
    instance_of("network", network, Network, "a Network (network_for(chip))")
    num_bytes = non_negative("num_bytes", num_bytes)
    efficiency_fraction = fraction("efficiency_fraction", efficiency_fraction, allow_zero=False)
    if network.topology is not None:
        return topology_collective_time_s(kind, num_bytes, num_chips, network.topology, efficiency_fraction,
                                          chips_per_domain=chips_per_domain)
    fast = network.link_bandwidth_bytes_per_s * efficiency_fraction
    domain = min(num_chips, network.scale_up_size)
    if chips_per_domain is not None:
        domain = min(domain, positive_int("chips_per_domain", chips_per_domain))
    inside = _flat(kind, num_bytes, domain, fast, network.latency_s, network.torus_dims)
    if num_chips <= domain:
        return inside
    num_domains = math.ceil(num_chips / domain)
    slow = network.scale_out_bandwidth_bytes_per_s * efficiency_fraction
    across = _flat(kind, num_bytes / domain, num_domains, slow, network.latency_s, 1)
    return inside + across


def neighbour_transfer_time_s(num_bytes: float, network: Network, efficiency_fraction: float = 1.0) -> float:
    """Send ``num_bytes`` to a neighbouring chip (a pipeline stage boundary): one hop, one direction of the links
    between the two (the torus: one axis's links; a switch: all the GPU's links)."""
    num_bytes = non_negative("num_bytes", num_bytes)
    instance_of("network", network, Network, "a Network (network_for(chip))")
    efficiency_fraction = fraction("efficiency_fraction", efficiency_fraction, allow_zero=False)
    topology = network.topology
    if topology is None:
        return num_bytes / (network.link_bandwidth_bytes_per_s * efficiency_fraction)
    bandwidth = topology.links_per_direction * topology.link_one_way_bytes_per_s * efficiency_fraction
    return topology.hop_latency_s + num_bytes / bandwidth
