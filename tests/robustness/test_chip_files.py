"""Issue 10, reproductions 6, 7 and 12 (chip part): a user's chip, loaded from a file or built in Python, is checked
like the catalog: unit slips, non-finite numbers, figures that disagree with ``as_published``, string aliases."""

import dataclasses
import math
from pathlib import Path

import pytest

import chiplab.hardware
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip, load_chip_file
from chiplab.hardware.custom import design_chip
from chiplab.hardware.what_if import scale_level, with_level

# The catalog's own Trainium2 file is the starting point: every edit below is one slip a user could make.
TRN2 = (Path(chiplab.hardware.__file__).parent.parent / "data" / "chips" / "trainium2.toml").read_text("utf-8")


def _load(tmp_path, old: str, new: str, text: str = TRN2):
    text = text.replace('id = "trainium2"', 'id = "my_trn"')
    assert old in text, old
    path = tmp_path / "my_trn.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_chip_file(path)


def test_the_unchanged_file_loads(tmp_path):
    mine = _load(tmp_path, "tdp_w = 500", "tdp_w = 500")
    assert mine.hbm.bandwidth_bytes_per_s == load_chip("trn2").hbm.bandwidth_bytes_per_s


@pytest.mark.parametrize(("old", "new", "message"), [
    # 2.9 GB/s stored where the source says 2.9 TB/s: the ridge point became 230,000 FLOP/byte.
    ("bandwidth_bytes_per_s = 2.9e12", "bandwidth_bytes_per_s = 2.9e9",
     r"memory.HBM.bandwidth_bytes_per_s = 2.9e\+09 but as_published = '2.9 TB/s'"),
    ("bandwidth_bytes_per_s = 2.9e12", "bandwidth_bytes_per_s = inf", r"bandwidth_bytes_per_s .* got inf"),
    ("bandwidth_bytes_per_s = 2.9e12", "bandwidth_bytes_per_s = nan", r"bandwidth_bytes_per_s .* got nan"),
    ("bf16 = 667e12", "bf16 = 667e15", r"peak_flops_per_s.bf16 = 6.67e\+17"),
    ("clock_hz = 2.4e9", "clock_hz = 2.4e12", r"clock_hz must be between"),
    ("tdp_w = 500", "tdp_w = 500_000", r"tdp_w = 500000 is implausible"),
    ("capacity_bytes = 103_079_215_104", "capacity_bytes = 103_079_215_104_000",
     r"memory.HBM.capacity_bytes = 1.03079e\+14 is implausible"),
    ("num_cores = 8", "num_cores = 80000", r"num_cores = 80000 is implausible"),
    ('as_published = "~500 W"', 'as_published = "fast"', r"as_published = 'fast' does not start with a number"),
    ('aliases = ["trn2", "trainium-2", "trn2u"]', 'aliases = "trn2"', r"aliases must be a list of strings"),
])
def test_unit_slips_in_a_user_file_are_refused(tmp_path, old, new, message):
    with pytest.raises(ChiplabInputError, match=message) as info:
        _load(tmp_path, old, new)
    assert "my_trn" in str(info.value)


def test_a_real_chip_outside_the_shipped_ranges_is_refused_but_a_toy_may_be_small(tmp_path):
    # ÷1000 on HBM capacity (96 MiB): no shipped accelerator has so little off-chip memory.
    small_hbm = ("capacity_bytes = 103_079_215_104   # 96 GiB = 96 × 2^30",
                 "capacity_bytes = 100_663_296")
    with pytest.raises(ChiplabInputError, match=r"outside \[1e\+09, 1e\+12\], the range of shipped chips"):
        _load(tmp_path, *small_hbm, text=TRN2.replace('as_published = "96 GiB"', 'as_published = "96 MiB"'))


def test_a_bom_is_accepted_like_in_scalesim_files(tmp_path):
    assert _load(tmp_path, 'id = "my_trn"', 'id = "my_trn"', text="\ufeff" + TRN2).id == "my_trn"


def test_a_missing_choice_names_its_table(tmp_path):
    text = TRN2.replace('id = "trainium2"', 'id = "my_trn"')
    start = text.index("choice = ")
    end = text.index("\n", start)
    with pytest.raises(ChiplabInputError, match=r"my_trn.toml: \[provenance\.'[^']+'\]: .*choice must say why"):
        _load(tmp_path, text[start:end + 1], "", text=text)


# --- chips built in Python (item 7) --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [math.inf, math.nan, -1.0, True, 10**400])
def test_what_ifs_refuse_non_finite_and_boolean_numbers(bad):
    with pytest.raises(ChiplabInputError, match="bandwidth_bytes_per_s"):
        with_level(load_chip("h100"), "HBM", bandwidth_bytes_per_s=bad)
    h100 = load_chip("h100")
    with pytest.raises(ChiplabInputError, match="peak_flops_per_s"):
        dataclasses.replace(h100, published_peak_flops_per_s={"bf16": bad})


def test_what_ifs_refuse_thousandfold_slips_but_allow_sixteenfold():
    trn2 = load_chip("trn2")
    assert scale_level(trn2, "HBM", bandwidth_factor=16).hbm.bandwidth_bytes_per_s == 16 * 2.9e12
    with pytest.raises(ChiplabInputError, match="is implausible"):
        scale_level(trn2, "HBM", bandwidth_factor=1000)
    with pytest.raises(ChiplabInputError, match="is implausible"):
        dataclasses.replace(trn2, tdp_w=500e3)


def test_designs_are_checked_too():
    with pytest.raises(ChiplabInputError):
        design_chip("trainium2", num_cores=80000)
    with pytest.raises(ChiplabInputError):
        design_chip("trainium2", hbm_bandwidth_bytes_per_s=math.inf)
