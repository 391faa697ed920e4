"""Topology-aware collectives and point-to-point transfers, checked against the ring algorithms by hand.

Each derivation uses the α-β model (Thakur, Rabenseifner & Gropp 2005): a ring over n chips takes n − 1 steps;
reduce-scatter and all-gather move (n − 1)/n of the buffer through each chip; an all-reduce does both. Torus
numbers: one link per direction per axis; per-link one-way bandwidth from the chip files (TPU v5e 45 GB/s, v5p
90 GB/s: the scaling book), hop latency α = 1 µs (an assumption, recorded in the data file).
"""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf.topology import (
    in_domain_time_s,
    load_topology,
    point_to_point_hops,
    point_to_point_time_s,
    topology_collective_time_s,
)

S = 1e9  # bytes in the buffer
ALPHA = 1e-6
V5E = load_topology(load_chip("tpu_v5e"))
V5P = load_topology(load_chip("tpu_v5p"))


def test_one_axis_with_wraparound():
    """A full 16-chip axis of the v5e pod wraps: rings in both directions, 2 × 45 GB/s; 15 steps."""
    time_s = in_domain_time_s("all_gather", S, V5E, 256, "x")
    assert time_s == pytest.approx(15 / 16 * S / 90e9 + 15 * ALPHA)


def test_one_axis_without_wraparound_has_half_the_bandwidth():
    """8 chips of a v5e form a 4 × 2 slice; its 4-chip x axis has no wraparound link (only full 16-chip axes
    wrap): one ring folded along the line, 45 GB/s, and 2 × 3 steps."""
    assert V5E.slice_shape(8) == (4, 2)
    time_s = in_domain_time_s("all_gather", S, V5E, 8, "x")
    assert time_s == pytest.approx(3 / 4 * S / 45e9 + 6 * ALPHA)


def test_axes_run_together_and_their_bandwidths_add():
    """Both axes of the full 16 × 16 pod: 256 chips, 90 + 90 GB/s, 15 + 15 steps; all-reduce = twice."""
    gather = in_domain_time_s("all_gather", S, V5E)
    assert gather == pytest.approx(255 / 256 * S / 180e9 + 30 * ALPHA)
    assert in_domain_time_s("reduce_scatter", S, V5E) == pytest.approx(gather)
    assert in_domain_time_s("all_reduce", S, V5E) == pytest.approx(2 * gather)


def test_one_axis_of_a_3d_torus_has_a_third_of_the_bandwidth():
    """A 4 × 4 × 4 v5p cube (wraparound through the optical switches on every 4-chip axis): all-gather over x
    alone uses 2 × 90 GB/s, over all three axes 6 × 90 GB/s (issue 12: the chip total made one axis ~3× fast)."""
    assert V5P.slice_shape(64) == (4, 4, 4)
    one = in_domain_time_s("all_gather", S, V5P, 64, "x")
    three = in_domain_time_s("all_gather", S, V5P, 64)
    assert one == pytest.approx(3 / 4 * S / 180e9 + 3 * ALPHA)
    assert three == pytest.approx(63 / 64 * S / 540e9 + 9 * ALPHA)


def test_two_chip_exchange_uses_one_link():
    """Two v5p chips are neighbours along one axis without wraparound: one link each way, 90 GB/s."""
    assert in_domain_time_s("all_reduce", S, V5P, 2) == pytest.approx(2 * (1 / 2 * S / 90e9 + 2 * ALPHA))


def test_nvlink_sharp_reduces_in_the_switch():
    """H100 (NVSwitch with SHARP): each GPU sends the buffer once and receives the sum once, 18 × 25 GB/s each
    way: S / 450 GB/s + 2 hops. A100's switch cannot reduce: a ring, 2 · 7/8 · S / 300 GB/s + 14 steps."""
    h100 = load_topology(load_chip("h100_sxm"))
    a100 = load_topology(load_chip("a100_80gb"))
    alpha = h100.hop_latency_s
    assert in_domain_time_s("all_reduce", S, h100) == pytest.approx(S / 450e9 + 2 * alpha)
    assert in_domain_time_s("all_reduce", S, a100) == pytest.approx(2 * (7 / 8 * S / 300e9 + 7 * alpha))
    assert in_domain_time_s("all_gather", S, h100) == pytest.approx(7 / 8 * S / 450e9 + 7 * alpha)


