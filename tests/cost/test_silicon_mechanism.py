"""The make-versus-buy mechanism (chiplab.cost.make_or_buy): a worked case by hand, the data's ranges, the bands,
the published H100 bill of materials, and bad input."""

import math

import pytest

from chiplab.cost import (
    COMPONENTS,
    break_even_volume,
    break_even_volume_band,
    chip_hour_cost,
    describe_band,
    describe_units,
    input_swings,
    make_vs_buy,
    make_vs_buy_all,
    make_vs_buy_chips,
    make_vs_buy_table,
    nre_per_unit_usd,
    replace_input,
    sourced_value,
)
from chiplab.cost._silicon_inputs import INPUT_KINDS, chip_inputs_from_toml, load_chip_inputs
from chiplab.cost.silicon import dies_per_wafer
from chiplab.errors import ChiplabInputError

CUSTOM = ("tpu_v5e", "tpu_v5p", "tpu_v6e", "trainium2")
GPUS = ("h100_sxm", "h200", "b200")


def _entry(name, value, low=None, high=None, kind="estimate"):
    low, high = value if low is None else low, value if high is None else high
    return (f'[{name}]\nvalue = {value}\nlow = {low}\nhigh = {high}\nkind = "{kind}"\nas_of = "2026-12"\n'
            f'note = "toy"\n[{name}.provenance]\nsource = "CHIPLAB-ASSUMPTION"\nnote = "toy"\n')


def _toy_toml(**changes):
    """A custom chip with round numbers, under the catalog id tpu_v5e (its HBM capacity and peak are used)."""
    values = {"die_area_mm2": 100, "num_compute_dies": 1, "packaging_usd": 100, "test_assembly_usd": 100,
              "board_and_system_usd": 1000, "chip_power_w": 200, "nre_usd": 100_000_000, "num_units": 100_000}
    values.update(changes)
    text = _entry("node.toy.wafer_cost_usd", 6400) + _entry("node.toy.defect_density_per_cm2", 0.1)
    text += _entry("hbm.toy.usd_per_gb", 10)
    text += '[chip.tpu_v5e]\nnode = "toy"\nhbm_generation = "toy"\n'
    return text + "".join(_entry(f"chip.tpu_v5e.{name}", value) for name, value in values.items())


# Owner assumptions that make the hour hand-checkable: one year, no interest, no hosting, the chip's power only.
SIMPLE_OWNER = {"amortisation_years": 1.0, "cost_of_capital_fraction_per_year": 0.0, "usd_per_kwh": 0.1, "pue": 1.0,
                "hosting_usd_per_kw_month": 0.0, "server_power_overhead_factor": 1.0, "average_load_fraction": 1.0}


def test_worked_case_by_hand():
    # Dies per wafer (H&P Sec. 1.6): pi*150^2/100 - pi*300/sqrt(200) = 706.858 - 66.643 = 640.215 (H&P: 640).
    # Poisson yield for D = 0.1/cm^2 on 1 cm^2: e^-0.1 = 0.904837. Die: $6,400 / (640.215 * 0.904837) = $11.048.
    # HBM: TPU v5e's 16 GiB = 17.179869184 GB at $10/GB = $171.80. Cost to make = 11.048 + 171.80 + 100 + 100
    # = $382.85. NRE per unit: $100 M / 100,000 = $1,000. Capital = 382.85 + 1,000 + board 1,000 = $2,382.85.
    # Over one year (8,766 h) with no interest: $0.27183/h; NRE's share $1,000 / 8,766 = $0.11408/h.
    # Energy: 200 W at $0.10/kWh = $0.020/h. Total $0.29183/h.
    cost = chip_hour_cost(chip_inputs_from_toml(_toy_toml(), "toy")["tpu_v5e"], **SIMPLE_OWNER)
    point = cost.central
    assert dies_per_wafer(100.0) == pytest.approx(640.215, abs=1e-3)
    assert point.logic_dies_usd == pytest.approx(11.048, abs=1e-3)
    assert point.hbm_usd == pytest.approx(171.80, abs=1e-2)
    assert point.manufacturing_cost_usd == pytest.approx(382.85, abs=1e-2)
    assert point.nre_per_unit_usd == 1000.0
    assert point.margin_usd == 0.0
    assert point.component_usd_per_chip_hour("design (NRE)") == pytest.approx(0.11408, abs=1e-5)
    assert point.component_usd_per_chip_hour("energy") == pytest.approx(0.020)
    assert point.total_usd_per_chip_hour == pytest.approx(0.29183, abs=1e-5)
    # the components name every dollar of the hour
    assert sum(usd for _, usd in point.components) == pytest.approx(point.total_usd_per_chip_hour)
    assert tuple(name for name, _ in point.components) == COMPONENTS


