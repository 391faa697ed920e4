"""chiplab/data/kernels/engines.toml: every value sourced or labelled an assumption with its reasoning, every
family's chips in the catalog, and the CoreParams built from it consistent with the catalog."""

import tomllib
from importlib import resources

import pytest

from chiplab.hardware import list_chips, load_chip
from chiplab.kernels import core_params, supported_chips

DATA = tomllib.loads(resources.files("chiplab").joinpath("data", "kernels", "engines.toml").read_text("utf-8"))


@pytest.mark.parametrize("family", sorted(DATA["families"]))
def test_every_value_has_a_source_and_a_reason(family):
    table = DATA["families"][family]
    assert set(table["values"]) == set(table["provenance"])
    for name, record in table["provenance"].items():
        assert record["kind"] in ("published", "assumption"), name
        assert record["source"] in DATA["sources"], name
        assert len(record["note"]) > 20, name
        if record["kind"] == "published":
            assert record["source"] != "CHIPLAB-ASSUMPTION", name
    for source in DATA["sources"].values():
        assert source["url"].startswith("https://") and source["accessed"]


def test_families_name_catalog_chips_once():
    chips = [chip for table in DATA["families"].values() for chip in table["chips"]]
    assert len(chips) == len(set(chips))
    assert set(chips) <= set(list_chips())
    assert set(supported_chips()) == set(chips)


@pytest.mark.parametrize("chip", supported_chips())
def test_core_params_follow_the_catalog(chip):
    params, data = core_params(chip), load_chip(chip)
    assert params.offchip_bandwidth_bytes_per_s * data.num_cores == pytest.approx(data.hbm.bandwidth_bytes_per_s)
    assert params.array == data.core.matrix_unit.array
    if data.core.matrix_unit.clock_hz is not None:
        assert params.matrix_clock_hz == data.core.matrix_unit.clock_hz
    else:  # no published clock: the geometry reaches the published bf16 peak at the derived clock
        derived = params.peak_flops_per_s("bf16") * data.num_cores
        assert derived == pytest.approx(data.published_peak_flops_per_s["bf16"])