def test_point_to_point_hops_take_the_short_way_round():
    """v5p pod 16 × 20 × 28 (every full axis wraps): (0,0,0) → (15,10,27) is 1 + 10 + 1 = 12 hops."""
    assert point_to_point_hops(V5P, (0, 0, 0), (15, 10, 27)) == 12
    assert point_to_point_hops(V5P, (3, 4, 5), (3, 4, 5)) == 0
    assert point_to_point_time_s(S, V5P, (0, 0, 0), (0, 0, 1)) == pytest.approx(ALPHA + S / 90e9)
    h100 = load_topology(load_chip("h100_sxm"))
    assert point_to_point_hops(h100, (0,), (7,)) == 1


def test_hierarchical_phases_overlap_or_add():
    h100 = load_topology(load_chip("h100_sxm"))
    inside = in_domain_time_s("all_reduce", S, h100)
    across = 2 * (3 / 4) * (S / 8) / 50e9 + 2 * 3 * 10e-6  # 4 nodes, EFA 50 GB/s per GPU
    assert topology_collective_time_s("all_reduce", S, 32, h100) == pytest.approx(max(inside, across))
    assert topology_collective_time_s("all_reduce", S, 32, h100, overlap_phases=False) == pytest.approx(
        inside + across)


def test_bad_axes_and_unknown_systems_are_refused():
    with pytest.raises(ChiplabInputError, match="axis 'z' is not an axis of tpu_v5e's torus; allowed: x, y"):
        in_domain_time_s("all_gather", S, V5E, 256, "z")
    with pytest.raises(ChiplabInputError, match="no topology is recorded for chip 'inferentia1'"):
        load_topology(load_chip("inferentia1"))
    with pytest.raises(ChiplabInputError, match="source must be a tuple of 3 coordinates"):
        point_to_point_hops(V5P, (0, 0), (1, 1, 1))
    with pytest.raises(ChiplabInputError, match="exceeds tpu_v5e's scale-up domain of 256"):
        V5E.slice_shape(512)


def test_a_design_keeps_its_base_chips_wiring():
    """design_chip copies the base's links, so it is wired as the base's system (Trn2's 4 × 4 × 4 torus)."""
    from chiplab.hardware import design_chip

    topology = load_topology(design_chip("trainium2", num_rows=256))
    assert topology.axes == (4, 4, 4) and topology.chip_id == "custom"


def test_host_link():
    """H100's PCIe Gen5 x16: 128 GB/s both ways = 64 GB/s one way, so 16 GB of weights take 0.25 s to load."""
    from chiplab.perf import host_transfer_time_s

    assert host_transfer_time_s(16e9, load_topology(load_chip("h100_sxm"))) == pytest.approx(0.25)
    with pytest.raises(ChiplabInputError, match="no host-link bandwidth is recorded"):
        host_transfer_time_s(1e9, V5P)


MI300X = load_topology(load_chip("mi300x"))
XGMI_LINK = 64e9  # one xGMI link, one way (AMD ROCm blog on RCCL and xGMI, 2025: "rated up to 64 GB/s")


def test_mi300x_full_mesh_uses_the_links_among_the_chips_it_spans():
    """Eight MI300X, each with one direct link to each of its 7 peers (AMD-XGMI-BLOG). A reduce-scatter sends each
    peer its 1/p share over their own link, all links at once, one step: (p - 1)/p · S / ((p - 1) · 64 GB/s) + α.
    8 GPUs: 7 links = 448 GB/s; 2 GPUs: the one link between them, 64 GB/s (NVSwitch would give an H100 all 18)."""
    alpha = MI300X.hop_latency_s
    assert MI300X.kind == "full_mesh" and MI300X.num_chips == 8
    assert in_domain_time_s("reduce_scatter", S, MI300X, 8) == pytest.approx(7 / 8 * S / (7 * XGMI_LINK) + alpha)
    assert in_domain_time_s("all_reduce", S, MI300X, 8) == pytest.approx(2 * (7 / 8 * S / 448e9 + alpha))
    assert in_domain_time_s("all_gather", S, MI300X, 2) == pytest.approx(1 / 2 * S / XGMI_LINK + alpha)
    # Fewer GPUs, fewer links: an all-reduce over 2 GPUs is slower than over 8 (the opposite of a ring on a switch).
    assert in_domain_time_s("all_reduce", S, MI300X, 2) > in_domain_time_s("all_reduce", S, MI300X, 8)


def test_mi300x_point_to_point_is_one_hop_on_one_link():
    """GPU 0 → GPU 5: their own link, 1 hop: α + S / 64 GB/s."""
    assert point_to_point_hops(MI300X, (0,), (5,)) == 1 and point_to_point_hops(MI300X, (3,), (3,)) == 0
    assert point_to_point_time_s(S, MI300X, (0,), (5,)) == pytest.approx(MI300X.hop_latency_s + S / XGMI_LINK)