def test_every_input_is_sourced_or_an_estimate_with_its_range():
    for chip_id, chip in load_chip_inputs().items():
        for name, entry in chip.inputs.items():
            where = f"{chip_id}.{name}"
            assert entry.kind in INPUT_KINDS, where
            assert 0 < entry.low <= entry.value <= entry.high, where
            assert entry.note.strip(), where
            assert entry.provenance is not None or entry.origin.startswith("catalog: "), where
            if entry.kind == "estimate" and name != "num_compute_dies":   # a die count is a whole number
                assert entry.low < entry.high, f"{where}: an estimate needs a range"


def test_the_seven_chips_and_which_are_made():
    chips = make_vs_buy_chips()
    assert set(chips) == set(CUSTOM) | set(GPUS)
    assert chips[:3] == GPUS            # bought chips first
    assert all(load_chip_inputs()[c].made for c in CUSTOM)


@pytest.mark.parametrize("chip", GPUS + CUSTOM)
def test_bands_contain_the_central_value(chip):
    cost = make_vs_buy(chip)
    for attribute in ("manufacturing_cost_usd", "nre_per_unit_usd", "chip_capex_usd", "total_usd_per_chip_hour"):
        low, central, high = cost.band(attribute)
        assert low <= central <= high, attribute
    for point in (cost.low, cost.central, cost.high):
        assert sum(usd for _, usd in point.components) == pytest.approx(point.total_usd_per_chip_hour)
        assert all(usd >= 0 for _, usd in point.components)


@pytest.mark.parametrize("chip", GPUS)
def test_a_gpu_price_is_above_its_cost_to_make(chip):
    cost = make_vs_buy(chip)
    for point in (cost.low, cost.central, cost.high):
        assert point.chip_capex_usd > point.manufacturing_cost_usd
        assert point.margin_usd > 0 and point.nre_per_unit_usd == 0


def test_h100_cost_to_make_band_holds_the_analysts_figure():
    # Raymond James (TechSpot, Aug 2023): an H100 costs about $3,320 to make; the modelled band must contain it.
    published = sourced_value("manufacturing_cost_usd.h100_sxm").value
    low, central, high = make_vs_buy("h100_sxm").band("manufacturing_cost_usd")
    assert low <= published <= high
    assert central == pytest.approx(published, rel=0.25)


def test_design_cost_per_unit_falls_with_volume():
    assert nre_per_unit_usd(500e6, 1e6) < nre_per_unit_usd(500e6, 1e5)
    v5e = make_vs_buy("tpu_v5e")
    few, many = (replace_input(v5e, "num_units", value=n) for n in (50_000, 2_000_000))
    assert many.central.nre_per_unit_usd < few.central.nre_per_unit_usd
    assert many.central.total_usd_per_chip_hour < few.central.total_usd_per_chip_hour
    # and the break-even volume is where the two hours per unit of peak meet
    h100 = make_vs_buy("h100_sxm")
    volume = break_even_volume(v5e, h100)
    at = replace_input(v5e, "num_units", value=round(volume))
    assert at.usd_per_peak_pflops_hour() == pytest.approx(h100.usd_per_peak_pflops_hour(), rel=1e-4)


def test_break_even_band_is_ordered():
    h100 = make_vs_buy("h100_sxm")
    for chip in CUSTOM:
        low, central, high = break_even_volume_band(make_vs_buy(chip), h100)
        assert 0 < low <= central <= high, chip
    # a performance band (the model's error band) widens the break-even band on both sides
    trn2 = make_vs_buy("trainium2")
    plain = break_even_volume_band(trn2, h100)
    wide = break_even_volume_band(trn2, h100, 1.0, relative_performance_band=(0.8, 1.2))
    assert wide[0] < plain[0] and wide[1] == plain[1] and wide[2] > plain[2]
    with pytest.raises(ChiplabInputError, match="relative_performance_band"):
        break_even_volume_band(trn2, h100, 1.0, relative_performance_band=(1.1, 1.2))
    # a custom chip that does a hundredth of the work per peak FLOP never breaks even
    assert math.isinf(break_even_volume(make_vs_buy("tpu_v5e"), h100, relative_performance_fraction=0.01))


def test_table_names_chips_as_readers_know_them():
    table = make_vs_buy_table(tuple(make_vs_buy(c) for c in ("h100_sxm", "tpu_v5e")))
    assert "TPU v5e" in table and "tpu_v5e" not in table and "makes it" in table


