"""The chip catalog: every chip loads, every number is sourced and plausible, peaks follow from geometry (or the
data says why not), names resolve, bad input and broken files give clear errors."""

import dataclasses
import doctest
import re
from datetime import date

import pytest

import chiplab.hardware
from chiplab.errors import ChiplabInputError
from chiplab.hardware import (
    _frozen,
    catalog,
    chip,
    components,
    list_chips,
    load_chip,
    load_chip_file,
    load_sources,
    provenance,
    published_value_si,
)
from chiplab.hardware.plausibility import plausible_range

REAL_CHIPS = [
    "tpu_v1", "tpu_v2", "tpu_v3", "tpu_v4", "tpu_v5e", "tpu_v5p", "tpu_v6e", "tpu7x",
    "inferentia1", "inferentia2", "trainium1", "trainium2", "trainium3",
    "v100", "a100_80gb", "h100_sxm", "h200", "b200", "mi300x",
]
ALL_CHIPS = list_chips()

# Plausible ranges live in the library (chiplab.hardware.plausibility) so that they guard user chips too; these
# tests check that every real chip has one and lies in it.
_range_for = plausible_range


@pytest.mark.parametrize("chip_id", REAL_CHIPS)
def test_every_required_real_chip_loads(chip_id):
    loaded = load_chip(chip_id)
    assert loaded.id == chip_id
    assert loaded.kind == "real"
    assert loaded.hbm.role == "offchip"


def test_toy_chips_are_marked_and_cite_only_the_toy_source():
    toys = list_chips(kind="toy")
    assert len(toys) >= 2
    assert set(toys) | set(list_chips(kind="real")) | set(list_chips(kind="baseline")) == set(ALL_CHIPS)
    for chip_id in toys:
        toy = load_chip(chip_id)
        assert toy.kind == "toy"
        assert {p.kind for p in toy.provenance.values()} == {"toy"}
    for chip_id in (*list_chips(kind="real"), *list_chips(kind="baseline")):
        assert all(p.kind != "toy" for p in load_chip(chip_id).provenance.values()), chip_id


@pytest.mark.parametrize("chip_id", ALL_CHIPS)
def test_every_number_has_a_source_with_url_date_and_note(chip_id):
    loaded = load_chip(chip_id)
    sources = load_sources()
    for key in loaded.numeric_fields():
        record = loaded.provenance.get(key)
        assert record is not None, f"{chip_id}: {key} has no provenance"
        assert sources[record.source.id] is record.source
        assert record.source.url.startswith(("https://", "http://", "doi:", "arXiv:"))
        assert isinstance(record.accessed, date)
        assert record.note.strip(), f"{chip_id}: {key} needs a note (table/section)"
        if record.alternatives:
            assert record.choice.strip(), f"{chip_id}: {key} keeps alternatives without saying why"


@pytest.mark.parametrize("chip_id", list_chips(kind="real"))
def test_stored_values_match_the_figures_as_published(chip_id):
    """Catches GiB-vs-GB, bits-vs-bytes and ×1000 slips in the conversion to SI units."""
    loaded = load_chip(chip_id)
    for key, value in loaded.numeric_fields().items():
        as_published = loaded.provenance[key].as_published
        assert as_published, f"{chip_id}: {key} needs as_published"
        published = published_value_si(as_published)
        assert published is not None, f"{chip_id}: {key}: cannot read a number from {as_published!r}"
        assert value == pytest.approx(published, rel=5e-3), f"{chip_id}: {key} = {value} but {as_published!r}"


@pytest.mark.parametrize("chip_id", list_chips(kind="real"))
def test_every_number_lies_in_a_plausible_range(chip_id):
    loaded = load_chip(chip_id)
    for key, value in loaded.numeric_fields().items():
        bounds = _range_for(loaded, key)
        assert bounds is not None, f"{chip_id}: no plausible range for {key}; add one to plausibility.RANGES"
        low, high = bounds
        assert low <= value <= high, f"{chip_id}: {key} = {value:g} outside [{low:g}, {high:g}]"