def test_mi300x_scales_out_beyond_its_node():
    """16 GPUs = 2 nodes: reduce-scatter in the node, 1/8 of the buffer across the scale-out network, all-gather in the
    node; the phases overlap (max). 400 Gb/s per GPU (assumed, as on p5) = 50 GB/s."""
    inside = in_domain_time_s("all_reduce", S, MI300X, 8)
    across = 2 * (1 / 2 * S / 8 / 50e9 + MI300X.scale_out_latency_s)
    assert topology_collective_time_s("all_reduce", S, 16, MI300X) == pytest.approx(max(inside, across))
    with pytest.raises(ChiplabInputError, match="axis 'x' is not an axis of mi300x's full_mesh; allowed: full_mesh"):
        in_domain_time_s("all_gather", S, MI300X, 8, "x")


INF2 = load_topology(load_chip("inferentia2"))
NEURONLINK_V2_LINK = 192 * 2**30 / 2 / 2  # AWS-INF2: 192 GiB/s per chip, bidirectional, over its 2 links


def test_inferentia2_ring_has_its_neuronlink_siblings_hop_latency():
    """Twelve Inferentia2 in one ring (AWS-INF2 figure), one NeuronLink-v2 to each neighbour. A small all-reduce is
    latency-bound: 2 passes × 11 steps × α, with α the same per-hop assumption as Trainium1 (same NeuronLink-v2), not
    the generic 5 µs of an unwired network (which charged 110 µs per decode all-reduce). A large one moves
    2 · 11/12 · S through both directions of the ring: 2 × 48 GiB/s."""
    trn1 = load_topology(load_chip("trainium1"))
    assert INF2.num_chips == 12 and INF2.hop_latency_s == trn1.hop_latency_s
    assert in_domain_time_s("all_reduce", 0, INF2) == pytest.approx(2 * 11 * INF2.hop_latency_s)
    assert in_domain_time_s("all_reduce", S, INF2) == pytest.approx(
        2 * (11 / 12 * S / (2 * NEURONLINK_V2_LINK) + 11 * INF2.hop_latency_s))


def test_tpu_v6e_and_v5p_ici_follow_one_convention():
    """Issue 13 audit. The Cloud TPU pages state each chip's *bidirectional* ICI total: v6e 800 GB/s over 4 ports
    (2D torus), v5p 1200 GB/s over 6 (3D torus) — both 100 GB/s per link and direction. The scaling book's per-link
    one-way 9e10 B/s (both chips), which the topology uses, is 10 % below it for both. The v6e pod figures check the
    reading: 'All-reduce bandwidth per Pod 102.4 TB/s' = 256 chips x 4 links x 100 GB/s one way; 'Bisection 3.2 TB/s'
    = a cut through a 16 x 16 torus with wraparound crosses 2 x 16 links, x 100 GB/s one way."""
    per_link_from_cloud = {}
    for chip_id, num_links in (("tpu_v6e", 4), ("tpu_v5p", 6)):
        link = load_chip(chip_id).links[0]
        assert link.direction == "bidirectional"
        per_link_from_cloud[chip_id] = link.bandwidth_bytes_per_s / 2 / num_links
        assert link.per_link_one_way_bytes_per_s == pytest.approx(0.9 * per_link_from_cloud[chip_id])
    assert per_link_from_cloud["tpu_v6e"] == per_link_from_cloud["tpu_v5p"] == 100e9
    assert 256 * 4 * per_link_from_cloud["tpu_v6e"] == pytest.approx(102.4e12)
    assert 2 * 16 * per_link_from_cloud["tpu_v6e"] == pytest.approx(3.2e12)


def test_tpu_v6e_fsdp_gather_over_both_axes_of_the_pod():
    """MaxText's ici_fsdp_parallelism = 256 spans both axes of a v6e-256 (16 x 16, every axis wraps: the scaling
    book, 'smaller topologies ... without wraps on dims < 16'). Scaling book (sharding chapter): AllGather over
    n_axes axes takes V / (W_bidir · n_axes), W_bidir = 2 x 9e10 B/s per axis -> V / 360 GB/s, plus 15 + 15 hops."""
    v6e = load_topology(load_chip("tpu_v6e"))
    assert v6e.slice_shape(256) == (16, 16) and v6e.wraps(0, 16) and v6e.wraps(1, 16)
    assert not v6e.wraps(0, 8)  # an 8 x 16 slice's short axis is a line
    gather = in_domain_time_s("all_gather", S, v6e, 256)
    assert gather == pytest.approx(255 / 256 * S / (2 * 2 * 9e10) + 30 * ALPHA)
