"""Issue 10, reproductions 6, 7 and 12 (chip part): a user's chip, loaded from a file or built in Python, is checked
like the catalog: unit slips, non-finite numbers, figures that disagree with ``as_published``, string aliases."""

import dataclasses
import math
import re
from pathlib import Path

import pytest

import chiplab.hardware
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip, load_chip_file
from chiplab.hardware.custom import design_chip
from chiplab.hardware.what_if import scale_level, with_level

# The catalog's own Trainium2 file is the starting point: every edit below is one slip a user could make.
TRN2 = (Path(chiplab.hardware.__file__).parent.parent / "data" / "chips" / "trainium2.toml").read_text("utf-8")


def _load(tmp_path, pattern: str, new: object, text: str = TRN2):
    """Load the Trainium2 file as ``my_trn`` with the first match of ``pattern`` (a regex with one group, the value)
    replaced by ``new`` (a string, or a function of the old value's text)."""
    text = text.replace('id = "trainium2"', 'id = "my_trn"')
    match = re.search(pattern, text, flags=re.MULTILINE)
    assert match, pattern
    value = new(match.group(1)) if callable(new) else new
    path = tmp_path / "my_trn.toml"
    path.write_text(text[:match.start(1)] + str(value) + text[match.end(1):], encoding="utf-8")
    return load_chip_file(path)


def _times(factor: float):
    return lambda old: repr(float(old.replace("_", "")) * factor)


HBM_BANDWIDTH = r"^bandwidth_bytes_per_s = (\S+)"  # the first level is the off-chip one (outermost first)
HBM_CAPACITY = r"^capacity_bytes = ([\d_]+)"


def test_the_unchanged_file_loads(tmp_path):
    mine = _load(tmp_path, r"^tdp_w = (\S+)", lambda old: old)
    assert mine.hbm.bandwidth_bytes_per_s == load_chip("trn2").hbm.bandwidth_bytes_per_s


@pytest.mark.parametrize(("pattern", "new", "message"), [
    # GB/s stored where the source says TB/s: Trainium2's ridge point became 230,000 FLOP/byte.
    (HBM_BANDWIDTH, _times(1e-3), r"memory.HBM.bandwidth_bytes_per_s = \S+ but as_published = '"),
    (HBM_BANDWIDTH, "inf", r"bandwidth_bytes_per_s .* got inf"),
    (HBM_BANDWIDTH, "nan", r"bandwidth_bytes_per_s .* got nan"),
    (r"^\[peak_flops_per_s\]\nbf16 = (\S+)", _times(1e3), r"peak_flops_per_s.bf16 = \S+ but as_published"),
    (r"^clock_hz = (\S+)", _times(1e3), r"clock_hz must be between"),
    (r"^tdp_w = (\S+)", _times(1e3), r"tdp_w = \S+ is implausible"),
    (HBM_CAPACITY, _times(1e3), r"memory.HBM.capacity_bytes = \S+ is implausible"),
    (r"^num_cores = (\S+)", "80000", r"num_cores = 80000 is implausible"),
    (r'^as_published = ("[^"]*")', '"fast"', r"as_published = 'fast' does not start with a number"),
    (r"^aliases = (\[.*\])", '"trn2"', r"aliases must be a list of strings"),
])
def test_unit_slips_in_a_user_file_are_refused(tmp_path, pattern, new, message):
    with pytest.raises(ChiplabInputError, match=message) as info:
        _load(tmp_path, pattern, new)
    assert "my_trn" in str(info.value)


def test_a_real_chip_outside_the_shipped_ranges_is_refused(tmp_path):
    # ÷1000 on HBM capacity, with as_published slipped alike (so only the range can catch it): no shipped
    # accelerator has less than 1 GB of off-chip memory.
    text = re.sub(r'^(as_published = ")(\d+) GiB"', r'\g<1>\g<2> MiB"', TRN2, count=1, flags=re.MULTILINE)
    with pytest.raises(ChiplabInputError, match=r"outside \[1e\+09, 1e\+12\], the range of shipped chips"):
        _load(tmp_path, HBM_CAPACITY, lambda old: str(int(old.replace("_", "")) // 1024), text=text)


def test_a_bom_is_accepted_like_in_scalesim_files(tmp_path):
    assert _load(tmp_path, r"^tdp_w = (\S+)", lambda old: old, text="\ufeff" + TRN2).id == "my_trn"


def test_a_missing_choice_names_its_table(tmp_path):
    with pytest.raises(ChiplabInputError, match=r"my_trn.toml: \[provenance\.'[^']+'\]: .*choice must say why"):
        _load(tmp_path, r"^(choice = .*)$", "")


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