def test_ranges_catch_thousandfold_and_bits_for_bytes_slips():
    h100 = load_chip("h100_sxm")
    key = "memory.HBM.bandwidth_bytes_per_s"
    low, high = _range_for(h100, key)
    assert not low <= 3.35e12 * 1000 <= high      # TB/s typed where GB/s was meant
    assert not low <= 3.35e12 / 1000 <= high
    assert published_value_si("1600 Gbps") == 200e9   # bits: Google writes Gbps for ICI, GBps for HBM
    assert published_value_si("32 GiB") != published_value_si("32 GB")


@pytest.mark.parametrize("chip_id", list_chips(kind="real"))
def test_published_peaks_follow_from_geometry_or_the_data_says_why(chip_id):
    """peak ≈ cores × matrix units × rows × cols × 2 × clock × MACs/PE/cycle; exceptions are read from the data."""
    loaded = load_chip(chip_id)
    for dtype in loaded.published_peak_flops_per_s:
        check = loaded.peak_check(dtype)
        if check.documented_exception:
            # A documented exception that now closes is stale: remove it from the TOML.
            assert not check.closes, f"{chip_id} {dtype}: exception documented but the peak closes"
        else:
            assert check.closes, (f"{chip_id} {dtype}: derived {check.derived_flops_per_s} vs published "
                                  f"{check.published_flops_per_s}; fix the data or document the exception")


def test_every_real_chip_has_a_peak_and_toys_derive_theirs():
    for chip_id in list_chips(kind="real"):
        assert load_chip(chip_id).published_peak_flops_per_s, chip_id
    toy = load_chip("toy_4x4")
    assert not toy.published_peak_flops_per_s
    assert toy.peak_flops_per_s("int8") == 1 * 4 * 4 * 2 * 1e9


def test_tpu_v6e_peak_would_need_an_implausible_clock():
    # Cloud TPU v6e docs: 918 TFLOPS bf16 from two 256×256 MXUs (chips.md contradiction 6) → ~3.5 GHz.
    v6e = load_chip("v6e")
    unit = v6e.core.matrix_unit
    implied_clock_hz = v6e.peak_flops_per_s("bf16") / (v6e.num_matrix_units * unit.array.num_pes * 2)
    assert implied_clock_hz == pytest.approx(3.5e9, rel=0.01)
    assert unit.clock_hz is None and v6e.peak_check("bf16").documented_exception


def test_tpu_v1_ridge_point_matches_its_isca_2017_paper():
    # Jouppi et al., ISCA 2017, Fig. 5: ridge point 1350 — multiply-accumulates per byte of weight memory
    # (the IEEE Xplore caption says so): 92e12 / 2 MAC/s ÷ 34e9 B/s ≈ 1353. We count FLOPs, so halve ours.
    tpu_v1 = load_chip("tpu_v1")
    assert tpu_v1.ridge_point_flops_per_byte("int8") / 2 == pytest.approx(1350, rel=0.01)


def test_ridge_point_of_the_toy_chip_is_hand_checkable():
    toy = load_chip("toy_dual")
    assert toy.ridge_point_flops_per_byte("bf16") == 2 * 8 * 8 * 2 * 1e9 / 16e9        # 16 FLOP/byte
    assert toy.ridge_point_flops_per_byte("bf16", level="Scratchpad") == 256e9 / (2 * 32e9)
    assert toy.total_capacity_bytes("scratchpad") == 2 * 64 * 1024


@pytest.mark.parametrize(("name", "chip_id"), [
    ("trn2", "trainium2"), ("Trainium2", "trainium2"), ("trainium", "trainium1"), ("inf2", "inferentia2"),
    ("tpu-v5e", "tpu_v5e"), ("v5e", "tpu_v5e"), ("TPU v5e", "tpu_v5e"), ("trillium", "tpu_v6e"),
    ("ironwood", "tpu7x"), ("h100", "h100_sxm"), ("h100-sxm", "h100_sxm"), ("H100 SXM", "h100_sxm"),
    ("mi300x", "mi300x"), ("MI300X", "mi300x"), ("a100", "a100_80gb"), ("nvidia_v100_sxm2", "v100"),
])
def test_aliases_resolve(name, chip_id):
    assert load_chip(name).id == chip_id


