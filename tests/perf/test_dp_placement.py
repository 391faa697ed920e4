"""Where a data-parallel group's members sit: tensor-parallel ranks fill a node first, so fewer of a data-parallel
group's members share each scale-up domain and more of its traffic crosses the scale-out network.

By hand (the α-β ring model, Thakur, Rabenseifner & Gropp 2005, hierarchical as in chiplab.perf.topology): an
all-reduce of S bytes over n chips, k of them per node, reduce-scatters inside the node, all-reduces S/k per chip
across the n/k nodes (2 (n/k − 1)/(n/k) · (S/k) / B_scale-out), then all-gathers inside. Megatron-LM orders ranks
tensor, context, data, pipeline (megatron/core/parallel_state.py), so a node of 8 GPUs at TP 4 holds k = 2 members
of each data-parallel group, at TP 8 one. H100 scale-out: 50 GB/s per GPU (AWS p5's 3.2 Tb/s per 8 GPUs, the
topology data file), per-call scale-out latency 10 µs.
"""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf.collectives import collective_time_s, network_for
from chiplab.perf.data_parallel import data_peers_per_domain
from chiplab.perf.topology import in_domain_time_s, load_topology, topology_collective_time_s
from chiplab.workloads.footprint import Parallelism

S = 1e9
H100 = load_topology(load_chip("h100_sxm"))


@pytest.mark.parametrize(("tensor", "data", "expected"), [
    (1, 64, 8),    # pure data parallelism: a whole node of the group
    (4, 484, 2),   # TP 4 in a node of 8: two replicas' ranks
    (8, 128, 1),   # TP 8 fills the node: one member per node
    (4, 3, 1),     # 2 would fit, but groups of 3 cannot put 2 in every node
    (16, 32, 1),   # TP wider than a node
])
def test_members_per_node(tensor, data, expected):
    assert data_peers_per_domain(Parallelism(tensor=tensor, data=data), 8) == expected


def test_members_per_domain_is_the_largest_divisor_that_fits_on_every_small_case():
    # The definition, one candidate at a time (no square-root pairing): every d up to 300, domains up to 40 chips
    for data in range(1, 301):
        for tensor in (1, 2, 3, 8):
            for scale_up in (1, 2, 7, 8, 16, 40):
                fit = max(1, scale_up // tensor)
                expected = max(n for n in range(1, data + 1) if data % n == 0 and n <= fit)
                assert data_peers_per_domain(Parallelism(tensor=tensor, data=data), scale_up) == expected


def test_members_per_domain_of_a_huge_what_if_answers_or_refuses_quickly():
    # 10^12 = 2^12 · 5^12 ways in a 10^15-chip domain: before, a loop over 10^12 candidates (no answer in a minute)
    assert data_peers_per_domain(Parallelism(data=10**12), 10**15) == 10**12
    assert data_peers_per_domain(Parallelism(data=10**12), 10**9) == 10**9   # 2^9 · 5^9 divides 10^12
    with pytest.raises(ChiplabInputError, match="divisor search"):   # about 10^30 ways: 10^15 candidates
        data_peers_per_domain(Parallelism(data=10**30 + 57), 10**20)


def test_all_reduce_with_two_members_per_node_by_hand():
    across = 2 * (241 / 242) * (S / 2) / 50e9 + 2 * 241 * 10e-6
    inside = in_domain_time_s("all_reduce", S, H100, 2)
    got = topology_collective_time_s("all_reduce", S, 484, H100, chips_per_domain=2)
    assert got == pytest.approx(max(inside, across))
    # four times the scale-out traffic of a group packed 8 to a node (S/2 instead of S/8 per GPU)
    packed = topology_collective_time_s("all_reduce", S, 484, H100)
    assert got > 3.5 * packed


def test_one_member_per_node_sends_everything_across():
    got = collective_time_s("reduce_scatter", S, 128, network_for(load_chip("h100_sxm")), chips_per_domain=1)
    assert got == pytest.approx((127 / 128) * S / 50e9 + 127 * 10e-6)


def test_bad_members_per_domain_is_refused():
    with pytest.raises(ChiplabInputError, match="chips_per_domain"):
        topology_collective_time_s("all_reduce", S, 16, H100, chips_per_domain=0)
