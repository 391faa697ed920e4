"""Catalog corrections of issue 12, each against the source the data file cites."""

from chiplab.hardware import load_chip
from chiplab.perf import network_for


def test_nvidia_80_gb_is_binary():
    """NVML reports 81,559 MiB for an H100 80GB and 81,920 MiB (= 80 GiB) for an A100 80GB (NVML-TOTALS);
    the datasheet's "80 GB" read as 80e9 bytes made every memory-fit check 6.9 % tight."""
    assert load_chip("h100_sxm").hbm.capacity_bytes == 81_559 * 2**20
    assert load_chip("a100_80gb").hbm.capacity_bytes == 80 * 2**30
    assert load_chip("h200").hbm.capacity_bytes == 143_771 * 2**20
    assert load_chip("v100").hbm.capacity_bytes == 32 * 2**30
    assert load_chip("h100_sxm").hbm.capacity_bytes / 80e9 - 1 > 0.069


def test_the_decimal_datasheet_figure_is_kept_as_an_alternative():
    provenance = load_chip("h100_sxm").provenance["memory.HBM.capacity_bytes"]
    assert [alt.value for alt in provenance.alternatives] == [80e9]


def test_tpu_v3_can_scale_out():
    """A 2D torus gives each chip 4 links; 4 × 1e11 B/s one way (scaling book's per-link figure)."""
    network = network_for(load_chip("tpu_v3"))
    assert network.link_bandwidth_bytes_per_s == 4 * 1e11
    assert network.scale_up_size == 1024 and network.torus_dims == 2