@pytest.mark.parametrize(("name", "suggestion"), [("h10", "h100_sxm"), ("trainum2", "trainium2"),
                                                  ("tpu v5x", "tpu_v5")])
def test_unknown_chip_error_suggests_close_matches(name, suggestion):
    with pytest.raises(ChiplabInputError, match=f"unknown chip {name!r}; did you mean .*{suggestion}"):
        load_chip(name)


def test_bad_names_and_kinds_are_rejected():
    with pytest.raises(ChiplabInputError, match="chip name must be a string"):
        load_chip(5)
    with pytest.raises(ChiplabInputError, match="kind must be one of real, baseline, toy"):
        list_chips(kind="fake")


def test_what_ifs_are_validated():
    v5e = load_chip("tpu_v5e")
    faster = dataclasses.replace(v5e.hbm, bandwidth_bytes_per_s=2 * v5e.hbm.bandwidth_bytes_per_s)
    what_if = dataclasses.replace(v5e, memory_levels=(faster, *v5e.memory_levels[1:]))
    assert what_if.ridge_point_flops_per_byte("bf16") == pytest.approx(v5e.ridge_point_flops_per_byte("bf16") / 2)
    assert dataclasses.replace(v5e) == v5e and hash(dataclasses.replace(v5e)) == hash(v5e)

    with pytest.raises(ChiplabInputError, match=r"memory level 'HBM': bandwidth_bytes_per_s .* > 0.*got -1"):
        dataclasses.replace(v5e.hbm, bandwidth_bytes_per_s=-1)
    with pytest.raises(ChiplabInputError, match=r"memory level 'VMEM': capacity_bytes .* >= 1; got 0"):
        dataclasses.replace(v5e.memory_level("VMEM"), capacity_bytes=0)
    with pytest.raises(ChiplabInputError, match=r"chip 'tpu_v5e': num_cores must be a whole number >= 1; got 0"):
        dataclasses.replace(v5e, num_cores=0)
    with pytest.raises(ChiplabInputError, match=r"clock_hz must be between .* \(1.4 GHz is 1.4e9\); got 1.5"):
        dataclasses.replace(v5e.core.matrix_unit, clock_hz=1.5)
    with pytest.raises(ChiplabInputError, match="outermost → innermost"):
        dataclasses.replace(v5e, memory_levels=tuple(reversed(v5e.memory_levels)))
    with pytest.raises(ChiplabInputError, match=r"link 'ICI': bandwidth_bytes_per_s .* > 0"):
        dataclasses.replace(v5e.links[0], bandwidth_bytes_per_s=0)


def test_missing_peaks_and_levels_give_clear_errors():
    v100 = load_chip("v100")
    with pytest.raises(ChiplabInputError, match="chip 'v100' has no bf16 peak; dtype must be one of fp32, fp16"):
        v100.peak_flops_per_s("bf16")
    with pytest.raises(ChiplabInputError, match="has no memory level 'VMEM'; role_or_label must be one of HBM"):
        v100.memory_level("VMEM")
    with pytest.raises(ChiplabInputError, match="bandwidth of SBUF is not known"):
        load_chip("trn2").ridge_point_flops_per_byte("bf16", level="SBUF")


def test_memory_levels_speak_one_vocabulary():
    assert load_chip("trn2").memory_level("scratchpad").vendor_label == "SBUF"
    assert load_chip("tpu_v5e").memory_level("scratchpad").vendor_label == "VMEM"
    assert load_chip("h100").memory_level("scratchpad").vendor_label == "SMEM/L1"
    assert load_chip("trn2").memory_level("psum").role == "accumulator"
    assert load_chip("trn2").total_capacity_bytes("SBUF") == 8 * 28 * 2**20   # 224 MiB per chip (AWS-TRN2)


def test_gpu_tensor_cores_are_marked_as_equivalent_arrays():
    for chip_id in list_chips(kind="real"):
        loaded = load_chip(chip_id)
        if loaded.family == "GPU":
            assert not loaded.core.matrix_unit.is_systolic_array, chip_id