@pytest.mark.parametrize("call, match", [
    (lambda: make_vs_buy("tpu_v4"), "no make-versus-buy inputs"),
    (lambda: make_vs_buy("h100_sxm", capex_usd_per_chip=1.0), "capex_usd_per_chip"),
    (lambda: make_vs_buy("h100_sxm", pue=0.5), "pue"),
    (lambda: make_vs_buy("h100_sxm").usd_per_peak_pflops_hour("middle"), "end must be"),
    (lambda: break_even_volume(make_vs_buy("h100_sxm"), make_vs_buy("b200")), "made"),
    (lambda: break_even_volume(make_vs_buy("tpu_v5e"), make_vs_buy("h100_sxm"), relative_performance_fraction=0),
     "relative_performance_fraction"),
    (lambda: replace_input(make_vs_buy("tpu_v5e"), "num_units", value=-5), "value must be > 0"),
    (lambda: replace_input(make_vs_buy("tpu_v5e"), "num_units", value=5, low=10), "low <= value"),
    (lambda: describe_band((1.0, 2.0)), "low, central, high"),
    (lambda: describe_units(float("nan")), "finite"),
    (lambda: make_vs_buy_table([]), "non-empty sequence"),
    (lambda: replace_input(make_vs_buy("tpu_v5e"), "num_chips", value=5), "no input"),
    (lambda: make_vs_buy("tpu_v5e").central.component_usd_per_chip_hour("margin"), "component must be"),
    (lambda: chip_hour_cost({"chip": "tpu_v5e"}), "ChipInputs"),
])
def test_bad_input_is_refused(call, match):
    with pytest.raises(ChiplabInputError, match=match):
        call()


@pytest.mark.parametrize("text, match", [
    (_toy_toml().replace("low = 100\nhigh = 100\nkind", "low = 150\nhigh = 200\nkind", 1), "low <= value <= high"),
    (_toy_toml().replace('kind = "estimate"', 'kind = "guess"', 1), "kind must be one of"),
    (_toy_toml().replace("[chip.tpu_v5e.num_units]", "[chip.tpu_v5e.num_unit]"), "unknown key"),
    (_toy_toml().replace('node = "toy"', 'node = "n2"'), "is not one of"),
    (_toy_toml().replace("value = 6400", "value = -6400"), "positive number"),
    (_toy_toml().replace("[chip.tpu_v5e]", "[chip.v5e]").replace("chip.tpu_v5e.", "chip.v5e."), "catalog id"),
    (_toy_toml() + '[chip.tpu_v5e.selling_price_usd]\nvalue = 1\n', "unknown key"),
])
def test_bad_data_is_refused_with_the_entry(text, match):
    with pytest.raises(ChiplabInputError, match=match):
        chip_inputs_from_toml(text, "toy.toml")


def test_figure_labels_and_alt_text_use_readers_names():
    import re

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chiplab.viz import alt_text, draw_chip_hour_breakdown

    costs = [make_vs_buy(c) for c in ("h100_sxm", "tpu_v6e")]
    for per in ("chip-hour", "peak-hour"):
        ax = draw_chip_hour_breakdown(costs, per=per)
        texts = [t.get_text() for t in ax.get_yticklabels()] + [ax.get_xlabel()]
        texts += [t.get_text() for t in ax.get_legend().get_texts()] + [alt_text(ax)]
        assert "TPU v6e" in " ".join(texts)
        assert not [t for t in texts if re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", t)], texts
        assert len(ax.patches) == len(COMPONENTS) * len(costs)
        plt.close(ax.figure)
    with pytest.raises(ChiplabInputError, match="per must be"):
        draw_chip_hour_breakdown(costs, per="hour")
    with pytest.raises(ChiplabInputError, match="ChipHourCost"):
        draw_chip_hour_breakdown([])


def test_what_the_band_depends_on():
    h100, v5p = make_vs_buy("h100_sxm"), make_vs_buy("tpu_v5p")
    swings = input_swings(v5p)
    assert [s.swing_usd_per_chip_hour for s in swings] == sorted((s.swing_usd_per_chip_hour for s in swings),
                                                                 reverse=True)
    by_name = {s.name: s for s in swings}
    # more chips made: a cheaper hour; a bought chip's die area does not change what its owner pays
    assert by_name["num_units"].high_usd_per_chip_hour < by_name["num_units"].low_usd_per_chip_hour
    assert {s.name: s for s in input_swings(h100)}["die_area_mm2"].swing_usd_per_chip_hour == pytest.approx(0)
    assert all("_" not in s.label for s in swings)
    assert describe_units(float("inf")) == "never"
    assert [c.chip_id for c in make_vs_buy_all()] == list(make_vs_buy_chips())