def test_catalog_is_cached():
    """No TOML parsing on the hot path: one parsed catalog, the same object per chip (speed: benchmarks/)."""
    for chip_id in ALL_CHIPS:
        assert load_chip(chip_id) is load_chip(chip_id)
    assert load_chip("trn2") is load_chip("Trainium2")
    assert catalog._catalog.cache_info().currsize == 1


def test_every_source_is_cited_and_every_cited_id_exists():
    sources = load_sources()
    cited = set()
    for chip_id in ALL_CHIPS:
        loaded = load_chip(chip_id)
        texts = list(loaded.notes) + [r.note for r in loaded.provenance.values()]
        for record in loaded.provenance.values():
            cited.add(record.source.id)
            cited.update(alt.source.id for alt in record.alternatives)
        for text in texts:
            # Citations in brackets, e.g. "(GCP-V4)" or "(TPUV1-ISCA17, Table 2)", must name a known source.
            for inside in re.findall(r"\(([^()]*)\)", text):
                for token in re.findall(r"\b[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+\b", inside):
                    assert token in sources, f"{chip_id}: notes cite {token}, which is not in _sources.toml"
            cited.update(word for word in re.findall(r"[\w-]+", text) if word in sources)
    assert set(sources) <= cited, f"unused sources: {sorted(set(sources) - cited)}"


GOOD_TOML = """
id = "{id}"
display_name = "My chip"
vendor = "me"
family = "toy"
kind = "toy"
num_cores = 1
[provenance.num_cores]
source = "CHIPLAB-TOY"
note = "one"
[core]
label = "core"
[core.matrix_unit]
label = "array"
[provenance."core.matrix_unit.num_per_core"]
source = "CHIPLAB-TOY"
note = "one"
[[memory]]
role = "offchip"
vendor_label = "DRAM"
{extra}
"""


def _write(tmp_path, text, name="my_chip"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_chip_file_loads(tmp_path):
    loaded = load_chip_file(_write(tmp_path, GOOD_TOML.format(id="my_chip", extra="")))
    assert loaded.num_cores == 1 and loaded.hbm.vendor_label == "DRAM"


@pytest.mark.parametrize(("extra", "message"), [
    ("bandwith_bytes_per_s = 1e9", r"my_chip.toml: \[\[memory\]\] #1: unknown key 'bandwith_bytes_per_s'"),
    ("capacity_bytes = 1024", r"my_chip.toml: the number memory.DRAM.capacity_bytes has no \[provenance"),
    ('[provenance."memory.DRAM.capcity_bytes"]\nsource = "CHIPLAB-TOY"\nnote = "x"',
     r"my_chip.toml: \[provenance.'memory.DRAM.capcity_bytes'\] names no value"),
    ('[provenance.tdp_w]\nsource = "NOPE"\nnote = "x"', r"source 'NOPE' is not in the source list"),
    ("capacity_bytes = -5", r"my_chip.toml: memory level 'DRAM': capacity_bytes .* >= 1; got -5"),
    ("bandwidth_bytes_per_s = [", r"my_chip.toml: not valid TOML"),
])
def test_broken_chip_files_name_the_file_and_key(tmp_path, extra, message):
    with pytest.raises(ChiplabInputError, match=message):
        load_chip_file(_write(tmp_path, GOOD_TOML.format(id="my_chip", extra=extra)))


def test_chip_id_must_match_file_name(tmp_path):
    with pytest.raises(ChiplabInputError, match="id must match the file name 'my_chip'"):
        load_chip_file(_write(tmp_path, GOOD_TOML.format(id="other", extra="")))
    with pytest.raises(ChiplabInputError, match="cannot read chip file"):
        load_chip_file(tmp_path / "missing.toml")


@pytest.mark.parametrize("module", [chiplab.hardware, _frozen, provenance, components, chip, catalog])
def test_docstring_examples(module):
    failures, _ = doctest.testmod(module)
    assert failures == 0
